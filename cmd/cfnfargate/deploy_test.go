package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/deploy"
	"github.com/cfnfargate/cfnfargate/stack/deploy/watch"
)

// testDeployOptions are deploy options without a cli.App: the input is
// valid, and run fails the test unless a case sets it.
func testDeployOptions(t *testing.T) *deployOptions {
	var out, errOut bytes.Buffer
	return &deployOptions{
		readLocal: func() (*stackSources, error) { return nil, nil },
		readStack: func(*stackSources, []stack.Problem) (*stackRun, error) {
			return &stackRun{in: deploy.Input{StackName: "demo"}}, nil
		},
		labels:  func(name string) string { return "--" + name },
		timeout: time.Hour,
		stdout:  &out, stderr: &errOut,
		run: func(func(context.Context, *deploy.Deployer) error) error {
			t.Error("the deploy ran")
			return nil
		},
		hinted: func(err error) error { return err },
		steps:  func([]deploy.Step) string { return "" },
	}
}

func TestDeployOptionsValidate(t *testing.T) {
	// Proves: the new flags are checked before anything runs, each problem
	// keyed by its flag, all at once; valid ones reach the deploy input.
	dir := t.TempDir()
	cases := []struct {
		name string
		set  func(o *deployOptions)
		want []string
	}{
		{"negative deploy timeout", func(o *deployOptions) { o.deployTimeout = -time.Minute }, []string{"--deploy-timeout: -1m0s is not a positive duration"}},
		{"deploy timeout past the wait", func(o *deployOptions) { o.deployTimeout = 2 * time.Hour },
			[]string{"--deploy-timeout: 2h0m0s is longer than --timeout 1h0m0s"}},
		{"fail-fast and deploy timeout without waiting", func(o *deployOptions) { o.noWait, o.failFast, o.deployTimeout = true, true, time.Minute },
			[]string{"--fail-fast: needs the deploy to wait", "--deploy-timeout: needs the deploy to wait"}},
		{"report is a directory", func(o *deployOptions) { o.reportPath = dir }, []string{"--report: " + dir + " is a directory"}},
		{"report in a missing directory", func(o *deployOptions) { o.reportPath = filepath.Join(dir, "nope", "r.json") },
			[]string{"the directory " + filepath.Join(dir, "nope") + " does not exist"}},
		{"settings problems come too", func(o *deployOptions) {
			o.reportPath = dir
			o.readLocal = func() (*stackSources, error) {
				return nil, &stack.ValidationError{Problems: []stack.Problem{{Key: "--cpu", Message: "bad"}}}
			}
		}, []string{"--cpu: bad", "--report:"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := testDeployOptions(t)
			tc.set(o)
			err := o.Validate()
			var verr *stack.ValidationError
			if !errors.As(err, &verr) || deploy.ExitCode(err) != deploy.ExitInput {
				t.Fatalf("err = %v, want problems (exit 2)", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
	o := testDeployOptions(t)
	o.failFast, o.deployTimeout, o.reportPath = true, 20*time.Minute, filepath.Join(dir, "report.json")
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	if !o.in.FailFast || o.in.DeployTimeout != 20*time.Minute || o.in.Timeout != time.Hour {
		t.Errorf("input = %+v", o.in)
	}
}

func TestDeployExecuteNamesTheFixAndWritesTheReport(t *testing.T) {
	// Proves: a deploy that failed with an ECS cause ends with the flags to
	// check (the library names settings; the command words them), the
	// report is written even though the deploy failed, and the exit code
	// stays the failure's.
	report := filepath.Join(t.TempDir(), "report.json")
	o := testDeployOptions(t)
	o.reportPath = report
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	cause := watch.Classify(watch.Task{StopCode: "TaskFailedToStart",
		StoppedReason: "CannotPullContainerError: failed to resolve ref docker.io/library/nginx:nope: not found"})
	failed := &deploy.FailedError{Stack: "demo", Operation: "create", Status: "ROLLBACK_COMPLETE",
		Service: &watch.Verdict{Stopped: 3, Count: 3, Cause: &cause}}
	o.run = func(func(context.Context, *deploy.Deployer) error) error { return failed }
	err := o.Execute(t.Context())
	if deploy.ExitCode(err) != deploy.ExitFailure {
		t.Fatalf("exit code %d, want %d (%v)", deploy.ExitCode(err), deploy.ExitFailure, err)
	}
	// The fix follows the ECS cause, on the next line.
	for _, want := range []string{"Service failed: 3 tasks stopped: the image was not found", "not found)\n→ check " + settingFlag(stack.KeyImage)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	data, rerr := os.ReadFile(report)
	if rerr != nil {
		t.Fatal(rerr)
	}
	var doc struct {
		Outcome string
		Cause   watch.Verdict
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, data)
	}
	if doc.Outcome != "failed" || doc.Cause.Cause == nil || doc.Cause.Cause.Kind != watch.ImageNotFound {
		t.Errorf("report = %s", data)
	}
}

func TestDeployBadNewFlagsBeforeAnyCall(t *testing.T) {
	// Proves: through the CLI, the new flags' problems come with the
	// others, exit 2, before any AWS call (there is no endpoint to call).
	clearEnv(t)
	code, _, stderr := runCLI(t, "deploy", "--stack", "demo", "--no-wait", "--fail-fast", "--report", t.TempDir(),
		"--endpoint-url", "http://127.0.0.1:1")
	if code != deploy.ExitInput {
		t.Fatalf("exit %d, want 2; stderr:\n%s", code, stderr)
	}
	for _, want := range []string{"--fail-fast: needs the deploy to wait", "--report:"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

func TestSettingFlagNamesParametersByTheirFlags(t *testing.T) {
	// Proves: a cause that names a deploy parameter is worded with its
	// flag, and a setting with its own.
	if got := settingFlag(stack.ParamPrivateSubnetIDs); got != "--private-subnets" {
		t.Errorf("settingFlag(%s) = %s", stack.ParamPrivateSubnetIDs, got)
	}
	if got := settingFlag(stack.KeyMemory); got != "--memory" {
		t.Errorf("settingFlag(%s) = %s", stack.KeyMemory, got)
	}
}

func TestREADMEShowsTheDefaultBudget(t *testing.T) {
	// Proves: the budget the README shows for the defaults is the one the
	// command prints for them.
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if want := budgetLine(*settingsTiming(stack.Default())); !strings.Contains(string(readme), want) {
		t.Errorf("README lacks %q", want)
	}
}
