package stack_test

import (
	"time"

	"github.com/cfnfargate/cfnfargate/stack"
)

// variant is a named configuration with a golden template in testdata/.
type variant struct {
	name string
	cfg  func() stack.Config
	// environment builds an environment's stack (BuildEnvironment)
	// instead of a service's.
	environment bool
	// parameters, when not nil, instantiates the template for these
	// parameter values (instantiate): the golden file shows what
	// CloudFormation builds from it.
	parameters map[string]string
}

// variants are the configurations with golden files; the end-to-end test
// deploys each of them too.
var variants = []variant{
	{name: "default", cfg: stack.Default},
	{name: "public-tasks", cfg: func() stack.Config {
		c := stack.Default()
		c.Service.PublicTasks = true
		return c
	}},
	{name: "port-8080", cfg: func() stack.Config {
		c := stack.Default()
		c.Container.Port = 8080
		c.HealthCheck.Path = "/healthz"
		c.HealthCheck.Matcher = "200-299"
		return c
	}},
	{name: "large", cfg: func() stack.Config {
		c := stack.Default()
		c.Container.CPU = 4096
		c.Container.Memory = 16384
		c.Service.DesiredCount = 3
		return c
	}},
	{name: "ecr-image", cfg: func() stack.Config {
		c := stack.Default()
		c.Name = "billing-api"
		c.Container.Image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/billing-api:v1.4.2"
		return c
	}},
	{name: "custom-env", cfg: func() stack.Config {
		c := stack.Default()
		c.Container.Environment = []stack.EnvVar{
			{Name: "BUILD", Value: "v2.0.0"},
			{Name: "LOG_LEVEL", Value: "debug"},
			{Name: "GREETING", Value: "<hello & welcome>"},
			{Name: "SPACE", Value: " "},
		}
		c.Service.ContainerInsights = false
		c.Logs.RetentionDays = 0
		return c
	}},
}

// featureVariants turn on one production feature each, then combinations,
// then everything at once.
var featureVariants = []variant{
	{name: "autoscaling", cfg: func() stack.Config {
		c := stack.Default()
		c.Scaling = stack.Scaling{MinCount: 2, MaxCount: 10, CPUPercent: 60, RequestsPerTarget: 1000, ScaleInCooldown: 300, ScaleOutCooldown: 60}
		return c
	}},
	{name: "domain", cfg: func() stack.Config {
		c := stack.Default()
		c.Domain = stack.Domain{Name: "app.example.com", HostedZoneID: "Z0123456789ABCDEFGHIJ"}
		return c
	}},
	{name: "secrets", cfg: func() stack.Config {
		c := stack.Default()
		c.Container.Secrets = []stack.Secret{
			{Name: "DB_PASSWORD", From: "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"},
			{Name: "DB_USER", From: "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf:username::"},
			{Name: "API_KEY", From: "arn:aws:secretsmanager:us-east-1:123456789012:secret:api-key"},
			{Name: "FEATURE_FLAGS", From: "arn:aws:ssm:us-east-1:123456789012:parameter/app/flags"},
			// By name: ARNs of the stack's own partition, region and account.
			{Name: "DB_HOST", From: "/prod/db/host"},
			{Name: "LICENSE", From: "license"},
			{Name: "DB_ADMIN", From: "secretsmanager:prod/admin:password::"},
			{Name: "SHARED_TOKEN", From: "/aws/reference/secretsmanager/shared/token"},
		}
		return c
	}},
	{name: "exec", cfg: func() stack.Config {
		c := stack.Default()
		c.Service.EnableExec = true
		return c
	}},
	{name: "spot", cfg: func() stack.Config {
		c := stack.Default()
		c.Service.Spot = stack.Spot{Enabled: true, Base: 1, Weight: 3}
		return c
	}},
	{name: "arm64", cfg: func() stack.Config {
		c := stack.Default()
		c.Container.Arch = stack.ArchARM64
		return c
	}},
	{name: "internal", cfg: func() stack.Config {
		c := stack.Default()
		c.LoadBalancer.Internal = true
		c.LoadBalancer.DualStack = true
		c.LoadBalancer.AllowCIDRs = []string{"10.0.0.0/8", "fd00::/8"}
		return c
	}},
	{name: "access-logs", cfg: func() stack.Config {
		c := stack.Default()
		c.LoadBalancer.AccessLogs = stack.AccessLogs{Bucket: "example-alb-logs", Prefix: "example-app"}
		return c
	}},
	{name: "deletion-protection", cfg: func() stack.Config {
		c := stack.Default()
		c.DeletionProtection = true
		return c
	}},
	{name: "waf", cfg: func() stack.Config {
		c := stack.Default()
		c.LoadBalancer.WAFWebACLArn = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/example/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
		return c
	}},
	{name: "deployment-tuning", cfg: func() stack.Config {
		c := stack.Default()
		// Two tasks: with one, 50% and 150% both round to one task and a
		// deployment could not move.
		c.Service.DesiredCount = 2
		c.Service.MinHealthyPercent = 50
		c.Service.MaxPercent = 150
		c.LoadBalancer.DeregistrationDelay = 10
		return c
	}},
	{name: "container-health-check", cfg: func() stack.Config {
		c := stack.Default()
		c.Container.HealthCheck = stack.ContainerHealthCheck{Command: "curl -f http://localhost/ || exit 1", Interval: 15, Timeout: 5, Retries: 3, StartPeriod: 30}
		return c
	}},
	{name: "existing-cluster", cfg: func() stack.Config {
		c := stack.Default()
		c.Service.Cluster = "shared-cluster"
		return c
	}},
	{name: "read-only-root-fs", cfg: func() stack.Config {
		c := stack.Default()
		c.Container.ReadOnlyRootFilesystem = true
		// The README's read-only root filesystem example: what the default nginx image
		// needs to start read-only.
		c.Container.WritablePaths = []string{"/tmp", "/var/cache/nginx", "/var/run"}
		c.Container.EphemeralStorage = 50
		c.Service.PlatformVersion = "1.4.0"
		return c
	}},
	{name: "stickiness", cfg: func() stack.Config {
		c := stack.Default()
		c.LoadBalancer.Stickiness = 3600
		c.LoadBalancer.IdleTimeout = 120
		c.LoadBalancer.DisableHTTP2 = true
		return c
	}},
	{name: "tags", cfg: func() stack.Config {
		c := stack.Default()
		c.Tags = []stack.Tag{{Key: "team", Value: "payments"}, {Key: "cost-center", Value: "42"}}
		return c
	}},
	{name: "spot-autoscaling", cfg: func() stack.Config {
		c := stack.Default()
		// All on Spot: an explicit choice, with spot-base 0.
		c.Service.Spot = stack.Spot{Enabled: true, Base: 0}
		c.Scaling = stack.Scaling{MinCount: 1, MaxCount: 4, CPUPercent: 70, ScaleInCooldown: 300, ScaleOutCooldown: 60}
		return c
	}},
	{name: "internal-domain", cfg: func() stack.Config {
		c := stack.Default()
		c.LoadBalancer.Internal = true
		c.LoadBalancer.AllowCIDRs = []string{"10.0.0.0/16"}
		c.Domain = stack.Domain{Name: "app.internal.example.com", HostedZoneID: "Z0123456789ABCDEFGHIJ"}
		return c
	}},
	{name: "exec-secrets", cfg: func() stack.Config {
		c := stack.Default()
		c.Service.EnableExec = true
		c.Container.Secrets = []stack.Secret{{Name: "TOKEN", From: "arn:aws:ssm:us-east-1:123456789012:parameter/token"}}
		return c
	}},
	{name: "everything", cfg: everything},
	{name: "rollback-alarms", cfg: func() stack.Config {
		c := stack.Default()
		c.Deployment.Rollback5xxPercent = 2.5
		c.Deployment.RollbackLatencyP99 = 1500 * time.Millisecond
		c.Deployment.RollbackAlarms = []string{"payments-errors"}
		return c
	}},
	{name: "blue-green", cfg: func() stack.Config {
		c := stack.Default()
		c.Deployment.Strategy = stack.StrategyBlueGreen
		return c
	}},
	{name: "canary", cfg: func() stack.Config {
		c := stack.Default()
		c.Deployment.Strategy = stack.StrategyCanary
		c.Deployment.CanaryPercent = 5
		c.Deployment.CanaryWait = 15 * time.Minute
		c.Deployment.PauseBeforeProduction = true
		c.Deployment.TestHeader = "x-cfnfargate-test=1"
		c.Deployment.Rollback5xxPercent = 1
		c.Deployment.RollbackLatencyP99 = 2 * time.Second
		c.Deployment.RollbackAlarms = []string{"payments-errors"}
		return c
	}},
	{name: "blue-green-autoscaling", cfg: func() stack.Config {
		c := stack.Default()
		c.Deployment.Strategy = stack.StrategyBlueGreen
		c.Scaling = stack.Scaling{MinCount: 2, MaxCount: 10, CPUPercent: 60, RequestsPerTarget: 1000, ScaleInCooldown: 300, ScaleOutCooldown: 60}
		return c
	}},
	{name: "linear", cfg: func() stack.Config {
		c := stack.Default()
		c.Deployment.Strategy = stack.StrategyLinear
		c.Deployment.LinearPercent = 25
		c.Deployment.LinearInterval = 2 * time.Minute
		c.Deployment.Bake = 0
		c.LoadBalancer.Internal = true
		c.LoadBalancer.AllowCIDRs = []string{"10.0.0.0/16"}
		return c
	}},
	// Last: TestDeployToMoto lets the domain variants at even positions
	// create their certificate, and for internal-domain and everything that
	// fails in moto 5.2 (a KeyError: 'CertificateArn' in its elbv2 model's
	// convert_and_validate_certificates); a variant added before them would
	// move them to even positions.
	{name: "hardened", cfg: hardened},
}

// hardened is --hardened as the README shows it: an image that runs as
// uid 1000 on port 8080 and writes to /tmp only. Its settings come from
// ApplyHardened, as the command line's do.
func hardened() stack.Config {
	c := stack.Default()
	c.Name = "shop"
	c.Container.Image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop:v1.4.2"
	c.Container.Port = 8080
	c.Container.User = "1000:1000"
	c.HealthCheck.Path = "/healthz"
	c.Hardened = true
	c.ApplyHardened(nil)
	return c
}

// everything turns on every feature at once.
func everything() stack.Config {
	c := stack.Default()
	c.Name = "everything-app"
	c.Container.Image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/everything-app:v1"
	c.Container.Port = 8080
	c.Container.CPU = 1024
	c.Container.Memory = 2048
	c.Container.Environment = []stack.EnvVar{{Name: "BUILD", Value: "v3"}, {Name: "MODE", Value: "production"}}
	c.Container.Secrets = []stack.Secret{
		{Name: "DB_PASSWORD", From: "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"},
		{Name: "FLAGS", From: "arn:aws:ssm:us-east-1:123456789012:parameter/app/flags"},
	}
	// Not ReadOnlyRootFilesystem: ECS Exec cannot run with it, and
	// Validate refuses the pair. Spot runs arm64 on platform 1.4.0.
	c.Container.Arch = stack.ArchARM64
	c.Container.EphemeralStorage = 30
	c.Container.HealthCheck = stack.ContainerHealthCheck{Command: "curl -f http://localhost:8080/health || exit 1", Interval: 30, Timeout: 5, Retries: 3, StartPeriod: 10}
	c.Service.EnableExec = true
	c.Service.Spot = stack.Spot{Enabled: true, Base: 1, Weight: 2}
	c.Service.MinHealthyPercent = 50
	c.Service.MaxPercent = 200
	c.Service.PlatformVersion = "1.4.0"
	c.Scaling = stack.Scaling{MinCount: 2, MaxCount: 20, CPUPercent: 60, RequestsPerTarget: 500, ScaleInCooldown: 300, ScaleOutCooldown: 60}
	c.HealthCheck.Path = "/health"
	c.HealthCheck.Interval = 30
	c.HealthCheck.Timeout = 5
	c.LoadBalancer.DualStack = true
	c.LoadBalancer.AllowCIDRs = []string{"203.0.113.0/24", "2001:db8::/32"}
	c.LoadBalancer.AccessLogs = stack.AccessLogs{Bucket: "example-alb-logs", Prefix: "everything"}
	c.LoadBalancer.WAFWebACLArn = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/example/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
	c.LoadBalancer.IdleTimeout = 120
	c.LoadBalancer.Stickiness = 3600
	c.LoadBalancer.DeregistrationDelay = 15
	c.Domain = stack.Domain{Name: "everything.example.com", HostedZoneID: "Z0123456789ABCDEFGHIJ"}
	c.DeletionProtection = true
	c.Tags = []stack.Tag{{Key: "team", Value: "platform"}}
	c.Logs.RetentionDays = 90
	return c
}

// allVariants is every configuration with a golden file.
func allVariants() []variant {
	return append(append([]variant{}, variants...), featureVariants...)
}

// environmentVariants are shared environments and services in them: their
// templates have golden files, pass cfn-lint and the AWS rules, and
// TestEnvironmentAgainstMoto deploys them.
var environmentVariants = []variant{
	{name: "environment", cfg: func() stack.Config {
		c := stack.Default()
		c.Environment.Name = "staging"
		return c
	}, environment: true},
	{name: "environment-everything", cfg: func() stack.Config {
		c := stack.Default()
		c.Environment.Name = "prod"
		c.LoadBalancer.DualStack = true
		c.LoadBalancer.AllowCIDRs = []string{"203.0.113.0/24", "2001:db8::/32"}
		c.LoadBalancer.AccessLogs = stack.AccessLogs{Bucket: "example-alb-logs", Prefix: "prod"}
		c.LoadBalancer.WAFWebACLArn = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/example/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
		c.LoadBalancer.IdleTimeout = 120
		c.LoadBalancer.ExtraCertificates = 2
		c.DeletionProtection = true
		c.Tags = []stack.Tag{{Key: "team", Value: "platform"}}
		return c
	}, environment: true},
	{name: "environment-hardened", cfg: func() stack.Config {
		c := stack.Default()
		c.Environment.Name = "secure"
		c.Hardened = true
		c.ApplyHardened(nil)
		return c
	}, environment: true},
	{name: "env-service-hardened", cfg: func() stack.Config {
		c := hardened()
		c.Environment = stack.Environment{Name: "secure", Hosts: []string{"shop.example.com"}}
		return c
	}},
	{name: "env-service", cfg: func() stack.Config {
		c := stack.Default()
		c.Name = "api"
		c.Environment = stack.Environment{Name: "staging", Hosts: []string{"api.example.com"}}
		return c
	}},
	{name: "env-service-path-domain", cfg: func() stack.Config {
		c := stack.Default()
		c.Name = "orders"
		c.Environment = stack.Environment{Name: "prod", Paths: []string{"/orders", "/orders/*"}, Hosts: []string{"shop.example.com"}}
		c.Domain = stack.Domain{Name: "shop.example.com", HostedZoneID: "Z0123456789ABCDEFGHIJ"}
		c.Service.Spot = stack.Spot{Enabled: true, Base: 1, Weight: 2}
		c.Scaling = stack.Scaling{MinCount: 2, MaxCount: 6, RequestsPerTarget: 500, ScaleInCooldown: 300, ScaleOutCooldown: 60}
		return c
	}},
	{name: "env-service-canary", cfg: func() stack.Config {
		c := stack.Default()
		c.Name = "checkout"
		c.Environment = stack.Environment{Name: "prod", Hosts: []string{"checkout.example.com"}}
		c.Deployment.Strategy = stack.StrategyCanary
		c.Deployment.PauseBeforeProduction = true
		c.Deployment.Rollback5xxPercent = 1
		return c
	}},
}

// instantiatedVariants are templates as CloudFormation builds them for
// some parameter values, where a condition of the template makes the
// difference: the golden file shows the result, and it passes cfn-lint
// and the AWS rules as a template of its own.
var instantiatedVariants = []variant{
	// The default template without a certificate: the HTTP listener
	// forwards, and there is no HTTPS listener.
	{name: "http-only", cfg: stack.Default, parameters: map[string]string{stack.ParamCertificateArn: ""}},
}

// goldenVariants is every configuration with a golden file: the services
// with a load balancer of their own, then the environments and the
// services in them, then the instantiated templates.
func goldenVariants() []variant {
	return append(append(allVariants(), environmentVariants...), instantiatedVariants...)
}
