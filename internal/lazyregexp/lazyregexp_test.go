package lazyregexp

import (
	"regexp"
	"sync"
	"testing"
)

// TestSameAsRegexp proves a lazy Regexp answers as the compiled one does.
func TestSameAsRegexp(t *testing.T) {
	const pattern = `\$\{([^!}][^}]*)\}`
	lazy, eager := New(pattern), regexp.MustCompile(pattern)
	for _, s := range []string{"", "${A}", "x${A.B}y${!C}z${D}", "no variables"} {
		if got, want := lazy.MatchString(s), eager.MatchString(s); got != want {
			t.Errorf("MatchString(%q) = %v, want %v", s, got, want)
		}
		if got, want := lazy.ReplaceAllString(s, "<$1>"), eager.ReplaceAllString(s, "<$1>"); got != want {
			t.Errorf("ReplaceAllString(%q) = %q, want %q", s, got, want)
		}
		if got, want := len(lazy.FindAllStringSubmatch(s, -1)), len(eager.FindAllStringSubmatch(s, -1)); got != want {
			t.Errorf("FindAllStringSubmatch(%q): %d matches, want %d", s, got, want)
		}
		if got, want := len(lazy.FindStringSubmatch(s)), len(eager.FindStringSubmatch(s)); got != want {
			t.Errorf("FindStringSubmatch(%q): %d groups, want %d", s, got, want)
		}
	}
	if lazy.String() != pattern {
		t.Errorf("String() = %q", lazy.String())
	}
}

// TestCompilesOnce proves concurrent first uses share one compiled
// expression (run with -race).
func TestCompilesOnce(t *testing.T) {
	r := New(`^a+$`)
	var wg sync.WaitGroup
	got := make([]*regexp.Regexp, 8)
	for i := range got {
		wg.Go(func() { got[i] = r.Regexp() })
	}
	wg.Wait()
	for _, g := range got {
		if g != got[0] {
			t.Fatal("compiled more than once")
		}
	}
}

// TestBadPatternPanicsOnUse proves a bad pattern fails loudly, at first use
// rather than at start-up.
func TestBadPatternPanicsOnUse(t *testing.T) {
	r := New(`(`)
	defer func() {
		if recover() == nil {
			t.Error("a bad pattern did not panic on use")
		}
	}()
	r.MatchString("x")
}
