package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

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
var notConfigKeys = map[string]bool{"config": true, "help": true, "yes": true, "allow-replacement": true, "format": true, "output": true, "exit-code": true}

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
}

// label names a key and its line, for messages.
func (f *configFile) label(key string) string {
	return fmt.Sprintf("%s in %s line %d", key, f.path, f.values[key].line)
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
	values, problems, err := parseConfigFile(path, data, configKeys(c.App.Commands))
	if err != nil {
		return nil, badInput(err)
	}
	f := &configFile{path: path, values: values}
	for _, p := range problems {
		f.problems = append(f.problems, stack.Problem{Message: "config file " + path + " " + p})
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

func parseConfigFile(path string, data []byte, keys map[string]bool) (map[string]configValue, []string, error) {
	var root yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return map[string]configValue{}, nil, nil // an empty file sets nothing
		}
		return nil, nil, fmt.Errorf("config file %s: not valid YAML: %w", path, err)
	}
	if len(root.Content) == 0 {
		return map[string]configValue{}, nil, nil
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil, nil, fmt.Errorf("config file %s: expected a mapping of settings such as \"cpu: 512\" at line %d", path, doc.Line)
	}
	out := map[string]configValue{}
	var problems []string
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		list, ok := keys[k.Value]
		switch {
		case notConfigKeys[k.Value]:
			problems = append(problems, fmt.Sprintf("line %d: %s is not a config key: it applies to one run; give --%s on the command line", k.Line, k.Value, k.Value))
			continue
		case !ok:
			problems = append(problems, fmt.Sprintf("line %d: unknown key %q: %s", k.Line, k.Value, suggestKey(k.Value, keys)))
			continue
		}
		if _, dup := out[k.Value]; dup {
			problems = append(problems, fmt.Sprintf("line %d: %s is set twice", k.Line, k.Value))
			continue
		}
		values, err := configValues(list, v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("line %d: %s: %v", v.Line, k.Value, err))
			continue
		}
		out[k.Value] = configValue{values: values, line: k.Line}
	}
	return out, problems, nil
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
	best, bestDistance := "", 4
	for _, k := range names {
		if d := editDistance(unknown, k); d < bestDistance {
			best, bestDistance = k, d
		}
	}
	if best != "" {
		return fmt.Sprintf("did you mean %q? (the keys are the flag names of 'cfnfargate COMMAND --help')", best)
	}
	return "the keys are the flag names of 'cfnfargate COMMAND --help', without the dashes in front"
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
