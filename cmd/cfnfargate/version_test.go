package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

// TestVersion proves --version prints the version and the commit of the
// build, and "devel" for go run and go test, which stamp no commit.
func TestVersion(t *testing.T) {
	code, stdout, stderr := runCLI(t, "--version")
	if code != 0 || !strings.HasPrefix(stdout, "cfnfargate version ") || stderr != "" {
		t.Errorf("--version: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	revision := []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"}}
	tests := []struct {
		name string
		info *debug.BuildInfo
		want string
	}{
		{"no build info", nil, "devel"},
		{"go run or go test", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "devel"},
		{"go build in a clean work tree", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: revision},
			"devel (commit 0123456789ab)"},
		{"go build with changes", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: append(revision, debug.BuildSetting{Key: "vcs.modified", Value: "true"})}, "devel (commit 0123456789ab, modified)"},
		{"go install module@version", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "v1.2.3"},
	}
	for _, tt := range tests {
		if got := versionText(tt.info); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
