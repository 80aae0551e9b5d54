package main

import "testing"

// Proves run's RunTask client token is one ECS takes (up to 64 characters
// from ! to ~, ECS API reference, RunTask clientToken) and differs
// between runs, so that two runs of one command are two tasks while a
// retried call of one run is not.
func TestRunToken(t *testing.T) {
	a, err := runToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := runToken()
	if a == b {
		t.Errorf("two runs share the token %s", a)
	}
	if len(a) > 64 {
		t.Errorf("token %q is %d characters; ECS takes 64", a, len(a))
	}
	for _, r := range a {
		if r < '!' || r > '~' {
			t.Errorf("token %q has %q, outside ! to ~", a, r)
		}
	}
}
