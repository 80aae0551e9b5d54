package deploy

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Proves: template parameters and whether they have a default are read
// from YAML with short-form intrinsics and from JSON alike.
func TestTemplateParameters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want []templateParameter
	}{
		{"yaml with intrinsics", testTemplate, []templateParameter{{"ImageTag", true}, {"PublicSubnetIds", false}, {"VpcId", false}}},
		{"json", `{"Parameters": {"B": {"Type": "String", "Default": ""}, "A": {"Type": "Number"}}, "Resources": {}}`,
			[]templateParameter{{"A", false}, {"B", true}}},
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
	declared := []templateParameter{{"ImageTag", true}, {"PublicSubnetIds", false}, {"Secret", false}, {"VpcId", false}}
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
	if len(problems) != 2 || !strings.Contains(joined, "--public-subnets: parameter PublicSubnetIds is required") ||
		!strings.Contains(joined, "set it with --parameter Secret=VALUE") {
		t.Errorf("create problems = %q", msgs)
	}
}
