package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// built is the cfnfargate binary the tests of one test binary share:
// building it takes seconds, and every test runs the same one.
var built struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// Binary compiles cfnfargate from this checkout, once per test binary, for
// a test that runs it as users do, and returns its path. [RunTests] removes
// it when the package's tests are done. The test is skipped under -short.
func Binary(t testing.TB) string {
	t.Helper()
	SkipIfShort(t, "builds the binary")
	built.once.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		if built.dir, built.err = os.MkdirTemp("", "cfnfargate-bin-"); built.err != nil {
			return
		}
		built.path = filepath.Join(built.dir, "cfnfargate")
		cmd := exec.Command("go", "build", "-o", built.path, "./cmd/cfnfargate")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// removeBinary removes what Binary built, if anything.
func removeBinary() {
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
}
