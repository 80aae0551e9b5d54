package stack

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// What a deployed stack tells about the settings it was built with, for a
// deploy that keeps the settings it is not given (the CLI's "remember"
// rule). The settings a release recorded say most; these read the rest
// from the stack itself.

// FromParameter returns the value of setting s that gives its template
// parameter the value v (the stack's parameter, as DescribeStacks shows
// it), as Set reads it. ok is false for a setting without a parameter,
// or a value no value of the setting gives.
func (s Setting) FromParameter(v string) (values []string, ok bool) {
	switch {
	case s.Parameter == "":
		return nil, false
	case s.Bool != nil:
		// A switch whose parameter is written from it (public-tasks:
		// AssignPublicIp ENABLED or DISABLED): the one that gives v.
		for _, b := range []bool{false, true} {
			c := Default()
			raw := []string{strconv.FormatBool(b)}
			if s.Set(&c, raw) != nil {
				continue
			}
			if p, declared := s.parameterValue(c); declared && p == v {
				return raw, true
			}
		}
		return nil, false
	case s.List != nil:
		return strings.Split(v, ","), true
	}
	return []string{v}, true
}

// NameInTemplate returns the name setting a template of this package was
// built with, read from its task definition's container: the container's
// name, or "" for a service named after its stack (!Ref AWS::StackName).
// ok is false when the template has no such container. JSON is YAML too.
func NameInTemplate(body string) (name string, ok bool) {
	var doc struct {
		Resources map[string]struct {
			Type       string `yaml:"Type"`
			Properties struct {
				ContainerDefinitions []struct {
					Name yaml.Node `yaml:"Name"`
				} `yaml:"ContainerDefinitions"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if yaml.Unmarshal([]byte(body), &doc) != nil {
		return "", false
	}
	r, found := doc.Resources[idTaskDefinition]
	if !found || r.Type != "AWS::ECS::TaskDefinition" || len(r.Properties.ContainerDefinitions) == 0 {
		return "", false
	}
	switch n := r.Properties.ContainerDefinitions[0].Name; {
	case n.Kind == yaml.ScalarNode && n.Tag == "!Ref" && n.Value == "AWS::StackName",
		n.Kind == yaml.MappingNode && len(n.Content) == 2 && n.Content[0].Value == "Ref" && n.Content[1].Value == "AWS::StackName":
		return "", true
	case n.Kind == yaml.ScalarNode && strings.HasPrefix(n.Tag, "!!"):
		return n.Value, true
	}
	return "", false
}
