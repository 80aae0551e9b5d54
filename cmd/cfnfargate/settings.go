package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/stack"
)

// envPrefix starts the environment variable of every flag:
// --health-check-path is CFNFARGATE_HEALTH_CHECK_PATH.
const envPrefix = "CFNFARGATE_"

func envName(flag string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// setting is one template setting: a flag, an environment variable and a
// config-file key, all named after key.
type setting struct {
	key   string
	usage string
	// list settings repeat on the command line, take a comma-separated
	// environment variable, and a YAML list in the config file.
	list bool
	// boolean settings are switches.
	boolean bool
	// defaultText shows the built-in default in --help.
	defaultText func(stack.Config) string
	// apply parses raw values into cfg. A list setting gets every value;
	// the others get one.
	apply func(cfg *stack.Config, raw []string) error
}

// settings lists every template setting. Their keys are the flag names, the
// config-file keys and stack.Problem keys.
var settings = []setting{
	{key: stack.KeyName, usage: "application name: letters, digits and hyphens, up to 64",
		defaultText: func(c stack.Config) string { return c.Name },
		apply:       func(c *stack.Config, v []string) error { c.Name = v[0]; return nil }},
	{key: stack.KeyImage, usage: "container image (the ContainerImage parameter's default)",
		defaultText: func(c stack.Config) string { return c.Container.Image },
		apply:       func(c *stack.Config, v []string) error { c.Container.Image = v[0]; return nil }},
	intSetting(stack.KeyContainerPort, "port the container listens on", func(c *stack.Config) *int { return &c.Container.Port }),
	intSetting(stack.KeyCPU, "task CPU units (256 = 0.25 vCPU)", func(c *stack.Config) *int { return &c.Container.CPU }),
	intSetting(stack.KeyMemory, "task memory in MiB, valid for the CPU", func(c *stack.Config) *int { return &c.Container.Memory }),
	intSetting(stack.KeyDesiredCount, "number of tasks (the DesiredCount parameter's default)", func(c *stack.Config) *int { return &c.Service.DesiredCount }),
	{key: stack.KeyEnv, usage: "container environment variable `KEY=VALUE`, repeatable", list: true,
		defaultText: func(c stack.Config) string { return formatEnv(c.Container.Environment) },
		apply:       applyEnv},
	{key: stack.KeyHealthCheckPath, usage: "path the load balancer checks",
		defaultText: func(c stack.Config) string { return c.HealthCheck.Path },
		apply:       func(c *stack.Config, v []string) error { c.HealthCheck.Path = v[0]; return nil }},
	{key: stack.KeyHealthCheckMatcher, usage: "HTTP codes that mean healthy: 200, 200,204 or 200-299",
		defaultText: func(c stack.Config) string { return c.HealthCheck.Matcher },
		apply:       func(c *stack.Config, v []string) error { c.HealthCheck.Matcher = v[0]; return nil }},
	intSetting(stack.KeyHealthCheckInterval, "seconds between health checks (5-300)", func(c *stack.Config) *int { return &c.HealthCheck.Interval }),
	intSetting(stack.KeyHealthCheckTimeout, "seconds before a check fails (2-120, less than the interval)", func(c *stack.Config) *int { return &c.HealthCheck.Timeout }),
	intSetting(stack.KeyHealthyThreshold, "passing checks before a task is healthy (2-10)", func(c *stack.Config) *int { return &c.HealthCheck.HealthyThreshold }),
	intSetting(stack.KeyUnhealthyThreshold, "failing checks before a task is unhealthy (2-10)", func(c *stack.Config) *int { return &c.HealthCheck.UnhealthyThreshold }),
	intSetting(stack.KeyHealthCheckGracePeriod, "seconds the service ignores failing checks of a new task", func(c *stack.Config) *int { return &c.Service.HealthCheckGracePeriod }),
	intSetting(stack.KeyLogRetentionDays, "days to keep container logs (0 keeps them forever)", func(c *stack.Config) *int { return &c.Logs.RetentionDays }),
	{key: stack.KeySSLPolicy, usage: "ELB security policy of the HTTPS listener",
		defaultText: func(c stack.Config) string { return c.LoadBalancer.SSLPolicy },
		apply:       func(c *stack.Config, v []string) error { c.LoadBalancer.SSLPolicy = v[0]; return nil }},
	intSetting(stack.KeyDeregistrationDelay, "seconds the load balancer drains a stopping task (0-3600)", func(c *stack.Config) *int { return &c.LoadBalancer.DeregistrationDelay }),
	// Autoscaling.
	intSetting(stack.KeyMinCount, "autoscaling: fewest tasks", func(c *stack.Config) *int { return &c.Scaling.MinCount }),
	intSetting(stack.KeyMaxCount, "autoscaling: most tasks; 0 turns autoscaling off", func(c *stack.Config) *int { return &c.Scaling.MaxCount }),
	intSetting(stack.KeyScaleCPUPercent, "autoscaling: average CPU percent to hold (1-100)", func(c *stack.Config) *int { return &c.Scaling.CPUPercent }),
	intSetting(stack.KeyScaleRequestsPerTarget, "autoscaling: requests per task per minute to hold", func(c *stack.Config) *int { return &c.Scaling.RequestsPerTarget }),
	intSetting(stack.KeyScaleInCooldown, "autoscaling: seconds between scale-in steps", func(c *stack.Config) *int { return &c.Scaling.ScaleInCooldown }),
	intSetting(stack.KeyScaleOutCooldown, "autoscaling: seconds between scale-out steps", func(c *stack.Config) *int { return &c.Scaling.ScaleOutCooldown }),
	// Domain and certificate.
	stringSetting(stack.KeyDomainName, "custom domain: alias records to the load balancer; without a certificate ARN at deploy time, one is created",
		func(c *stack.Config) *string { return &c.Domain.Name }),
	stringSetting(stack.KeyHostedZoneID, "Route 53 hosted zone of --domain-name", func(c *stack.Config) *string { return &c.Domain.HostedZoneID }),
	// Container.
	{key: stack.KeySecret, usage: "secret environment variable `NAME=ARN` of a Secrets Manager secret or SSM parameter, repeatable", list: true,
		apply: applySecrets},
	stringSetting(stack.KeyArch, "CPU architecture: x86_64 or arm64", func(c *stack.Config) *string { return &c.Container.Arch }),
	boolSetting(stack.KeyReadOnlyRootFS, "mount the container's root filesystem read-only",
		func(c *stack.Config, b bool) { c.Container.ReadOnlyRootFilesystem = b }),
	{key: stack.KeyWritablePath, usage: "with --read-only-root-fs: a writable directory `PATH` on the task's storage, repeatable; replaces the default list", list: true,
		defaultText: func(c stack.Config) string { return strings.Join(stack.DefaultWritablePaths, ",") },
		apply:       func(c *stack.Config, v []string) error { c.Container.WritablePaths = trimAll(v); return nil }},
	intSetting(stack.KeyEphemeralStorage, "task storage in GiB (21-200); 0 keeps Fargate's 20", func(c *stack.Config) *int { return &c.Container.EphemeralStorage }),
	stringSetting(stack.KeyContainerHealthCheck, "container health-check shell command, e.g. \"curl -f http://localhost/ || exit 1\"",
		func(c *stack.Config) *string { return &c.Container.HealthCheck.Command }),
	intSetting(stack.KeyContainerHCInterval, "seconds between container health checks (5-300)", func(c *stack.Config) *int { return &c.Container.HealthCheck.Interval }),
	intSetting(stack.KeyContainerHCTimeout, "seconds before a container health check fails (2-60)", func(c *stack.Config) *int { return &c.Container.HealthCheck.Timeout }),
	intSetting(stack.KeyContainerHCRetries, "failed container health checks before unhealthy (1-10)", func(c *stack.Config) *int { return &c.Container.HealthCheck.Retries }),
	intSetting(stack.KeyContainerHCStartPeriod, "seconds after start when failed container checks do not count (0-300)", func(c *stack.Config) *int { return &c.Container.HealthCheck.StartPeriod }),
	// Service.
	boolSetting(stack.KeyEnableExec, "turn on ECS Exec (aws ecs execute-command)", func(c *stack.Config, b bool) { c.Service.EnableExec = b }),
	boolSetting(stack.KeySpot, "run tasks on Fargate Spot", func(c *stack.Config, b bool) { c.Service.Spot.Enabled = b }),
	intSetting(stack.KeySpotBase, "with --spot: tasks that always run on regular Fargate", func(c *stack.Config) *int { return &c.Service.Spot.Base }),
	intSetting(stack.KeySpotWeight, "with --spot: Spot tasks per regular task beyond the base; 0 puts all of them on Spot", func(c *stack.Config) *int { return &c.Service.Spot.Weight }),
	intSetting(stack.KeyMinHealthyPercent, "deployment: lowest running percent of the desired count", func(c *stack.Config) *int { return &c.Service.MinHealthyPercent }),
	intSetting(stack.KeyMaxPercent, "deployment: highest running percent of the desired count", func(c *stack.Config) *int { return &c.Service.MaxPercent }),
	stringSetting(stack.KeyCluster, "join this existing ECS cluster instead of creating one", func(c *stack.Config) *string { return &c.Service.Cluster }),
	stringSetting(stack.KeyPlatformVersion, "Fargate platform version: LATEST or 1.4.0", func(c *stack.Config) *string { return &c.Service.PlatformVersion }),
	// Load balancer.
	boolSetting(stack.KeyInternal, "internal load balancer in the private subnets (needs --allow-cidr)", func(c *stack.Config, b bool) { c.LoadBalancer.Internal = b }),
	{key: stack.KeyAllowCIDR, usage: "network allowed to reach the load balancer instead of anywhere, `CIDR`, repeatable", list: true,
		apply: func(c *stack.Config, v []string) error { c.LoadBalancer.AllowCIDRs = trimAll(v); return nil }},
	stringSetting(stack.KeyAccessLogsBucket, "S3 bucket for the load balancer's access logs", func(c *stack.Config) *string { return &c.LoadBalancer.AccessLogs.Bucket }),
	stringSetting(stack.KeyAccessLogsPrefix, "key prefix of the access logs in the bucket", func(c *stack.Config) *string { return &c.LoadBalancer.AccessLogs.Prefix }),
	stringSetting(stack.KeyWAFACLArn, "regional AWS WAF web ACL to associate with the load balancer", func(c *stack.Config) *string { return &c.LoadBalancer.WAFWebACLArn }),
	intSetting(stack.KeyIdleTimeout, "load balancer idle timeout in seconds (1-4000); 0 keeps AWS's 60", func(c *stack.Config) *int { return &c.LoadBalancer.IdleTimeout }),
	intSetting(stack.KeyStickiness, "sticky sessions: cookie lifetime in seconds; 0 turns them off", func(c *stack.Config) *int { return &c.LoadBalancer.Stickiness }),
	boolSetting(stack.KeyDualStack, "give the load balancer IPv6 addresses too (its subnets need IPv6 ranges)", func(c *stack.Config, b bool) { c.LoadBalancer.DualStack = b }),
	boolSetting(stack.KeyNoHTTP2, "turn off HTTP/2 on the load balancer", func(c *stack.Config, b bool) { c.LoadBalancer.DisableHTTP2 = b }),
	boolSetting(stack.KeyDeletionProtection, "protect the load balancer from deletion and keep the log group", func(c *stack.Config, b bool) { c.DeletionProtection = b }),
	{key: stack.KeyTag, usage: "tag `KEY=VALUE` for every taggable resource (and, on deploy, the stack), repeatable", list: true,
		apply: applyTags},
	boolSetting(stack.KeyPublicTasks, "run tasks in the public subnets with public IPs (the AssignPublicIp parameter's default)",
		func(c *stack.Config, b bool) { c.Service.PublicTasks = b }),
	boolSetting(stack.KeyNoContainerInsights, "turn off CloudWatch Container Insights on the cluster",
		func(c *stack.Config, b bool) { c.Service.ContainerInsights = !b }),
}

func intSetting(key, usage string, field func(*stack.Config) *int) setting {
	return setting{
		key: key, usage: usage,
		defaultText: func(c stack.Config) string { return strconv.Itoa(*field(&c)) },
		apply: func(c *stack.Config, v []string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v[0]))
			if err != nil {
				return fmt.Errorf("%q is not a whole number", v[0])
			}
			*field(c) = n
			return nil
		},
	}
}

func stringSetting(key, usage string, field func(*stack.Config) *string) setting {
	return setting{
		key: key, usage: usage,
		defaultText: func(c stack.Config) string { return *field(&c) },
		apply:       func(c *stack.Config, v []string) error { *field(c) = v[0]; return nil },
	}
}

func boolSetting(key, usage string, set func(*stack.Config, bool)) setting {
	return setting{
		key: key, usage: usage, boolean: true,
		apply: func(c *stack.Config, v []string) error {
			b, err := strconv.ParseBool(strings.TrimSpace(v[0]))
			if err != nil {
				return fmt.Errorf("%q is not true or false", v[0])
			}
			set(c, b)
			return nil
		},
	}
}

func applyEnv(c *stack.Config, values []string) error {
	pairs, err := splitPairs(values, "KEY=VALUE")
	c.Container.Environment = []stack.EnvVar{}
	for _, p := range pairs {
		c.Container.Environment = append(c.Container.Environment, stack.EnvVar{Name: p[0], Value: p[1]})
	}
	return err
}

func applySecrets(c *stack.Config, values []string) error {
	pairs, err := splitPairs(values, "NAME=ARN")
	c.Container.Secrets = nil
	for _, p := range pairs {
		c.Container.Secrets = append(c.Container.Secrets, stack.Secret{Name: p[0], ARN: p[1]})
	}
	return err
}

func applyTags(c *stack.Config, values []string) error {
	pairs, err := splitPairs(values, "KEY=VALUE")
	c.Tags = nil
	for _, p := range pairs {
		c.Tags = append(c.Tags, stack.Tag{Key: p[0], Value: p[1]})
	}
	return err
}

// splitPairs splits each "A=B" value; the error lists every value without
// an "=" or with nothing before it.
func splitPairs(values []string, form string) ([][2]string, error) {
	var pairs [][2]string
	var bad []string
	for _, kv := range values {
		a, b, ok := strings.Cut(kv, "=")
		if !ok || a == "" {
			bad = append(bad, strconv.Quote(kv))
			continue
		}
		pairs = append(pairs, [2]string{a, b})
	}
	if len(bad) > 0 {
		return pairs, fmt.Errorf("%s: expected %s", strings.Join(bad, ", "), form)
	}
	return pairs, nil
}

func trimAll(values []string) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = strings.TrimSpace(v)
	}
	return out
}

func formatEnv(env []stack.EnvVar) string {
	parts := make([]string, len(env))
	for i, e := range env {
		parts[i] = e.Name + "=" + e.Value
	}
	return strings.Join(parts, ",")
}

// settingsFlags are the flags of every command that builds a template.
// Their variables are read by lookup, not by the flags, so that a list
// variable splits on commas while a list flag does not.
func settingsFlags() []cli.Flag {
	defaults := stack.Default()
	var flags []cli.Flag
	for _, s := range settings {
		usage := s.usage + " [$" + envName(s.key) + "]"
		defaultText := ""
		if s.defaultText != nil {
			defaultText = s.defaultText(defaults)
		}
		switch {
		case s.boolean:
			flags = append(flags, &cli.BoolFlag{Name: s.key, Usage: usage})
		case s.list:
			flags = append(flags, &cli.StringSliceFlag{Name: s.key, Usage: usage, DefaultText: defaultText})
		default:
			flags = append(flags, &cli.StringFlag{Name: s.key, Usage: usage, DefaultText: defaultText})
		}
	}
	return flags
}

// isSetting reports whether a flag name is the key of a template setting.
func isSetting(name string) bool {
	for _, s := range settings {
		if s.key == name {
			return true
		}
	}
	return false
}

// splitList splits the value of a list variable, such as
// CFNFARGATE_ENV=A=1,B=2, at its commas; "\," is a comma inside a value.
// Spaces around each value are dropped, as the flags drop them.
func splitList(raw string) []string {
	if raw == "" {
		return nil
	}
	var values []string
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		switch {
		case raw[i] == '\\' && i+1 < len(raw) && raw[i+1] == ',':
			b.WriteByte(',')
			i++
		case raw[i] == ',':
			values = append(values, strings.TrimSpace(b.String()))
			b.Reset()
		default:
			b.WriteByte(raw[i])
		}
	}
	return append(values, strings.TrimSpace(b.String()))
}

// source says where a setting's value came from, for error messages.
type source struct {
	label string // "--cpu", "CFNFARGATE_CPU" or "cpu in app.yaml line 3"
	set   bool   // false when the value is the built-in default
}

// resolved is the outcome of reading the settings.
type resolved struct {
	Config stack.Config
	// Given holds the keys the user set by flag, environment or config file.
	Given map[string]bool
	// Options name where the command's other flags got their values, when
	// a list variable or the config file gave them (see applyOptions).
	Options map[string]string
}

// label names where the value of the command's flag name came from, for
// messages: its config key and line, its variable, or the flag.
func (r resolved) label(name string) string {
	if l, ok := r.Options[name]; ok {
		return l
	}
	return "--" + name
}

// readSettings builds the stack.Config from flags, the environment and the
// config file, in that order of precedence over the built-in defaults. It
// also gives the command's other flags their values from the config file
// (applyOptions), so that one run reports every problem at once, naming the
// flag, variable or key.
func readSettings(c *cli.Context) (resolved, error) {
	cfg := stack.Default()
	sources := map[string]source{}

	file, err := readConfig(c)
	if err != nil {
		return resolved{}, err
	}
	problems := append([]stack.Problem(nil), file.problems...)
	options, optionProblems := applyOptions(c, file)
	problems = append(problems, optionProblems...)

	given := map[string]bool{}
	unreadable := map[string]bool{}
	for _, s := range settings {
		values, src, ok := lookup(c, s, file)
		if !ok {
			sources[s.key] = source{label: "--" + s.key}
			continue
		}
		sources[s.key] = src
		given[s.key] = true
		if err := s.apply(&cfg, values); err != nil {
			problems = append(problems, stack.Problem{Key: src.label, Message: err.Error()})
			unreadable[s.key] = true
		}
	}

	// Validate even when some values could not be read, so that one run
	// lists every problem. A value that could not be read still holds its
	// default, so its own validation is skipped, and so is a cross-field
	// problem that involves it: it would judge the other setting against a
	// default the user tried to override.
	var verr *stack.ValidationError
	if err := cfg.Validate(); errors.As(err, &verr) {
		for _, p := range verr.Problems {
			if unreadable[p.Key] || slices.ContainsFunc(p.Related, func(k string) bool { return unreadable[k] }) {
				continue
			}
			problems = append(problems, stack.Problem{Key: problemLabel(p, sources, given), Message: p.Message})
		}
	} else if err != nil {
		return resolved{}, badInput(err)
	}
	if len(problems) > 0 {
		// The settings that could be read come back too, so that callers
		// can check their own flags against them.
		return resolved{Config: cfg, Given: given, Options: options}, &stack.ValidationError{Title: "invalid settings", Problems: problems}
	}
	return resolved{Config: cfg, Given: given, Options: options}, nil
}

// problemLabel names where the settings of p came from: its own, and those
// of the other settings it involves that the user gave, so that a
// cross-field problem names both ("--health-check-timeout,
// CFNFARGATE_HEALTH_CHECK_INTERVAL").
func problemLabel(p stack.Problem, sources map[string]source, given map[string]bool) string {
	labels := []string{sources[p.Key].label}
	for _, k := range p.Related {
		if given[k] && !slices.Contains(labels, sources[k].label) {
			labels = append(labels, sources[k].label)
		}
	}
	return strings.Join(labels, ", ")
}

// lookup finds the value of s: the flag, else the environment, else the
// config file.
func lookup(c *cli.Context, s setting, file *configFile) ([]string, source, bool) {
	if c.IsSet(s.key) {
		src := source{label: "--" + s.key, set: true}
		switch {
		case s.boolean:
			return []string{strconv.FormatBool(c.Bool(s.key))}, src, true
		case s.list:
			return c.StringSlice(s.key), src, true
		default:
			return []string{c.String(s.key)}, src, true
		}
	}
	if raw, ok := os.LookupEnv(envName(s.key)); ok {
		src := source{label: envName(s.key), set: true}
		if s.list {
			return splitList(raw), src, true
		}
		return []string{raw}, src, true
	}
	if v, ok := file.values[s.key]; ok {
		return v.values, source{label: file.label(s.key), set: true}, true
	}
	return nil, source{}, false
}
