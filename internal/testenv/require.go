package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// Require returns the path of tool on PATH. When the tool is missing it skips
// the test, or fails it when the environment has CI=true: a CI run that
// skipped every integration test would look green while proving nothing.
func Require(t testing.TB, tool string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true: required tool %q not found on PATH; install it (%s)", tool, installHint(tool))
		return ""
	}
	t.Skipf("skipping: tool %q not found on PATH; install it (%s), or set CI=true to turn this skip into a failure", tool, installHint(tool))
	return ""
}

// installHint says how to get a tool this package knows how to drive.
func installHint(tool string) string {
	switch tool {
	case "moto_server":
		return "pip install 'moto[server]'"
	case "cfn-lint":
		return "pip install cfn-lint"
	case "aws":
		return "pip install awscli"
	default:
		return "see the tool's documentation"
	}
}
