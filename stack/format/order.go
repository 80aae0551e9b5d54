package format

import (
	"slices"
	"sort"
	"strings"

	"github.com/cfnfargate/cfnfargate/internal/lazyregexp"
)

// section says where in a template a map sits, which decides its key order.
type section int

const (
	inOther         section = iota
	inTop                   // the template itself
	inParameters            // the Parameters section
	inParameter             // one parameter
	inResources             // the Resources section
	inResource              // one resource
	inOutputs               // the Outputs section
	inOutput                // one output
	inConditions            // the Conditions section
	inConditionExpr         // an argument of Fn::And, Fn::Or or Fn::Not
)

var (
	topOrder       = []string{"AWSTemplateFormatVersion", "Description", "Transform", "Metadata", "Parameters", "Rules", "Mappings", "Conditions", "Resources", "Outputs"}
	resourceOrder  = []string{"Type", "Condition", "DependsOn", "Metadata", "DeletionPolicy", "UpdateReplacePolicy", "CreationPolicy", "UpdatePolicy", "Properties"}
	parameterOrder = []string{"Type", "Description", "Default", "AllowedValues", "AllowedPattern", "MinLength", "MaxLength", "MinValue", "MaxValue", "ConstraintDescription", "NoEcho"}
	outputOrder    = []string{"Description", "Condition", "Value", "Export"}
	// Inside properties: IAM policy keys in the order the IAM docs use,
	// and a Name first; everything else alphabetical.
	propertyOrder = []string{"Version", "Statement", "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition", "Name"}
)

// child returns the section of the value stored under key in a map of
// section s.
func (s section) child(key string) section {
	switch s {
	case inTop:
		switch key {
		case "Parameters":
			return inParameters
		case "Resources":
			return inResources
		case "Outputs":
			return inOutputs
		case "Conditions":
			return inConditions
		}
	case inParameters:
		return inParameter
	case inResources:
		return inResource
	case inOutputs:
		return inOutput
	}
	return inOther
}

// orderedKeys returns the keys of m, a map in section s, in the order a
// person would write them. root is the whole template, which decides the
// order of parameters and resources.
func orderedKeys(s section, m map[string]any, root Document) []string {
	switch s {
	case inTop:
		return byPriority(m, topOrder)
	case inResource:
		return byPriority(m, resourceOrder)
	case inParameter:
		return byPriority(m, parameterOrder)
	case inOutput:
		return byPriority(m, outputOrder)
	case inParameters:
		return byPriority(m, consoleParameterOrder(root))
	case inResources:
		return dependencyOrder(m)
	case inOutputs, inConditions:
		return byPriority(m, nil)
	}
	return byPriority(m, propertyOrder)
}

// byPriority returns the keys of m listed in priority first, in that order,
// then the others alphabetically.
func byPriority(m map[string]any, priority []string) []string {
	keys := make([]string, 0, len(m))
	for _, k := range priority {
		if _, ok := m[k]; ok {
			keys = append(keys, k)
		}
	}
	var rest []string
	for k := range m {
		if !slices.Contains(priority, k) {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	return append(keys, rest...)
}

// consoleParameterOrder is the order of the parameter groups in the
// template's AWS::CloudFormation::Interface metadata, which is the order the
// console shows them in.
func consoleParameterOrder(root Document) []string {
	meta, _ := root["Metadata"].(map[string]any)
	iface, _ := meta["AWS::CloudFormation::Interface"].(map[string]any)
	groups, _ := iface["ParameterGroups"].([]any)
	var order []string
	for _, g := range groups {
		group, _ := g.(map[string]any)
		params, _ := group["Parameters"].([]any)
		for _, p := range params {
			if name, ok := p.(string); ok {
				order = append(order, name)
			}
		}
	}
	return order
}

// dependencyOrder lists resources so that each comes after the resources it
// refers to, as a reader expects; among resources free to go next, the
// alphabetically first goes first. A cycle (an invalid template) falls back
// to alphabetical order for what is left.
func dependencyOrder(resources map[string]any) []string {
	deps := map[string]map[string]bool{}
	for name, r := range resources {
		deps[name] = map[string]bool{}
		for ref := range references(r) {
			if _, ok := resources[ref]; ok && ref != name {
				deps[name][ref] = true
			}
		}
	}
	var order []string
	placed := map[string]bool{}
	for len(order) < len(resources) {
		var ready []string
		for name := range resources {
			if placed[name] {
				continue
			}
			free := true
			for d := range deps[name] {
				if !placed[d] {
					free = false
					break
				}
			}
			if free {
				ready = append(ready, name)
			}
		}
		if len(ready) == 0 {
			for name := range resources {
				if !placed[name] {
					ready = append(ready, name)
				}
			}
		}
		sort.Strings(ready)
		order = append(order, ready[0])
		placed[ready[0]] = true
	}
	return order
}

var subVariable = lazyregexp.New(`\$\{([^!}][^}]*)\}`)

// references collects the logical names that v refers to through Ref,
// Fn::GetAtt, Fn::Sub and DependsOn.
func references(v any) map[string]bool {
	refs := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, child := range v {
				switch k {
				case "Ref":
					if s, ok := child.(string); ok {
						refs[s] = true
					}
				case "Fn::GetAtt":
					if list, ok := child.([]any); ok && len(list) > 0 {
						if s, ok := list[0].(string); ok {
							refs[s] = true
						}
					}
				case "Fn::Sub":
					text := child
					if list, ok := child.([]any); ok && len(list) > 0 {
						text = list[0]
					}
					if s, ok := text.(string); ok {
						for _, m := range subVariable.FindAllStringSubmatch(s, -1) {
							name, _, _ := strings.Cut(m[1], ".")
							refs[name] = true
						}
					}
				case "DependsOn":
					switch d := child.(type) {
					case string:
						refs[d] = true
					case []any:
						for _, item := range d {
							if s, ok := item.(string); ok {
								refs[s] = true
							}
						}
					}
				}
				walk(child)
			}
		case []any:
			for _, child := range v {
				walk(child)
			}
		}
	}
	walk(v)
	return refs
}
