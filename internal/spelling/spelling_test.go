package spelling

import "testing"

// Proves: the distance counts insertions, deletions and substitutions,
// and Closest picks the nearest known word within the bound, or none.
func TestClosest(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"cpu", "cpu", 0}, {"cpu", "cpus", 1}, {"memroy", "memory", 2}, {"kitten", "sitting", 3}, {"", "abc", 3}} {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d; want %d", tc.a, tc.b, got, tc.want)
		}
		if Distance(tc.a, tc.b) != Distance(tc.b, tc.a) {
			t.Errorf("Distance(%q, %q) is not symmetric", tc.a, tc.b)
		}
	}
	known := []string{"desired-count", "memory", "cpu"}
	if got := Closest("desired-cont", known, 4); got != "desired-count" {
		t.Errorf("Closest(desired-cont) = %q", got)
	}
	if got := Closest("zzzzzz", known, 4); got != "" {
		t.Errorf("Closest(zzzzzz) = %q; want none", got)
	}
}
