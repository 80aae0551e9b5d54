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
	recordSkip(tool)
	t.Skipf("skipping: tool %q not found on PATH; install it (%s), or set CI=true to turn this skip into a failure", tool, installHint(tool))
	return ""
}

// SkippedToolsEnv names a file to which Require appends each tool it skips
// for, one per line, so that `make test` can end with a line that lists
// them: a green run that skipped the end-to-end tests must say so.
const SkippedToolsEnv = "CFNFARGATE_SKIPPED_TOOLS_FILE"

func recordSkip(tool string) {
	path := os.Getenv(SkippedToolsEnv)
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return // the summary line is a courtesy; the skip itself is reported
	}
	defer f.Close()
	// One short write with O_APPEND: test binaries running in parallel do
	// not interleave their lines.
	_, _ = f.WriteString(tool + " (" + installHint(tool) + ")\n")
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
