package stack_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/format"
)

// FuzzBuild proves that any config either fails Validate with a
// *ValidationError or builds a template that formats as YAML and JSON:
// never a panic, never a partial template. (Size is not checked: thousands
// of environment variables make a valid template too large to deploy
// inline, which deploy reports; emit still writes it for an S3 upload.)
func FuzzBuild(f *testing.F) {
	d := stack.Default()
	f.Add(d.Name, d.Container.Image, d.Container.Port, d.Container.CPU, d.Container.Memory, d.Service.DesiredCount,
		"BUILD=v0.1.0", d.HealthCheck.Path, d.HealthCheck.Matcher, d.HealthCheck.Interval, d.HealthCheck.Timeout,
		d.Service.HealthCheckGracePeriod, d.Logs.RetentionDays, d.LoadBalancer.SSLPolicy, false)
	f.Add(strings.Repeat("a", 64), "123456789012.dkr.ecr.eu-west-1.amazonaws.com/x:1", 65535, 16384, 122880, 5000,
		"A=1\nB=\nC=x=y", "/h?x=1", "200-299,302", 300, 120, 0, 3653, "ELBSecurityPolicy-2016-08", true)
	f.Add("", "", 0, 0, 0, -1, "=\n=", "", "", 0, 0, -1, -1, "", true)
	f.Fuzz(func(t *testing.T, name, image string, port, cpu, memory, desired int, env, path, matcher string,
		interval, timeout, grace, retention int, policy string, public bool) {
		cfg := stack.Default()
		cfg.Name = name
		cfg.Container.Image = image
		cfg.Container.Port = port
		cfg.Container.CPU = cpu
		cfg.Container.Memory = memory
		cfg.Service.DesiredCount = desired
		cfg.Container.Environment = nil
		for _, line := range strings.Split(env, "\n") {
			k, v, _ := strings.Cut(line, "=")
			cfg.Container.Environment = append(cfg.Container.Environment, stack.EnvVar{Name: k, Value: v})
		}
		cfg.HealthCheck.Path = path
		cfg.HealthCheck.Matcher = matcher
		cfg.HealthCheck.Interval = interval
		cfg.HealthCheck.Timeout = timeout
		cfg.Service.HealthCheckGracePeriod = grace
		cfg.Logs.RetentionDays = retention
		cfg.LoadBalancer.SSLPolicy = policy
		cfg.Service.PublicTasks = public

		buildsOrRefuses(t, cfg)
	})
}

// buildsOrRefuses proves Build either refuses cfg with a *ValidationError
// that lists problems, and no template, or builds a template that formats
// as YAML and JSON and keeps the AWS-side rules. It does not check that
// Validate accepts what Build built: Build runs Validate first, and
// TestValidateRejects proves Build refuses every config Validate refuses.
func buildsOrRefuses(t *testing.T, cfg stack.Config) {
	t.Helper()
	doc, err := stack.Build(cfg)
	if err != nil {
		var verr *stack.ValidationError
		if !errors.As(err, &verr) || len(verr.Problems) == 0 || doc != nil {
			t.Fatalf("Build = %v, %v; want a ValidationError with problems and no template", doc, err)
		}
		return
	}
	if _, err := format.YAML(doc); err != nil {
		t.Fatal(err)
	}
	if _, err := format.JSON(doc); err != nil {
		t.Fatal(err)
	}
	checkAWSRules(t, "fuzzed config", doc)
}

// FuzzFeatures proves the same for the production features: any mix either
// fails Validate with problems or builds a template that formats.
func FuzzFeatures(f *testing.F) {
	f.Add(true, 1, 3, "x86_64", false, false, "10.0.0.0/8", "app.example.com", "Z1", "A=arn:aws:ssm:us-east-1:123456789012:parameter/a",
		50, 200, 2, 10, 60, 1000, 1, "1.4.0", "curl -f http://localhost/", 3600, true, "/tmp,/var/cache/nginx,/var/run")
	f.Add(false, 0, 0, "arm64", true, true, "fd00::/8,10.0.0.0/16", "", "", "", 100, 200, 0, 0, 0, 0, 0, "LATEST", "", 0, false, "")
	f.Add(true, -1, 5000, "arm", true, false, "10.0.0.1/8,10.0.0.1/8", "a..b", "/hostedzone/Z", "=", 101, 99, 5, 2, 0, -1, 7, "1.3.0", "a\nb", -1, true, "/,tmp,/a/../b,/x y")
	f.Fuzz(func(t *testing.T, spot bool, spotBase, spotWeight int, arch string, internal, dualstack bool, cidrs, domain, zone, secret string,
		minHealthy, maxPercent, minCount, maxCount, cpuPercent, requests, desired int, platform, containerCheck string, stickiness int,
		readOnly bool, writable string) {
		cfg := stack.Default()
		cfg.Service.Spot = stack.Spot{Enabled: spot, Base: spotBase, Weight: spotWeight}
		cfg.Container.Arch = arch
		cfg.LoadBalancer.Internal = internal
		cfg.LoadBalancer.DualStack = dualstack
		if cidrs != "" {
			cfg.LoadBalancer.AllowCIDRs = strings.Split(cidrs, ",")
		}
		cfg.Domain = stack.Domain{Name: domain, HostedZoneID: zone}
		if name, arn, ok := strings.Cut(secret, "="); ok {
			cfg.Container.Secrets = []stack.Secret{{Name: name, From: arn}}
		}
		cfg.Service.MinHealthyPercent, cfg.Service.MaxPercent = minHealthy, maxPercent
		cfg.Scaling.MinCount, cfg.Scaling.MaxCount = minCount, maxCount
		cfg.Scaling.CPUPercent, cfg.Scaling.RequestsPerTarget = cpuPercent, requests
		cfg.Service.DesiredCount = desired
		cfg.Service.PlatformVersion = platform
		cfg.Container.HealthCheck.Command = containerCheck
		cfg.LoadBalancer.Stickiness = stickiness
		cfg.Container.ReadOnlyRootFilesystem = readOnly
		if writable != "" {
			cfg.Container.WritablePaths = strings.Split(writable, ",")
		}

		buildsOrRefuses(t, cfg)
	})
}
