package copilot

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/cfnfargate/cfnfargate/stack"
)

const testImage = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1"

// lbws is a minimal manifest with the given YAML appended at the top level.
func lbws(extra string) string {
	return "name: api\ntype: Load Balanced Web Service\nimage:\n  location: " + testImage + "\n  port: 8080\n" + extra
}

// values returns the imported settings as key: values, the deferred ones
// under "#key".
func values(r *Result) map[string][]string {
	out := map[string][]string{}
	for _, s := range r.Settings {
		k := s.Key
		if s.Deferred {
			k = "#" + k
		}
		out[k] = s.Values
	}
	return out
}

func findingKeys(r *Result, kind Kind) []string {
	var keys []string
	for _, f := range r.Findings {
		if f.Kind == kind {
			keys = append(keys, f.Key)
		}
	}
	return keys
}

// TestMapping proves each manifest key lands on the cfnfargate setting
// and value Copilot's documentation gives it, in every form the manifests
// in the wild use.
// Proves: numbers, maps, ranges, durations (30s, 100ms, bare numbers),
// alias forms, secrets and env overrides map as documented.
func TestMapping(t *testing.T) {
	full := Options{App: "shop", Env: "prod"}
	tests := []struct {
		name     string
		manifest string
		opts     Options
		want     map[string][]string // settings that must be present, with these values
		absent   []string            // settings that must not be present
		findings map[Kind][]string   // finding keys that must be present
	}{
		{name: "count number", manifest: lbws("count: 4\n"),
			want: map[string][]string{stack.KeyDesiredCount: {"4"}}, absent: []string{stack.KeyMaxCount, stack.KeySpot}},
		{name: "count range string with both targets and Copilot's cooldowns",
			manifest: lbws("count:\n  range: 2-10\n  cpu_percentage: 70\n  requests: 1000\n"),
			want: map[string][]string{stack.KeyMinCount: {"2"}, stack.KeyMaxCount: {"10"}, stack.KeyScaleCPUPercent: {"70"},
				stack.KeyScaleRequestsPerTarget: {"1000"}, stack.KeyScaleInCooldown: {"120"}, stack.KeyScaleOutCooldown: {"60"}},
			absent: []string{stack.KeyDesiredCount}},
		{name: "count range map with spot_from",
			manifest: lbws("count:\n  range:\n    min: 1\n    max: 10\n    spot_from: 3\n  cpu_percentage: 50\n"),
			want: map[string][]string{stack.KeyMinCount: {"1"}, stack.KeyMaxCount: {"10"}, stack.KeySpot: {"true"},
				stack.KeySpotBase: {"2"}, stack.KeySpotWeight: {"0"}}},
		{name: "count.spot runs every task on Spot",
			manifest: lbws("count:\n  spot: 5\n"),
			want:     map[string][]string{stack.KeyDesiredCount: {"5"}, stack.KeySpot: {"true"}, stack.KeySpotBase: {"0"}, stack.KeySpotWeight: {"0"}}},
		{name: "general cooldowns, then a metric's own",
			manifest: lbws("count:\n  range: 1-4\n  cooldown:\n    scale_in_cooldown: 3m\n    scale_out_cooldown: 30s\n  requests:\n    value: 200\n    cooldown:\n      scale_out_cooldown: 15\n"),
			want:     map[string][]string{stack.KeyScaleInCooldown: {"180"}, stack.KeyScaleOutCooldown: {"15"}, stack.KeyScaleRequestsPerTarget: {"200"}}},
		{name: "range without a target cfnfargate scales on",
			manifest: lbws("count:\n  range: 2-6\n  memory_percentage: 80\n"),
			want:     map[string][]string{stack.KeyDesiredCount: {"2"}}, absent: []string{stack.KeyMaxCount},
			findings: map[Kind][]string{Unsupported: {"count.memory_percentage", "count.range"}}},
		{name: "health check string and Copilot's defaults for the rest",
			manifest: lbws("http:\n  path: /\n  healthcheck: /healthz\n"),
			want: map[string][]string{stack.KeyHealthCheckPath: {"/healthz"}, stack.KeyHealthCheckMatcher: {"200"},
				stack.KeyHealthyThreshold: {"5"}, stack.KeyUnhealthyThreshold: {"2"}, stack.KeyHealthCheckInterval: {"30"},
				stack.KeyHealthCheckTimeout: {"5"}, stack.KeyHealthCheckGracePeriod: {"60"}, stack.KeyDeregistrationDelay: {"60"}}},
		{name: "health check map with every field and duration forms",
			manifest: lbws("http:\n  healthcheck:\n    path: /deep\n    success_codes: '200,301'\n    healthy_threshold: 3\n    unhealthy_threshold: 4\n    interval: 15\n    timeout: '10s'\n    grace_period: 2m\n  deregistration_delay: 100ms\n"),
			want: map[string][]string{stack.KeyHealthCheckPath: {"/deep"}, stack.KeyHealthCheckMatcher: {"200,301"},
				stack.KeyHealthyThreshold: {"3"}, stack.KeyUnhealthyThreshold: {"4"}, stack.KeyHealthCheckInterval: {"15"},
				stack.KeyHealthCheckTimeout: {"10"}, stack.KeyHealthCheckGracePeriod: {"120"}, stack.KeyDeregistrationDelay: {"1"}},
			findings: map[Kind][]string{Changed: {"http.deregistration_delay"}}},
		{name: "stickiness, allowed source IPs",
			manifest: lbws("http:\n  stickiness: true\n  allowed_source_ips: [\"10.0.0.0/8\", 192.0.2.0/24]\n"),
			want:     map[string][]string{stack.KeyStickiness: {"86400"}, stack.KeyAllowCIDR: {"10.0.0.0/8", "192.0.2.0/24"}}},
		{name: "alias string with hosted_zone is deferred",
			manifest: lbws("http:\n  alias: app.example.com\n  hosted_zone: Z0873220N255IR3MTNR4\n"),
			want:     map[string][]string{"#" + stack.KeyDomainName: {"app.example.com"}, "#" + stack.KeyHostedZoneID: {"Z0873220N255IR3MTNR4"}},
			absent:   []string{stack.KeyDomainName}},
		{name: "alias list of strings: the first is served",
			manifest: lbws("http:\n  alias: [a.example.com, b.example.com]\n  hosted_zone: Z0873220N255IR3MTNR4\n"),
			want:     map[string][]string{"#" + stack.KeyDomainName: {"a.example.com"}},
			findings: map[Kind][]string{Unsupported: {"http.alias"}}},
		{name: "alias list of name/hosted-zone pairs",
			manifest: lbws("http:\n  alias:\n    - name: a.example.com\n      hosted_zone: ZAAAAAAAAAAAAA\n"),
			want:     map[string][]string{"#" + stack.KeyDomainName: {"a.example.com"}, "#" + stack.KeyHostedZoneID: {"ZAAAAAAAAAAAAA"}}},
		{name: "alias without a zone is reported",
			manifest: lbws("http:\n  alias: a.example.com\n"),
			absent:   []string{"#" + stack.KeyDomainName},
			findings: map[Kind][]string{Unsupported: {"http.alias"}}},
		{name: "variables of every scalar type",
			manifest: lbws("variables:\n  A: text\n  B: 3\n  C: true\n"),
			opts:     Options{},
			want:     map[string][]string{stack.KeyEnv: {"A=text", "B=3", "C=true", "COPILOT_SERVICE_NAME=api"}}},
		{name: "secrets: SSM names, hierarchies, ARNs, Secrets Manager names with JSON keys, by name with no account",
			manifest: lbws("secrets:\n  A: TOKEN\n  B: /copilot/${COPILOT_APPLICATION_NAME}/${COPILOT_ENVIRONMENT_NAME}/secrets/b\n  C: arn:aws:ssm:eu-west-1:123456789012:parameter/c\n  D:\n    secretsmanager: 'db/${COPILOT_ENVIRONMENT_NAME}:password::'\n  E:\n    secretsmanager: arn:aws:secretsmanager:eu-west-1:123456789012:secret:e-AbCdEf\n"),
			opts:     full,
			want: map[string][]string{stack.KeySecret: {
				"A=TOKEN",
				"B=/copilot/shop/prod/secrets/b",
				"C=arn:aws:ssm:eu-west-1:123456789012:parameter/c",
				"D=secretsmanager:db/prod:password::",
				"E=arn:aws:secretsmanager:eu-west-1:123456789012:secret:e-AbCdEf"}}},
		{name: "placement private, readonly_fs, ephemeral, exec, platform",
			manifest: lbws("network:\n  vpc:\n    placement: private\nstorage:\n  readonly_fs: true\n  ephemeral: 40\nexec: false\nplatform: linux/arm64\n"),
			want: map[string][]string{stack.KeyPublicTasks: {"false"}, stack.KeyReadOnlyRootFS: {"true"}, stack.KeyEphemeralStorage: {"40"},
				stack.KeyEnableExec: {"false"}, stack.KeyArch: {stack.ArchARM64}}},
		{name: "placement left out is Copilot's public",
			manifest: lbws(""), want: map[string][]string{stack.KeyPublicTasks: {"true"}}},
		{name: "ephemeral 20 is Fargate's default", manifest: lbws("storage:\n  ephemeral: 20\n"), absent: []string{stack.KeyEphemeralStorage}},
		{name: "platform map, exec", manifest: lbws("platform:\n  osfamily: linux\n  architecture: x86_64\nexec: true\n"),
			want: map[string][]string{stack.KeyArch: {stack.ArchX86}, stack.KeyEnableExec: {"true"}}},
		{name: "recreate", manifest: lbws("deployment:\n  rolling: recreate\n"),
			want: map[string][]string{stack.KeyMinHealthyPercent: {"0"}, stack.KeyMaxPercent: {"100"}}},
		{name: "container health check, CMD form and Copilot's defaults",
			manifest: lbws("") + "  healthcheck:\n    command: [CMD, curl, -f, 'http://localhost/a b']\n",
			want: map[string][]string{stack.KeyContainerHealthCheck: {"curl -f 'http://localhost/a b'"}, stack.KeyContainerHCInterval: {"10"},
				stack.KeyContainerHCRetries: {"2"}, stack.KeyContainerHCTimeout: {"5"}, stack.KeyContainerHCStartPeriod: {"0"}}},
		{name: "--image replaces the location", manifest: lbws(""), opts: Options{Image: "nginx:1"},
			want: map[string][]string{stack.KeyImage: {"nginx:1"}}, findings: map[Kind][]string{Changed: {"image.location"}}},
		{name: "a build with --image",
			manifest: "name: api\ntype: Load Balanced Web Service\nimage:\n  build: Dockerfile\n  port: 80\n", opts: Options{Image: "nginx:1"},
			want: map[string][]string{stack.KeyImage: {"nginx:1"}}, findings: map[Kind][]string{Changed: {"image.build"}}},
		{name: "environment overrides merge maps and replace the rest",
			manifest: lbws("count: 1\nvariables:\n  A: base\n  B: base\nenvironments:\n  prod:\n    count:\n      range: 2-4\n      cpu_percentage: 60\n    variables:\n      B: prod\n  test:\n    count: 2\n"),
			opts:     Options{Env: "prod"},
			want: map[string][]string{stack.KeyMinCount: {"2"}, stack.KeyMaxCount: {"4"},
				stack.KeyEnv: {"A=base", "B=prod", "COPILOT_ENVIRONMENT_NAME=prod", "COPILOT_SERVICE_NAME=api"}},
			absent:   []string{stack.KeyDesiredCount},
			findings: map[Kind][]string{Changed: {"environments", "environments.prod"}}},
		{name: "exec under a read-only root is left off", manifest: lbws("exec: true\nstorage:\n  readonly_fs: true\n"),
			want: map[string][]string{stack.KeyEnableExec: {"false"}, stack.KeyReadOnlyRootFS: {"true"}}, findings: map[Kind][]string{Changed: {"exec"}}},
		{name: "environments without --env are layers",
			manifest: lbws("count: 1\nenvironments:\n  prod:\n    count: 3\n"),
			want:     map[string][]string{stack.KeyDesiredCount: {"1"}},
			findings: map[Kind][]string{Changed: {"environments"}}},
		{name: "anchors and merge keys",
			manifest: lbws("x-vars: &v\n  A: one\nvariables:\n  <<: *v\n  B: two\n"),
			want:     map[string][]string{stack.KeyEnv: {"A=one", "B=two", "COPILOT_SERVICE_NAME=api"}},
			findings: map[Kind][]string{Ignored: {"x-vars"}}},
		{name: "keys Copilot ignores are warnings",
			manifest: lbws("http:\n  interval: 10s\n  healthcheck:\n    path: /\n    sucess_codes: '200'\nvaribles:\n  A: b\non:\n  schedule: '@daily'\n"),
			findings: map[Kind][]string{Ignored: {"http.interval", "http.healthcheck.sucess_codes", "varibles", "on"}}},
		{name: "network.connect is a note, not a setting", manifest: lbws("network:\n  connect: true\n"),
			findings: map[Kind][]string{Changed: {"network.connect"}}},
		{name: "rollback alarms by name", manifest: lbws("deployment:\n  rollback_alarms: [HighErrors, \"p99 latency\"]\n"),
			want: map[string][]string{stack.KeyRollbackAlarm: {"HighErrors", "p99 latency"}}},
		{name: "rollback alarms on CPU and memory are reported", manifest: lbws("deployment:\n  rollback_alarms:\n    cpu_utilization: 70\n    memory_utilization: 80\n"),
			absent: []string{stack.KeyRollbackAlarm}, findings: map[Kind][]string{Unsupported: {"deployment.rollback_alarms"}}},
		{name: "a container health check without a command is a warning", manifest: lbws("") + "  healthcheck:\n    interval: 20s\n    retries: 3\n",
			absent: []string{stack.KeyContainerHealthCheck, stack.KeyContainerHCInterval}, findings: map[Kind][]string{Ignored: {"image.healthcheck"}}},
		{name: "cpu and memory left out are Copilot's", manifest: lbws(""),
			want: map[string][]string{stack.KeyCPU: {"256"}, stack.KeyMemory: {"512"}}},
		{name: "keys of features cfnfargate lacks",
			manifest: lbws("sidecars:\n  x:\n    image: y\nlogging:\n  destination:\n    Name: cloudwatch\nstorage:\n  volumes:\n    v:\n      path: /v\n      efs: true\nnlb:\n  port: 80/tcp\ntaskdef_overrides:\n  - path: A\n    value: 1\nhttp:\n  additional_rules:\n    - path: /x\n"),
			findings: map[Kind][]string{Unsupported: {"sidecars", "logging.destination", "storage.volumes", "nlb", "taskdef_overrides", "http.additional_rules"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Import([]byte(tt.manifest), tt.opts)
			if err != nil {
				t.Fatalf("Import: %v", err)
			}
			got := values(res)
			for k, want := range tt.want {
				if !slices.Equal(got[k], want) {
					t.Errorf("%s = %q, want %q", k, got[k], want)
				}
			}
			for _, k := range tt.absent {
				if v, ok := got[k]; ok {
					t.Errorf("%s = %q, want it left out", k, v)
				}
			}
			for kind, keys := range tt.findings {
				have := findingKeys(res, kind)
				for _, k := range keys {
					if !slices.Contains(have, k) {
						t.Errorf("no %q finding for %s; have %q", kind, k, have)
					}
				}
			}
		})
	}
}

// TestCopilotDefaultsDifferFromOurs proves the import writes Copilot's
// value wherever Copilot's documented default differs from cfnfargate's, so
// that a manifest that leaves a key out behaves the same after the move.
// Proves: each such key is set, from Copilot's docs, not from our defaults.
func TestCopilotDefaultsDifferFromOurs(t *testing.T) {
	res, err := Import([]byte(lbws("count:\n  range: 1-3\n  cpu_percentage: 50\n")), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ours := stack.Default()
	// The values Copilot's documentation gives (see the constants'
	// comments), next to ours.
	for _, c := range []struct {
		key     string
		copilot int
		ours    int
	}{
		{stack.KeyHealthyThreshold, 5, ours.HealthCheck.HealthyThreshold},
		{stack.KeyUnhealthyThreshold, 2, ours.HealthCheck.UnhealthyThreshold},
		{stack.KeyHealthCheckInterval, 30, ours.HealthCheck.Interval},
		{stack.KeyDeregistrationDelay, 60, ours.LoadBalancer.DeregistrationDelay},
		{stack.KeyScaleInCooldown, 120, ours.Scaling.ScaleInCooldown},
	} {
		s, ok := res.Setting(c.key)
		switch {
		case !ok && c.copilot != c.ours:
			t.Errorf("%s is left out, but Copilot's default %d differs from ours %d", c.key, c.copilot, c.ours)
		case ok && s.Values[0] != fmt.Sprint(c.copilot):
			t.Errorf("%s = %s, want Copilot's %d", c.key, s.Values[0], c.copilot)
		case ok && s.Note != copilotDefault:
			t.Errorf("%s is not marked as Copilot's default: %q", c.key, s.Note)
		}
	}
	if s, ok := res.Setting(stack.KeyPublicTasks); !ok || s.Values[0] != "true" || ours.Service.PublicTasks {
		t.Errorf("public-tasks = %v (ours %v), want Copilot's public placement", s.Values, ours.Service.PublicTasks)
	}
}

// TestProblems proves a manifest the import cannot use fails with every
// problem at once, each naming the manifest key and its line.
// Proves: wrong types, bad formats, other service types and missing
// values are errors that name the key, never panics or partial results.
func TestProblems(t *testing.T) {
	tests := []struct {
		name     string
		manifest string
		opts     Options
		want     []string // substrings of the error, each naming a key or line
	}{
		{"not YAML", "name: [", Options{}, []string{"not valid YAML"}},
		{"empty", "", Options{}, []string{"empty"}},
		{"a list", "- a\n- b\n", Options{}, []string{"line 1", "not a Copilot manifest"}},
		{"no type", "name: api\n", Options{}, []string{"type:", "no type"}},
		{"a pipeline", "name: p\nstages: []\n", Options{}, []string{"pipeline manifest"}},
		// HTTP only exists without a certificate, and so does an internal
		// load balancer: never "always HTTPS" (review1920 polish).
		{"Backend Service", "name: a\ntype: Backend Service\n", Options{}, []string{"line 2: type:", "Backend Service", "no internet-facing load balancer", "--internal"}},
		{"Worker Service", "name: a\ntype: Worker Service\n", Options{}, []string{"Worker Service", "SQS"}},
		{"Scheduled Job", "name: a\ntype: Scheduled Job\n", Options{}, []string{"Scheduled Job", "schedule"}},
		{"unknown type", "name: a\ntype: Web\n", Options{}, []string{`"Web" is not a Copilot service type`}},
		{"http false", lbws("http: false\n"), Options{}, []string{"line 6: http:", "Application Load Balancer off", "(HTTPS with a certificate, HTTP only without one)"}},
		{"build without --image", "name: a\ntype: Load Balanced Web Service\nimage:\n  build: Dockerfile\n  port: 80\n", Options{},
			[]string{"line 4: image.build:", "--image URI"}},
		{"no port", "name: a\ntype: Load Balanced Web Service\nimage:\n  location: nginx\n", Options{}, []string{"image.port: missing"}},
		{"wrong types", lbws("cpu: lots\nexec: maybe\ncount:\n  range: ten-twenty\n  cpu_percentage: 70\nhttp:\n  healthcheck:\n    interval: soon\n"), Options{},
			[]string{"line 6: cpu: expected a whole number", "line 7: exec: expected true or false", `line 9: count.range: "ten-twenty" is not a range`, `line 13: http.healthcheck.interval: "soon" is not a duration`}},
		{"quoted number", lbws("memory: '512'\n"), Options{}, []string{"memory: expected a whole number, got \"512\""}},
		{"min above max", lbws("count:\n  range: 5-2\n  cpu_percentage: 5\n"), Options{}, []string{"minimum 5 is above maximum 2"}},
		{"targets without a range", lbws("count:\n  cpu_percentage: 70\n"), Options{}, []string{"count:", "no range"}},
		{"placeholders without --app and --env", lbws("secrets:\n  A: /copilot/${COPILOT_APPLICATION_NAME}/${COPILOT_ENVIRONMENT_NAME}/a\n"), Options{},
			[]string{"line 7: secrets.A: uses ${COPILOT_APPLICATION_NAME}", "--app NAME", "--env NAME"}},
		{"a shell variable that is not set", lbws("variables:\n  A: ${NOT_SET_ANYWHERE}\n"), Options{}, []string{"line 7: variables.A: uses ${NOT_SET_ANYWHERE}"}},
		{"windows", lbws("platform: windows/x86_64\n"), Options{}, []string{"platform:", "Linux tasks only"}},
		{"storage below Fargate's", lbws("storage:\n  ephemeral: 10\n"), Options{}, []string{"storage.ephemeral: 10 is out of range"}},
		{"unknown placement", lbws("network:\n  vpc:\n    placement: isolated\n"), Options{}, []string{`network.vpc.placement: "isolated"`}},
		{"aliases that loop", "a: &a [*a]\n", Options{}, []string{"line"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Import([]byte(tt.manifest), tt.opts)
			var ierr *Error
			if !errors.As(err, &ierr) {
				t.Fatalf("Import = %v, %v; want an *Error", res, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestShellVariables proves ${NAME} placeholders other than Copilot's are
// filled from the environment Getenv reads, as Copilot fills them.
// Proves: interpolation happens before mapping, in nested values.
func TestShellVariables(t *testing.T) {
	res, err := Import([]byte(lbws("variables:\n  DB: postgres://${DB_HOST}:5432/app\n")), Options{
		Getenv: func(n string) (string, bool) { return map[string]string{"DB_HOST": "db.internal"}[n], n == "DB_HOST" },
	})
	if err != nil {
		t.Fatal(err)
	}
	if env := values(res)[stack.KeyEnv]; !slices.Contains(env, "DB=postgres://db.internal:5432/app") {
		t.Errorf("env = %q", env)
	}
}

// TestEnvFile proves env_file variables are read through ReadEnvFile, in
// the environment-file format, and that variables win over them.
// Proves: comments and blank lines are skipped; a bad line is a problem.
func TestEnvFile(t *testing.T) {
	files := map[string]string{
		"good.env": "# c\nA=1\n\nB=file\n",
		"bad.env":  "A=1\nnot a pair\n",
	}
	read := func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, errors.New("no such file")
	}
	res, err := Import([]byte(lbws("env_file: good.env\nvariables:\n  B: manifest\n")), Options{ReadEnvFile: read})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := values(res)[stack.KeyEnv], []string{"A=1", "B=manifest", "COPILOT_SERVICE_NAME=api"}; !slices.Equal(got, want) {
		t.Errorf("env = %q, want %q", got, want)
	}
	if _, err := Import([]byte(lbws("env_file: bad.env\n")), Options{ReadEnvFile: read}); err == nil || !strings.Contains(err.Error(), "bad.env line 2: expected NAME=VALUE") {
		t.Errorf("bad env file: %v", err)
	}
	res, err = Import([]byte(lbws("env_file: missing.env\n")), Options{ReadEnvFile: read})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(findingKeys(res, Unsupported), "env_file") {
		t.Errorf("an unreadable env_file is not reported: %v", res.Findings)
	}
}

// FuzzImport proves no manifest makes Import panic.
func FuzzImport(f *testing.F) {
	f.Add(lbws("count:\n  range: 1-3\n  cpu_percentage: 50\nhttp:\n  alias: [a.b.c]\n"))
	f.Add("a: &a\n  b: *a\n")
	f.Add(lbws("environments:\n  prod:\n    http: false\n"))
	f.Fuzz(func(t *testing.T, manifest string) {
		_, _ = Import([]byte(manifest), Options{Env: "prod", App: "a"})
		_, _ = Import([]byte(manifest), Options{App: "a", Image: "nginx:1"})
	})
}

// TestEnvironmentLayers proves that, without Options.Env, a manifest with
// environments gives its base values and one layer per environment, and
// that each layer holds exactly the settings an import with --env NAME
// gives, as Copilot applies that environment's overrides.
// Proves: values that use ${COPILOT_ENVIRONMENT_NAME} leave the base and go
// to each layer; overrides that switch autoscaling off leave it out of the
// layer; the findings name the environments.
func TestEnvironmentLayers(t *testing.T) {
	manifest := lbws("count:\n  range: 1-4\n  cpu_percentage: 70\nvariables:\n  A: base\nsecrets:\n  DB: /x/${COPILOT_ENVIRONMENT_NAME}/db\n  S: static\n" +
		"environments:\n  test:\n    count: 1\n    variables:\n      A: test\n  prod:\n    cpu: 1024\n    memory: 2048\n")
	res, err := Import([]byte(manifest), Options{App: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	base := values(res)
	if got := base[stack.KeySecret]; !slices.Equal(got, []string{"S=static"}) {
		t.Errorf("base secret = %q, want only the one without the environment's name", got)
	}
	if got := base[stack.KeyEnv]; slices.ContainsFunc(got, func(v string) bool { return strings.HasPrefix(v, "COPILOT_ENVIRONMENT_NAME=") }) {
		t.Errorf("base env = %q: the environment's name belongs to the layers", got)
	}
	var names []string
	for _, l := range res.Layers {
		names = append(names, l.Name)
		flat, err := Import([]byte(manifest), Options{App: "shop", Env: l.Name})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := values(&Result{Settings: l.Settings}), values(flat); !equalSettings(got, want) {
			t.Errorf("layer %s = %v\nwant what --env %s gives: %v", l.Name, got, l.Name, want)
		}
	}
	if !slices.Equal(names, []string{"prod", "test"}) {
		t.Errorf("layers %q, want prod and test", names)
	}
	test := res.Layers[1]
	if _, ok := test.Setting(stack.KeyMaxCount); ok {
		t.Errorf("test's count: 1 keeps autoscaling: %v", test.Settings)
	}
	if s, _ := test.Setting(stack.KeySecret); !slices.Equal(s.Values, []string{"DB=/x/test/db", "S=static"}) {
		t.Errorf("test's secret = %q", s.Values)
	}
	var notes []string
	for _, f := range res.Findings {
		if f.Key == "environments" {
			notes = append(notes, f.Message)
		}
	}
	joined := strings.Join(notes, "\n")
	for _, w := range []string{"each of prod, test is a layer", "--environment NAME", "secret DB"} {
		if !strings.Contains(joined, w) {
			t.Errorf("the environments notes lack %q:\n%s", w, joined)
		}
	}

	// --env NAME writes that environment flat.
	flat, err := Import([]byte(manifest), Options{App: "shop", Env: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if len(flat.Layers) != 0 || flat.Applied != "test" || !slices.Equal(values(flat)[stack.KeyDesiredCount], []string{"1"}) {
		t.Errorf("--env test: layers %v, applied %q, desired-count %v", flat.Layers, flat.Applied, values(flat)[stack.KeyDesiredCount])
	}
}

func equalSettings(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// TestPlaceholdersWhereUsed proves a placeholder that nothing fills is a
// problem only in a key the config uses, naming the key, its line and what
// to pass; in a key that --image replaces, that is not imported or that
// Copilot ignores, it needs no value, as that value goes nowhere.
// Proves: image.location and image.build arguments with --image, sidecars
// and typos pass; the same keys without --image, variables and an alias
// fail; a shell variable that is set fills the alias, as Copilot fills it.
func TestPlaceholdersWhereUsed(t *testing.T) {
	build := "name: web\ntype: Load Balanced Web Service\nimage:\n  build:\n    dockerfile: Dockerfile\n    args:\n      NPM_TOKEN: ${NPM_TOKEN}\n  port: 80\n"
	location := "name: web\ntype: Load Balanced Web Service\nimage:\n  location: ${ECR_REPO}:${IMAGE_TAG}\n  port: 80\n"
	withShell := func(vars map[string]string) func(string) (string, bool) {
		return func(n string) (string, bool) { v, ok := vars[n]; return v, ok }
	}
	tests := []struct {
		name     string
		manifest string
		opts     Options
		want     string // "" when the import succeeds
	}{
		{"build arguments with --image", build, Options{Image: "nginx:1"}, ""},
		{"image location with --image", location, Options{Image: "nginx:1"}, ""},
		// --image is the fix the README recommends (review1920 item 9).
		{"image location without --image", location, Options{}, "line 4: image.location: uses ${ECR_REPO}, which Copilot fills from the shell's environment when it deploys: " +
			"give the image to deploy with --image URI, which replaces this key, or set ECR_REPO in the environment of the import"},
		{"a sidecar's image", lbws("sidecars:\n  proxy:\n    image: ${PROXY_IMAGE}\n"), Options{}, ""},
		{"a key Copilot ignores", lbws("varibles:\n  A: ${UNSET}\n"), Options{}, ""},
		{"a variable", lbws("variables:\n  A: ${UNSET}\n"), Options{}, "line 7: variables.A: uses ${UNSET}, which Copilot fills from the shell's environment when it deploys: set UNSET"},
		{"an alias", lbws("http:\n  alias: ${CLIENT_DOMAIN}\n"), Options{}, "line 7: http.alias: uses ${CLIENT_DOMAIN}"},
		{"an alias the shell fills", lbws("http:\n  alias: ${CLIENT_DOMAIN}\n"), Options{Getenv: withShell(map[string]string{"CLIENT_DOMAIN": "acme.example.com"})}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Import([]byte(tt.manifest), tt.opts)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Import: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Import = %v, want an error with %q", err, tt.want)
			case tt.name == "an alias the shell fills" && !slices.Equal(res.Aliases, []string{"acme.example.com"}):
				t.Errorf("aliases %q", res.Aliases)
			}
		})
	}
}

// TestQuotingKept proves the import records how the manifest quoted each
// variable, so that the config quotes it the same way.
// Proves: single, double and no quotes are told apart, in the file's order.
func TestQuotingKept(t *testing.T) {
	res, err := Import([]byte(lbws("variables:\n  A: 'on'\n  B: \"off\"\n  C: no\n")), Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := res.Setting(stack.KeyEnv)
	want := []yaml.Style{yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle, 0, 0}
	if !slices.Equal(s.Styles, want) || !slices.Equal(s.Values, []string{"A=on", "B=off", "C=no", "COPILOT_SERVICE_NAME=api"}) {
		t.Errorf("env %q with styles %v, want styles %v", s.Values, s.Styles, want)
	}
}
