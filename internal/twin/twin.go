// Package twin is a behavioural twin of AWS for cfnfargate's tests: it
// models what CloudFormation, ECS and Elastic Load Balancing v2 do over
// time, not just their APIs. ECS blue/green, canary and linear deployments
// register green tasks in the target group that is not serving, move the
// production rule's weights step by step, bake, clean up and swap the
// roles; they invoke lifecycle hooks (the template's own inline Python,
// run with python3) with the payload ECS documents; CloudFormation updates
// that fail or are cancelled put every modified resource back to the
// previous template, and its rollback of a service is another ECS
// deployment; UpdateService keeps what a request leaves out; ELB and VPC
// quotas are enforced at call time.
//
// The twin is an http.Handler on 127.0.0.1 that answers CloudFormation
// (query/XML), ECS (JSON 1.1) and ELB v2 (query/XML) itself, in the wire
// formats of the AWS SDK for Go v2, so that the real cfnfargate binary
// talks to it through AWS_ENDPOINT_URL. Every other service (SSM, STS,
// CloudWatch, Logs, IAM, ACM, EC2, ...) goes on to a moto_server started
// with internal/testenv, and the twin's own engine uses that moto for log
// groups, parameters and alarms, which the binary and the tests read and
// change through the usual APIs. moto does not evaluate an alarm's metric:
// a test sets the state its data would give with SetAlarmState (on AWS the
// data itself sets it, and SetAlarmState does not hold).
//
// Each behaviour is one small named piece, with the AWS document it rests
// on cited at the line, numbered as in the specification
// (shared/research/aws-behaviour-twin-spec.md, B1-B50). Where AWS's
// sources disagree or are silent, the twin has a switch (Switches) and its
// tests run both settings.
//
// Time: AWS durations run on a virtual clock (Clock) that runs Scale times
// faster than real time, because the binary polls on real time.
package twin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cfnfargate/cfnfargate/internal/testenv"
)

// Account and Region are moto's defaults, which the twin shares.
const (
	Account = "123456789012"
	Region  = "us-east-1"
)

// DefaultScale makes one real second ten virtual minutes: a canary wait of
// 5 minutes takes half a second, a 30-second hook callback 50 ms.
const DefaultScale = 600

// Switches are the points where AWS's sources disagree or are silent
// (specification, section 10). The zero value is not the default: use
// DefaultSwitches.
type Switches struct {
	// CircuitBreakerBlueGreen: the deployment circuit breaker also fails
	// BLUE_GREEN, CANARY and LINEAR deployments (B26). The API and CFN
	// references say rolling only; the developer guide's failure-detection
	// page says blue/green too.
	CircuitBreakerBlueGreen bool
	// ForceOnEveryUpdate: with EnableForceNewDeployment true, CloudFormation
	// sends forceNewDeployment on every update of the service, not only when
	// the nonce changes (B50, inferred).
	ForceOnEveryUpdate bool
	// HookFailedFailsRollback: a hook answering FAILED while ECS rolls back
	// fails the rollback (ROLLBACK_FAILED) instead of being ignored (B19).
	HookFailedFailsRollback bool
	// NewExecutionIDPerInvocation: every IN_PROGRESS re-invocation of a hook
	// gets a new executionId (B16).
	NewExecutionIDPerInvocation bool
	// AbsentPropertyResets: a DeploymentConfiguration member dropped from the
	// template (LifecycleHooks, Alarms, Strategy) is reset to its off state
	// by CloudFormation's handler, instead of being left out of UpdateService
	// and so kept (B38).
	AbsentPropertyResets bool
	// RollbackReverseOrder: CloudFormation rolls an update back in reverse
	// dependency order (a service before the listener rule it refers to)
	// rather than in dependency order, as an update to the previous
	// template would run (B28: the order is not documented).
	RollbackReverseOrder bool
	// ThreeValuesPerCondition: ELB enforces the guide's "up to three match
	// evaluations per condition" (B41) besides five per rule.
	ThreeValuesPerCondition bool
	// ShuffledDeployments: ListServiceDeployments returns a service's
	// deployments in an order that is not by time, rather than newest
	// first (B11: the order is not documented).
	ShuffledDeployments bool
	// TrustLiveRule: a deployment takes the target group that the
	// production rule sends the traffic to as the one that serves, rather
	// than the one ECS last put the service's tasks in (B13: which one ECS
	// takes when the two disagree is not documented).
	TrustLiveRule bool
}

// DefaultSwitches are the specification's defaults.
func DefaultSwitches() Switches {
	return Switches{
		CircuitBreakerBlueGreen: true,
		ForceOnEveryUpdate:      true,
		ThreeValuesPerCondition: true,
	}
}

// Options configure a twin.
type Options struct {
	Switches Switches
	// Scale is how many times faster than real time the virtual clock runs;
	// zero means DefaultScale.
	Scale float64
	// Quotas; zero means AWS's defaults.
	RulesPerLoadBalancer       int // 100 (B40)
	TargetGroupsPerLoadBalance int // 100 (B44)
	RulesPerSecurityGroup      int // 60 per direction and IP family (B47)
}

// Twin is a running twin.
type Twin struct {
	URL   string
	Moto  *testenv.Moto
	Clock *Clock

	opts Options
	srv  *httptest.Server
	fwd  *httputil.ReverseProxy

	mu     sync.Mutex
	seq    int
	cfn    *cloudFormation
	elb    *loadBalancing
	ec2    *securityGroups
	ecs    *containerService
	lambda *functions
	other  map[string]*fakeResource // resources the twin only names
	stop   chan struct{}
	done   chan struct{}
	// Invocations lists every hook invocation, for tests of the twin.
	invocations []Invocation
	// holds are the steps a test holds (Hold), by "STACK/LOGICAL-ID".
	holds map[string]int
}

// Start runs a twin for the test, with a moto_server of its own, and stops
// both when the test ends. It skips the test under -short and when
// moto_server or python3 is missing (fails when CI=true).
func Start(t testing.TB, opts Options) *Twin {
	t.Helper()
	testenv.SkipIfShort(t, "starts moto_server and the twin")
	testenv.Require(t, "python3")
	m := testenv.StartMoto(t)
	tw := New(m, opts)
	t.Cleanup(tw.Close)
	return tw
}

// New runs a twin in front of moto m. Close stops it.
func New(m *testenv.Moto, opts Options) *Twin {
	if opts.Scale == 0 {
		opts.Scale = DefaultScale
	}
	if opts.RulesPerLoadBalancer == 0 {
		opts.RulesPerLoadBalancer = 100
	}
	if opts.TargetGroupsPerLoadBalance == 0 {
		opts.TargetGroupsPerLoadBalance = 100
	}
	if opts.RulesPerSecurityGroup == 0 {
		opts.RulesPerSecurityGroup = 60
	}
	motoURL, _ := url.Parse(m.Endpoint)
	tw := &Twin{Moto: m, Clock: NewClock(opts.Scale), opts: opts,
		fwd:   httputil.NewSingleHostReverseProxy(motoURL),
		other: map[string]*fakeResource{}, stop: make(chan struct{}), done: make(chan struct{}), holds: map[string]int{}}
	// Test traffic stays on 127.0.0.1: no proxy from the environment.
	tw.fwd.Transport = &http.Transport{Proxy: nil}
	tw.cfn = newCloudFormation()
	tw.elb = newLoadBalancing()
	tw.ec2 = newSecurityGroups()
	tw.ecs = newContainerService()
	tw.lambda = newFunctions()
	tw.srv = httptest.NewServer(tw)
	tw.URL = tw.srv.URL
	go tw.run()
	return tw
}

// Close stops the engine, the hook runners and the server.
func (tw *Twin) Close() {
	select {
	case <-tw.stop:
		return
	default:
	}
	close(tw.stop)
	<-tw.done
	tw.srv.Close()
	tw.lambda.closeAll()
}

// Env is the environment for a subprocess that must talk to the twin: the
// moto environment with the twin's endpoint.
func (tw *Twin) Env() []string {
	if tw.Moto == nil {
		return append(os.Environ(), "AWS_ENDPOINT_URL="+tw.URL)
	}
	var env []string
	for _, kv := range tw.Moto.Env() {
		if !strings.HasPrefix(kv, "AWS_ENDPOINT_URL=") {
			env = append(env, kv)
		}
	}
	return append(env, "AWS_ENDPOINT_URL="+tw.URL)
}

// Switches are the twin's settings of the unconfirmed points.
func (tw *Twin) Switches() Switches { return tw.opts.Switches }

// tick is how often the engine moves time-driven state on.
const tick = 10 * time.Millisecond

// run is the engine: it moves stacks, deployments and tasks on with the
// virtual clock. Alarm states are read from moto without the lock.
func (tw *Twin) run() {
	defer close(tw.done)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-tw.stop:
			return
		case <-t.C:
		}
		tw.mu.Lock()
		names := tw.ecs.watchedAlarms()
		tw.mu.Unlock()
		states := tw.alarmStates(names)
		tw.mu.Lock()
		now := tw.Clock.Now()
		tw.ecs.step(tw, now, states)
		tw.cfn.step(tw, now)
		tw.mu.Unlock()
	}
}

// nextID is a fresh identifier of n lowercase hex-like characters.
func (tw *Twin) nextID(n int) string {
	tw.seq++
	s := fmt.Sprintf("%016x%016x", uint64(tw.seq)*0x9E3779B97F4A7C15, uint64(time.Now().UnixNano()))
	for len(s) < n {
		s += s
	}
	return s[:n]
}

var credentialScope = regexp.MustCompile(`Credential=[^/]*/[^/]*/[^/]*/([^/]*)/`)

// ServeHTTP routes a request by the service in its SigV4 credential scope.
func (tw *Twin) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	service := ""
	if m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		service = m[1]
	}
	switch service {
	case "cloudformation", "elasticloadbalancing", "ecs":
	default:
		tw.fwd.ServeHTTP(rw, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	switch service {
	case "ecs":
		target := r.Header.Get("X-Amz-Target")
		_, op, _ := strings.Cut(target, ".")
		tw.mu.Lock()
		out, aerr := tw.ecsAPI(op, body)
		var answer []byte
		if aerr == nil {
			// Encoded under the lock: out may share the twin's maps.
			var err error
			if answer, err = json.Marshal(out); err != nil {
				aerr = errorf(500, "ServerException", "twin: encode answer: %v", err)
			}
		}
		tw.mu.Unlock()
		if aerr != nil {
			writeJSONError(rw, aerr)
			return
		}
		writeJSON(rw, answer)
	default:
		form, err := url.ParseQuery(string(body))
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		p := parseForm(form)
		action := p.str("Action")
		ns := "http://cloudformation.amazonaws.com/doc/2010-05-15/"
		if service == "elasticloadbalancing" {
			ns = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"
		}
		tw.mu.Lock()
		var result func(*xmlw)
		var aerr *apiError
		if service == "cloudformation" {
			result, aerr = tw.cloudFormationAPI(action, p)
		} else {
			result, aerr = tw.elbAPI(action, p)
		}
		var body string
		if aerr == nil {
			body = renderQuery(ns, action, result)
		}
		tw.mu.Unlock()
		if aerr != nil {
			writeQueryError(rw, ns, aerr)
			return
		}
		writeQuery(rw, body)
	}
}

// alarmStates reads the state of the named alarms from moto's CloudWatch,
// as ECS reads them (B23: "Amazon ECS calls DescribeAlarms to poll the
// alarms"); a test sets them with SetAlarmState, as moto does not evaluate
// metrics.
func (tw *Twin) alarmStates(names []string) map[string]string {
	states := map[string]string{}
	for start := 0; start < len(names); start += 100 {
		end := min(start+100, len(names))
		form := url.Values{}
		for i, n := range names[start:end] {
			form.Set("AlarmNames.member."+strconv.Itoa(i+1), n)
		}
		body, err := tw.Moto.Call("monitoring", "DescribeAlarms", form)
		if err != nil {
			continue
		}
		alarmNames := testenv.XMLValues(body, "AlarmName")
		values := testenv.XMLValues(body, "StateValue")
		for i := range alarmNames {
			if i < len(values) {
				states[alarmNames[i]] = values[i]
			}
		}
	}
	return states
}

// Hold keeps the step of an update of stack that works on resource logical
// in progress, once started, until release is called: a SIMULATION of a
// CloudFormation handler that takes its time, which AWS's own handlers do
// (a listener rule takes seconds, a service as long as its deployment),
// so that a test can act while that step runs. Only the steps of an update
// hold, not those of its rollback; a cancel still ends the update, and a
// held service's ECS deployment goes on.
func (tw *Twin) Hold(stack, logical string) (release func()) {
	key := stack + "/" + logical
	tw.mu.Lock()
	tw.holds[key]++
	tw.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			tw.mu.Lock()
			tw.holds[key]--
			tw.mu.Unlock()
		})
	}
}

// held reports whether a test holds the step of stack on logical.
func (tw *Twin) held(stack, logical string) bool { return tw.holds[stack+"/"+logical] > 0 }

// Invocation is one hook invocation, as the twin made it.
type Invocation struct {
	Function string
	Stage    string
	Payload  map[string]any
	Response string
	At       time.Time
}

// Invocations returns the hook invocations made so far.
func (tw *Twin) Invocations() []Invocation {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	return append([]Invocation(nil), tw.invocations...)
}
