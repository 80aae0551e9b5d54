package main

import (
	"errors"
	"io"
	"testing"

	"github.com/cfnfargate/cfnfargate/stack"
)

// FuzzConfigFile proves that any config file either is rejected with an
// error, or yields settings that pass Validate and build a template: never
// a panic.
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
	f.Fuzz(func(t *testing.T, data []byte) {
		file, problems, err := parseConfigFile("fuzz.yaml", data, keys)
		if err != nil || len(problems) > 0 {
			return
		}
		cfg := stack.Default()
		for _, s := range settings {
			if v, ok := file[s.key]; ok {
				if err := s.apply(&cfg, v.values); err != nil {
					return
				}
			}
		}
		err = cfg.Validate()
		tmpl, buildErr := stack.Build(cfg)
		if (err == nil) != (buildErr == nil) {
			t.Fatalf("Validate = %v but Build = %v", err, buildErr)
		}
		var verr *stack.ValidationError
		if err != nil && !errors.As(err, &verr) {
			t.Fatalf("Validate returned %T, want *ValidationError", err)
		}
		if err == nil {
			if _, err := renderTemplate(cfg, "yaml"); err != nil || tmpl == nil {
				t.Fatalf("valid config did not render: %v", err)
			}
		}
	})
}
