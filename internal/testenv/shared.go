package testenv

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

// shared is the moto_server that the tests of one test binary share. It
// starts on the first SharedMoto call and stops when RunTests returns.
var shared struct {
	mu      sync.Mutex
	managed bool   // RunTests is running the tests, so it will stop the server
	moto    *Moto  // the running server, or nil
	dir     string // its log directory, removed when it stops
	err     error  // why it did not start; later callers get the same failure
}

// SharedMoto returns the moto_server shared by every test in this test
// binary, starting it on first use: one start (about 2 s) instead of one per
// test. The tests that share it must not assume a clean account: each names
// its stacks uniquely and finds its resources through them, never by listing
// everything of a kind. A test that needs a clean account, or stops the
// server, uses [StartMoto].
//
// The package's TestMain must run its tests with [RunTests], which stops the
// server by its PID when the tests are done; without it SharedMoto fails the
// test rather than leave a moto_server running. Like StartMoto, it skips under
// -short and when moto_server is missing (fails when CI=true).
func SharedMoto(t testing.TB) *Moto {
	t.Helper()
	SkipIfShort(t, "starts moto_server")
	bin := Require(t, "moto_server")

	shared.mu.Lock()
	defer shared.mu.Unlock()
	switch {
	case !shared.managed:
		t.Fatal("testenv.SharedMoto needs the package's TestMain to run the tests with testenv.RunTests, which stops the server")
	case shared.moto != nil:
		return shared.moto
	case shared.err != nil:
		t.Fatalf("shared %v", shared.err)
	}

	dir, err := os.MkdirTemp("", "cfnfargate-moto-")
	if err != nil {
		t.Fatalf("shared moto_server: log directory: %v", err)
	}
	began := time.Now()
	m, err := launchMoto(bin, dir)
	if err != nil {
		os.RemoveAll(dir)
		shared.err = err
		t.Fatalf("shared %v", err)
	}
	shared.moto, shared.dir = m, dir
	t.Logf("shared moto_server pid %d ready at %s after %s", m.PID, m.Endpoint, time.Since(began).Round(time.Millisecond))
	return m
}

// RunTests runs the tests of a package that uses [SharedMoto] or [Binary]
// and then stops the shared server, if one started, and removes the binary. A package's TestMain is
//
//	func TestMain(m *testing.M) { os.Exit(testenv.RunTests(m)) }
//
// A server that will not stop turns a passing run into a failing one.
func RunTests(m *testing.M) int {
	shared.mu.Lock()
	shared.managed = true
	shared.mu.Unlock()

	code := m.Run()

	removeBinary()
	if err := stopSharedMoto(); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: stop the shared moto_server: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// stopSharedMoto stops the shared server, if it started, and removes its logs.
func stopSharedMoto() error {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	shared.managed = false
	if shared.moto == nil {
		return nil
	}
	err := shared.moto.Stop()
	if err == nil {
		os.RemoveAll(shared.dir)
	}
	shared.moto, shared.dir = nil, ""
	return err
}

// SkipIfShort skips a test that starts a real tool or builds a binary when go
// test runs with -short, which is for a quick check while editing; make test
// runs everything.
func SkipIfShort(t testing.TB, what string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("skipping under -short: this test %s (make test runs it)", what)
	}
}
