package stack_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/cfnfargate/cfnfargate/stack/format"
)

// instantiate returns doc as CloudFormation builds it for the parameter
// values given, the others taking their Default: every condition is
// evaluated, the resources and outputs whose condition is false are left
// out, each Fn::If becomes the branch it picks (AWS::NoValue removes the
// property or list item), and the Conditions section and the parameters
// nothing refers to any more go, from the console metadata too. The
// result is a template of its own, without conditions, that cfn-lint and
// the AWS rules can read like any other.
func instantiate(t testing.TB, doc format.Document, values map[string]string) format.Document {
	t.Helper()
	out := deepCopy(doc).(map[string]any)
	params, _ := out["Parameters"].(map[string]any)
	conditions, _ := out["Conditions"].(map[string]any)
	value := func(name string) string {
		if v, ok := values[name]; ok {
			return v
		}
		p, ok := params[name].(map[string]any)
		if !ok {
			t.Fatalf("instantiate: a condition refers to %s, which is not a parameter", name)
		}
		def, ok := p["Default"]
		if !ok {
			t.Fatalf("instantiate: parameter %s has no Default and no value was given", name)
		}
		return fmt.Sprint(def)
	}
	known := map[string]bool{}
	var holds func(name string) bool
	var eval func(expr any) bool
	var operand func(v any) string
	operand = func(v any) string {
		if m, ok := v.(map[string]any); ok {
			if ref, ok := m["Ref"].(string); ok {
				return value(ref)
			}
			t.Fatalf("instantiate: cannot evaluate the operand %v", v)
		}
		return fmt.Sprint(v)
	}
	eval = func(expr any) bool {
		m, _ := expr.(map[string]any)
		args, _ := m["Fn::And"].([]any)
		switch {
		case m["Condition"] != nil:
			return holds(fmt.Sprint(m["Condition"]))
		case m["Fn::Equals"] != nil:
			pair := m["Fn::Equals"].([]any)
			return operand(pair[0]) == operand(pair[1])
		case m["Fn::Not"] != nil:
			return !eval(m["Fn::Not"].([]any)[0])
		case m["Fn::And"] != nil:
			for _, a := range args {
				if !eval(a) {
					return false
				}
			}
			return true
		case m["Fn::Or"] != nil:
			for _, a := range m["Fn::Or"].([]any) {
				if eval(a) {
					return true
				}
			}
			return false
		}
		t.Fatalf("instantiate: cannot evaluate the condition %v", expr)
		return false
	}
	results := map[string]bool{}
	holds = func(name string) bool {
		if v, ok := results[name]; ok {
			return v
		}
		if known[name] {
			t.Fatalf("instantiate: condition %s refers to itself", name)
		}
		known[name] = true
		expr, ok := conditions[name]
		if !ok {
			t.Fatalf("instantiate: no condition %s", name)
		}
		results[name] = eval(expr)
		return results[name]
	}

	for _, section := range []string{"Resources", "Outputs"} {
		entries, _ := out[section].(map[string]any)
		for id, e := range entries {
			entry := e.(map[string]any)
			if c, ok := entry["Condition"].(string); ok {
				if !holds(c) {
					delete(entries, id)
					continue
				}
				delete(entry, "Condition")
			}
			entries[id] = chooseBranches(entry, holds)
		}
	}
	delete(out, "Conditions")

	used := map[string]bool{}
	collectReferences(out["Resources"], used)
	collectReferences(out["Outputs"], used)
	for name := range params {
		if !used[name] {
			delete(params, name)
		}
	}
	if iface, ok := at2(out, "Metadata", "AWS::CloudFormation::Interface").(map[string]any); ok {
		groups, _ := iface["ParameterGroups"].([]any)
		for _, g := range groups {
			group := g.(map[string]any)
			names, _ := group["Parameters"].([]any)
			group["Parameters"] = slices.DeleteFunc(names, func(n any) bool { return !used[fmt.Sprint(n)] })
		}
		iface["ParameterGroups"] = slices.DeleteFunc(groups, func(g any) bool {
			return len(g.(map[string]any)["Parameters"].([]any)) == 0
		})
		labels, _ := iface["ParameterLabels"].(map[string]any)
		for name := range labels {
			if !used[name] {
				delete(labels, name)
			}
		}
	}
	return out
}

// noValue is how a template removes a property or list item in Fn::If.
var noValue = map[string]any{"Ref": "AWS::NoValue"}

// chooseBranches returns v with each Fn::If replaced by the branch its
// condition picks; a branch of AWS::NoValue removes the item holding it.
func chooseBranches(v any, holds func(string) bool) any {
	switch x := v.(type) {
	case map[string]any:
		if args, ok := x["Fn::If"].([]any); ok && len(x) == 1 && len(args) == 3 {
			if holds(fmt.Sprint(args[0])) {
				return chooseBranches(args[1], holds)
			}
			return chooseBranches(args[2], holds)
		}
		for k, item := range x {
			chosen := chooseBranches(item, holds)
			if canonical(chosen) == canonical(noValue) {
				delete(x, k)
				continue
			}
			x[k] = chosen
		}
		return x
	case []any:
		var items []any
		for _, item := range x {
			chosen := chooseBranches(item, holds)
			if canonical(chosen) != canonical(noValue) {
				items = append(items, chosen)
			}
		}
		return items
	}
	return v
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, item := range x {
			m[k] = deepCopy(item)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, item := range x {
			l[i] = deepCopy(item)
		}
		return l
	}
	return v
}

// TestInstantiate proves instantiate follows CloudFormation's rules on a
// template made to exercise them: a resource and an output under a false
// condition are left out, Fn::If picks its branch (through Condition,
// Fn::Not, Fn::And, Fn::Or and a parameter's Default), AWS::NoValue
// removes a property and a list item, and a parameter only the left-out
// parts used goes, with its console metadata.
func TestInstantiate(t *testing.T) {
	doc, err := format.Parse([]byte(`{
  "Metadata": {"AWS::CloudFormation::Interface": {
    "ParameterGroups": [
      {"Label": {"default": "A"}, "Parameters": ["Kind", "Extra"]},
      {"Label": {"default": "B"}, "Parameters": ["Extra"]}],
    "ParameterLabels": {"Extra": {"default": "Extra"}, "Kind": {"default": "Kind"}}}},
  "Parameters": {"Kind": {"Type": "String", "Default": "small"}, "Extra": {"Type": "String"}},
  "Conditions": {
    "Big": {"Fn::Equals": [{"Ref": "Kind"}, "big"]},
    "Small": {"Fn::Not": [{"Condition": "Big"}]},
    "Both": {"Fn::And": [{"Condition": "Small"}, {"Fn::Or": [{"Fn::Equals": [{"Ref": "Kind"}, "small"]}, {"Condition": "Big"}]}]}},
  "Resources": {
    "Kept": {"Type": "AWS::SNS::Topic", "Condition": "Small", "Properties": {
      "TopicName": {"Fn::If": ["Both", {"Ref": "Kind"}, {"Ref": "Extra"}]},
      "DisplayName": {"Fn::If": ["Big", "x", {"Ref": "AWS::NoValue"}]},
      "Tags": [
        {"Fn::If": ["Big", {"Key": "k", "Value": "v"}, {"Ref": "AWS::NoValue"}]},
        {"Key": "always", "Value": "v"}]}},
    "Dropped": {"Type": "AWS::SNS::Topic", "Condition": "Big", "Properties": {"TopicName": {"Ref": "Extra"}}}},
  "Outputs": {
    "Gone": {"Condition": "Big", "Value": {"Ref": "Extra"}},
    "Here": {"Value": {"Fn::If": ["Small", "small", "big"]}}}
}`))
	if err != nil {
		t.Fatal(err)
	}
	got := instantiate(t, doc, nil)
	want, err := format.Parse([]byte(`{
  "Metadata": {"AWS::CloudFormation::Interface": {
    "ParameterGroups": [{"Label": {"default": "A"}, "Parameters": ["Kind"]}],
    "ParameterLabels": {"Kind": {"default": "Kind"}}}},
  "Parameters": {"Kind": {"Type": "String", "Default": "small"}},
  "Resources": {
    "Kept": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Ref": "Kind"}, "Tags": [{"Key": "always", "Value": "v"}]}}},
  "Outputs": {"Here": {"Value": "small"}}
}`))
	if err != nil {
		t.Fatal(err)
	}
	if canonical(got) != canonical(want) {
		t.Errorf("instantiate gave\n%s\nwant\n%s", canonical(got), canonical(want))
	}
	if big := instantiate(t, doc, map[string]string{"Kind": "big", "Extra": "e"}); at2(big, "Resources", "Kept") != nil || at2(big, "Outputs", "Gone", "Value") == nil {
		t.Errorf("with Kind big, Kept should go and Gone stay: %s", canonical(big))
	}
}
