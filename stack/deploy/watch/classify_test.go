package watch

import (
	"slices"
	"testing"
	"time"

	"github.com/cfnfargate/cfnfargate/stack"
)

func code(n int) *int { return &n }

// The stop reasons below are the forms ECS reports (ECS developer guide,
// "CannotPullContainer task errors", "Amazon ECS stopped task error
// messages"); each case names the setting the fix is in.
func TestClassify(t *testing.T) {
	// Proves: each rule of the classifier picks its kind, its settings and
	// whether the cause is deterministic, from the stop code, the reasons,
	// the exit code and the log lines, and rules earlier in the order win.
	start := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	cases := []struct {
		name          string
		task          Task
		kind          Kind
		setting       string
		deterministic bool
	}{
		{"image not found", Task{StopCode: "TaskFailedToStart",
			StoppedReason: "CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref docker.io/library/nginx:nope: docker.io/library/nginx:nope: not found"},
			ImageNotFound, stack.KeyImage, true},
		{"manifest unknown", Task{StopCode: "TaskFailedToStart",
			StoppedReason: "CannotPullContainerError: Error response from daemon: manifest for 1234.dkr.ecr.us-east-1.amazonaws.com/app:v9 not found: manifest unknown"},
			ImageNotFound, stack.KeyImage, true},
		{"pull timeout in private subnets", Task{StopCode: "TaskFailedToStart",
			StoppedReason: `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref public.ecr.aws/nginx/nginx:latest: failed to do request: Head "https://public.ecr.aws/v2/nginx/nginx/manifests/latest": dial tcp 99.83.145.10:443: i/o timeout`},
			ImagePullTimeout, stack.ParamPrivateSubnetIDs, false},
		{"pull access denied", Task{StopCode: "TaskFailedToStart",
			StoppedReason: "CannotPullContainerError: pull access denied for 1234.dkr.ecr.us-east-1.amazonaws.com/app, repository does not exist or may require 'docker login': denied: User: arn:aws:sts::1234:assumed-role/exec is not authorized"},
			ImageNotFound, stack.KeyImage, true},
		{"pull rate limited", Task{StopCode: "TaskFailedToStart",
			StoppedReason: "CannotPullContainerError: toomanyrequests: You have reached your pull rate limit."},
			ImagePullRateLimited, stack.KeyImage, false},
		{"secrets access denied", Task{StopCode: "TaskFailedToStart",
			StoppedReason: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:us-east-1:1234:secret:db from secrets manager: AccessDeniedException: User: arn:aws:sts::1234:assumed-role/exec is not authorized to perform: secretsmanager:GetSecretValue"},
			SecretsDenied, stack.KeySecret, true},
		{"secrets unreachable", Task{StopCode: "TaskFailedToStart",
			StoppedReason: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 5 time(s): RequestCanceled: request context canceled caused by: context deadline exceeded"},
			SecretsUnreachable, stack.KeySecret, false},
		{"log stream", Task{StopCode: "TaskFailedToStart",
			StoppedReason: "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist."},
			LogsUnavailable, stack.ParamPrivateSubnetIDs, false},
		{"exec format error in container reason", Task{StopCode: "EssentialContainerExited", StoppedReason: "Essential container in task exited",
			Containers: []Container{{Name: "app", ExitCode: code(255), Reason: "CannotStartContainerError: failed to create shim task: exec /app: exec format error"}}},
			ExecFormatError, stack.KeyArch, true},
		{"exec format error in the logs only", Task{StopCode: "EssentialContainerExited", StoppedReason: "Essential container in task exited",
			Containers: []Container{{Name: "app", ExitCode: code(255), LogLines: []string{"exec /docker-entrypoint.sh: exec format error"}}}},
			ExecFormatError, stack.KeyArch, true},
		{"out of memory", Task{StopCode: "EssentialContainerExited", StoppedReason: "Essential container in task exited",
			Containers: []Container{{Name: "app", ExitCode: code(137), Reason: "OutOfMemoryError: Container killed due to memory usage"}}},
			OutOfMemory, stack.KeyMemory, false},
		{"exit 137 without a reason", Task{StopCode: "EssentialContainerExited", StoppedReason: "Essential container in task exited",
			Containers: []Container{{Name: "app", ExitCode: code(137)}}},
			OutOfMemory, stack.KeyMemory, false},
		{"ELB health checks win over exit 137", Task{StopCode: "ServiceSchedulerInitiated",
			StoppedReason: "Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:us-east-1:1234:targetgroup/tg/abc)",
			Containers:    []Container{{Name: "app", ExitCode: code(137)}}},
			ELBHealthCheck, stack.KeyHealthCheckPath, false},
		{"container health checks", Task{StopCode: "ServiceSchedulerInitiated", StoppedReason: "Task failed container health checks"},
			ContainerHealthCheck, stack.KeyContainerHealthCheck, false},
		{"exit at start-up", Task{StopCode: "EssentialContainerExited", StoppedReason: "Essential container in task exited",
			StartedAt: start, StoppedAt: start.Add(5 * time.Second),
			Containers: []Container{{Name: "app", ExitCode: code(1), LogLines: []string{"Error: missing env DATABASE_URL"}}}},
			AppExit, "", true},
		{"exit long after start", Task{StopCode: "EssentialContainerExited", StoppedReason: "Essential container in task exited",
			StartedAt: start, StoppedAt: start.Add(StartupWindow + time.Second),
			Containers: []Container{{Name: "app", ExitCode: code(1)}}},
			AppExit, "", false},
		{"write to a read-only root filesystem (Python)", Task{StopCode: "EssentialContainerExited", StoppedReason: "Essential container in task exited",
			StartedAt: start, StoppedAt: start.Add(3 * time.Second),
			Containers: []Container{{Name: "app", ExitCode: code(1), LogLines: []string{
				"Traceback (most recent call last):",
				"OSError: [Errno 30] Read-only file system: '/app/cache'"}}}},
			ReadOnlyFilesystem, stack.KeyWritablePath, true},
		{"write to a read-only root filesystem (nginx), long after start", Task{StopCode: "EssentialContainerExited", StoppedReason: "Essential container in task exited",
			StartedAt: start, StoppedAt: start.Add(StartupWindow + time.Minute),
			Containers: []Container{{Name: "app", ExitCode: code(1), LogLines: []string{
				`nginx: [emerg] mkdir() "/var/cache/nginx/client_temp" failed (30: Read-only file system)`}}}},
			ReadOnlyFilesystem, stack.KeyWritablePath, false},
		{"port below 1024 as a non-root user (nginx)", Task{StopCode: "EssentialContainerExited", StoppedReason: "Essential container in task exited",
			Containers: []Container{{Name: "app", ExitCode: code(1), LogLines: []string{
				"nginx: [emerg] bind() to 0.0.0.0:80 failed (13: Permission denied)"}}}},
			PrivilegedPort, stack.KeyContainerPort, true},
		{"port below 1024 as a non-root user (Go)", Task{StopCode: "EssentialContainerExited", StoppedReason: "Essential container in task exited",
			Containers: []Container{{Name: "app", ExitCode: code(1), LogLines: []string{
				"2026/12/01 08:00:01 listen tcp :443: bind: permission denied"}}}},
			PrivilegedPort, stack.KeyContainerPort, true},
		{"port below 1024 as a non-root user (Node)", Task{StopCode: "EssentialContainerExited", StoppedReason: "Essential container in task exited",
			Containers: []Container{{Name: "app", ExitCode: code(1), LogLines: []string{
				"Error: listen EACCES: permission denied 0.0.0.0:80"}}}},
			PrivilegedPort, stack.KeyContainerPort, true},
		{"a permission denied that is no bind stays an app exit", Task{StopCode: "EssentialContainerExited", StoppedReason: "Essential container in task exited",
			StartedAt: start, StoppedAt: start.Add(5 * time.Second),
			Containers: []Container{{Name: "app", ExitCode: code(1), LogLines: []string{
				"open /etc/app/secret.pem: permission denied"}}}},
			AppExit, "", true},
		{"unknown", Task{StopCode: "SpotInterruption", StoppedReason: "Your Spot Task was interrupted."},
			Unknown, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := Classify(tc.task)
			if c.Kind != tc.kind {
				t.Fatalf("kind = %s, want %s (cause %+v)", c.Kind, tc.kind, c)
			}
			if tc.setting != "" && (len(c.Settings) == 0 || c.Settings[0] != tc.setting) {
				t.Errorf("settings = %v, want %s first", c.Settings, tc.setting)
			}
			if tc.setting == "" && len(c.Settings) != 0 {
				t.Errorf("settings = %v, want none", c.Settings)
			}
			if c.Deterministic != tc.deterministic {
				t.Errorf("deterministic = %v, want %v", c.Deterministic, tc.deterministic)
			}
			if c.Evidence == "" || c.Summary == "" {
				t.Errorf("evidence %q, summary %q: want both", c.Evidence, c.Summary)
			}
		})
	}
}

func TestClassifyTarget(t *testing.T) {
	// Proves: the unhealthy reason codes of DescribeTargetHealth map to
	// the health-check settings, and other states say nothing.
	cases := []struct {
		state, reason, desc string
		kind                Kind
		settings            []string
	}{
		{"unhealthy", "Target.ResponseCodeMismatch", "Health checks failed with these codes: [404]", HealthCheckCodes,
			[]string{stack.KeyHealthCheckPath, stack.KeyHealthCheckMatcher}},
		{"unhealthy", "Target.Timeout", "Request timed out", HealthCheckTimeout, []string{stack.KeyContainerPort, stack.KeyHealthCheckTimeout}},
		{"unhealthy", "Target.FailedHealthChecks", "Health checks failed", HealthCheckConnect, []string{stack.KeyContainerPort}},
		{"initial", "Elb.InitialHealthChecking", "Initial health checks in progress", "", nil},
		{"healthy", "", "", "", nil},
		{"unhealthy", "Elb.InternalError", "", "", nil},
	}
	for _, tc := range cases {
		c, ok := ClassifyTarget(tc.state, tc.reason, tc.desc)
		if ok != (tc.kind != "") || c.Kind != tc.kind || !slices.Equal(c.Settings, tc.settings) {
			t.Errorf("%s %s: got %v %+v, want kind %q settings %v", tc.state, tc.reason, ok, c, tc.kind, tc.settings)
		}
		if ok && !slices.Contains([]string{c.Evidence}, tc.reason+" "+tc.desc) {
			t.Errorf("%s: evidence %q does not quote the reason and description", tc.reason, c.Evidence)
		}
	}
}

func TestCauseKey(t *testing.T) {
	// Proves: exits with different codes are different causes, so fail-fast
	// counts only the same exit code, and other causes group by kind.
	a := Cause{Kind: AppExit, ExitCode: code(1)}
	b := Cause{Kind: AppExit, ExitCode: code(2)}
	if a.Key() == b.Key() {
		t.Errorf("exit 1 and exit 2 share the key %q", a.Key())
	}
	if k := (Cause{Kind: ImageNotFound}).Key(); k != string(ImageNotFound) {
		t.Errorf("key = %q", k)
	}
}
