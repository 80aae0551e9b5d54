package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/cfnfargate/cfnfargate/internal/spelling"

	"github.com/urfave/cli/v2"
	"gopkg.in/yaml.v3"

	"github.com/cfnfargate/cfnfargate/stack"
)

// The config file given with --config (or CFNFARGATE_CONFIG) holds the same
// keys as the flags: every template setting, and the other flags of each
// command (stack, vpc-id, region, parameter, timeout...). One file serves
// every command: a key that belongs to another command is left alone, and
// a key that no command has is an error.

// notConfigKeys are flags that say how one run prints or whether it asks,
// not what the stack is. In a file that every command reads they would
// clash (emit's format yaml is not a status format) or act unseen (a file
// that says yes would delete without asking, and one that allows
// replacements would replace a load balancer without asking).
var notConfigKeys = map[string]bool{"config": true, "help": true, "yes": true, "allow-replacement": true, "format": true, "output": true, "exit-code": true,
	// promote --from and --to say what one run promotes; --force and
	// --on-pause answer, for one deploy, what it would otherwise ask.
	"from": true, "to": true, "force": true, "on-pause": true,
	// --reset forgets, for one deploy, what the stack remembers; --verbose
	// says how one plan prints.
	"reset": true, "verbose": true}

func configFlag() cli.Flag {
	return &cli.StringFlag{Name: "config", Usage: "YAML `FILE` of flag values, keyed by flag name [$" + envName("config") + "]", TakesFile: true}
}

// configFile is the config file of a run. The zero value, with no path,
// is no file.
type configFile struct {
	path     string
	values   map[string]configValue
	problems []stack.Problem // unknown keys and values of the wrong shape
}

// configValue is one key of the config file, as strings.
type configValue struct {
	values []string
	line   int
	// layer is the named environment whose layer set the key, or "".
	layer string
}

// label names a key, its line and its layer, for messages.
func (f *configFile) label(key string) string {
	v := f.values[key]
	if v.layer != "" {
		return fmt.Sprintf("%s in %s line %d (environments.%s)", key, f.path, v.line, v.layer)
	}
	return fmt.Sprintf("%s in %s line %d", key, f.path, v.line)
}

// environmentsKey holds the named environments of a config file: each a
// mapping of the same keys, laid over the base keys when --environment
// names it.
const environmentsKey = "environments"

// configDoc is a parsed config file: its base keys and the layers of its
// named environments.
type configDoc struct {
	base   map[string]configValue
	layers map[string]map[string]configValue
}

// merged is the base keys with the layer of environment env over them.
// ok is false when the file has named environments and env is not one of
// them.
func (d configDoc) merged(env string) (values map[string]configValue, ok bool) {
	out := maps.Clone(d.base)
	if env == "" || len(d.layers) == 0 {
		return out, true
	}
	layer, ok := d.layers[env]
	maps.Copy(out, layer)
	return out, ok
}

// layerNames lists the file's named environments, sorted.
func (d configDoc) layerNames() []string {
	return slices.Sorted(maps.Keys(d.layers))
}

// readConfig reads the config file named by --config or CFNFARGATE_CONFIG.
// A file that cannot be read, or is not a mapping, is an error; unknown keys
// and values of the wrong shape are problems of the file, returned with the
// values that could be read so that every problem is reported at once.
func readConfig(c *cli.Context) (*configFile, error) {
	path := c.String("config")
	if !c.IsSet("config") {
		path = os.Getenv(envName("config"))
	}
	if path == "" {
		return &configFile{}, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, badInput(fmt.Errorf("--config: %w", err))
	}
	doc, problems, err := parseConfigFile(path, data, configKeys(c.App.Commands))
	if err != nil {
		return nil, badInput(err)
	}
	// The environment that picks a layer: the flag, its variable, or the
	// file's own base key.
	env := ""
	if c.IsSet(stack.KeyEnvironment) {
		env = c.String(stack.KeyEnvironment)
	} else if v, ok := os.LookupEnv(envName(stack.KeyEnvironment)); ok {
		env = v
	} else if v, ok := doc.base[stack.KeyEnvironment]; ok && len(v.values) == 1 {
		env = v.values[0]
	}
	values, ok := doc.merged(env)
	f := &configFile{path: path, values: values}
	for _, p := range problems {
		f.problems = append(f.problems, stack.Problem{Message: "config file " + path + " " + p})
	}
	if !ok {
		f.problems = append(f.problems, stack.Problem{Key: "--" + stack.KeyEnvironment, Message: fmt.Sprintf(
			"%q is not one of the environments of config file %s: %s", env, path, strings.Join(doc.layerNames(), ", "))})
	}
	return f, nil
}

// configKeys are the keys a config file may hold: every template setting
// and every flag of the commands, but notConfigKeys. A key maps to true
// when it takes a list.
func configKeys(commands []*cli.Command) map[string]bool {
	keys := map[string]bool{}
	for _, s := range settings {
		keys[s.Key] = s.Kind() == stack.KindList
	}
	// urfave/cli gives a command with subcommands a help subcommand, which
	// is shared and may list itself: each command is walked once.
	seen := map[*cli.Command]bool{}
	var add func(commands []*cli.Command)
	add = func(commands []*cli.Command) {
		for _, cmd := range commands {
			if seen[cmd] {
				continue
			}
			seen[cmd] = true
			for _, f := range cmd.Flags {
				name := f.Names()[0]
				if _, ok := keys[name]; ok || notConfigKeys[name] {
					continue
				}
				_, list := f.(*cli.StringSliceFlag)
				keys[name] = list
			}
			add(cmd.Subcommands)
		}
	}
	add(commands)
	return keys
}

func parseConfigFile(path string, data []byte, keys map[string]bool) (configDoc, []string, error) {
	empty := configDoc{base: map[string]configValue{}}
	var root yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return empty, nil, nil // an empty file sets nothing
		}
		return configDoc{}, nil, fmt.Errorf("config file %s: not valid YAML: %w", path, err)
	}
	if len(root.Content) == 0 {
		return empty, nil, nil
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return configDoc{}, nil, fmt.Errorf("config file %s: expected a mapping of settings such as \"cpu: 512\" at line %d", path, doc.Line)
	}
	var problems []string
	var envs *yaml.Node
	base := parseConfigKeys(doc, keys, "", func(k, v *yaml.Node) bool {
		if k.Value != environmentsKey {
			return false
		}
		envs = v
		return true
	}, &problems)
	out := configDoc{base: base}
	if envs == nil {
		return out, problems, nil
	}
	if envs.Kind != yaml.MappingNode {
		return out, append(problems, fmt.Sprintf("line %d: %s: expected a mapping of environment names to their keys, such as \"prod: {desired-count: 3}\"", envs.Line, environmentsKey)), nil
	}
	out.layers = map[string]map[string]configValue{}
	for i := 0; i+1 < len(envs.Content); i += 2 {
		name, layer := envs.Content[i], envs.Content[i+1]
		where := environmentsKey + "." + name.Value
		switch {
		case out.layers[name.Value] != nil:
			problems = append(problems, fmt.Sprintf("line %d: %s is set twice", name.Line, where))
			continue
		case layer.Kind != yaml.MappingNode:
			problems = append(problems, fmt.Sprintf("line %d: %s: expected a mapping of keys such as \"desired-count: 3\"", layer.Line, where))
			continue
		}
		out.layers[name.Value] = parseConfigKeys(layer, keys, name.Value, func(k, _ *yaml.Node) bool {
			switch k.Value {
			case environmentsKey, stack.KeyEnvironment:
				problems = append(problems, fmt.Sprintf("line %d: %s: %s is not allowed inside an environment's layer", k.Line, where, k.Value))
				return true
			}
			return false
		}, &problems)
	}
	return out, problems, nil
}

// parseConfigKeys reads the keys of a mapping, of the base or of layer;
// special handles a key itself when it returns true.
func parseConfigKeys(doc *yaml.Node, keys map[string]bool, layer string, special func(k, v *yaml.Node) bool, problems *[]string) map[string]configValue {
	out := map[string]configValue{}
	in := ""
	if layer != "" {
		in = " in " + environmentsKey + "." + layer
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		if special(k, v) {
			continue
		}
		list, ok := keys[k.Value]
		switch {
		case notConfigKeys[k.Value]:
			*problems = append(*problems, fmt.Sprintf("line %d%s: %s is not a config key: it applies to one run; give --%s on the command line", k.Line, in, k.Value, k.Value))
			continue
		case !ok:
			*problems = append(*problems, fmt.Sprintf("line %d%s: unknown key %q: %s", k.Line, in, k.Value, suggestKey(k.Value, keys)))
			continue
		}
		if _, dup := out[k.Value]; dup {
			*problems = append(*problems, fmt.Sprintf("line %d%s: %s is set twice", k.Line, in, k.Value))
			continue
		}
		values, err := configValues(list, v)
		if err != nil {
			*problems = append(*problems, fmt.Sprintf("line %d%s: %s: %v", v.Line, in, k.Value, err))
			continue
		}
		out[k.Value] = configValue{values: values, line: k.Line, layer: layer}
	}
	return out
}

// configValues turns a config-file value into the strings a flag would
// have given.
func configValues(list bool, v *yaml.Node) ([]string, error) {
	if !list {
		if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
			return nil, errors.New("expected a single value")
		}
		return []string{v.Value}, nil
	}
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			return []string{}, nil
		}
		return []string{v.Value}, nil
	case yaml.SequenceNode:
		values := make([]string, 0, len(v.Content))
		for _, item := range v.Content {
			if item.Kind != yaml.ScalarNode {
				return nil, errors.New("expected a list of KEY=VALUE strings")
			}
			values = append(values, item.Value)
		}
		return values, nil
	case yaml.MappingNode:
		// env: {KEY: VALUE} reads better than a list; keep the file's order.
		values := make([]string, 0, len(v.Content)/2)
		for i := 0; i+1 < len(v.Content); i += 2 {
			if v.Content[i+1].Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("%s: expected a single value", v.Content[i].Value)
			}
			values = append(values, v.Content[i].Value+"="+v.Content[i+1].Value)
		}
		return values, nil
	}
	return nil, errors.New("expected a list of KEY=VALUE strings, or a mapping of KEY: VALUE")
}

// applyOptions gives each flag of the command that is not a template
// setting (stack, region, parameter, timeout...) and that no flag or
// variable set the value of its config key; a list flag also takes its
// variable, split at commas (see splitList). It returns where each value
// came from, and a problem for each value the flag does not take.
func applyOptions(c *cli.Context, file *configFile) (map[string]string, []stack.Problem) {
	labels := map[string]string{}
	var problems []stack.Problem
	for _, f := range c.Command.Flags {
		name := f.Names()[0]
		if isSetting(name) || notConfigKeys[name] || c.IsSet(name) {
			continue
		}
		_, list := f.(*cli.StringSliceFlag)
		var values []string
		if raw, ok := os.LookupEnv(envName(name)); ok && list {
			values, labels[name] = splitList(raw), envName(name)
		} else if v, ok := file.values[name]; ok {
			values, labels[name] = v.values, file.label(name)
		} else {
			continue
		}
		for _, v := range values {
			if err := c.Set(name, v); err != nil {
				problems = append(problems, stack.Problem{Key: labels[name], Message: flagValueProblem(f, v, err)})
				break
			}
		}
	}
	return labels, problems
}

// loadOptions reads the config file for a command that builds no template
// (status, delete) and applies it, failing on any problem.
func loadOptions(c *cli.Context) error {
	file, err := readConfig(c)
	if err != nil {
		return err
	}
	_, problems := applyOptions(c, file)
	if problems = append(file.problems, problems...); len(problems) > 0 {
		return &stack.ValidationError{Title: "invalid input", Problems: problems}
	}
	return nil
}

// flagValueProblem says why a flag did not take a value.
func flagValueProblem(f cli.Flag, value string, err error) string {
	switch f.(type) {
	case *cli.BoolFlag:
		return fmt.Sprintf("%q is not true or false", value)
	case *cli.DurationFlag:
		return fmt.Sprintf("%q is not a duration such as 30m or 1h", value)
	}
	return err.Error()
}

// suggestKey names the known key closest to an unknown one, or tells where
// the keys are listed.
func suggestKey(unknown string, keys map[string]bool) string {
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	best := spelling.Closest(unknown, names, 4)
	if best != "" {
		return fmt.Sprintf("did you mean %q? (the keys are the flag names of 'cfnfargate COMMAND --help')", best)
	}
	return "the keys are the flag names of 'cfnfargate COMMAND --help', without the dashes in front"
}

// configCommand groups the commands about the config file.
func configCommand() *cli.Command {
	return &cli.Command{
		Name:  "config",
		Usage: "work with the config file",
		Subcommands: []*cli.Command{{
			Name:  "render",
			Usage: "print the config file's keys as one environment sees them: the base keys with its layer over them",
			Description: "Each key a layer sets is marked with a comment naming it. The keys are checked as\n" +
				"every command checks them: an unknown key, or a value of the wrong shape, is an error.",
			Flags: []cli.Flag{
				configFlag(),
				&cli.StringFlag{Name: stack.KeyEnvironment, Aliases: []string{"env"}, Usage: "the named environment `NAME` whose layer applies",
					EnvVars: []string{envName(stack.KeyEnvironment)}},
			},
			OnUsageError: usageError,
			Action: func(c *cli.Context) error {
				if !c.IsSet("config") && os.Getenv(envName("config")) == "" {
					return badInput(errors.New("--config: is required: the config file to render"))
				}
				file, err := readConfig(c)
				if err != nil {
					return err
				}
				if len(file.problems) > 0 {
					return &stack.ValidationError{Title: "invalid config file", Problems: file.problems}
				}
				return renderConfig(c.App.Writer, file)
			},
		}},
	}
}

// renderConfig writes the keys of file, sorted, as YAML, marking those a
// layer set.
func renderConfig(w io.Writer, file *configFile) error {
	var b strings.Builder
	for _, key := range slices.Sorted(maps.Keys(file.values)) {
		v := file.values[key]
		node := &yaml.Node{Kind: yaml.MappingNode}
		value := &yaml.Node{Kind: yaml.ScalarNode, Value: strings.Join(v.values, "")}
		if list, _ := configKeys(nil)[key]; list || len(v.values) != 1 {
			value = &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
			for _, s := range v.values {
				value.Content = append(value.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: s})
			}
		}
		if v.layer != "" {
			value.LineComment = "environments." + v.layer
		}
		node.Content = []*yaml.Node{{Kind: yaml.ScalarNode, Value: key}, value}
		out, err := yaml.Marshal(node)
		if err != nil {
			return err
		}
		b.Write(out)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
