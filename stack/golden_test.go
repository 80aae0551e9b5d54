package stack_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/cfnfargate/cfnfargate/internal/testenv"
	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/format"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ (make golden)")

// maxTemplateBody is CloudFormation's limit on a TemplateBody in bytes.
const maxTemplateBody = 51200

const goldenDir = "../testdata"

// render builds cfg and writes it as YAML or JSON.
func render(t testing.TB, cfg stack.Config, asJSON bool) []byte {
	t.Helper()
	return renderVariant(t, variant{cfg: func() stack.Config { return cfg }}, asJSON)
}

// renderVariant builds v and writes it as YAML or JSON.
func renderVariant(t testing.TB, v variant, asJSON bool) []byte {
	t.Helper()
	doc := v.document(t)
	write := format.YAML
	if asJSON {
		write = format.JSON
	}
	out, err := write(doc)
	if err != nil {
		t.Fatalf("format: %v", err)
	}
	return out
}

func goldenFiles(t testing.TB) []string {
	var files []string
	for _, v := range goldenVariants() {
		files = append(files, filepath.Join(goldenDir, v.name+".yaml"))
	}
	files = append(files, filepath.Join(goldenDir, "default.json"))
	return files
}

// TestGolden proves the emitted templates are exactly the reviewed files in
// testdata/, and stay under the TemplateBody limit.
func TestGolden(t *testing.T) {
	type output struct {
		file   string
		v      variant
		asJSON bool
	}
	var outputs []output
	for _, v := range goldenVariants() {
		outputs = append(outputs, output{v.name + ".yaml", v, false})
	}
	outputs = append(outputs, output{"default.json", variant{cfg: stack.Default}, true})

	for _, o := range outputs {
		t.Run(o.file, func(t *testing.T) {
			got := renderVariant(t, o.v, o.asJSON)
			if len(got) > maxTemplateBody {
				t.Errorf("template is %d bytes, over CloudFormation's TemplateBody limit of %d", len(got), maxTemplateBody)
			}
			path := filepath.Join(goldenDir, o.file)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run make golden to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the built template; run make golden and review the diff\n--- got:\n%s", path, got)
			}
		})
	}
}

// TestGoldenFilesLintClean proves cfn-lint reports nothing, not even a
// warning, on every golden template.
func TestGoldenFilesLintClean(t *testing.T) {
	if *update {
		t.Skip("golden files are being rewritten")
	}
	testenv.Lint(t, goldenFiles(t)...)
}

// TestDeterministic proves the same input gives byte-identical output, run
// after run (map iteration order must not leak into the template).
func TestDeterministic(t *testing.T) {
	for _, v := range goldenVariants() {
		for _, asJSON := range []bool{false, true} {
			first := renderVariant(t, v, asJSON)
			for i := 0; i < 5; i++ {
				if again := renderVariant(t, v, asJSON); !bytes.Equal(first, again) {
					t.Fatalf("%s (json=%v): run %d differs from the first", v.name, asJSON, i)
				}
			}
		}
	}
}
