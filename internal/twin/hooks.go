package twin

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Lambda functions, for ECS lifecycle hooks: the twin runs a function's
// inline ZipFile code with python3, as the Lambda Python runtime would,
// with boto3 pointed at the twin (AWS_ENDPOINT_URL), so that the gate's
// real code runs against the payload ECS documents (B15), never one a test
// invents. Each function has one warm process, like one Lambda execution
// environment: its module is imported once.

type functions struct {
	byArn map[string]*function
}

func newFunctions() *functions { return &functions{byArn: map[string]*function{}} }

type function struct {
	arn, code, handler string
	env                map[string]string
	timeout            time.Duration

	mu  sync.Mutex
	run *pyRunner
	dir string
}

func (f *functions) put(arn string, props map[string]any) error {
	code := str(asMap(props["Code"])["ZipFile"])
	if code == "" {
		return fmt.Errorf("the twin runs inline (ZipFile) Python code only")
	}
	if rt := str(props["Runtime"]); !strings.HasPrefix(rt, "python3") {
		return fmt.Errorf("the twin runs Python functions only, not %s", rt)
	}
	env := map[string]string{}
	for k, v := range asMap(asMap(props["Environment"])["Variables"]) {
		env[k] = str(v)
	}
	fn := &function{arn: arn, code: code, handler: str(props["Handler"]), env: env,
		timeout: time.Duration(intOf(props["Timeout"], 3)) * time.Second}
	if old := f.byArn[arn]; old != nil {
		// Not under the twin's lock: an invocation in flight may be calling
		// the twin.
		go old.close()
	}
	f.byArn[arn] = fn
	return nil
}

func (f *functions) get(arn string) *function { return f.byArn[arn] }

func (f *functions) remove(arn string) {
	if fn := f.byArn[arn]; fn != nil {
		go fn.close()
		delete(f.byArn, arn)
	}
}

func (f *functions) closeAll() {
	for _, fn := range f.byArn {
		fn.close()
	}
}

// runnerScript is the runtime: it imports the handler's module once and
// answers one JSON event per line. The handler's own prints go to stderr,
// so that stdout carries only answers.
const runnerScript = `import importlib.util, json, os, sys
proto = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)
sys.stdout = sys.stderr
module, _, name = sys.argv[2].rpartition(".")
init_error = None
try:
    spec = importlib.util.spec_from_file_location(module, os.path.join(sys.argv[1], module + ".py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    handler = getattr(mod, name)
except Exception as e:
    init_error = {"errorType": type(e).__name__, "errorMessage": str(e)}

class Context:
    function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
    aws_request_id = "twin"
    def get_remaining_time_in_millis(self):
        return 3000

for line in sys.stdin:
    if init_error:
        out = {"error": init_error}
    else:
        try:
            out = {"ok": handler(json.loads(line), Context())}
        except Exception as e:
            out = {"error": {"errorType": type(e).__name__, "errorMessage": str(e)}}
    proto.write(json.dumps(out) + "\n")
    proto.flush()
`

type pyRunner struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

func (fn *function) start(tw *Twin) error {
	if fn.dir == "" {
		dir, err := os.MkdirTemp("", "cfnfargate-twin-fn-")
		if err != nil {
			return err
		}
		fn.dir = dir
	}
	module, _, _ := strings.Cut(fn.handler, ".")
	if err := os.WriteFile(filepath.Join(fn.dir, module+".py"), []byte(fn.code), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(fn.dir, "twin_runtime.py"), []byte(runnerScript), 0o600); err != nil {
		return err
	}
	cmd := exec.Command("python3", filepath.Join(fn.dir, "twin_runtime.py"), fn.dir, fn.handler)
	env := tw.Env()
	name := fn.arn[strings.LastIndex(fn.arn, ":")+1:]
	env = append(env, "AWS_LAMBDA_FUNCTION_NAME="+name, "PYTHONDONTWRITEBYTECODE=1")
	for k, v := range fn.env {
		env = append(env, k+"="+v)
	}
	cmd.Env = env
	cmd.Stderr = io.Discard
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start python3: %w", err)
	}
	fn.run = &pyRunner{cmd: cmd, in: in, out: bufio.NewReader(out)}
	return nil
}

// invoke runs the handler on event and returns its JSON answer; an
// exception, a timeout or a dead runtime is an error (B16: "if it fails,
// Amazon ECS rolls back the deployment").
func (fn *function) invoke(tw *Twin, event map[string]any) (string, error) {
	fn.mu.Lock()
	defer fn.mu.Unlock()
	if fn.run == nil {
		if err := fn.start(tw); err != nil {
			return "", err
		}
	}
	line, _ := json.Marshal(event)
	if _, err := fn.run.in.Write(append(line, '\n')); err != nil {
		fn.stop()
		return "", fmt.Errorf("invoke: %w", err)
	}
	type result struct {
		line string
		err  error
	}
	got := make(chan result, 1)
	reader := fn.run.out
	go func() {
		l, err := reader.ReadString('\n')
		got <- result{l, err}
	}()
	// A Lambda function's timeout is real time: its code runs in real time.
	select {
	case r := <-got:
		if r.err != nil {
			fn.stop()
			return "", fmt.Errorf("the function's runtime exited: %v", r.err)
		}
		var out struct {
			OK    json.RawMessage `json:"ok"`
			Error *struct {
				ErrorType    string `json:"errorType"`
				ErrorMessage string `json:"errorMessage"`
			} `json:"error"`
		}
		if err := json.Unmarshal([]byte(r.line), &out); err != nil {
			return "", fmt.Errorf("bad answer from the runtime: %v", err)
		}
		if out.Error != nil {
			return "", errors.New(out.Error.ErrorType + ": " + out.Error.ErrorMessage)
		}
		return string(out.OK), nil
	case <-time.After(fn.timeout + 20*time.Second):
		// Slack above the function's own timeout: python3 and boto3 start
		// slowly on a loaded machine.
		fn.stop()
		return "", fmt.Errorf("Task timed out after %s", fn.timeout)
	}
}

func (fn *function) stop() {
	if fn.run == nil {
		return
	}
	fn.run.in.Close()
	_ = syscall.Kill(-fn.run.cmd.Process.Pid, syscall.SIGKILL)
	_ = fn.run.cmd.Wait()
	fn.run = nil
}

func (fn *function) close() {
	fn.mu.Lock()
	defer fn.mu.Unlock()
	fn.stop()
	if fn.dir != "" {
		os.RemoveAll(fn.dir)
		fn.dir = ""
	}
}
