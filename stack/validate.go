package stack

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
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
}

func (p Problem) String() string {
	if p.Key == "" {
		return p.Message
	}
	return p.Key + ": " + p.Message
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
)

// Validate reports every problem with c at once, as a *ValidationError, or
// returns nil.
func (c Config) Validate() error {
	var v validator
	v.name(c.Name)
	v.image(c.Container.Image)
	v.intRange(KeyContainerPort, c.Container.Port, 1, 65535)
	v.fargateSize(c.Container.CPU, c.Container.Memory)
	v.intRange(KeyDesiredCount, c.Service.DesiredCount, 0, maxDesiredCount)
	v.environment(c.Container.Environment)
	v.healthCheck(c.HealthCheck)
	v.intRange(KeyHealthCheckGracePeriod, c.Service.HealthCheckGracePeriod, 0, maxGracePeriod)
	v.logRetention(c.Logs.RetentionDays)
	v.sslPolicy(c.LoadBalancer.SSLPolicy)
	v.intRange(KeyDeregistrationDelay, c.LoadBalancer.DeregistrationDelay, 0, 3600)
	v.scaling(c.Scaling)
	v.execAndReadOnly(c)
	v.writablePaths(c.Container)
	v.domain(c.Domain)
	v.secrets(c.Container.Secrets, c.Container.Environment)
	v.spot(c.Service.Spot)
	v.arch(c.Container.Arch)
	v.loadBalancer(c.LoadBalancer)
	v.deployment(c.Service, c.Scaling)
	v.containerHealthCheck(c.Container.HealthCheck)
	v.cluster(c.Service.Cluster)
	if c.Container.EphemeralStorage != 0 {
		v.intRange(KeyEphemeralStorage, c.Container.EphemeralStorage, 21, 200)
	}
	v.platformVersion(c.Service.PlatformVersion)
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

func (v *validator) intRange(key string, n, lo, hi int) {
	if n < lo || n > hi {
		v.add(key, "%d is out of range: allowed %d to %d", n, lo, hi)
	}
}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9-]+$`)

func (v *validator) name(name string) {
	switch {
	case name == "":
		v.add(KeyName, "must not be empty: use letters, digits and hyphens, up to %d characters", maxNameLength)
	case len(name) > maxNameLength:
		v.add(KeyName, "%q is %d characters long: allowed up to %d", name, len(name), maxNameLength)
	case !namePattern.MatchString(name):
		v.add(KeyName, "%q has characters that are not allowed: use only letters, digits and hyphens", name)
	}
}

// imagePattern is the Docker image reference grammar (distribution/reference):
// an optional registry host[:port], a lowercase repository path, then an
// optional :tag and an optional @digest.
var imagePattern = regexp.MustCompile(`^` +
	`(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?/)?` +
	`[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*` +
	imageTagAndDigest + `$`)

// imageTagAndDigest is the optional :tag and @digest of an image reference.
const imageTagAndDigest = `(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?` +
	`(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?`

func (v *validator) image(image string) {
	switch {
	case image == "":
		v.add(KeyImage, "must not be empty: give an image reference such as nginx:1.27 or 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:v1")
	case len(image) > maxImageLength:
		v.add(KeyImage, "is %d characters long: allowed up to %d", len(image), maxImageLength)
	case !imagePattern.MatchString(image):
		v.add(KeyImage, "%q is not a valid image reference: expected [registry/]repository[:tag][@digest] with a lowercase repository, e.g. nginx:1.27", image)
	}
}

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
		v.add(KeyCPU, "%d is not a Fargate CPU value: allowed 256, 512, 1024, 2048, 4096, 8192, 16384", cpu)
		return
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

var envNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

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
	healthPathPattern = regexp.MustCompile(`^/[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]*$`)
	matcherPattern    = regexp.MustCompile(`^[0-9]{3}(-[0-9]{3})?(,[0-9]{3}(-[0-9]{3})?)*$`)
)

func (v *validator) healthCheck(h HealthCheck) {
	switch {
	case h.Path == "" || h.Path[0] != '/':
		v.add(KeyHealthCheckPath, "%q must start with /, e.g. /health", h.Path)
	case len(h.Path) > 1024:
		v.add(KeyHealthCheckPath, "is %d characters long: allowed up to 1024", len(h.Path))
	case !healthPathPattern.MatchString(h.Path):
		v.add(KeyHealthCheckPath, "%q has characters not allowed in a URL path (spaces or control characters?)", h.Path)
	}
	v.matcher(h.Matcher)
	v.intRange(KeyHealthCheckInterval, h.Interval, 5, 300)
	v.intRange(KeyHealthCheckTimeout, h.Timeout, 2, 120)
	if h.Timeout >= h.Interval {
		v.addCross(KeyHealthCheckTimeout, []string{KeyHealthCheckInterval},
			"health-check-timeout %d s must be shorter than health-check-interval %d s", h.Timeout, h.Interval)
	}
	v.intRange(KeyHealthyThreshold, h.HealthyThreshold, 2, 10)
	v.intRange(KeyUnhealthyThreshold, h.UnhealthyThreshold, 2, 10)
}

// matcher checks an ALB HTTP success-code matcher: codes from 200 to 499,
// as a single code, a comma-separated list, or a low-high range.
func (v *validator) matcher(m string) {
	const allowed = "use HTTP codes from 200 to 499 as 200, 200,202 or 200-299"
	if !matcherPattern.MatchString(m) {
		v.add(KeyHealthCheckMatcher, "%q is not well formed: %s", m, allowed)
		return
	}
	for _, part := range strings.Split(m, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		low, _ := strconv.Atoi(lo)
		high := low
		if isRange {
			high, _ = strconv.Atoi(hi)
		}
		if low < 200 || high > 499 || low > high {
			v.add(KeyHealthCheckMatcher, "%q is out of range: %s", part, allowed)
			return
		}
	}
}

// logRetentionDays are the values CloudWatch Logs accepts; 0 means the logs
// never expire.
var logRetentionDays = []int{0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

func (v *validator) logRetention(days int) {
	if !slices.Contains(logRetentionDays, days) {
		v.add(KeyLogRetentionDays, "%d is not a CloudWatch Logs retention period: allowed %s (0 keeps logs forever)", days, joinInts(logRetentionDays))
	}
}

func joinInts(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ", ")
}

// SSLPolicies are the predefined ELB security policies an HTTPS listener of
// an Application Load Balancer accepts. Source: "Security policies for your
// Application Load Balancer" in the ELB user guide (2026), which adds new
// ones from time to time; list them with `aws elbv2 describe-ssl-policies`.
var SSLPolicies = []string{
	"ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-2-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-2-Ext1-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-2-Ext2-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-0-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-2-FIPS-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-2-Res-FIPS-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-2-Ext0-FIPS-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-2-Ext1-FIPS-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-2-Ext2-FIPS-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-0-FIPS-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-2-2021-06",
	"ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
	"ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
	"ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
	"ELBSecurityPolicy-TLS13-1-1-2021-06",
	"ELBSecurityPolicy-TLS13-1-0-2021-06",
	"ELBSecurityPolicy-TLS13-1-3-2021-06",
	"ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
	"ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
	"ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
	"ELBSecurityPolicy-TLS13-1-2-Ext0-FIPS-2023-04",
	"ELBSecurityPolicy-TLS13-1-2-Ext1-FIPS-2023-04",
	"ELBSecurityPolicy-TLS13-1-2-Ext2-FIPS-2023-04",
	"ELBSecurityPolicy-TLS13-1-1-FIPS-2023-04",
	"ELBSecurityPolicy-TLS13-1-0-FIPS-2023-04",
	"ELBSecurityPolicy-FS-1-2-Res-2020-10",
	"ELBSecurityPolicy-FS-1-2-Res-2019-08",
	"ELBSecurityPolicy-FS-1-2-2019-08",
	"ELBSecurityPolicy-FS-1-1-2019-08",
	"ELBSecurityPolicy-FS-2018-06",
	"ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
	"ELBSecurityPolicy-TLS-1-2-2017-01",
	"ELBSecurityPolicy-TLS-1-1-2017-01",
	"ELBSecurityPolicy-2016-08",
	"ELBSecurityPolicy-TLS-1-0-2015-04",
	"ELBSecurityPolicy-2015-05",
}

// sslPolicyName is the shape of a predefined policy's name. A name of that
// shape that is not in SSLPolicies is accepted with a warning: AWS adds
// policies (the RFC 9151 ones, say) faster than this list, and ELB itself
// rejects an unknown name with a clear error when the listener is created.
var sslPolicyName = regexp.MustCompile(`^ELBSecurityPolicy-[A-Za-z0-9-]{1,100}$`)

func (v *validator) sslPolicy(policy string) {
	if !sslPolicyName.MatchString(policy) {
		v.add(KeySSLPolicy, "%q is not an ELB security policy name: use one of the predefined ELBSecurityPolicy-* policies, e.g. %s (list them with: aws elbv2 describe-ssl-policies --query 'SslPolicies[].Name')", policy, DefaultSSLPolicy)
	}
}
