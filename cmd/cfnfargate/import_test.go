package main

import (
	"bytes"
	"flag"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/cfnfargate/cfnfargate/internal/copilot"
	"github.com/cfnfargate/cfnfargate/internal/testenv"
	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

var updateImport = flag.Bool("update-import", false, "rewrite the imported configs in testdata/copilot/")

var copilotTestdata = filepath.Join("..", "..", "testdata", "copilot")

const importImage = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:2026-11-30"

// copilotCases are the manifests of testdata/copilot/, each with the
// flags and shell its import needs (import.yaml beside it).
func copilotCases(t *testing.T) []testenv.CopilotCase {
	t.Helper()
	return testenv.CopilotCases(t, copilotTestdata)
}

// setShell sets a case's shell variables for the import, which reads them
// as Copilot does, through the process's environment.
func setShell(t *testing.T, c testenv.CopilotCase) {
	t.Helper()
	for k, v := range c.Shell {
		t.Setenv(k, v)
	}
}

func importArgs(manifest string, flags []string, after bool, extra ...string) []string {
	args := []string{"import", "copilot"}
	if after {
		return append(append(append(args, manifest), flags...), extra...)
	}
	return append(append(append(args, flags...), extra...), manifest)
}

// TestImportCopilotRoundTrip proves every manifest of testdata/copilot/
// imports, with exit 0, into its reviewed config (app.yaml beside it); that
// the real config loader reads that file back into exactly the settings
// the import checked, for the base values and for each environment's
// layer (emit --config, with --environment for a layer, gives the template
// those settings build); and that every resulting template passes cfn-lint.
// Proves: the config file round-trips, layers included; every imported
// config emits a lint-clean template.
func TestImportCopilotRoundTrip(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	cases := copilotCases(t)
	var templates []string
	for _, tc := range cases {
		t.Run(tc.Dir, func(t *testing.T) {
			setShell(t, tc)
			out := filepath.Join(dir, tc.Dir+".yaml")
			code, stdout, stderr := runCLI(t, importArgs(tc.Manifest, tc.Flags, tc.After, "--output", out)...)
			if code != 0 {
				t.Fatalf("import: exit %d: %s", code, stderr)
			}
			if stdout != "" {
				t.Errorf("import with --output printed on stdout: %q", stdout)
			}
			got, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join(copilotTestdata, tc.Dir, "app.yaml")
			if *updateImport {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./cmd/cfnfargate -run TestImportCopilotRoundTrip -update-import)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("the import differs from %s:\n%s", golden, got)
			}

			// The settings the import checked, built into a template
			// directly...
			res := importCase(t, tc)
			configs := []struct {
				env      string
				settings []copilot.Setting
			}{{"", res.Settings}}
			for _, l := range res.Layers {
				configs = append(configs, struct {
					env      string
					settings []copilot.Setting
				}{l.Name, l.Settings})
			}
			for _, c := range configs {
				cfg, err := checkImported(c.settings, c.env)
				if err != nil {
					t.Fatalf("environment %q: %v", c.env, err)
				}
				direct, err := renderTemplate(cfg, "yaml")
				if err != nil {
					t.Fatal(err)
				}
				// ...and the config file through the loader and emit.
				args := []string{"emit", "--config", out}
				if c.env != "" {
					args = append(args, "--environment", c.env)
				}
				code, emitted, stderr := runCLI(t, args...)
				if code != 0 {
					t.Fatalf("%v: exit %d: %s", args, code, stderr)
				}
				if emitted != string(direct) {
					t.Errorf("%v builds another template than the imported settings: the config file does not round-trip", args)
				}
				tmpl := filepath.Join(dir, tc.Dir+"."+c.env+".template.yaml")
				if err := os.WriteFile(tmpl, []byte(emitted), 0o644); err != nil {
					t.Fatal(err)
				}
				templates = append(templates, tmpl)
			}
		})
	}
	if !t.Failed() {
		testenv.Lint(t, templates...)
	}
}

// importCase imports a case's manifest the way the command does.
func importCase(t *testing.T, tc testenv.CopilotCase) *copilot.Result {
	t.Helper()
	data, err := os.ReadFile(tc.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	res, err := copilot.Import(data, copilot.Options{App: tc.Flag("app"), Env: tc.Flag("env"), Image: tc.Flag("image"), Getenv: tc.Getenv,
		ReadEnvFile: func(p string) ([]byte, error) { return os.ReadFile(filepath.Join(copilotWorkspace(tc.Manifest), p)) }})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestImportCopilotCoversTheStudy proves testdata/copilot/ covers what the
// study of real manifests found and what issue 19 asked of the corpus, so
// that the round trip exercises it.
// Proves: at least 20 manifests, and each listed key appears in one.
func TestImportCopilotCoversTheStudy(t *testing.T) {
	cases := copilotCases(t)
	if len(cases) < 20 {
		t.Errorf("%d manifests in testdata/copilot/, want at least 20", len(cases))
	}
	var all strings.Builder
	for _, tc := range cases {
		b, err := os.ReadFile(tc.Manifest)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	for _, key := range []string{"location:", "build:", "port:", "cpu:", "memory:", "platform:", "exec:", "count: 3", "range: 1-10",
		"range:\n    min:", "cpu_percentage:", "requests:", "spot_from:", "spot: 3", "cooldown:", "healthcheck: '/", "success_codes:",
		"healthy_threshold:", "unhealthy_threshold:", "grace_period:", "alias: '", "hosted_zone:", "- name:", "allowed_source_ips:",
		"stickiness:", "deregistration_delay:", "variables:", "secretsmanager:", "env_file:", "placement: private", "connect: true",
		"readonly_fs:", "ephemeral:", "rollback_alarms:", "environments:", "${COPILOT_APPLICATION_NAME}", "${COPILOT_ENVIRONMENT_NAME}",
		"sidecars:", "logging:", "volumes:", "nlb:", "additional_rules:", "taskdef_overrides:", "interval: 20\n", "1500ms", "<<: *",
		// Issue 19: secrets by SSM and Secrets Manager name, shell
		// variables (in the image and elsewhere), a container health check
		// without a command, both forms of rollback alarms, YAML 1.1
		// booleans, and environment overrides written as layers.
		"DB_PASSWORD: /copilot/${COPILOT_APPLICATION_NAME}", "SENTRY_DSN: SENTRY_DSN", "secretsmanager: 'payments/",
		"/aws/reference/secretsmanager/", "location: ${ECR_REPO}:${IMAGE_TAG}", "NPM_TOKEN: ${NPM_TOKEN}", "alias: ${CLIENT_DOMAIN}",
		"  healthcheck:\n    interval:", "rollback_alarms: [", "rollback_alarms:\n    cpu_utilization:", "FEATURE_X: 'on'",
		"SPELLCHECK: no", "staging: {}"} {
		if !strings.Contains(all.String(), key) {
			t.Errorf("no manifest in testdata/copilot/ has %q", key)
		}
	}
}

// TestImportCopilotBadManifests proves each manifest the import cannot use
// exits 2 with an error naming the manifest and the key at fault, and
// writes nothing.
// Proves: bad input never leaves a file behind.
func TestImportCopilotBadManifests(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	bad := filepath.Join(copilotTestdata, "bad")
	for _, tt := range []struct {
		file string
		want []string
	}{
		{"backend-service.yml", []string{"line 2: type:", `"Backend Service" cannot be imported`}},
		{"worker-service.yml", []string{"line 2: type:", "Worker Service"}},
		{"scheduled-job.yml", []string{"line 2: type:", "Scheduled Job"}},
		{"environment-manifest.yml", []string{"line 2: type:", "copilot/<service>/manifest.yml"}},
		{"http-false.yml", []string{"line 6: http:", "Application Load Balancer off"}},
		{"invalid-yaml.yml", []string{"not valid YAML", "line 5"}},
		{"not-a-manifest.yml", []string{"line 1", "not a Copilot manifest"}},
		{"no-type.yml", []string{"type:", "no type"}},
		{"windows.yml", []string{"line 6: platform:", "Linux tasks only"}},
		{"wrong-types.yml", []string{"line 5: image.port: expected a whole number", `line 9: http.healthcheck.interval: "soon" is not a duration`, `line 14: count.range: "ten-twenty" is not a range`}},
		{"does-not-exist.yml", []string{"does-not-exist.yml: no such file"}},
	} {
		t.Run(tt.file, func(t *testing.T) {
			out := filepath.Join(dir, tt.file+".yaml")
			code, stdout, stderr := runCLI(t, "import", "copilot", filepath.Join(bad, tt.file), "--image", importImage, "--output", out)
			if code != deploy.ExitInput {
				t.Errorf("exit %d, want %d; stderr %s", code, deploy.ExitInput, stderr)
			}
			for _, w := range append(tt.want, tt.file) {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if stdout != "" {
				t.Errorf("stdout %q", stdout)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("bad input wrote %s", out)
			}
		})
	}
}

// TestImportCopilotRejects proves the command's own checks: values out of
// cfnfargate's range name the manifest key, the line and the setting;
// --strict refuses unsupported keys; an existing --output needs --force;
// a build without --image and a placeholder without --app are asked for.
// Proves: each exits 2 with nothing written, and the file given to
// --output keeps its content.
func TestImportCopilotRejects(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	manifestFile := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	outOfRange := manifestFile("range.yml", "name: api\ntype: Load Balanced Web Service\nimage:\n  location: nginx:1\n  port: 80\nhttp:\n  healthcheck:\n    healthy_threshold: 20\n    interval: 10m\n  deregistration_delay: 2h\ncpu: 300\n")
	existing := filepath.Join(dir, "existing.yaml")
	if err := os.WriteFile(existing, []byte("keep me\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		args []string
		want []string
	}{
		{"out of cfnfargate's range", []string{outOfRange},
			[]string{"http.healthcheck.healthy_threshold (line 8) → healthy-threshold: 20 is out of range: allowed 2 to 10",
				"http.healthcheck.interval (line 9) → health-check-interval: 600 is out of range",
				"http.deregistration_delay (line 10) → deregistration-delay: 7200 is out of range",
				"cpu (line 11) → cpu"}},
		{"--strict", []string{"--strict", "--image", importImage, filepath.Join(copilotTestdata, "unsupported", "manifest.yml")},
			[]string{"--strict:", "cannot be imported, so nothing was written", "line 43: sidecars:"}},
		{"existing output", []string{filepath.Join(copilotTestdata, "api-location", "manifest.yml")},
			[]string{"--output: " + existing + " exists: pass --force"}},
		{"build without --image", []string{filepath.Join(copilotTestdata, "frontend", "manifest.yml")},
			[]string{"line 20: image.build:", "--image URI"}},
		{"placeholders without --app", []string{"--env", "prod", "--region", "eu-central-1", "--account", "123456789012", filepath.Join(copilotTestdata, "secrets", "manifest.yml")},
			[]string{"secrets.DB_PASSWORD: uses ${COPILOT_APPLICATION_NAME}", "--app NAME"}},
		{"bad flags", []string{"--region", "Europe", "--account", "12", "--env", "Prod", filepath.Join(copilotTestdata, "api-location", "manifest.yml")},
			[]string{"--region: \"Europe\" is not an AWS region", "--account: \"12\" is not an AWS account ID", "--env: \"Prod\" is not a Copilot name"}},
		{"no manifest", nil, []string{"give the manifest"}},
		{"two manifests", []string{outOfRange, outOfRange}, []string{"one too many"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// --force lets each case reach its own check; the file must
			// still keep its content.
			force := "--force"
			if tt.name == "existing output" {
				force = "--strict=false"
			}
			args := append([]string{"import", "copilot", force, "--output", existing}, tt.args...)
			code, stdout, stderr := runCLI(t, args...)
			if code != deploy.ExitInput {
				t.Errorf("exit %d, want %d; stderr %s", code, deploy.ExitInput, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if stdout != "" {
				t.Errorf("stdout %q", stdout)
			}
			if got, _ := os.ReadFile(existing); string(got) != "keep me\n" {
				t.Errorf("the --output file changed: %q", got)
			}
		})
	}

	// With --force the file is replaced, atomically: no temporary file is
	// left beside it.
	code, _, stderr := runCLI(t, "import", "copilot", "--force", "--output", existing, filepath.Join(copilotTestdata, "api-location", "manifest.yml"))
	if code != 0 {
		t.Fatalf("--force: exit %d: %s", code, stderr)
	}
	if got, _ := os.ReadFile(existing); !strings.HasPrefix(string(got), "# cfnfargate config imported from") {
		t.Errorf("--force did not replace the file: %q", got)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("a temporary file was left: %s", e.Name())
		}
	}
}

// TestImportCopilotReport proves the report goes to stderr, the config to
// stdout without --output, and that unsupported keys still give a config
// and exit 0.
// Proves: each finding names its line; stdout holds only the config.
func TestImportCopilotReport(t *testing.T) {
	clearEnv(t)
	code, stdout, stderr := runCLI(t, "import", "copilot", "--image", importImage, filepath.Join(copilotTestdata, "unsupported", "manifest.yml"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(stdout, "# cfnfargate config imported from") || strings.Contains(stdout, "not imported") {
		t.Errorf("stdout is not only the config:\n%s", stdout)
	}
	for _, w := range []string{"cfnfargate: not imported: line 43: sidecars:", "cfnfargate: not imported: line 31: deployment.rollback_alarms:",
		"cfnfargate: note: line 40: network.connect: Service Connect is off", "Next steps"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr)
		}
	}
	_, _, stderr = runCLI(t, "import", "copilot", filepath.Join(copilotTestdata, "ignored-keys", "manifest.yml"))
	if !strings.Contains(stderr, "cfnfargate: warning: line 12: http.interval: Copilot does not read this key") {
		t.Errorf("an ignored key is not a warning naming its line:\n%s", stderr)
	}
}

// TestImportedConfigsDeployIntoMoto proves imported configs deploy, through
// the real binary, into moto_server: the import, then deploy --config with
// the network flags the README's "Moving from Copilot" gives, ending in
// CREATE_COMPLETE. The configs, deployed side by side, hold between them
// secrets by name and by ARN (the IAM policy's ARNs), autoscaling on both
// targets with Spot, a read-only root with task storage on arm64, and one
// environment's layer of a config with several (--environment prod);
// TestImportFromCopilotStacks deploys another. Deploying every manifest
// would take minutes of make test, and what sets them apart is in their
// templates, which TestImportCopilotRoundTrip lints and proves equal to
// what the settings build.
// Proves: the configs are complete apart from the network, and CloudFormation
// (as moto models it) creates every resource they describe.
func TestImportedConfigsDeployIntoMoto(t *testing.T) {
	testenv.SkipIfShort(t, "starts moto_server and builds the binary")
	t.Parallel()
	m := testenv.SharedMoto(t)
	n := m.Seed(t)
	moto := motoBinary(t, m)
	dir := t.TempDir()
	deployed := map[string]string{"secrets": "", "autoscale-spot": "", "private-arm": "", "multi-env-scaling": "prod"}
	for _, tc := range copilotCases(t) {
		env, ok := deployed[tc.Dir]
		if !ok {
			continue
		}
		t.Run(tc.Dir, func(t *testing.T) {
			t.Parallel()
			cf := binary{t: t, path: moto.path, env: moto.env}
			config := filepath.Join(dir, tc.Dir+".yaml")
			if code, _, stderr := cf.run(importArgs(tc.Manifest, tc.Flags, tc.After, "--output", config)...); code != 0 {
				t.Fatalf("import: exit %d: %s", code, stderr)
			}
			createSecretsOf(t, m, config)
			createAlarmsOf(t, m, config)
			stackName := "imported-" + tc.Dir
			args := []string{"deploy", "--config", config, "--stack", stackName, "--vpc-id", n.VpcID,
				"--public-subnets", strings.Join(n.PublicSubnets, ","), "--private-subnets", strings.Join(n.PrivateSubnets, ","),
				"--certificate-arn", n.CertificateArn}
			if env != "" {
				// prod's layer has a rollback alarm, which deploy reads from
				// CloudWatch: moto answers CloudWatch only in the AWS Query
				// protocol, which the clients choose for an --endpoint-url
				// (stack/deploy NewClients), not for AWS_ENDPOINT_URL.
				args = append(args, "--environment", env, "--endpoint-url", m.Endpoint)
			}
			code, _, stderr := cf.run(args...)
			if code != 0 {
				t.Fatalf("deploy: exit %d: %s", code, stderr)
			}
			code, stdout, stderr := cf.run("status", "--stack", stackName, "--format", "json")
			if code != 0 || !strings.Contains(stdout, `"CREATE_COMPLETE"`) {
				t.Errorf("status: exit %d: %s%s", code, stdout, stderr)
			}
		})
	}
}

// createAlarmsOf creates in moto the rollback alarms the config at path
// names, which the deploy's pre-flight looks for.
func createAlarmsOf(t *testing.T, m *testenv.Moto, path string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	type alarms struct {
		Alarms []string `yaml:"rollback-alarm"`
	}
	var cfg struct {
		alarms       `yaml:",inline"`
		Environments map[string]alarms `yaml:"environments"`
	}
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	names := cfg.Alarms
	for _, layer := range cfg.Environments {
		names = append(names, layer.Alarms...)
	}
	for _, name := range names {
		m.Query(t, "monitoring", "PutMetricAlarm", url.Values{"AlarmName": {name}, "Namespace": {"AWS/ApplicationELB"},
			"MetricName": {"HTTPCode_Target_5XX_Count"}, "Statistic": {"Sum"}, "Period": {"60"}, "EvaluationPeriods": {"1"},
			"Threshold": {"1"}, "ComparisonOperator": {"GreaterThanOrEqualToThreshold"}})
	}
}

// createSecretsOf creates in moto the secrets the config at path reads,
// which the deploy's pre-flight looks for, and points the config at the
// secrets moto named otherwise (Secrets Manager picks an ARN's suffix).
func createSecretsOf(t *testing.T, m *testenv.Moto, path string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	type secrets struct {
		Secret map[string]string `yaml:"secret"`
	}
	var cfg struct {
		secrets      `yaml:",inline"`
		Environments map[string]secrets `yaml:"environments"`
	}
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	from := slices.Collect(maps.Values(cfg.Secret))
	for _, layer := range cfg.Environments {
		from = append(from, slices.Collect(maps.Values(layer.Secret))...)
	}
	slices.Sort(from)
	text := string(raw)
	for given, made := range m.CreateSecrets(t, slices.Compact(from)...) {
		text = strings.ReplaceAll(text, given, made)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// copilotEnvTemplate is shaped like the stack of a Copilot environment
// (internal/pkg/template/templates/environment/cf.yml in aws/copilot-cli):
// a public load balancer with an HTTPS listener, and the outputs VpcId,
// PublicSubnets and PrivateSubnets (comma-joined) and HTTPSListenerArn.
const copilotEnvTemplate = `
Parameters:
  VpcId: {Type: String}
  PublicSubnets: {Type: CommaDelimitedList}
  PrivateSubnets: {Type: String}
  CertificateArn: {Type: String}
Resources:
  PublicLoadBalancer:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      Scheme: internet-facing
      Subnets: !Ref PublicSubnets
      Type: application
  DefaultHTTPTargetGroup:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties: {Port: 80, Protocol: HTTP, TargetType: ip, VpcId: !Ref VpcId}
  HTTPSListener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      Certificates: [{CertificateArn: !Ref CertificateArn}]
      DefaultActions: [{TargetGroupArn: !Ref DefaultHTTPTargetGroup, Type: forward}]
      LoadBalancerArn: !Ref PublicLoadBalancer
      Port: 443
      Protocol: HTTPS
Outputs:
  VpcId: {Value: !Ref VpcId}
  PublicSubnets: {Value: !Join [',', !Ref PublicSubnets]}
  PrivateSubnets: {Value: !Ref PrivateSubnets}
  HTTPSListenerArn: {Value: !Ref HTTPSListener}
`

// copilotServiceTemplate is shaped like a Copilot service stack where
// ReadDeployed looks: its ContainerImage parameter (Copilot's workload
// templates), and the copilot-* tags given at CreateStack.
const copilotServiceTemplate = `
Parameters:
  AppName: {Type: String}
  EnvName: {Type: String}
  WorkloadName: {Type: String}
  ContainerImage: {Type: String}
Resources:
  Marker: {Type: AWS::CloudFormation::WaitConditionHandle}
`

// TestImportFromCopilotStacks proves --from-stack reads what Copilot
// deployed, from stacks in moto shaped like Copilot's: the VPC, subnets and
// certificate of the environment stack (of the listener's three, the one
// that covers the service's alias, read through ACM), and the running image
// of the service stack; the config it writes then deploys with no other
// flag.
// Proves: the imported config is complete and deployable; a stack that is
// missing or not Copilot's is bad input naming it.
func TestImportFromCopilotStacks(t *testing.T) {
	testenv.SkipIfShort(t, "starts moto_server and builds the binary")
	t.Parallel()
	m := testenv.SharedMoto(t)
	n := m.Seed(t)
	cf := motoBinary(t, m)

	// Names with hyphens, which APP-ENV-SVC cannot be split at.
	const app, envName, svc = "my-shop", "prod", "orders"
	const running = "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-shop/orders:sha-4f2a9c1"
	m.Query(t, "cloudformation", "CreateStack", url.Values{
		"StackName": {app + "-" + envName}, "TemplateBody": {copilotEnvTemplate},
		"Parameters.member.1.ParameterKey": {"VpcId"}, "Parameters.member.1.ParameterValue": {n.VpcID},
		"Parameters.member.2.ParameterKey": {"PublicSubnets"}, "Parameters.member.2.ParameterValue": {strings.Join(n.PublicSubnets, ",")},
		"Parameters.member.3.ParameterKey": {"PrivateSubnets"}, "Parameters.member.3.ParameterValue": {strings.Join(n.PrivateSubnets, ",")},
		"Parameters.member.4.ParameterKey": {"CertificateArn"}, "Parameters.member.4.ParameterValue": {n.CertificateArn},
		"Tags.member.1.Key": {"copilot-application"}, "Tags.member.1.Value": {app},
		"Tags.member.2.Key": {"copilot-environment"}, "Tags.member.2.Value": {envName},
	})
	serviceStack := app + "-" + envName + "-" + svc
	m.Query(t, "cloudformation", "CreateStack", url.Values{
		"StackName": {serviceStack}, "TemplateBody": {copilotServiceTemplate},
		"Parameters.member.1.ParameterKey": {"AppName"}, "Parameters.member.1.ParameterValue": {app},
		"Parameters.member.2.ParameterKey": {"EnvName"}, "Parameters.member.2.ParameterValue": {envName},
		"Parameters.member.3.ParameterKey": {"WorkloadName"}, "Parameters.member.3.ParameterValue": {svc},
		"Parameters.member.4.ParameterKey": {"ContainerImage"}, "Parameters.member.4.ParameterValue": {running},
		"Tags.member.1.Key": {"copilot-application"}, "Tags.member.1.Value": {app},
		"Tags.member.2.Key": {"copilot-environment"}, "Tags.member.2.Value": {envName},
		"Tags.member.3.Key": {"copilot-service"}, "Tags.member.3.Value": {svc},
	})

	// The environment serves two more certificates by SNI, as Copilot's
	// http.public.certificates adds them: the one for prod's alias,
	// orders.example.com, is neither the default nor the first listed.
	requestCertificate := func(domain string, alternatives ...string) string {
		var out struct{ CertificateArn string }
		in := map[string]any{"DomainName": domain, "ValidationMethod": "DNS"}
		if len(alternatives) > 0 {
			in["SubjectAlternativeNames"] = append([]string{domain}, alternatives...)
		}
		m.JSON(t, "acm", "RequestCertificate", in, &out)
		return out.CertificateArn
	}
	other := requestCertificate("*.example.org")
	orders := requestCertificate("shop.example.com", "orders.example.com")
	outputs := m.Query(t, "cloudformation", "DescribeStacks", url.Values{"StackName": {app + "-" + envName}})
	keys, values := testenv.XMLValues(outputs, "OutputKey"), testenv.XMLValues(outputs, "OutputValue")
	listener := values[slices.Index(keys, "HTTPSListenerArn")]
	m.Query(t, "elasticloadbalancing", "AddListenerCertificates", url.Values{"ListenerArn": {listener},
		"Certificates.member.1.CertificateArn": {other}, "Certificates.member.2.CertificateArn": {orders}})

	// The environments manifest builds its image and uses the
	// placeholders: the stacks supply the image, the app and the env.
	manifest := filepath.Join(copilotTestdata, "environments", "manifest.yml")
	config := filepath.Join(t.TempDir(), "orders.yaml")
	code, _, stderr := cf.run("import", "copilot", manifest, "--from-stack", serviceStack, "--output", config)
	if code != 0 {
		t.Fatalf("import --from-stack: exit %d: %s", code, stderr)
	}
	got, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"image: " + running, "vpc-id: " + n.VpcID,
		"certificate-arn: " + orders + " # the certificate of my-shop-prod's HTTPS listener that covers orders.example.com",
		"public-subnets: # output PublicSubnets of stack my-shop-prod\n  - " + n.PublicSubnets[0] + "\n  - " + n.PublicSubnets[1],
		"private-subnets: # output PrivateSubnets of stack my-shop-prod\n  - " + n.PrivateSubnets[0] + "\n  - " + n.PrivateSubnets[1],
		"COPILOT_APPLICATION_NAME: my-shop", "COPILOT_ENVIRONMENT_NAME: prod", "cpu: 1024 # environments.prod.cpu",
	} {
		if !strings.Contains(string(got), want) {
			t.Errorf("the config lacks %q:\n%s", want, got)
		}
	}
	if !strings.Contains(stderr, "cfnfargate deploy --config "+config+" --stack orders-prod\n") {
		t.Errorf("the next steps do not deploy with the config alone:\n%s", stderr)
	}
	m.PushImage(t, "my-shop/orders", "sha-4f2a9c1") // the pre-flight looks for the running image
	code, _, stderr = cf.run("deploy", "--config", config, "--stack", "orders-from-copilot")
	if code != 0 {
		t.Fatalf("deploy --config alone: exit %d: %s", code, stderr)
	}

	// --svc with --app and --env names the same stack.
	if code, _, stderr := cf.run("import", "copilot", manifest, "--app", app, "--env", envName, "--svc", svc); code != 0 {
		t.Errorf("--svc: exit %d: %s", code, stderr)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--from-stack", "my-shop-prod-missing"}, "stack my-shop-prod-missing: does not exist"},
		{[]string{"--from-stack", app + "-" + envName}, "is not a Copilot service stack"},
		{[]string{"--from-stack", serviceStack, "--env", "staging"}, "--env: staging, but stack " + serviceStack + " belongs to prod"},
	} {
		code, stdout, stderr := cf.run(append([]string{"import", "copilot", manifest}, tt.args...)...)
		if code != deploy.ExitInput || stdout != "" || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %s; want exit 2 with %q", tt.args, code, stdout, stderr, tt.want)
		}
	}
}

// TestImportQuotesYAML11Booleans proves that a value YAML 1.1 reads as a
// boolean is written quoted, as the manifest quoted it, or in double
// quotes where it did not (Copilot reads an unquoted on as the string "on",
// and so does cfnfargate, but YAML 1.1 tools would read true), and that
// the config loader reads each back as the same string.
// Proves: every YAML 1.1 boolean word, in each of the three quotings.
func TestImportQuotesYAML11Booleans(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	words := []string{"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF"}
	var manifest strings.Builder
	manifest.WriteString("name: flags\ntype: Load Balanced Web Service\nimage:\n  location: nginx:1\n  port: 80\nvariables:\n")
	for i, w := range words {
		fmt.Fprintf(&manifest, "  PLAIN_%d: %s\n  SINGLE_%d: '%s'\n  DOUBLE_%d: \"%s\"\n", i, w, i, w, i, w)
	}
	path := filepath.Join(dir, "manifest.yml")
	if err := os.WriteFile(path, []byte(manifest.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "flags.yaml")
	if code, _, stderr := runCLI(t, "import", "copilot", path, "--output", config); code != 0 {
		t.Fatalf("import: exit %d: %s", code, stderr)
	}
	text, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range words {
		for _, want := range []string{fmt.Sprintf("PLAIN_%d: \"%s\"\n", i, w), fmt.Sprintf("SINGLE_%d: '%s'\n", i, w), fmt.Sprintf("DOUBLE_%d: \"%s\"\n", i, w)} {
			if !strings.Contains(string(text), "  "+want) {
				t.Errorf("the config lacks %q", want)
			}
		}
	}
	code, stdout, stderr := runCLI(t, "emit", "--config", config, "--format", "json")
	if code != 0 {
		t.Fatalf("emit: exit %d: %s", code, stderr)
	}
	for i, w := range words {
		if want := fmt.Sprintf(`"Name": "SINGLE_%d",`+"\n"+`                "Value": %q`, i, w); !strings.Contains(stdout, want) {
			t.Errorf("the template lacks %s", want)
		}
	}
}

// TestImportRegionAccountNeedNoStack proves that secret names need neither
// --region nor --account: the import of a manifest with secrets by name
// succeeds without them, and with them, and no --from-stack, it says they
// do nothing.
// Proves: exit 0 both ways; the warning names each flag.
func TestImportRegionAccountNeedNoStack(t *testing.T) {
	clearEnv(t)
	manifest := filepath.Join(copilotTestdata, "secrets", "manifest.yml")
	code, stdout, stderr := runCLI(t, "import", "copilot", manifest, "--app", "shop", "--env", "prod")
	if code != 0 || !strings.Contains(stdout, "DB_PASSWORD: /copilot/shop/prod/secrets/db_password") {
		t.Fatalf("without --region and --account: exit %d\n%s%s", code, stdout, stderr)
	}
	code, _, stderr = runCLI(t, "import", "copilot", manifest, "--app", "shop", "--env", "prod", "--region", "eu-west-1", "--account", "123456789012")
	for _, w := range []string{"warning: --region: has no effect without --from-stack", "warning: --account: has no effect without --from-stack"} {
		if code != 0 || !strings.Contains(stderr, w) {
			t.Errorf("exit %d, stderr lacks %q:\n%s", code, w, stderr)
		}
	}
}

// TestImportCommentsEveryKey proves the README's promise that each key of
// an imported config names where its value came from, empty values
// included (review1920 item 8): yaml.v3 drops, or moves to the next key,
// the comment of a key whose value is [] or {}. It checks every imported
// config of testdata/copilot/, and a layer that leaves out a list the
// base sets, whose [] must carry the comment and leave the next
// environment's name alone.
// Proves: every key of the base and of each layer has its comment.
func TestImportCommentsEveryKey(t *testing.T) {
	uncommented := func(t *testing.T, name string, text []byte) {
		t.Helper()
		var doc yaml.Node
		if err := yaml.Unmarshal(text, &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var walk func(m *yaml.Node, where string)
		walk = func(m *yaml.Node, where string) {
			for i := 0; i+1 < len(m.Content); i += 2 {
				k, v := m.Content[i], m.Content[i+1]
				if k.LineComment == "" && v.LineComment == "" {
					t.Errorf("%s: %s%s has no comment naming its source", name, where, k.Value)
				}
				if k.Value == "environments" {
					for j := 0; j+1 < len(v.Content); j += 2 {
						if c := v.Content[j].LineComment; c != "" {
							t.Errorf("%s: environment %s carries the comment %q of another key", name, v.Content[j].Value, c)
						}
						walk(v.Content[j+1], "environments."+v.Content[j].Value+".")
					}
				}
			}
		}
		walk(doc.Content[0], "")
	}
	for _, tc := range copilotCases(t) {
		text, err := os.ReadFile(filepath.Join(copilotTestdata, tc.Dir, "app.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		uncommented(t, tc.Dir, text)
	}
	alarm := copilot.Setting{Key: "rollback-alarm", Values: []string{"api-5xx"}, List: true, Source: "deployment.rollback_alarms", Line: 12}
	text, err := renderImported(&copilot.Result{Service: "api", Settings: []copilot.Setting{alarm},
		Layers: []copilot.Layer{{Name: "prod"}, {Name: "test", Settings: []copilot.Setting{alarm}}}}, "manifest.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	uncommented(t, "a layer without the base's list", text)
	if want := "    rollback-alarm: [] # environment prod does not set it: cfnfargate's default\n  test:\n"; !strings.Contains(string(text), want) {
		t.Errorf("the config lacks %q:\n%s", want, text)
	}
}
