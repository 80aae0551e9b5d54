package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// Lint runs cfn-lint over the template files at paths and fails the test,
// with cfn-lint's full report, if cfn-lint reports anything at all: errors,
// warnings and informational findings all count. cfn-lint 1.x runs only E and
// W rules unless told otherwise (e.g. "-c I" or a .cfnlintrc), so by default
// that means errors and warnings. cfn-lint takes seconds to start, so Lint
// skips under -short.
func Lint(t testing.TB, paths ...string) {
	t.Helper()
	SkipIfShort(t, "runs cfn-lint")
	Require(t, "cfn-lint")
	if report, err := LintOutput(paths...); err != nil {
		t.Errorf("cfn-lint %s: %v\n%s", strings.Join(paths, " "), err, report)
	}
}

// LintOutput runs cfn-lint over the template files at paths and returns its
// report. A clean run returns an empty report and a nil error. Any finding, or
// a failure to run cfn-lint at all, returns a non-nil error; the error
// carries cfn-lint's stderr and the report holds its findings.
//
// cfn-lint works offline: its resource schemas ship inside the package and it
// only goes to the network for --update-specs, which is never passed here.
func LintOutput(paths ...string) (string, error) {
	if len(paths) == 0 {
		return "", errors.New("cfn-lint: no template paths given")
	}
	// cfn-lint takes its default region from AWS_REGION / AWS_DEFAULT_REGION
	// (cfnlint/config.py), so pin it: the same template must lint the same way
	// on every machine.
	args := append([]string{"--regions", "us-east-1", "--"}, paths...)
	cmd := exec.Command("cfn-lint", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	report := stdout.String()

	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		// The exit code is a bitmask (2 error, 4 warning, 8 informational),
		// so any non-zero code means at least one finding or a crash.
		return report, fmt.Errorf("cfn-lint exit code %d: %s", exitErr.ExitCode(), describeStderr(stderr.String()))
	case err != nil:
		return report, fmt.Errorf("run cfn-lint: %w", err)
	case strings.TrimSpace(report) != "":
		// Exit code 0 with a report would mean a finding below the configured
		// --non-zero-exit-code threshold (e.g. from a .cfnlintrc); it still
		// counts.
		return report, errors.New("cfn-lint exited 0 but printed findings")
	}
	return "", nil
}

func describeStderr(stderr string) string {
	if s := strings.TrimSpace(stderr); s != "" {
		return "stderr: " + s
	}
	return "no stderr"
}
