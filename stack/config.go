// Package stack compiles a Config into a CloudFormation template for one
// container on ECS Fargate behind an HTTPS Application Load Balancer.
//
// Config holds every setting with safe defaults (Default), Validate reports
// every problem at once, and Build assembles the template. Each part of the
// architecture is built in its own file: parameters.go (parameters, conditions
// and console metadata), loadbalancer.go, iam.go, ecs.go, logs.go and
// outputs.go.
package stack

import "time"

// Config carries every setting of the stack. Start from Default and change
// what you need; the zero value is not valid.
type Config struct {
	// Name identifies the application. It names the container and prefixes
	// the log group and task family; physical names of replaceable resources
	// are left to CloudFormation so that two stacks never collide.
	Name string

	Container    Container
	Service      Service
	Scaling      Scaling
	HealthCheck  HealthCheck
	LoadBalancer LoadBalancer
	Domain       Domain
	Logs         Logs
	// Deployment is how ECS moves traffic to a new version: rolling, or
	// one of its blue/green strategies, with alarms that roll back.
	Deployment Deployment
	// Environment places the service in a shared environment: the load
	// balancer and the cluster belong to the environment's stack
	// (BuildEnvironment), and the service's template routes to it with a
	// listener rule. Off while Environment.Name is empty.
	Environment Environment

	// DeletionProtection turns on the load balancer's deletion protection
	// and keeps the log group when the stack is deleted.
	DeletionProtection bool
	// Hardened builds the template that passes the security controls of
	// Controls: a customer-managed KMS key for the log groups, access logs
	// to a bucket the stack creates (unless LoadBalancer.AccessLogs names
	// one), a WAF web ACL of AWS's common rule set (unless
	// LoadBalancer.WAFWebACLArn names one), managed IAM policies instead of
	// inline ones, and HTTPS only. The controls that have a setting of
	// their own (log retention, deletion protection, a read-only root
	// filesystem, ...) take their hardened values through ApplyHardened,
	// so that a setting the user gave keeps its value; Warnings names the
	// control each such value breaks. Validate requires Container.User.
	Hardened bool
	// Tags go on every taggable resource.
	Tags []Tag
}

// Deployment strategies: Deployment.Strategy.
const (
	StrategyRolling   = "rolling"
	StrategyBlueGreen = "blue-green"
	StrategyCanary    = "canary"
	StrategyLinear    = "linear"
)

// Deployment is how ECS replaces the tasks of the service. Rolling replaces
// them a few at a time behind one target group; the other strategies start
// the whole new version (green) beside the old (blue) in a second target
// group, and ECS moves the production listener rule's traffic to it: at
// once (blue-green), a canary share first (canary), or in equal steps
// (linear).
type Deployment struct {
	// Strategy is StrategyRolling, StrategyBlueGreen, StrategyCanary or
	// StrategyLinear.
	Strategy string
	// Bake is how long blue keeps running after all traffic is on green,
	// ready for an instant roll back. Whole minutes.
	Bake time.Duration
	// CanaryPercent of production traffic goes to green for CanaryWait
	// before the rest follows.
	CanaryPercent float64
	CanaryWait    time.Duration
	// LinearPercent of production traffic moves to green every
	// LinearInterval.
	LinearPercent  float64
	LinearInterval time.Duration
	// PauseBeforeProduction holds the deployment, with green running and
	// reachable through the test rule, until someone approves it (or
	// rejects it, which rolls back) or PauseTimeout passes (which rolls
	// back too).
	PauseBeforeProduction bool
	PauseTimeout          time.Duration
	// TestHeader, NAME=VALUE, adds a test listener rule: requests with the
	// header reach green while it is being tested. Empty means no test rule.
	TestHeader string
	// Rollback5xxPercent creates an alarm on the share of requests the
	// targets answer with 5xx, which rolls the deployment back; 0 is off.
	Rollback5xxPercent float64
	// RollbackLatencyP99 creates an alarm on the targets' p99 response
	// time, which rolls the deployment back; 0 is off.
	RollbackLatencyP99 time.Duration
	// RollbackAlarms are existing CloudWatch alarms, by name, that roll
	// the deployment back when they go to ALARM.
	RollbackAlarms []string
	// Weights are the production listener rule's forward weights of the
	// target group and the alternate one. The deploy command sets them to
	// the live rule's, so that a stack update never moves traffic; zero
	// means all traffic on the target group (100 and 0).
	Weights Weights
	// ForceNewDeployment makes the update force a new ECS deployment
	// (ForceNewDeployment.EnableForceNewDeployment). Not a setting: emit
	// leaves it false, and the deploy command sets it when the placement
	// (ForceNewDeploymentNonce) differs from the deployed template's, as
	// ECS refuses a new capacity provider strategy without a forced
	// deployment. Forcing on every update would make a change of the
	// desired count alone a full deployment, blue/green included.
	ForceNewDeployment bool
}

// Weights are the forward weights of the production listener rule, per
// target group.
type Weights struct {
	Primary, Alternate int
}

// Progressive reports whether the strategy is one of ECS's blue/green ones.
func (d Deployment) Progressive() bool {
	return d.Strategy != "" && d.Strategy != StrategyRolling
}

// Tag is a resource tag.
type Tag struct {
	Key   string
	Value string
}

// Container describes the one container the service runs.
type Container struct {
	Image       string
	Port        int
	CPU         int // CPU units for the task: 1024 is one vCPU.
	Memory      int // MiB for the task.
	Environment []EnvVar
	// Secrets are environment variables read by ECS, at task start, from
	// Secrets Manager or SSM Parameter Store.
	Secrets []Secret
	// Arch is the CPU architecture: ArchX86 or ArchARM64.
	Arch                   string
	ReadOnlyRootFilesystem bool
	// User is the user the container runs as, in one of the forms ECS
	// takes: user, uid, user:group, uid:gid, user:gid or uid:group. Empty
	// keeps the image's own user (root, in most images).
	User string
	// WritablePaths are the directories the container can write to when
	// ReadOnlyRootFilesystem is on: each is a volume on the task's
	// ephemeral storage. Empty means DefaultWritablePaths.
	WritablePaths []string
	// EphemeralStorage is the task's storage in GiB, 21 to 200; 0 keeps
	// Fargate's default of 20 GiB.
	EphemeralStorage int
	HealthCheck      ContainerHealthCheck
}

// DefaultWritablePaths are writable under a read-only root filesystem
// unless Container.WritablePaths says otherwise: most images and language
// runtimes write temporary files to /tmp.
var DefaultWritablePaths = []string{"/tmp"}

// CPU architectures of Container.Arch.
const (
	ArchX86   = "x86_64"
	ArchARM64 = "arm64"
)

// Secret is an environment variable whose value ECS reads from a Secrets
// Manager secret or an SSM parameter.
type Secret struct {
	Name string
	// From is where the value is: an ARN, an SSM parameter name
	// (/prod/db/password, or password at the top level), or
	// secretsmanager:NAME[:json-key:version-stage:version-id]. A name
	// becomes an ARN of the stack's own partition, region and account
	// (ParseSecret).
	From string
}

// ContainerHealthCheck is the container's own health check, run by ECS
// inside the container. It is off while Command is empty.
type ContainerHealthCheck struct {
	Command     string // run with CMD-SHELL, e.g. "curl -f http://localhost/ || exit 1"
	Interval    int    // seconds
	Timeout     int    // seconds
	Retries     int
	StartPeriod int // seconds
}

// EnvVar is one plain environment variable of the container.
type EnvVar struct {
	Name  string
	Value string
}

// Service describes how ECS runs the tasks.
type Service struct {
	DesiredCount int
	// PublicTasks places tasks in the public subnets with a public IP. It is
	// only the default of the AssignPublicIp parameter.
	PublicTasks bool
	// HealthCheckGracePeriod is how long, in seconds, ECS ignores failing
	// load-balancer health checks of a new task.
	HealthCheckGracePeriod int
	ContainerInsights      bool
	// CircuitBreaker stops and rolls back a deployment whose tasks never
	// become healthy, instead of letting ECS retry for hours.
	CircuitBreaker bool
	// MinHealthyPercent and MaxPercent bound the running tasks during a
	// deployment, as percentages of the desired count.
	MinHealthyPercent int
	MaxPercent        int
	// EnableExec turns on ECS Exec (aws ecs execute-command).
	EnableExec bool
	// Cluster is the name of an existing cluster to join; empty creates one.
	Cluster string
	// PlatformVersion is the Fargate platform version, e.g. LATEST or 1.4.0.
	PlatformVersion string
	Spot            Spot
}

// Spot runs tasks on Fargate Spot.
type Spot struct {
	Enabled bool
	// Base tasks always run on regular Fargate. Fargate never moves a task
	// from Spot to regular capacity when Spot capacity runs short (ECS best
	// practices guide, "Fargate Spot"), so the default keeps one there.
	Base int
	// Weight is how many Spot tasks run, beyond the base, for each regular
	// one; 0 runs every task beyond the base on Spot.
	Weight int
}

// Scaling is target-tracking autoscaling of the task count. It is off while
// MaxCount is 0.
type Scaling struct {
	MinCount int
	MaxCount int
	// CPUPercent is the average CPU utilisation to hold; 0 turns it off.
	CPUPercent int
	// RequestsPerTarget is the ALB requests per task per minute to hold; 0
	// turns it off.
	RequestsPerTarget int
	ScaleInCooldown   int // seconds
	ScaleOutCooldown  int // seconds
}

// Enabled reports whether autoscaling is on.
func (s Scaling) Enabled() bool { return s.MaxCount > 0 }

// Domain serves the service under a custom domain name, with records in a
// Route 53 hosted zone. It is off while Name is empty.
type Domain struct {
	Name         string
	HostedZoneID string
}

// HealthCheck is the target group's health check.
type HealthCheck struct {
	Path               string
	Matcher            string // HTTP codes: "200", "200,204" or "200-299".
	Interval           int    // seconds
	Timeout            int    // seconds
	HealthyThreshold   int
	UnhealthyThreshold int
}

// LoadBalancer holds the settings of the ALB and its listeners.
type LoadBalancer struct {
	SSLPolicy string
	// DeregistrationDelay is how long, in seconds, the target group drains a
	// stopping task. AWS's default of 300 s makes every deploy slow.
	DeregistrationDelay int
	// Internal makes the load balancer internal, in the private subnets.
	Internal bool
	// AllowCIDRs replaces "anywhere" as the source of HTTP and HTTPS
	// traffic; an internal load balancer needs at least one.
	AllowCIDRs []string
	AccessLogs AccessLogs
	// WAFWebACLArn associates a regional AWS WAF web ACL.
	WAFWebACLArn string
	// IdleTimeout is the connection idle timeout in seconds; 0 keeps AWS's
	// default of 60.
	IdleTimeout int
	// Stickiness is the load-balancer cookie's lifetime in seconds; 0 turns
	// sticky sessions off.
	Stickiness int
	// DisableHTTP2 turns off HTTP/2 between clients and the load balancer.
	DisableHTTP2 bool
	// DualStack gives the load balancer IPv6 addresses as well as IPv4
	// ones. Its subnets need IPv6 ranges.
	DualStack bool
	// ExtraCertificates is how many certificates the HTTPS listener
	// serves besides the default one, each a parameter (SNI picks the one
	// that matches the host).
	ExtraCertificates int
}

// Environment is where a service runs in a shared environment, and which
// requests its listener rule sends to it.
type Environment struct {
	// Name is the environment's name; its stack is EnvironmentStackName.
	Name string
	// Hosts are host-header values (app.example.com, *.example.com), and
	// Paths path-pattern values (/api/*); a request matches when its host
	// is one of Hosts (or Hosts is empty) and its path one of Paths (or
	// Paths is empty). At least one of the two is needed.
	Hosts []string
	Paths []string
	// Priority is the listener rule's priority, 1 to 50000; 0 derives it
	// from the service's name (RulePriority).
	Priority int
	// Dedicated keeps a load balancer and cluster of the service's own in
	// the named environment, as a security boundary: the environment then
	// names the config layer and the stack, not a shared stack.
	Dedicated bool
}

// Shared reports whether the service runs in a shared environment's load
// balancer and cluster.
func (e Environment) Shared() bool { return e.Name != "" && !e.Dedicated }

// AccessLogs writes the load balancer's access logs to S3. It is off while
// Bucket is empty.
type AccessLogs struct {
	Bucket string
	Prefix string
}

// Logs configures the container's log group.
type Logs struct {
	RetentionDays int
}

// DefaultImage is the built-in image: the blog post's nginx, from ECR
// Public rather than Docker Hub, whose anonymous pulls are rate-limited per
// source IP (shared by every task behind one NAT gateway), and with a
// stable-branch tag rather than the moving "latest". ECS resolves the tag
// to a digest once per deployment, so every task of a deployment runs the
// same image.
const DefaultImage = "public.ecr.aws/nginx/nginx:1.28"

// DefaultSSLPolicy is the HTTPS listener's security policy: the one AWS
// recommends and the ELB console's default, hybrid post-quantum key
// exchange with TLS 1.3 and a restricted TLS 1.2 (ELB user guide,
// "Security policies for your Application Load Balancer").
const DefaultSSLPolicy = "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
