package stack_test

import (
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/cfnfargate/cfnfargate/stack"
)

// everythingOn is the defaults with every mode on that makes a setting's
// range count: autoscaling, Spot and the container health check.
func everythingOn() stack.Config {
	c := stack.Default()
	c.Scaling.MaxCount = 4
	c.Scaling.CPUPercent = 50
	c.Service.Spot.Enabled = true
	c.Container.HealthCheck.Command = "true"
	return c
}

// ownProblemKeys are the keys of the problems in err that involve one
// setting only: cross-field problems (with Related) judge a value against
// another setting's, not against its own range.
func ownProblemKeys(err error) []string {
	var verr *stack.ValidationError
	if !errors.As(err, &verr) {
		return nil
	}
	var keys []string
	for _, p := range verr.Problems {
		if len(p.Related) == 0 {
			keys = append(keys, p.Key)
		}
	}
	return keys
}

// Proves: the settings table is well formed (unique keys, one field
// accessor per row, a known group, defaults that read back as written),
// the defaults it builds validate, and Validate enforces each row's range
// and allowed values, just outside and on the bounds: --help and the README
// show the same rows, so what they say is what is checked.
func TestSettingsTable(t *testing.T) {
	if err := everythingOn().Validate(); err != nil {
		t.Fatalf("defaults with every mode on do not validate: %v", err)
	}
	seen := map[string]bool{}
	for _, s := range stack.Settings() {
		t.Run(s.Key, func(t *testing.T) {
			if seen[s.Key] {
				t.Errorf("key %s is in the table twice", s.Key)
			}
			seen[s.Key] = true
			accessors := 0
			for _, set := range []bool{s.Int != nil, s.Str != nil, s.Bool != nil, s.List != nil, s.Dur != nil, s.Float != nil} {
				if set {
					accessors++
				}
			}
			if accessors != 1 {
				t.Errorf("has %d field accessors; want exactly one of Int, Str, Bool, List, Dur, Float", accessors)
			}
			if !slices.Contains(stack.Groups(), s.Group) {
				t.Errorf("group %q is not one of %q", s.Group, stack.Groups())
			}
			if s.Usage == "" {
				t.Error("has no usage text")
			}
			if s.Default != "" && s.Kind() != stack.KindList {
				if got := s.Value(stack.Default()); got[0] != s.Default {
					t.Errorf("Default() holds %q; the row's default is %q", got[0], s.Default)
				}
			}

			var bad []int
			switch {
			case len(s.Ints) > 0:
				bad = []int{slices.Max(s.Ints) + 1, -1}
				for _, ok := range s.Ints {
					mustAccept(t, s, ok)
				}
			case s.Int != nil && s.Max > 0:
				bad = []int{s.Min - 1, s.Max + 1}
				mustAccept(t, s, s.Min)
				mustAccept(t, s, s.Max)
			case len(s.Strings) > 0:
				c := everythingOn()
				*s.Str(&c) = s.Strings[0] + "x"
				if !slices.Contains(ownProblemKeys(c.Validate()), s.Key) {
					t.Errorf("%q is accepted; the row allows only %s", *s.Str(&c), s.Allowed())
				}
			}
			for _, n := range bad {
				if n == 0 && s.Zero != "" {
					continue
				}
				c := everythingOn()
				*s.Int(&c) = n
				if !slices.Contains(ownProblemKeys(c.Validate()), s.Key) {
					t.Errorf("%d is accepted; the row allows %s", n, s.Allowed())
				}
			}
			if s.Zero != "" && s.Int != nil {
				mustAccept(t, s, 0)
			}
			checkDurFloatRange(t, s)
		})
	}
}

// activeFor is everythingOn with a strategy under which s counts: canary or
// linear, with the pause gate on.
func activeFor(s stack.Setting) stack.Config {
	for _, strategy := range []string{stack.StrategyCanary, stack.StrategyLinear} {
		c := everythingOn()
		c.Deployment.Strategy = strategy
		c.Deployment.PauseBeforeProduction = true
		if s.Active == nil || s.Active(c) {
			return c
		}
	}
	return everythingOn()
}

// checkDurFloatRange checks a duration or number row like the int rows:
// the bounds are accepted, a step beyond each and half a step inside are
// refused.
func checkDurFloatRange(t *testing.T, s stack.Setting) {
	t.Helper()
	refused := func(c stack.Config) bool { return slices.Contains(ownProblemKeys(c.Validate()), s.Key) }
	switch {
	case s.Dur != nil && s.MaxDur > 0:
		step := time.Duration(s.Step)
		for _, d := range []time.Duration{s.MinDur, s.MaxDur} {
			c := activeFor(s)
			*s.Dur(&c) = d
			if refused(c) {
				t.Errorf("%s is refused; the row allows %s", stack.FormatDuration(d), s.Allowed())
			}
		}
		for _, d := range []time.Duration{s.MinDur - step, s.MaxDur + step, s.MinDur + step/2} {
			if d == 0 && s.Zero != "" || d < 0 {
				continue
			}
			c := activeFor(s)
			*s.Dur(&c) = d
			if !refused(c) {
				t.Errorf("%s is accepted; the row allows %s", stack.FormatDuration(d), s.Allowed())
			}
		}
	case s.Float != nil && s.MaxF > 0:
		for _, f := range []float64{s.MinF, s.MaxF} {
			c := activeFor(s)
			*s.Float(&c) = f
			if refused(c) {
				t.Errorf("%v is refused; the row allows %s", f, s.Allowed())
			}
		}
		for _, f := range []float64{s.MinF - s.Step, s.MaxF + s.Step, s.MinF + s.Step/2} {
			if f == 0 && s.Zero != "" {
				continue
			}
			c := activeFor(s)
			*s.Float(&c) = f
			if !refused(c) {
				t.Errorf("%v is accepted; the row allows %s", f, s.Allowed())
			}
		}
	}
}

// mustAccept fails t when Validate reports a problem of s's own with n,
// on a configuration whose other settings are left as they are.
func mustAccept(t *testing.T, s stack.Setting, n int) {
	t.Helper()
	c := everythingOn()
	*s.Int(&c) = n
	if keys := ownProblemKeys(c.Validate()); slices.Contains(keys, s.Key) {
		t.Errorf("%s = %s is refused; the row allows %s", s.Key, strconv.Itoa(n), s.Allowed())
	}
}

// Proves: durations print as a user would type them, without dropping a
// zero that belongs to the number (10s stays 10s, 1m30s stays 1m30s), and
// read back as the same duration.
func TestFormatDuration(t *testing.T) {
	for _, d := range []time.Duration{10 * time.Second, 90 * time.Second, 30 * time.Second, 10 * time.Minute, time.Hour, time.Hour + 10*time.Second, 2*time.Hour + 30*time.Minute, 1500 * time.Millisecond} {
		s := stack.FormatDuration(d)
		back, err := time.ParseDuration(s)
		if err != nil || back != d {
			t.Errorf("FormatDuration(%v) = %q, which reads back as %v (%v)", d, s, back, err)
		}
	}
	for d, want := range map[time.Duration]string{10 * time.Minute: "10m", time.Hour: "1h", 10 * time.Second: "10s"} {
		if got := stack.FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q; want %q", d, got, want)
		}
	}
}
