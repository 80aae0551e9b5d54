package cloudformation

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7/cloudformation/ec2"
	"github.com/awslabs/goformation/v7/cloudformation/ecs"
	elb "github.com/awslabs/goformation/v7/cloudformation/elasticloadbalancingv2"
	"github.com/awslabs/goformation/v7/cloudformation/logs"
	"github.com/awslabs/goformation/v7/cloudformation/policies"
	"github.com/awslabs/goformation/v7/cloudformation/tags"
)

// sample holds the shapes goformation's resources take: nested structs,
// nil and empty slices, required fields left nil, pointers, any-typed
// policy documents, tags, resource attributes, and parameters and outputs
// with every kind of number.
func sample() *Template {
	t := NewTemplate()
	t.Description = "sample <&>"
	t.Metadata["AWS::CloudFormation::Interface"] = map[string]any{"ParameterGroups": []any{map[string]any{"Parameters": []string{"P"}}}}
	t.Parameters["P"] = Parameter{Type: "Number", Default: 3, MinValue: Float64(0), MaxValue: Float64(1e21), NoEcho: Bool(false)}
	t.Parameters["Q"] = Parameter{Type: "String", AllowedValues: []any{"a", 1.5}, MinLength: Int(1)}
	t.Conditions["C"] = Equals(Ref("P"), 2)
	t.Resources["SG"] = &ec2.SecurityGroup{
		GroupDescription: "web",
		VpcId:            RefPtr("Vpc"),
		SecurityGroupIngress: []ec2.SecurityGroup_Ingress{
			{IpProtocol: "tcp", FromPort: Int(443), ToPort: Int(443), CidrIp: String("0.0.0.0/0")},
		},
		SecurityGroupEgress: []ec2.SecurityGroup_Egress{},
		Tags:                []tags.Tag{{Key: "k", Value: Sub("${AWS::StackName}")}},
	}
	t.Resources["Listener"] = &elb.Listener{LoadBalancerArn: Ref("LB"), Port: Int(80)}
	t.Resources["Log"] = &logs.LogGroup{
		RetentionInDays:                      Int(7),
		AWSCloudFormationDeletionPolicy:      policies.DeletionPolicy("Retain"),
		AWSCloudFormationUpdateReplacePolicy: "Retain",
		AWSCloudFormationDependsOn:           []string{"SG"},
		AWSCloudFormationCondition:           "C",
		AWSCloudFormationMetadata:            map[string]any{"x": []any{1, true, nil}},
	}
	t.Resources["Task"] = &ecs.TaskDefinition{
		Cpu: String("256"),
		ContainerDefinitions: []ecs.TaskDefinition_ContainerDefinition{{
			Name:  "app",
			Image: If("C", Ref("Image"), "nginx"),
			Environment: []ecs.TaskDefinition_KeyValuePair{
				{Name: String("A"), Value: String("")},
			},
			Essential: Bool(true),
		}},
		RuntimePlatform: &ecs.TaskDefinition_RuntimePlatform{},
	}
	t.Outputs["O"] = Output{Value: GetAtt("LB", "DNSName"), Export: &Export{Name: Sub("${AWS::StackName}-O")}}
	return t
}

// TestDocumentIsWhatEncodingJSONGives proves Document gives the tree that
// encoding/json gives from goformation's own MarshalJSON, decoded with
// json.Number, with the intrinsic helpers' strings decoded: the result the
// JSON round trip gave before Document replaced it.
func TestDocumentIsWhatEncodingJSONGives(t *testing.T) {
	tmpl := sample()
	got, err := tmpl.Document()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	want := decodeReference(t, raw)
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("Document differs from encoding/json:\n%s\n--- want:\n%s", g, w)
	}
	// The sample must exercise what it claims to.
	for _, s := range []string{`"DefaultActions":null`, `"DeletionPolicy":"Retain"`, `"MaxValue":1e+21`, `"Value":""`, `"RuntimePlatform":{}`} {
		if !bytes.Contains(raw, []byte(s)) {
			t.Errorf("the sample's JSON lacks %s", s)
		}
	}
}

// decodeReference decodes JSON as format.Parse does, then replaces each
// encoded intrinsic (marker + JSON) by its decoded value.
func decodeReference(t *testing.T, raw []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	var walk func(any) any
	walk = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				v[k] = walk(c)
			}
		case []any:
			for i, c := range v {
				v[i] = walk(c)
			}
		case string:
			if rest, ok := strings.CutPrefix(v, intrinsicMarker); ok {
				return walk(decodeReference(t, []byte(rest)))
			}
		}
		return v
	}
	return walk(v)
}

// TestIntrinsics proves each helper gives the JSON form of its function
// that the CloudFormation intrinsic function reference shows.
func TestIntrinsics(t *testing.T) {
	ref := func(name string) map[string]any { return map[string]any{"Ref": name} }
	for _, tt := range []struct {
		name string
		got  any
		want any
	}{
		{"Ref", Ref("AWS::Region"), ref("AWS::Region")},
		{"GetAtt", GetAtt("LB", "DNSName"), map[string]any{"Fn::GetAtt": []any{"LB", "DNSName"}}},
		{"Sub", Sub("${A}-x"), map[string]any{"Fn::Sub": "${A}-x"}},
		{"SubVars", SubVars("${A}/${B}", map[string]any{"B": Ref("X")}), map[string]any{"Fn::Sub": []any{"${A}/${B}", map[string]any{"B": ref("X")}}}},
		{"Select and Split", Select(2, Split("/", Ref("AWS::StackId"))), map[string]any{"Fn::Select": []any{json.Number("2"), map[string]any{"Fn::Split": []any{"/", ref("AWS::StackId")}}}}},
		{"If", If("C", Ref("A"), Ref("B")), map[string]any{"Fn::If": []any{"C", ref("A"), ref("B")}}},
		{"Equals", Equals(Ref("P"), ""), map[string]any{"Fn::Equals": []any{ref("P"), ""}}},
		{"Not", Not([]string{Equals("a", "b")}), map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{"a", "b"}}}}},
		{"And", And([]string{"x", "y"}), map[string]any{"Fn::And": []any{"x", "y"}}},
		{"Or", Or([]string{"x"}), map[string]any{"Fn::Or": []any{"x"}}},
		{"Join", Join(",", []string{"a", Ref("B")}), map[string]any{"Fn::Join": []any{",", []any{"a", ref("B")}}}},
		{"RefPtr", RefPtr("A"), ref("A")},
		{"GetAttPtr", GetAttPtr("A", "Arn"), map[string]any{"Fn::GetAtt": []any{"A", "Arn"}}},
	} {
		tmpl := NewTemplate()
		tmpl.Outputs["O"] = Output{Value: tt.got}
		doc, err := tmpl.Document()
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got := doc["Outputs"].(map[string]any)["O"].(map[string]any)["Value"]
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s = %#v, want %#v", tt.name, got, tt.want)
		}
	}
}

// TestOrdinaryStringsStayStrings proves only this process's encodings turn
// into functions: the base64 that goformation's own Ref("X") returns, and
// an encoding with a marker that is not this process's, are ordinary
// strings here.
func TestOrdinaryStringsStayStrings(t *testing.T) {
	tmpl := NewTemplate()
	for _, s := range []string{"eyAiUmVmIjogIlgiIH0=", "eyJSZWYiOiAiWCJ9", "", "{\"Ref\": \"X\"}", "cfn-intrinsic:{}",
		"\x00cfn-intrinsic:{\"Ref\":\"AWS::Region\"}", strings.Replace(Ref("X"), intrinsicMarker, "\x00cfn-intrinsic-000000000000000000000000:", 1)} {
		tmpl.Outputs["O"] = Output{Value: s}
		doc, err := tmpl.Document()
		if err != nil {
			t.Fatal(err)
		}
		if got := doc["Outputs"].(map[string]any)["O"].(map[string]any)["Value"]; got != s {
			t.Errorf("%q became %#v", s, got)
		}
	}
}

// TestOverride proves an override replaces a nested property, keeps the
// others, and decodes the intrinsics it holds.
func TestOverride(t *testing.T) {
	tmpl := NewTemplate()
	tmpl.Resources["S"] = Override(&ecs.Service{
		DesiredCount: Int(1),
		NetworkConfiguration: &ecs.Service_NetworkConfiguration{AwsvpcConfiguration: &ecs.Service_AwsVpcConfiguration{
			Subnets: []string{"subnet-1"}, AssignPublicIp: String("DISABLED"),
		}},
	}, map[string]any{
		"NetworkConfiguration.AwsvpcConfiguration.Subnets": Ref("Subnets"),
		"DesiredCount": Ref("Count"),
	})
	doc, err := tmpl.Document()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"Type": "AWS::ECS::Service", "Properties": map[string]any{
		"DesiredCount": map[string]any{"Ref": "Count"},
		"NetworkConfiguration": map[string]any{"AwsvpcConfiguration": map[string]any{
			"Subnets": map[string]any{"Ref": "Subnets"}, "AssignPublicIp": "DISABLED",
		}},
	}}
	if got := doc["Resources"].(map[string]any)["S"]; !reflect.DeepEqual(got, want) {
		t.Errorf("overridden service = %#v\nwant %#v", got, want)
	}

	tmpl.Resources["S"] = Override(&ecs.Service{}, map[string]any{"NetworkConfiguration.AwsvpcConfiguration.Subnets": "x"})
	if _, err := tmpl.Document(); err == nil || !strings.Contains(err.Error(), "NetworkConfiguration is not an object") {
		t.Errorf("an override below a missing property: err = %v", err)
	}
}

// TestErrors proves a value JSON cannot hold is an error naming where it
// is, not a panic or a silently wrong template.
func TestErrors(t *testing.T) {
	for name, value := range map[string]any{
		"NaN in an intrinsic":  Sub(math.NaN()),
		"NaN":                  math.Inf(1),
		"a channel":            make(chan int),
		"a broken encoding":    intrinsicMarker + "{",
		"a function in a Join": Join(",", func() {}),
	} {
		tmpl := NewTemplate()
		tmpl.Outputs["O"] = Output{Value: value}
		if doc, err := tmpl.Document(); err == nil || doc != nil || !strings.Contains(err.Error(), "O") {
			t.Errorf("%s: Document = %v, %v; want an error naming the output", name, doc, err)
		}
	}
}
