package main

import (
	"errors"
	"io"
	"testing"

	"github.com/cfnfargate/cfnfargate/stack"
)

// FuzzConfigFile proves that any config file either is rejected with an
// error, or yields settings that build a template, or problems that name
// only settings the command line has (so that each is labelled with the
// flag, variable or config key it came from): never a panic.
func FuzzConfigFile(f *testing.F) {
	f.Add([]byte("cpu: 512\nmemory: 1024\n"))
	f.Add([]byte("env:\n  A: b\n  C: d\n"))
	f.Add([]byte("env: [A=1, B=2]\nname: x\n"))
	f.Add([]byte("health-check-timeout: 300\n"))
	f.Add([]byte("- a\n"))
	f.Add([]byte("{cpu: {a: 1}}"))
	f.Add([]byte(""))
	f.Add([]byte("stack: shop\nparameter: {A: b}\ntimeout: 5m\n"))
	keys := configKeys(newApp(io.Discard, io.Discard).Commands)
	known := map[string]bool{}
	for _, s := range settings {
		known[s.Key] = true
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, problems, err := parseConfigFile("fuzz.yaml", data, keys)
		if err != nil || len(problems) > 0 {
			return
		}
		cfg := stack.Default()
		for _, s := range settings {
			if v, ok := file.base[s.Key]; ok {
				if err := s.Set(&cfg, v.values); err != nil {
					return
				}
			}
		}
		if err := cfg.Validate(); err != nil {
			var verr *stack.ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Validate = %v (%T), want a *stack.ValidationError", err, err)
			}
			for _, p := range verr.Problems {
				for _, key := range append([]string{p.Key}, p.Related...) {
					if !known[key] {
						t.Fatalf("problem %q names setting %q, which has no flag, variable or config key to point at", p, key)
					}
				}
			}
			return
		}
		if _, err := renderTemplate(cfg, "yaml"); err != nil {
			t.Fatalf("valid config did not render: %v", err)
		}
	})
}
