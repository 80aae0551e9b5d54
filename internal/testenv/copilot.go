package testenv

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"
)

// CopilotCase is one manifest of the Copilot corpus, testdata/copilot/DIR/:
// manifest.yml, and import.yaml with how the tests import it.
type CopilotCase struct {
	// Dir is the case's directory name, and Manifest its manifest's path.
	Dir      string
	Manifest string
	// Flags are the flags of cfnfargate import copilot, given after the
	// manifest when After is true.
	Flags []string
	After bool
	// Shell holds the variables the import sees in its environment.
	Shell map[string]string
}

// Flag returns the value of --name in the case's flags, or "".
func (c CopilotCase) Flag(name string) string {
	for i := 0; i+1 < len(c.Flags); i += 2 {
		if c.Flags[i] == "--"+name {
			return c.Flags[i+1]
		}
	}
	return ""
}

// Getenv reads the case's shell variables, as os.LookupEnv reads the
// environment.
func (c CopilotCase) Getenv(name string) (string, bool) {
	v, ok := c.Shell[name]
	return v, ok
}

// CopilotCases reads every case under root (testdata/copilot), in the
// order of their directory names; a directory without import.yaml is not
// a case.
func CopilotCases(t testing.TB, root string) []CopilotCase {
	t.Helper()
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var cases []CopilotCase
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(root, e.Name(), "import.yaml"))
		if os.IsNotExist(err) || !e.IsDir() {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		c := CopilotCase{Dir: e.Name(), Manifest: filepath.Join(root, e.Name(), "manifest.yml")}
		var spec struct {
			Flags []string          `yaml:"flags"`
			After bool              `yaml:"after"`
			Shell map[string]string `yaml:"shell"`
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&spec); err != nil {
			t.Fatalf("%s/import.yaml: %v", e.Name(), err)
		}
		c.Flags, c.After, c.Shell = spec.Flags, spec.After, spec.Shell
		cases = append(cases, c)
	}
	return cases
}
