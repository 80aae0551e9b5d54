package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// What AWS changes on a live stack behind CloudFormation's back, written
// back into the templates a deploy sends: the forward weights of a
// blue/green service's listener rules, which ECS moves, and whether the
// update forces a new ECS deployment.
//
// The helpers here work on a template's YAML tree (JSON is YAML too), and
// write a template again only when they changed something in it.

// templateTree is a parsed template.
type templateTree struct{ doc yaml.Node }

func parseTree(body string) (*templateTree, error) {
	t := &templateTree{}
	if err := yaml.Unmarshal([]byte(body), &t.doc); err != nil {
		return nil, fmt.Errorf("the template is not valid YAML or JSON: %w", err)
	}
	if len(t.doc.Content) == 0 || t.doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("the template is not a YAML or JSON mapping")
	}
	return t, nil
}

// String writes the template as YAML.
func (t *templateTree) String() (string, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&t.doc); err != nil {
		return "", fmt.Errorf("write the template: %w", err)
	}
	if err := enc.Close(); err != nil {
		return "", fmt.Errorf("write the template: %w", err)
	}
	return b.String(), nil
}

func (t *templateTree) section(name string) *yaml.Node {
	return mappingValue(t.doc.Content[0], name)
}

// resource returns the definition of resource id, or nil.
func (t *templateTree) resource(id string) *yaml.Node {
	return mappingValue(t.section("Resources"), id)
}

// resourceIDs lists the logical IDs of the resources of type typ, in
// template order.
func (t *templateTree) resourceIDs(typ string) []string {
	section := t.section("Resources")
	if section == nil || section.Kind != yaml.MappingNode {
		return nil
	}
	var ids []string
	for i := 0; i+1 < len(section.Content); i += 2 {
		if v := mappingValue(section.Content[i+1], "Type"); v != nil && v.Value == typ {
			ids = append(ids, section.Content[i].Value)
		}
	}
	return ids
}

// declares reports whether the template declares name as a parameter or
// a resource.
func (t *templateTree) declares(name string) bool {
	return mappingValue(t.section("Parameters"), name) != nil || t.resource(name) != nil
}

// replaceResource sets resource id's definition to a copy of def.
func (t *templateTree) replaceResource(id string, def *yaml.Node) {
	section := t.section("Resources")
	for i := 0; i+1 < len(section.Content); i += 2 {
		if section.Content[i].Value == id {
			section.Content[i+1] = deepCopy(def)
		}
	}
}

func deepCopy(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, child := range n.Content {
		c.Content[i] = deepCopy(child)
	}
	return &c
}

// refTarget is the logical ID or parameter a Ref node names: !Ref X, or
// {Ref: X}; "" for anything else.
func refTarget(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!Ref" {
		return n.Value
	}
	if v := mappingValue(n, "Ref"); v != nil && len(n.Content) == 2 && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

// weightedTargets returns the target group tuples of the forward actions
// of listener rule def that carry a ForwardConfig: the nodes that hold each
// tuple, keyed by the target group's logical ID.
func weightedTargets(def *yaml.Node) map[string][]*yaml.Node {
	tuples := map[string][]*yaml.Node{}
	actions := mappingValue(mappingValue(def, "Properties"), "Actions")
	if actions == nil || actions.Kind != yaml.SequenceNode {
		return tuples
	}
	for _, a := range actions.Content {
		groups := mappingValue(mappingValue(a, "ForwardConfig"), "TargetGroups")
		if groups == nil || groups.Kind != yaml.SequenceNode {
			continue
		}
		for _, tuple := range groups.Content {
			if id := refTarget(mappingValue(tuple, "TargetGroupArn")); id != "" {
				tuples[id] = append(tuples[id], tuple)
			}
		}
	}
	return tuples
}

// weightedRules lists the listener rules that weigh any of the target
// groups in weights (by logical ID): the production rule of a blue/green
// service, and its test rule.
func (t *templateTree) weightedRules(weights map[string]int) []string {
	var rules []string
	for _, id := range t.resourceIDs(ruleType) {
		for tg := range weightedTargets(t.resource(id)) {
			if _, ok := weights[tg]; ok {
				rules = append(rules, id)
				break
			}
		}
	}
	return rules
}

// setWeights writes weights (by target group logical ID) into every
// listener rule that weighs those target groups, and reports whether a
// weight changed.
func (t *templateTree) setWeights(weights map[string]int) bool {
	changed := false
	for _, id := range t.weightedRules(weights) {
		for tg, tuples := range weightedTargets(t.resource(id)) {
			w, ok := weights[tg]
			if !ok {
				continue
			}
			for _, tuple := range tuples {
				value := strconv.Itoa(w)
				node := mappingValue(tuple, "Weight")
				switch {
				case node == nil:
					// A weight left out is 1 (ELB API reference,
					// TargetGroupTuple).
					tuple.Content = append(tuple.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "Weight"},
						&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: value})
					changed = true
				case node.Value != value || node.Kind != yaml.ScalarNode:
					*node = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: value}
					changed = true
				}
			}
		}
	}
	return changed
}

// references returns the parameters and resources def refers to (Ref,
// GetAtt, Sub and DependsOn), and false when it uses what cannot be
// checked against another template: conditions, or a Sub with variables of
// its own.
func references(def *yaml.Node) ([]string, bool) {
	var names []string
	ok := true
	add := func(name string) {
		if name != "" && !strings.HasPrefix(name, "AWS::") && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	subNames := func(s string) {
		for rest := s; ; {
			start := strings.Index(rest, "${")
			if start < 0 {
				return
			}
			end := strings.Index(rest[start:], "}")
			if end < 0 {
				return
			}
			name := rest[start+2 : start+end]
			if !strings.HasPrefix(name, "!") {
				name, _, _ = strings.Cut(name, ".")
				add(name)
			}
			rest = rest[start+end+1:]
		}
	}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		switch n.Tag {
		case "!Ref":
			add(n.Value)
		case "!GetAtt":
			if n.Kind == yaml.ScalarNode {
				name, _, _ := strings.Cut(n.Value, ".")
				add(name)
			} else if len(n.Content) > 0 {
				add(n.Content[0].Value)
			}
		case "!Sub":
			if n.Kind == yaml.ScalarNode {
				subNames(n.Value)
			} else {
				ok = false
			}
		case "!If", "!Condition":
			ok = false
		}
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				key, value := n.Content[i].Value, n.Content[i+1]
				switch key {
				case "Ref":
					add(value.Value)
				case "Fn::GetAtt":
					if value.Kind == yaml.SequenceNode && len(value.Content) > 0 {
						add(value.Content[0].Value)
					} else {
						name, _, _ := strings.Cut(value.Value, ".")
						add(name)
					}
				case "Fn::Sub":
					if value.Kind == yaml.ScalarNode {
						subNames(value.Value)
					} else {
						ok = false
					}
				case "Fn::If", "Condition":
					ok = false
				case "DependsOn":
					if value.Kind == yaml.ScalarNode {
						add(value.Value)
					}
					for _, d := range value.Content {
						add(d.Value)
					}
				}
			}
		}
		for _, child := range n.Content {
			walk(child)
		}
	}
	walk(def)
	return names, ok
}

// forceNonce returns the ForceNewDeploymentNonce of the template's ECS
// service, and whether it has one. A template of more than one service
// has none that counts.
func (t *templateTree) forceNonce() (string, bool) {
	services := t.resourceIDs(serviceType)
	if len(services) != 1 {
		return "", false
	}
	force := mappingValue(mappingValue(t.resource(services[0]), "Properties"), "ForceNewDeployment")
	nonce := mappingValue(force, "ForceNewDeploymentNonce")
	if nonce == nil || nonce.Kind != yaml.ScalarNode {
		return "", false
	}
	return nonce.Value, true
}

// setForce sets EnableForceNewDeployment of the template's ECS service,
// when it has the property, and reports whether that changed the value.
func (t *templateTree) setForce(force bool) bool {
	services := t.resourceIDs(serviceType)
	if len(services) != 1 {
		return false
	}
	enable := mappingValue(mappingValue(mappingValue(t.resource(services[0]), "Properties"), "ForceNewDeployment"), "EnableForceNewDeployment")
	if enable == nil {
		return false
	}
	value := strconv.FormatBool(force)
	if enable.Kind == yaml.ScalarNode && enable.Value == value {
		return false
	}
	*enable = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: value}
	return true
}

// setOffStates writes, into the template's ECS service, the off state of
// each deployment setting that a template of an earlier cfnfargate left out
// when it was off: LifecycleHooks [], Alarms without names, enable or
// rollback, and Strategy ROLLING. UpdateService keeps what a request leaves
// out ("the ECS UpdateService API is stateful, meaning that if a field is
// not present in the CloudFormation object, it will be ignored in the
// update", aws-cdk #25346; "ECS requires an explicit empty lifecycle hook
// list to clear existing hooks", terraform-provider-aws #47096), so a
// release template without them would leave a later release's gate,
// alarms and blue/green strategy on the service, the gate's hook then
// calling a function the update deletes (review 2, F7). It reports whether
// it added one.
func (t *templateTree) setOffStates() bool {
	services := t.resourceIDs(serviceType)
	if len(services) != 1 {
		return false
	}
	def := t.resource(services[0])
	props := mappingValue(def, "Properties")
	if props == nil || props.Kind != yaml.MappingNode {
		return false
	}
	scalar := func(tag, value string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value} }
	empty := func() *yaml.Node { return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle} }
	config := mappingValue(props, "DeploymentConfiguration")
	if config == nil {
		config = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		props.Content = append(props.Content, scalar("!!str", "DeploymentConfiguration"), config)
	}
	if config.Kind != yaml.MappingNode {
		return false
	}
	added := false
	for _, member := range []struct {
		key   string
		value func() *yaml.Node
	}{
		{"Alarms", func() *yaml.Node {
			return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{
				scalar("!!str", "AlarmNames"), empty(), scalar("!!str", "Enable"), scalar("!!bool", "false"),
				scalar("!!str", "Rollback"), scalar("!!bool", "false")}}
		}},
		{"LifecycleHooks", empty},
		{"Strategy", func() *yaml.Node { return scalar("!!str", "ROLLING") }},
	} {
		if mappingValue(config, member.key) == nil {
			config.Content = append(config.Content, scalar("!!str", member.key), member.value())
			added = true
		}
	}
	return added
}

// sameResource reports whether two resource definitions say the same,
// however each is written: JSON or YAML, an intrinsic function in its short
// form (!Ref X) or its long one ({Ref: X}), a number quoted or not.
func sameResource(a, b *yaml.Node) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, errA := json.Marshal(semantic(a))
	y, errB := json.Marshal(semantic(b))
	return errA == nil && errB == nil && bytes.Equal(x, y)
}

// semantic is what a node says, with intrinsic functions in their long
// form and every scalar as its text.
func semantic(n *yaml.Node) any {
	switch n.Kind {
	case yaml.DocumentNode, yaml.AliasNode:
		if len(n.Content) > 0 {
			return semantic(n.Content[0])
		}
		if n.Alias != nil {
			return semantic(n.Alias)
		}
		return nil
	}
	var v any
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = semantic(n.Content[i+1])
		}
		v = m
	case yaml.SequenceNode:
		l := make([]any, len(n.Content))
		for i, c := range n.Content {
			l[i] = semantic(c)
		}
		v = l
	default:
		v = n.Value
	}
	fn, short := strings.CutPrefix(n.Tag, "!")
	if !short || strings.HasPrefix(fn, "!") {
		return v
	}
	switch fn {
	case "Ref", "Condition":
		return map[string]any{fn: v}
	case "GetAtt":
		if s, ok := v.(string); ok {
			resource, attribute, _ := strings.Cut(s, ".")
			v = []any{resource, attribute}
		}
	}
	return map[string]any{"Fn::" + fn: v}
}
