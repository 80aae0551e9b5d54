package stack_test

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cfnfargate/cfnfargate/stack"
)

// TestValidateRejects feeds a bad value to every setting and proves the
// problem names that setting and says what is allowed, and that Build
// refuses the same config with the same problems.
func TestValidateRejects(t *testing.T) {
	tests := []struct {
		name   string
		change func(*stack.Config)
		key    string
		want   string
	}{
		{"name with space", func(c *stack.Config) { c.Name = "my app" }, "name", "only letters, digits and hyphens"},
		{"name with underscore", func(c *stack.Config) { c.Name = "my_app" }, "name", "only letters, digits and hyphens"},
		{"name too long", func(c *stack.Config) { c.Name = strings.Repeat("a", 65) }, "name", "allowed up to 64"},
		{"empty image", func(c *stack.Config) { c.Container.Image = "" }, "image", "must not be empty"},
		{"image with space", func(c *stack.Config) { c.Container.Image = "nginx latest" }, "image", "not a valid image reference"},
		{"uppercase repository", func(c *stack.Config) { c.Container.Image = "Nginx:1" }, "image", "lowercase repository"},
		{"image too long", func(c *stack.Config) { c.Container.Image = "a/" + strings.Repeat("b", 300) }, "image", "allowed up to 255"},
		{"port zero", func(c *stack.Config) { c.Container.Port = 0 }, "container-port", "allowed 1 to 65535"},
		{"port too high", func(c *stack.Config) { c.Container.Port = 70000 }, "container-port", "allowed 1 to 65535"},
		{"cpu not fargate", func(c *stack.Config) { c.Container.CPU = 300 }, "cpu", "use 256, 512"},
		{"memory too small for cpu", func(c *stack.Config) { c.Container.CPU = 1024; c.Container.Memory = 512 }, "memory", "memory 512 MiB does not go with cpu 1024 on Fargate: with cpu 1024, memory allows 2048 to 8192 in steps of 1024"},
		{"memory off step", func(c *stack.Config) { c.Container.CPU = 8192; c.Container.Memory = 17000 }, "memory", "in steps of 4096"},
		{"negative desired count", func(c *stack.Config) { c.Service.DesiredCount = -1 }, "desired-count", "allowed 0 to 5000"},
		{"env bad name", func(c *stack.Config) { c.Container.Environment = []stack.EnvVar{{Name: "1X", Value: "v"}} }, "env", "not a valid variable name"},
		{"env empty name", func(c *stack.Config) { c.Container.Environment = []stack.EnvVar{{Name: "", Value: "v"}} }, "env", "not a valid variable name"},
		{"env duplicate", func(c *stack.Config) {
			c.Container.Environment = []stack.EnvVar{{Name: "A", Value: "1"}, {Name: "A", Value: "2"}}
		}, "env", "set twice"},
		{"path without slash", func(c *stack.Config) { c.HealthCheck.Path = "health" }, "health-check-path", "must start with /"},
		{"path with space", func(c *stack.Config) { c.HealthCheck.Path = "/a b" }, "health-check-path", "not allowed in a URL path"},
		{"path too long", func(c *stack.Config) { c.HealthCheck.Path = "/" + strings.Repeat("a", 1024) }, "health-check-path", "allowed up to 1024"},
		{"matcher word", func(c *stack.Config) { c.HealthCheck.Matcher = "ok" }, "health-check-matcher", "not well formed"},
		{"matcher 5xx", func(c *stack.Config) { c.HealthCheck.Matcher = "500" }, "health-check-matcher", "out of range"},
		{"matcher backwards range", func(c *stack.Config) { c.HealthCheck.Matcher = "299-200" }, "health-check-matcher", "out of range"},
		{"matcher trailing comma", func(c *stack.Config) { c.HealthCheck.Matcher = "200," }, "health-check-matcher", "not well formed"},
		{"interval too short", func(c *stack.Config) { c.HealthCheck.Interval = 4; c.HealthCheck.Timeout = 2 }, "health-check-interval", "allowed 5 to 300"},
		{"timeout too short", func(c *stack.Config) { c.HealthCheck.Timeout = 1 }, "health-check-timeout", "allowed 2 to 120"},
		{"timeout not below interval", func(c *stack.Config) { c.HealthCheck.Interval = 10; c.HealthCheck.Timeout = 10 }, "health-check-timeout", "health-check-timeout 10 s must be shorter than health-check-interval 10 s"},
		{"healthy threshold", func(c *stack.Config) { c.HealthCheck.HealthyThreshold = 11 }, "healthy-threshold", "allowed 2 to 10"},
		{"unhealthy threshold", func(c *stack.Config) { c.HealthCheck.UnhealthyThreshold = 1 }, "unhealthy-threshold", "allowed 2 to 10"},
		{"grace period negative", func(c *stack.Config) { c.Service.HealthCheckGracePeriod = -5 }, "health-check-grace-period", "out of range"},
		{"log retention", func(c *stack.Config) { c.Logs.RetentionDays = 31 }, "log-retention-days", "use 1, 3, 5"},
		{"ssl policy", func(c *stack.Config) { c.LoadBalancer.SSLPolicy = "TLS13" }, "ssl-policy", "not an ELB security policy name"},
		{"ssl policy with spaces", func(c *stack.Config) { c.LoadBalancer.SSLPolicy = "ELBSecurityPolicy-TLS13 1-2" }, "ssl-policy", "not an ELB security policy name"},
		{"empty env value", func(c *stack.Config) { c.Container.Environment = []stack.EnvVar{{Name: "EMPTY", Value: ""}} }, "env", "ECS drops such variables"},
		{"writable path relative", func(c *stack.Config) {
			c.Container.ReadOnlyRootFilesystem = true
			c.Container.WritablePaths = []string{"tmp"}
		}, "writable-path", "not an absolute directory path"},
		{"writable path root", func(c *stack.Config) {
			c.Container.ReadOnlyRootFilesystem = true
			c.Container.WritablePaths = []string{"/"}
		}, "writable-path", "not an absolute directory path"},
		{"writable path dot-dot", func(c *stack.Config) {
			c.Container.ReadOnlyRootFilesystem = true
			c.Container.WritablePaths = []string{"/var/../etc"}
		}, "writable-path", "has . or .."},
		{"writable path twice", func(c *stack.Config) {
			c.Container.ReadOnlyRootFilesystem = true
			c.Container.WritablePaths = []string{"/tmp", "/tmp/"}
		}, "writable-path", "given twice"},
		{"writable path characters", func(c *stack.Config) {
			c.Container.ReadOnlyRootFilesystem = true
			c.Container.WritablePaths = []string{"/my dir"}
		}, "writable-path", "not an absolute directory path"},
		{"deregistration delay", func(c *stack.Config) { c.LoadBalancer.DeregistrationDelay = 4000 }, "deregistration-delay", "allowed 0 to 3600"},

		// Production features.
		{"scaling without target", func(c *stack.Config) { c.Scaling.MaxCount = 4 }, "max-count", "needs a target"},
		{"scaling min above max", func(c *stack.Config) { c.Scaling = stack.Scaling{MinCount: 5, MaxCount: 2, CPUPercent: 50} }, "min-count", "above max-count"},
		{"scaling cpu over 100", func(c *stack.Config) { c.Scaling = stack.Scaling{MaxCount: 2, CPUPercent: 150} }, "scale-cpu-percent", "allowed 1 to 100"},
		{"scaling negative requests", func(c *stack.Config) { c.Scaling = stack.Scaling{MaxCount: 2, RequestsPerTarget: -1} }, "scale-requests-per-target", "allowed 1 to"},
		{"scaling cooldown", func(c *stack.Config) {
			c.Scaling = stack.Scaling{MaxCount: 2, CPUPercent: 50, ScaleInCooldown: -1}
		}, "scale-in-cooldown", "allowed 0 to 3600"},
		{"domain not qualified", func(c *stack.Config) { c.Domain = stack.Domain{Name: "localhost", HostedZoneID: "Z1"} }, "domain-name", "not a fully qualified domain name"},
		{"domain uppercase", func(c *stack.Config) { c.Domain = stack.Domain{Name: "App.Example.com", HostedZoneID: "Z1"} }, "domain-name", "lowercase labels"},
		{"domain without zone", func(c *stack.Config) { c.Domain.Name = "app.example.com" }, "domain-name", "app.example.com needs the Route 53 hosted zone"},
		{"zone with prefix", func(c *stack.Config) {
			c.Domain = stack.Domain{Name: "app.example.com", HostedZoneID: "/hostedzone/Z1"}
		}, "hosted-zone-id", "not a Route 53 hosted zone ID"},
		{"secret bad ARN", func(c *stack.Config) { c.Container.Secrets = []stack.Secret{{Name: "A", From: "arn:aws:s3:::bucket"}} }, "secret", "not a Secrets Manager secret ARN"},
		{"secret bad name", func(c *stack.Config) {
			c.Container.Secrets = []stack.Secret{{Name: "A-B", From: "arn:aws:ssm:us-east-1:123456789012:parameter/x"}}
		}, "secret", "not a valid variable name"},
		{"secret shadows env", func(c *stack.Config) {
			c.Container.Environment = []stack.EnvVar{{Name: "BUILD", Value: "v1"}}
			c.Container.Secrets = []stack.Secret{{Name: "BUILD", From: "arn:aws:ssm:us-east-1:123456789012:parameter/x"}}
		}, "secret", "set twice"},
		{"spot weight too high", func(c *stack.Config) { c.Service.Spot = stack.Spot{Enabled: true, Weight: 5000} }, "spot-weight", "allowed 0 to 1000"},
		{"arch", func(c *stack.Config) { c.Container.Arch = "arm" }, "arch", "use x86_64 or arm64"},
		{"internal without cidr", func(c *stack.Config) { c.LoadBalancer.Internal = true }, "allow-cidr", "needs at least one source network"},
		{"cidr not a network", func(c *stack.Config) { c.LoadBalancer.AllowCIDRs = []string{"10.0.0.1/8"} }, "allow-cidr", "no host bits set"},
		{"cidr garbage", func(c *stack.Config) { c.LoadBalancer.AllowCIDRs = []string{"office"} }, "allow-cidr", "not a network in CIDR notation"},
		{"bucket name", func(c *stack.Config) { c.LoadBalancer.AccessLogs.Bucket = "My_Bucket" }, "access-logs-bucket", "not an S3 bucket name"},
		{"bucket as IP", func(c *stack.Config) { c.LoadBalancer.AccessLogs.Bucket = "192.168.1.1" }, "access-logs-bucket", "not an S3 bucket name"},
		{"prefix with AWSLogs", func(c *stack.Config) {
			c.LoadBalancer.AccessLogs = stack.AccessLogs{Bucket: "logs-bucket", Prefix: "AWSLogs"}
		}, "access-logs-prefix", "not allowed"},
		{"waf global ACL", func(c *stack.Config) {
			c.LoadBalancer.WAFWebACLArn = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
		}, "waf-acl-arn", "not a regional WAFv2 web ACL ARN"},
		{"min healthy over 100", func(c *stack.Config) { c.Service.MinHealthyPercent = 101 }, "min-healthy-percent", "allowed 0 to 100"},
		{"max percent under 100", func(c *stack.Config) { c.Service.MaxPercent = 90 }, "max-percent", "allowed 100 to 400"},
		{"max not above min", func(c *stack.Config) { c.Service.MinHealthyPercent = 100; c.Service.MaxPercent = 100 }, "max-percent", "can neither start a new task nor stop an old one"},
		{"percentages round to one task", func(c *stack.Config) { c.Service.MinHealthyPercent = 50; c.Service.MaxPercent = 150 }, "max-percent", "with 1 task(s)"},
		{"percentages stuck at the autoscaling minimum", func(c *stack.Config) {
			c.Service.MinHealthyPercent = 60
			c.Service.MaxPercent = 120
			c.Scaling = stack.Scaling{MinCount: 2, MaxCount: 10, CPUPercent: 50}
		}, "max-percent", "with 2 task(s)"},
		{"domain too long for a certificate", func(c *stack.Config) {
			c.Domain = stack.Domain{Name: strings.Repeat("a", 60) + ".example.com", HostedZoneID: "Z1"}
		}, "domain-name", "allows up to 64"},
		{"cidr twice", func(c *stack.Config) { c.LoadBalancer.AllowCIDRs = []string{"10.0.0.0/8", "10.0.0.0/8"} }, "allow-cidr", "given twice"},
		{"too many networks", func(c *stack.Config) {
			for i := 0; i < 31; i++ {
				c.LoadBalancer.AllowCIDRs = append(c.LoadBalancer.AllowCIDRs, fmt.Sprintf("10.%d.0.0/16", i))
			}
		}, "allow-cidr", "allowed up to 30"},
		{"IPv6 network without dual stack", func(c *stack.Config) { c.LoadBalancer.AllowCIDRs = []string{"2001:db8::/32"} }, "allow-cidr", "turn dualstack on"},
		{"two networks in one value", func(c *stack.Config) { c.LoadBalancer.AllowCIDRs = []string{"10.0.0.0/8,192.168.0.0/16"} }, "allow-cidr", "give one network per allow-cidr value"},
		{"platform 1.3.0", func(c *stack.Config) { c.Service.PlatformVersion = "1.3.0" }, "platform-version", "1.3.0 lacks"},
		{"negative min count", func(c *stack.Config) { c.Scaling = stack.Scaling{MinCount: -1, MaxCount: 2, CPUPercent: 50} }, "min-count", "allowed 0 to"},
		{"scale-out cooldown", func(c *stack.Config) {
			c.Scaling = stack.Scaling{MaxCount: 2, CPUPercent: 50, ScaleOutCooldown: 4000}
		}, "scale-out-cooldown", "allowed 0 to 3600"},
		{"negative spot base", func(c *stack.Config) { c.Service.Spot = stack.Spot{Enabled: true, Base: -1} }, "spot-base", "allowed 0 to"},
		{"container check interval", func(c *stack.Config) {
			c.Container.HealthCheck.Command = "true"
			c.Container.HealthCheck.Interval = 400
		}, "container-health-check-interval", "allowed 5 to 300"},
		{"container check start period", func(c *stack.Config) {
			c.Container.HealthCheck.Command = "true"
			c.Container.HealthCheck.StartPeriod = 301
		}, "container-health-check-start-period", "allowed 0 to 300"},
		{"container check timeout over 60", func(c *stack.Config) {
			c.Container.HealthCheck = stack.ContainerHealthCheck{Command: "true", Interval: 120, Timeout: 61, Retries: 3}
		}, "container-health-check-timeout", "allowed 2 to 60"},
		{"prefix with slash", func(c *stack.Config) {
			c.LoadBalancer.AccessLogs = stack.AccessLogs{Bucket: "logs-bucket", Prefix: "/x"}
		}, "access-logs-prefix", "no leading or trailing slash"},
		{"container check multi-line", func(c *stack.Config) { c.Container.HealthCheck.Command = "a\nb" }, "container-health-check", "one shell command line"},
		{"container check retries", func(c *stack.Config) { c.Container.HealthCheck.Command = "true"; c.Container.HealthCheck.Retries = 11 }, "container-health-check-retries", "allowed 1 to 10"},
		{"container check timeout", func(c *stack.Config) {
			c.Container.HealthCheck = stack.ContainerHealthCheck{Command: "true", Interval: 10, Timeout: 10, Retries: 3}
		}, "container-health-check-timeout", "container-health-check-timeout 10 s must be shorter than container-health-check-interval 10 s"},
		{"cluster name", func(c *stack.Config) { c.Service.Cluster = "my cluster" }, "cluster", "not an ECS cluster name"},
		{"ephemeral storage", func(c *stack.Config) { c.Container.EphemeralStorage = 10 }, "ephemeral-storage", "allowed 21 to 200"},
		{"platform version", func(c *stack.Config) { c.Service.PlatformVersion = "1.5.0" }, "platform-version", "use LATEST or 1.4.0"},
		{"idle timeout", func(c *stack.Config) { c.LoadBalancer.IdleTimeout = 5000 }, "idle-timeout", "allowed 1 to 4000"},
		{"stickiness", func(c *stack.Config) { c.LoadBalancer.Stickiness = -1 }, "stickiness", "allowed 1 to 604800"},
		{"exec with read-only root", func(c *stack.Config) { c.Service.EnableExec = true; c.Container.ReadOnlyRootFilesystem = true }, "enable-exec", "read-only root filesystem"},
		{"tag reserved prefix", func(c *stack.Config) { c.Tags = []stack.Tag{{Key: "aws:team", Value: "x"}} }, "tag", "reserves"},
		{"tag empty key", func(c *stack.Config) { c.Tags = []stack.Tag{{Key: "", Value: "x"}} }, "tag", "1 to 128 characters"},
		{"tag duplicate", func(c *stack.Config) { c.Tags = []stack.Tag{{Key: "a", Value: "1"}, {Key: "a", Value: "2"}} }, "tag", "set twice"},
		{"tag characters", func(c *stack.Config) { c.Tags = []stack.Tag{{Key: "team", Value: "a;b"}} }, "tag", "does not allow"},
		{"tag key of 129 characters", func(c *stack.Config) { c.Tags = []stack.Tag{{Key: strings.Repeat("é", 129), Value: "x"}} }, "tag", "1 to 128 characters"},
		{"tag value of 257 characters", func(c *stack.Config) { c.Tags = []stack.Tag{{Key: "team", Value: strings.Repeat("é", 257)}} }, "tag", "257 characters: allowed up to 256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := stack.Default()
			tt.change(&cfg)
			err := cfg.Validate()
			var verr *stack.ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Validate() = %v, want a *ValidationError", err)
			}
			if !slices.ContainsFunc(verr.Problems, func(p stack.Problem) bool { return p.Key == tt.key && strings.Contains(p.Message, tt.want) }) {
				t.Errorf("no problem for %s containing %q; got %v", tt.key, tt.want, verr.Problems)
			}
			// Build must refuse what Validate refuses, with the same
			// problems, and build nothing.
			tmpl, err := stack.Build(cfg)
			var berr *stack.ValidationError
			if !errors.As(err, &berr) || !slices.EqualFunc(berr.Problems, verr.Problems, problemsEqual) || tmpl != nil {
				t.Errorf("Build = %v, %v; want no template and the problems Validate reports: %v", tmpl, err, verr.Problems)
			}
		})
	}
}

func problemsEqual(a, b stack.Problem) bool {
	return a.Key == b.Key && a.Message == b.Message && slices.Equal(a.Related, b.Related)
}

// TestValidateAccepts proves valid edge values pass.
func TestValidateAccepts(t *testing.T) {
	tests := []struct {
		name   string
		change func(*stack.Config)
	}{
		{"defaults", func(*stack.Config) {}},
		{"64-character name", func(c *stack.Config) { c.Name = strings.Repeat("a", 64) }},
		{"largest fargate size", func(c *stack.Config) { c.Container.CPU = 16384; c.Container.Memory = 122880 }},
		{"registry with port and digest", func(c *stack.Config) {
			c.Container.Image = "registry.example.com:5000/team/app@sha256:" + strings.Repeat("0", 64)
		}},
		{"matcher list and range", func(c *stack.Config) { c.HealthCheck.Matcher = "200,204,300-399" }},
		{"ports at the edges", func(c *stack.Config) { c.Container.Port = 65535 }},
		{"IPv6 networks with dual stack", func(c *stack.Config) {
			c.LoadBalancer.DualStack = true
			c.LoadBalancer.AllowCIDRs = []string{"2001:db8::/32", "10.0.0.0/8"}
		}},
		{"stop-then-start deployments", func(c *stack.Config) { c.Service.MinHealthyPercent = 0; c.Service.MaxPercent = 100 }},
		{"FIPS ECR image", func(c *stack.Config) { c.Container.Image = "123456789012.dkr.ecr-fips.us-east-1.amazonaws.com/app:v1" }},
		{"no environment", func(c *stack.Config) { c.Container.Environment = nil }},
		{"logs kept forever", func(c *stack.Config) { c.Logs.RetentionDays = 0 }},
		{"zero tasks", func(c *stack.Config) { c.Service.DesiredCount = 0 }},
		{"query in health path", func(c *stack.Config) { c.HealthCheck.Path = "/health?deep=1" }},
		// Fargate Spot runs ARM64 on platform 1.4.0 and later (ECS API
		// reference, CapacityProviderStrategyItem).
		{"spot on arm64", func(c *stack.Config) { c.Service.Spot.Enabled = true; c.Container.Arch = stack.ArchARM64 }},
		{"all on spot, explicitly", func(c *stack.Config) { c.Service.Spot = stack.Spot{Enabled: true, Base: 0} }},
		{"FIPS post-quantum TLS policy", func(c *stack.Config) { c.LoadBalancer.SSLPolicy = "ELBSecurityPolicy-TLS13-1-2-FIPS-PQ-2025-09" }},
		{"a policy newer than the list", func(c *stack.Config) { c.LoadBalancer.SSLPolicy = "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2027-01" }},
		{"read-only with its default writable /tmp", func(c *stack.Config) { c.Container.ReadOnlyRootFilesystem = true }},
		{"writable hidden directory", func(c *stack.Config) {
			c.Container.ReadOnlyRootFilesystem = true
			c.Container.WritablePaths = []string{"/home/app/.cache", "/var/run/"}
		}},
		{"space as a value", func(c *stack.Config) { c.Container.Environment = []stack.EnvVar{{Name: "SEP", Value: " "}} }},
		// AWS counts tag lengths in characters: 128 and 256 letters that
		// take two bytes each are within the limits.
		{"tag of the longest key and value", func(c *stack.Config) {
			c.Tags = []stack.Tag{{Key: strings.Repeat("é", 128), Value: strings.Repeat("é", 256)}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := stack.Default()
			tt.change(&cfg)
			if err := cfg.Validate(); err != nil {
				t.Errorf("Validate() = %v, want nil", err)
			}
		})
	}
}

// TestValidateReportsEverything proves one call lists every problem.
func TestValidateReportsEverything(t *testing.T) {
	cfg := stack.Default()
	cfg.Name = "my app"
	cfg.Container.Port = 0
	cfg.Container.CPU = 3
	cfg.HealthCheck.Matcher = "x"
	cfg.LoadBalancer.SSLPolicy = "nope"
	var verr *stack.ValidationError
	if !errors.As(cfg.Validate(), &verr) {
		t.Fatal("want a *ValidationError")
	}
	keys := map[string]bool{}
	for _, p := range verr.Problems {
		keys[p.Key] = true
	}
	for _, k := range []string{"name", "container-port", "cpu", "health-check-matcher", "ssl-policy"} {
		if !keys[k] {
			t.Errorf("no problem reported for %s; got %v", k, verr.Problems)
		}
	}
}

// TestCertificatePattern proves the CertificateArn parameter accepts ACM
// ARNs in every partition and rejects other ARNs, using the pattern the
// template carries; an empty value (HTTP only) is accepted by a service's
// template without a domain and refused by an environment's.
func TestCertificatePattern(t *testing.T) {
	env, err := stack.BuildEnvironment(environmentWithCertificates())
	if err != nil {
		t.Fatal(err)
	}
	environment := regexp.MustCompile(at(t, env, "Parameters", "CertificateArn", "AllowedPattern").(string))
	if environment.MatchString("") {
		t.Error("an environment's CertificateArn accepts an empty value; its listener serves HTTPS only")
	}
	doc := document(t, stack.Default())
	pattern := regexp.MustCompile(at(t, doc, "Parameters", "CertificateArn", "AllowedPattern").(string))
	for arn, want := range map[string]bool{
		"arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789":        true,
		"arn:aws-cn:acm:cn-north-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789":    true,
		"arn:aws-us-gov:acm:us-gov-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef012345": true,
		"arn:aws:iam::123456789012:server-certificate/web":                                           false,
		"arn:aws:acm:us-east-1:12345:certificate/abc":                                                false,
		"": true,
	} {
		if got := pattern.MatchString(arn); got != want {
			t.Errorf("pattern matches %q = %v, want %v", arn, got, want)
		}
	}
}

// TestECRImageParameterPattern proves that for an ECR image the
// ContainerImage parameter only accepts images of the same repository, the
// one the execution role may pull from.
func TestECRImageParameterPattern(t *testing.T) {
	cfg := stack.Default()
	cfg.Container.Image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:v1"
	doc := document(t, cfg)
	pattern := regexp.MustCompile(at(t, doc, "Parameters", "ContainerImage", "AllowedPattern").(string))
	for image, want := range map[string]bool{
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:v1":                                true,
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:v2":                                true,
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api@sha256:" + strings.Repeat("f", 64): true,
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/other:v1":                              false,
		"999999999999.dkr.ecr.eu-west-1.amazonaws.com/team/api:v1":                                false,
		"nginx:latest": false,
	} {
		if got := pattern.MatchString(image); got != want {
			t.Errorf("pattern matches %q = %v, want %v", image, got, want)
		}
	}
}

// TestPublicImageParameterRefusesPrivateECR proves the template emitted
// with a non-ECR image refuses, at the console, a private ECR image that its
// execution role could not pull, and accepts every other image.
func TestPublicImageParameterRefusesPrivateECR(t *testing.T) {
	param := at(t, document(t, stack.Default()), "Parameters", "ContainerImage").(map[string]any)
	pattern := regexp.MustCompile(param["AllowedPattern"].(string))
	for image, want := range map[string]bool{
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:v1":                         false,
		"123456789012.dkr.ecr-fips.us-east-1.amazonaws.com/app:v1":                         false,
		"123456789012.dkr-ecr.eu-west-1.on.aws/app:v1":                                     false,
		"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app":                             false,
		"public.ecr.aws/nginx/nginx:1.28":                                                  true,
		"nginx:latest":                                                                     true,
		"ghcr.io/org/app:1":                                                                true,
		"1234567890123.dkr.ecr.eu-west-1.amazonaws.com/x:1":                                true, // 13 digits: not an account
		"12345678901.dkr.ecr.eu-west-1.amazonaws.com/x:1":                                  true, // 11 digits
		"123456789012.dkr.ecr.us-east-1.amazonaws.com/x@sha256:" + strings.Repeat("a", 64): false,
		"myregistry.example.com/123456789012/app:1":                                        true,
		"registry.example.com:5000/app@sha256:" + strings.Repeat("a", 64):                  true,
	} {
		if got := pattern.MatchString(image); got != want {
			t.Errorf("pattern matches %q = %v, want %v", image, got, want)
		}
	}
	if !strings.Contains(param["ConstraintDescription"].(string), "--image") {
		t.Errorf("ConstraintDescription %q does not say to emit again with --image", param["ConstraintDescription"])
	}
}

// TestImageDefaultMatchesItsPattern proves the ContainerImage parameter's
// default always satisfies its own AllowedPattern (CloudFormation rejects
// the template otherwise), for every image form the validation accepts.
func TestImageDefaultMatchesItsPattern(t *testing.T) {
	for _, image := range []string{
		"nginx:latest",
		stack.DefaultImage,
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:v1",
		"123456789012.dkr.ecr-fips.us-east-1.amazonaws.com/app:v1",
		"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app",
		"123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha512:" + strings.Repeat("A", 128),
		"123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v2@sha256:" + strings.Repeat("b", 64),
	} {
		cfg := stack.Default()
		cfg.Container.Image = image
		param := at(t, document(t, cfg), "Parameters", "ContainerImage").(map[string]any)
		pattern := param["AllowedPattern"].(string)
		if !regexp.MustCompile(pattern).MatchString(param["Default"].(string)) {
			t.Errorf("%s: the default does not match AllowedPattern %s", image, pattern)
		}
	}
}

// TestWarnings proves the settings that are valid but likely wrong are
// named, and that good settings give no warning.
func TestWarnings(t *testing.T) {
	tests := []struct {
		name   string
		change func(*stack.Config)
		key    string // "" means no warning
		want   string
	}{
		{"defaults", func(*stack.Config) {}, "", ""},
		{"nginx read-only without its paths", func(c *stack.Config) { c.Container.ReadOnlyRootFilesystem = true },
			"writable-path", "/var/cache/nginx and /var/run"},
		{"nginx from Docker Hub, one path missing", func(c *stack.Config) {
			c.Container.Image = "nginx:1.27"
			c.Container.ReadOnlyRootFilesystem = true
			c.Container.WritablePaths = []string{"/tmp", "/var/cache"}
		}, "writable-path", "make /var/run writable with writable-path"},
		{"nginx with its paths", func(c *stack.Config) {
			c.Container.ReadOnlyRootFilesystem = true
			c.Container.WritablePaths = []string{"/tmp", "/var/cache/nginx", "/var/run"}
		}, "", ""},
		{"unprivileged nginx writes to /tmp only", func(c *stack.Config) {
			c.Container.Image = "nginxinc/nginx-unprivileged:1.28"
			c.Container.ReadOnlyRootFilesystem = true
		}, "", ""},
		{"spot base without spot", func(c *stack.Config) { c.Service.Spot.Base = 2 }, "spot-base", "has no effect without spot"},
		{"spot reset to zero without spot", func(c *stack.Config) { c.Service.Spot = stack.Spot{} }, "spot-base", "has no effect without spot"},
		{"writable path without read-only", func(c *stack.Config) { c.Container.WritablePaths = []string{"/var/cache/nginx"} }, "writable-path", "has no effect without read-only-root-fs"},
		{"scaling without max", func(c *stack.Config) { c.Scaling.CPUPercent = 50 }, "scale-cpu-percent", "has no effect without max-count"},
		{"cooldown without max", func(c *stack.Config) { c.Scaling.ScaleInCooldown = 60 }, "scale-in-cooldown", "has no effect without max-count"},
		{"desired count with autoscaling", func(c *stack.Config) {
			c.Scaling = stack.Scaling{MinCount: 1, MaxCount: 4, CPUPercent: 60, ScaleInCooldown: 300, ScaleOutCooldown: 60}
			c.Service.DesiredCount = 3
		}, "desired-count", "has no effect with autoscaling"},
		{"container check timing without a command", func(c *stack.Config) { c.Container.HealthCheck.Retries = 5 }, "container-health-check-retries", "has no effect without container-health-check"},
		{"zone without domain", func(c *stack.Config) { c.Domain.HostedZoneID = "Z1" }, "hosted-zone-id", "has no effect without domain-name"},
		{"prefix without bucket", func(c *stack.Config) { c.LoadBalancer.AccessLogs.Prefix = "x" }, "access-logs-prefix", "has no effect without access-logs-bucket"},
		{"spot in an existing cluster", func(c *stack.Config) { c.Service.Spot.Enabled = true; c.Service.Cluster = "shared" }, "spot", "must already have the FARGATE and FARGATE_SPOT"},
		{"nginx with /run for /var/run", func(c *stack.Config) {
			c.Container.ReadOnlyRootFilesystem = true
			c.Container.WritablePaths = []string{"/tmp", "/var/cache/nginx", "/run"}
		}, "", ""},
		{"unknown policy of the right shape", func(c *stack.Config) { c.LoadBalancer.SSLPolicy = "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2027-01" },
			"ssl-policy", "not one of the policies cfnfargate knows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := stack.Default()
			tt.change(&cfg)
			if err := cfg.Validate(); err != nil {
				t.Fatalf("Validate() = %v; a warning case must be valid", err)
			}
			got := cfg.Warnings()
			if tt.key == "" {
				if len(got) > 0 {
					t.Errorf("Warnings() = %v, want none", got)
				}
				return
			}
			if len(got) != 1 || got[0].Key != tt.key || !strings.Contains(got[0].Message, tt.want) {
				t.Errorf("Warnings() = %v, want one for %s containing %q", got, tt.key, tt.want)
			}
		})
	}
}

// TestCrossFieldProblemsNameBoth proves a problem that involves two
// settings names the other one as Related, with both values in the
// message, so that a caller can tell which setting the user got wrong.
func TestCrossFieldProblemsNameBoth(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*stack.Config)
		key     string
		related string
		values  []string
	}{
		{"health check timing", func(c *stack.Config) { c.HealthCheck.Interval = 10; c.HealthCheck.Timeout = 120 },
			"health-check-timeout", "health-check-interval", []string{"120", "10"}},
		{"cpu and memory", func(c *stack.Config) { c.Container.CPU = 512; c.Container.Memory = 512 },
			"memory", "cpu", []string{"512 MiB", "cpu 512"}},
		{"scaling bounds", func(c *stack.Config) {
			c.Scaling = stack.Scaling{MinCount: 5, MaxCount: 2, CPUPercent: 50, ScaleInCooldown: 300, ScaleOutCooldown: 60}
		}, "min-count", "max-count", []string{"min-count 5", "max-count 2"}},
		{"exec and read-only", func(c *stack.Config) { c.Service.EnableExec = true; c.Container.ReadOnlyRootFilesystem = true },
			"enable-exec", "read-only-root-fs", []string{"enable-exec", "read-only-root-fs"}},
		{"IPv6 without dual stack", func(c *stack.Config) { c.LoadBalancer.AllowCIDRs = []string{"2001:db8::/32"} },
			"allow-cidr", "dualstack", []string{"2001:db8::/32", "dualstack is off"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := stack.Default()
			tt.change(&cfg)
			var verr *stack.ValidationError
			if !errors.As(cfg.Validate(), &verr) {
				t.Fatal("Validate() found nothing")
			}
			for _, p := range verr.Problems {
				if p.Key != tt.key {
					continue
				}
				if !slices.Contains(p.Related, tt.related) {
					t.Errorf("%s: Related = %v, want %s", p, p.Related, tt.related)
				}
				for _, v := range tt.values {
					if !strings.Contains(p.Message, v) {
						t.Errorf("%s: message lacks %q", p, v)
					}
				}
				return
			}
			t.Errorf("no problem for %s in %v", tt.key, verr.Problems)
		})
	}
}
