package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/internal/spelling"
	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/deploy"
	"github.com/cfnfargate/cfnfargate/stack/operate"
)

// A deploy remembers. A setting that no source gives (flag, variable,
// config file) keeps its value from the stack's last release, not the
// built-in default: the rule that CloudFormation parameters follow
// (UsePreviousValue), extended to every setting of the table. --reset KEY
// returns one to its default, --reset all every one not given. emit does
// not remember: it compiles what it is given.
//
// Where a kept value comes from:
//   - a setting with a template parameter (image, desired-count,
//     public-tasks, min-count, max-count): the stack's parameter now,
//     which scale may have changed since the release;
//   - any other: the settings the stack's newest release recorded;
//   - a stack whose releases recorded none (an earlier cfnfargate): its
//     name from its template, so that a day-2 deploy does not rename the
//     container, the log group and the task family; the rest take their
//     defaults, as they did then, which the deploy says once.

// resetAll is the --reset value that returns every setting to its
// default.
const resetAll = "all"

func resetFlag() cli.Flag {
	return &cli.StringSliceFlag{Name: "reset", Usage: "return the setting `KEY` to its built-in default instead of keeping the value of the stack's last release, repeatable; all returns every setting that is not given"}
}

func verboseFlag() cli.Flag {
	return &cli.BoolFlag{Name: "verbose", Usage: "also list, in the plan, the settings the deploy keeps and where they came from"}
}

// rememberFunc reads what a stack remembers of its last deploy: nil for a
// stack that does not exist.
type rememberFunc func(ctx context.Context, stackName string) (*operate.Remembered, error)

// rememberStack is the rememberFunc of a run: it connects as the run's
// flags say, and checks --account first.
func rememberStack(c *cli.Context) rememberFunc {
	return func(ctx context.Context, stackName string) (*operate.Remembered, error) {
		_, clients, err := operationOf(c).clients(ctx)
		if err != nil {
			return nil, err
		}
		m, err := operate.Remember(ctx, clients, stackName)
		if errors.Is(err, deploy.ErrStackNotFound) {
			return nil, nil
		}
		if m != nil && (m.Status == "ROLLBACK_COMPLETE" || m.Status == "REVIEW_IN_PROGRESS") {
			// A first create that failed, or never ran: the deploy creates
			// the stack again, and nothing was deployed to remember.
			return nil, nil
		}
		var denied *operate.DeniedError
		if errors.As(err, &denied) {
			return nil, &hintedError{err: fmt.Errorf("read what stack %s keeps of its last deploy: %w", stackName, err),
				hint: "Without it, the settings not given would go back to their defaults. Allow " + denied.Action +
					", or give --reset all to deploy only the settings given (the parameters keep their values)."}
		}
		return m, err
	}
}

// readReset reads --reset: setting keys, or all. A key that is not a
// setting, or that a source also gives, is a problem.
func readReset(c *cli.Context, src sourced) (keys map[string]bool, all bool, problems []stack.Problem) {
	keys = map[string]bool{}
	var known []string
	for _, s := range src.rows {
		known = append(known, s.Key)
	}
	label := src.label("reset")
	for _, v := range c.StringSlice("reset") {
		for _, key := range strings.Split(v, ",") {
			key = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(key), "--"))
			switch {
			case key == resetAll:
				all = true
			case !slices.Contains(known, key):
				msg := fmt.Sprintf("%q is not a setting", key)
				if best := spelling.Closest(key, known, 4); best != "" {
					msg += fmt.Sprintf(": did you mean %s?", best)
				} else {
					msg += ": give a setting's key, as its flag is named without the dashes (see --help), or all"
				}
				problems = append(problems, stack.Problem{Key: label, Message: msg})
			case src.Given[key]:
				problems = append(problems, stack.Problem{Key: label, Message: fmt.Sprintf(
					"%s is also given by %s: give one of them (the value given replaces the remembered one anyway)", key, src.sources[key].label)})
			default:
				keys[key] = true
			}
		}
	}
	return keys, all, problems
}

// remembering is the outcome of laying what a stack remembers under what
// a run gives.
type remembering struct {
	// old are the values of the stack's last release, by key, for the
	// settings whose value before is known.
	old map[string][]string
	// notes are said once on stderr when the deploy goes ahead.
	notes []string
	// hardened are the settings whose value in the last release
	// --hardened gave (harden): they are not kept, and return to their
	// defaults unless hardened, still on, gives them again.
	hardened map[string]bool
}

// remember lays the values m keeps under those src gives: every setting
// of src.rows that no source gives and that is not reset keeps its value
// from m. m nil (a new stack) keeps nothing.
func remember(src sourced, stackName string, m *operate.Remembered, reset map[string]bool, all bool) (sourced, remembering) {
	out := src
	out.Config = src.Config
	out.sources = make(map[string]source, len(src.sources))
	for k, v := range src.sources {
		out.sources[k] = v
	}
	r := remembering{old: map[string][]string{}, hardened: map[string]bool{}}
	if m == nil {
		return out, r
	}
	release := 0
	if m.Release != nil {
		release = m.Release.Number
	}
	for _, u := range m.Unconfirmed {
		r.notes = append(r.notes, fmt.Sprintf("release %d of stack %s, a deploy that was not waited for, did not complete (the stack does not run its template); the settings are kept from %s",
			u.Number, stackName, describeRelease(release)))
	}
	legacy := m.Settings == nil
	if legacy {
		what := "it has no release history"
		if m.Release != nil {
			what = fmt.Sprintf("its release %d was recorded by an earlier cfnfargate, which recorded no settings", m.Release.Number)
		}
		r.notes = append(r.notes, fmt.Sprintf("stack %s: %s. The settings this deploy is not given take their built-in defaults, as they did then; "+
			"only the template parameters (image, counts, public-tasks) and the name keep their values. This deploy records its settings, so that the next one keeps them.", stackName, what))
	}
	defaults := stack.Default()
	for _, s := range src.rows {
		old, origin, ok := keptValue(s, m, legacy)
		if !ok {
			continue
		}
		r.old[s.Key] = old
		if src.Given[s.Key] || src.unreadable[s.Key] {
			continue
		}
		// all leaves the template parameters alone: like the network,
		// they keep their values unless given or named.
		if (all && s.Parameter == "") || reset[s.Key] {
			out.sources[s.Key] = source{label: "--" + s.Key, origin: originReset}
			continue
		}
		recorded := ""
		if m.Release != nil && origin != "the stack" {
			recorded = m.Release.Sources[s.Key]
		}
		if recorded == originHardened {
			// --hardened's value, not the user's: it does not count as
			// given, so that hardened turned off returns the setting to
			// its default, and hardened still on gives it again (harden).
			r.hardened[s.Key] = true
			continue
		}
		if origin == "" {
			origin = describeRelease(release)
		}
		if slices.Equal(old, s.Value(defaults)) {
			if recorded != "" {
				// Kept at its default, as the user gave it: still the
				// user's, so that --hardened leaves it alone.
				out.sources[s.Key] = keptSource(s, origin)
			}
			continue // kept, and the default: nothing else to say about it
		}
		if err := s.Set(&out.Config, old); err != nil {
			// A value an earlier cfnfargate allowed and this one cannot
			// read: the default stands, and the plan shows the change.
			r.notes = append(r.notes, fmt.Sprintf("%s: %s, kept from %s, cannot be read (%v); it takes its default, %s",
				s.Key, strings.Join(old, ","), origin, err, strings.Join(s.Value(defaults), ",")))
			s.Set(&out.Config, s.Value(defaults))
			continue
		}
		out.sources[s.Key] = keptSource(s, origin)
	}
	// The load balancer's and the cluster's settings belong to an
	// environment's stack: a service that moves into one does not keep
	// those of its own load balancer.
	if out.Config.Environment.Shared() {
		for _, s := range src.rows {
			if s.Place != stack.PlaceEnvironment || src.Given[s.Key] || out.sources[s.Key].origin == "" {
				continue
			}
			s.Set(&out.Config, s.Value(defaults))
			out.sources[s.Key] = source{label: "--" + s.Key, origin: "environment " + out.Config.Environment.Name + "'s"}
		}
	}
	return out, r
}

// keptSource is the source of a value of setting s kept from origin.
func keptSource(s stack.Setting, origin string) source {
	return source{label: fmt.Sprintf("%s, kept from %s (give --%s, or --reset %s)", s.Key, origin, s.Key, s.Key), set: true, origin: origin}
}

// describeRelease names a release as an origin: "release 3", or "the
// stack" when it has none.
func describeRelease(n int) string {
	if n == 0 {
		return "the stack"
	}
	return "release " + strconv.Itoa(n)
}

// keptValue is the value the stack m holds for setting s, and where it
// came from ("release N", or "" for the last release); ok is false when
// it is not known.
func keptValue(s stack.Setting, m *operate.Remembered, legacy bool) (values []string, origin string, ok bool) {
	if s.Parameter != "" {
		v, declared := m.Parameters[s.Parameter]
		if !declared {
			// The stack's template does not declare it in its mode
			// (MinCount without autoscaling): it had the default.
			return s.Value(stack.Default()), "", true
		}
		if values, ok = s.FromParameter(v); !ok {
			return nil, "", false
		}
		if m.Release == nil || m.Release.Parameters[s.Parameter] != v {
			return values, "the stack", true // changed since, by scale or outside cfnfargate
		}
		return values, recordedOrigin(m.Release, s.Key), true
	}
	if legacy {
		if s.Key == stack.KeyName && m.Template != "" {
			if name, found := stack.NameInTemplate(m.Template); found {
				return []string{name}, "the stack's template", true
			}
		}
		return nil, "", false
	}
	if v, found := m.Settings[s.Key]; found {
		return v, recordedOrigin(m.Release, s.Key), true
	}
	// A setting newer than the release: it had the default.
	return s.Value(stack.Default()), "", true
}

// recordedOrigin is the release a kept setting was last given in, when
// the release recorded that it kept it from an earlier one.
func recordedOrigin(r *operate.Release, key string) string {
	if r != nil && strings.HasPrefix(r.Sources[key], "release ") {
		return r.Sources[key]
	}
	return ""
}

// settingChanges lists, for the plan, the settings whose value changes
// from what the stack remembers (old), with where the new value came
// from; with verbose also those kept, not at their defaults. For a new
// stack (m nil) they are the settings given that differ from the
// defaults.
func settingChanges(src sourced, r remembering, m *operate.Remembered, verbose bool) []deploy.SettingChange {
	defaults := stack.Default()
	var out []deploy.SettingChange
	for _, s := range src.rows {
		now := s.Value(src.Config)
		from := src.sources[s.Key]
		source := from.origin
		switch {
		case source == "" && r.hardened[s.Key] && !src.Config.Hardened:
			source = originHardenedOff
		case source == "":
			source = "default"
		case strings.HasPrefix(source, "release ") || strings.HasPrefix(source, "the stack"):
			source = "kept from " + source
		case strings.HasPrefix(source, "environment "):
			source += " (kept by the environment's stack)"
		}
		if m == nil {
			if (src.Given[s.Key] || from.origin == originHardened) && !slices.Equal(now, s.Value(defaults)) {
				out = append(out, deploy.SettingChange{Key: s.Key, New: settingText(s, now), Source: source, Added: true})
			}
			continue
		}
		old, known := r.old[s.Key]
		switch {
		case known && !slices.Equal(old, now):
			out = append(out, deploy.SettingChange{Key: s.Key, Old: settingText(s, old), New: settingText(s, now), Source: source})
		case !known && src.Given[s.Key] && !slices.Equal(now, s.Value(defaults)):
			// A stack of an earlier cfnfargate, which recorded no value.
			out = append(out, deploy.SettingChange{Key: s.Key, Old: "not recorded", New: settingText(s, now), Source: source})
		case verbose && (from.set || !slices.Equal(now, s.Value(defaults))):
			out = append(out, deploy.SettingChange{Key: s.Key, New: settingText(s, now), Source: source, Kept: true})
		}
	}
	return out
}

// settingText writes a setting's value as the plan shows it.
func settingText(s stack.Setting, values []string) string {
	switch {
	case len(values) == 0:
		return "none"
	case len(values) == 1 && values[0] == "" && s.DefaultText != "":
		return s.DefaultText
	case len(values) == 1 && values[0] == "":
		return `""`
	}
	return strings.Join(values, ", ")
}

// releaseSettings are what a release records of a deploy's settings.
type releaseSettings struct {
	values  map[string][]string
	sources map[string]string
}

// recordable returns what the release of a deploy with src records: the
// value of every setting that is not a template parameter (the stack
// holds those), and where each one not at its default came from; a kept
// value's origin is the release it was given in, when known.
func recordable(src sourced) releaseSettings {
	rs := releaseSettings{values: map[string][]string{}, sources: map[string]string{}}
	for _, s := range src.rows {
		if s.Parameter == "" {
			rs.values[s.Key] = s.Value(src.Config)
		}
		switch origin := src.sources[s.Key].origin; {
		case origin == "" || origin == originReset || strings.HasPrefix(origin, "environment "):
		case strings.HasPrefix(origin, "the stack"):
			// Kept from the stack itself, not a release: the next deploy
			// keeps it from this one.
		default:
			rs.sources[s.Key] = origin
		}
	}
	return rs
}

// say writes the run's notes and warnings on w, once the run goes ahead.
func (r *stackRun) say(w io.Writer) {
	for _, n := range r.notes {
		fmt.Fprintf(w, "cfnfargate: note: %s\n", n)
	}
	printWarnings(w, r.warnings)
}

// planSink passes the deployer's events on to sink, with the settings
// in the plan. Once the change set is being made, past every check of
// the input, it calls making (what the default VPC gave, on stderr); once
// it is made and has changes, it writes budget on stdout before the plan.
// Input refused before the change set prints nothing on stdout, and a
// plan without changes no budget.
func planSink(sink deploy.Sink, stdout io.Writer, budget string, settings []deploy.SettingChange, making func()) deploy.Sink {
	made := false
	return deploy.SinkFunc(func(e deploy.Event) {
		switch ev := e.(type) {
		case deploy.ChangeSetPending:
			if !made {
				made = true
				if making != nil {
					making()
				}
			}
		case deploy.PlanReady:
			ev.Plan.Settings = settings
			ev.Plan.Parameters = withoutSettingParameters(ev.Plan.Parameters, settings)
			e = ev
			if budget != "" {
				fmt.Fprintln(stdout, budget)
				budget = ""
			}
		}
		if sink != nil {
			sink.Event(e)
		}
	})
}

// withoutSettingParameters drops from a plan's parameter changes those of
// the parameters that a setting gives and whose change the settings show
// (image is ContainerImage): each change is shown and counted once, with
// where its value came from.
func withoutSettingParameters(params []deploy.ParameterChange, settings []deploy.SettingChange) []deploy.ParameterChange {
	byParameter := stack.ParameterSettings()
	var out []deploy.ParameterChange
	for _, p := range params {
		key, ok := byParameter[p.Key]
		if ok && slices.ContainsFunc(settings, func(s deploy.SettingChange) bool { return s.Key == key && !s.Kept }) {
			continue
		}
		out = append(out, p)
	}
	return out
}
