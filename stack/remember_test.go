package stack_test

import (
	"slices"
	"testing"

	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/format"
)

// Proves a setting's value is read back from the parameter it gives its
// value to, for every setting that has a parameter: what the template
// writes for a value is read as that value again.
func TestFromParameter(t *testing.T) {
	for _, s := range stack.Settings() {
		if s.Parameter == "" {
			if _, ok := s.FromParameter("x"); ok {
				t.Errorf("%s has no parameter, but FromParameter reads one", s.Key)
			}
			continue
		}
		cfg := stack.Default()
		cfg.Scaling.MaxCount, cfg.Scaling.MinCount = 4, 2 // so that MinCount and MaxCount are declared
		cfg.Service.PublicTasks = true
		want := s.Value(cfg)
		if s.Key == stack.KeyDesiredCount {
			cfg = stack.Default()
			cfg.Service.DesiredCount = 3
			want = s.Value(cfg)
		}
		param, ok := stack.SettingParameters(cfg, map[string]bool{s.Key: true})[s.Parameter]
		if !ok {
			t.Fatalf("%s: the template declares no %s for %+v", s.Key, s.Parameter, want)
		}
		got, ok := s.FromParameter(param)
		if !ok || !slices.Equal(got, want) {
			t.Errorf("%s: parameter %s=%s reads back as %q, %v; want %q", s.Key, s.Parameter, param, got, ok, want)
		}
	}
	public, _ := stack.LookupSetting(stack.KeyPublicTasks)
	if _, ok := public.FromParameter("MAYBE"); ok {
		t.Error("public-tasks read a value that no value of it gives")
	}
}

// Proves the name a template was built with is read back from it, in
// YAML and JSON: a name given, and the stack's (empty) for a template
// built without one.
func TestNameInTemplate(t *testing.T) {
	named := stack.Default()
	named.Name = "shop"
	for _, tt := range []struct {
		cfg  stack.Config
		want string
	}{{stack.Default(), ""}, {named, "shop"}} {
		doc, err := stack.Build(tt.cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, write := range []func(format.Document) ([]byte, error){format.YAML, format.JSON} {
			body, err := write(doc)
			if err != nil {
				t.Fatal(err)
			}
			if got, ok := stack.NameInTemplate(string(body)); !ok || got != tt.want {
				t.Errorf("name %q, %v; want %q", got, ok, tt.want)
			}
		}
	}
	if _, ok := stack.NameInTemplate("Resources: {Topic: {Type: AWS::SNS::Topic}}"); ok {
		t.Error("a template without a task definition gave a name")
	}
}
