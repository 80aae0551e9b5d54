package deploy

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"gopkg.in/yaml.v3"

	"github.com/cfnfargate/cfnfargate/stack"
)

// templateParameter is a parameter declared in the template.
type templateParameter struct {
	Name       string
	HasDefault bool
	Default    string // a scalar default as written; "" for a list or none
	// NoEcho hides the value: CloudFormation shows it as ****, and so does
	// the plan.
	NoEcho bool
	// List is set for the list types (List<...>, CommaDelimitedList),
	// whose values are compared as lists.
	List bool
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
	return parametersOf(&doc)
}

// parametersOf lists the parameters of a parsed template (a document node).
func parametersOf(doc *yaml.Node) ([]templateParameter, error) {
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
		p := templateParameter{Name: section.Content[i].Value}
		if def := mappingValue(section.Content[i+1], "Default"); def != nil {
			p.HasDefault = true
			if def.Kind == yaml.ScalarNode {
				p.Default = def.Value
			}
		}
		if noEcho := mappingValue(section.Content[i+1], "NoEcho"); noEcho != nil {
			p.NoEcho = strings.EqualFold(noEcho.Value, "true")
		}
		if typ := mappingValue(section.Content[i+1], "Type"); typ != nil {
			p.List = strings.HasPrefix(typ.Value, "List<") || typ.Value == "CommaDelimitedList"
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// DeclaredParameters returns the names of the parameters the template body
// declares, in name order.
func DeclaredParameters(body string) ([]string, error) {
	params, err := templateParameters(body)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(params))
	for i, p := range params {
		names[i] = p.Name
	}
	return names, nil
}

// RequiredParameters returns the names of the parameters the template
// body declares without a Default, in name order: a create must give
// them.
func RequiredParameters(body string) ([]string, error) {
	params, err := templateParameters(body)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, p := range params {
		if !p.HasDefault {
			names = append(names, p.Name)
		}
	}
	return names, nil
}

// ParameterDeclared checks that a parameter given by name is one of
// declared, the template's parameters (see DeclaredParameters): the change
// set would fail on any other. The problem lists the declared ones, each
// with the input that sets it when flags names one, as in
// Input.ParameterFlags.
func (c *Check) ParameterDeclared(flag, name string, declared []string, flags map[string]string) {
	if slices.Contains(declared, name) {
		return
	}
	var names []string
	for _, d := range declared {
		if f, ok := flags[d]; ok {
			d += " (" + f + ")"
		}
		names = append(names, d)
	}
	sort.Strings(names)
	list := strings.Join(names, ", ")
	if len(names) == 0 {
		list = "none"
	}
	c.Add(flag, "the template has no parameter %s; it declares %s", name, list)
}

func mappingValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
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
func resolveParameters(declared []templateParameter, given map[string]string, previous map[string]bool, flags map[string]string) ([]types.Parameter, []stack.Problem) {
	var params []types.Parameter
	var problems []stack.Problem
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
		key, labelled := parameterKey(p.Name, flags)
		message := fmt.Sprintf("parameter %s is required and the template has no default for it", p.Name)
		if labelled {
			message += "; set it with " + key
		}
		problems = append(problems, stack.Problem{Key: key, Message: message})
	}
	var unknown []string
	for name := range given {
		if !known[name] {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	for _, name := range unknown {
		key, _ := parameterKey(name, flags)
		problems = append(problems, stack.Problem{
			Key:     key,
			Message: fmt.Sprintf("the template has no parameter %s", name),
		})
	}
	return params, problems
}

// parameterKey is the key of a problem with parameter param: the caller's
// label for it (Input.ParameterFlags), or the field path
// "Parameters.NAME", which a caller maps to its own way of giving any
// parameter.
func parameterKey(param string, labels map[string]string) (key string, labelled bool) {
	if l, ok := labels[param]; ok {
		return l, true
	}
	return FieldParameters + "." + param, false
}

// masked is how CloudFormation shows the value of a NoEcho parameter.
const masked = "****"

// parameterChanges compares the parameter values a change set uses with
// the stack's current ones. sent are the values in the CreateChangeSet
// call and resolved those the change set reports (DescribeChangeSet
// resolves UsePreviousValue; moto reports only the parameters sent). A
// parameter sent with UsePreviousValue keeps its value by definition, and
// one neither sent nor reported takes its template default.
//
// A NoEcho parameter whose current value CloudFormation shows only as ****
// cannot be compared, so it is never reported: the change set says whether
// resources change because of it.
func parameterChanges(declared []templateParameter, current, sent []types.Parameter, resolved []types.Parameter) []ParameterChange {
	values := func(ps []types.Parameter) map[string]string {
		m := make(map[string]string, len(ps))
		for _, p := range ps {
			if !aws.ToBool(p.UsePreviousValue) && p.ParameterValue != nil {
				m[aws.ToString(p.ParameterKey)] = aws.ToString(p.ParameterValue)
			}
		}
		return m
	}
	keep := map[string]bool{}
	for _, p := range sent {
		if aws.ToBool(p.UsePreviousValue) {
			keep[aws.ToString(p.ParameterKey)] = true
		}
	}
	old, given, reported := values(current), values(sent), values(resolved)
	var out []ParameterChange
	known := map[string]bool{}
	for _, p := range declared {
		known[p.Name] = true
		if keep[p.Name] {
			continue
		}
		value, ok := reported[p.Name]
		if !ok {
			value, ok = given[p.Name]
		}
		if !ok {
			if !p.HasDefault {
				continue
			}
			value = p.Default
		}
		before, existed := old[p.Name]
		switch {
		case existed && (sameValue(p, before, value) || p.NoEcho && before == masked):
			continue
		case p.NoEcho:
			before, value = masked, masked
		}
		out = append(out, ParameterChange{Key: p.Name, Old: before, New: value, Added: !existed, NoEcho: p.NoEcho})
	}
	for _, p := range current {
		if key := aws.ToString(p.ParameterKey); !known[key] {
			out = append(out, ParameterChange{Key: key, Old: aws.ToString(p.ParameterValue), Removed: true})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// sameValue reports whether two values of parameter p are the same. A list
// is the same whatever the spaces around its commas; moto shows a list
// value in DescribeStacks as a Python list, ['a', 'b'], which is the same
// as a,b.
func sameValue(p templateParameter, a, b string) bool {
	if a == b || !p.List {
		return a == b
	}
	return slices.Equal(listItems(a), listItems(b))
}

func listItems(v string) []string {
	if strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]") {
		v = v[1 : len(v)-1]
	}
	var items []string
	for _, item := range strings.Split(v, ",") {
		items = append(items, strings.Trim(strings.TrimSpace(item), `'"`))
	}
	return items
}
