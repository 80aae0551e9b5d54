package main

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/cfnfargate/cfnfargate/internal/copilot"
	"github.com/cfnfargate/cfnfargate/internal/lazyregexp"
	"github.com/cfnfargate/cfnfargate/stack"
)

// The config file that import copilot writes, and the check of the
// settings that go in it.

// checkImported applies the imported settings through the same setting
// table as flags and config files, then validates them with cfnfargate's
// own rules. Each problem names the manifest key and line the value came
// from, and the setting it became. With env, the settings are those of
// that environment's layer, which the config file lays over the base
// values with a load balancer of the service's own (dedicated-alb), and
// are checked as emit --environment env checks them.
func checkImported(settings []copilot.Setting, env string) (stack.Config, error) {
	cfg, withDeferred := stack.Default(), stack.Default()
	origin := map[string]string{}
	var problems []stack.Problem
	if env != "" {
		settings = append(slices.Clip(settings), layerSettings(env)...)
	}
	for _, s := range settings {
		origin[s.Key] = s.Label() + " → " + s.Key
		row, ok := stack.LookupSetting(s.Key)
		if !ok {
			// Every key Import sets is a setting; a missing one is a bug here.
			return cfg, fmt.Errorf("import set %q, which is not a setting", s.Key)
		}
		if err := row.Set(&withDeferred, s.Values); err != nil {
			problems = append(problems, stack.Problem{Key: origin[s.Key], Message: err.Error()})
		}
		if !s.Deferred {
			_ = row.Set(&cfg, s.Values) // its error is reported above
		}
	}
	// The deferred domain settings are validated too, so that a bad alias
	// shows now, not when they are turned on. They only add to the
	// settings, so the config without them holds no other problem.
	var verr *stack.ValidationError
	if err := withDeferred.Validate(); errors.As(err, &verr) {
		for _, p := range verr.Problems {
			label, ok := origin[p.Key]
			if !ok {
				label = p.Key + " (cfnfargate's default)"
			}
			for _, r := range p.Related {
				if l, ok := origin[r]; ok && !strings.Contains(label, l) {
					label += ", " + l
				}
			}
			problems = append(problems, stack.Problem{Key: label, Message: problemText(p)})
		}
	} else if err != nil {
		return cfg, err
	}
	if len(problems) > 0 {
		return cfg, &stack.ValidationError{Title: "the imported settings are not valid for cfnfargate", Problems: problems}
	}
	return cfg, cfg.Validate()
}

// layerSettings are what a layer of the config adds for environment env:
// the environment that picks it, and dedicated-alb, which keeps the
// service's own load balancer as without an environment (in Copilot each
// environment had its own); without it the service would join the shared
// environment env-NAME of cfnfargate env.
func layerSettings(env string) []copilot.Setting {
	source := "environments." + env
	return []copilot.Setting{
		{Key: stack.KeyEnvironment, Values: []string{env}, Source: source},
		{Key: stack.KeyDedicatedALB, Values: []string{"true"}, Source: source},
	}
}

// renderImported writes the config file: one key per setting, each with a
// comment naming the manifest key and line it came from, then a layer
// under environments: for each Copilot environment, with the keys whose
// values differ from the base; deferred settings are comments at the end.
func renderImported(res *copilot.Result, manifest string, extra []deployKey) ([]byte, error) {
	doc := &yaml.Node{Kind: yaml.MappingNode}
	var deferred []string
	base := map[string]copilot.Setting{}
	for _, s := range res.Settings {
		if s.Deferred {
			deferred = append(deferred, deferredLine(s))
			continue
		}
		base[s.Key] = s
		doc.Content = append(doc.Content, commented(s.Key, importComment(s), settingNode(s))...)
	}
	for _, k := range extra {
		key := settingKey(k.key, k.comment)
		var v *yaml.Node
		if k.list {
			v = &yaml.Node{Kind: yaml.SequenceNode}
			for _, s := range k.values {
				v.Content = append(v.Content, scalar(s, 0))
			}
		} else {
			v = scalar(k.values[0], 0)
		}
		doc.Content = append(doc.Content, key, v)
	}
	if len(res.Layers) > 0 {
		envs := &yaml.Node{Kind: yaml.MappingNode}
		for _, l := range res.Layers {
			layer, layerDeferred := renderLayer(l, base, res.Settings)
			envs.Content = append(envs.Content, scalar(l.Name, 0), layer)
			deferred = append(deferred, layerDeferred...)
		}
		key := settingKey("environments", "one layer per Copilot environment: its values where they differ from the ones above; pick one with --environment NAME")
		doc.Content = append(doc.Content, key, envs)
	}
	where := fmt.Sprintf("the Load Balanced Web Service %q", res.Service)
	if res.Applied != "" {
		where += fmt.Sprintf(" with the overrides of environment %q", res.Applied)
	}
	header := fmt.Sprintf("cfnfargate config imported from %s\n(%s) by 'cfnfargate import copilot'.\nEach comment names the manifest key a value came from.\nUse it with: cfnfargate emit --config FILE, and deploy --config FILE.",
		manifest, where)
	if len(doc.Content) > 0 {
		doc.Content[0].HeadComment = prefixLines(header)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	if len(deferred) > 0 {
		fmt.Fprintf(&buf, "\n# %s:\n", copilotDeferredNote(res))
		for _, line := range deferred {
			fmt.Fprintf(&buf, "# %s\n", line)
		}
	}
	return buf.Bytes(), nil
}

// renderLayer is the layer of environment l: dedicated-alb, the settings
// whose values differ from the base, and the base settings the environment
// does not have, at cfnfargate's default (a config layer replaces a key
// whole, and cannot remove one). It also returns the layer's deferred
// settings, as comment lines, when they differ from the base's.
func renderLayer(l copilot.Layer, base map[string]copilot.Setting, baseAll []copilot.Setting) (*yaml.Node, []string) {
	m := &yaml.Node{Kind: yaml.MappingNode}
	dedicated := layerSettings(l.Name)[1]
	m.Content = append(m.Content, settingKey(dedicated.Key, "the service keeps a load balancer of its own, as in this config without an environment; leave it out to join the shared environment env-"+l.Name+" (cfnfargate env)"),
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
	seen := map[string]bool{}
	var deferred []string
	differs := false
	for _, s := range l.Settings {
		if s.Deferred {
			deferred = append(deferred, "environments."+l.Name+": "+deferredLine(s))
			differs = differs || !slices.ContainsFunc(baseAll, func(b copilot.Setting) bool {
				return b.Deferred && b.Key == s.Key && slices.Equal(b.Values, s.Values)
			})
			continue
		}
		seen[s.Key] = true
		if b, ok := base[s.Key]; ok && slices.Equal(b.Values, s.Values) {
			continue
		}
		m.Content = append(m.Content, commented(s.Key, importComment(s), settingNode(s))...)
	}
	d := stack.Default()
	for _, b := range baseAll {
		if b.Deferred || seen[b.Key] {
			continue
		}
		row, _ := stack.LookupSetting(b.Key)
		off := copilot.Setting{Key: b.Key, Values: row.Value(d), List: row.Kind() == stack.KindList}
		m.Content = append(m.Content, commented(b.Key, "environment "+l.Name+" does not set it: cfnfargate's default", settingNode(off))...)
	}
	if !differs {
		// The base's comments say it for this environment too.
		deferred = nil
	}
	return m, deferred
}

func deferredLine(s copilot.Setting) string {
	return fmt.Sprintf("%s: %s  # %s", s.Key, s.Values[0], s.Label())
}

// copilotDeferredNote is the note of the deferred settings, which says when
// to turn them on.
func copilotDeferredNote(res *copilot.Result) string {
	for _, s := range res.Settings {
		if s.Deferred {
			return s.Note
		}
	}
	for _, l := range res.Layers {
		for _, s := range l.Settings {
			if s.Deferred {
				return s.Note
			}
		}
	}
	return ""
}

func settingKey(key, comment string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key, LineComment: "# " + comment}
}

// commented is a key and its value, with comment at the end of the key's
// line. yaml.v3 drops the line comment of a key whose value is a flow
// collection ([] or {}), or moves it to the next key of the mapping
// above: such a value carries the comment itself.
func commented(key, comment string, value *yaml.Node) []*yaml.Node {
	if value.Style&yaml.FlowStyle != 0 {
		value.LineComment = "# " + comment
		return []*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, value}
	}
	return []*yaml.Node{settingKey(key, comment), value}
}

func importComment(s copilot.Setting) string {
	c := s.Label()
	if s.Line > 0 {
		c = fmt.Sprintf("%s, line %d", s.Source, s.Line)
	}
	if s.Note != "" {
		if s.Line == 0 && s.Note == "Copilot's default" {
			return s.Source + ": Copilot's default"
		}
		c += ": " + s.Note
	}
	return c
}

func prefixLines(text string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = "# " + l
	}
	return strings.Join(lines, "\n")
}

var (
	wholeNumber = lazyregexp.New(`^-?[0-9]+$`)
	// yaml11Bool are the plain scalars that YAML 1.1 reads as booleans
	// (YAML 1.1 boolean type, yaml.org/type/bool.html:
	// y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF, with true and false).
	// yaml.v3 writes YAML 1.2, where they are strings, and leaves them
	// unquoted; YAML 1.1 tools and linters would read a boolean.
	yaml11Bool = lazyregexp.New(`^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$`)
)

// scalar is a string value of the config. A value that YAML 1.1 reads as
// a boolean is quoted, as the manifest quoted it (style), or in double
// quotes where the manifest did not.
func scalar(v string, style yaml.Style) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
	if yaml11Bool.MatchString(v) {
		n.Style = yaml.DoubleQuotedStyle
		if style == yaml.SingleQuotedStyle {
			n.Style = style
		}
	}
	return n
}

// settingNode is the YAML value of a setting: a scalar, a list, or a
// mapping of NAME: VALUE for the pair settings (env, secret), which the
// config loader reads as NAME=VALUE.
func settingNode(s copilot.Setting) *yaml.Node {
	row, _ := stack.LookupSetting(s.Key)
	style := func(i int) yaml.Style {
		if i < len(s.Styles) {
			return s.Styles[i]
		}
		return 0
	}
	if row.Kind() != stack.KindList {
		v := s.Values[0]
		switch {
		case row.Kind() == stack.KindBool:
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: v}
		case wholeNumber.MatchString(v):
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: v}
		}
		return scalar(v, style(0))
	}
	if s.Key == stack.KeyEnv || s.Key == stack.KeySecret {
		m := &yaml.Node{Kind: yaml.MappingNode}
		for i, kv := range s.Values {
			k, v, _ := strings.Cut(kv, "=")
			m.Content = append(m.Content, scalar(k, 0), scalar(v, style(i)))
		}
		if len(m.Content) == 0 {
			m.Style = yaml.FlowStyle
		}
		return m
	}
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	for i, v := range s.Values {
		seq.Content = append(seq.Content, scalar(v, style(i)))
	}
	if len(seq.Content) == 0 {
		seq.Style = yaml.FlowStyle
	}
	return seq
}
