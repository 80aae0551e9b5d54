package main

import (
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/stack"
)

// envPrefix starts the environment variable of every flag:
// --health-check-path is CFNFARGATE_HEALTH_CHECK_PATH.
const envPrefix = "CFNFARGATE_"

func envName(flag string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// settings is the settings table of package stack: each row's key is a
// flag, a config-file key and, through envName, an environment variable.
var settings = stack.Settings()

// settingsFlags are the flags of every command that builds a template.
// Their variables are read by lookup, not by the flags, so that a list
// variable splits on commas while a list flag does not.
func settingsFlags() []cli.Flag { return settingsFlagsOf(settings) }

// settingsFlagsOf are the flags of the settings rows.
func settingsFlagsOf(rows []stack.Setting) []cli.Flag {
	defaults := stack.Default()
	var flags []cli.Flag
	for _, s := range rows {
		usage := s.Usage
		if allowed := s.Allowed(); allowed != "" {
			usage += " (" + allowed + ")"
		}
		if s.Hardened != "" {
			usage += " (with hardened: " + s.Hardened + ")"
		}
		usage += " [$" + envName(s.Key) + "]"
		defaultText := strings.Join(s.Value(defaults), ",")
		switch s.Kind() {
		case stack.KindBool:
			flags = append(flags, &cli.BoolFlag{Name: s.Key, Usage: usage})
		case stack.KindList:
			flags = append(flags, &cli.StringSliceFlag{Name: s.Key, Usage: usage, DefaultText: defaultText})
		default:
			flags = append(flags, &cli.StringFlag{Name: s.Key, Usage: usage, DefaultText: defaultText})
		}
	}
	return flags
}

// isSetting reports whether a flag name is the key of a template setting.
func isSetting(name string) bool {
	_, ok := stack.LookupSetting(name)
	return ok
}

// splitList splits the value of a list variable, such as
// CFNFARGATE_ENV=A=1,B=2, at its commas; "\," is a comma inside a value.
// Spaces around each value are dropped, as the flags drop them.
func splitList(raw string) []string {
	if raw == "" {
		return nil
	}
	var values []string
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		switch {
		case raw[i] == '\\' && i+1 < len(raw) && raw[i+1] == ',':
			b.WriteByte(',')
			i++
		case raw[i] == ',':
			values = append(values, strings.TrimSpace(b.String()))
			b.Reset()
		default:
			b.WriteByte(raw[i])
		}
	}
	return append(values, strings.TrimSpace(b.String()))
}

// source says where a setting's value came from, for error messages.
type source struct {
	label string // "--cpu", "CFNFARGATE_CPU" or "cpu in app.yaml line 3"
	set   bool   // false when the value is the built-in default
}

// resolved is the outcome of reading the settings.
type resolved struct {
	Config stack.Config
	// Given holds the keys the user set by flag, environment or config file.
	Given map[string]bool
	// Hardened holds the keys that --hardened gave their hardened value,
	// as the user did not give them (stack.Config.ApplyHardened).
	Hardened map[string]bool
	// Options name where the command's other flags got their values, when
	// a list variable or the config file gave them (see applyOptions).
	Options map[string]string
}

// label names where the value of the command's flag name came from, for
// messages: its config key and line, its variable, or the flag.
func (r resolved) label(name string) string {
	if l, ok := r.Options[name]; ok {
		return l
	}
	return "--" + name
}

// readSettings builds the stack.Config from flags, the environment and the
// config file, in that order of precedence over the built-in defaults. It
// also gives the command's other flags their values from the config file
// (applyOptions), so that one run reports every problem at once, naming the
// flag, variable or key.
func readSettings(c *cli.Context) (resolved, error) {
	return readSettingsOf(c, settings, stack.Config.Validate)
}

// readSettingsOf is readSettings for the settings rows, checked with
// validate: an environment's commands take only its own settings.
func readSettingsOf(c *cli.Context, rows []stack.Setting, validate func(stack.Config) error) (resolved, error) {
	cfg := stack.Default()
	sources := map[string]source{}

	file, err := readConfig(c)
	if err != nil {
		return resolved{}, err
	}
	problems := append([]stack.Problem(nil), file.problems...)
	options, optionProblems := applyOptions(c, file)
	problems = append(problems, optionProblems...)

	given := map[string]bool{}
	unreadable := map[string]bool{}
	for _, s := range rows {
		values, src, ok := lookup(c, s, file)
		if !ok {
			sources[s.Key] = source{label: "--" + s.Key}
			continue
		}
		sources[s.Key] = src
		given[s.Key] = true
		if err := s.Set(&cfg, values); err != nil {
			problems = append(problems, stack.Problem{Key: src.label, Message: err.Error()})
			unreadable[s.Key] = true
		}
	}

	// --hardened gives the settings the user did not give their hardened
	// values. What the user gave, by flag, variable or config file, stays,
	// even when it is the default: --hardened --log-retention-days 30
	// keeps 30, with a warning naming the control it breaks.
	hardened := map[string]bool{}
	for _, key := range cfg.ApplyHardened(func(key string) bool { return given[key] }) {
		hardened[key] = true
	}

	// Validate even when some values could not be read, so that one run
	// lists every problem. A value that could not be read still holds its
	// default, so its own validation is skipped, and so is a cross-field
	// problem that involves it: it would judge the other setting against a
	// default the user tried to override.
	var verr *stack.ValidationError
	if err := validate(cfg); errors.As(err, &verr) {
		for _, p := range verr.Problems {
			if unreadable[p.Key] || slices.ContainsFunc(p.Related, func(k string) bool { return unreadable[k] }) {
				continue
			}
			problems = append(problems, stack.Problem{Key: problemLabel(p, sources, given), Message: p.Message})
		}
	} else if err != nil {
		return resolved{}, badInput(err)
	}
	if len(problems) > 0 {
		// The settings that could be read come back too, so that callers
		// can check their own flags against them.
		return resolved{Config: cfg, Given: given, Hardened: hardened, Options: options}, &stack.ValidationError{Title: "invalid settings", Problems: problems}
	}
	return resolved{Config: cfg, Given: given, Hardened: hardened, Options: options}, nil
}

// problemLabel names where the settings of p came from: its own, and those
// of the other settings it involves that the user gave, so that a
// cross-field problem names both ("--health-check-timeout,
// CFNFARGATE_HEALTH_CHECK_INTERVAL").
func problemLabel(p stack.Problem, sources map[string]source, given map[string]bool) string {
	label := sources[p.Key].label
	if label == "" {
		label = "--" + p.Key // a key outside the command's settings, such as environment
	}
	labels := []string{label}
	for _, k := range p.Related {
		if given[k] && !slices.Contains(labels, sources[k].label) {
			labels = append(labels, sources[k].label)
		}
	}
	return strings.Join(labels, ", ")
}

// lookup finds the value of s: the flag, else the environment, else the
// config file.
func lookup(c *cli.Context, s stack.Setting, file *configFile) ([]string, source, bool) {
	list := s.Kind() == stack.KindList
	if c.IsSet(s.Key) {
		src := source{label: "--" + s.Key, set: true}
		switch {
		case s.Kind() == stack.KindBool:
			return []string{strconv.FormatBool(c.Bool(s.Key))}, src, true
		case list:
			return c.StringSlice(s.Key), src, true
		default:
			return []string{c.String(s.Key)}, src, true
		}
	}
	if raw, ok := os.LookupEnv(envName(s.Key)); ok {
		src := source{label: envName(s.Key), set: true}
		if list {
			return splitList(raw), src, true
		}
		return []string{raw}, src, true
	}
	if v, ok := file.values[s.Key]; ok {
		return v.values, source{label: file.label(s.Key), set: true}, true
	}
	return nil, source{}, false
}
