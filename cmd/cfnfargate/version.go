package main

import (
	"fmt"
	"runtime/debug"
)

// buildVersion is what --version prints after the name.
func buildVersion() string {
	info, _ := debug.ReadBuildInfo()
	return versionText(info)
}

// versionText describes a build from the Go toolchain's build info: the
// module version (set by go install module@version), or "devel", then the
// commit and whether the work tree had changes. go run and go test stamp
// no commit, and a build with -buildvcs=false neither.
func versionText(info *debug.BuildInfo) string {
	if info == nil {
		return "devel"
	}
	v := info.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	var revision string
	var modified bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if revision == "" {
		return v
	}
	revision = revision[:min(len(revision), 12)]
	if modified {
		return fmt.Sprintf("%s (commit %s, modified)", v, revision)
	}
	return fmt.Sprintf("%s (commit %s)", v, revision)
}
