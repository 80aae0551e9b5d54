package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// runCLI runs the command in-process and returns its exit code and output.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(append([]string{"cfnfargate"}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

// clearEnv unsets every CFNFARGATE_ variable for the test, so the user's
// environment cannot change the outcome.
func clearEnv(t *testing.T) {
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, envPrefix) {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
}

// emitContains runs emit with args and only the environment variables in
// env, and fails t unless it succeeds with each of want in the template.
func emitContains(t *testing.T, env map[string]string, args, want []string) {
	t.Helper()
	clearEnv(t)
	for k, v := range env {
		t.Setenv(k, v)
	}
	code, stdout, stderr := runCLI(t, append([]string{"emit"}, args...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, w := range want {
		if !strings.Contains(stdout, w) {
			t.Errorf("template lacks %q", w)
		}
	}
}

// TestEmitDefaultMatchesGolden proves `cfnfargate emit` with no settings
// prints the reviewed default template, in both formats.
func TestEmitDefaultMatchesGolden(t *testing.T) {
	clearEnv(t)
	for _, tt := range []struct {
		args   []string
		golden string
	}{
		{[]string{"emit"}, "default.yaml"},
		{[]string{"emit", "--format", "json"}, "default.json"},
	} {
		code, stdout, stderr := runCLI(t, tt.args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", tt.args, code, stderr)
		}
		want, err := os.ReadFile(filepath.Join("..", "..", "testdata", tt.golden))
		if err != nil {
			t.Fatal(err)
		}
		if stdout != string(want) {
			t.Errorf("%v differs from testdata/%s", tt.args, tt.golden)
		}
	}
}

// TestPrecedence proves a flag beats the environment, the environment beats
// the config file, and the config file beats the default.
func TestPrecedence(t *testing.T) {
	config := filepath.Join(t.TempDir(), "app.yaml")
	if err := os.WriteFile(config, []byte("cpu: 1024\nmemory: 2048\ncontainer-port: 8080\nenv:\n  A: from-file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{"default", nil, nil, []string{`Cpu: "256"`, `Memory: "512"`, "ContainerPort: 80\n"}},
		{"config file over default", nil, []string{"--config", config}, []string{`Cpu: "1024"`, `Memory: "2048"`, "ContainerPort: 8080", "Value: from-file"}},
		{"config file from the environment", map[string]string{"CFNFARGATE_CONFIG": config}, nil, []string{`Cpu: "1024"`}},
		{"environment over config file", map[string]string{"CFNFARGATE_MEMORY": "4096", "CFNFARGATE_ENV": "A=from-env,B=2"},
			[]string{"--config", config}, []string{`Cpu: "1024"`, `Memory: "4096"`, "Value: from-env", "Name: B"}},
		{"flag over environment", map[string]string{"CFNFARGATE_MEMORY": "4096"},
			[]string{"--config", config, "--memory", "3072", "--env", "A=from-flag"}, []string{`Memory: "3072"`, "Value: from-flag"}},
		{"boolean from the environment", map[string]string{"CFNFARGATE_PUBLIC_TASKS": "true"}, nil, []string{"Default: ENABLED"}},
		{"boolean flag over environment", map[string]string{"CFNFARGATE_PUBLIC_TASKS": "true"}, []string{"--public-tasks=false"}, []string{"Default: DISABLED"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emitContains(t, tt.env, tt.args, tt.want)
		})
	}
}

// TestBadInput proves invalid input exits 2, prints nothing on stdout, and
// names every offending flag, variable or key on stderr.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	unknownKey := write("unknown.yaml", "cpu: 256\ncpus: 512\n")
	badValue := write("bad.yaml", "memory: lots\nenv: 3\n")
	notMapping := write("list.yaml", "- cpu\n")
	notYAML := write("broken.yaml", "cpu: [\n")

	tests := []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		// Under the header deploy gives its problems (review1920 polish).
		{"every problem at once", nil, []string{"--cpu", "300", "--memory", "x", "--name", "a b", "--health-check-matcher", "ok"},
			[]string{"cfnfargate: invalid input:\n", "--cpu: 300 is not allowed: use 256, 512", `--memory: "x" is not a whole number`, "--name:", "--health-check-matcher:"}},
		// The library names the setting; the command line words it as a
		// flag and says where one comes from (review1920 item 10).
		{"host without environment", nil, []string{"--host", "api.example.com"}, []string{"--host: routes a listener rule of a shared environment, and no environment is given: " +
			"a service without one has a load balancer of its own and no rule; give --environment (cfnfargate env deploy makes one)\n"}},
		{"fargate pair", nil, []string{"--cpu", "1024", "--memory", "512"}, []string{"--memory, --cpu: memory 512 MiB does not go with cpu 1024"}},
		{"env syntax", nil, []string{"--env", "NOEQUALS"}, []string{`--env: "NOEQUALS": expected KEY=VALUE`}},
		{"bad environment variable", map[string]string{"CFNFARGATE_CONTAINER_PORT": "http"}, nil, []string{`CFNFARGATE_CONTAINER_PORT: "http" is not a whole number`}},
		{"bad boolean variable", map[string]string{"CFNFARGATE_PUBLIC_TASKS": "maybe"}, nil, []string{`CFNFARGATE_PUBLIC_TASKS: "maybe" is not true or false`}},
		{"validation names the variable", map[string]string{"CFNFARGATE_SSL_POLICY": "old"}, nil, []string{"CFNFARGATE_SSL_POLICY: \"old\" is not an ELB security policy name"}},
		{"unknown config key", nil, []string{"--config", unknownKey}, []string{"line 2: unknown key \"cpus\": did you mean \"cpu\"?"}},
		{"bad config values", nil, []string{"--config", badValue}, []string{"memory in " + badValue + " line 1: \"lots\" is not a whole number", `"3": expected KEY=VALUE`}},
		{"unknown key with other problems", nil, []string{"--config", unknownKey, "--memory", "x", "--name", "a b"},
			[]string{"line 2: unknown key \"cpus\"", `--memory: "x" is not a whole number`, "--name:"}},
		{"unreadable cpu does not blame memory", nil, []string{"--cpu", "x", "--memory", "3"}, []string{`--cpu: "x" is not a whole number`}},
		{"config not a mapping", nil, []string{"--config", notMapping}, []string{"expected a mapping"}},
		{"config not YAML", nil, []string{"--config", notYAML}, []string{"not valid YAML"}},
		{"missing config file", nil, []string{"--config", filepath.Join(dir, "nope.yaml")}, []string{"--config:", "no such file"}},
		{"unknown format", nil, []string{"--format", "xml"}, []string{`--format: "xml" is not a template format: use yaml or json`}},
		{"unknown flag", nil, []string{"--cpus", "1"}, []string{"unknown flag --cpus: did you mean --cpu?"}},
		{"unknown flag with one dash", nil, []string{"-imgae", "nginx"}, []string{"unknown flag --imgae: did you mean --image?"}},
		{"flag without value", nil, []string{"--cpu"}, []string{"flag needs an argument"}},
		{"secret syntax", nil, []string{"--secret", "TOKEN"}, []string{`--secret: "TOKEN": expected NAME=SOURCE`}},
		{"secret ARN", nil, []string{"--secret", "TOKEN=arn:aws:s3:::b"}, []string{"--secret: TOKEN: the ARN \"arn:aws:s3:::b\" is not a Secrets Manager secret ARN"}},
		{"secret name", nil, []string{"--secret", "TOKEN=/prod//token"}, []string{"--secret: TOKEN: the SSM parameter \"/prod//token\" has an empty level"}},
		{"secret reserved name", nil, []string{"--secret", "TOKEN=aws-token"}, []string{"--secret: TOKEN: the SSM parameter \"aws-token\" begins with aws or ssm, which SSM reserves"}},
		{"secret in Secrets Manager", nil, []string{"--secret", "TOKEN=secretsmanager:prod token"}, []string{"--secret: TOKEN: the Secrets Manager secret \"prod token\" has characters Secrets Manager does not allow"}},
		{"tag syntax", nil, []string{"--tag", "=x"}, []string{`--tag: "=x": expected KEY=VALUE`}},
		{"internal needs networks", nil, []string{"--internal"}, []string{"--allow-cidr, --internal: internal is on, and an internal load balancer needs at least one source network"}},
		{"bad network from the environment", map[string]string{"CFNFARGATE_ALLOW_CIDR": "10.0.0.0/8,office"}, nil, []string{`CFNFARGATE_ALLOW_CIDR: "office" is not a network`}},
		{"domain without zone", nil, []string{"--domain-name", "app.example.com"}, []string{"--domain-name: app.example.com needs the Route 53 hosted zone (Z...) that holds it, where the stack validates its certificate and writes its record; give --hosted-zone-id\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			code, stdout, stderr := runCLI(t, append([]string{"emit"}, tt.args...)...)
			if code != deploy.ExitInput {
				t.Errorf("exit %d, want %d; stderr: %s", code, deploy.ExitInput, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout is not empty: %.200s", stdout)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
		})
	}
	if _, _, stderr := runCLI(t, "emit", "--cpu", "x", "--memory", "3"); strings.Contains(stderr, "--memory") {
		t.Errorf("an unreadable --cpu made --memory look wrong too:\n%s", stderr)
	}
	if code, _, stderr := runCLI(t, "deploi"); code != deploy.ExitInput || !strings.Contains(stderr, `unknown command "deploi"`) {
		t.Errorf("unknown command: exit %d, stderr %q", code, stderr)
	}
}

// TestEnvironmentFlagHelp proves deploy --help names the value of
// --environment as the other flags of a name do, and says that it picks
// the config file's layer too (review1920 polish).
func TestEnvironmentFlagHelp(t *testing.T) {
	clearEnv(t)
	code, stdout, stderr := runCLI(t, "deploy", "--help")
	if code != 0 || !regexp.MustCompile(`--environment NAME\s+run the service in the shared environment NAME .*picks the config file's layer environments\.NAME`).MatchString(stdout) {
		t.Errorf("exit %d, deploy --help:\n%s%s\nwant --environment NAME, and that NAME picks the config file's layer", code, stdout, stderr)
	}
}

// TestOutputFile proves --output writes the same bytes as stdout, leaves no
// temporary file behind, and leaves an existing file untouched on bad input.
func TestOutputFile(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "template.yaml")
	if err := os.WriteFile(path, []byte("previous\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	code, stdout, _ := runCLI(t, "emit", "--output", path, "--cpu", "3")
	if code != deploy.ExitInput || stdout != "" {
		t.Fatalf("bad input: exit %d, stdout %q", code, stdout)
	}
	if got, _ := os.ReadFile(path); string(got) != "previous\n" {
		t.Errorf("bad input changed the output file: %q", got)
	}

	_, want, _ := runCLI(t, "emit")
	if code, stdout, stderr := runCLI(t, "emit", "-o", path); code != 0 || stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	if got, _ := os.ReadFile(path); string(got) != want {
		t.Error("--output content differs from stdout")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the directory holds %d entries, want only the template: %v", len(entries), entries)
	}

	code, _, stderr := runCLI(t, "emit", "--output", filepath.Join(dir, "missing", "t.yaml"))
	if code == 0 || !strings.Contains(stderr, "--output") {
		t.Errorf("unwritable --output: exit %d, stderr %q", code, stderr)
	}
}

// TestEveryFeatureFlag proves each feature flag reaches the template: the
// flags below describe the "everything" configuration, and the output must
// be its golden file byte for byte.
func TestEveryFeatureFlag(t *testing.T) {
	clearEnv(t)
	args := []string{"emit",
		"--name", "everything-app",
		"--image", "123456789012.dkr.ecr.us-east-1.amazonaws.com/everything-app:v1",
		"--container-port", "8080", "--cpu", "1024", "--memory", "2048",
		"--env", "BUILD=v3", "--env", "MODE=production",
		"--secret", "DB_PASSWORD=arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf",
		"--secret", "FLAGS=arn:aws:ssm:us-east-1:123456789012:parameter/app/flags",
		"--arch", "arm64", "--ephemeral-storage", "30",
		"--container-health-check", "curl -f http://localhost:8080/health || exit 1",
		"--container-health-check-interval", "30", "--container-health-check-timeout", "5",
		"--container-health-check-retries", "3", "--container-health-check-start-period", "10",
		"--enable-exec", "--spot", "--spot-base", "1", "--spot-weight", "2",
		"--min-healthy-percent", "50", "--max-percent", "200", "--platform-version", "1.4.0",
		"--min-count", "2", "--max-count", "20", "--scale-cpu-percent", "60", "--scale-requests-per-target", "500",
		"--scale-in-cooldown", "300", "--scale-out-cooldown", "60",
		"--health-check-path", "/health", "--health-check-interval", "30", "--health-check-timeout", "5",
		"--dualstack", "--allow-cidr", "203.0.113.0/24", "--allow-cidr", "2001:db8::/32",
		"--access-logs-bucket", "example-alb-logs", "--access-logs-prefix", "everything",
		"--waf-acl-arn", "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/example/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
		"--idle-timeout", "120", "--stickiness", "3600", "--deregistration-delay", "15",
		"--domain-name", "everything.example.com", "--hosted-zone-id", "Z0123456789ABCDEFGHIJ",
		"--deletion-protection", "--tag", "team=platform", "--log-retention-days", "90",
	}
	code, stdout, stderr := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want, err := os.ReadFile(filepath.Join("..", "..", "testdata", "everything.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if stdout != string(want) {
		t.Errorf("the flags did not produce testdata/everything.yaml:\n%s", stdout)
	}
}

// TestWritablePathAndWarnings proves --writable-path reaches the template
// from a flag, the environment or the config file, a bad one exits 2 with
// nothing on stdout, and emit warns, without failing, when a read-only
// nginx cannot write where it must.
func TestWritablePathAndWarnings(t *testing.T) {
	config := filepath.Join(t.TempDir(), "app.yaml")
	if err := os.WriteFile(config, []byte("read-only-root-fs: true\nwritable-path:\n  - /tmp\n  - /var/cache/nginx\n  - /var/run\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		code     int
		stdout   []string // each must appear
		noStdout bool
		warning  string // "" means stderr must be empty
	}{
		{name: "read-only nginx warns", args: []string{"emit", "--read-only-root-fs"},
			stdout: []string{"ContainerPath: /tmp"}, warning: "warning: --writable-path: the image public.ecr.aws/nginx/nginx:1.28 looks like nginx"},
		{name: "flags", args: []string{"emit", "--read-only-root-fs", "--writable-path", "/tmp", "--writable-path", "/var/cache/nginx", "--writable-path", "/var/run"},
			stdout: []string{"ContainerPath: /var/cache/nginx", "SourceVolume: writable-var-run"}},
		{name: "environment", env: map[string]string{"CFNFARGATE_READ_ONLY_ROOT_FS": "true", "CFNFARGATE_WRITABLE_PATH": "/tmp,/var/cache/nginx,/var/run"},
			args: []string{"emit"}, stdout: []string{"ContainerPath: /var/run"}},
		{name: "config file", args: []string{"emit", "--config", config}, stdout: []string{"ContainerPath: /var/cache/nginx"}},
		{name: "without read-only", args: []string{"emit", "--writable-path", "/var/cache/nginx"}, stdout: []string{"AWSTemplateFormatVersion"},
			warning: "warning: --writable-path: has no effect without read-only-root-fs"},
		{name: "relative path", args: []string{"emit", "--read-only-root-fs", "--writable-path", "tmp"}, code: 2, noStdout: true,
			warning: `writable-path: "tmp" is not an absolute directory path`},
		{name: "spot weight without spot", args: []string{"emit", "--spot-weight", "3"}, stdout: []string{"CapacityProvider: FARGATE\n"},
			warning: "warning: --spot-weight: has no effect without spot"},
		{name: "empty env value", args: []string{"emit", "--env", "EMPTY="}, code: 2, noStdout: true,
			warning: "env: EMPTY has an empty value, and ECS drops such variables"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.code, stderr)
			}
			for _, want := range tt.stdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q", want)
				}
			}
			if tt.noStdout && stdout != "" {
				t.Errorf("bad input printed a template: %.80s", stdout)
			}
			if tt.warning == "" && stderr != "" {
				t.Errorf("stderr = %q, want nothing", stderr)
			}
			if tt.warning != "" && !strings.Contains(stderr, tt.warning) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, tt.warning)
			}
		})
	}
}

// TestCrossFieldProblemsBlameTheRightFlag proves a problem between two
// settings names both flags and their values, and is dropped when one of
// the two could not be read: it would judge the other against a default
// the user tried to override.
func TestCrossFieldProblemsBlameTheRightFlag(t *testing.T) {
	clearEnv(t)
	code, _, stderr := runCLI(t, "emit", "--health-check-interval", "x", "--health-check-timeout", "120")
	if code != 2 || !strings.Contains(stderr, `--health-check-interval: "x" is not a whole number`) {
		t.Errorf("exit %d, stderr %q: want exit 2 naming the unreadable interval", code, stderr)
	}
	if strings.Contains(stderr, "--health-check-timeout") {
		t.Errorf("the timeout is blamed against the default interval: %q", stderr)
	}

	t.Setenv("CFNFARGATE_HEALTH_CHECK_INTERVAL", "10")
	code, _, stderr = runCLI(t, "emit", "--health-check-timeout", "12")
	want := "--health-check-timeout, CFNFARGATE_HEALTH_CHECK_INTERVAL: health-check-timeout 12 s must be shorter than health-check-interval 10 s"
	if code != 2 || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, stderr %q: want exit 2 and %q", code, stderr, want)
	}
}
