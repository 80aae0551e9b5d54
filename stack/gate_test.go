package stack_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cfnfargate/cfnfargate/internal/testenv"
	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/format"
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

// hookEvent reads an example event of the ECS developer guide, copied into
// testdata/ecs-hook-events (see its README for the source).
func hookEvent(t *testing.T, name string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "ecs-hook-events", name))
	if err != nil {
		t.Fatal(err)
	}
	var event map[string]any
	if err := json.Unmarshal(raw, &event); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return event
}

// anotherDeployment is event as ECS sends it for another deployment of the
// same service: the same payload with another service-deployment ID at the
// end of resourceArn, which ECS makes anew for every deployment.
func anotherDeployment(event map[string]any, id string) map[string]any {
	out := map[string]any{}
	for k, v := range event {
		out[k] = v
	}
	arn := event["resourceArn"].(string)
	out["resourceArn"] = arn[:strings.LastIndex(arn, "/")+1] + id
	return out
}

// gateAWS stands in for the two AWS APIs the gate asks besides SSM, whose
// answers moto cannot put in the states this test needs (a stack rolling
// back, a service's deployment count). It is a simulation: an HTTP server
// on 127.0.0.1 that answers CloudFormation's DescribeStacks (query
// protocol) and ECS's ListServiceDeployments (JSON protocol) from its
// fields, and records the calls.
type gateAWS struct {
	mu          sync.Mutex
	stackStatus string
	deployments int  // how many ListServiceDeployments returns
	denyECS     bool // answer ListServiceDeployments with AccessDeniedException
	describes   int
	lists       []map[string]any // the ListServiceDeployments requests
	// rollbackBegan is the time of the stack's UPDATE_ROLLBACK_IN_PROGRESS
	// event (DescribeStackEvents); after are the deployments created after
	// it, which ListServiceDeployments returns for a createdAt filter.
	rollbackBegan time.Time
	after         []string
}

func (g *gateAWS) set(status string, deployments int, denyECS bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stackStatus, g.deployments, g.denyECS = status, deployments, denyECS
}

func (g *gateAWS) calls() (describes, lists int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.describes, len(g.lists)
}

// list returns the n-th ListServiceDeployments request, or nil.
func (g *gateAWS) list(n int) map[string]any {
	g.mu.Lock()
	defer g.mu.Unlock()
	if n >= len(g.lists) {
		return nil
	}
	return g.lists[n]
}

func (g *gateAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		if target != "AmazonEC2ContainerServiceV20141113.ListServiceDeployments" {
			http.Error(w, "unexpected ECS call "+target, http.StatusBadRequest)
			return
		}
		var in map[string]any
		_ = json.Unmarshal(body, &in)
		g.lists = append(g.lists, in)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if g.denyECS {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"__type":"AccessDeniedException","message":"not authorized to perform: ecs:ListServiceDeployments"}`)
			return
		}
		var list []map[string]any
		for i := range g.deployments {
			list = append(list, map[string]any{"serviceDeploymentArn": fmt.Sprintf("arn:aws:ecs:us-west-2:123456789012:service-deployment/my-cluster/my-service/d%d", i)})
		}
		if created, ok := in["createdAt"].(map[string]any); ok {
			// Only the filter the gate sends: created after the rollback
			// began, which it read from the stack's events.
			after, _ := created["after"].(float64)
			if g.rollbackBegan.IsZero() || int64(after) != g.rollbackBegan.Unix() {
				http.Error(w, fmt.Sprintf("createdAt.after %v, want the rollback's start %v", after, g.rollbackBegan.Unix()), http.StatusBadRequest)
				return
			}
			list = nil
			for _, arn := range g.after {
				list = append(list, map[string]any{"serviceDeploymentArn": arn})
			}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"serviceDeployments": list})
		return
	}
	form, _ := url.ParseQuery(string(body))
	if form.Get("Action") == "DescribeStackEvents" {
		// Newest first: the stack's rollback, then the update it undoes.
		w.Header().Set("Content-Type", "text/xml")
		event := func(status string, at time.Time) string {
			return fmt.Sprintf(`<member><StackName>gate-test</StackName><LogicalResourceId>gate-test</LogicalResourceId><EventId>%s</EventId>`+
				`<ResourceType>AWS::CloudFormation::Stack</ResourceType><ResourceStatus>%s</ResourceStatus><Timestamp>%s</Timestamp></member>`,
				status, status, at.UTC().Format(time.RFC3339))
		}
		fmt.Fprintf(w, `<DescribeStackEventsResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStackEventsResult><StackEvents>%s%s%s</StackEvents>`+
			`</DescribeStackEventsResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></DescribeStackEventsResponse>`,
			event("UPDATE_ROLLBACK_IN_PROGRESS", g.rollbackBegan), event("UPDATE_IN_PROGRESS", g.rollbackBegan.Add(-time.Minute)),
			event("UPDATE_ROLLBACK_IN_PROGRESS", g.rollbackBegan.Add(-time.Hour)))
		return
	}
	if form.Get("Action") != "DescribeStacks" {
		http.Error(w, "unexpected call "+form.Get("Action"), http.StatusBadRequest)
		return
	}
	g.describes++
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>`+
		`<StackName>gate-test</StackName><StackId>%s</StackId><StackStatus>%s</StackStatus><CreationTime>2026-12-01T00:00:00Z</CreationTime>`+
		`</member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></DescribeStacksResponse>`,
		form.Get("StackName"), g.stackStatus)
}

// gateFunction returns the pause gate's inline code and environment in doc.
func gateFunction(t *testing.T, doc format.Document) (code string, env map[string]any) {
	t.Helper()
	code, _ = at2(propsOf(doc, "PauseGateFunction"), "Code", "ZipFile").(string)
	env, _ = at2(propsOf(doc, "PauseGateFunction"), "Environment", "Variables").(map[string]any)
	if code == "" || env["GATE_TIMEOUT_SECONDS"] == nil {
		t.Fatalf("the template has no gate code or timeout: %v", env)
	}
	return code, env
}

// Proves: the pause gate's inline code, exactly as the template carries it,
// fed the events the ECS developer guide documents:
//   - keys every answer on the event's resourceArn, so one deployment's
//     approval never lets the next one through and one rejection never
//     fails the next one (review 2, F3);
//   - holds a deployment until its own answer, never overwrites an answer,
//     and fails (ECS rolls back) once its timeout has passed, recording why;
//   - answers SUCCEEDED without asking while its stack is created or rolled
//     back, and on the service's first deployment, but only while the gate
//     never asked (review 2, F5); a failing check asks instead;
//   - fails an event without resourceArn rather than keying it on a
//     made-up value.
//
// Python and boto3 run it against moto's SSM; CloudFormation and ECS are
// simulated by gateAWS. Lambda itself is not emulated.
func TestPauseGateCode(t *testing.T) {
	testenv.SkipIfShort(t, "runs the gate's Python code against moto")
	python := testenv.Require(t, "python3")
	m := testenv.SharedMoto(t)

	doc := variant{cfg: named("canary")}.document(t)
	code, env := gateFunction(t, doc)
	event := hookEvent(t, "post-test-traffic-shift.json")
	hook := at2(propsOf(doc, "Service"), "DeploymentConfiguration", "LifecycleHooks").([]any)[0]
	if stages := at2(hook, "LifecycleStages").([]any); fmt.Sprint(stages) != fmt.Sprint([]any{event["lifecycleStage"]}) {
		t.Fatalf("the canary template's gate holds %v; this test feeds the documented %s event", stages, event["lifecycleStage"])
	}
	dir := t.TempDir()
	for name, body := range map[string]string{"index.py": code, "driver.py": gateDriver} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	aws := &gateAWS{}
	stub := httptest.NewServer(aws)
	t.Cleanup(stub.Close)

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
	cmd.Env = append(m.Env(), "GATE_PARAMETER="+name, "GATE_TIMEOUT_SECONDS=1",
		"GATE_STACK=arn:aws:cloudformation:us-east-1:123456789012:stack/gate-test/0a1b2c3d",
		// SSM goes to moto (AWS_ENDPOINT_URL), these two to the simulation.
		"AWS_ENDPOINT_URL_CLOUDFORMATION="+stub.URL, "AWS_ENDPOINT_URL_ECS="+stub.URL)
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
	timeout := fmt.Sprint(env["GATE_TIMEOUT_SECONDS"])
	call := func(event map[string]any, timeout string) string {
		t.Helper()
		line, _ := json.Marshal(event)
		if _, err := fmt.Fprintf(stdin, "%s %s\n", timeout, line); err != nil {
			t.Fatal(err)
		}
		for answers.Scan() {
			// The function's own log lines (print) share stdout.
			var answer struct {
				HookStatus string `json:"hookStatus"`
			}
			if json.Unmarshal(answers.Bytes(), &answer) == nil && answer.HookStatus != "" {
				return answer.HookStatus
			}
		}
		t.Fatalf("the gate gave no answer: %v", answers.Err())
		return ""
	}
	first, second, third := event["resourceArn"].(string), anotherDeployment(event, "Second00000000000000"), anotherDeployment(event, "Third000000000000000")
	key2, key3 := second["resourceArn"].(string), third["resourceArn"].(string)

	// The stack is being created: its service's first deployment.
	aws.set("CREATE_IN_PROGRESS", 1, false)
	if got := call(event, timeout); got != "SUCCEEDED" || get() != "none" {
		t.Errorf("during the stack's create = %s with parameter %q, want SUCCEEDED and nothing written", got, get())
	}
	// A service that ECS lists one deployment of, in an update (a service
	// replaced by the update): its first deployment.
	aws.set("UPDATE_IN_PROGRESS", 1, false)
	if got := call(event, timeout); got != "SUCCEEDED" || get() != "none" {
		t.Errorf("on the service's first deployment = %s with parameter %q, want SUCCEEDED and nothing written", got, get())
	}
	if req := aws.list(0); req["cluster"] != "my-cluster" || req["service"] != at2(event, "executionDetails", "serviceArn") {
		t.Errorf("ListServiceDeployments request %v, want the event's service in cluster my-cluster", req)
	}

	// Later deployments wait for their own answer, keyed on resourceArn.
	aws.set("UPDATE_IN_PROGRESS", 2, false)
	if got := call(event, timeout); got != "IN_PROGRESS" {
		t.Fatalf("an update's deployment = %s, want IN_PROGRESS", got)
	}
	waiting := get()
	if !strings.HasPrefix(waiting, stack.GateWaiting+" "+first+" ") {
		t.Fatalf("parameter = %q, want waiting for %s", waiting, first)
	}
	describes, _ := aws.calls()
	if got := call(event, timeout); got != "IN_PROGRESS" || get() != waiting {
		t.Errorf("second call = %s with parameter %q, want IN_PROGRESS and %q unchanged", got, get(), waiting)
	}
	if again, _ := aws.calls(); again != describes {
		t.Errorf("a deployment already waiting asked CloudFormation again (%d calls, was %d)", again, describes)
	}
	put(stack.GateApprove + " " + key2) // an answer for another deployment
	if got := call(event, timeout); got != "IN_PROGRESS" {
		t.Errorf("with an approval of another deployment = %s, want IN_PROGRESS", got)
	}
	put(stack.GateApprove + " " + first)
	if got := call(event, timeout); got != "SUCCEEDED" || get() != stack.GateApprove+" "+first {
		t.Errorf("approved = %s with parameter %q, want SUCCEEDED and the answer kept", got, get())
	}

	// F3: the next deployment, of the same revision, is not let through by
	// that approval; its rejection does not fail the one after.
	if got := call(second, timeout); got != "IN_PROGRESS" || !strings.HasPrefix(get(), stack.GateWaiting+" "+key2+" ") {
		t.Errorf("the next deployment after an approval = %s with parameter %q, want IN_PROGRESS waiting for %s", got, get(), key2)
	}
	put(stack.GateReject + " " + key2)
	if got := call(second, timeout); got != "FAILED" {
		t.Errorf("rejected = %s, want FAILED", got)
	}
	if got := call(third, timeout); got != "IN_PROGRESS" || !strings.HasPrefix(get(), stack.GateWaiting+" "+key3+" ") {
		t.Errorf("the next deployment after a rejection = %s with parameter %q, want IN_PROGRESS waiting for %s", got, get(), key3)
	}

	// F5: CloudFormation's rollback is a new deployment, created after
	// the rollback began; nobody answers it. One created before is the
	// failed update's own, which may first reach the gate after the
	// rollback began: it is asked about (review of issue 18, item 6).
	aws.set("UPDATE_ROLLBACK_IN_PROGRESS", 5, false)
	rollback, unapproved := anotherDeployment(event, "Rollback000000000000"), anotherDeployment(event, "Unapproved0000000000")
	aws.mu.Lock()
	aws.rollbackBegan = time.Now().Add(-10 * time.Second).Truncate(time.Second)
	aws.after = []string{rollback["resourceArn"].(string)}
	aws.mu.Unlock()
	before := get()
	if got := call(rollback, timeout); got != "SUCCEEDED" || get() != before {
		t.Errorf("the stack's rollback deployment = %s with parameter %q, want SUCCEEDED and %q unchanged", got, get(), before)
	}
	if got := call(unapproved, timeout); got != "IN_PROGRESS" || !strings.HasPrefix(get(), stack.GateWaiting+" "+unapproved["resourceArn"].(string)+" ") {
		t.Errorf("a deployment created before the rollback began = %s with parameter %q, want IN_PROGRESS and asked", got, get())
	}

	// A deployment ECS lists alone, after the gate has asked before (a
	// service idle for longer than ECS's 90 days of history): asked.
	aws.set("UPDATE_IN_PROGRESS", 1, false)
	idle := anotherDeployment(event, "Idle0000000000000000")
	if got := call(idle, timeout); got != "IN_PROGRESS" || !strings.HasPrefix(get(), stack.GateWaiting+" "+idle["resourceArn"].(string)+" ") {
		t.Errorf("a lone deployment after earlier answers = %s with parameter %q, want IN_PROGRESS and asked", got, get())
	}
	// A check that fails (here ECS denies the call) asks instead.
	put("none")
	aws.set("UPDATE_IN_PROGRESS", 1, true)
	denied := anotherDeployment(event, "Denied00000000000000")
	if got := call(denied, timeout); got != "IN_PROGRESS" || !strings.HasPrefix(get(), stack.GateWaiting+" "+denied["resourceArn"].(string)+" ") {
		t.Errorf("with ListServiceDeployments denied = %s with parameter %q, want IN_PROGRESS and asked", got, get())
	}

	// No resourceArn: nothing to key an answer on, and nothing written.
	aws.set("UPDATE_IN_PROGRESS", 2, false)
	keyless := anotherDeployment(event, "x")
	delete(keyless, "resourceArn")
	before = get()
	if got := call(keyless, timeout); got != "FAILED" || get() != before {
		t.Errorf("an event without resourceArn = %s with parameter %q, want FAILED and %q unchanged", got, get(), before)
	}

	put(fmt.Sprintf("%s %s %d", stack.GateWaiting, first, time.Now().Add(-2*time.Minute).Unix()))
	if got := call(event, "60"); got != "FAILED" || get() != stack.GateExpired+" "+first {
		t.Errorf("after the timeout = %s with parameter %q, want FAILED and %q", got, get(), stack.GateExpired+" "+first)
	}
}

// gateErrorDriver is gateDriver that answers a handler's exception as
// {"error": ...} rather than dying with it: Lambda reports such an
// exception to ECS, which then rolls the deployment back.
const gateErrorDriver = `import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("index", sys.argv[1])
index = importlib.util.module_from_spec(spec)
spec.loader.exec_module(index)
for line in sys.stdin:
    try:
        print(json.dumps(index.handler(json.loads(line), None)), flush=True)
    except Exception as e:
        print(json.dumps({"error": repr(e)}), flush=True)
`

// ssmThrottle is a SIMULATION of SSM throttling the gate: its GetParameter
// answers none, or a ThrottlingException when throttleGet, and every
// PutParameter is throttled.
type ssmThrottle struct {
	mu          sync.Mutex
	throttleGet bool
	puts        int
}

func (s *ssmThrottle) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if r.Header.Get("X-Amz-Target") == "AmazonSSM.GetParameter" && !s.throttleGet {
		fmt.Fprint(w, `{"Parameter":{"Name":"/cfnfargate/gate-test/pause-gate","Type":"String","Value":"none","Version":1}}`)
		return
	}
	if r.Header.Get("X-Amz-Target") == "AmazonSSM.PutParameter" {
		s.puts++
	}
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprint(w, `{"__type":"ThrottlingException","message":"Rate exceeded"}`)
}

// Proves (review of issue 18, item 7; SSM simulated by ssmThrottle, the
// stack and ECS by gateAWS): a throttled read or write of the gate's
// parameter is no error of the function, which would make ECS roll the
// deployment back (B16): the gate answers IN_PROGRESS and tries again at
// the next call.
func TestPauseGateRidesOutSSMErrors(t *testing.T) {
	testenv.SkipIfShort(t, "runs the gate's Python code")
	python := testenv.Require(t, "python3")
	code, _ := gateFunction(t, variant{cfg: named("canary")}.document(t))
	dir := t.TempDir()
	for name, body := range map[string]string{"index.py": code, "driver.py": gateErrorDriver} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	aws := &gateAWS{}
	aws.set("UPDATE_IN_PROGRESS", 2, false)
	stub := httptest.NewServer(aws)
	t.Cleanup(stub.Close)
	ssm := &ssmThrottle{throttleGet: true}
	ssmStub := httptest.NewServer(ssm)
	t.Cleanup(ssmStub.Close)
	cmd := exec.Command(python, filepath.Join(dir, "driver.py"), filepath.Join(dir, "index.py"))
	cmd.Env = append(os.Environ(), "GATE_PARAMETER="+stack.GateParameterName("gate-test"), "GATE_TIMEOUT_SECONDS=3600",
		"GATE_STACK=arn:aws:cloudformation:us-east-1:123456789012:stack/gate-test/0a1b2c3d",
		"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_DEFAULT_REGION=us-east-1",
		// One attempt each: boto3 would retry a throttle a few times first.
		"AWS_MAX_ATTEMPTS=1", "AWS_RETRY_MODE=standard",
		"AWS_ENDPOINT_URL_SSM="+ssmStub.URL, "AWS_ENDPOINT_URL_CLOUDFORMATION="+stub.URL, "AWS_ENDPOINT_URL_ECS="+stub.URL)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	answers := bufio.NewScanner(stdout)
	event := hookEvent(t, "post-test-traffic-shift.json")
	call := func() string {
		t.Helper()
		line, _ := json.Marshal(event)
		if _, err := fmt.Fprintf(stdin, "%s\n", line); err != nil {
			t.Fatal(err)
		}
		for answers.Scan() {
			var answer struct {
				HookStatus string `json:"hookStatus"`
				Error      string `json:"error"`
			}
			if json.Unmarshal(answers.Bytes(), &answer) == nil && (answer.HookStatus != "" || answer.Error != "") {
				if answer.Error != "" {
					return "raised " + answer.Error
				}
				return answer.HookStatus
			}
		}
		t.Fatalf("the gate gave no answer: %v", answers.Err())
		return ""
	}
	if got := call(); got != "IN_PROGRESS" {
		t.Errorf("with GetParameter throttled = %s, want IN_PROGRESS", got)
	}
	ssm.mu.Lock()
	ssm.throttleGet = false
	ssm.mu.Unlock()
	if got := call(); got != "IN_PROGRESS" {
		t.Errorf("with PutParameter throttled = %s, want IN_PROGRESS", got)
	}
	ssm.mu.Lock()
	defer ssm.mu.Unlock()
	if ssm.puts != 1 {
		t.Errorf("%d PutParameter calls, want the one that was throttled", ssm.puts)
	}
}

// Proves: the gate's inline code fits a ZipFile (up to 4096 characters,
// AWS::Lambda::Function Code) in every template that has one, and the
// environment has the gate's stage event to answer: POST_SCALE_UP without
// a test rule.
func TestPauseGateCodeSize(t *testing.T) {
	for _, name := range []string{"canary", "env-service-canary"} {
		code, _ := gateFunction(t, variant{cfg: named(name)}.document(t))
		if n := utf8.RuneCountInString(code); n > 4096 {
			t.Errorf("%s: the gate's code is %d characters, over the ZipFile limit of 4096", name, n)
		}
	}
	doc := variant{cfg: named("env-service-canary")}.document(t)
	hook := at2(propsOf(doc, "Service"), "DeploymentConfiguration", "LifecycleHooks").([]any)[0]
	if stages := at2(hook, "LifecycleStages").([]any); fmt.Sprint(stages) != fmt.Sprint([]any{hookEvent(t, "post-scale-up.json")["lifecycleStage"]}) {
		t.Errorf("env-service-canary's gate holds %v, not the documented POST_SCALE_UP", stages)
	}
}

// Proves: the gate's function may do what its code does and no more: read
// and write its parameter, write its logs, describe its own stack and its
// events, and list the deployments of its stack's services, without
// referring to the service, which refers to the function (a circular
// dependency).
func TestPauseGateRole(t *testing.T) {
	for _, name := range []string{"canary", "env-service-canary"} {
		doc := variant{cfg: named(name)}.document(t)
		role := propsOf(doc, "PauseGateFunctionRole")
		found := map[string]bool{}
		collectReferences(role, found)
		if found["Service"] {
			t.Errorf("%s: the gate's role refers to the service, which refers to the gate", name)
		}
		statements := at2(role["Policies"].([]any)[0], "PolicyDocument", "Statement").([]any)
		got := map[string]string{}
		for _, s := range statements {
			got[fmt.Sprint(at2(s, "Action"))] = canonical(at2(s, "Resource"))
		}
		if r := got["[cloudformation:DescribeStacks cloudformation:DescribeStackEvents]"]; r != canonical(map[string]any{"Ref": "AWS::StackId"}) {
			t.Errorf("%s: DescribeStacks and DescribeStackEvents on %s, want the stack itself", name, r)
		}
		if r := got["ecs:ListServiceDeployments"]; !strings.Contains(r, ":service/") || !strings.Contains(r, "/${AWS::StackName}-*") {
			t.Errorf("%s: ListServiceDeployments on %s, want the stack's services", name, r)
		}
		if len(statements) != 4 {
			t.Errorf("%s: %d statements, want the four the code needs: %v", name, len(statements), got)
		}
	}
}
