package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cfnfargate/cfnfargate/internal/testenv"
	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

func TestMain(m *testing.M) { os.Exit(testenv.RunTests(m)) }

// buildBinary is the cfnfargate of this checkout (testenv.Binary).
func buildBinary(t *testing.T) string { return testenv.Binary(t) }

// motoBinary is the built cfnfargate, run with the environment of m (its
// endpoint, region and credentials in the standard AWS_* variables, as a
// user would set them), none of the developer's CFNFARGATE_* variables,
// and CI=true.
func motoBinary(t *testing.T, m *testenv.Moto) binary {
	t.Helper()
	var env []string
	for _, kv := range m.Env() {
		if !strings.HasPrefix(kv, envPrefix) {
			env = append(env, kv)
		}
	}
	return binary{t: t, path: buildBinary(t), env: append(env, "CI=true")}
}

// onSharedMoto is how most end-to-end tests start: in parallel, on the
// package's shared moto_server, with a network of their own seeded in it,
// the account's ECS service-linked role made (so that no deploy waits for
// a new one), and the binary pointed at the server. Under -short the test
// is skipped.
func onSharedMoto(t *testing.T) (*testenv.Moto, testenv.Network, binary) {
	t.Helper()
	testenv.SkipIfShort(t, "starts moto_server and builds the binary")
	t.Parallel()
	m := testenv.SharedMoto(t)
	n := m.Seed(t)
	cf := motoBinary(t, m)
	m.CreateECSRole(t)
	return m, n, cf
}

// binary runs the built cfnfargate against moto and returns its exit code
// and output.
type binary struct {
	t    *testing.T
	path string
	env  []string
}

func (b binary) run(args ...string) (code int, stdout, stderr string) {
	b.t.Helper()
	cmd := exec.Command(b.path, args...)
	cmd.Env = b.env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if exit, ok := err.(*exec.ExitError); ok {
		return exit.ExitCode(), out.String(), errOut.String()
	} else if err != nil {
		b.t.Fatalf("run %v: %v", args, err)
	}
	return 0, out.String(), errOut.String()
}

// mustRun runs the binary and fails the test unless it exits 0; it
// returns the output.
func (b binary) mustRun(args ...string) (stdout, stderr string) {
	b.t.Helper()
	code, stdout, stderr := b.run(args...)
	if code != 0 {
		b.t.Fatalf("%v: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, stdout, stderr)
	}
	return stdout, stderr
}

// TestLifecycleAgainstMoto proves the commands work end to end, through the
// real binary and SDK against moto_server: create, redeploy with no
// changes, an image update, diff, status as JSON, delete, and bad input
// that creates nothing. Credentials, region and endpoint come from the
// standard AWS_* variables, as for a user.
func TestLifecycleAgainstMoto(t *testing.T) {
	testenv.SkipIfShort(t, "starts moto_server and builds the binary")
	// The binary's environment is its own (binary.env), so it runs beside
	// other tests.
	t.Parallel()
	// Its own server, not the shared one: it counts every load balancer
	// and creates the account's ECS role.
	m := testenv.StartMoto(t)
	n := m.Seed(t)
	cf := motoBinary(t, m)
	network := n.Flags()
	deployArgs := func(extra ...string) []string {
		return append(append([]string{"deploy", "--stack", "example-app"}, network...), extra...)
	}
	stackStatus := func(name string) string {
		t.Helper()
		code, stdout, stderr := cf.run("status", "--stack", name, "--format", "json")
		if code != 0 {
			return "absent: " + stderr
		}
		var st struct {
			Name   string `json:"name"`
			Status string `json:"status"`
		}
		if err := json.Unmarshal([]byte(stdout), &st); err != nil {
			t.Fatalf("status --format json is not JSON: %v\n%s", err, stdout)
		}
		if st.Name != name {
			t.Errorf("status names %q, want %q", st.Name, name)
		}
		return st.Status
	}
	parameter := func(key string) string {
		t.Helper()
		body := m.Query(t, "cloudformation", "DescribeStacks", url.Values{"StackName": {"example-app"}})
		keys, values := testenv.XMLValues(body, "ParameterKey"), testenv.XMLValues(body, "ParameterValue")
		for i := range keys {
			if keys[i] == key && i < len(values) {
				return values[i]
			}
		}
		return ""
	}

	t.Run("bad input creates nothing", func(t *testing.T) {
		code, _, stderr := cf.run("deploy", "--stack", "example-app", "--vpc-id", "vpc-nothex", "--cpu", "300")
		if code != deploy.ExitInput || !strings.Contains(stderr, "--vpc-id") || !strings.Contains(stderr, "--cpu") {
			t.Errorf("exit %d, stderr %s", code, stderr)
		}
		// moto's default VPC in this region has no internet gateway, so it
		// cannot hold the load balancer: the network is missing, and the
		// certificate is not (without one the stack serves HTTP only).
		code, _, stderr = cf.run("deploy", "--stack", "example-app")
		if code != deploy.ExitInput || !strings.Contains(stderr, "--vpc-id") || !strings.Contains(stderr, "route to an internet gateway in no Availability Zone") || strings.Contains(stderr, "--certificate-arn") {
			t.Errorf("missing parameters: exit %d, stderr %s", code, stderr)
		}
		if got := stackStatus("example-app"); !strings.HasPrefix(got, "absent") {
			t.Errorf("bad input left a stack in %s", got)
		}
	})

	t.Run("create", func(t *testing.T) {
		// The role exists, as IAM names it, so the create looks it up and
		// need not wait for a new role to spread (package deploy's moto
		// tests create it). The proxy shows that the IAM client follows
		// --endpoint-url.
		m.Query(t, "iam", "CreateRole", url.Values{"RoleName": {"AWSServiceRoleForECS"}, "Path": {"/aws-service-role/ecs.amazonaws.com/"},
			"AssumeRolePolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs.amazonaws.com"},"Action":"sts:AssumeRole"}]}`}})
		proxy, actions := motoProxy(t, m.Endpoint, "")
		code, stdout, stderr := cf.run(deployArgs("--endpoint-url", proxy)...)
		if code != 0 || !strings.Contains(stdout, "CREATE_COMPLETE") {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		if !regexp.MustCompile(`\+ Add\s+Service\s+AWS::ECS::Service`).MatchString(stdout) {
			t.Errorf("the plan does not add the service:\n%s", stdout)
		}
		if got := actions(); !slices.Contains(got, "GetRole") || slices.Contains(got, "CreateServiceLinkedRole") || strings.Contains(stderr, "warning") {
			t.Errorf("actions %v, stderr %q; want the ECS role looked up through the endpoint and found", got, stderr)
		}
		if got := stackStatus("example-app"); got != "CREATE_COMPLETE" {
			t.Errorf("status = %s", got)
		}
	})

	t.Run("redeploy has no changes", func(t *testing.T) {
		// Real CloudFormation fails a change set without changes ("The
		// submitted information didn't contain changes"); the simulator
		// tests cover that. moto instead readies an empty change set, or
		// refuses one with "No updates are to be performed": both are no
		// changes, and nothing is executed.
		before := len(testenv.XMLValues(m.Query(t, "cloudformation", "DescribeStackEvents", url.Values{"StackName": {"example-app"}}), "EventId"))
		code, stdout, stderr := cf.run(deployArgs()...)
		// No plan, so no deploy-time budget either (review1920 polish).
		if code != 0 || !strings.Contains(stdout, "No changes") || strings.Contains(stdout, "Plan for") || strings.Contains(stdout, "Deploy-time budget") {
			t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		if after := len(testenv.XMLValues(m.Query(t, "cloudformation", "DescribeStackEvents", url.Values{"StackName": {"example-app"}}), "EventId")); after != before {
			t.Errorf("a deploy without changes added %d stack events; want it to execute nothing", after-before)
		}
	})

	t.Run("diff shows a change and leaves the stack alone", func(t *testing.T) {
		before := len(testenv.XMLValues(m.Query(t, "cloudformation", "ListChangeSets", url.Values{"StackName": {"example-app"}}), "ChangeSetId"))
		code, stdout, stderr := cf.run(append([]string{"diff", "--stack", "example-app", "--exit-code", "--cpu", "512", "--memory", "1024"}, network...)...)
		if code != deploy.ExitFailure {
			t.Errorf("diff --exit-code with changes: exit %d, want 1\n%s\n%s", code, stdout, stderr)
		}
		if !regexp.MustCompile(`~ Modify\s+TaskDefinition\s+AWS::ECS::TaskDefinition`).MatchString(stdout) {
			t.Errorf("the plan does not show the task definition modified:\n%s", stdout)
		}
		// moto lists executed change sets too, so count: diff must not
		// leave one more behind.
		after := len(testenv.XMLValues(m.Query(t, "cloudformation", "ListChangeSets", url.Values{"StackName": {"example-app"}}), "ChangeSetId"))
		if after != before {
			t.Errorf("diff left a change set behind: %d before, %d after", before, after)
		}
		if got := stackStatus("example-app"); got != "CREATE_COMPLETE" && got != "UPDATE_COMPLETE" {
			t.Errorf("diff changed the stack's status to %s", got)
		}
		if code, stdout, _ := cf.run(append([]string{"diff", "--stack", "example-app", "--exit-code"}, network...)...); code != 0 {
			t.Errorf("diff --exit-code without changes: exit %d\n%s", code, stdout)
		}
	})

	t.Run("image update", func(t *testing.T) {
		code, stdout, stderr := cf.run(deployArgs("--image", "nginx:1.27")...)
		if code != 0 || !strings.Contains(stdout, "UPDATE_COMPLETE") {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		// moto's ECS runs no tasks: the watcher, which reads the service
		// through the same endpoint, must find nothing to report and no
		// read it may not make.
		if strings.Contains(stdout, "Warning: cannot read") || strings.Contains(stdout, " stopped: ") {
			t.Errorf("the ECS watcher was not quiet against moto:\n%s", stdout)
		}
		if got := parameter("ContainerImage"); got != "nginx:1.27" {
			t.Errorf("ContainerImage = %q, want nginx:1.27 sent as a parameter value", got)
		}
		// Without --image, the previous value is kept, not the default.
		if code, stdout, _ := cf.run(deployArgs()...); code != 0 {
			t.Errorf("redeploy without --image: exit %d\n%s", code, stdout)
		}
		if got := parameter("ContainerImage"); got != "nginx:1.27" {
			t.Errorf("after a deploy without --image, ContainerImage = %q, want the previous nginx:1.27", got)
		}
	})

	t.Run("diff shows a parameter change", func(t *testing.T) {
		// moto's change set for a new image lists no resource change; the
		// parameter is the change, and --exit-code says so. The setting
		// image shows it, once, with where it came from: not a second
		// time as the parameter ContainerImage (review1920 polish).
		code, stdout, stderr := cf.run(append([]string{"diff", "--stack", "example-app", "--exit-code", "--image", "nginx:1.28"}, network...)...)
		if code != deploy.ExitFailure || strings.Contains(stdout, "Parameter ContainerImage") {
			t.Errorf("diff --exit-code of an image bump: exit %d, want 1 and the change shown once, as the setting\n%s\n%s", code, stdout, stderr)
		}
		if !regexp.MustCompile(`Plan for stack example-app \(update\): (0 resource changes|\d+ to add, \d+ to modify, \d+ to remove), 1 setting change\n`).MatchString(stdout) {
			t.Errorf("the plan's summary does not count the image once, as a setting change:\n%s", stdout)
		}
		// An image bump names no setting but the image (issue 20).
		if strings.Count(stdout, "Setting ") != 1 || !strings.Contains(stdout, "~ Setting image: nginx:1.27 → nginx:1.28 (flag)") {
			t.Errorf("the plan of an image bump names other settings than the image, or not the image:\n%s", stdout)
		}
		if got := parameter("ContainerImage"); got != "nginx:1.27" {
			t.Errorf("after diff, ContainerImage = %q; want nginx:1.27 still", got)
		}
	})

	t.Run("hints repeat the AWS flags given", func(t *testing.T) {
		// A proxy that never answers DescribeStackEvents makes the wait
		// after ExecuteChangeSet run out of time.
		proxy := stallingProxy(t, m.Endpoint, "DescribeStackEvents")
		code, stdout, stderr := cf.run(deployArgs("--image", "nginx:1.28", "--timeout", "3s", "--region", "us-east-1", "--endpoint-url", proxy)...)
		want := "For stack example-app in us-east-1, account 123456789012:\n" +
			"  check on it: cfnfargate status --stack example-app --region us-east-1 --endpoint-url " + proxy + "\n"
		if code != deploy.ExitFailure || !strings.Contains(stderr, "timed out after 3s") || !strings.Contains(stderr, want) {
			t.Errorf("deploy that times out: exit %d, want 1 and the hint\n%s\nstdout:\n%s\nstderr:\n%s", code, want, stdout, stderr)
		}
		if strings.Contains(stderr, "--profile") {
			t.Errorf("the hint repeats --profile, which was not given:\n%s", stderr)
		}

		// Without waiting, the same: only the flags given (no --region
		// here; AWS_REGION chose it).
		code, stdout, stderr = cf.run(deployArgs("--image", "nginx:1.29", "--no-wait", "--endpoint-url", m.Endpoint)...)
		want = "Not waiting: stack example-app is UPDATE_IN_PROGRESS.\n" +
			"For stack example-app in us-east-1, account 123456789012:\n" +
			"  check on it: cfnfargate status --stack example-app --endpoint-url " + m.Endpoint + "\n"
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("deploy --no-wait: exit %d, want 0 and\n%s\nstdout:\n%s\nstderr:\n%s", code, want, stdout, stderr)
		}
		if code, stdout, stderr := cf.run(append([]string{"diff", "--stack", "example-app", "--exit-code", "--image", "nginx:1.29"}, network...)...); code != 0 {
			t.Errorf("after --no-wait, diff of the same image: exit %d\n%s\n%s", code, stdout, stderr)
		}
	})

	t.Run("replacement needs a decision", func(t *testing.T) {
		// moto's change sets never say Replacement, so a proxy marks the
		// cluster's modification as a replacement: a SIMULATION of
		// CloudFormation's answer for a change that replaces it. (moto
		// loses a load balancer that a stack update modifies, which the
		// delete below needs.)
		proxy, _ := motoProxy(t, m.Endpoint, "AWS::ECS::Cluster")
		changeSets := func() int {
			return len(testenv.XMLValues(m.Query(t, "cloudformation", "ListChangeSets", url.Values{"StackName": {"example-app"}}), "ChangeSetId"))
		}
		before, status := changeSets(), stackStatus("example-app")
		change := []string{"--no-container-insights", "--endpoint-url", proxy}

		code, stdout, stderr := cf.run(append([]string{"diff", "--stack", "example-app"}, append(network, change...)...)...)
		top := strings.Index(stdout, "Replacements to decide on:")
		if code != 0 || top < 0 || top > strings.Index(stdout, "~ Modify") ||
			!strings.Contains(stdout, "Cluster (AWS::ECS::Cluster) is replaced: the service is created again in a new cluster") {
			t.Errorf("diff does not list the replacement first: exit %d\n%s\n%s", code, stdout, stderr)
		}

		code, stdout, stderr = cf.run(deployArgs(change...)...)
		if code != deploy.ExitFailure || !strings.Contains(stderr, "every task restarts") || !strings.Contains(stderr, "nothing was changed") ||
			!strings.Contains(stderr, "--allow-replacement") {
			t.Errorf("deploy of a replacement without a terminal or --allow-replacement: exit %d\n%s\n%s", code, stdout, stderr)
		}
		if after := changeSets(); after != before {
			t.Errorf("the refused deploy left a change set behind: %d before, %d after", before, after)
		}
		if got := stackStatus("example-app"); got != status {
			t.Errorf("the refused deploy changed the stack from %s to %s", status, got)
		}

		code, stdout, stderr = cf.run(deployArgs(append(change, "--allow-replacement")...)...)
		if code != 0 || !strings.Contains(stdout, "UPDATE_COMPLETE") {
			t.Errorf("deploy --allow-replacement: exit %d\n%s\n%s", code, stdout, stderr)
		}
	})

	t.Run("delete", func(t *testing.T) {
		if code, _, stderr := cf.run("delete", "--stack", "example-app"); code != deploy.ExitInput || !strings.Contains(stderr, "--yes") {
			t.Errorf("delete without a terminal or --yes: exit %d, stderr %s", code, stderr)
		}
		// moto's CloudFormation does not pass LoadBalancerAttributes to
		// its ELB, so protection is turned on as --deletion-protection
		// would have it on AWS.
		lbs := testenv.XMLValues(m.Query(t, "elasticloadbalancing", "DescribeLoadBalancers", nil), "LoadBalancerArn")
		if len(lbs) != 1 {
			t.Fatalf("load balancers %v; want the stack's one", lbs)
		}
		protect := func(on string) {
			m.Query(t, "elasticloadbalancing", "ModifyLoadBalancerAttributes", url.Values{"LoadBalancerArn": {lbs[0]},
				"Attributes.member.1.Key": {"deletion_protection.enabled"}, "Attributes.member.1.Value": {on}})
		}
		protect("true")
		code, stdout, stderr := cf.run("delete", "--stack", "example-app", "--yes")
		if code != deploy.ExitFailure || !strings.Contains(stderr, "deletion protection") || !strings.Contains(stderr, "Key=deletion_protection.enabled,Value=false") {
			t.Errorf("delete of a stack with a protected load balancer: exit %d\n%s\n%s", code, stdout, stderr)
		}
		if got := stackStatus("example-app"); got != "UPDATE_COMPLETE" {
			t.Errorf("after the refused delete the stack is %s; want it untouched", got)
		}
		protect("false")
		code, stdout, stderr = cf.run("delete", "--stack", "example-app", "--yes")
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
		}
		if got := stackStatus("example-app"); !strings.HasPrefix(got, "absent") {
			t.Errorf("after delete the stack is %s", got)
		}
		code, stdout, stderr = cf.run("delete", "--stack", "example-app")
		// The region is named: a stack missing in one region may run in another.
		if code != 0 || !strings.Contains(stdout+stderr, "does not exist in us-east-1") {
			t.Errorf("deleting a missing stack: exit %d\n%s\n%s", code, stdout, stderr)
		}
	})
}

// stallingProxy forwards every request to target (moto) except those of
// action, which it holds unanswered until the client gives up, as a server
// that accepted the connection and went silent.
func stallingProxy(t *testing.T, target, action string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		if form, _ := url.ParseQuery(string(body)); form.Get("Action") == action {
			<-r.Context().Done()
			return
		}
		forward(w, r, target, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// loopback is the test proxies' client: straight to moto on 127.0.0.1,
// never through an HTTP proxy the environment names.
var loopback = &http.Client{Transport: &http.Transport{Proxy: nil}}

// forward sends r, whose body the proxy has read as body, on to target
// (moto) and copies the answer back.
func forward(w http.ResponseWriter, r *http.Request, target string, body []byte) {
	resp, err := send(r, target, body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

// send sends r, whose body the proxy has read as body, on to target
// (moto), and returns moto's answer, unzipped.
func send(r *http.Request, target string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(r.Context(), r.Method, target+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = r.Header.Clone()
	req.Header.Del("Accept-Encoding") // let the transport undo any gzip
	return loopback.Do(req)
}

// motoProxy forwards every request to target (moto), records the action
// of each, and returns its URL and the actions so far. When replace names a
// resource type, DescribeChangeSet answers mark a modification of that type
// as Replacement True.
func motoProxy(t *testing.T, target, replace string) (string, func() []string) {
	t.Helper()
	resourceChange := regexp.MustCompile(`(?s)<ResourceChange>.*?</ResourceChange>`)
	var mu sync.Mutex
	var actions []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		form, _ := url.ParseQuery(string(body))
		action := form.Get("Action")
		if action == "" { // a JSON protocol: X-Amz-Target is Service.Action
			_, action, _ = strings.Cut(r.Header.Get("X-Amz-Target"), ".")
		}
		mu.Lock()
		actions = append(actions, action)
		mu.Unlock()
		resp, err := send(r, target, body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		answer, err := io.ReadAll(resp.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		if replace != "" && action == "DescribeChangeSet" {
			answer = resourceChange.ReplaceAllFunc(answer, func(rc []byte) []byte {
				if !bytes.Contains(rc, []byte("<Action>Modify</Action>")) || !bytes.Contains(rc, []byte("<ResourceType>"+replace+"</ResourceType>")) {
					return rc
				}
				return bytes.Replace(rc, []byte("</ResourceChange>"), []byte("<Replacement>True</Replacement></ResourceChange>"), 1)
			})
		}
		for k, v := range resp.Header {
			if k != "Content-Length" && k != "Content-Encoding" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(resp.StatusCode)
		w.Write(answer)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(actions)
	}
}
