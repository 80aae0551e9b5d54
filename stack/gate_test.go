package stack_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cfnfargate/cfnfargate/internal/testenv"
	"github.com/cfnfargate/cfnfargate/stack"
)

// gateDriver loads the gate's code as Lambda would (index.handler) and
// calls the handler with each event it reads, one JSON line each, with the
// timeout on the line before, answering one line each: one Python process
// for the whole test, as boto3 takes a second or two to load.
const gateDriver = `import importlib.util, json, os, sys
spec = importlib.util.spec_from_file_location("index", sys.argv[1])
index = importlib.util.module_from_spec(spec)
spec.loader.exec_module(index)
for line in sys.stdin:
    timeout, event = line.split(" ", 1)
    index.TIMEOUT = int(timeout)
    print(json.dumps(index.handler(json.loads(event), None)), flush=True)
`

// Proves: the pause gate's inline code, exactly as the template carries it,
// holds a deployment until its own revision is approved or rejected, never
// overwrites an answer, ignores an answer left for another revision, and
// fails (ECS rolls back) once its timeout has passed, recording why. It runs
// with Python and boto3 against moto's SSM; Lambda itself is not emulated.
func TestPauseGateCode(t *testing.T) {
	testenv.SkipIfShort(t, "runs the gate's Python code against moto")
	python := testenv.Require(t, "python3")
	m := testenv.SharedMoto(t)

	doc := variant{cfg: named("canary")}.document(t)
	code, _ := at2(propsOf(doc, "PauseGateFunction"), "Code", "ZipFile").(string)
	env, _ := at2(propsOf(doc, "PauseGateFunction"), "Environment", "Variables").(map[string]any)
	if code == "" || env["GATE_TIMEOUT_SECONDS"] == nil {
		t.Fatalf("the canary template has no gate code or timeout: %v", env)
	}
	dir := t.TempDir()
	for name, body := range map[string]string{"index.py": code, "driver.py": gateDriver} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	name := stack.GateParameterName("gate-test")
	put := func(value string) {
		m.JSON(t, "ssm", "AmazonSSM.PutParameter", map[string]any{"Name": name, "Value": value, "Type": "String", "Overwrite": true}, nil)
	}
	get := func() string {
		var out struct{ Parameter struct{ Value string } }
		m.JSON(t, "ssm", "AmazonSSM.GetParameter", map[string]any{"Name": name}, &out)
		return out.Parameter.Value
	}
	cmd := exec.Command(python, filepath.Join(dir, "driver.py"), filepath.Join(dir, "index.py"))
	cmd.Env = append(m.Env(), "GATE_PARAMETER="+name, "GATE_TIMEOUT_SECONDS=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	put("none") // what the stack creates, before the module reads anything
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	answers := bufio.NewScanner(stdout)
	call := func(revision, timeout string) string {
		t.Helper()
		event, _ := json.Marshal(map[string]any{"serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/c/s", "targetServiceRevisionArn": revision})
		if _, err := fmt.Fprintf(stdin, "%s %s\n", timeout, event); err != nil {
			t.Fatal(err)
		}
		if !answers.Scan() {
			t.Fatalf("the gate gave no answer: %v", answers.Err())
		}
		var answer struct {
			HookStatus string `json:"hookStatus"`
		}
		if err := json.Unmarshal(answers.Bytes(), &answer); err != nil {
			t.Fatalf("gate answered %q: %v", answers.Text(), err)
		}
		return answer.HookStatus
	}
	timeout := fmt.Sprint(env["GATE_TIMEOUT_SECONDS"])
	const a, b = "arn:aws:ecs:us-east-1:123456789012:service-revision/c/s/1", "arn:aws:ecs:us-east-1:123456789012:service-revision/c/s/2"

	if got := call(a, timeout); got != "IN_PROGRESS" {
		t.Fatalf("first call = %s, want IN_PROGRESS", got)
	}
	waiting := get()
	if !strings.HasPrefix(waiting, stack.GateWaiting+" "+a+" ") {
		t.Fatalf("parameter = %q, want waiting for %s", waiting, a)
	}
	if got := call(a, timeout); got != "IN_PROGRESS" || get() != waiting {
		t.Errorf("second call = %s with parameter %q, want IN_PROGRESS and %q unchanged", got, get(), waiting)
	}

	put(stack.GateApprove + " " + b) // an answer for another deployment
	if got := call(a, timeout); got != "IN_PROGRESS" {
		t.Errorf("with an approval of another revision = %s, want IN_PROGRESS", got)
	}
	put(stack.GateApprove + " " + a)
	if got := call(a, timeout); got != "SUCCEEDED" || get() != stack.GateApprove+" "+a {
		t.Errorf("approved = %s with parameter %q, want SUCCEEDED and the answer kept", got, get())
	}
	put(stack.GateReject + " " + a)
	if got := call(a, timeout); got != "FAILED" {
		t.Errorf("rejected = %s, want FAILED", got)
	}

	put(fmt.Sprintf("%s %s %d", stack.GateWaiting, a, time.Now().Add(-2*time.Minute).Unix()))
	if got := call(a, "60"); got != "FAILED" || get() != stack.GateExpired+" "+a {
		t.Errorf("after the timeout = %s with parameter %q, want FAILED and %q", got, get(), stack.GateExpired+" "+a)
	}
}
