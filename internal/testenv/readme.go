package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// READMESection compares content with the section of the README at path
// between the markers <!-- name:begin --> and <!-- name:end -->, a section
// the code generates. With update it rewrites the section instead (make
// golden), so that the README can never disagree with the code.
func READMESection(t *testing.T, path, name, content string, update bool) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	beginMarker, endMarker := "<!-- "+name+":begin -->\n", "<!-- "+name+":end -->"
	begin := strings.Index(readme, beginMarker)
	end := strings.Index(readme, endMarker)
	if begin < 0 || end < begin {
		t.Fatalf("%s has no %q ... %q section", path, strings.TrimSpace(beginMarker), endMarker)
	}
	start := begin + len(beginMarker)
	if readme[start:end] == content {
		return
	}
	if update {
		out := readme[:start] + content + readme[end:]
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s: the %s section differs from what the code generates; run make golden and review the diff\n--- generated:\n%s", filepath.Base(path), name, content)
}
