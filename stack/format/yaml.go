package format

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// YAML writes doc as YAML with two-space indentation and short-form
// intrinsic functions.
func YAML(doc Document) ([]byte, error) {
	root := yamlNode(doc, inTop, doc)
	if out, ok := writeYAML(root); ok {
		return out, nil
	}
	return encodeYAMLv3(root)
}

// encodeYAMLv3 writes root with yaml.v3, for what writeYAML does not handle.
func encodeYAMLv3(root *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("write YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("write YAML: %w", err)
	}
	return buf.Bytes(), nil
}

func yamlNode(v any, s section, root Document) *yaml.Node {
	switch v := v.(type) {
	case map[string]any:
		if n, ok := shortForm(v, s, root); ok {
			return n
		}
		n := &yaml.Node{Kind: yaml.MappingNode}
		for _, k := range orderedKeys(s, v, root) {
			n.Content = append(n.Content, stringNode(k), yamlNode(v[k], s.child(k), root))
		}
		return n
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for _, item := range v {
			n.Content = append(n.Content, yamlNode(item, s.itemSection(), root))
		}
		return n
	case string:
		return stringNode(v)
	case json.Number:
		tag := "!!int"
		if strings.ContainsAny(string(v), ".eE") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: string(v)}
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(v)}
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	default:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: fmt.Sprint(v)}
	}
}

// itemSection is the section of the items of a list in section s: list
// items inside a condition expression are condition expressions too.
func (s section) itemSection() section {
	if s == inConditions || s == inConditionExpr {
		return inConditionExpr
	}
	return inOther
}

func stringNode(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	switch {
	case strings.Contains(s, "\n"):
		n.Style = yaml.LiteralStyle
	case yaml11Special(s):
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// yaml11Special reports whether a YAML 1.1 reader would take plain s for
// something other than a string. Only strings that start like a number or
// are one of the special words can be, so most skip the check.
func yaml11Special(s string) bool {
	if s == "" {
		return false
	}
	if !strings.ContainsRune("0123456789+-.~<=yYnNtTfFoO", rune(s[0])) {
		return false
	}
	return yaml11Implicit(s)
}

// shortForm writes a one-key intrinsic map such as {"Ref": "X"} as a tagged
// node such as !Ref X.
func shortForm(m map[string]any, s section, root Document) (*yaml.Node, bool) {
	if len(m) != 1 {
		return nil, false
	}
	var name string
	var arg any
	for name, arg = range m {
	}
	fn := intrinsics[name]
	tag := fn.tag
	if tag == "" {
		return nil, false
	}
	// {"Condition": "X"} is the Condition function only inside a condition
	// expression; elsewhere it is an ordinary key.
	if name == "Condition" && s != inConditions && s != inConditionExpr {
		return nil, false
	}
	argSection := inOther
	if fn.conditional {
		argSection = inConditionExpr
	}

	if name == "Fn::GetAtt" {
		if list, ok := arg.([]any); ok && len(list) == 2 {
			resource, ok1 := list[0].(string)
			attribute, ok2 := list[1].(string)
			if ok1 && ok2 {
				return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: resource + "." + attribute}, true
			}
		}
	}

	n := yamlNode(arg, argSection, root)
	if n.Tag != "" && n.Tag[0] == '!' && n.Tag[1] != '!' {
		// A YAML node has one tag: "!Base64 !Sub x" is not valid, so the
		// outer function keeps its long form (CloudFormation's intrinsic
		// function reference says the same).
		return nil, false
	}
	if n.Kind == yaml.ScalarNode {
		n.Tag = tag
		if n.Style == 0 && needsQuotes(n.Value) {
			n.Style = yaml.DoubleQuotedStyle
		}
		return n, true
	}
	n.Tag = tag
	if n.Kind == yaml.SequenceNode && flowable(n) {
		n.Style = yaml.FlowStyle
	}
	return n, true
}

// flowable reports whether a sequence reads well on one line: only scalars
// and short sequences of scalars inside, and not too long.
func flowable(n *yaml.Node) bool {
	length := 0
	var ok func(n *yaml.Node) bool
	ok = func(n *yaml.Node) bool {
		switch n.Kind {
		case yaml.ScalarNode:
			length += len(n.Value) + len(n.Tag) + 3
			return n.Style != yaml.LiteralStyle
		case yaml.SequenceNode:
			for _, c := range n.Content {
				if !ok(c) {
					return false
				}
			}
			return true
		}
		return false
	}
	return ok(n) && length <= 80
}
