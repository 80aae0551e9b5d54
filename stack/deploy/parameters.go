package deploy

import (
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"gopkg.in/yaml.v3"
)

// templateParameter is a parameter declared in the template.
type templateParameter struct {
	Name       string
	HasDefault bool
}

// templateParameters lists the parameters a template declares, in name
// order. It reads YAML and JSON alike (JSON is YAML), and walks nodes rather
// than decoding into maps so that short-form intrinsics (!Ref, !Sub) need no
// special handling.
func templateParameters(body string) ([]templateParameter, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(body), &doc); err != nil {
		return nil, fmt.Errorf("the template is not valid YAML or JSON: %w", err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("the template is not a mapping of sections")
	}
	section := mappingValue(root, "Parameters")
	if section == nil {
		return nil, nil
	}
	if section.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("the Parameters section of the template is not a mapping")
	}
	var out []templateParameter
	for i := 0; i+1 < len(section.Content); i += 2 {
		out = append(out, templateParameter{
			Name:       section.Content[i].Value,
			HasDefault: mappingValue(section.Content[i+1], "Default") != nil,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func mappingValue(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// resolveParameters decides the value of every template parameter for a
// change set. previous holds the parameter names of the existing stack, or
// is nil for a create.
//
// A parameter the user gave is passed as given. On an update, one the user
// left out keeps its previous value through UsePreviousValue, which also
// keeps NoEcho values that DescribeStacks only shows as ****. Otherwise the
// template's Default applies, and a parameter without one is a problem that
// names the flag to set it with (flags maps parameter names to flag names;
// the rest are set with --parameter NAME=VALUE).
func resolveParameters(declared []templateParameter, given map[string]string, previous map[string]bool, flags map[string]string) ([]types.Parameter, []Problem) {
	var params []types.Parameter
	var problems []Problem
	known := make(map[string]bool, len(declared))
	for _, p := range declared {
		known[p.Name] = true
		if v, ok := given[p.Name]; ok {
			params = append(params, types.Parameter{ParameterKey: aws.String(p.Name), ParameterValue: aws.String(v)})
			continue
		}
		if previous[p.Name] {
			params = append(params, types.Parameter{ParameterKey: aws.String(p.Name), UsePreviousValue: aws.Bool(true)})
			continue
		}
		if p.HasDefault {
			continue
		}
		flag, how := flagFor(p.Name, flags)
		problems = append(problems, Problem{
			Flag:    flag,
			Message: fmt.Sprintf("parameter %s is required and the template has no default for it; set it with %s", p.Name, how),
		})
	}
	var unknown []string
	for name := range given {
		if !known[name] {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	for _, name := range unknown {
		flag, _ := flagFor(name, flags)
		problems = append(problems, Problem{
			Flag:    flag,
			Message: fmt.Sprintf("the template has no parameter %s", name),
		})
	}
	return params, problems
}

func flagFor(param string, flags map[string]string) (flag, how string) {
	if f, ok := flags[param]; ok {
		return f, f
	}
	return "--parameter", "--parameter " + param + "=VALUE"
}
