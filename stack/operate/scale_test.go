package operate

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"gopkg.in/yaml.v3"

	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

func ptr(n int) *int { return &n }

// golden reads a reviewed template of package stack.
func golden(t *testing.T, name string) string {
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// Proves (CloudFormation simulated by cfnFake, which shows the change set
// asked for and refuses it) that scale sends the stack's own template with
// only the count parameters changed and every other parameter as it is,
// the stack's capabilities and tags; and that it refuses, before any
// change set, a count the template has no parameter for and bounds out of
// order with the current ones.
func TestScaleChangeSet(t *testing.T) {
	current := map[string]string{"VpcId": "vpc-1", "PublicSubnetIds": "subnet-a,subnet-b", "ContainerImage": "nginx:1.27",
		stack.ParamMinCount: "2", stack.ParamMaxCount: "10", "AssignPublicIp": "DISABLED", "PrivateSubnetIds": "subnet-c", "CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x"}
	cfn := &cfnFake{stack: fakeStack("UPDATE_COMPLETE", current), template: golden(t, "autoscaling.yaml")}
	c := Clients{CloudFormation: cfn}
	d := deploy.New(cfn, nil)
	ctx := context.Background()

	_, err := Scale(ctx, c, d, "shop", ScaleOptions{Min: ptr(4)})
	if !errors.Is(err, errChangeSetRefused) || len(cfn.changeSets) != 1 {
		t.Fatalf("scale --min 4: %v, %d change sets", err, len(cfn.changeSets))
	}
	in := cfn.changeSets[0]
	if aws.ToString(in.TemplateBody) != cfn.template || len(in.Capabilities) != 1 || len(in.Tags) != 1 {
		t.Errorf("change set: template sent as is %v, capabilities %v, tags %v", aws.ToString(in.TemplateBody) == cfn.template, in.Capabilities, in.Tags)
	}
	sent := map[string]string{}
	for _, p := range in.Parameters {
		sent[aws.ToString(p.ParameterKey)] = aws.ToString(p.ParameterValue)
	}
	for k, v := range current {
		want := v
		if k == stack.ParamMinCount {
			want = "4"
		}
		if sent[k] != want {
			t.Errorf("parameter %s sent as %q, want %q", k, sent[k], want)
		}
	}

	for _, tt := range []struct {
		o     ScaleOptions
		field string
		want  string
	}{
		{ScaleOptions{Count: ptr(3)}, FieldCount, "scales automatically between 2 and 10"},
		{ScaleOptions{Min: ptr(11)}, FieldMin, "min 11 would be above max 10"},
		{ScaleOptions{Max: ptr(1)}, FieldMax, "min 2 would be above max 1"},
	} {
		_, err := Scale(ctx, c, d, "shop", tt.o)
		var verr *stack.ValidationError
		if !errors.As(err, &verr) || verr.Problems[0].Key != tt.field || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v", tt.o, err)
		}
	}
	cfn.template = golden(t, "default.yaml")
	if _, err := Scale(ctx, c, d, "shop", ScaleOptions{Max: ptr(4)}); err == nil || !strings.Contains(err.Error(), "does not scale automatically") {
		t.Errorf("--max without autoscaling: %v", err)
	}
	if len(cfn.changeSets) != 1 {
		t.Errorf("%d change sets; refused input must make none", len(cfn.changeSets))
	}
}

// Proves (F6; CloudFormation simulated by cfnFake): scale of a canary
// service whose deployed template forces a new deployment on every update
// (as every template did before) sends that template with
// EnableForceNewDeployment false and nothing else changed, so that the
// count change starts no blue/green deployment; a template that forces
// none is sent as it is.
func TestScaleNeverForcesADeployment(t *testing.T) {
	canary := golden(t, "canary.yaml")
	const off, on = "EnableForceNewDeployment: false", "EnableForceNewDeployment: true"
	if strings.Count(canary, off) != 1 {
		t.Fatalf("canary.yaml has %d %q; the test needs one", strings.Count(canary, off), off)
	}
	forcing := strings.Replace(canary, off, on, 1)
	current := map[string]string{"VpcId": "vpc-1", "PublicSubnetIds": "subnet-a,subnet-b", "PrivateSubnetIds": "subnet-c", "ContainerImage": "nginx:1.27",
		stack.ParamDesiredCount: "2", "AssignPublicIp": "DISABLED", "CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x"}
	for name, deployed := range map[string]string{"forcing": forcing, "not forcing": canary} {
		cfn := &cfnFake{stack: fakeStack("UPDATE_COMPLETE", current), template: deployed}
		_, err := Scale(context.Background(), Clients{CloudFormation: cfn}, deploy.New(cfn, nil), "shop", ScaleOptions{Count: ptr(3)})
		if !errors.Is(err, errChangeSetRefused) || len(cfn.changeSets) != 1 {
			t.Fatalf("%s: scale --count 3: %v, %d change sets", name, err, len(cfn.changeSets))
		}
		sent := aws.ToString(cfn.changeSets[0].TemplateBody)
		if strings.Contains(sent, on) || !strings.Contains(sent, off) {
			t.Errorf("%s: scale sent a template that forces a new deployment", name)
		}
		if name == "not forcing" && sent != canary {
			t.Errorf("%s: the template was not sent as it is", name)
		}
		if name == "forcing" && normalYAML(t, sent) != normalYAML(t, canary) {
			t.Errorf("forcing: the template sent differs from the deployed one beyond the force")
		}
	}
}

// normalYAML writes a template again as yaml.v3 writes it, so that two
// templates that differ only in layout compare equal.
func normalYAML(t *testing.T, body string) string {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
