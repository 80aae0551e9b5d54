package deploy

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// Proves: template parameters, their defaults and NoEcho are read from
// YAML with short-form intrinsics and from JSON alike.
func TestTemplateParameters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want []templateParameter
	}{
		{"yaml with intrinsics", testTemplate, []templateParameter{{Name: "ImageTag", HasDefault: true, Default: "latest"},
			{Name: "PublicSubnetIds", List: true}, {Name: "VpcId"}}},
		{"json", `{"Parameters": {"B": {"Type": "String", "Default": ""}, "A": {"Type": "Number", "NoEcho": true}}, "Resources": {}}`,
			[]templateParameter{{Name: "A", NoEcho: true}, {Name: "B", HasDefault: true}}},
		{"no parameters", "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := templateParameters(tt.body)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("templateParameters = %v; want %v", got, tt.want)
			}
		})
	}
	if _, err := templateParameters("Parameters: [1, 2]"); err == nil {
		t.Error("a Parameters list was accepted")
	}
	if _, err := templateParameters("{not yaml"); err == nil {
		t.Error("a broken template was accepted")
	}
}

// Proves: given values are sent, omitted ones keep their previous value on
// an update, defaults apply on a create, and a parameter that can get no
// value is a problem naming the flag to set it with.
func TestResolveParameters(t *testing.T) {
	t.Parallel()
	declared := []templateParameter{{Name: "ImageTag", HasDefault: true}, {Name: "PublicSubnetIds"}, {Name: "Secret"}, {Name: "VpcId"}}
	flags := map[string]string{"VpcId": "--vpc-id", "PublicSubnetIds": "--public-subnets"}

	params, problems := resolveParameters(declared, map[string]string{"VpcId": "vpc-1"},
		map[string]bool{"PublicSubnetIds": true, "Secret": true, "ImageTag": true}, flags)
	if len(problems) != 0 {
		t.Fatalf("update problems = %v", problems)
	}
	var got []string
	for _, p := range params {
		v := aws.ToString(p.ParameterValue)
		if aws.ToBool(p.UsePreviousValue) {
			v = "(previous)"
		}
		got = append(got, aws.ToString(p.ParameterKey)+"="+v)
	}
	want := []string{"ImageTag=(previous)", "PublicSubnetIds=(previous)", "Secret=(previous)", "VpcId=vpc-1"}
	if !slices.Equal(got, want) {
		t.Errorf("update parameters = %v; want %v", got, want)
	}

	_, problems = resolveParameters(declared, map[string]string{"VpcId": "vpc-1"}, nil, flags)
	var msgs []string
	for _, p := range problems {
		msgs = append(msgs, p.String())
	}
	joined := strings.Join(msgs, "\n")
	if len(problems) != 2 || !strings.Contains(joined, "--public-subnets: parameter PublicSubnetIds is required and the template has no default for it; set it with --public-subnets") ||
		!strings.Contains(joined, "Parameters.Secret: parameter Secret is required and the template has no default for it") {
		t.Errorf("create problems = %q", msgs)
	}
}

// Proves: the plan's parameter changes are the values that differ from the
// stack's: a value the change set resolved or the deploy sent, a new
// parameter's default, and a parameter the template dropped; a parameter
// kept with UsePreviousValue, an unchanged one (a list however it is
// written), and a NoEcho one whose current value CloudFormation masks are
// not changes, and NoEcho values are never shown.
func TestParameterChanges(t *testing.T) {
	t.Parallel()
	p := func(kv ...string) []types.Parameter {
		var out []types.Parameter
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "(previous)" {
				out = append(out, types.Parameter{ParameterKey: aws.String(kv[i]), UsePreviousValue: aws.Bool(true)})
				continue
			}
			out = append(out, types.Parameter{ParameterKey: aws.String(kv[i]), ParameterValue: aws.String(kv[i+1])})
		}
		return out
	}
	declared := []templateParameter{
		{Name: "ContainerImage", HasDefault: true, Default: "nginx:latest"},
		{Name: "DesiredCount", HasDefault: true, Default: "2"},
		{Name: "NewSetting", HasDefault: true, Default: "on"},
		{Name: "Password", NoEcho: true},
		{Name: "Token", NoEcho: true},
		{Name: "VpcId"},
		{Name: "Subnets", List: true},
	}
	// moto shows a list as a Python list; it is the same as the one sent.
	current := p("ContainerImage", "nginx:1.27", "DesiredCount", "2", "Password", "****", "Token", "old", "VpcId", "vpc-1", "Gone", "x",
		"Subnets", "['subnet-1', 'subnet-2']")
	sent := p("ContainerImage", "nginx:1.28", "DesiredCount", "2", "Password", "new", "Token", "new", "VpcId", "(previous)",
		"Subnets", "subnet-1, subnet-2")
	// The change set resolves what was sent, as DescribeChangeSet does.
	resolved := p("ContainerImage", "nginx:1.28", "DesiredCount", "2", "Password", "****", "Token", "****", "VpcId", "vpc-1")

	got := parameterChanges(declared, current, sent, resolved)
	want := []ParameterChange{
		{Key: "ContainerImage", Old: "nginx:1.27", New: "nginx:1.28"},
		{Key: "Gone", Old: "x", Removed: true},
		{Key: "NewSetting", New: "on", Added: true},
		{Key: "Token", Old: "****", New: "****", NoEcho: true},
	}
	if !slices.Equal(got, want) {
		t.Errorf("parameterChanges =\n%+v\nwant\n%+v", got, want)
	}
	// moto reports only the parameters sent; the sent values then count.
	if got := parameterChanges(declared[:1], current[:1], sent[:1], nil); len(got) != 1 || got[0].New != "nginx:1.28" {
		t.Errorf("without resolved values: %+v; want the sent value", got)
	}
}

// Proves: DeclaredParameters lists the template's parameters in name
// order, and ParameterDeclared accepts those and refuses any other name,
// listing the declared ones with the inputs that set them.
func TestParameterDeclared(t *testing.T) {
	t.Parallel()
	declared, err := DeclaredParameters(testTemplate)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"ImageTag", "PublicSubnetIds", "VpcId"}; !slices.Equal(declared, want) {
		t.Fatalf("DeclaredParameters = %v; want %v", declared, want)
	}
	if _, err := DeclaredParameters("{not yaml"); err == nil {
		t.Error("a broken template was accepted")
	}
	flags := map[string]string{"VpcId": "VPC input"}
	tests := []struct {
		name     string
		param    string
		declared []string
		want     string // "" for no problem
	}{
		{"declared", "ImageTag", declared, ""},
		{"not declared", "Extra", declared, "label: the template has no parameter Extra; it declares ImageTag, PublicSubnetIds, VpcId (VPC input)"},
		{"case matters", "imagetag", declared, "the template has no parameter imagetag"},
		{"no parameters", "Extra", nil, "label: the template has no parameter Extra; it declares none"},
	}
	for _, tt := range tests {
		var c Check
		c.ParameterDeclared("label", tt.param, tt.declared, flags)
		var got string
		if len(c.problems) == 1 {
			got = c.problems[0].String()
		}
		switch {
		case len(c.problems) > 1:
			t.Errorf("%s: problems %v; want at most one", tt.name, c.problems)
		case tt.want == "" && got != "", tt.want != "" && !strings.Contains(got, tt.want):
			t.Errorf("%s: problem %q; want %q", tt.name, got, tt.want)
		}
	}
}
