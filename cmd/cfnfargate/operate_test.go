package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// Proves each day-2 command refuses bad input with exit 2 and a message
// naming the flag, before it connects to AWS (no region or credentials
// are set, so a command that got that far would fail differently).
func TestOperationsRefuseBadInput(t *testing.T) {
	clearEnv(t)
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"logs"}, []string{"--stack", "a stack name is required"}},
		{[]string{"logs", "--stack", "1bad"}, []string{"--stack"}},
		{[]string{"logs", "--stack", "shop", "--since", "-5m"}, []string{"--since", "negative"}},
		{[]string{"logs", "--stack", "shop", "--previous", "--follow"}, []string{"--previous", "--follow"}},
		{[]string{"logs", "--stack", "shop", "--filter", strings.Repeat("x", 1025)}, []string{"--filter", "1024"}},
		{[]string{"tasks", "--stack", "shop", "--stop", "abc", "--stopped"}, []string{"--stop", "--stopped"}},
		{[]string{"tasks", "--stack", "shop", "--stop", ""}, []string{"--stop"}},
		{[]string{"scale", "--stack", "shop"}, []string{"--count", "give a task count"}},
		{[]string{"scale", "--stack", "shop", "--count", "2", "--max", "3"}, []string{"--count", "not both"}},
		{[]string{"scale", "--stack", "shop", "--count", "5001"}, []string{"--count", "0 to 5000"}},
		{[]string{"scale", "--stack", "shop", "--min", "4", "--max", "2"}, []string{"--min", "above max 2"}},
		{[]string{"scale", "--stack", "shop", "--count", "x"}, []string{"count"}},
		{[]string{"history", "--stack", "shop", "--diff", "3"}, []string{"--diff", "two release numbers"}},
		{[]string{"history", "--stack", "shop", "--diff", "0,2"}, []string{"--diff", "not a release number"}},
		{[]string{"rollback", "--stack", "shop", "--to", "0"}, []string{"--to", "not a release number"}},
		{[]string{"rollback", "--stack", "shop", "--to", "2", "--in-flight"}, []string{"--in-flight", "--to"}},
		{[]string{"rollback", "--stack", "shop", "--timeout=0s"}, []string{"--timeout", "not a positive duration"}},
		{[]string{"run", "--stack", "shop"}, []string{"COMMAND", "after --"}},
		{[]string{"run", "--stack", "shop", "migrate"}, []string{"unexpected argument \"migrate\"", "after --"}},
		{[]string{"run", "migrate", "--stack", "shop"}, []string{"unexpected argument \"migrate\""}},
		{[]string{"exec", "--stack", "shop", "ls"}, []string{"unexpected argument \"ls\""}},
		{[]string{"tasks", "--stack", "shop", "extra"}, []string{"unexpected argument \"extra\""}},
	} {
		code, stdout, stderr := runCLI(t, tt.args...)
		if code != deploy.ExitInput || stdout != "" {
			t.Errorf("%q: exit %d, stdout %q; want 2 and nothing printed", tt.args, code, stdout)
		}
		for _, w := range tt.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%q: stderr lacks %q:\n%s", tt.args, w, stderr)
			}
		}
	}
}

// Proves a config file may hold the stack and the AWS access flags of the
// day-2 commands, but not a flag that acts on one run: a file that said
// stop would stop a task on every `tasks`.
func TestOperationsConfigFile(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "cfnfargate.yaml")
	if err := os.WriteFile(path, []byte("stack: shop\nstop: abc123\ncount: 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "tasks", "--config", path)
	if code != deploy.ExitInput || !strings.Contains(stderr, "stop in "+path+" line 2") || !strings.Contains(stderr, "--stop on the command line") {
		t.Errorf("tasks with stop in the config file: exit %d\n%s", code, stderr)
	}
	code, _, stderr = runCLI(t, "scale", "--config", path)
	if code != deploy.ExitInput || !strings.Contains(stderr, "count in "+path+" line 3") {
		t.Errorf("scale with count in the config file: exit %d\n%s", code, stderr)
	}
}

// Proves the options structs validate without a cli.App.
func TestOperationOptionsValidate(t *testing.T) {
	op := operation{Stack: "shop"}
	for _, tt := range []struct {
		name string
		v    interface{ Validate() error }
		ok   bool
	}{
		{"logs", &logsOptions{operation: op, Since: time.Minute}, true},
		{"logs previous with task", &logsOptions{operation: op, Previous: true, Task: "x"}, false},
		{"tasks", &tasksOptions{operation: op}, true},
		{"run", &runOptions{operation: op, Command: []string{"true"}}, true},
		{"run without a command", &runOptions{operation: op}, false},
		{"run with a huge command", &runOptions{operation: op, Command: []string{strings.Repeat("x", 9000)}}, false},
		{"exec", &execOptions{operation: op}, true},
		{"exec with a huge command", &execOptions{operation: op, Command: []string{strings.Repeat("x", 5000)}}, false},
		{"history", &historyOptions{operation: op, Diff: []int{1, 2}}, true},
		{"rollback", &rollbackOptions{operation: op, Timeout: time.Hour}, true},
		{"rollback without a stack", &rollbackOptions{Timeout: time.Hour}, false},
	} {
		err := tt.v.Validate()
		if (err == nil) != tt.ok {
			t.Errorf("%s: %v", tt.name, err)
		}
		if err != nil && deploy.ExitCode(err) != deploy.ExitInput {
			t.Errorf("%s: exit code %d, want 2", tt.name, deploy.ExitCode(err))
		}
	}
}
