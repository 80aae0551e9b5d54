package main

import (
	"errors"
	"fmt"
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
		if s.DefaultText != "" {
			defaultText = s.DefaultText
		}
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

// source says where a setting's value came from, for error messages and
// the plan.
type source struct {
	label string // "--cpu", "CFNFARGATE_CPU" or "cpu in app.yaml line 3"
	set   bool   // false when the value is the built-in default
	// origin is the source in the words of the plan and of the release
	// record: originFlag, originVariable, originConfig or, for a value
	// kept from the stack (remember.go), "release N"; "" for a default.
	origin string
}

// Origins of a setting's value.
const (
	originFlag     = "flag"
	originVariable = "variable"
	originConfig   = "config file"
	originReset    = "--reset"
)

// resolved is the outcome of reading the settings.
type resolved struct {
	Config stack.Config
	// Given holds the keys the user set by flag, environment or config file.
	Given map[string]bool
	// Hardened holds the keys that --hardened gave their hardened value,
	// as the user did not give them (harden).
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

// sourced is the settings as one run's sources give them (flags,
// variables, the config file) over the built-in defaults, before they
// are checked: what emit compiles, and what a deploy lays over what the
// stack remembers (remember.go).
type sourced struct {
	resolved
	rows    []stack.Setting
	sources map[string]source
	// unreadable are the keys whose value could not be read; they hold
	// their defaults.
	unreadable map[string]bool
	// problems are the config file's and the values' that could not be
	// read.
	problems []stack.Problem
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
	src, err := readSources(c, rows)
	if err != nil {
		return resolved{}, err
	}
	return src.harden().check(validate, nil)
}

// readSources reads the settings rows from the run's sources, without
// checking them. Only a config file that cannot be read is an error;
// other problems are kept for check.
func readSources(c *cli.Context, rows []stack.Setting) (sourced, error) {
	src := sourced{resolved: resolved{Config: stack.Default(), Given: map[string]bool{}}, rows: rows,
		sources: map[string]source{}, unreadable: map[string]bool{}}
	file, err := readConfig(c)
	if err != nil {
		return sourced{}, err
	}
	src.problems = append(src.problems, file.problems...)
	options, optionProblems := applyOptions(c, file)
	src.Options = options
	src.problems = append(src.problems, optionProblems...)

	for _, s := range rows {
		values, from, ok := lookup(c, s, file)
		if !ok {
			src.sources[s.Key] = source{label: "--" + s.Key}
			continue
		}
		src.sources[s.Key] = from
		src.Given[s.Key] = true
		if err := s.Set(&src.Config, values); err != nil {
			src.problems = append(src.problems, stack.Problem{Key: from.label, Message: err.Error() + valueHint(c, s, values)})
			src.unreadable[s.Key] = true
		}
	}
	return src, nil
}

// valueHint adds to the problem with a value what was probably meant:
// --env NAME without "=" on a command that also takes an environment.
func valueHint(c *cli.Context, s stack.Setting, values []string) string {
	if s.Key != stack.KeyEnv || !slices.ContainsFunc(c.Command.Flags, func(f cli.Flag) bool { return f.Names()[0] == stack.KeyEnvironment }) {
		return ""
	}
	for _, v := range values {
		if !strings.Contains(v, "=") {
			return fmt.Sprintf(" (--env sets a container variable; the environment is --environment %s)", v)
		}
	}
	return ""
}

// check validates the settings with validate and reports every problem:
// the sources', then validate's, each named by where its value came from.
// keep, when not nil, says which of validate's problems to report.
func (src sourced) check(validate func(stack.Config) error, keep func(stack.Problem) bool) (resolved, error) {
	problems := append([]stack.Problem(nil), src.problems...)
	// Validate even when some values could not be read, so that one run
	// lists every problem. A value that could not be read still holds its
	// default, so its own validation is skipped, and so is a cross-field
	// problem that involves it: it would judge the other setting against a
	// default the user tried to override.
	var verr *stack.ValidationError
	if err := validate(src.Config); errors.As(err, &verr) {
		for _, p := range verr.Problems {
			if src.unreadable[p.Key] || slices.ContainsFunc(p.Related, func(k string) bool { return src.unreadable[k] }) {
				continue
			}
			if keep != nil && !keep(p) {
				continue
			}
			problems = append(problems, stack.Problem{Key: problemLabel(p, src.sources, src.Given), Message: problemText(p)})
		}
	} else if err != nil {
		return resolved{}, badInput(err)
	}
	if len(problems) > 0 {
		// The settings that could be read come back too, so that callers
		// can check their own flags against them.
		return src.resolved, &stack.ValidationError{Title: "invalid input", Problems: problems}
	}
	return src.resolved, nil
}

// settingHints say, by setting key, where a value comes from when a
// problem asks for one (stack.Problem.Give).
var settingHints = map[string]string{
	stack.KeyEnvironment: "cfnfargate env deploy makes one",
}

// problemText is a settings problem's message, with the settings that
// would fix it worded as flags, each with its hint: the library says
// what, the command line where.
func problemText(p stack.Problem) string {
	if len(p.Give) == 0 {
		return p.Message
	}
	flags := make([]string, len(p.Give))
	for i, k := range p.Give {
		flags[i] = "--" + k
		if hint, ok := settingHints[k]; ok {
			flags[i] += " (" + hint + ")"
		}
	}
	return p.Message + "; give " + strings.Join(flags, " or ")
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
		if (given[k] || sources[k].set) && !slices.Contains(labels, sources[k].label) {
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
		src := source{label: "--" + s.Key, set: true, origin: originFlag}
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
		src := source{label: envName(s.Key), set: true, origin: originVariable}
		if list {
			return splitList(raw), src, true
		}
		return []string{raw}, src, true
	}
	if v, ok := file.values[s.Key]; ok {
		return v.values, source{label: file.label(s.Key), set: true, origin: originConfig}, true
	}
	return nil, source{}, false
}
