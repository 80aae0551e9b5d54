package testenv

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// motoRegion is the region every request and every subprocess uses; moto
	// keeps separate state per region, so it must not vary between calls.
	motoRegion = "us-east-1"

	// motoStartAttempts bounds retries when another process grabs the free
	// port between our probe listener closing and moto binding it.
	motoStartAttempts = 3
	// motoReadyTimeout bounds one start attempt. moto_server, behind the
	// pyenv shim, usually answers within 2 s; the slack covers a loaded CI box.
	motoReadyTimeout = 30 * time.Second
	// motoStopGrace is how long moto gets to exit on SIGTERM before SIGKILL.
	// It normally exits in about half a second.
	motoStopGrace = 5 * time.Second
	// motoLogTail is how much of moto's log a start failure shows.
	motoLogTail = 4 << 10
)

// Moto is a moto_server process. It only listens on 127.0.0.1. One that
// [StartMoto] started belongs to one test and is stopped by its cleanup; the
// one [SharedMoto] returns serves the whole test binary and is stopped by
// [RunTests].
type Moto struct {
	Endpoint string // base URL, "http://127.0.0.1:PORT"
	PID      int    // process ID, also the process group ID
	Region   string // region all helpers use, "us-east-1"

	client  *http.Client
	logPath string
	exited  chan struct{} // closed once the process has been reaped
	waitErr error         // cmd.Wait's result, readable after exited closes

	stopOnce sync.Once
	stopErr  error
}

// StartMoto starts a moto_server of the test's own on a free 127.0.0.1 port,
// waits until it answers HTTP, and registers a cleanup that stops it. It is
// for a test that needs a clean account (one that counts every load balancer
// or role, say) or that stops the server itself; other tests share one
// server through [SharedMoto]. The test is skipped under -short, and skipped
// (or failed when CI=true) if moto_server is not installed.
func StartMoto(t testing.TB) *Moto {
	t.Helper()
	SkipIfShort(t, "starts moto_server")
	return startOwnMoto(t)
}

// startOwnMoto is StartMoto without the -short check, so that a test of the
// start itself runs under -short.
func startOwnMoto(t testing.TB) *Moto {
	t.Helper()
	bin := Require(t, "moto_server")
	began := time.Now()
	m, err := launchMoto(bin, t.TempDir())
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		if err := m.Stop(); err != nil {
			t.Errorf("stop moto_server: %v", err)
		}
	})
	t.Logf("moto_server pid %d ready at %s after %s", m.PID, m.Endpoint, time.Since(began).Round(time.Millisecond))
	return m
}

// launchMoto starts moto_server, logging to files in dir, and retries on
// another port when moto dies before it is ready: most likely another
// process took the free port first.
func launchMoto(bin, dir string) (*Moto, error) {
	var failures []string
	for attempt := 1; attempt <= motoStartAttempts; attempt++ {
		logPath := filepath.Join(dir, fmt.Sprintf("moto-%d.log", attempt))
		m, err := startMoto(bin, logPath)
		if err == nil {
			return m, nil
		}
		failures = append(failures, fmt.Sprintf("attempt %d: %v\n--- moto log tail (%s) ---\n%s", attempt, err, logPath, tail(logPath, motoLogTail)))
		if !errors.Is(err, errMotoExited) {
			break
		}
	}
	return nil, fmt.Errorf("moto_server did not start:\n%s", strings.Join(failures, "\n"))
}

// errMotoExited marks a start attempt where moto died before it was ready.
var errMotoExited = errors.New("moto_server exited before it was ready")

// startMoto runs one start attempt. On error the process, if any, is already
// stopped.
func startMoto(bin, logPath string) (*Moto, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create moto log: %w", err)
	}
	// The child holds its own copy of the descriptor.
	defer logFile.Close()

	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	// moto marks a requested ACM certificate ISSUED only once
	// MOTO_ACM_VALIDATION_WAIT seconds (default 60) have passed
	// (moto/acm/models.py). A deploy is given an already-validated
	// certificate, so let it look validated straight away.
	//
	// moto must not see the developer's AWS settings either: with
	// AWS_PROFILE naming a missing profile, moto_server still starts but
	// answers EC2 calls with a bare HTML 500 (seen with moto 5.2.1).
	cmd.Env = append(withoutAWS(os.Environ()),
		"MOTO_ACM_VALIDATION_WAIT=0",
		"AWS_CONFIG_FILE="+os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE="+os.DevNull,
	)
	// Own process group, so Stop's signal reaches anything moto spawns and
	// never the test binary's group.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}

	m := &Moto{
		Endpoint: "http://127.0.0.1:" + strconv.Itoa(port),
		PID:      cmd.Process.Pid,
		Region:   motoRegion,
		// No proxy: test traffic must only ever reach 127.0.0.1.
		client:  &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{Proxy: nil}},
		logPath: logPath,
		exited:  make(chan struct{}),
	}
	go func() {
		m.waitErr = cmd.Wait()
		close(m.exited)
	}()

	if err := m.waitReady(motoReadyTimeout); err != nil {
		if stopErr := m.Stop(); stopErr != nil {
			err = fmt.Errorf("%w (and stopping it: %v)", err, stopErr)
		}
		return nil, err
	}
	return m, nil
}

// freePort asks the kernel for a free 127.0.0.1 port. The port is free only
// until someone else takes it, which is why StartMoto retries.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady polls moto's own API until it answers, the process dies, or the
// timeout passes.
func (m *Moto) waitReady(timeout time.Duration) error {
	probe := &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil}}
	deadline := time.Now().Add(timeout)
	var lastErr error
	for time.Now().Before(deadline) {
		select {
		case <-m.exited:
			return fmt.Errorf("%w: %v", errMotoExited, m.waitErr)
		default:
		}
		resp, err := probe.Get(m.Endpoint + "/moto-api/")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				// Someone else may own the port if moto lost the race;
				// that moto then exits, so check it is still ours.
				select {
				case <-m.exited:
					return fmt.Errorf("%w: %v", errMotoExited, m.waitErr)
				default:
					return nil
				}
			}
			err = fmt.Errorf("GET /moto-api/: %s", resp.Status)
		}
		lastErr = err
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("moto_server not ready at %s after %s: %v", m.Endpoint, timeout, lastErr)
}

// Stop ends the moto process group: SIGTERM, then SIGKILL if it is still
// running after a grace period. It returns once the process has been reaped,
// so its PID no longer exists. Calling Stop again is a no-op; the test's
// cleanup calls it too.
func (m *Moto) Stop() error {
	m.stopOnce.Do(func() { m.stopErr = m.stop() })
	return m.stopErr
}

func (m *Moto) stop() error {
	// A negative PID signals the whole group. ESRCH only means it is gone.
	if err := syscall.Kill(-m.PID, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("SIGTERM moto process group %d: %w", m.PID, err)
	}
	select {
	case <-m.exited:
		return nil
	case <-time.After(motoStopGrace):
	}
	if err := syscall.Kill(-m.PID, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("SIGKILL moto process group %d: %w", m.PID, err)
	}
	select {
	case <-m.exited:
		return nil
	case <-time.After(motoStopGrace):
		return fmt.Errorf("moto pid %d still not reaped %s after SIGKILL", m.PID, motoStopGrace)
	}
}

// Env returns the environment for a subprocess (our binary, the aws CLI)
// that must talk to this moto and nothing else: the current environment with
// every AWS_* variable removed, plus fake static credentials, the region and
// the endpoint. Dropping AWS_* removes AWS_PROFILE, AWS_SESSION_TOKEN and
// per-service AWS_ENDPOINT_URL_* overrides that would beat AWS_ENDPOINT_URL.
func (m *Moto) Env() []string {
	return append(withoutAWS(os.Environ()),
		"AWS_ACCESS_KEY_ID=testing",
		"AWS_SECRET_ACCESS_KEY=testing",
		"AWS_REGION="+m.Region,
		"AWS_DEFAULT_REGION="+m.Region,
		"AWS_ENDPOINT_URL="+m.Endpoint,
		// An SDK whose credential chain comes up empty asks the EC2 instance
		// metadata service at 169.254.169.254; traffic must not leave the box.
		"AWS_EC2_METADATA_DISABLED=true",
		// A developer's ~/.aws files could name a profile, SSO session or
		// endpoint; the SDKs must not read them.
		"AWS_CONFIG_FILE="+os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE="+os.DevNull,
		// Proxies must never see test traffic; it stays on 127.0.0.1.
		"NO_PROXY=127.0.0.1,localhost",
		"no_proxy=127.0.0.1,localhost",
	)
}

// withoutAWS returns environ minus every AWS_* entry.
func withoutAWS(environ []string) []string {
	var env []string
	for _, kv := range environ {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return env
}

// tail returns at most n bytes from the end of the file at path.
func tail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Sprintf("(cannot stat log: %v)", err)
	}
	if info.Size() > n {
		if _, err := f.Seek(-n, io.SeekEnd); err != nil {
			return fmt.Sprintf("(cannot seek log: %v)", err)
		}
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	return string(b)
}
