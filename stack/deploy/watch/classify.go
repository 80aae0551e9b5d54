package watch

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cfnfargate/cfnfargate/stack"
)

// Kind names a class of failure.
type Kind string

const (
	ImageNotFound        Kind = "image-not-found"
	ImageAccessDenied    Kind = "image-access-denied"
	ImagePullTimeout     Kind = "image-pull-timeout"
	ImagePullRateLimited Kind = "image-pull-rate-limited"
	ExecFormatError      Kind = "exec-format-error"
	OutOfMemory          Kind = "out-of-memory"
	SecretsDenied        Kind = "secrets-access-denied"
	SecretsUnreachable   Kind = "secrets-unreachable"
	LogsUnavailable      Kind = "logs-unavailable"
	ResourceInit         Kind = "resource-initialization"
	HealthCheckCodes     Kind = "health-check-response-code"
	HealthCheckTimeout   Kind = "health-check-timeout"
	HealthCheckConnect   Kind = "health-check-connection"
	ELBHealthCheck       Kind = "elb-health-check"
	ContainerHealthCheck Kind = "container-health-check"
	AppExit              Kind = "app-exit"
	ReadOnlyFilesystem   Kind = "read-only-filesystem"
	PrivilegedPort       Kind = "privileged-port"
	Unknown              Kind = "unknown"
)

// Cause is why a task stopped or a target is unhealthy, as data: the
// caller words Settings as its own flags or keys.
type Cause struct {
	Kind Kind `json:"kind"`
	// Summary says what failed, in plain words that name no flag.
	Summary string `json:"summary"`
	// Evidence is what AWS said, verbatim: a stop reason, a container
	// reason, a target-health description.
	Evidence string `json:"evidence,omitempty"`
	// Settings are the settings most likely to fix it, most likely first:
	// stack.Key* names, or template parameter names (stack.Param*) for the
	// deploy parameters.
	Settings []string `json:"settings,omitempty"`
	// Check is what to check that no setting holds, in plain words, such
	// as the route from the private subnets to a registry.
	Check string `json:"check,omitempty"`
	// Deterministic marks a cause that every new task of the deployment
	// will meet again, so waiting for the circuit breaker gains nothing:
	// an image that is not there, a binary for another CPU, secrets the
	// task may not read, and an app that exits at start-up (with the same
	// exit code each time; see Key).
	Deterministic bool `json:"deterministic"`
	// ExitCode is the essential container's exit code, when it exited.
	ExitCode *int `json:"exitCode,omitempty"`
}

// Key groups causes that are the same failure: the kind and, for an app
// that exits, its exit code.
func (c Cause) Key() string {
	if c.ExitCode != nil {
		return fmt.Sprintf("%s/%d", c.Kind, *c.ExitCode)
	}
	return string(c.Kind)
}

// StartupWindow is how soon after it started a container must exit for the
// exit to count as "at start-up", which makes an exit deterministic: an app
// that exits this early with the same code each time will do so again.
const StartupWindow = 2 * time.Minute

// Classify says why a stopped task stopped, from its stop code and reason,
// its containers' exit codes and reasons and, for an app that exited, its
// log lines. The rules are tried in order; the first that matches wins.
//
// The messages are ECS's (ECS developer guide, "Amazon ECS stopped task
// error messages", "CannotPullContainer task errors" and
// "CannotStartContainerError errors").
func Classify(t Task) Cause {
	reason := t.StoppedReason
	var containerReasons []string
	for _, c := range t.Containers {
		if c.Reason != "" {
			containerReasons = append(containerReasons, c.Reason)
		}
	}
	all := strings.Join(append([]string{reason}, containerReasons...), "\n")
	evidence := firstNonEmpty(containerReasons...)
	if evidence == "" || has(reason, "CannotPullContainerError", "ResourceInitializationError") {
		evidence = reason
	}
	switch {
	case has(all, "CannotPullContainerError"):
		return classifyPull(evidenceOf(all, "CannotPullContainerError"))
	case has(all, "ResourceInitializationError"):
		return classifyInit(evidenceOf(all, "ResourceInitializationError"))
	case has(all, "exec format error") || logsHave(t, "exec format error"):
		return Cause{Kind: ExecFormatError, Evidence: firstNonEmpty(evidenceOf(all, "exec format error"), logEvidence(t, "exec format error")),
			Summary:       "the image is built for another CPU architecture than the task's",
			Settings:      []string{stack.KeyArch, stack.KeyImage},
			Check:         "build the image for the task's architecture (docker buildx --platform), or choose the architecture the image was built for",
			Deterministic: true, ExitCode: exitCode(t)}
	case has(all, "OutOfMemoryError"):
		return oom(evidenceOf(all, "OutOfMemoryError"), exitCode(t))
	case has(all, readOnlyMarker) || logsHave(t, readOnlyMarker):
		// With a read-only root filesystem, a write outside the writable
		// paths fails with EROFS, "Read-only file system" in every libc and
		// runtime (Node's EROFS, Python's [Errno 30]).
		return Cause{Kind: ReadOnlyFilesystem, Evidence: firstNonEmpty(evidenceOf(all, readOnlyMarker), logEvidence(t, readOnlyMarker)),
			Summary:       "the app writes outside its writable paths, and the container's root filesystem is read-only",
			Settings:      []string{stack.KeyWritablePath, stack.KeyReadOnlyRootFS},
			Check:         "make the directory in the error one of the writable paths; with a non-root user, the image must also declare it with VOLUME, owned by that user, or the task's volume there belongs to root",
			Deterministic: startedEarly(t), ExitCode: exitCode(t)}
	case bindDenied(all) || slices.ContainsFunc(logLines(t), bindDenied):
		// A process that is not root may not bind a port below 1024, and
		// ECS gives containers no way around it (containers-roadmap #1721):
		// "bind: permission denied" (Go), "EACCES: permission denied
		// 0.0.0.0:80" (Node), "bind() to 0.0.0.0:80 failed (13: Permission
		// denied)" (nginx).
		evidence := evidenceOf(all, "permission denied")
		if !bindDenied(evidence) {
			evidence = ""
		}
		for _, l := range logLines(t) {
			if evidence == "" && bindDenied(l) {
				evidence = strings.TrimSpace(l)
			}
		}
		return Cause{Kind: PrivilegedPort, Evidence: evidence,
			Summary:       "the app may not listen on its port: a user other than root cannot bind a port below 1024",
			Settings:      []string{stack.KeyContainerPort, stack.KeyUser},
			Check:         "make the app listen on a port of 1024 or more (nginx-unprivileged listens on 8080), and make that the container port",
			Deterministic: true, ExitCode: exitCode(t)}
	case has(reason, "failed ELB health checks"):
		return Cause{Kind: ELBHealthCheck, Evidence: reason,
			Summary:  "ECS stopped the task because it failed the load balancer's health checks",
			Settings: []string{stack.KeyHealthCheckPath, stack.KeyHealthCheckMatcher, stack.KeyContainerPort, stack.KeyHealthCheckGracePeriod}}
	case has(reason, "failed container health checks"):
		return Cause{Kind: ContainerHealthCheck, Evidence: reason,
			Summary:  "ECS stopped the task because its container health check failed",
			Settings: []string{stack.KeyContainerHealthCheck, stack.KeyContainerHCStartPeriod}}
	}
	code := exitCode(t)
	// Exit code 137 is 128 + SIGKILL. With no OutOfMemoryError reason it
	// is still most often the memory limit on Fargate; a task that ECS
	// stopped itself (health checks, a scale-in) was matched above or has
	// another stop code.
	if code != nil && *code == 137 && t.StopCode == "EssentialContainerExited" {
		return oom(evidence, code)
	}
	if code != nil && t.StopCode == "EssentialContainerExited" {
		c := Cause{Kind: AppExit, Evidence: evidence, ExitCode: code,
			Summary: fmt.Sprintf("the app exited with code %d", *code),
			Check:   "read the container's last log lines"}
		if evidence == "" {
			c.Evidence = reason
		}
		if startedEarly(t) {
			c.Summary = fmt.Sprintf("the app exits at start-up with code %d", *code)
			c.Deterministic = true
		}
		return c
	}
	return Cause{Kind: Unknown, Summary: "the task stopped", Evidence: firstNonEmpty(evidence, reason, t.StopCode)}
}

func classifyPull(evidence string) Cause {
	c := Cause{Evidence: evidence}
	switch {
	case has(evidence, "i/o timeout", "context deadline exceeded", "dial tcp", "connection timed out", "request canceled"):
		c.Kind, c.Summary = ImagePullTimeout, "the task could not reach the image registry"
		c.Settings = []string{stack.ParamPrivateSubnetIDs, stack.KeyPublicTasks}
		c.Check = "the private subnets need a route to the registry: a NAT gateway, or VPC endpoints for ECR (api and dkr) and S3"
	case has(evidence, "toomanyrequests", "rate limit"):
		c.Kind, c.Summary = ImagePullRateLimited, "the registry refused the pull: too many requests"
		c.Settings = []string{stack.KeyImage}
		c.Check = "pull from a registry without anonymous limits (ECR, or an ECR pull-through cache)"
	case has(evidence, "not found", "manifest unknown", "does not exist", "no such host", "name unknown"):
		c.Kind, c.Summary = ImageNotFound, "the image was not found in its registry"
		c.Settings = []string{stack.KeyImage}
		c.Deterministic = true
	case has(evidence, "AccessDenied", "not authorized", "403", "denied", "unauthorized", "no basic auth credentials"):
		c.Kind, c.Summary = ImageAccessDenied, "the task may not pull the image"
		c.Settings = []string{stack.KeyImage}
		c.Check = "a private ECR image needs ecr:GetAuthorizationToken and ecr:BatchGetImage on the task execution role"
	default:
		c.Kind, c.Summary = ImagePullTimeout, "the image could not be pulled"
		c.Settings = []string{stack.KeyImage, stack.ParamPrivateSubnetIDs}
	}
	return c
}

func classifyInit(evidence string) Cause {
	c := Cause{Evidence: evidence}
	secrets := has(evidence, "secret", "ssm", "asm", "kms", "parameter")
	denied := has(evidence, "AccessDenied", "not authorized", "KMS.AccessDenied", "AccessDeniedException")
	network := has(evidence, "i/o timeout", "context deadline exceeded", "dial tcp", "connection issue", "RequestCanceled")
	switch {
	case secrets && denied:
		c.Kind, c.Summary = SecretsDenied, "the task may not read its secrets"
		c.Settings = []string{stack.KeySecret}
		c.Check = "the secret's ARN, and the key policy of a customer-managed KMS key that encrypts it"
		c.Deterministic = true
	case secrets && has(evidence, "ResourceNotFoundException", "ParameterNotFound", "not found", "does not exist"):
		c.Kind, c.Summary = SecretsDenied, "a secret the task reads does not exist"
		c.Settings = []string{stack.KeySecret}
		c.Deterministic = true
	case secrets:
		c.Kind, c.Summary = SecretsUnreachable, "the task could not fetch its secrets"
		c.Settings = []string{stack.KeySecret, stack.ParamPrivateSubnetIDs}
		c.Check = "the route from the private subnets to Secrets Manager or SSM: a NAT gateway or VPC endpoints"
	case has(evidence, "logger", "log stream", "log group", "logs"):
		c.Kind, c.Summary = LogsUnavailable, "the task could not set up its CloudWatch Logs stream"
		c.Settings = []string{stack.ParamPrivateSubnetIDs}
		c.Check = "the route from the private subnets to CloudWatch Logs, and that the log group exists"
	case network:
		c.Kind, c.Summary = ResourceInit, "the task could not reach an AWS service it needs at start"
		c.Settings = []string{stack.ParamPrivateSubnetIDs, stack.KeyPublicTasks}
		c.Check = "a NAT gateway or VPC endpoints for the private subnets"
	default:
		c.Kind, c.Summary = ResourceInit, "the task could not be set up"
	}
	return c
}

func oom(evidence string, code *int) Cause {
	return Cause{Kind: OutOfMemory, Evidence: evidence, ExitCode: code,
		Summary:  "the container ran out of memory",
		Settings: []string{stack.KeyMemory}}
}

// ClassifyTarget says why a target is unhealthy, from the reason code and
// description of DescribeTargetHealth (ELB API reference, TargetHealth:
// Target.ResponseCodeMismatch, Target.Timeout, Target.FailedHealthChecks).
// It reports false for a target that is not unhealthy or whose reason says
// nothing about the app.
func ClassifyTarget(state, reason, description string) (Cause, bool) {
	if state != "unhealthy" {
		return Cause{}, false
	}
	c := Cause{Evidence: strings.TrimSpace(reason + " " + description)}
	switch reason {
	case "Target.ResponseCodeMismatch":
		c.Kind, c.Summary = HealthCheckCodes, "the health check got an HTTP status it does not accept"
		c.Settings = []string{stack.KeyHealthCheckPath, stack.KeyHealthCheckMatcher}
	case "Target.Timeout":
		c.Kind, c.Summary = HealthCheckTimeout, "the health check got no answer in time"
		c.Settings = []string{stack.KeyContainerPort, stack.KeyHealthCheckTimeout}
		c.Check = "the app must listen on 0.0.0.0 (not 127.0.0.1) at the container port"
	case "Target.FailedHealthChecks":
		c.Kind, c.Summary = HealthCheckConnect, "the health check could not connect to the app"
		c.Settings = []string{stack.KeyContainerPort}
		c.Check = "the app must listen on 0.0.0.0 at the container port"
	default:
		return Cause{}, false
	}
	return c, true
}

// readOnlyMarker is the text of EROFS.
const readOnlyMarker = "read-only file system"

// bindDenied reports whether line says the app may not bind its port.
func bindDenied(line string) bool {
	return has(line, "bind", "listen") && has(line, "permission denied", "eacces")
}

// logLines are the log lines of every container of t.
func logLines(t Task) []string {
	var lines []string
	for _, c := range t.Containers {
		lines = append(lines, c.LogLines...)
	}
	return lines
}

// has reports whether s contains any of subs, ignoring case.
func has(s string, subs ...string) bool {
	ls := strings.ToLower(s)
	for _, sub := range subs {
		if strings.Contains(ls, strings.ToLower(sub)) {
			return true
		}
	}
	return false
}

// evidenceOf returns the line of text that holds marker.
func evidenceOf(text, marker string) string {
	for line := range strings.Lines(text) {
		if has(line, marker) {
			return strings.TrimSpace(line)
		}
	}
	return ""
}

func logsHave(t Task, marker string) bool { return logEvidence(t, marker) != "" }

func logEvidence(t Task, marker string) string {
	for _, c := range t.Containers {
		for _, l := range c.LogLines {
			if has(l, marker) {
				return strings.TrimSpace(l)
			}
		}
	}
	return ""
}

// exitCode is the exit code of the first container that has one.
func exitCode(t Task) *int {
	for _, c := range t.Containers {
		if c.ExitCode != nil {
			v := *c.ExitCode
			return &v
		}
	}
	return nil
}

// startedEarly reports whether the task stopped within StartupWindow of
// starting, or never started.
func startedEarly(t Task) bool {
	if t.StartedAt.IsZero() || t.StoppedAt.IsZero() {
		return true
	}
	return t.StoppedAt.Sub(t.StartedAt) <= StartupWindow
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
