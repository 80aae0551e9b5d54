package main

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/deploy"
	"github.com/cfnfargate/cfnfargate/stack/operate"
)

// rememberRun reads the deploy flags args as deploy does, over what the
// stack m remembers (nil: a new stack), without AWS.
func rememberRun(t *testing.T, m *operate.Remembered, verbose bool, args ...string) (*stackRun, error) {
	t.Helper()
	clearEnv(t)
	isolateAWS(t, "eu-west-1")
	var run *stackRun
	var runErr error
	app := newApp(io.Discard, io.Discard)
	for _, cmd := range app.Commands {
		if cmd.Name == "deploy" {
			cmd.Action = prepared(func(c *cli.Context) error {
				ss, err := readStackSources(c)
				if err != nil {
					runErr = err
					return nil
				}
				run, runErr = ss.complete(func(_ context.Context, name string) (*operate.Remembered, error) {
					if name != "shop" {
						t.Errorf("remembered stack %s, want shop", name)
					}
					return m, nil
				}, verbose)
				return nil
			})
		}
	}
	if err := app.Run(append([]string{"cfnfargate", "deploy"}, args...)); err != nil {
		t.Fatal(err)
	}
	return run, runErr
}

// planLines are the settings section of a plan, as the plan prints it.
func planLines(changes []deploy.SettingChange) []string {
	var out []string
	for _, c := range changes {
		out = append(out, c.Mark()+" "+c.String())
	}
	return out
}

// rememberedShop is stack shop whose release 3 (a deploy that kept cpu
// from release 1) recorded cpu 512, memory 1024, health-check-path
// /healthz and env A=1, and whose parameters are those release 3 saw but
// the count, which scale changed to 4 since.
func rememberedShop() *operate.Remembered {
	cfg := stack.Default()
	cfg.Container.CPU, cfg.Container.Memory, cfg.HealthCheck.Path = 512, 1024, "/healthz"
	cfg.Container.Environment = []stack.EnvVar{{Name: "A", Value: "1"}}
	settings := map[string][]string{}
	for _, s := range stack.Settings() {
		if s.Parameter == "" {
			settings[s.Key] = s.Value(cfg)
		}
	}
	params := map[string]string{"ContainerImage": "nginx:1.27", "DesiredCount": "2", "AssignPublicIp": "DISABLED",
		"VpcId": "vpc-0abc1234def567890", "PublicSubnetIds": "subnet-0aaa1111bbb22223a,subnet-0aaa1111bbb22223b",
		"PrivateSubnetIds": "subnet-0ccc3333ddd44445c", "CertificateArn": network[len(network)-1]}
	release := &operate.Release{Number: 3, Parameters: params, Sources: map[string]string{"cpu": "release 1", "memory": "flag", "health-check-path": "config file", "env": "flag"}}
	now := map[string]string{}
	for k, v := range params {
		now[k] = v
	}
	now["DesiredCount"] = "4"
	return &operate.Remembered{StackID: "arn:aws:cloudformation:eu-west-1:123456789012:stack/shop/1", Release: release, Settings: settings, Parameters: now}
}

// Proves (issue 20) the remember rule on its own, for every kind of
// source: a setting no source gives keeps the value of the stack's last
// release (recorded settings), or the stack's parameter now for one that
// is a parameter (a count changed by scale since); a setting given
// replaces it; --reset KEY returns it to its default, and sends a
// parameter's default; --reset all returns the recorded ones but leaves
// the parameters alone. The plan names exactly what changes, with the
// source of each new value; --verbose adds the kept ones with the release
// they were given in; the release records every setting and where each
// came from; a parameter kept is not sent (CloudFormation keeps it).
func TestRemember(t *testing.T) {
	run, err := rememberRun(t, rememberedShop(), false, append(append([]string{}, network...), "--image", "nginx:1.28")...)
	if err != nil {
		t.Fatal(err)
	}
	cfg := run.settings.Config
	if cfg.Container.CPU != 512 || cfg.Container.Memory != 1024 || cfg.HealthCheck.Path != "/healthz" ||
		cfg.Service.DesiredCount != 4 || len(cfg.Container.Environment) != 1 {
		t.Errorf("kept settings: cpu %d, memory %d, path %s, count %d, env %v; want those of release 3 and the stack's count 4",
			cfg.Container.CPU, cfg.Container.Memory, cfg.HealthCheck.Path, cfg.Service.DesiredCount, cfg.Container.Environment)
	}
	if got, want := planLines(run.changes), []string{"~ image: nginx:1.27 → nginx:1.28 (flag)"}; !slices.Equal(got, want) {
		t.Errorf("plan of an image bump = %q, want %q", got, want)
	}
	if _, sent := run.in.Parameters["DesiredCount"]; sent || run.in.Parameters["ContainerImage"] != "nginx:1.28" {
		t.Errorf("parameters sent %v; want the image, and not the count that CloudFormation keeps", run.in.Parameters)
	}
	if got := run.record.values["cpu"]; !slices.Equal(got, []string{"512"}) {
		t.Errorf("the release records cpu %q, want 512", got)
	}
	if _, ok := run.record.values["image"]; ok {
		t.Error("the release records the image, which the stack's parameter holds")
	}
	for key, want := range map[string]string{"cpu": "release 1", "memory": "release 3", "image": "flag"} {
		if got := run.record.sources[key]; got != want {
			t.Errorf("the release records %s as from %q, want %q", key, got, want)
		}
	}

	run, err = rememberRun(t, rememberedShop(), true, append(append([]string{}, network...), "--cpu", "1024", "--memory", "2048", "--reset", "health-check-path", "--reset", "desired-count")...)
	if err != nil {
		t.Fatal(err)
	}
	got := planLines(run.changes)
	for _, want := range []string{"~ cpu: 512 → 1024 (flag)", "~ memory: 1024 → 2048 (flag)", "~ health-check-path: /healthz → / (--reset)",
		"~ desired-count: 4 → 1 (--reset)", "= env: A=1 (kept from release 3)", "= image: nginx:1.27 (kept from release 3)"} {
		if !slices.Contains(got, want) {
			t.Errorf("verbose plan lacks %q:\n%s", want, strings.Join(got, "\n"))
		}
	}
	if run.in.Parameters["DesiredCount"] != "1" {
		t.Errorf("--reset desired-count sends %q, want the default 1", run.in.Parameters["DesiredCount"])
	}

	run, err = rememberRun(t, rememberedShop(), false, append(append([]string{}, network...), "--reset", "all")...)
	if err != nil {
		t.Fatal(err)
	}
	if cfg := run.settings.Config; cfg.Container.CPU != 256 || cfg.Container.Image != "nginx:1.27" || cfg.Service.DesiredCount != 4 {
		t.Errorf("--reset all: cpu %d, image %s, count %d; want cpu's default and the parameters kept", cfg.Container.CPU, cfg.Container.Image, cfg.Service.DesiredCount)
	}
}

// Proves a stack deployed by an earlier cfnfargate, whose release
// recorded no settings, keeps its name from its template: the old default
// example-app is not renamed to the stack's name by a day-2 deploy. The
// other settings take their defaults, as they did, and the deploy says so
// once.
func TestRememberEarlierStack(t *testing.T) {
	named := stack.Default()
	named.Name = "example-app"
	body, _, err := renderDocument(named)
	if err != nil {
		t.Fatal(err)
	}
	m := &operate.Remembered{StackID: "arn:aws:cloudformation:eu-west-1:123456789012:stack/shop/1", Template: string(body),
		Release:    &operate.Release{Number: 2, Parameters: map[string]string{"ContainerImage": "nginx:1.27"}},
		Parameters: map[string]string{"ContainerImage": "nginx:1.27"}}
	run, err := rememberRun(t, m, false, append(append([]string{}, network...), "--image", "nginx:1.28")...)
	if err != nil {
		t.Fatal(err)
	}
	if run.settings.Config.Name != "example-app" || !strings.Contains(run.in.TemplateBody, "Name: example-app") {
		t.Errorf("name %q; want example-app kept from the template", run.settings.Config.Name)
	}
	if got, want := planLines(run.changes), []string{"~ image: nginx:1.27 → nginx:1.28 (flag)"}; !slices.Equal(got, want) {
		t.Errorf("plan = %q, want %q", got, want)
	}
	if len(run.notes) != 1 || !strings.Contains(run.notes[0], "recorded by an earlier cfnfargate") {
		t.Errorf("notes %q; want one saying the release recorded no settings", run.notes)
	}
	// A setting given, whose value before was not recorded, is named
	// as such.
	run, err = rememberRun(t, m, false, append(append([]string{}, network...), "--cpu", "1024", "--memory", "2048")...)
	if err != nil {
		t.Fatal(err)
	}
	if got := planLines(run.changes); !slices.Contains(got, "~ cpu: not recorded → 1024 (flag)") {
		t.Errorf("plan = %q; want cpu's change from a value not recorded", got)
	}
}

// Proves --reset names settings of the table, with did-you-mean, and
// refuses one that a source also gives; and that the problems come with
// the others, before AWS.
func TestResetFlag(t *testing.T) {
	_, err := rememberRun(t, nil, false, append(append([]string{}, network...), "--reset", "helth-check-path", "--reset", "cpu", "--cpu", "512", "--memory", "x")...)
	for _, want := range []string{`--reset: "helth-check-path" is not a setting: did you mean health-check-path?`,
		"--reset: cpu is also given by --cpu", `--memory: "x" is not a whole number`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// Proves (review1920 item 4) that a pre-flight finding names where its
// value came from, as the settings' problems do: a setting kept from a
// release names that release, one given names its flag, a parameter
// flag given names its flag, and a parameter that an update of an
// existing stack is not given names the stack that keeps it; on a create
// nothing is kept.
func TestFindingLabels(t *testing.T) {
	run, err := rememberRun(t, rememberedShop(), false, "--stack", "shop", "--image", "nginx:1.28",
		"--public-subnets", "subnet-0aaa1111bbb22223a,subnet-0aaa1111bbb22223b")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		field  string
		create bool
		want   string
	}{
		{stack.KeyCPU, false, "cpu, kept from release 1 (give --cpu, or --reset cpu)"},
		{stack.KeyImage, false, "--image"},
		{stack.ParamContainerImage, false, "--image"},
		{stack.ParamPublicSubnetIDs, false, "--public-subnets"},
		{stack.ParamPrivateSubnetIDs, false, "private-subnets, kept from the stack (give --private-subnets)"},
		{stack.ParamPrivateSubnetIDs, true, "--private-subnets"},
	} {
		if got := run.fieldLabel(tc.field, tc.create); got != tc.want {
			t.Errorf("fieldLabel(%s, create %v) = %q, want %q", tc.field, tc.create, got, tc.want)
		}
	}
}
