package main

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/deploy"
	"github.com/cfnfargate/cfnfargate/stack/deploy/watch"
	"github.com/cfnfargate/cfnfargate/stack/operate"
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

// releaseOf is what stack shop remembers after run deployed as release
// number over prev (nil: a new stack): the settings and sources that run
// records, and the parameters it sends over those the stack had.
func releaseOf(run *stackRun, number int, prev *operate.Remembered) *operate.Remembered {
	params := map[string]string{}
	if prev != nil {
		maps.Copy(params, prev.Parameters)
	}
	maps.Copy(params, run.in.Parameters)
	return &operate.Remembered{StackID: "arn:aws:cloudformation:eu-west-1:123456789012:stack/shop/1",
		Release:  &operate.Release{Number: number, Parameters: params, Sources: run.record.sources},
		Settings: run.record.values, Parameters: maps.Clone(params)}
}

// lacking returns the lines of want that got lacks.
func lacking(got, want []string) []string {
	var missing []string
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	return missing
}

// TestHardenedRemembered proves how --hardened and the remembered
// settings of issue 20 go together, through the records the deploys
// themselves make:
//   - the plan names what hardened changes, with "(hardened)", and the
//     release records those values as hardened's;
//   - a later deploy keeps hardened, and gives those values again, with
//     nothing in the plan but what changes;
//   - turned off (--hardened=false or --reset hardened), a value that
//     hardened gave is not kept as if the user had given it: it returns
//     to its default, or to what the user gives, and the plan says why;
//   - a value the user gave in an earlier release, even at its default,
//     stays the user's: hardened leaves it, and the warning names it as
//     kept, with --reset; --reset gives it hardened's value.
func TestHardenedRemembered(t *testing.T) {
	hardenedOn := append(append([]string{}, network...), "--image", "nginx:1.27", "--hardened", "--user", "1000", "--container-port", "8080")
	first, err := rememberRun(t, nil, false, hardenedOn...)
	if err != nil {
		t.Fatal(err)
	}
	if missing := lacking(planLines(first.changes), []string{"+ hardened: true (flag)", "+ log-retention-days: 365 (hardened)",
		"+ deletion-protection: true (hardened)", "+ read-only-root-fs: true (hardened)"}); len(missing) > 0 {
		t.Errorf("plan of a new hardened stack lacks %q:\n%s", missing, strings.Join(planLines(first.changes), "\n"))
	}
	if got := first.record.sources[stack.KeyLogRetentionDays]; got != originHardened {
		t.Errorf("release 1 records log-retention-days as from %q, want %q", got, originHardened)
	}
	if got := first.in.Parameters[stack.ParamAssignPublicIP]; got != "DISABLED" {
		t.Errorf("AssignPublicIp sent %q, want DISABLED, which the hardened template allows only", got)
	}
	release1 := releaseOf(first, 1, nil)

	// Kept: hardened, and what it gives.
	second, err := rememberRun(t, release1, false, append(append([]string{}, network...), "--image", "nginx:1.28")...)
	if err != nil {
		t.Fatal(err)
	}
	if cfg := second.settings.Config; !cfg.Hardened || cfg.Logs.RetentionDays != 365 || !cfg.DeletionProtection || !cfg.Container.ReadOnlyRootFilesystem {
		t.Errorf("a later deploy: hardened %v, retention %d, deletion protection %v, read-only %v; want hardened kept, with its values",
			cfg.Hardened, cfg.Logs.RetentionDays, cfg.DeletionProtection, cfg.Container.ReadOnlyRootFilesystem)
	}
	if got, want := planLines(second.changes), []string{"~ image: nginx:1.27 → nginx:1.28 (flag)"}; !slices.Equal(got, want) {
		t.Errorf("plan of an image bump = %q, want %q", got, want)
	}
	for key, want := range map[string]string{stack.KeyHardened: "release 1", stack.KeyLogRetentionDays: originHardened, stack.KeyUser: "release 1"} {
		if got := second.record.sources[key]; got != want {
			t.Errorf("release 2 records %s as from %q, want %q", key, got, want)
		}
	}
	release2 := releaseOf(second, 2, release1)

	// Turned off: what hardened gave returns to its default.
	for _, off := range [][]string{{"--hardened=false"}, {"--reset", "hardened"}} {
		run, err := rememberRun(t, release2, false, append(append([]string{}, network...), off...)...)
		if err != nil {
			t.Fatal(err)
		}
		cfg := run.settings.Config
		if cfg.Hardened || cfg.Logs.RetentionDays != 30 || cfg.DeletionProtection || cfg.Container.ReadOnlyRootFilesystem || cfg.Container.User != "1000" {
			t.Errorf("%v: hardened %v, retention %d, deletion protection %v, read-only %v, user %q; want the defaults, and the user kept",
				off, cfg.Hardened, cfg.Logs.RetentionDays, cfg.DeletionProtection, cfg.Container.ReadOnlyRootFilesystem, cfg.Container.User)
		}
		source := "flag"
		if off[0] == "--reset" {
			source = "--reset"
		}
		if missing := lacking(planLines(run.changes), []string{"~ hardened: true → false (" + source + ")",
			"~ log-retention-days: 365 → 30 (default, as hardened is off)", "~ deletion-protection: true → false (default, as hardened is off)",
			"~ read-only-root-fs: true → false (default, as hardened is off)"}); len(missing) > 0 {
			t.Errorf("%v: plan lacks %q:\n%s", off, missing, strings.Join(planLines(run.changes), "\n"))
		}
		if !strings.Contains(run.in.TemplateBody, "\n  HttpListener:\n") {
			t.Errorf("%v: the template has no HTTP listener", off)
		}
	}
	run, err := rememberRun(t, release2, false, append(append([]string{}, network...), "--hardened=false", "--log-retention-days", "90")...)
	if err != nil {
		t.Fatal(err)
	}
	if got := run.settings.Config.Logs.RetentionDays; got != 90 || !slices.Contains(planLines(run.changes), "~ log-retention-days: 365 → 90 (flag)") {
		t.Errorf("hardened off with --log-retention-days 90: retention %d, plan %q", got, planLines(run.changes))
	}
}

// TestHardenedKeepsWhatAnEarlierReleaseGave proves a value the user gave
// in an earlier release, and that the stack keeps, counts as given when
// --hardened is turned on later: at its default (log-retention-days 30)
// or not (deletion-protection false is the default too, cpu is not
// hardened's), it stays, and the warning names the control it breaks and
// --reset, which gives it hardened's value.
func TestHardenedKeepsWhatAnEarlierReleaseGave(t *testing.T) {
	first, err := rememberRun(t, nil, false, append(append([]string{}, network...), "--image", "nginx:1.27", "--log-retention-days", "30", "--deletion-protection=false")...)
	if err != nil {
		t.Fatal(err)
	}
	release1 := releaseOf(first, 1, nil)
	on := append(append([]string{}, network...), "--hardened", "--user", "1000")
	run, err := rememberRun(t, release1, false, on...)
	if err != nil {
		t.Fatal(err)
	}
	cfg := run.settings.Config
	if cfg.Logs.RetentionDays != 30 || cfg.DeletionProtection || !cfg.Container.ReadOnlyRootFilesystem {
		t.Errorf("retention %d, deletion protection %v, read-only %v; want the user's 30 and off kept, and hardened's read-only root filesystem",
			cfg.Logs.RetentionDays, cfg.DeletionProtection, cfg.Container.ReadOnlyRootFilesystem)
	}
	var warnings []string
	for _, w := range run.warnings {
		warnings = append(warnings, w.String())
	}
	for _, want := range []string{
		"log-retention-days: log-retention-days 30 breaks CloudWatch.16 (CloudWatch log groups should be retained for at least 1 year), which hardened otherwise passes; log-retention-days is kept from release 1: give --reset log-retention-days to pass it",
		"deletion-protection: deletion-protection off breaks ELB.6",
	} {
		if !slices.ContainsFunc(warnings, func(w string) bool { return strings.HasPrefix(w, want) }) {
			t.Errorf("warnings lack %q:\n%s", want, strings.Join(warnings, "\n"))
		}
	}
	got := planLines(run.changes)
	if missing := lacking(got, []string{"~ hardened: false → true (flag)", "~ read-only-root-fs: false → true (hardened)"}); len(missing) > 0 ||
		slices.ContainsFunc(got, func(l string) bool { return strings.Contains(l, "log-retention-days") }) {
		t.Errorf("plan = %q; want hardened and read-only-root-fs changed, and log-retention-days not", got)
	}
	if got := run.record.sources[stack.KeyLogRetentionDays]; got != "release 1" {
		t.Errorf("the release records log-retention-days as from %q, want release 1, where the user gave it", got)
	}

	run, err = rememberRun(t, release1, false, append(on, "--reset", "log-retention-days")...)
	if err != nil {
		t.Fatal(err)
	}
	if got := run.settings.Config.Logs.RetentionDays; got != 365 || !slices.Contains(planLines(run.changes), "~ log-retention-days: 30 → 365 (hardened)") {
		t.Errorf("--hardened --reset log-retention-days: retention %d, plan %q; want 365 from hardened", got, planLines(run.changes))
	}
}

// TestHardenedNeedsACertificate proves that a hardened service without a
// domain never becomes the HTTP-only stack of a deploy without a
// certificate: a new stack without --certificate-arn, named or not, and
// a stack that serves HTTP only now, are each exit 2 naming
// --certificate-arn and --domain-name, before any AWS call. A domain, or
// a stack that has a certificate, is enough.
func TestHardenedNeedsACertificate(t *testing.T) {
	noCertificate := slices.Clone(network[:len(network)-2])
	httpOnly, err := rememberRun(t, nil, false, append(slices.Clone(noCertificate), "--image", "nginx:1.27")...)
	if err != nil {
		t.Fatal(err)
	}
	withCertificate, err := rememberRun(t, nil, false, append(slices.Clone(network), "--image", "nginx:1.27")...)
	if err != nil {
		t.Fatal(err)
	}
	hardenedOn := []string{"--hardened", "--user", "1000"}
	cases := []struct {
		name  string
		stack *operate.Remembered
		args  []string
		want  string // "" for no problem
	}{
		{"a new stack", nil, noCertificate, "--certificate-arn: is required with --hardened, with no HTTP listener (ELB.1, ELB.18): give the ARN of an issued ACM certificate in the stack's region, or --domain-name (and --hosted-zone-id)"},
		{"a stack that serves HTTP only", releaseOf(httpOnly, 1, nil), noCertificate, "--certificate-arn: is not given, and the stack has none (it serves HTTP only); --hardened serves HTTPS only"},
		{"a stack with a certificate", releaseOf(withCertificate, 1, nil), noCertificate, ""},
		{"a new stack with a domain", nil, append(slices.Clone(noCertificate), "--domain-name", "shop.example.com", "--hosted-zone-id", "Z0123456789ABCDEFGHIJ"), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := rememberRun(t, tc.stack, false, append(slices.Clone(tc.args), hardenedOn...)...)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v; want %q", err, tc.want)
			case tc.want != "" && deploy.ExitCode(err) != deploy.ExitInput:
				t.Errorf("exit %d, want %d", deploy.ExitCode(err), deploy.ExitInput)
			}
		})
	}

	// Without a stack name nothing is remembered, and the problem comes
	// with the missing name.
	clearEnv(t)
	isolateAWS(t, "eu-west-1")
	code, stdout, stderr := runCLI(t, append([]string{"deploy", "--image", "nginx:1.27", "--vpc-id", "vpc-0abc1234def567890",
		"--public-subnets", "subnet-0aaa1111bbb22223a,subnet-0aaa1111bbb22223b", "--private-subnets", "subnet-0ccc3333ddd44445c"}, hardenedOn...)...)
	if code != deploy.ExitInput || stdout != "" || !strings.Contains(stderr, "--stack") || !strings.Contains(stderr, "--certificate-arn: is required with --hardened") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s\nwant exit 2 naming --stack and --certificate-arn", code, stdout, stderr)
	}
}
