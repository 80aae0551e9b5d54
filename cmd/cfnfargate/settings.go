package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
	"gopkg.in/yaml.v3"

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
func settingsFlags() []cli.Flag {
	defaults := stack.Default()
	flags := []cli.Flag{
		&cli.StringFlag{Name: "config", Usage: "YAML file of settings, keyed by flag name [$" + envName("config") + "]", TakesFile: true},
	}
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
}

// readSettings builds the stack.Config from flags, the environment and the
// config file, in that order of precedence over the built-in defaults. It
// reports every problem at once, naming the flag, variable or key.
func readSettings(c *cli.Context) (resolved, error) {
	cfg := stack.Default()
	var problems []string
	sources := map[string]source{}

	configPath := c.String("config")
	if !c.IsSet("config") {
		configPath = os.Getenv(envName("config"))
	}
	var file map[string]configValue
	if configPath != "" {
		var fileProblems []string
		var err error
		file, fileProblems, err = readConfigFile(configPath)
		if err != nil {
			return resolved{}, badInput(err)
		}
		for _, p := range fileProblems {
			problems = append(problems, "config file "+configPath+" "+p)
		}
	}

	given := map[string]bool{}
	unreadable := map[string]bool{}
	for _, s := range settings {
		values, src, ok := lookup(c, s, file, configPath)
		if !ok {
			sources[s.key] = source{label: "--" + s.key}
			continue
		}
		sources[s.key] = src
		given[s.key] = true
		if err := s.apply(&cfg, values); err != nil {
			problems = append(problems, src.label+": "+err.Error())
			unreadable[s.key] = true
		}
	}

	// Validate even when some values could not be read, so that one run
	// lists every problem; a value that could not be read still holds its
	// default, so its own validation is skipped.
	// Memory is checked against the CPU; an unreadable CPU would make that
	// check name the wrong pair.
	if unreadable[stack.KeyCPU] {
		unreadable[stack.KeyMemory] = true
	}
	var verr *stack.ValidationError
	if err := cfg.Validate(); errors.As(err, &verr) {
		for _, p := range verr.Problems {
			if !unreadable[p.Key] {
				problems = append(problems, sources[p.Key].label+": "+p.Message)
			}
		}
	} else if err != nil {
		return resolved{}, badInput(err)
	}
	if len(problems) > 0 {
		// The settings that could be read come back too, so that callers
		// can check their own flags against them.
		return resolved{Config: cfg, Given: given}, badInput(&problemsError{title: "invalid settings", problems: problems})
	}
	return resolved{Config: cfg, Given: given}, nil
}

// lookup finds the value of s: the flag, else the environment, else the
// config file.
func lookup(c *cli.Context, s setting, file map[string]configValue, configPath string) ([]string, source, bool) {
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
			if raw == "" {
				return nil, src, true
			}
			return strings.Split(raw, ","), src, true
		}
		return []string{raw}, src, true
	}
	if v, ok := file[s.key]; ok {
		src := source{label: fmt.Sprintf("%s in %s line %d", s.key, configPath, v.line), set: true}
		return v.values, src, true
	}
	return nil, source{}, false
}

// configValue is one key of the config file, as strings.
type configValue struct {
	values []string
	line   int
}

// readConfigFile reads a YAML mapping of setting keys to values. A file
// that cannot be read, or is not such a mapping, is an error; unknown keys
// and values of the wrong shape are problems, returned with the values that
// could be read so that every problem is reported at once.
func readConfigFile(path string) (map[string]configValue, []string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("--config: %w", err)
	}
	return parseConfigFile(path, data)
}

func parseConfigFile(path string, data []byte) (map[string]configValue, []string, error) {
	var root yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return map[string]configValue{}, nil, nil // an empty file sets nothing
		}
		return nil, nil, fmt.Errorf("config file %s: not valid YAML: %w", path, err)
	}
	if len(root.Content) == 0 {
		return map[string]configValue{}, nil, nil
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil, nil, fmt.Errorf("config file %s: expected a mapping of settings such as \"cpu: 512\" at line %d", path, doc.Line)
	}
	known := map[string]setting{}
	for _, s := range settings {
		known[s.key] = s
	}
	out := map[string]configValue{}
	var problems []string
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		s, ok := known[k.Value]
		if !ok {
			problems = append(problems, fmt.Sprintf("line %d: unknown key %q: %s", k.Line, k.Value, suggestKey(k.Value)))
			continue
		}
		if _, dup := out[k.Value]; dup {
			problems = append(problems, fmt.Sprintf("line %d: %s is set twice", k.Line, k.Value))
			continue
		}
		values, err := configValues(s, v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("line %d: %s: %v", v.Line, k.Value, err))
			continue
		}
		out[k.Value] = configValue{values: values, line: k.Line}
	}
	return out, problems, nil
}

// configValues turns a config-file value into the strings a flag would
// have given.
func configValues(s setting, v *yaml.Node) ([]string, error) {
	if !s.list {
		if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
			return nil, errors.New("expected a single value")
		}
		return []string{v.Value}, nil
	}
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			return []string{}, nil
		}
		return []string{v.Value}, nil
	case yaml.SequenceNode:
		values := make([]string, 0, len(v.Content))
		for _, item := range v.Content {
			if item.Kind != yaml.ScalarNode {
				return nil, errors.New("expected a list of KEY=VALUE strings")
			}
			values = append(values, item.Value)
		}
		return values, nil
	case yaml.MappingNode:
		// env: {KEY: VALUE} reads better than a list; keep the file's order.
		values := make([]string, 0, len(v.Content)/2)
		for i := 0; i+1 < len(v.Content); i += 2 {
			if v.Content[i+1].Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("%s: expected a single value", v.Content[i].Value)
			}
			values = append(values, v.Content[i].Value+"="+v.Content[i+1].Value)
		}
		return values, nil
	}
	return nil, errors.New("expected a list of KEY=VALUE strings, or a mapping of KEY: VALUE")
}

// suggestKey names the known key closest to an unknown one, or tells where
// the keys are listed.
func suggestKey(unknown string) string {
	best, bestDistance := "", 4
	for _, s := range settings {
		if d := editDistance(unknown, s.key); d < bestDistance {
			best, bestDistance = s.key, d
		}
	}
	if best != "" {
		return fmt.Sprintf("did you mean %q? (the keys are the flag names of 'cfnfargate emit --help')", best)
	}
	return "the keys are the flag names of 'cfnfargate emit --help', without the dashes in front"
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
