package main

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cfnfargate/cfnfargate/internal/testenv"
	"github.com/cfnfargate/cfnfargate/stack/deploy"
	"github.com/cfnfargate/cfnfargate/stack/operate"
)

// Proves (issue 20, end to end through the binary against moto) that a
// deploy remembers: a second deploy given only a new image keeps the cpu,
// memory and health-check path of the first, which set them, and its plan
// names no setting but the image; --verbose lists what it keeps and
// --reset returns a setting to its default, in the plan and in diff
// --exit-code. A deploy not waited for records its release. status shows
// the service, and names the region of a stack that is not there.
func TestRememberAgainstMoto(t *testing.T) {
	m, n, cf := onSharedMoto(t)
	// moto fails a kept List<> parameter (UsePreviousValue) on an update:
	// every deploy gives the network.
	network := n.Flags()
	const name = "remember-a"
	run := cf.mustRun
	deployArgs := func(extra ...string) []string {
		return append(append([]string{"deploy", "--stack", name}, network...), extra...)
	}
	template := func() string {
		t.Helper()
		return strings.Join(testenv.XMLValues(m.Query(t, "cloudformation", "GetTemplate", url.Values{"StackName": {name}}), "TemplateBody"), "")
	}
	history := func() []operate.Release {
		t.Helper()
		stdout, _ := run("history", "--stack", name, "--json")
		var releases []operate.Release
		if err := json.Unmarshal([]byte(stdout), &releases); err != nil {
			t.Fatalf("history --json: %v\n%s", err, stdout)
		}
		return releases
	}

	stdout, _ := run(deployArgs("--image", "nginx:1.27", "--cpu", "512", "--memory", "1024", "--health-check-path", "/healthz")...)
	for _, want := range []string{"4 settings given", "+ Setting image: nginx:1.27 (flag)", "+ Setting cpu: 512 (flag)", "+ Setting health-check-path: /healthz (flag)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the plan of the create lacks %q:\n%s", want, stdout)
		}
	}

	stdout, stderr := run(deployArgs("--image", "nginx:1.28")...)
	if strings.Count(stdout, "Setting ") != 1 || !strings.Contains(stdout, "~ Setting image: nginx:1.27 → nginx:1.28 (flag)") {
		t.Errorf("the plan of an image bump names other settings than the image, or not the image:\n%s", stdout)
	}
	if !strings.Contains(stderr, "recorded release 2") {
		t.Errorf("the second deploy recorded no release 2:\n%s", stderr)
	}
	body := template()
	for _, want := range []string{`Cpu: "512"`, `Memory: "1024"`, "HealthCheckPath: /healthz"} {
		if !strings.Contains(body, want) {
			t.Errorf("after a deploy given only the image, the template lacks %s: the first deploy's setting was not kept", want)
		}
	}

	stdout, _ = run(append([]string{"diff", "--stack", name, "--verbose", "--exit-code"}, network...)...)
	if !strings.Contains(stdout, "= Setting cpu: 512 (kept from release 1)") || !strings.Contains(stdout, "= Setting image: nginx:1.28 (kept from release 2)") {
		t.Errorf("diff --verbose does not list the kept settings with the release they were given in:\n%s", stdout)
	}
	code, stdout, stderr := cf.run(append([]string{"diff", "--stack", name, "--exit-code", "--reset", "cpu"}, network...)...)
	if code != deploy.ExitFailure || !strings.Contains(stdout, "~ Setting cpu: 512 → 256 (--reset)") {
		t.Errorf("diff --reset cpu --exit-code: exit %d, want 1 and the change\n%s\n%s", code, stdout, stderr)
	}

	// Not waited for: recorded, marked, and kept by the next deploy.
	_, stderr = run(deployArgs("--image", "nginx:1.29", "--no-wait")...)
	if !strings.Contains(stderr, "recorded release 3") || !strings.Contains(stderr, "not waited for") {
		t.Errorf("deploy --no-wait recorded no release:\n%s", stderr)
	}
	if releases := history(); len(releases) != 3 || !releases[0].NoWait || releases[0].Image != "nginx:1.29" {
		t.Errorf("history after --no-wait = %+v", releases)
	}

	stdout, _ = run("status", "--stack", name)
	// (moto keeps the service on the task definition it was created
	// with, so the image is the first one.)
	for _, want := range []string{"Service:", "Image:         nginx:", "Tasks:         1 desired, 1 running", "Rollout:       PRIMARY"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, stdout)
		}
	}
	if code, _, stderr := cf.run("status", "--stack", name, "--region", "eu-west-2"); code == 0 || !strings.Contains(stderr, "does not exist in eu-west-2") {
		t.Errorf("status in another region: exit %d, stderr %s; want the region named", code, stderr)
	}

}

// Proves (issue 20, end to end through the binary against moto) that a
// history belongs to one stack: a stack deleted and created again under
// the same name has a history of one release, keeps nothing of the
// deleted stack's settings, and rollback does not reach the deleted
// stack's releases; delete says where the old history stays and how to
// remove it.
func TestHistoryPerStackAgainstMoto(t *testing.T) {
	m, n, cf := onSharedMoto(t)
	network := n.Flags()
	const name = "history-b"
	run := cf.mustRun
	deployArgs := func(extra ...string) []string {
		return append(append([]string{"deploy", "--stack", name}, network...), extra...)
	}
	run(deployArgs("--image", "nginx:1.27", "--cpu", "512", "--memory", "1024")...)
	run(deployArgs("--image", "nginx:1.28", "--cpu", "512", "--memory", "1024")...)

	stdout, _ := run("delete", "--stack", name, "--yes")
	if !strings.Contains(stdout, "stays in SSM Parameter Store under /cfnfargate/"+name+"/") || !strings.Contains(stdout, "aws ssm delete-parameters") {
		t.Errorf("delete does not say where the history stays and how to remove it:\n%s", stdout)
	}
	stdout, stderr := run(deployArgs("--image", "nginx:1.30")...)
	if !strings.Contains(stderr, "recorded release 1 ") {
		t.Errorf("the new stack's first deploy is not release 1:\n%s", stderr)
	}
	tpl := strings.Join(testenv.XMLValues(m.Query(t, "cloudformation", "GetTemplate", url.Values{"StackName": {name}}), "TemplateBody"), "")
	if strings.Contains(stdout, "Setting cpu") || !strings.Contains(tpl, `Cpu: "256"`) {
		t.Errorf("the new stack kept the deleted one's cpu:\n%s", stdout)
	}
	stdout, _ = run("history", "--stack", name, "--json")
	var releases []operate.Release
	if err := json.Unmarshal([]byte(stdout), &releases); err != nil {
		t.Fatalf("history --json: %v\n%s", err, stdout)
	}
	if len(releases) != 1 || releases[0].Number != 1 || releases[0].Image != "nginx:1.30" {
		t.Errorf("history of the stack created again = %+v; want its own release 1", releases)
	}
	if code, _, stderr := cf.run("rollback", "--stack", name); code == 0 || !strings.Contains(stderr, "only one release") {
		t.Errorf("rollback of the new stack: exit %d, stderr %s; want it not to reach the deleted stack's releases", code, stderr)
	}
}

// Proves (issue 20, through the binary against moto) that deploy with bad
// input exits 2 and prints nothing on stdout (the deploy-time budget
// included), whether the input is refused before AWS is called, after
// what the stack remembers is read, or when the stack's parameters are
// checked for a create; and that problems come in one round.
func TestDeployBadInputPrintsNothingAgainstMoto(t *testing.T) {
	testenv.SkipIfShort(t, "starts moto_server and builds the binary")
	t.Parallel()
	m := testenv.SharedMoto(t)
	cf := motoBinary(t, m)
	for _, tt := range []struct {
		name string
		args []string
		want []string
	}{
		// Without a network the region's default VPC gives one (issue
		// 20); with part of one, the rest is missing.
		{"no stack and part of a network", []string{"deploy", "--image", "nginx:1.27", "--vpc-id", "vpc-0abc1234def567890"},
			[]string{"--stack: a stack name is required", "--public-subnets: parameter PublicSubnetIds is required", "--private-subnets: parameter PrivateSubnetIds is required"}},
		{"a bad value", []string{"deploy", "--stack", "bad-a", "--cpu", "300"}, []string{"--cpu: 300 is not allowed"}},
		{"a pair judged with what is kept", []string{"deploy", "--stack", "bad-b", "--memory", "8192"}, []string{"--memory"}},
		// moto's default VPC in this region has no internet gateway, so it
		// cannot give the network.
		{"a new stack without its network", []string{"deploy", "--stack", "bad-c", "--image", "nginx:1.27"},
			[]string{"--vpc-id: parameter VpcId is required", "cannot hold the stack", "route to an internet gateway in no Availability Zone"}},
		{"a host without an environment", []string{"deploy", "--stack", "bad-d", "--host", "api.example.com"}, []string{"--host: routes a listener rule of a shared environment, and no environment is given", "give --environment (cfnfargate env deploy makes one)"}},
		{"a duration without a unit", []string{"deploy", "--stack", "bad-e", "--timeout", "30"}, []string{"is not a duration: give a number with a unit"}},
		{"the environment given as --env", []string{"deploy", "--stack", "bad-f", "--env", "staging"}, []string{"the environment is --environment staging"}},
		{"a mistyped flag", []string{"deploy", "--stack", "bad-g", "--imgae", "nginx:1.27"}, []string{"unknown flag --imgae: did you mean --image?"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := cf.run(tt.args...)
			if code != deploy.ExitInput || stdout != "" {
				t.Errorf("exit %d, stdout %q; want 2 and nothing\nstderr:\n%s", code, stdout, stderr)
			}
			for _, want := range tt.want {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
		})
	}
	if got := testenv.XMLValues(m.Query(t, "cloudformation", "ListStacks", nil), "StackName"); strings.Contains(strings.Join(got, " "), "bad-") {
		t.Errorf("bad input created stacks: %v", got)
	}
}

// Proves (issue 20, through the binary against moto) that a stack an
// earlier cfnfargate deployed with the old default name example-app, and
// whose history recorded no settings, is not renamed by a day-2 deploy:
// the name comes from its template, the deploy says once that the other
// settings take their defaults, and the history goes on from the earlier
// release.
func TestRememberEarlierStackAgainstMoto(t *testing.T) {
	m, n, cf := onSharedMoto(t)
	const name = "remember-earlier"
	network := n.Flags()
	// What the earlier cfnfargate made: a stack named example-app inside,
	// created without a change set here, and one release record in the
	// old layout, without a stack ID or settings.
	code, body, stderr := cf.run("emit", "--name", "example-app", "--image", "nginx:1.27")
	if code != 0 {
		t.Fatalf("emit: %s", stderr)
	}
	params := url.Values{"StackName": {name}, "TemplateBody": {body}, "Capabilities.member.1": {"CAPABILITY_IAM"}}
	for i, kv := range [][2]string{{"VpcId", n.VpcID}, {"PublicSubnetIds", strings.Join(n.PublicSubnets, ",")},
		{"PrivateSubnetIds", strings.Join(n.PrivateSubnets, ",")}, {"CertificateArn", n.CertificateArn}, {"ContainerImage", "nginx:1.27"}} {
		params.Set("Parameters.member."+strconv.Itoa(i+1)+".ParameterKey", kv[0])
		params.Set("Parameters.member."+strconv.Itoa(i+1)+".ParameterValue", kv[1])
	}
	m.Query(t, "cloudformation", "CreateStack", params)
	record, _ := json.Marshal(operate.Release{Number: 1, Time: time.Now().UTC().Add(time.Minute), Action: "deploy", Image: "nginx:1.27",
		Parameters: map[string]string{"ContainerImage": "nginx:1.27"}, TemplateSHA256: "0"})
	m.JSON(t, "ssm", "AmazonSSM.PutParameter", map[string]any{"Name": "/cfnfargate/" + name + "/releases/000001", "Value": string(record), "Type": "String"}, nil)

	code, stdout, stderr := cf.run(append([]string{"deploy", "--stack", name, "--image", "nginx:1.28"}, network...)...)
	if code != 0 {
		t.Fatalf("day-2 deploy: exit %d\n%s\n%s", code, stdout, stderr)
	}
	tpl := strings.Join(testenv.XMLValues(m.Query(t, "cloudformation", "GetTemplate", url.Values{"StackName": {name}}), "TemplateBody"), "")
	if !strings.Contains(tpl, "- Name: example-app") || !strings.Contains(tpl, "${AWS::StackName}-example-app") {
		t.Errorf("the day-2 deploy renamed the container or the task family from example-app:\n%s", tpl)
	}
	if strings.Contains(stdout, "Setting name") {
		t.Errorf("the plan changes the name:\n%s", stdout)
	}
	if strings.Count(stderr, "recorded by an earlier cfnfargate") != 1 || !strings.Contains(stderr, "recorded release 2") {
		t.Errorf("stderr does not say once that the release recorded no settings, or the history does not go on at 2:\n%s", stderr)
	}
}
