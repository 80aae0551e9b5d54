package stack

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation/ec2"
	"github.com/awslabs/goformation/v7/cloudformation/ecs"

	"github.com/cfnfargate/cfnfargate/internal/lazyregexp"
	"github.com/cfnfargate/cfnfargate/stack/internal/cloudformation"
)

// addECS adds the cluster (unless the service joins an existing one or an
// environment's), the tasks' security group, the task definition and the
// Fargate service.
func addECS(t *cloudformation.Template, cfg Config) {
	if cfg.Service.Cluster == "" && !inEnvironment(cfg) {
		addCluster(t, cfg)
	}
	addTasks(t, cfg)
}

// addCluster adds the cluster and its Fargate capacity providers.
func addCluster(t *cloudformation.Template, cfg Config) {
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

// addTasks adds the tasks' security group, the task definition and the
// service.
func addTasks(t *cloudformation.Template, cfg Config) {
	loadBalancerSG := cloudformation.GetAtt(idLoadBalancerSG, "GroupId")
	if inEnvironment(cfg) {
		loadBalancerSG = cloudformation.Ref(ParamLoadBalancerSecurityGroupID)
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
		SourceSecurityGroupId: &loadBalancerSG,
	}

	arch := "X86_64"
	if cfg.Container.Arch == ArchARM64 {
		arch = "ARM64"
	}
	task := &ecs.TaskDefinition{
		Family:                  taskFamily(cfg),
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

// taskSecurityGroups are the groups of the service's tasks: their own,
// which admits the load balancer on the container port, and in an
// environment the environment's services group too, which its load
// balancer's one egress rule reaches (addServicesSecurityGroup). A task
// may have up to 5 security groups (ECS API reference,
// AwsVpcConfiguration).
func taskSecurityGroups(cfg Config) []string {
	groups := []string{cloudformation.GetAtt(idTaskSG, "GroupId")}
	if inEnvironment(cfg) {
		groups = append(groups, cloudformation.Ref(ParamServicesSecurityGroupID))
	}
	return groups
}

// clusterName is the name of the cluster the service runs in.
func clusterName(cfg Config) string {
	switch {
	case cfg.Service.Cluster != "":
		return cfg.Service.Cluster
	case inEnvironment(cfg):
		return cloudformation.Ref(ParamClusterName)
	}
	return cloudformation.Ref(idCluster)
}

// clusterRefID is what clusterName refers to: the cluster resource, or an
// environment's parameter.
func clusterRefID(cfg Config) string {
	if inEnvironment(cfg) {
		return ParamClusterName
	}
	return idCluster
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
		src, _ := ParseSecret(s.From) // checked by Validate
		secrets = append(secrets, ecs.TaskDefinition_Secret{Name: s.Name, ValueFrom: secretValueFrom(src)})
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
	if c.User != "" {
		def.User = cloudformation.String(c.User)
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
				SecurityGroups: taskSecurityGroups(cfg),
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
	if cfg.AllowsHTTPOnly() {
		// The listener that forwards is the HTTPS one or, without a
		// certificate, the HTTP one. DependsOn takes no Fn::If, and
		// naming a resource whose condition is false fails the template
		// (cfn-lint E3005), but a Ref in the resource's Metadata orders
		// it too ("Optional DependsOn with CloudFormation: Metadata to
		// the rescue", cloudonaut.io, 2024).
		service.AWSCloudFormationDependsOn = nil
		service.AWSCloudFormationMetadata = map[string]any{"ForwardingListener": productionListener(cfg)}
	}
	if s.PlatformVersion != "LATEST" {
		service.PlatformVersion = cloudformation.String(s.PlatformVersion)
	}
	if s.EnableExec {
		service.EnableExecuteCommand = cloudformation.Bool(true)
	}
	switch {
	case inEnvironment(cfg):
		// The environment's cluster has both Fargate providers, as a
		// cluster of the service's own has (addCluster).
		service.CapacityProviderStrategy = serviceStrategy(s.Spot)
		// ECS rejects a service whose target group is not yet attached to
		// a load balancer; the listener rule is what attaches it.
		service.AWSCloudFormationDependsOn = []string{idListenerRule}
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
	if cfg.Deployment.Progressive() {
		// The AdvancedConfiguration refers to the listener rules, which
		// orders the service after them; cfn-lint flags a DependsOn that
		// says it again (W3005).
		service.AWSCloudFormationDependsOn = slices.DeleteFunc(service.AWSCloudFormationDependsOn, func(id string) bool { return id == idListenerRule })
	}
	// ECS rolls the deployment back when one of these goes to ALARM while
	// it runs (ECS API reference, DeploymentAlarms; all three fields are
	// required). Off explicitly when there are none: UpdateService keeps
	// the alarms a request leaves out, so removing the property would leave
	// the old alarms watching every deployment (copilot-cli #4565, aws-cdk
	// #30217; review 2, F7).
	service.DeploymentConfiguration.Alarms = &ecs.Service_DeploymentAlarms{AlarmNames: []string{}}
	if names := rollbackAlarms(cfg); len(names) > 0 {
		service.DeploymentConfiguration.Alarms = &ecs.Service_DeploymentAlarms{AlarmNames: names, Enable: true, Rollback: true}
	}
	if cfg.Deployment.Progressive() {
		// BLUE_GREEN, CANARY and LINEAR need the ECS deployment controller
		// (ECS API reference, DeploymentConfiguration strategy).
		service.DeploymentController = &ecs.Service_DeploymentController{Type: cloudformation.String("ECS")}
		// The circuit breaker stays on, as for rolling. The references
		// disagree: "The deployment circuit breaker can only be used for
		// services using the rolling update (ECS) deployment type"
		// (AWS::ECS::Service DeploymentCircuitBreaker; ECS API reference,
		// DeploymentConfiguration), against "Both methods only support
		// rolling update deployment and blue/green deployment types" (ECS
		// developer guide, "How the Amazon ECS deployment circuit breaker
		// detects failures" / deployment-failure-detection.html), and the
		// console's canary walkthrough offers the breaker. The first
		// sentence dates from when "(ECS)" named the deployment controller,
		// which these strategies use (DeploymentController ECS); the CDK
		// reads it so ("DeploymentCircuitBreaker requires the ECS
		// DeploymentControllerType", aws-cdk #16919). Without the breaker a
		// green revision that never becomes healthy keeps ECS retrying until
		// CloudFormation times out (review 2, F12). The README says more.
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
		// InvalidParameterException; aws-cdk #34631). The nonce names the
		// placement; the deploy command forces a deployment when it
		// differs from the deployed template's (Deployment.
		// ForceNewDeployment). Not on every update: CloudFormation then
		// sends forceNewDeployment with any change of the service, and a
		// change of DesiredCount alone, which is no deployment by itself
		// ("This parameter doesn't trigger a new service deployment", ECS
		// API reference, UpdateService), would become one: with a
		// blue/green strategy, twice the tasks, the bake and the gate
		// (review 2, F6). goformation v7.14.9 predates the property.
		"ForceNewDeployment": map[string]any{
			"EnableForceNewDeployment": cfg.Deployment.ForceNewDeployment,
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
	if advanced := deliveryOverrides(cfg, overrides); advanced != nil {
		lb := service.LoadBalancers[0]
		overrides["LoadBalancers"] = []any{map[string]any{
			"ContainerName":         *lb.ContainerName,
			"ContainerPort":         *lb.ContainerPort,
			"TargetGroupArn":        *lb.TargetGroupArn,
			"AdvancedConfiguration": advanced,
		}}
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

var volumeNameUnsafe = lazyregexp.New(`[^A-Za-z0-9_-]`)

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

// Validation of these settings, called from Config.Validate.

// fargateSizes lists the memory values (MiB) Fargate accepts for each CPU
// value. Source: "Task CPU and memory" in the Amazon ECS developer guide.
var fargateSizes = map[int][]int{
	256:   {512, 1024, 2048},
	512:   steps(1024, 4096, 1024),
	1024:  steps(2048, 8192, 1024),
	2048:  steps(4096, 16384, 1024),
	4096:  steps(8192, 30720, 1024),
	8192:  steps(16384, 61440, 4096),
	16384: steps(32768, 122880, 8192),
}

func steps(from, to, step int) []int {
	var out []int
	for n := from; n <= to; n += step {
		out = append(out, n)
	}
	return out
}

func (v *validator) fargateSize(cpu, memory int) {
	memories, ok := fargateSizes[cpu]
	if !ok {
		return // the settings table reports the CPU value
	}
	if !slices.Contains(memories, memory) {
		v.addCross(KeyMemory, []string{KeyCPU}, "memory %d MiB does not go with cpu %d on Fargate: with cpu %d, memory allows %s", memory, cpu, cpu, describeSizes(memories))
	}
}

func describeSizes(memories []int) string {
	if len(memories) <= 3 {
		parts := make([]string, len(memories))
		for i, m := range memories {
			parts[i] = strconv.Itoa(m)
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprintf("%d to %d in steps of %d", memories[0], memories[len(memories)-1], memories[1]-memories[0])
}

var envNamePattern = lazyregexp.New(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (v *validator) environment(env []EnvVar) {
	seen := map[string]bool{}
	for _, e := range env {
		switch {
		case !envNamePattern.MatchString(e.Name):
			v.add(KeyEnv, "%q is not a valid variable name: use letters, digits and underscores, not starting with a digit (KEY=VALUE)", e.Name)
		case seen[e.Name]:
			v.add(KeyEnv, "%s is set twice: give each variable once", e.Name)
		case e.Value == "":
			// ECS drops an environment entry whose value is empty when it
			// registers the task definition, so the application would see the
			// variable unset, not empty (terraform-provider-aws #39533).
			v.add(KeyEnv, "%s has an empty value, and ECS drops such variables: the container would not see it at all. Give a value, or leave the variable out", e.Name)
		}
		seen[e.Name] = true
	}
}

var (
	clusterPattern = lazyregexp.New(`^[A-Za-z0-9_-]{1,255}$`)
)

// deployment checks that ECS can make progress in a rolling deployment. It
// rounds the lower bound up and the upper bound down: with one task,
// min-healthy-percent 50 and max-percent 150 both come to one task, so ECS
// can neither start a new task nor stop the old one.
func (v *validator) deployment(s Service, scaling Scaling) {
	lo, hi := s.DesiredCount, s.DesiredCount
	if scaling.Enabled() {
		lo, hi = max(scaling.MinCount, 1), scaling.MaxCount
	}
	for n := max(lo, 1); n <= hi; n++ {
		least := (n*s.MinHealthyPercent + 99) / 100
		most := n * s.MaxPercent / 100
		if most <= least {
			v.addCross(KeyMaxPercent, []string{KeyMinHealthyPercent, KeyDesiredCount, KeyMinCount, KeyMaxCount}, "with %d task(s), min-healthy-percent %d and max-percent %d both allow %d running task(s), so a deployment can neither start a new task nor stop an old one: lower min-healthy-percent or raise max-percent",
				n, s.MinHealthyPercent, s.MaxPercent, most)
			return
		}
	}
}

// maxWritablePaths bounds --writable-path: each is a volume and a mount
// point, and a handful covers every image we know.
const maxWritablePaths = 20

var writablePathPattern = lazyregexp.New(`^(/[A-Za-z0-9_.-]+)+$`)

// writablePaths checks the writable directories of a read-only root
// filesystem. Each becomes a task volume named after it, and ECS allows
// only letters, digits, hyphens and underscores, up to 255, in a volume
// name (ECS API reference, Volume), so paths keep to those characters and
// dots.
func (v *validator) writablePaths(c Container) {
	if len(c.WritablePaths) == 0 {
		return
	}
	if !c.ReadOnlyRootFilesystem {
		return // no effect; see Warnings
	}
	if len(c.WritablePaths) > maxWritablePaths {
		v.add(KeyWritablePath, "%d paths: allowed up to %d", len(c.WritablePaths), maxWritablePaths)
	}
	seen := map[string]bool{}
	for _, p := range c.WritablePaths {
		clean := strings.TrimSuffix(p, "/")
		switch {
		case !writablePathPattern.MatchString(clean) || len(clean) > 200:
			v.add(KeyWritablePath, "%q is not an absolute directory path: use / and letters, digits, dots, hyphens and underscores, up to 200 characters, e.g. /var/cache/nginx", p)
		case slices.Contains(strings.Split(clean, "/"), "..") || slices.Contains(strings.Split(clean, "/"), "."):
			v.add(KeyWritablePath, "%q has . or .. in it: give the directory's plain absolute path", p)
		case seen[clean]:
			v.add(KeyWritablePath, "%s is given twice", p)
		}
		seen[clean] = true
	}
}

// execAndReadOnly: the SSM agent that ECS Exec runs writes into the
// container's filesystem, so ECS Exec does not work with a read-only root
// filesystem (ECS developer guide, "Considerations for ECS Exec").
func (v *validator) execAndReadOnly(c Config) {
	if c.Service.EnableExec && c.Container.ReadOnlyRootFilesystem {
		v.addCross(KeyEnableExec, []string{KeyReadOnlyRootFS}, "ECS Exec does not work with a read-only root filesystem (its agent writes into the container): leave out enable-exec or read-only-root-fs")
	}
}

var (
	userName = lazyregexp.New(`^[A-Za-z_][A-Za-z0-9_.-]{0,31}$`)
	userID   = lazyregexp.New(`^[0-9]{1,10}$`)
)

// user checks the container's user: "user, user:group, uid, uid:gid,
// user:gid, uid:group" (ECS task definition parameters, "user"), where a
// name is a Linux user or group name of up to 32 characters and an ID a
// whole number up to 2147483647. Docker looks the names up in the image's
// /etc/passwd and /etc/group when the task starts.
func (v *validator) user(user string) {
	if user == "" {
		return
	}
	parts := strings.Split(user, ":")
	ok := len(parts) <= 2
	for _, p := range parts {
		if userID.MatchString(p) {
			n, err := strconv.Atoi(p)
			ok = ok && err == nil && n <= math.MaxInt32
			continue
		}
		ok = ok && userName.MatchString(p)
	}
	if !ok {
		v.add(KeyUser, "%q is not a user ECS takes: use USER, UID, USER:GROUP, UID:GID, USER:GID or UID:GROUP, where a name is letters, digits, _, . and - (not starting with a digit or -, up to 32) and an ID a whole number, such as 1000 or app:app", user)
	}
}

// rootUser reports whether user runs the container as root: the name root
// or the user ID 0, with any group.
func rootUser(user string) bool {
	name, _, _ := strings.Cut(user, ":")
	if name == "root" {
		return true
	}
	n, err := strconv.Atoi(name)
	return err == nil && n == 0
}

func (v *validator) containerHealthCheck(h ContainerHealthCheck) {
	if h.Command == "" {
		return
	}
	if strings.TrimSpace(h.Command) == "" || strings.ContainsAny(h.Command, "\n\r") {
		v.add(KeyContainerHealthCheck, "must be one shell command line, e.g. \"curl -f http://localhost/ || exit 1\"")
	}
	if h.Timeout >= h.Interval {
		v.addCross(KeyContainerHCTimeout, []string{KeyContainerHCInterval},
			"container-health-check-timeout %d s must be shorter than container-health-check-interval %d s", h.Timeout, h.Interval)
	}
}

func (v *validator) cluster(name string) {
	if name != "" && !clusterPattern.MatchString(name) {
		v.add(KeyCluster, "%q is not an ECS cluster name: use up to 255 letters, digits, hyphens and underscores", name)
	}
}
