package stack

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cfnfargate/cfnfargate/internal/lazyregexp"
)

// Problem is one thing wrong with the input. For Validate, Key is the
// setting's config-file key, which is also its command-line flag name, so
// callers can point at either. Package deploy and the command line use the
// same type for their own input; there Key names what their caller gave
// (a flag, say), and is empty when nothing in particular is at fault.
type Problem struct {
	Key     string
	Message string
	// Related are the other settings a cross-field problem involves, named
	// with their values in Message. A caller that could not read one of
	// them can drop the problem: it judged Key against a value the user
	// did not mean.
	Related []string
	// Give are the keys of the settings whose value would fix it, after
	// Message says what is wrong: data rather than words, so that a
	// caller names them as it names settings (the command line as flags,
	// with its own hints). String writes them as keys.
	Give []string
}

func (p Problem) String() string {
	msg := p.Message
	if len(p.Give) > 0 {
		msg += "; give " + strings.Join(p.Give, " or ")
	}
	if p.Key == "" {
		return msg
	}
	return p.Key + ": " + msg
}

// ValidationError lists every problem found in the input, all at once,
// before anything was built or sent to AWS. It is the one error type for
// such a list: Validate's (titled "invalid settings"), package deploy's
// and the command line's ("invalid input"). Package deploy's ExitCode
// gives it exit status 2.
type ValidationError struct {
	Title    string // what was checked; "invalid input" when empty
	Problems []Problem
}

func (e *ValidationError) Error() string {
	title := e.Title
	if title == "" {
		title = "invalid input"
	}
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return title + ":\n  " + strings.Join(lines, "\n  ")
}

// Setting keys, shared by config files, flags and Problem.Key.
const (
	KeyName                   = "name"
	KeyImage                  = "image"
	KeyContainerPort          = "container-port"
	KeyCPU                    = "cpu"
	KeyMemory                 = "memory"
	KeyDesiredCount           = "desired-count"
	KeyEnv                    = "env"
	KeyHealthCheckPath        = "health-check-path"
	KeyHealthCheckMatcher     = "health-check-matcher"
	KeyHealthCheckInterval    = "health-check-interval"
	KeyHealthCheckTimeout     = "health-check-timeout"
	KeyHealthyThreshold       = "healthy-threshold"
	KeyUnhealthyThreshold     = "unhealthy-threshold"
	KeyHealthCheckGracePeriod = "health-check-grace-period"
	KeyLogRetentionDays       = "log-retention-days"
	KeySSLPolicy              = "ssl-policy"
	KeyPublicTasks            = "public-tasks"
	KeyNoContainerInsights    = "no-container-insights"
	KeyDeregistrationDelay    = "deregistration-delay"

	KeyMinCount               = "min-count"
	KeyMaxCount               = "max-count"
	KeyScaleCPUPercent        = "scale-cpu-percent"
	KeyScaleRequestsPerTarget = "scale-requests-per-target"
	KeyScaleInCooldown        = "scale-in-cooldown"
	KeyScaleOutCooldown       = "scale-out-cooldown"
	KeyDomainName             = "domain-name"
	KeyHostedZoneID           = "hosted-zone-id"
	KeySecret                 = "secret"
	KeyEnableExec             = "enable-exec"
	KeySpot                   = "spot"
	KeySpotBase               = "spot-base"
	KeySpotWeight             = "spot-weight"
	KeyArch                   = "arch"
	KeyInternal               = "internal"
	KeyAllowCIDR              = "allow-cidr"
	KeyAccessLogsBucket       = "access-logs-bucket"
	KeyAccessLogsPrefix       = "access-logs-prefix"
	KeyDeletionProtection     = "deletion-protection"
	KeyWAFACLArn              = "waf-acl-arn"
	KeyMinHealthyPercent      = "min-healthy-percent"
	KeyMaxPercent             = "max-percent"
	KeyContainerHealthCheck   = "container-health-check"
	KeyContainerHCInterval    = "container-health-check-interval"
	KeyContainerHCTimeout     = "container-health-check-timeout"
	KeyContainerHCRetries     = "container-health-check-retries"
	KeyContainerHCStartPeriod = "container-health-check-start-period"
	KeyCluster                = "cluster"
	KeyReadOnlyRootFS         = "read-only-root-fs"
	KeyWritablePath           = "writable-path"
	KeyEphemeralStorage       = "ephemeral-storage"
	KeyPlatformVersion        = "platform-version"
	KeyStickiness             = "stickiness"
	KeyIdleTimeout            = "idle-timeout"
	KeyNoHTTP2                = "no-http2"
	KeyTag                    = "tag"
	KeyDualStack              = "dualstack"
	KeyExtraCertificates      = "extra-certificates"
	KeyEnvironment            = "environment"
	KeyHost                   = "host"
	KeyPath                   = "path"
	KeyPriority               = "priority"
	KeyDedicatedALB           = "dedicated-alb"
	KeyHardened               = "hardened"
	KeyUser                   = "user"

	KeyStrategy              = "strategy"
	KeyBake                  = "bake"
	KeyCanaryPercent         = "canary-percent"
	KeyCanaryWait            = "canary-wait"
	KeyLinearPercent         = "linear-percent"
	KeyLinearInterval        = "linear-interval"
	KeyPauseBeforeProduction = "pause-before-production"
	KeyPauseTimeout          = "pause-timeout"
	KeyTestHeader            = "test-header"
	KeyRollbackOn5xx         = "rollback-on-5xx"
	KeyRollbackOnLatencyP99  = "rollback-on-latency-p99"
	KeyRollbackAlarm         = "rollback-alarm"
)

// Validate reports every problem with c at once, as a *ValidationError, or
// returns nil.
func (c Config) Validate() error {
	var v validator
	// The ranges and allowed values of single settings come from the
	// settings table; the rest is code beside each part.
	for _, s := range settings {
		s.check(c, &v)
	}
	v.name(c.Name)
	v.image(c.Container.Image)
	v.fargateSize(c.Container.CPU, c.Container.Memory)
	v.environment(c.Container.Environment)
	v.healthCheck(c.HealthCheck)
	v.sslPolicy(c.LoadBalancer.SSLPolicy)
	v.scaling(c.Scaling)
	v.execAndReadOnly(c)
	v.user(c.Container.User)
	v.hardened(c)
	v.writablePaths(c.Container)
	v.domain(c.Domain)
	v.secrets(c.Container.Secrets, c.Container.Environment)
	v.loadBalancer(c.LoadBalancer)
	v.deployment(c.Service, c.Scaling)
	v.containerHealthCheck(c.Container.HealthCheck)
	v.cluster(c.Service.Cluster)
	v.routing(c)
	v.delivery(c)
	v.tags(c.Tags)
	if len(v.problems) == 0 {
		return nil
	}
	return &ValidationError{Title: "invalid settings", Problems: v.problems}
}

const (
	maxNameLength   = 64
	maxImageLength  = 255
	maxDesiredCount = 5000 // ECS's limit of tasks per service.
	maxGracePeriod  = 2147483647
)

type validator struct {
	problems []Problem
}

func (v *validator) add(key, format string, args ...any) {
	v.problems = append(v.problems, Problem{Key: key, Message: fmt.Sprintf(format, args...)})
}

// addCross adds a problem of key that involves the related settings too;
// its message names each of them with its value.
func (v *validator) addCross(key string, related []string, format string, args ...any) {
	v.problems = append(v.problems, Problem{Key: key, Message: fmt.Sprintf(format, args...), Related: related})
}

// addNeeds adds a problem of key that a value of one of the settings give
// would fix; they are involved too (Related), as the message judges key
// without them.
func (v *validator) addNeeds(key string, give []string, format string, args ...any) {
	v.problems = append(v.problems, Problem{Key: key, Message: fmt.Sprintf(format, args...), Related: give, Give: give})
}

var namePattern = lazyregexp.New(`^[A-Za-z0-9-]+$`)

func (v *validator) name(name string) {
	switch {
	case name == "":
		// The stack's name (name.go).
	case len(name) > maxNameLength:
		v.add(KeyName, "%q is %d characters long: allowed up to %d", name, len(name), maxNameLength)
	case !namePattern.MatchString(name):
		v.add(KeyName, "%q has characters that are not allowed: use only letters, digits and hyphens", name)
	}
}

func joinInts(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ", ")
}
