package stack_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/cfnfargate/cfnfargate/internal/copilot"
	"github.com/cfnfargate/cfnfargate/internal/testenv"
	"github.com/cfnfargate/cfnfargate/stack"
)

// Copilot's documented values for keys a manifest leaves out, read here
// independently of the importer (Copilot's internal/pkg/manifest/lb_web_svc.go,
// newDefaultLoadBalancedWebService; http-healthcheck.en.md).
const (
	copilotCPU             = 256
	copilotMemory          = 512
	copilotHealthCheckPath = "/"
)

// TestCopilotCorpus proves every manifest of testdata/copilot/, imported as
// its import.yaml says, builds templates that keep the rules AWS enforces
// at deploy time: the base values and each environment's layer, as emit
// --config (--environment NAME) builds them. It also proves that the task
// size, the container port and the health-check path are the manifest's,
// or Copilot's defaults where it leaves them out, read from the manifest
// here, with the environment's overrides laid over it.
// Proves: every imported config passes the AWS-side rules, and carries
// over what the service runs with.
func TestCopilotCorpus(t *testing.T) {
	root := filepath.Join("..", "testdata", "copilot")
	cases := testenv.CopilotCases(t, root)
	if len(cases) == 0 {
		t.Fatal("no cases in testdata/copilot")
	}
	for _, tc := range cases {
		t.Run(tc.Dir, func(t *testing.T) {
			data, err := os.ReadFile(tc.Manifest)
			if err != nil {
				t.Fatal(err)
			}
			res, err := copilot.Import(data, copilot.Options{App: tc.Flag("app"), Env: tc.Flag("env"), Image: tc.Flag("image"), Getenv: tc.Getenv,
				ReadEnvFile: func(p string) ([]byte, error) { return os.ReadFile(filepath.Join(root, "..", "..", p)) }})
			if err != nil {
				t.Fatal(err)
			}
			var manifest map[string]any
			if err := yaml.Unmarshal(data, &manifest); err != nil {
				t.Fatal(err)
			}
			configs := []struct {
				env      string
				settings []copilot.Setting
			}{{tc.Flag("env"), res.Settings}}
			for _, l := range res.Layers {
				configs = append(configs, struct {
					env      string
					settings []copilot.Setting
				}{l.Name, l.Settings})
			}
			for i, c := range configs {
				cfg := stack.Default()
				for _, s := range c.settings {
					if s.Deferred {
						continue
					}
					row, _ := stack.LookupSetting(s.Key)
					if err := row.Set(&cfg, s.Values); err != nil {
						t.Fatalf("%s: %v", s.Key, err)
					}
				}
				if i > 0 {
					// A layer: as emit --config --environment NAME reads it.
					cfg.Environment = stack.Environment{Name: c.env, Dedicated: true}
				}
				what := tc.Dir
				if c.env != "" {
					what += " (environment " + c.env + ")"
				}
				doc := document(t, cfg)
				checkAWSRules(t, what, doc)
				checkCarriedOver(t, what, doc, withEnvironment(manifest, c.env))
			}
		})
	}
}

// withEnvironment lays the manifest's overrides for env over its base
// values, as Copilot does: maps merge key by key, anything else replaces.
func withEnvironment(manifest map[string]any, env string) map[string]any {
	envs, _ := manifest["environments"].(map[string]any)
	override, _ := envs[env].(map[string]any)
	return merge(manifest, override)
}

func merge(base, override map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range override {
		b, bok := out[k].(map[string]any)
		o, ook := v.(map[string]any)
		if bok && ook {
			out[k] = merge(b, o)
		} else {
			out[k] = v
		}
	}
	return out
}

// checkCarriedOver compares the template with what the manifest says the
// service runs with.
func checkCarriedOver(t *testing.T, what string, doc map[string]any, manifest map[string]any) {
	t.Helper()
	cpu, memory := orDefault(manifest["cpu"], copilotCPU), orDefault(manifest["memory"], copilotMemory)
	image, _ := manifest["image"].(map[string]any)
	port := image["port"]
	http, _ := manifest["http"].(map[string]any)
	path := any(copilotHealthCheckPath)
	switch hc := http["healthcheck"].(type) {
	case string:
		path = hc
	case map[string]any:
		if p, ok := hc["path"]; ok {
			path = p
		}
	}
	task := at(t, doc, "Resources", "TaskDefinition", "Properties").(map[string]any)
	if fmt.Sprint(task["Cpu"]) != fmt.Sprint(cpu) || fmt.Sprint(task["Memory"]) != fmt.Sprint(memory) {
		t.Errorf("%s: task size %v CPU, %v MiB; the manifest says %v and %v", what, task["Cpu"], task["Memory"], cpu, memory)
	}
	if got := at(t, task, "ContainerDefinitions", 0, "PortMappings", 0, "ContainerPort"); fmt.Sprint(got) != fmt.Sprint(port) {
		t.Errorf("%s: container port %v, the manifest says %v", what, got, port)
	}
	groups := resourcesOfType(doc, "AWS::ElasticLoadBalancingV2::TargetGroup")
	if len(groups) == 0 {
		t.Errorf("%s: no target group", what)
	}
	for id, props := range groups {
		if fmt.Sprint(props["HealthCheckPath"]) != fmt.Sprint(path) {
			t.Errorf("%s: %s checks health at %v, the manifest says %v", what, id, props["HealthCheckPath"], path)
		}
	}
}

func orDefault(v any, def int) any {
	if v == nil {
		return def
	}
	return v
}
