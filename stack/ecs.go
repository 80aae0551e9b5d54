package stack

import (
	"strconv"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/ec2"
	"github.com/awslabs/goformation/v7/cloudformation/ecs"
)

// addECS adds the cluster (unless the service joins an existing one), the
// tasks' security group, the task definition and the Fargate service.
func addECS(t *cloudformation.Template, cfg Config) {
	if cfg.Service.Cluster == "" {
		insights := "disabled"
		if cfg.Service.ContainerInsights {
			insights = "enabled"
		}
		t.Resources[idCluster] = &ecs.Cluster{
			ClusterSettings: []ecs.Cluster_ClusterSettings{{
				Name:  cloudformation.String("containerInsights"),
				Value: cloudformation.String(insights),
			}},
			Tags: resourceTags(cfg),
		}
		if cfg.Service.Spot.Enabled {
			t.Resources[idCapacityProviders] = &ecs.ClusterCapacityProviderAssociations{
				Cluster:                         cloudformation.Ref(idCluster),
				CapacityProviders:               []string{"FARGATE", "FARGATE_SPOT"},
				DefaultCapacityProviderStrategy: clusterStrategy(cfg.Service.Spot),
			}
		}
	}

	t.Resources[idTaskSG] = &ec2.SecurityGroup{
		GroupDescription: "Tasks: the container port from the load balancer only",
		VpcId:            cloudformation.RefPtr(ParamVpcID),
		SecurityGroupEgress: []ec2.SecurityGroup_Egress{{
			CidrIp:      cloudformation.String("0.0.0.0/0"),
			Description: cloudformation.String("Image pulls, logs and the application's own outbound calls"),
			IpProtocol:  "-1",
		}},
		Tags: resourceTags(cfg),
	}
	t.Resources[idTaskFromLoadBalancer] = &ec2.SecurityGroupIngress{
		GroupId:               cloudformation.GetAttPtr(idTaskSG, "GroupId"),
		Description:           cloudformation.String("From the load balancer on the container port"),
		IpProtocol:            "tcp",
		FromPort:              cloudformation.Int(cfg.Container.Port),
		ToPort:                cloudformation.Int(cfg.Container.Port),
		SourceSecurityGroupId: cloudformation.GetAttPtr(idLoadBalancerSG, "GroupId"),
	}

	arch := "X86_64"
	if cfg.Container.Arch == ArchARM64 {
		arch = "ARM64"
	}
	task := &ecs.TaskDefinition{
		// The stack name keeps two stacks of the same app in separate families.
		Family:                  cloudformation.SubPtr("${AWS::StackName}-" + cfg.Name),
		NetworkMode:             cloudformation.String("awsvpc"),
		RequiresCompatibilities: []string{"FARGATE"},
		Cpu:                     cloudformation.String(strconv.Itoa(cfg.Container.CPU)),
		Memory:                  cloudformation.String(strconv.Itoa(cfg.Container.Memory)),
		RuntimePlatform: &ecs.TaskDefinition_RuntimePlatform{
			CpuArchitecture:       cloudformation.String(arch),
			OperatingSystemFamily: cloudformation.String("LINUX"),
		},
		ExecutionRoleArn:     cloudformation.GetAttPtr(idExecutionRole, "Arn"),
		TaskRoleArn:          cloudformation.GetAttPtr(idTaskRole, "Arn"),
		ContainerDefinitions: []ecs.TaskDefinition_ContainerDefinition{containerDefinition(cfg)},
		Tags:                 resourceTags(cfg),
	}
	if cfg.Container.EphemeralStorage != 0 {
		task.EphemeralStorage = &ecs.TaskDefinition_EphemeralStorage{SizeInGiB: cloudformation.Int(cfg.Container.EphemeralStorage)}
	}
	t.Resources[idTaskDefinition] = task

	t.Resources[idService] = serviceResource(cfg)
}

// clusterName is the name of the cluster the service runs in.
func clusterName(cfg Config) string {
	if cfg.Service.Cluster != "" {
		return cfg.Service.Cluster
	}
	return cloudformation.Ref(idCluster)
}

func containerDefinition(cfg Config) ecs.TaskDefinition_ContainerDefinition {
	c := cfg.Container
	var env []ecs.TaskDefinition_KeyValuePair
	for _, e := range c.Environment {
		env = append(env, ecs.TaskDefinition_KeyValuePair{
			Name:  cloudformation.String(e.Name),
			Value: cloudformation.String(e.Value),
		})
	}
	var secrets []ecs.TaskDefinition_Secret
	for _, s := range c.Secrets {
		secrets = append(secrets, ecs.TaskDefinition_Secret{Name: s.Name, ValueFrom: partitionNeutral(s.ARN)})
	}
	def := ecs.TaskDefinition_ContainerDefinition{
		Name:      containerName(cfg),
		Image:     cloudformation.Ref(ParamContainerImage),
		Essential: cloudformation.Bool(true),
		PortMappings: []ecs.TaskDefinition_PortMapping{{
			ContainerPort: cloudformation.Int(c.Port),
			Protocol:      cloudformation.String("tcp"),
		}},
		Environment: env,
		Secrets:     secrets,
		LogConfiguration: &ecs.TaskDefinition_LogConfiguration{
			LogDriver: "awslogs",
			Options:   logConfiguration(cfg),
		},
	}
	if c.ReadOnlyRootFilesystem {
		def.ReadonlyRootFilesystem = cloudformation.Bool(true)
	}
	if cfg.Service.EnableExec {
		// ECS Exec sessions leave orphaned processes without an init
		// process to reap them (ECS developer guide, "Using ECS Exec").
		def.LinuxParameters = &ecs.TaskDefinition_LinuxParameters{InitProcessEnabled: cloudformation.Bool(true)}
	}
	if h := c.HealthCheck; h.Command != "" {
		def.HealthCheck = &ecs.TaskDefinition_HealthCheck{
			Command:     []string{"CMD-SHELL", h.Command},
			Interval:    cloudformation.Int(h.Interval),
			Timeout:     cloudformation.Int(h.Timeout),
			Retries:     cloudformation.Int(h.Retries),
			StartPeriod: cloudformation.Int(h.StartPeriod),
		}
	}
	return def
}

func serviceResource(cfg Config) cloudformation.Resource {
	s := cfg.Service
	service := &ecs.Service{
		Cluster:        cloudformation.String(clusterName(cfg)),
		TaskDefinition: cloudformation.RefPtr(idTaskDefinition),
		// Set on the service, where ECS reads it; the blog post put it in
		// the container definition, where ECS ignores it.
		HealthCheckGracePeriodSeconds: cloudformation.Int(s.HealthCheckGracePeriod),
		DeploymentConfiguration: &ecs.Service_DeploymentConfiguration{
			MinimumHealthyPercent: cloudformation.Int(s.MinHealthyPercent),
			MaximumPercent:        cloudformation.Int(s.MaxPercent),
			DeploymentCircuitBreaker: &ecs.Service_DeploymentCircuitBreaker{
				Enable:   s.CircuitBreaker,
				Rollback: s.CircuitBreaker,
			},
		},
		NetworkConfiguration: &ecs.Service_NetworkConfiguration{
			AwsvpcConfiguration: &ecs.Service_AwsVpcConfiguration{
				AssignPublicIp: cloudformation.RefPtr(ParamAssignPublicIP),
				SecurityGroups: []string{cloudformation.GetAtt(idTaskSG, "GroupId")},
			},
		},
		LoadBalancers: []ecs.Service_LoadBalancer{{
			ContainerName:  cloudformation.String(containerName(cfg)),
			ContainerPort:  cloudformation.Int(cfg.Container.Port),
			TargetGroupArn: cloudformation.RefPtr(idTargetGroup),
		}},
		PropagateTags:        cloudformation.String("SERVICE"),
		EnableECSManagedTags: cloudformation.Bool(true),
		Tags:                 resourceTags(cfg),
		// ECS rejects a service whose target group is not yet attached to a
		// load balancer ("The target group ... does not have an associated
		// load balancer"); the listener is what attaches it.
		AWSCloudFormationDependsOn: []string{idHTTPSListener},
	}
	if s.PlatformVersion != "LATEST" {
		service.PlatformVersion = cloudformation.String(s.PlatformVersion)
	}
	if s.EnableExec {
		service.EnableExecuteCommand = cloudformation.Bool(true)
	}
	if s.Spot.Enabled {
		// A capacity provider strategy replaces the launch type; the two
		// cannot be set together.
		service.CapacityProviderStrategy = serviceStrategy(s.Spot)
		if s.Cluster == "" {
			// ECS rejects a strategy naming a provider the cluster is not yet
			// associated with.
			service.AWSCloudFormationDependsOn = append(service.AWSCloudFormationDependsOn, idCapacityProviders)
		}
	} else {
		service.LaunchType = cloudformation.String("FARGATE")
	}
	overrides := map[string]any{
		// The subnets are a list parameter: the value is the list itself,
		// picked by the condition, not a list that contains it.
		"NetworkConfiguration.AwsvpcConfiguration.Subnets": cloudformation.If(condPublicTasks,
			cloudformation.Ref(ParamPublicSubnetIDs), cloudformation.Ref(ParamPrivateSubnetIDs)),
	}
	// With autoscaling, the service has no DesiredCount: CloudFormation
	// would send it with every update of the service and undo the
	// scaling. Without it ECS starts one task and keeps the current count
	// on updates, and the scalable target raises it to min-count (the CDK's
	// removeDefaultDesiredCount does the same).
	if !cfg.Scaling.Enabled() {
		overrides["DesiredCount"] = cloudformation.Ref(ParamDesiredCount)
	}
	return override(service, overrides)
}

// spotWeights returns the weights of regular Fargate and Fargate Spot
// beyond the base.
func spotWeights(s Spot) (regular, spot int) {
	if s.Weight == 0 {
		return 0, 1
	}
	return 1, s.Weight
}

func serviceStrategy(s Spot) []ecs.Service_CapacityProviderStrategyItem {
	regular, spot := spotWeights(s)
	var items []ecs.Service_CapacityProviderStrategyItem
	if s.Base > 0 || regular > 0 {
		item := ecs.Service_CapacityProviderStrategyItem{CapacityProvider: cloudformation.String("FARGATE"), Weight: cloudformation.Int(regular)}
		if s.Base > 0 {
			item.Base = cloudformation.Int(s.Base)
		}
		items = append(items, item)
	}
	return append(items, ecs.Service_CapacityProviderStrategyItem{CapacityProvider: cloudformation.String("FARGATE_SPOT"), Weight: cloudformation.Int(spot)})
}

func clusterStrategy(s Spot) []ecs.ClusterCapacityProviderAssociations_CapacityProviderStrategy {
	var out []ecs.ClusterCapacityProviderAssociations_CapacityProviderStrategy
	for _, item := range serviceStrategy(s) {
		out = append(out, ecs.ClusterCapacityProviderAssociations_CapacityProviderStrategy{
			CapacityProvider: *item.CapacityProvider,
			Base:             item.Base,
			Weight:           item.Weight,
		})
	}
	return out
}
