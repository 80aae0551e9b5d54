package twin

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// template is a parsed CloudFormation template: JSON or YAML with the
// short-form intrinsic tags (!Ref, !GetAtt, !Sub, ...) turned into their
// long forms, so that evaluation sees one shape.
type template struct {
	Body       string
	Parameters map[string]map[string]any
	Conditions map[string]any
	Resources  map[string]*resourceDef
	Outputs    map[string]map[string]any
}

type resourceDef struct {
	Type       string
	Properties map[string]any
	DependsOn  []string
	Condition  string
}

func parseTemplate(body string) (*template, error) {
	var root any
	if strings.HasPrefix(strings.TrimSpace(body), "{") {
		if err := json.Unmarshal([]byte(body), &root); err != nil {
			return nil, fmt.Errorf("template is not valid JSON: %v", err)
		}
	} else {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(body), &doc); err != nil {
			return nil, fmt.Errorf("template is not valid YAML: %v", err)
		}
		if len(doc.Content) == 0 {
			return nil, fmt.Errorf("template is empty")
		}
		var err error
		if root, err = fromYAML(doc.Content[0]); err != nil {
			return nil, err
		}
	}
	m, ok := root.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("template is not a mapping")
	}
	t := &template{Body: body, Parameters: map[string]map[string]any{}, Resources: map[string]*resourceDef{}, Outputs: map[string]map[string]any{}}
	for name, p := range asMap(m["Parameters"]) {
		t.Parameters[name] = asMap(p)
	}
	t.Conditions = asMap(m["Conditions"])
	for name, o := range asMap(m["Outputs"]) {
		t.Outputs[name] = asMap(o)
	}
	resources := asMap(m["Resources"])
	if len(resources) == 0 {
		return nil, fmt.Errorf("Template format error: At least one Resources member must be defined.")
	}
	for name, r := range resources {
		rm := asMap(r)
		def := &resourceDef{Type: str(rm["Type"]), Properties: asMap(rm["Properties"]), Condition: str(rm["Condition"])}
		switch d := rm["DependsOn"].(type) {
		case string:
			def.DependsOn = []string{d}
		case []any:
			for _, x := range d {
				def.DependsOn = append(def.DependsOn, str(x))
			}
		}
		if def.Properties == nil {
			def.Properties = map[string]any{}
		}
		t.Resources[name] = def
	}
	return t, nil
}

// fromYAML converts a YAML node, expanding short-form intrinsics.
func fromYAML(n *yaml.Node) (any, error) {
	var v any
	switch n.Kind {
	case yaml.AliasNode:
		return fromYAML(n.Alias)
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			val, err := fromYAML(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = val
		}
		v = m
	case yaml.SequenceNode:
		l := []any{}
		for _, c := range n.Content {
			val, err := fromYAML(c)
			if err != nil {
				return nil, err
			}
			l = append(l, val)
		}
		v = l
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!int":
			i, err := strconv.Atoi(n.Value)
			if err != nil {
				return n.Value, nil
			}
			v = i
		case "!!float":
			f, _ := strconv.ParseFloat(n.Value, 64)
			v = f
		case "!!bool":
			v = n.Value == "true"
		case "!!null":
			v = nil
		default:
			v = n.Value
		}
	}
	if !strings.HasPrefix(n.Tag, "!") || strings.HasPrefix(n.Tag, "!!") {
		return v, nil
	}
	tag := strings.TrimPrefix(n.Tag, "!")
	if n.Kind == yaml.ScalarNode {
		v = n.Value
	}
	switch tag {
	case "Ref":
		return map[string]any{"Ref": v}, nil
	case "Condition":
		return map[string]any{"Condition": v}, nil
	case "GetAtt":
		if s, ok := v.(string); ok {
			res, attr, _ := strings.Cut(s, ".")
			return map[string]any{"Fn::GetAtt": []any{res, attr}}, nil
		}
		return map[string]any{"Fn::GetAtt": v}, nil
	default:
		return map[string]any{"Fn::" + tag: v}, nil
	}
}

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// noValue marks AWS::NoValue: the property (or list item) is removed.
type noValue struct{}

// unknownValue stands for a value CloudFormation does not know yet, such
// as the attribute of a resource that an update will replace.
type unknownValue struct{ of string }

// scope is what an evaluation can refer to.
type scope struct {
	stackName, stackID, region, account string
	params                              map[string]string // resolved parameter values (lists comma-joined)
	listParams                          map[string]bool
	conditions                          map[string]bool
	ref                                 func(logical string) (any, bool)
	getAtt                              func(logical, attr string) (any, bool)
}

func (s *scope) pseudo(name string) (any, bool) {
	switch name {
	case "AWS::StackName":
		return s.stackName, true
	case "AWS::StackId":
		return s.stackID, true
	case "AWS::Region":
		return s.region, true
	case "AWS::AccountId":
		return s.account, true
	case "AWS::Partition":
		return "aws", true
	case "AWS::URLSuffix":
		return "amazonaws.com", true
	case "AWS::NoValue":
		return noValue{}, true
	}
	return nil, false
}

func (s *scope) refValue(name string) (any, error) {
	if v, ok := s.pseudo(name); ok {
		return v, nil
	}
	if v, ok := s.params[name]; ok {
		if s.listParams[name] {
			var l []any
			if v != "" {
				for _, x := range strings.Split(v, ",") {
					l = append(l, x)
				}
			}
			return l, nil
		}
		return v, nil
	}
	if s.ref != nil {
		if v, ok := s.ref(name); ok {
			return v, nil
		}
	}
	return nil, fmt.Errorf("Template format error: Unresolved resource dependencies [%s] in the Resources block of the template", name)
}

// eval resolves every intrinsic in v.
func (s *scope) eval(v any) (any, error) {
	switch x := v.(type) {
	case []any:
		out := make([]any, 0, len(x))
		for _, item := range x {
			r, err := s.eval(item)
			if err != nil {
				return nil, err
			}
			if _, skip := r.(noValue); !skip {
				out = append(out, r)
			}
		}
		return out, nil
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") || (k == "Condition" && isString(arg)) {
					return s.intrinsic(k, arg)
				}
			}
		}
		out := map[string]any{}
		for k, item := range x {
			r, err := s.eval(item)
			if err != nil {
				return nil, err
			}
			if _, skip := r.(noValue); !skip {
				out[k] = r
			}
		}
		return out, nil
	}
	return v, nil
}

func isString(v any) bool { _, ok := v.(string); return ok }

func (s *scope) intrinsic(fn string, arg any) (any, error) {
	switch fn {
	case "Ref":
		return s.refValue(str(arg))
	case "Condition":
		return s.conditions[str(arg)], nil
	case "Fn::GetAtt":
		var res, attr string
		switch a := arg.(type) {
		case []any:
			if len(a) == 2 {
				res, attr = str(a[0]), str(a[1])
			}
		case string:
			res, attr, _ = strings.Cut(a, ".")
		}
		if s.getAtt != nil {
			if v, ok := s.getAtt(res, attr); ok {
				return v, nil
			}
		}
		return nil, fmt.Errorf("Template error: resource %s does not support attribute type %s in Fn::GetAtt", res, attr)
	case "Fn::Sub":
		var text string
		vars := map[string]any{}
		switch a := arg.(type) {
		case string:
			text = a
		case []any:
			if len(a) > 0 {
				text = str(a[0])
			}
			if len(a) > 1 {
				for k, v := range asMap(a[1]) {
					r, err := s.eval(v)
					if err != nil {
						return nil, err
					}
					vars[k] = r
				}
			}
		}
		return s.sub(text, vars)
	case "Fn::Join":
		a, _ := arg.([]any)
		if len(a) != 2 {
			return nil, fmt.Errorf("Template error: Fn::Join takes a delimiter and a list")
		}
		items, err := s.eval(a[1])
		if err != nil {
			return nil, err
		}
		var parts []string
		for _, it := range asList(items) {
			if u, ok := it.(unknownValue); ok {
				return u, nil
			}
			parts = append(parts, str(it))
		}
		return strings.Join(parts, str(a[0])), nil
	case "Fn::Select":
		a, _ := arg.([]any)
		if len(a) != 2 {
			return nil, fmt.Errorf("Template error: Fn::Select takes an index and a list")
		}
		idx, err := s.eval(a[0])
		if err != nil {
			return nil, err
		}
		list, err := s.eval(a[1])
		if err != nil {
			return nil, err
		}
		if u, ok := list.(unknownValue); ok {
			return u, nil
		}
		n, _ := strconv.Atoi(str(idx))
		l := asList(list)
		if n < 0 || n >= len(l) {
			return nil, fmt.Errorf("Template error: Fn::Select cannot select nonexistent value at index %d", n)
		}
		return l[n], nil
	case "Fn::Split":
		a, _ := arg.([]any)
		if len(a) != 2 {
			return nil, fmt.Errorf("Template error: Fn::Split takes a delimiter and a string")
		}
		src, err := s.eval(a[1])
		if err != nil {
			return nil, err
		}
		if u, ok := src.(unknownValue); ok {
			return u, nil
		}
		var out []any
		for _, p := range strings.Split(str(src), str(a[0])) {
			out = append(out, p)
		}
		return out, nil
	case "Fn::If":
		a, _ := arg.([]any)
		if len(a) != 3 {
			return nil, fmt.Errorf("Template error: Fn::If takes a condition and two values")
		}
		cond, ok := s.conditions[str(a[0])]
		if !ok {
			return nil, fmt.Errorf("Template error: unresolved condition dependency %s in Fn::If", str(a[0]))
		}
		if cond {
			return s.eval(a[1])
		}
		return s.eval(a[2])
	case "Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or":
		return s.condition(map[string]any{fn: arg})
	case "Fn::Base64":
		return s.eval(arg)
	case "Fn::GetAZs":
		return []any{s.region + "a", s.region + "b", s.region + "c"}, nil
	}
	return nil, fmt.Errorf("Template error: the twin does not model %s", fn)
}

func asList(v any) []any {
	switch l := v.(type) {
	case []any:
		return l
	case string:
		return []any{l}
	}
	return nil
}

// sub expands ${Name}, ${Resource.Attr} and ${!Literal}.
func (s *scope) sub(text string, vars map[string]any) (any, error) {
	var b strings.Builder
	for {
		i := strings.Index(text, "${")
		if i < 0 {
			b.WriteString(text)
			break
		}
		b.WriteString(text[:i])
		j := strings.Index(text[i:], "}")
		if j < 0 {
			b.WriteString(text[i:])
			break
		}
		name := text[i+2 : i+j]
		text = text[i+j+1:]
		if strings.HasPrefix(name, "!") {
			b.WriteString("${" + name[1:] + "}")
			continue
		}
		var v any
		var err error
		if val, ok := vars[name]; ok {
			v = val
		} else if res, attr, ok := strings.Cut(name, "."); ok && !strings.HasPrefix(name, "AWS::") {
			v, err = s.intrinsic("Fn::GetAtt", []any{res, attr})
		} else {
			v, err = s.refValue(name)
		}
		if err != nil {
			return nil, err
		}
		if u, ok := v.(unknownValue); ok {
			return u, nil
		}
		if l, ok := v.([]any); ok {
			parts := make([]string, len(l))
			for k := range l {
				parts[k] = str(l[k])
			}
			v = strings.Join(parts, ",")
		}
		b.WriteString(str(v))
	}
	return b.String(), nil
}

// condition evaluates a condition expression.
func (s *scope) condition(expr any) (bool, error) {
	m := asMap(expr)
	if m == nil {
		return false, fmt.Errorf("Template error: a condition must be a function")
	}
	for fn, arg := range m {
		a, _ := arg.([]any)
		switch fn {
		case "Condition":
			v, ok := s.conditions[str(arg)]
			if !ok {
				return false, fmt.Errorf("Template error: unresolved condition %s", str(arg))
			}
			return v, nil
		case "Fn::Equals":
			if len(a) != 2 {
				return false, fmt.Errorf("Template error: Fn::Equals takes two values")
			}
			x, err := s.eval(a[0])
			if err != nil {
				return false, err
			}
			y, err := s.eval(a[1])
			if err != nil {
				return false, err
			}
			return canonical(x) == canonical(y), nil
		case "Fn::Not":
			if len(a) != 1 {
				return false, fmt.Errorf("Template error: Fn::Not takes one condition")
			}
			v, err := s.condition(a[0])
			return !v, err
		case "Fn::And", "Fn::Or":
			and := fn == "Fn::And"
			result := and
			for _, c := range a {
				v, err := s.condition(c)
				if err != nil {
					return false, err
				}
				if and {
					result = result && v
				} else {
					result = result || v
				}
			}
			return result, nil
		}
		return false, fmt.Errorf("Template error: %s is not a condition function", fn)
	}
	return false, nil
}

// resolveConditions evaluates every named condition, in dependency order.
func (s *scope) resolveConditions(conds map[string]any) error {
	s.conditions = map[string]bool{}
	pending := map[string]any{}
	for k, v := range conds {
		pending[k] = v
	}
	for len(pending) > 0 {
		progress := false
		names := make([]string, 0, len(pending))
		for k := range pending {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, name := range names {
			v, err := s.condition(pending[name])
			if err != nil && strings.Contains(err.Error(), "unresolved condition") {
				continue
			}
			if err != nil {
				return err
			}
			s.conditions[name] = v
			delete(pending, name)
			progress = true
		}
		if !progress {
			return fmt.Errorf("Template error: circular or missing condition among %v", names)
		}
	}
	return nil
}

// canonical is a comparable form of an evaluated value.
func canonical(v any) string {
	b, _ := json.Marshal(normalize(v))
	return string(b)
}

// normalize makes values that CloudFormation treats as equal compare equal:
// 80 and "80", true and "true".
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, val := range x {
			out[k] = normalize(val)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = normalize(x[i])
		}
		return out
	case unknownValue:
		return "{{unknown " + x.of + "}}"
	case nil:
		return nil
	}
	return str(v)
}

// references lists the resources that v refers to (Ref, GetAtt, Sub).
func references(v any, resources map[string]*resourceDef, into map[string]bool) {
	switch x := v.(type) {
	case []any:
		for _, item := range x {
			references(item, resources, into)
		}
	case map[string]any:
		for k, arg := range x {
			switch k {
			case "Ref":
				if _, ok := resources[str(arg)]; ok {
					into[str(arg)] = true
				}
			case "Fn::GetAtt":
				var res string
				if a, ok := arg.([]any); ok && len(a) > 0 {
					res = str(a[0])
				} else {
					res, _, _ = strings.Cut(str(arg), ".")
				}
				if _, ok := resources[res]; ok {
					into[res] = true
				}
			case "Fn::Sub":
				text := ""
				switch a := arg.(type) {
				case string:
					text = a
				case []any:
					if len(a) > 0 {
						text = str(a[0])
					}
					if len(a) > 1 {
						references(a[1], resources, into)
					}
				}
				for _, part := range strings.Split(text, "${")[1:] {
					name, _, _ := strings.Cut(part, "}")
					name, _, _ = strings.Cut(name, ".")
					if _, ok := resources[name]; ok {
						into[name] = true
					}
				}
			}
			references(arg, resources, into)
		}
	}
}

// order is the resources in dependency order (a resource after everything
// it refers to or DependsOn), ties broken by name so that runs repeat.
func (t *template) order() ([]string, error) {
	deps := map[string]map[string]bool{}
	for name, r := range t.Resources {
		d := map[string]bool{}
		references(r.Properties, t.Resources, d)
		for _, x := range r.DependsOn {
			if _, ok := t.Resources[x]; !ok {
				return nil, fmt.Errorf("Template format error: Unresolved resource dependencies [%s] in the Resources block of the template", x)
			}
			d[x] = true
		}
		delete(d, name)
		deps[name] = d
	}
	var out []string
	done := map[string]bool{}
	for len(out) < len(t.Resources) {
		var ready []string
		for name := range t.Resources {
			if done[name] {
				continue
			}
			ok := true
			for d := range deps[name] {
				if !done[d] {
					ok = false
					break
				}
			}
			if ok {
				ready = append(ready, name)
			}
		}
		if len(ready) == 0 {
			return nil, fmt.Errorf("Template format error: Circular dependency between resources")
		}
		sort.Strings(ready)
		for _, r := range ready {
			done[r] = true
			out = append(out, r)
		}
	}
	return out, nil
}
