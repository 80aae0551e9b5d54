package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
	"github.com/cfnfargate/cfnfargate/stack/deploy/watch"
)

// TestHardenedKeepsWhatTheUserGave proves --hardened knows a setting the
// user gave from one left at its default by where its value came from: a
// flag, a CFNFARGATE_ variable or the config file. Given at its default
// value (30 days), the retention stays 30 and stderr names the control it
// breaks; left out, it is 365, with no warning.
func TestHardenedKeepsWhatTheUserGave(t *testing.T) {
	config := filepath.Join(t.TempDir(), "app.yaml")
	if err := os.WriteFile(config, []byte("hardened: true\nuser: \"1000\"\nlog-retention-days: 30\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		env  map[string]string
		args []string
		days string // RetentionInDays of the container's log group
		warn bool
	}{
		{"left out", nil, []string{"--hardened", "--user", "1000"}, "365", false},
		{"flag at the default", nil, []string{"--hardened", "--user", "1000", "--log-retention-days", "30"}, "30", true},
		{"variable at the default", map[string]string{"CFNFARGATE_HARDENED": "true", "CFNFARGATE_USER": "1000", "CFNFARGATE_LOG_RETENTION_DAYS": "30"}, nil, "30", true},
		{"config file at the default", nil, []string{"--config", config}, "30", true},
		{"flag over the config file", nil, []string{"--config", config, "--log-retention-days", "731"}, "731", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			code, stdout, stderr := runCLI(t, append([]string{"emit"}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			logGroup := stdout[strings.Index(stdout, "\n  LogGroup:\n"):]
			logGroup = logGroup[:strings.Index(logGroup, "\n  ExecutionRolePolicy:")+1]
			if !strings.Contains(logGroup, "RetentionInDays: "+tc.days+"\n") {
				t.Errorf("log group:%s\nwant RetentionInDays: %s", logGroup, tc.days)
			}
			warned := strings.Contains(stderr, "breaks CloudWatch.16")
			if warned != tc.warn {
				t.Errorf("warning about CloudWatch.16: %v, want %v; stderr:\n%s", warned, tc.warn, stderr)
			}
			if warned && !strings.Contains(stderr, "--log-retention-days: log-retention-days 30 breaks CloudWatch.16") {
				t.Errorf("the warning does not name the setting and its value:\n%s", stderr)
			}
		})
	}
}

// TestHardenedRefusesBeforeAnyCall proves the input --hardened cannot take
// is an error of exit status 2 that names the flag, before any AWS call:
// no user, a root user, and, without a domain, an empty certificate.
func TestHardenedRefusesBeforeAnyCall(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no user", []string{"emit", "--hardened"}, "--user, --hardened: is required with hardened"},
		{"root", []string{"emit", "--hardened", "--user", "root"}, `--user, --hardened: "root" runs the container as root`},
		{"uid 0 with a group", []string{"emit", "--hardened", "--user", "0:1000"}, `"0:1000" runs the container as root`},
		{"a user ECS does not take", []string{"emit", "--user", "a:b:c"}, `--user: "a:b:c" is not a user ECS takes`},
		{"no certificate and no domain", []string{"deploy", "--stack", "shop", "--hardened", "--user", "1000", "--certificate-arn", "",
			"--vpc-id", "vpc-0123456789abcdef0", "--public-subnets", "subnet-0a,subnet-0b", "--private-subnets", "subnet-0c",
			"--endpoint-url", "http://127.0.0.1:1"}, "--certificate-arn: is empty, and --hardened serves HTTPS only"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			code, stdout, stderr := runCLI(t, tc.args...)
			if code != deploy.ExitInput {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, deploy.ExitInput, stderr)
			}
			if stdout != "" {
				t.Errorf("printed a template or a plan:\n%s", stdout)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, stderr)
			}
		})
	}
}

// TestHardenedEnvironmentWarns proves env emit warns, as emit does, when a
// value given with --hardened breaks a control of the environment's stack.
func TestHardenedEnvironmentWarns(t *testing.T) {
	clearEnv(t)
	code, stdout, stderr := runCLI(t, "env", "emit", "--environment", "prod", "--hardened", "--deletion-protection=false")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "--deletion-protection: deletion-protection off breaks ELB.6") {
		t.Errorf("stderr lacks the ELB.6 warning:\n%s", stderr)
	}
	if strings.Contains(stdout, "HttpListener") || !strings.Contains(stdout, "AccessLogsBucket:") {
		t.Errorf("the environment's template is not hardened")
	}
}

// TestHardenedCausesNameFlags proves the two failures --hardened brings
// about are worded with the flags that fix them.
func TestHardenedCausesNameFlags(t *testing.T) {
	for kind, want := range map[watch.Kind][]string{
		watch.ReadOnlyFilesystem: {"--writable-path", "--read-only-root-fs"},
		watch.PrivilegedPort:     {"--container-port", "--user"},
	} {
		line := "OSError: [Errno 30] Read-only file system: '/app/cache'"
		if kind == watch.PrivilegedPort {
			line = "nginx: [emerg] bind() to 0.0.0.0:80 failed (13: Permission denied)"
		}
		exit := 1
		c := watch.Classify(watch.Task{StopCode: "EssentialContainerExited", StoppedReason: "Essential container in task exited",
			Containers: []watch.Container{{Name: "app", ExitCode: &exit, LogLines: []string{line}}}})
		if c.Kind != kind {
			t.Fatalf("%s: classified as %s", line, c.Kind)
		}
		for i, key := range c.Settings {
			if got := settingFlag(key); got != want[i] {
				t.Errorf("%s: setting %d is %s, want %s", kind, i, got, want[i])
			}
		}
	}
}
