package operate

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Proves the package writes no command line or flag of the CLI into its
// errors, notes or results, as package deploy does not ("Libraries say
// what; the CLI says where"): problems are keyed by field, and cmd words
// the hints.
func TestNoCLIVocabulary(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	commandLine := regexp.MustCompile("cfnfargate [a-z]+ --|\"--[a-z]|`--[a-z]")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if commandLine.MatchString(line) {
				t.Errorf("%s:%d uses CLI vocabulary: %s", f, i+1, strings.TrimSpace(line))
			}
		}
	}
}
