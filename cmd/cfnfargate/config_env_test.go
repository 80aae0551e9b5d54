package main

import (
	"strings"
	"testing"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

const layeredConfig = `name: shop
desired-count: 1
cpu: 256
memory: 512
environments:
  staging:
    stack: shop-staging
  prod:
    desired-count: 3
    cpu: 512
    memory: 1024
`

// Proves: a named environment's layer lies over the base keys of the
// config file, and under the variables and flags; without a layer, or with
// a layer that does not set a key, the base key holds.
func TestConfigEnvironmentLayers(t *testing.T) {
	clearEnv(t)
	path := writeConfig(t, layeredConfig)
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{"base", nil, nil, []string{"Default: 1\n", `Cpu: "256"`}},
		{"prod layer", nil, []string{"--environment", "prod", "--host", "shop.example.com"}, []string{"Default: 3\n", `Cpu: "512"`, `Memory: "1024"`}},
		{"staging layer keeps the base", nil, []string{"--environment", "staging", "--host", "shop.example.com"}, []string{"Default: 1\n", `Cpu: "256"`}},
		{"a flag beats the layer", nil, []string{"--environment", "prod", "--host", "shop.example.com", "--desired-count", "5"}, []string{"Default: 5\n"}},
		{"the variable picks the layer", map[string]string{"CFNFARGATE_ENVIRONMENT": "prod", "CFNFARGATE_HOST": "shop.example.com"}, nil, []string{"Default: 3\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emitContains(t, tt.env, append([]string{"--config", path}, tt.args...), tt.want)
		})
	}
}

// Proves: the layers keep the file's strictness: an unknown key, a key that
// cannot be in a layer, an environment the file does not have, and a bad
// value each name the file, the line and the layer.
func TestConfigEnvironmentProblems(t *testing.T) {
	clearEnv(t)
	path := writeConfig(t, layeredConfig+"  dev:\n    desired-cont: 2\n    environment: x\n  qa: [1]\n")
	code, _, stderr := runCLI(t, "emit", "--config", path)
	for _, want := range []string{
		`line 13 in environments.dev: unknown key "desired-cont": did you mean "desired-count"?`,
		"line 14: environments.dev: environment is not allowed inside an environment's layer",
		"line 15: environments.qa: expected a mapping",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if code != deploy.ExitInput {
		t.Errorf("exit %d; want %d", code, deploy.ExitInput)
	}

	path = writeConfig(t, layeredConfig+"    memory: 3\n")
	code, _, stderr = runCLI(t, "emit", "--config", path, "--environment", "prod", "--host", "a.example.com")
	if code != deploy.ExitInput || !strings.Contains(stderr, "line 12 in environments.prod: memory is set twice") {
		t.Errorf("exit %d, stderr %s", code, stderr)
	}

	path = writeConfig(t, layeredConfig)
	code, _, stderr = runCLI(t, "emit", "--config", path, "--environment", "dev")
	if code != deploy.ExitInput || !strings.Contains(stderr, `"dev" is not one of the environments of config file `+path+": prod, staging") {
		t.Errorf("unknown environment: exit %d, stderr %s", code, stderr)
	}
	path = writeConfig(t, strings.Replace(layeredConfig, "cpu: 512", "cpu: 300", 1))
	code, _, stderr = runCLI(t, "emit", "--config", path, "--environment", "prod", "--host", "a.example.com")
	if code != deploy.ExitInput || !strings.Contains(stderr, "cpu in "+path+" line 10 (environments.prod): 300 is not allowed") {
		t.Errorf("bad value in a layer: exit %d, stderr %s", code, stderr)
	}
}

// Proves: config render prints what an environment sees, marking the keys
// its layer set, and refuses an environment the file does not have.
func TestConfigRender(t *testing.T) {
	clearEnv(t)
	path := writeConfig(t, layeredConfig)
	code, stdout, stderr := runCLI(t, "config", "render", "--config", path, "--env", "prod")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	for _, want := range []string{"cpu: 512 # environments.prod\n", "desired-count: 3 # environments.prod\n", "name: shop\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("render lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "shop-staging") {
		t.Errorf("render of prod shows staging's stack:\n%s", stdout)
	}
	if code, _, _ := runCLI(t, "config", "render", "--config", path, "--env", "dev"); code != deploy.ExitInput {
		t.Errorf("render of an unknown environment: exit %d", code)
	}
}

// Proves: the env commands read the config file as the others do (an
// unknown key is refused before any request), take the environment from
// the file's base key, and always work on env-NAME: a layer's stack key
// names a service's stack, never the environment's.
func TestEnvCommandsReadTheConfigFile(t *testing.T) {
	clearEnv(t)
	isolateAWS(t, "eu-west-1")
	cf := newFakeCloudFormation(t)
	bogus := writeConfig(t, "environment: prod\nendpoint-url: "+cf.URL+"\nbogus-key: 1\n")
	if code, _, stderr := runCLI(t, "env", "status", "--config", bogus); code != deploy.ExitInput || !strings.Contains(stderr, `unknown key "bogus-key"`) {
		t.Errorf("env status with an unknown key: exit %d, stderr %s", code, stderr)
	}
	if got := cf.Requests(); len(got) != 0 {
		t.Errorf("a bad config file still sent %v", got)
	}
	config := writeConfig(t, "environment: prod\nendpoint-url: "+cf.URL+"\nenvironments:\n  prod:\n    stack: shop\n")
	code, _, stderr := runCLI(t, "env", "status", "--config", config)
	if code != deploy.ExitFailure || !strings.Contains(stderr, "env-prod") {
		t.Errorf("env status: exit %d, stderr %s; want env-prod, which the fake does not have", code, stderr)
	}
	for _, r := range cf.Requests() {
		if strings.HasSuffix(r, " shop") {
			t.Errorf("env status asked about the service's stack: %s", r)
		}
	}
	if code, _, stderr := runCLI(t, "env", "delete", "--yes", "--endpoint-url", cf.URL); code != deploy.ExitInput || !strings.Contains(stderr, "--environment: is required") {
		t.Errorf("env delete without an environment: exit %d, stderr %s", code, stderr)
	}
}
