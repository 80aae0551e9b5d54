package stack

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

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
		// Both Fargate providers are always associated, with or without
		// Spot, so that turning Spot on or off is a change of the service's
		// strategy only. Removing FARGATE_SPOT from the cluster while the
		// service still uses it fails with "The specified capacity provider
		// is in use" (ECS PutClusterCapacityProviders).
		t.Resources[idCapacityProviders] = &ecs.ClusterCapacityProviderAssociations{
			Cluster:                         cloudformation.Ref(idCluster),
			CapacityProviders:               []string{"FARGATE", "FARGATE_SPOT"},
			DefaultCapacityProviderStrategy: clusterStrategy(cfg.Service.Spot),
		}
	}

	t.Resources[idTaskSG] = &ec2.SecurityGroup{
		// EC2 allows only a-zA-Z0-9, spaces and ._-:/()#,@[]+=&;{}!$* in
		// a GroupDescription and a rule Description, up to 255 characters
		// (EC2 API reference: CreateSecurityGroup, IpRange); anything else,
		// an apostrophe say, fails the create with InvalidParameterValue.
		// TestAWSRules checks every description in every template.
		GroupDescription: "Tasks: the container port from the load balancer only",
		VpcId:            cloudformation.RefPtr(ParamVpcID),
		SecurityGroupEgress: []ec2.SecurityGroup_Egress{{
			CidrIp:      cloudformation.String("0.0.0.0/0"),
			Description: cloudformation.String("Image pulls, logs and outbound calls of the app"),
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
	for _, w := range writableVolumes(cfg.Container) {
		// A volume with no host path or file system configuration is a
		// bind mount on the task's ephemeral storage on Fargate (ECS
		// developer guide, "Bind mounts").
		task.Volumes = append(task.Volumes, ecs.TaskDefinition_Volume{Name: cloudformation.String(w.volume)})
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
		for _, w := range writableVolumes(c) {
			def.MountPoints = append(def.MountPoints, ecs.TaskDefinition_MountPoint{
				ContainerPath: cloudformation.String(w.path),
				SourceVolume:  cloudformation.String(w.volume),
				ReadOnly:      cloudformation.Bool(false),
			})
		}
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
			TargetGroupArn: cloudformation.RefPtr(targetGroupID(cfg)),
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
	switch {
	case s.Cluster == "":
		// The service in a cluster of its own always has a capacity
		// provider strategy and never a launch type (the two cannot be set
		// together). Dropping the strategy from the template would not move
		// the service off Spot: CloudFormation reads a missing
		// CapacityProviderStrategy as "do not change it" (AWS::ECS::Service
		// reference), and the cluster's FARGATE_SPOT association could then
		// not be removed.
		service.CapacityProviderStrategy = serviceStrategy(s.Spot)
		// ECS rejects a strategy naming a provider the cluster is not yet
		// associated with.
		service.AWSCloudFormationDependsOn = append(service.AWSCloudFormationDependsOn, idCapacityProviders)
	case s.Spot.Enabled:
		// An existing cluster must already have the Fargate providers.
		service.CapacityProviderStrategy = serviceStrategy(s.Spot)
	default:
		service.LaunchType = cloudformation.String("FARGATE")
	}
	overrides := map[string]any{
		// The subnets are a list parameter: the value is the list itself,
		// picked by the condition, not a list that contains it.
		"NetworkConfiguration.AwsvpcConfiguration.Subnets": cloudformation.If(condPublicTasks,
			cloudformation.Ref(ParamPublicSubnetIDs), cloudformation.Ref(ParamPrivateSubnetIDs)),
		// Set explicitly: ECS treats a service that never had the value as
		// DISABLED on update, and then never moves tasks out of a crowded
		// Availability Zone (AWS::ECS::Service reference,
		// AvailabilityZoneRebalancing). goformation v7.14.9 predates it.
		"AvailabilityZoneRebalancing": "ENABLED",
		// ECS refuses to change a service's capacity provider strategy, or
		// to move it from a launch type to one, without a forced new
		// deployment ("When switching from launch type to capacity provider
		// strategy on an existing service, or making a change to a capacity
		// provider strategy on a service that is already using one, you
		// must force a new deployment": UpdateService's
		// InvalidParameterException; aws-cdk #34631). So every update of the
		// service forces one; the nonce names the placement, so that a
		// change of it alone is an update too. goformation v7.14.9 predates
		// the property.
		"ForceNewDeployment": map[string]any{
			"EnableForceNewDeployment": true,
			"ForceNewDeploymentNonce":  placementNonce(service),
		},
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

// placementNonce describes where the service's tasks run, such as
// "FARGATE base 1 weight 0, FARGATE_SPOT weight 3" or "launch type FARGATE".
func placementNonce(service *ecs.Service) string {
	if len(service.CapacityProviderStrategy) == 0 {
		return "launch type " + *service.LaunchType
	}
	parts := make([]string, len(service.CapacityProviderStrategy))
	for i, item := range service.CapacityProviderStrategy {
		parts[i] = *item.CapacityProvider
		if item.Base != nil {
			parts[i] += " base " + strconv.Itoa(*item.Base)
		}
		parts[i] += " weight " + strconv.Itoa(*item.Weight)
	}
	return strings.Join(parts, ", ")
}

// writableVolume is a writable directory of a read-only container and the
// task volume behind it.
type writableVolume struct {
	path   string
	volume string
}

// writableVolumes are the volumes of a read-only root filesystem: the
// configured writable paths, or DefaultWritablePaths. A volume is named
// after its path, with every character ECS does not allow in a volume name
// (letters, digits, hyphens and underscores, up to 255: ECS API reference,
// Volume) turned into a hyphen, and a number added where two paths would
// otherwise share a name.
func writableVolumes(c Container) []writableVolume {
	if !c.ReadOnlyRootFilesystem {
		return nil
	}
	paths := c.WritablePaths
	if len(paths) == 0 {
		paths = DefaultWritablePaths
	}
	out := make([]writableVolume, len(paths))
	used := map[string]bool{}
	for i, p := range paths {
		name := "writable" + volumeNameUnsafe.ReplaceAllString(strings.TrimSuffix(p, "/"), "-")
		for n := 2; used[name]; n++ {
			name = fmt.Sprintf("writable%s-%d", volumeNameUnsafe.ReplaceAllString(strings.TrimSuffix(p, "/"), "-"), n)
		}
		used[name] = true
		out[i] = writableVolume{path: p, volume: name}
	}
	return out
}

var volumeNameUnsafe = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// spotWeights returns the weights of regular Fargate and Fargate Spot
// beyond the base.
func spotWeights(s Spot) (regular, spot int) {
	if s.Weight == 0 {
		return 0, 1
	}
	return 1, s.Weight
}

// serviceStrategy is the service's capacity provider strategy: regular
// Fargate alone without Spot, else the base on regular Fargate and the
// rest split by weight.
func serviceStrategy(s Spot) []ecs.Service_CapacityProviderStrategyItem {
	if !s.Enabled {
		return []ecs.Service_CapacityProviderStrategyItem{{CapacityProvider: cloudformation.String("FARGATE"), Weight: cloudformation.Int(1)}}
	}
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
