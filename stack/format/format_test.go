package format

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// anyTemplate is not one of ours: it exercises intrinsics and values our
// builder never writes, to prove the formatter works on any template.
const anyTemplate = `{
  "Resources": {
    "Queue": {"Properties": {"DelaySeconds": 0, "QueueName": {"Fn::Sub": "${AWS::StackName}-q"}}, "Type": "AWS::SQS::Queue", "Condition": "IsProd"},
    "Instance": {
      "Type": "AWS::EC2::Instance",
      "DependsOn": "Queue",
      "Properties": {
        "UserData": {"Fn::Base64": {"Fn::Sub": "#!/bin/bash\necho ${Queue.Arn}\n"}},
        "ImageId": {"Fn::FindInMap": ["AMIs", {"Ref": "AWS::Region"}, "id"]},
        "AvailabilityZone": {"Fn::Select": [0, {"Fn::GetAZs": ""}]},
        "Tags": [{"Value": "true", "Key": "yes"}, {"Key": "n", "Value": "0123"}, {"Key": "e", "Value": ""}],
        "SubnetId": {"Fn::GetAtt": ["Queue", {"Ref": "AttrName"}]},
        "KeyName": {"Fn::If": ["IsProd", {"Ref": "AWS::NoValue"}, "dev-key"]},
        "Html": "<b>&</b>",
        "Colon": "a: b",
        "Null": null,
        "Float": 1.5
      }
    }
  },
  "Conditions": {
    "IsProd": {"Fn::And": [{"Fn::Equals": [{"Ref": "Env"}, "prod"]}, {"Condition": "Other"}]},
    "Other": {"Fn::Not": [{"Fn::Equals": ["", {"Ref": "Env"}]}]}
  },
  "Parameters": {"Env": {"Default": "dev", "Type": "String"}, "AttrName": {"Type": "String", "Default": "Arn"}},
  "Mappings": {"AMIs": {"us-east-1": {"id": "ami-1"}}},
  "AWSTemplateFormatVersion": "2010-09-09"
}`

// TestYAMLRoundTrip proves the YAML output means exactly the input
// template: reading it back, with the short-form tags expanded the way
// CloudFormation expands them, gives the same document.
func TestYAMLRoundTrip(t *testing.T) {
	doc, err := Parse([]byte(anyTemplate))
	if err != nil {
		t.Fatal(err)
	}
	out, err := YAML(doc)
	if err != nil {
		t.Fatal(err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(out, &root); err != nil {
		t.Fatalf("output is not YAML: %v\n%s", err, out)
	}
	back := expandTags(t, root.Content[0])
	if !reflect.DeepEqual(normalize(back), normalize(doc)) {
		b, _ := json.MarshalIndent(back, "", " ")
		t.Errorf("round trip changed the template:\n%s\n--- YAML:\n%s", b, out)
	}
}

// TestYAMLStyle proves the hand-written look: section order, Type first,
// short forms, and long form where YAML cannot nest two tags.
func TestYAMLStyle(t *testing.T) {
	doc, err := Parse([]byte(anyTemplate))
	if err != nil {
		t.Fatal(err)
	}
	out, err := YAML(doc)
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	order := []string{"AWSTemplateFormatVersion:", "\nParameters:", "\nMappings:", "\nConditions:", "\nResources:"}
	last := -1
	for _, section := range order {
		i := strings.Index(s, section)
		if i <= last {
			t.Errorf("%q is out of order in:\n%s", section, s)
		}
		last = i
	}
	for _, want := range []string{
		"  Queue:\n    Type: AWS::SQS::Queue\n    Condition: IsProd\n    Properties:",
		"  Instance:\n    Type: AWS::EC2::Instance\n    DependsOn: Queue\n",
		"Fn::Base64: !Sub |",
		"!FindInMap [AMIs, !Ref 'AWS::Region', id]",
		"!If [IsProd, !Ref 'AWS::NoValue', dev-key]",
		"!And [!Equals [!Ref Env, prod], !Condition Other]",
		"Value: \"true\"",
		"Key: \"yes\"",
		"Key: \"n\"",
		"Value: \"0123\"",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if strings.Index(s, "  Queue:") > strings.Index(s, "  Instance:") {
		t.Error("Instance refers to Queue, so Queue must come first")
	}
}

// TestJSON proves JSON output has the same meaning and order, indented, with
// no HTML escaping.
func TestJSON(t *testing.T) {
	doc, err := Parse([]byte(anyTemplate))
	if err != nil {
		t.Fatal(err)
	}
	out, err := JSON(doc)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), `\u003c`) || !strings.Contains(string(out), `"<b>&</b>"`) {
		t.Errorf("JSON escapes HTML:\n%s", out)
	}
	if !strings.HasPrefix(string(out), "{\n  \"AWSTemplateFormatVersion\": \"2010-09-09\",\n  \"Parameters\"") {
		t.Errorf("JSON does not start with the version then Parameters:\n%.200s", out)
	}
	back, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(normalize(back), normalize(doc)) {
		t.Error("JSON round trip changed the template")
	}
}

// expandTags reads YAML back into a document the way CloudFormation reads
// short-form tags.
func expandTags(t *testing.T, n *yaml.Node) any {
	t.Helper()
	var v any
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = expandTags(t, n.Content[i+1])
		}
		v = m
	case yaml.SequenceNode:
		l := []any{}
		for _, c := range n.Content {
			l = append(l, expandTags(t, c))
		}
		v = l
	case yaml.ScalarNode:
		plain := *n
		if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
			plain.Tag = "!!str"
		}
		if err := plain.Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		name := strings.TrimPrefix(n.Tag, "!")
		if name != "Ref" && name != "Condition" {
			name = "Fn::" + name
		}
		if name == "Fn::GetAtt" {
			if s, ok := v.(string); ok {
				a, b, _ := strings.Cut(s, ".")
				v = []any{a, b}
			}
		}
		return map[string]any{name: v}
	}
	return v
}

func normalize(v any) any {
	raw, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(raw, &out)
	return out
}

// TestJSONScalarsAsEncodingJSON proves scalars are written as encoding/json
// writes them without HTML escapes, on the quick path and off it.
func TestJSONScalarsAsEncodingJSON(t *testing.T) {
	for _, v := range []any{"plain", "", "<b>&</b>", `q"uote`, `back\slash`, "line\nbreak", "tab\t", "\u2028", "é", "\x7f", "\x01", true, false, nil, json.Number("1.5")} {
		var got bytes.Buffer
		if err := writeScalar(&got, v); err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		if got.String() != strings.TrimSuffix(want.String(), "\n") {
			t.Errorf("writeScalar(%#v) = %s, encoding/json writes %s", v, got.String(), want.String())
		}
	}
}
