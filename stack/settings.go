package stack

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Setting is one row of the settings table: everything about one setting,
// said once. Its key names the setting everywhere (the command-line flag,
// the config-file key, the environment variable the CLI derives from it,
// and Problem.Key); Default fills Config from the defaults; Validate checks
// its range or allowed values; and the CLI builds --help and the README's
// table from it. Rules that involve two settings (CPU and memory, a timeout
// shorter than its interval) stay as code beside the part they belong to.
//
// A row reads and writes its Config field through exactly one of Int, Str,
// Bool, Dur, Float or List.
type Setting struct {
	Key string
	// Group is the README table the setting is listed in.
	Group string
	// Usage is the one-line help, without the range and default, which
	// are added from the row.
	Usage string
	// Notes say more in the README than --help has room for.
	Notes string
	// Default is the built-in value, as a user would type it; for a list
	// setting, its values separated by commas.
	Default string
	// DefaultText, when not empty, describes a default that is not a
	// fixed value ("the stack's name"), for --help and the README.
	DefaultText string

	// Min and Max bound an int setting.
	Min, Max int
	// Ints, when not empty, are the allowed values of an int setting,
	// instead of Min to Max.
	Ints []int
	// Strings, when not empty, are the allowed values of a string setting.
	Strings []string
	// Zero, when not empty, allows 0 besides the range and says what it
	// means ("keeps AWS's 60").
	Zero string
	// Active, when not nil, limits the range check to the configurations
	// where the setting has an effect; elsewhere it is a warning
	// (Warnings), not an error.
	Active func(Config) bool

	// Place is the stack the setting belongs to when services share an
	// environment.
	Place Place

	// Hardened, when not empty, is the value the setting takes with
	// hardened when the user did not give one (ApplyHardened), as a user
	// would type it.
	Hardened string

	// Parameter is the template parameter whose Default the setting is,
	// if any. ParameterValue, when not nil, is its value for a Config and
	// whether the template declares the parameter; by default it is the
	// setting's value.
	Parameter      string
	ParameterValue func(Config) (value string, declared bool)

	// Step, for a Dur or Float setting, is the unit its values are whole
	// multiples of (a minute, 0.1); MinDur, MaxDur, MinF and MaxF bound
	// them.
	MinDur, MaxDur time.Duration
	MinF, MaxF     float64
	Step           float64

	Int  func(*Config) *int
	Str  func(*Config) *string
	Bool func(*Config) *bool
	// Dur reads a duration such as 10m or 1h30m; Float a decimal number
	// such as 2.5. Both are typed as strings (KindString).
	Dur   func(*Config) *time.Duration
	Float func(*Config) *float64
	// Negated makes a Bool setting the opposite of its field: the switch
	// no-container-insights turns ContainerInsights off.
	Negated bool
	List    *ListField
}

// Place is the stack a setting belongs to when services share an
// environment. Without an environment, one stack holds everything.
type Place int

// Places of a setting.
const (
	// PlaceService settings belong to the service's stack.
	PlaceService Place = iota
	// PlaceEnvironment settings belong to the load balancer or the
	// cluster: to the environment's stack, and a service in an
	// environment refuses them.
	PlaceEnvironment
	// PlaceBoth settings apply to each stack (tags, deletion protection).
	PlaceBoth
)

// ListField reads and writes the Config field of a list setting.
type ListField struct {
	Get func(Config) []string
	// Set replaces the field with values; it reports values it cannot read.
	Set func(*Config, []string) error
}

// Kind is the shape of a setting's value.
type Kind int

// Kinds of setting.
const (
	KindString Kind = iota
	KindInt
	KindBool
	// KindList repeats on the command line.
	KindList
)

// Kind returns the shape of s's value.
func (s Setting) Kind() Kind {
	switch {
	case s.Int != nil:
		return KindInt
	case s.Bool != nil:
		return KindBool
	case s.List != nil:
		return KindList
	}
	return KindString
}

// Set reads raw into the setting's field of c: one value, or for a list
// setting every value. The error says what is wrong with the value, for a
// message that names where it came from.
func (s Setting) Set(c *Config, raw []string) error {
	if s.List != nil {
		return s.List.Set(c, raw)
	}
	if len(raw) != 1 {
		return fmt.Errorf("takes one value, got %d", len(raw))
	}
	v := raw[0]
	switch {
	case s.Int != nil:
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not a whole number", v)
		}
		*s.Int(c) = n
	case s.Bool != nil:
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		*s.Bool(c) = b != s.Negated
	case s.Dur != nil:
		d, err := parseDuration(v)
		if err != nil {
			return err
		}
		*s.Dur(c) = d
	case s.Float != nil:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%q is not a number", v)
		}
		*s.Float(c) = f
	default:
		*s.Str(c) = v
	}
	return nil
}

// Value returns the setting's value in c, as Set reads it: one string, or
// one per element of a list.
func (s Setting) Value(c Config) []string {
	switch {
	case s.Int != nil:
		return []string{strconv.Itoa(*s.Int(&c))}
	case s.Bool != nil:
		return []string{strconv.FormatBool(*s.Bool(&c) != s.Negated)}
	case s.List != nil:
		return s.List.Get(c)
	case s.Dur != nil:
		return []string{FormatDuration(*s.Dur(&c))}
	case s.Float != nil:
		return []string{strconv.FormatFloat(*s.Float(&c), 'f', -1, 64)}
	}
	return []string{*s.Str(&c)}
}

// parseDuration reads a duration as Go writes one (90s, 10m, 1h30m); a
// plain 0 is zero.
func parseDuration(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration: use a number with a unit, such as 90s, 10m or 1h30m", v)
	}
	return d, nil
}

// FormatDuration writes d the way a user would type it: 10m, 1h30m, 1500ms.
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	if d%time.Second != 0 {
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	}
	// Duration.String writes 1h0m0s, 10m0s and 1m30s: drop the zero
	// seconds after minutes, then the zero minutes after hours, and
	// nothing else (10s stays 10s).
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Allowed describes the values s accepts beyond its type, for --help, the
// README and error messages: "5 to 300", "x86_64 or arm64", "1 to 4000; 0
// keeps AWS's 60". It is empty when code beside the setting's part checks it.
func (s Setting) Allowed() string {
	var allowed string
	switch {
	case len(s.Ints) > 0:
		allowed = orList(s.Ints, strconv.Itoa)
	case len(s.Strings) > 0:
		allowed = orList(s.Strings, func(v string) string { return v })
	case s.Int != nil && s.Max > 0:
		allowed = fmt.Sprintf("%d to %d", s.Min, s.Max)
	case s.Dur != nil && s.MaxDur > 0:
		allowed = fmt.Sprintf("%s to %s", FormatDuration(s.MinDur), FormatDuration(s.MaxDur))
		if s.Step != 0 {
			allowed += ", in whole " + stepUnit(time.Duration(s.Step))
		}
	case s.Float != nil && s.MaxF > 0:
		allowed = fmt.Sprintf("%s to %s", strconv.FormatFloat(s.MinF, 'f', -1, 64), strconv.FormatFloat(s.MaxF, 'f', -1, 64))
		if s.Step != 0 {
			allowed += " in steps of " + strconv.FormatFloat(s.Step, 'f', -1, 64)
		}
	}
	if s.Zero != "" {
		allowed += "; 0 " + s.Zero
	}
	return allowed
}

func orList[T any](values []T, format func(T) string) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = format(v)
	}
	if len(parts) <= 1 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}

// check adds a problem when s's value in c is outside its range or allowed
// values.
func (s Setting) check(c Config, v *validator) {
	if s.Active != nil && !s.Active(c) {
		return
	}
	switch {
	case s.Int != nil:
		n := *s.Int(&c)
		if n == 0 && s.Zero != "" {
			return
		}
		if len(s.Ints) > 0 {
			if !slices.Contains(s.Ints, n) {
				v.add(s.Key, "%d is not allowed: use %s%s", n, s.Allowed(), s.why())
			}
			return
		}
		if s.Max > 0 && (n < s.Min || n > s.Max) {
			v.add(s.Key, "%d is out of range: allowed %s", n, s.Allowed())
		}
	case s.Str != nil && len(s.Strings) > 0:
		if value := *s.Str(&c); !slices.Contains(s.Strings, value) {
			v.add(s.Key, "%q is not allowed: use %s%s", value, s.Allowed(), s.why())
		}
	case s.Dur != nil:
		d := *s.Dur(&c)
		if d == 0 && s.Zero != "" {
			return
		}
		if (s.MaxDur > 0 && (d < s.MinDur || d > s.MaxDur)) || (s.Step != 0 && d%time.Duration(s.Step) != 0) {
			v.add(s.Key, "%s is out of range: allowed %s", FormatDuration(d), s.Allowed())
		}
	case s.Float != nil:
		f := *s.Float(&c)
		if f == 0 && s.Zero != "" {
			return
		}
		// A whole number of steps, within rounding: 0.3 is 3 steps of 0.1.
		steps := f / s.Step
		if s.Step == 0 {
			steps = 0
		}
		if (s.MaxF > 0 && (f < s.MinF || f > s.MaxF)) || math.Abs(steps-math.Round(steps)) > 1e-6 {
			v.add(s.Key, "%s is out of range: allowed %s", strconv.FormatFloat(f, 'f', -1, 64), s.Allowed())
		}
	}
}

// stepUnit names a duration step: "minutes", "seconds" or "milliseconds".
func stepUnit(d time.Duration) string {
	switch d {
	case time.Minute:
		return "minutes"
	case time.Second:
		return "seconds"
	case time.Millisecond:
		return "milliseconds"
	}
	return "multiples of " + FormatDuration(d)
}

// why is the Notes of a setting with allowed values, for its error: they
// say why others are left out.
func (s Setting) why() string {
	if s.Notes == "" {
		return ""
	}
	return " (" + s.Notes + ")"
}

// Settings returns the settings table, in the order of --help.
func Settings() []Setting { return slices.Clone(settings) }

// LookupSetting returns the row of key.
func LookupSetting(key string) (Setting, bool) {
	i := slices.IndexFunc(settings, func(s Setting) bool { return s.Key == key })
	if i < 0 {
		return Setting{}, false
	}
	return settings[i], true
}

// Default returns the built-in settings: the blog post's setup, with our
// safer choices for logs, TLS and deployments. Every default but the
// circuit breaker, which has no setting, comes from the settings table.
func Default() Config {
	c := Config{Service: Service{CircuitBreaker: true}}
	for _, s := range settings {
		var raw []string
		switch {
		case s.List != nil && s.Default == "":
			raw = nil
		case s.List != nil:
			raw = strings.Split(s.Default, ",")
		case s.Default == "" && s.Kind() == KindBool:
			raw = []string{"false"} // a negated switch sets its field
		case s.Default == "" && (s.Kind() == KindInt || s.Dur != nil || s.Float != nil):
			continue
		default:
			raw = []string{s.Default}
		}
		if err := s.Set(&c, raw); err != nil {
			// A programming error in the table, which TestSettingsTable
			// catches.
			panic(fmt.Sprintf("stack: default of setting %s: %v", s.Key, err))
		}
	}
	return c
}

// README groups of the settings, in order.
const (
	GroupContainer    = "Application and container"
	GroupHealthChecks = "Health checks"
	GroupService      = "Service and deployments"
	GroupScaling      = "Autoscaling"
	GroupLoadBalancer = "Load balancer"
	GroupDelivery     = "Progressive delivery"
	GroupDomain       = "Domain and certificate"
	GroupEnvironment  = "Shared environment"
	GroupStack        = "Protection and tags"
)

// Groups lists the README groups in order.
func Groups() []string {
	return []string{GroupContainer, GroupHealthChecks, GroupService, GroupDelivery, GroupScaling, GroupLoadBalancer, GroupDomain, GroupEnvironment, GroupStack}
}

func scalingOn(c Config) bool        { return c.Scaling.Enabled() }
func spotOn(c Config) bool           { return c.Service.Spot.Enabled }
func containerCheckOn(c Config) bool { return c.Container.HealthCheck.Command != "" }
func progressive(c Config) bool      { return c.Deployment.Progressive() }
func canaryOn(c Config) bool         { return c.Deployment.Strategy == StrategyCanary }
func linearOn(c Config) bool         { return c.Deployment.Strategy == StrategyLinear }
func pauseOn(c Config) bool          { return progressive(c) && c.Deployment.PauseBeforeProduction }

// logRetentionDays are the values CloudWatch Logs accepts (CloudWatch Logs
// API reference, PutRetentionPolicy); 0, the setting's own, keeps the logs
// forever.
var logRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// fargateCPUs are the task CPU values Fargate accepts ("Task CPU and
// memory", ECS developer guide); fargateSizes pairs each with its memory.
var fargateCPUs = []int{256, 512, 1024, 2048, 4096, 8192, 16384}

// settings is the table. Ranges are AWS's, cited where a part's builder
// uses the value, unless a row says otherwise.
var settings = []Setting{
	// Application and container.
	{Key: KeyName, Group: GroupContainer, DefaultText: "the stack's name",
		Usage: "application name: letters, digits and hyphens, up to 64; names the container, the log group and the task family",
		Notes: "Without it, the template names them after the stack (AWS::StackName), so that one template serves any stack; in a shared environment the listener rule's priority is then derived from the hosts and paths",
		Str:   func(c *Config) *string { return &c.Name }},
	{Key: KeyImage, Group: GroupContainer, Default: DefaultImage, Parameter: ParamContainerImage,
		Usage: "container image: the ContainerImage parameter's default",
		Notes: "The built-in image comes from ECR Public, not Docker Hub, whose anonymous pulls are rate-limited per IP (every task behind one NAT gateway shares the limit), with a stable-branch tag rather than `latest`. An ECR image gets pull permissions for that repository only (pull-through-cache repositories included), and the parameter then accepts only images of that repository; any other image makes the parameter refuse private ECR images, which the execution role could not pull",
		Str:   func(c *Config) *string { return &c.Container.Image }},
	{Key: KeyContainerPort, Group: GroupContainer, Default: "80", Min: 1, Max: 65535,
		Usage: "port the container listens on",
		Int:   func(c *Config) *int { return &c.Container.Port }},
	{Key: KeyCPU, Group: GroupContainer, Default: "256", Ints: fargateCPUs,
		Usage: "task CPU units, 1024 per vCPU",
		Int:   func(c *Config) *int { return &c.Container.CPU }},
	{Key: KeyMemory, Group: GroupContainer, Default: "512",
		Usage: "task memory in MiB, valid for the CPU",
		Notes: "With cpu 256: 512-2048; 512: 1024-4096; 1024: 2048-8192; 2048: 4096-16384; 4096: 8192-30720; 8192: 16384-61440; 16384: 32768-122880 (in steps of 1024, 4096 from cpu 8192, 8192 from 16384)",
		Int:   func(c *Config) *int { return &c.Container.Memory }},
	{Key: KeyEnv, Group: GroupContainer,
		Usage: "container environment variable `KEY=VALUE`, repeatable",
		Notes: "An empty value is refused: ECS drops such variables, so the container would not see them at all",
		List:  &ListField{Get: envValues, Set: setEnv}},
	{Key: KeySecret, Group: GroupContainer,
		Usage: "secret environment variable `NAME=SOURCE`, repeatable: SOURCE is an ARN, an SSM parameter name (/prod/db/password, or password at the top level), or secretsmanager:NAME[:json-key:version-stage:version-id] for a Secrets Manager secret",
		Notes: "A name becomes an ARN of the stack's own partition, region and account, so the template works in any account; names are checked by the SSM and Secrets Manager naming rules, and `/aws/reference/secretsmanager/NAME` reads a secret through Parameter Store. The execution role may read exactly these secrets (a secret given by name or partial ARN gets the `-??????` suffix wildcard); a customer-managed KMS key also needs `kms:Decrypt`, which is not granted",
		List:  &ListField{Get: secretValues, Set: setSecrets}},
	{Key: KeyArch, Group: GroupContainer, Default: ArchX86, Strings: []string{ArchX86, ArchARM64},
		Usage: "CPU architecture",
		Str:   func(c *Config) *string { return &c.Container.Arch }},
	{Key: KeyReadOnlyRootFS, Group: GroupContainer, Hardened: "true",
		Usage: "mount the container's root filesystem read-only",
		Bool:  func(c *Config) *bool { return &c.Container.ReadOnlyRootFilesystem }},
	{Key: KeyUser, Group: GroupContainer,
		Usage: "user the container runs as: `USER`, UID, USER:GROUP, UID:GID, USER:GID or UID:GROUP; empty keeps the image's own",
		Notes: "Required with hardened, which refuses root and 0. The image must have that user, and let it read its files and bind its port: a user other than root cannot bind a port below 1024",
		Str:   func(c *Config) *string { return &c.Container.User }},
	{Key: KeyWritablePath, Group: GroupContainer, Default: strings.Join(DefaultWritablePaths, ","),
		Usage: "with read-only-root-fs: a writable directory `PATH` on the task's storage, repeatable; replaces the default list",
		Notes: "Each is a task volume and a mount point; the built-in nginx image also needs `/var/cache/nginx` and `/var/run`. A volume belongs to root, so that a container that runs as another user cannot write to it, unless the image declares the path with `VOLUME`, owned by that user (ECS developer guide, \"Bind mounts\"; containers-roadmap #938)",
		List: &ListField{
			Get: func(c Config) []string { return c.Container.WritablePaths },
			Set: func(c *Config, v []string) error { c.Container.WritablePaths = trimAll(v); return nil },
		}},
	{Key: KeyEphemeralStorage, Group: GroupContainer, Min: 21, Max: 200, Zero: "keeps Fargate's 20",
		Usage: "task storage in GiB",
		Int:   func(c *Config) *int { return &c.Container.EphemeralStorage }},
	{Key: KeyContainerHealthCheck, Group: GroupContainer,
		Usage: "container health-check shell command, e.g. \"curl -f http://localhost/ || exit 1\"",
		Str:   func(c *Config) *string { return &c.Container.HealthCheck.Command }},
	{Key: KeyContainerHCInterval, Group: GroupContainer, Default: "30", Min: 5, Max: 300, Active: containerCheckOn,
		Usage: "seconds between container health checks",
		Int:   func(c *Config) *int { return &c.Container.HealthCheck.Interval }},
	{Key: KeyContainerHCTimeout, Group: GroupContainer, Default: "5", Min: 2, Max: 60, Active: containerCheckOn,
		Usage: "seconds before a container health check fails, less than the interval",
		Int:   func(c *Config) *int { return &c.Container.HealthCheck.Timeout }},
	{Key: KeyContainerHCRetries, Group: GroupContainer, Default: "3", Min: 1, Max: 10, Active: containerCheckOn,
		Usage: "failed container health checks before unhealthy",
		Int:   func(c *Config) *int { return &c.Container.HealthCheck.Retries }},
	{Key: KeyContainerHCStartPeriod, Group: GroupContainer, Min: 0, Max: 300, Active: containerCheckOn,
		Usage: "seconds after start when failed container checks do not count",
		Int:   func(c *Config) *int { return &c.Container.HealthCheck.StartPeriod }},

	// Health checks of the load balancer. Fast ones: a new target is
	// healthy after one passing check and the healthy threshold applies
	// only to a target recovering from unhealthy (ECS developer guide,
	// "Optimize load balancer health check parameters"). A 10 s interval
	// puts a new task in service within about 10 s of registering and takes
	// a hung one out within 3 failed checks, about 30-35 s; three, not two,
	// so that one slow response does not drop a task. AWS's defaults (30 s,
	// 5 and 2) would take minutes to notice.
	{Key: KeyHealthCheckPath, Group: GroupHealthChecks, Default: "/",
		Usage: "path the load balancer checks",
		Str:   func(c *Config) *string { return &c.HealthCheck.Path }},
	{Key: KeyHealthCheckMatcher, Group: GroupHealthChecks, Default: "200",
		Usage: "HTTP codes that mean healthy: 200, 200,204 or 200-299, codes 200-499",
		Str:   func(c *Config) *string { return &c.HealthCheck.Matcher }},
	{Key: KeyHealthCheckInterval, Group: GroupHealthChecks, Default: "10", Min: 5, Max: 300,
		Usage: "seconds between health checks",
		Int:   func(c *Config) *int { return &c.HealthCheck.Interval }},
	{Key: KeyHealthCheckTimeout, Group: GroupHealthChecks, Default: "5", Min: 2, Max: 120,
		Usage: "seconds before a check fails, less than the interval",
		Int:   func(c *Config) *int { return &c.HealthCheck.Timeout }},
	{Key: KeyHealthyThreshold, Group: GroupHealthChecks, Default: "2", Min: 2, Max: 10,
		Usage: "passing checks before an unhealthy task is healthy again",
		Int:   func(c *Config) *int { return &c.HealthCheck.HealthyThreshold }},
	{Key: KeyUnhealthyThreshold, Group: GroupHealthChecks, Default: "3", Min: 2, Max: 10,
		Usage: "failing checks before a task is unhealthy",
		Int:   func(c *Config) *int { return &c.HealthCheck.UnhealthyThreshold }},
	{Key: KeyHealthCheckGracePeriod, Group: GroupHealthChecks, Default: "60", Min: 0, Max: maxGracePeriod,
		Usage: "seconds the service ignores failing checks of a new task",
		Int:   func(c *Config) *int { return &c.Service.HealthCheckGracePeriod }},

	// Service and deployments.
	{Key: KeyDesiredCount, Group: GroupService, Default: "1", Min: 0, Max: maxDesiredCount,
		Usage: "number of tasks: the DesiredCount parameter's default", Parameter: ParamDesiredCount,
		// With autoscaling the scaling policy owns the count: there is no
		// DesiredCount parameter.
		ParameterValue: func(c Config) (string, bool) { return strconv.Itoa(c.Service.DesiredCount), !c.Scaling.Enabled() },
		Int:            func(c *Config) *int { return &c.Service.DesiredCount }},
	{Key: KeyPublicTasks, Group: GroupService, Hardened: "false",
		Usage: "run tasks in the public subnets with public IPs: the AssignPublicIp parameter's default", Parameter: ParamAssignPublicIP,
		ParameterValue: func(c Config) (string, bool) { return assignPublicIP(c.Service.PublicTasks), true },
		Bool:           func(c *Config) *bool { return &c.Service.PublicTasks }},
	{Key: KeyMinHealthyPercent, Group: GroupService, Default: "100", Min: 0, Max: 100,
		Usage: "deployment: lowest running percent of the desired count",
		Int:   func(c *Config) *int { return &c.Service.MinHealthyPercent }},
	{Key: KeyMaxPercent, Group: GroupService, Default: "200", Min: 100, Max: 400,
		Usage: "deployment: highest running percent of the desired count",
		Int:   func(c *Config) *int { return &c.Service.MaxPercent }},
	{Key: KeyEnableExec, Group: GroupService,
		Usage: "turn on ECS Exec (aws ecs execute-command)",
		Bool:  func(c *Config) *bool { return &c.Service.EnableExec }},
	{Key: KeySpot, Group: GroupService,
		Usage: "run tasks on Fargate Spot",
		Bool:  func(c *Config) *bool { return &c.Service.Spot.Enabled }},
	{Key: KeySpotBase, Group: GroupService, Default: "1", Min: 0, Max: 100000, Active: spotOn,
		Usage: "with spot: tasks that always run on regular Fargate",
		Int:   func(c *Config) *int { return &c.Service.Spot.Base }},
	{Key: KeySpotWeight, Group: GroupService, Min: 0, Max: 1000, Active: spotOn,
		Usage: "with spot: Spot tasks per regular task beyond the base; 0 puts all of them on Spot",
		Int:   func(c *Config) *int { return &c.Service.Spot.Weight }},
	{Key: KeyCluster, Group: GroupService,
		Usage: "join this existing ECS cluster instead of creating one",
		Str:   func(c *Config) *string { return &c.Service.Cluster }},
	{Key: KeyPlatformVersion, Group: GroupService, Default: "LATEST", Strings: []string{"LATEST", "1.4.0"},
		Usage: "Fargate platform version",
		Notes: "1.3.0 lacks ECS Exec, ephemeral storage, arm64 and secret JSON keys",
		Str:   func(c *Config) *string { return &c.Service.PlatformVersion }},
	{Key: KeyNoContainerInsights, Group: GroupService, Place: PlaceEnvironment, Hardened: "false",
		Usage: "turn off CloudWatch Container Insights on the cluster",
		Bool:  func(c *Config) *bool { return &c.Service.ContainerInsights }, Negated: true},
	{Key: KeyLogRetentionDays, Group: GroupService, Default: "30", Ints: logRetentionDays, Zero: "keeps logs forever", Hardened: strconv.Itoa(hardenedRetentionDays),
		Usage: "days to keep the logs: the container's, and with hardened the load balancer's access logs in the bucket the stack creates",
		Int:   func(c *Config) *int { return &c.Logs.RetentionDays }},

	// Progressive delivery. ECS's ranges: DeploymentConfiguration,
	// CanaryConfiguration and LinearConfiguration in the ECS API reference
	// (bake times 0 to 1440 minutes; canary 0.1 to 100 and linear 3 to 100
	// percent, in steps of 0.1); cross-field rules are in delivery.go.
	{Key: KeyStrategy, Group: GroupDelivery, Default: StrategyRolling, Strings: []string{StrategyRolling, StrategyBlueGreen, StrategyCanary, StrategyLinear},
		Usage: "how a deployment moves traffic to the new version",
		Notes: "rolling replaces tasks a few at a time behind one target group; the others start the whole new version beside the old one and move the production listener rule's traffic to it, at once (blue-green), a canary share first (canary) or in equal steps (linear), and roll back by moving it back",
		Str:   func(c *Config) *string { return &c.Deployment.Strategy }},
	{Key: KeyBake, Group: GroupDelivery, Default: "10m", MinDur: 0, MaxDur: 24 * time.Hour, Step: float64(time.Minute), Active: progressive,
		Usage: "with a blue/green strategy: how long the old version keeps running after all traffic moved, for an instant roll back",
		Dur:   func(c *Config) *time.Duration { return &c.Deployment.Bake }},
	{Key: KeyCanaryPercent, Group: GroupDelivery, Default: "10", MinF: 0.1, MaxF: 100, Step: 0.1, Active: canaryOn,
		Usage: "with strategy canary: percent of production traffic the new version gets first",
		Float: func(c *Config) *float64 { return &c.Deployment.CanaryPercent }},
	{Key: KeyCanaryWait, Group: GroupDelivery, Default: "5m", MinDur: 0, MaxDur: 24 * time.Hour, Step: float64(time.Minute), Active: canaryOn,
		Usage: "with strategy canary: how long the canary share runs before the rest of the traffic moves",
		Dur:   func(c *Config) *time.Duration { return &c.Deployment.CanaryWait }},
	{Key: KeyLinearPercent, Group: GroupDelivery, Default: "20", MinF: 3, MaxF: 100, Step: 0.1, Active: linearOn,
		Usage: "with strategy linear: percent of production traffic moved at each step",
		Float: func(c *Config) *float64 { return &c.Deployment.LinearPercent }},
	{Key: KeyLinearInterval, Group: GroupDelivery, Default: "3m", MinDur: 0, MaxDur: 24 * time.Hour, Step: float64(time.Minute), Active: linearOn,
		Usage: "with strategy linear: time between steps",
		Dur:   func(c *Config) *time.Duration { return &c.Deployment.LinearInterval }},
	{Key: KeyPauseBeforeProduction, Group: GroupDelivery,
		Usage: "with a blue/green strategy: hold each deployment before production traffic moves, until it is approved or rejected (deploy --on-pause)",
		Notes: "A Lambda lifecycle hook, inline in the template, waits for the answer that cfnfargate records in an SSM parameter",
		Bool:  func(c *Config) *bool { return &c.Deployment.PauseBeforeProduction }},
	{Key: KeyPauseTimeout, Group: GroupDelivery, Default: "1h", MinDur: time.Minute, MaxDur: 24 * time.Hour, Step: float64(time.Minute), Active: pauseOn,
		Usage: "with pause-before-production: how long a deployment waits for an answer before it rolls back",
		Dur:   func(c *Config) *time.Duration { return &c.Deployment.PauseTimeout }},
	{Key: KeyTestHeader, Group: GroupDelivery,
		Usage: "with a blue/green strategy: `NAME=VALUE` of a request header that reaches the new version before production traffic does (a test listener rule)",
		Notes: "The name is up to 40 characters of an HTTP token, without * and not Host, as ELB's header conditions require",
		Str:   func(c *Config) *string { return &c.Deployment.TestHeader }},
	{Key: KeyRollbackOn5xx, Group: GroupDelivery, MinF: 0.1, MaxF: 100, Step: 0.1, Zero: "turns it off",
		Usage: "roll a deployment back when the targets answer more than this percent of requests with 5xx (an alarm created for you)",
		Float: func(c *Config) *float64 { return &c.Deployment.Rollback5xxPercent }},
	{Key: KeyRollbackOnLatencyP99, Group: GroupDelivery, MinDur: time.Millisecond, MaxDur: 10 * time.Minute, Step: float64(time.Millisecond), Zero: "turns it off",
		Usage: "roll a deployment back when the targets' p99 response time is over this (an alarm created for you)",
		Dur:   func(c *Config) *time.Duration { return &c.Deployment.RollbackLatencyP99 }},
	{Key: KeyRollbackAlarm, Group: GroupDelivery,
		Usage: "roll a deployment back when this existing CloudWatch alarm `NAME` goes to ALARM, repeatable",
		List: &ListField{
			Get: func(c Config) []string { return c.Deployment.RollbackAlarms },
			Set: func(c *Config, v []string) error { c.Deployment.RollbackAlarms = trimAll(v); return nil },
		}},

	// Autoscaling.
	{Key: KeyMinCount, Group: GroupScaling, Min: 0, Max: maxDesiredCount, Active: scalingOn,
		Usage: "autoscaling: fewest tasks; the MinCount parameter's default", Parameter: ParamMinCount,
		ParameterValue: func(c Config) (string, bool) { return strconv.Itoa(c.Scaling.MinCount), c.Scaling.Enabled() },
		Int:            func(c *Config) *int { return &c.Scaling.MinCount }},
	{Key: KeyMaxCount, Group: GroupScaling, Min: 1, Max: maxDesiredCount, Zero: "turns autoscaling off",
		Usage: "autoscaling: most tasks; the MaxCount parameter's default", Parameter: ParamMaxCount,
		ParameterValue: func(c Config) (string, bool) { return strconv.Itoa(c.Scaling.MaxCount), c.Scaling.Enabled() },
		Int:            func(c *Config) *int { return &c.Scaling.MaxCount }},
	{Key: KeyScaleCPUPercent, Group: GroupScaling, Min: 1, Max: 100, Zero: "turns it off", Active: scalingOn,
		Usage: "autoscaling: average CPU percent to hold",
		Int:   func(c *Config) *int { return &c.Scaling.CPUPercent }},
	{Key: KeyScaleRequestsPerTarget, Group: GroupScaling, Min: 1, Max: 1000000, Zero: "turns it off", Active: scalingOn,
		Usage: "autoscaling: requests per task per minute to hold",
		Int:   func(c *Config) *int { return &c.Scaling.RequestsPerTarget }},
	{Key: KeyScaleInCooldown, Group: GroupScaling, Default: "300", Min: 0, Max: 3600, Active: scalingOn,
		Usage: "autoscaling: seconds between scale-in steps",
		Int:   func(c *Config) *int { return &c.Scaling.ScaleInCooldown }},
	{Key: KeyScaleOutCooldown, Group: GroupScaling, Default: "60", Min: 0, Max: 3600, Active: scalingOn,
		Usage: "autoscaling: seconds between scale-out steps",
		Int:   func(c *Config) *int { return &c.Scaling.ScaleOutCooldown }},

	// Load balancer.
	{Key: KeySSLPolicy, Group: GroupLoadBalancer, Place: PlaceEnvironment, Default: DefaultSSLPolicy,
		Usage: "ELB security policy of the HTTPS listener",
		Notes: "AWS's recommendation and the console's default (TLS 1.3 with hybrid post-quantum key exchange, and TLS 1.2 with restricted ciphers). Every current policy is accepted, FIPS and post-quantum ones included; a well-formed name cfnfargate does not know gets a warning, as ELB checks it when it creates the listener",
		Str:   func(c *Config) *string { return &c.LoadBalancer.SSLPolicy }},
	{Key: KeyDeregistrationDelay, Group: GroupLoadBalancer, Default: "30", Min: 0, Max: 3600,
		Usage: "seconds the load balancer drains a stopping task",
		Notes: "AWS's default of 300 makes every deploy slow",
		Int:   func(c *Config) *int { return &c.LoadBalancer.DeregistrationDelay }},
	{Key: KeyInternal, Group: GroupLoadBalancer, Place: PlaceEnvironment,
		Usage: "internal load balancer in the private subnets (needs allow-cidr)",
		Bool:  func(c *Config) *bool { return &c.LoadBalancer.Internal }},
	{Key: KeyAllowCIDR, Group: GroupLoadBalancer, Place: PlaceEnvironment,
		Usage: "network allowed to reach the load balancer instead of anywhere, `CIDR`, repeatable",
		Notes: "Up to 30 per address family, as each takes two of the security group's 60 rules per family",
		List: &ListField{
			Get: func(c Config) []string { return c.LoadBalancer.AllowCIDRs },
			Set: func(c *Config, v []string) error { c.LoadBalancer.AllowCIDRs = trimAll(v); return nil },
		}},
	{Key: KeyAccessLogsBucket, Group: GroupLoadBalancer, Place: PlaceEnvironment,
		Usage: "S3 bucket for the load balancer's access logs",
		Str:   func(c *Config) *string { return &c.LoadBalancer.AccessLogs.Bucket }},
	{Key: KeyAccessLogsPrefix, Group: GroupLoadBalancer, Place: PlaceEnvironment,
		Usage: "key prefix of the access logs in the bucket",
		Str:   func(c *Config) *string { return &c.LoadBalancer.AccessLogs.Prefix }},
	{Key: KeyWAFACLArn, Group: GroupLoadBalancer, Place: PlaceEnvironment,
		Usage: "regional AWS WAF web ACL to associate with the load balancer",
		Str:   func(c *Config) *string { return &c.LoadBalancer.WAFWebACLArn }},
	{Key: KeyIdleTimeout, Group: GroupLoadBalancer, Place: PlaceEnvironment, Min: 1, Max: 4000, Zero: "keeps AWS's 60",
		Usage: "load balancer idle timeout in seconds",
		Int:   func(c *Config) *int { return &c.LoadBalancer.IdleTimeout }},
	{Key: KeyStickiness, Group: GroupLoadBalancer, Min: 1, Max: 604800, Zero: "turns them off",
		Usage: "sticky sessions: cookie lifetime in seconds",
		Int:   func(c *Config) *int { return &c.LoadBalancer.Stickiness }},
	{Key: KeyDualStack, Group: GroupLoadBalancer, Place: PlaceEnvironment,
		Usage: "give the load balancer IPv6 addresses too (its subnets need IPv6 ranges)",
		Bool:  func(c *Config) *bool { return &c.LoadBalancer.DualStack }},
	{Key: KeyNoHTTP2, Group: GroupLoadBalancer, Place: PlaceEnvironment,
		Usage: "turn off HTTP/2 on the load balancer",
		Bool:  func(c *Config) *bool { return &c.LoadBalancer.DisableHTTP2 }},

	{Key: KeyExtraCertificates, Group: GroupLoadBalancer, Place: PlaceEnvironment, Min: 0, Max: maxExtraCertificates,
		Usage: "certificates the HTTPS listener serves besides the default one, each a parameter (CertificateArn2, ...); SNI picks the one that matches the host",
		Int:   func(c *Config) *int { return &c.LoadBalancer.ExtraCertificates }},

	// Shared environment.
	{Key: KeyEnvironment, Group: GroupEnvironment,
		Usage: "run the service in the shared environment `NAME` (cfnfargate env): its load balancer and cluster, with a listener rule; NAME also picks the config file's layer environments.NAME",
		Str:   func(c *Config) *string { return &c.Environment.Name }},
	{Key: KeyDedicatedALB, Group: GroupEnvironment,
		Usage: "with environment: keep a load balancer and cluster of the service's own, as a security boundary; the environment still picks the config file's layer and the stack name",
		Bool:  func(c *Config) *bool { return &c.Environment.Dedicated }},
	{Key: KeyHost, Group: GroupEnvironment,
		Usage: "with environment: a host name `HOST` the listener rule matches (app.example.com or *.example.com), repeatable",
		List: &ListField{
			Get: func(c Config) []string { return c.Environment.Hosts },
			Set: func(c *Config, v []string) error { c.Environment.Hosts = trimAll(v); return nil },
		}},
	{Key: KeyPath, Group: GroupEnvironment,
		Usage: "with environment: a path pattern `PATH` the listener rule matches (/api/*), repeatable",
		List: &ListField{
			Get: func(c Config) []string { return c.Environment.Paths },
			Set: func(c *Config, v []string) error { c.Environment.Paths = trimAll(v); return nil },
		}},
	{Key: KeyPriority, Group: GroupEnvironment, Min: 1, Max: maxRulePriority, Zero: "lets deploy take a free one (emit derives it from the name)",
		Usage: "with environment: the listener rule's priority; lower numbers are matched first",
		Int:   func(c *Config) *int { return &c.Environment.Priority }},

	// Domain and certificate.
	{Key: KeyDomainName, Group: GroupDomain,
		Usage: "custom domain: alias records to the load balancer; without a certificate ARN at deploy time, one is created",
		Notes: "Up to 64 characters, ACM's limit for the certificate it may create",
		Str:   func(c *Config) *string { return &c.Domain.Name }},
	{Key: KeyHostedZoneID, Group: GroupDomain,
		Usage: "Route 53 hosted zone of domain-name",
		Str:   func(c *Config) *string { return &c.Domain.HostedZoneID }},

	// Protection and tags.
	{Key: KeyHardened, Group: GroupStack, Place: PlaceBoth,
		Usage: "build the template that passes the security controls auditors check (see \"Hardened\" in the README): a KMS key for the logs, access logs, WAF, deletion protection, managed IAM policies, HTTPS only, a read-only root filesystem and a non-root user",
		Notes: "Needs user, and a certificate or a domain. A setting given with it, or kept by a deploy from a release that was given it, keeps its value, with a warning naming the control it breaks; a value it gave is not kept once it is off",
		Bool:  func(c *Config) *bool { return &c.Hardened }},
	{Key: KeyDeletionProtection, Group: GroupStack, Place: PlaceBoth, Hardened: "true",
		Usage: "protect the load balancer from deletion and keep the log group",
		Bool:  func(c *Config) *bool { return &c.DeletionProtection }},
	{Key: KeyTag, Group: GroupStack, Place: PlaceBoth,
		Usage: "tag `KEY=VALUE` for every taggable resource (and, on deploy, the stack), repeatable",
		List:  &ListField{Get: tagValues, Set: setTags}},
}

func envValues(c Config) []string {
	out := make([]string, len(c.Container.Environment))
	for i, e := range c.Container.Environment {
		out[i] = e.Name + "=" + e.Value
	}
	return out
}

func setEnv(c *Config, values []string) error {
	pairs, err := splitPairs(values, "KEY=VALUE")
	c.Container.Environment = []EnvVar{}
	for _, p := range pairs {
		c.Container.Environment = append(c.Container.Environment, EnvVar{Name: p[0], Value: p[1]})
	}
	return err
}

func secretValues(c Config) []string {
	out := make([]string, len(c.Container.Secrets))
	for i, s := range c.Container.Secrets {
		out[i] = s.Name + "=" + s.From
	}
	return out
}

func setSecrets(c *Config, values []string) error {
	pairs, err := splitPairs(values, "NAME=SOURCE")
	c.Container.Secrets = nil
	for _, p := range pairs {
		c.Container.Secrets = append(c.Container.Secrets, Secret{Name: p[0], From: p[1]})
	}
	return err
}

func tagValues(c Config) []string {
	out := make([]string, len(c.Tags))
	for i, t := range c.Tags {
		out[i] = t.Key + "=" + t.Value
	}
	return out
}

func setTags(c *Config, values []string) error {
	pairs, err := splitPairs(values, "KEY=VALUE")
	c.Tags = nil
	for _, p := range pairs {
		c.Tags = append(c.Tags, Tag{Key: p[0], Value: p[1]})
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
