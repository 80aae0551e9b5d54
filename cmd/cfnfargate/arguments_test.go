package main

import (
	"strings"
	"testing"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// TestRejectsArguments proves that every command refuses a positional
// argument with exit 2 before doing anything, and that a word after a
// switch is explained: `--spot false` would turn Spot on.
func TestRejectsArguments(t *testing.T) {
	clearEnv(t)
	isolateAWS(t, "eu-west-1")
	endpoint, requests := requestCounter(t)
	aws := []string{"--stack", "shop", "--endpoint-url", endpoint}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"emit: a value after a switch", []string{"emit", "--spot", "false"},
			`unexpected argument "false" after --spot: --spot is a switch and takes no separate value; write --spot=false`},
		{"emit: true after a switch", []string{"emit", "--public-tasks", "true", "--cpu", "512"},
			"write --public-tasks=true"},
		{"emit: a stray word", []string{"emit", "template.yaml"}, `unexpected argument "template.yaml": cfnfargate emit takes flags only`},
		{"emit: a word after a flag with a value", []string{"emit", "--cpu", "512", "1024"}, `unexpected argument "1024"`},
		{"emit: after --", []string{"emit", "--", "--cpu"}, `unexpected argument "--cpu"`},
		{"deploy", append(append([]string{"deploy"}, network...), "--endpoint-url", endpoint, "--no-wait", "false"), "write --no-wait=false"},
		{"diff", append(append([]string{"diff"}, network...), "--endpoint-url", endpoint, "shop"), `unexpected argument "shop": cfnfargate diff takes flags only`},
		{"status", append([]string{"status"}, append(aws, "shop")...), `unexpected argument "shop": cfnfargate status takes flags only`},
		{"delete: a value after --yes", append([]string{"delete"}, append(aws, "--yes", "false")...), "write --yes=false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != deploy.ExitInput || stdout != "" || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stdout %.80q, stderr %q; want exit 2 and %q", code, stdout, stderr, tt.want)
			}
		})
	}
	if n := requests(); n != 0 {
		t.Errorf("%d requests reached AWS; want none", n)
	}
	// A switch written with its value, and help, are no arguments.
	if code, _, stderr := runCLI(t, "emit", "--spot=false"); code != 0 {
		t.Errorf("--spot=false: exit %d, stderr %s", code, stderr)
	}
	if code, stdout, _ := runCLI(t, "emit", "help"); code != 0 || !strings.Contains(stdout, "--output") {
		t.Errorf("emit help: exit %d, stdout %.80q", code, stdout)
	}
}
