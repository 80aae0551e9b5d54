package deploy

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/cfnfargate/cfnfargate/stack"
)

const testTemplate = `AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  VpcId:
    Type: AWS::EC2::VPC::Id
  PublicSubnetIds:
    Type: List<AWS::EC2::Subnet::Id>
  ImageTag:
    Type: String
    Default: latest
Resources:
  Cluster:
    Type: AWS::ECS::Cluster
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub "/ecs/${AWS::StackName}"
Outputs:
  URL:
    Value: !GetAtt Cluster.Arn
`

var testFlags = map[string]string{
	"VpcId":           "--vpc-id",
	"PublicSubnetIds": "--public-subnets",
}

// testPoll is the poll interval of the tests: short enough that a scenario
// of a few hundred milliseconds is polled many times.
const testPoll = 20 * time.Millisecond

func testInput() Input {
	return Input{
		StackName:      "demo",
		TemplateBody:   testTemplate,
		Parameters:     map[string]string{"VpcId": "vpc-0123abcd", "PublicSubnetIds": "subnet-0123abcd,subnet-4567abcd"},
		ParameterFlags: testFlags,
		Capabilities:   []string{"CAPABILITY_IAM"},
		Tags:           map[string]string{"team": "web"},
		Timeout:        10 * time.Second,
	}
}

// recorder is a Sink that keeps every event, and can act on one (to press
// Ctrl-C at a chosen moment, say).
type recorder struct {
	mu      sync.Mutex
	events  []Event
	onEvent func(Event)
}

func (r *recorder) Event(e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	f := r.onEvent
	r.mu.Unlock()
	if f != nil {
		f(e)
	}
}

func (r *recorder) all() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

func (r *recorder) resourceEvents() []ResourceEvent {
	var out []ResourceEvent
	for _, e := range r.all() {
		if re, ok := e.(ResourceEvent); ok {
			out = append(out, re)
		}
	}
	return out
}

func (r *recorder) eventIDs() []string {
	var out []string
	for _, e := range r.resourceEvents() {
		out = append(out, e.ID)
	}
	return out
}

func (r *recorder) notes() string {
	var b strings.Builder
	for _, e := range r.all() {
		if n, ok := e.(Note); ok {
			b.WriteString(n.Text + "\n")
		}
	}
	return b.String()
}

func (r *recorder) plans() []Plan {
	var out []Plan
	for _, e := range r.all() {
		if p, ok := e.(PlanReady); ok {
			out = append(out, p.Plan)
		}
	}
	return out
}

func newTestDeployer(sim *simulator) (*Deployer, *recorder) {
	rec := &recorder{}
	return &Deployer{API: sim.client(), Sink: rec, PollInterval: testPoll}, rec
}

// byToken keeps the events a deployer-issued token marks, that is the
// events of the operations the deployer started.
func byToken(e simEvent) bool { return strings.HasPrefix(e.token, "cfnfargate-") }

func indexOf(list []string, s string) int { return slices.Index(list, s) }

// Proves: a slow create reports every one of its events exactly once, in
// the order CloudFormation produced them, even when one poll needs several
// event pages, and ends in success with the stack's outputs.
func TestDeployCreatesSlowStackReportingEveryEventOnce(t *testing.T) {
	t.Parallel()
	sim := newSimulator(t)
	sim.eventPageSize = 4
	sim.outputs = []simOutput{{"URL", "http://demo.example"}, {"ClusterName", "demo"}}
	sim.onExecute = func(*simStack, *simChangeSet) *script { return createScript(resources(15), 12*time.Millisecond) }
	sim.changes = []simChange{{action: "Add", logicalID: "Cluster", resType: "AWS::ECS::Cluster"}}
	d, rec := newTestDeployer(sim)

	res, err := d.Deploy(context.Background(), testInput())
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	if res.Status != statusCreateComplete || res.ChangeSetType != "CREATE" {
		t.Errorf("Status, ChangeSetType = %s, %s; want CREATE_COMPLETE, CREATE", res.Status, res.ChangeSetType)
	}
	want := []Output{{Key: "ClusterName", Value: "demo", Description: "the ClusterName"}, {Key: "URL", Value: "http://demo.example", Description: "the URL"}}
	if !slices.Equal(res.Outputs, want) {
		t.Errorf("Outputs = %+v; want %+v", res.Outputs, want)
	}
	wantIDs := sim.eventIDs(sim.stack("demo"), byToken)
	if len(wantIDs) != 1+15*3+1 {
		t.Fatalf("simulator produced %d events; the script has %d", len(wantIDs), 1+15*3+1)
	}
	if got := rec.eventIDs(); !slices.Equal(got, wantIDs) {
		t.Errorf("reported events:\n%v\nwant each of the operation's events once, in order:\n%v", got, wantIDs)
	}
	if plans := rec.plans(); len(plans) != 1 || plans[0].Changes[0].LogicalID != "Cluster" {
		t.Errorf("plans = %+v; want one plan adding Cluster", plans)
	}
	cs := sim.callsTo("CreateChangeSet")
	if len(cs) != 1 || cs[0].Form.Get("ChangeSetType") != "CREATE" || cs[0].Form.Get("Capabilities.member.1") != "CAPABILITY_IAM" ||
		cs[0].Form.Get("Tags.member.1.Key") != "team" {
		t.Errorf("CreateChangeSet calls = %+v; want one CREATE with the capability and the tag", cs)
	}
	if ex := sim.callsTo("ExecuteChangeSet"); len(ex) != 1 || !strings.HasPrefix(ex[0].Form.Get("ClientRequestToken"), "cfnfargate-") {
		t.Errorf("ExecuteChangeSet calls = %+v; want one with a ClientRequestToken", ex)
	}
}

// Proves: without ClientRequestTokens on the events, the change set's
// creation time still separates this operation's events from older ones.
func TestDeployFiltersEventsByTimeWhenTokensAreMissing(t *testing.T) {
	t.Parallel()
	sim := newSimulator(t)
	sim.omitTokens = true
	sim.eventPageSize = 3
	old := sim.addStack("demo", statusUpdateComplete, map[string]string{"VpcId": "vpc-0123abcd", "PublicSubnetIds": "x", "ImageTag": "v1"})
	sim.onExecute = func(*simStack, *simChangeSet) *script { return updateScript(resources(4), 10*time.Millisecond) }
	sim.changes = []simChange{{action: "Modify", logicalID: "Resource01", resType: "AWS::EC2::SecurityGroup", replacement: "False"}}
	d, rec := newTestDeployer(sim)

	if _, err := d.Deploy(context.Background(), testInput()); err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	want := sim.eventIDs(old, func(e simEvent) bool { return e.token != "earlier-operation" })
	if got := rec.eventIDs(); !slices.Equal(got, want) {
		t.Errorf("reported events %v; want %v", got, want)
	}
}

// Proves: a create that fails on one resource and rolls back is a
// *FailedError naming that resource and its own reason, not a sibling's
// "Resource creation cancelled" nor the stack's summary, and the state the
// stack was left in.
func TestDeployNamesTheResourceThatFailedACreate(t *testing.T) {
	t.Parallel()
	sim := newSimulator(t)
	gap := 8 * time.Millisecond
	sim.onExecute = func(*simStack, *simChangeSet) *script {
		return newScript().stack("CREATE_IN_PROGRESS", "User Initiated").
			wait(gap).res("Cluster", "AWS::ECS::Cluster", "CREATE_IN_PROGRESS", "").
			res("Listener", "AWS::ElasticLoadBalancingV2::Listener", "CREATE_IN_PROGRESS", "").
			wait(gap).res("Listener", "AWS::ElasticLoadBalancingV2::Listener", "CREATE_FAILED",
			"Resource handler returned message: \"Certificate 'arn:aws:acm:us-east-1:123456789012:certificate/x' not found\"").
			wait(gap).res("Cluster", "AWS::ECS::Cluster", "CREATE_FAILED", "Resource creation cancelled").
			stack("ROLLBACK_IN_PROGRESS", "The following resource(s) failed to create: [Cluster, Listener]. Rollback requested by user.").
			wait(gap).res("Cluster", "AWS::ECS::Cluster", "DELETE_COMPLETE", "").
			res("Listener", "AWS::ElasticLoadBalancingV2::Listener", "DELETE_COMPLETE", "").
			wait(gap).stack(statusRollbackComplete, "")
	}
	sim.changes = []simChange{{action: "Add", logicalID: "Cluster", resType: "AWS::ECS::Cluster"}}
	d, _ := newTestDeployer(sim)

	_, err := d.Deploy(context.Background(), testInput())
	var fe *FailedError
	if !errors.As(err, &fe) {
		t.Fatalf("Deploy error = %v (%T); want *FailedError", err, err)
	}
	if fe.LogicalID != "Listener" || !strings.Contains(fe.Reason, "Certificate") || fe.Status != statusRollbackComplete {
		t.Errorf("FailedError = %+v; want Listener, its certificate reason, ROLLBACK_COMPLETE", fe)
	}
	msg := err.Error()
	for _, want := range []string{"create of stack demo failed", "Listener (AWS::ElasticLoadBalancingV2::Listener)", "ROLLBACK_COMPLETE"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	if strings.Contains(msg, "cancelled") || strings.Contains(msg, "following resource(s)") {
		t.Errorf("error %q names a consequence instead of the cause", msg)
	}
	if ExitCode(err) != 1 {
		t.Errorf("ExitCode = %d; want 1", ExitCode(err))
	}
}

// Proves: an update the ECS deployment circuit breaker rolls back
// (UPDATE_ROLLBACK_COMPLETE) is a failure, not the success the SDK waiters
// report, and names the service.
func TestDeployTreatsUpdateRollbackAsFailure(t *testing.T) {
	t.Parallel()
	sim := newSimulator(t)
	sim.addStack("demo", statusCreateComplete, map[string]string{"VpcId": "vpc-0123abcd", "PublicSubnetIds": "x", "ImageTag": "v1"})
	gap := 8 * time.Millisecond
	sim.onExecute = func(*simStack, *simChangeSet) *script {
		return newScript().stack(statusUpdateInProgress, "User Initiated").
			wait(gap).res("Service", "AWS::ECS::Service", statusUpdateInProgress, "").
			wait(gap).res("Service", "AWS::ECS::Service", "UPDATE_FAILED",
			"Resource handler returned message: \"Error occurred during operation 'ECS Deployment Circuit Breaker was triggered'.\"").
			stack("UPDATE_ROLLBACK_IN_PROGRESS", "The following resource(s) failed to update: [Service].").
			wait(gap).res("Service", "AWS::ECS::Service", statusUpdateInProgress, "").
			wait(gap).res("Service", "AWS::ECS::Service", statusUpdateComplete, "").
			stack("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "").
			wait(gap).stack(statusUpdateRollbackComplete, "")
	}
	sim.changes = []simChange{{action: "Modify", logicalID: "Service", resType: "AWS::ECS::Service", replacement: "False"}}
	d, _ := newTestDeployer(sim)

	_, err := d.Deploy(context.Background(), testInput())
	var fe *FailedError
	if !errors.As(err, &fe) {
		t.Fatalf("Deploy error = %v; want *FailedError", err)
	}
	if fe.LogicalID != "Service" || !strings.Contains(fe.Reason, "Circuit Breaker") || fe.Status != statusUpdateRollbackComplete {
		t.Errorf("FailedError = %+v; want Service, circuit breaker, UPDATE_ROLLBACK_COMPLETE", fe)
	}
	if !strings.Contains(err.Error(), "previous version") {
		t.Errorf("error %q does not say the previous version still runs", err)
	}
}

// Proves: a stack left in ROLLBACK_COMPLETE by a failed first create is
// deleted, waited for, and created again with a CREATE change set.
func TestDeployReplacesStackLeftInRollbackComplete(t *testing.T) {
	t.Parallel()
	sim := newSimulator(t)
	sim.addStack("demo", statusRollbackComplete, nil)
	sim.onDelete = func(*simStack) *script { return deleteScript(resources(2), 8*time.Millisecond) }
	sim.onExecute = func(*simStack, *simChangeSet) *script { return createScript(resources(2), 8*time.Millisecond) }
	sim.changes = []simChange{{action: "Add", logicalID: "Cluster", resType: "AWS::ECS::Cluster"}}
	d, rec := newTestDeployer(sim)

	res, err := d.Deploy(context.Background(), testInput())
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	if res.Status != statusCreateComplete {
		t.Errorf("Status = %s; want CREATE_COMPLETE", res.Status)
	}
	acts := sim.actions()
	del, create := indexOf(acts, "DeleteStack"), indexOf(acts, "CreateChangeSet")
	if del < 0 || create < del {
		t.Fatalf("calls %v; want DeleteStack before CreateChangeSet", acts)
	}
	if typ := sim.callsTo("CreateChangeSet")[0].Form.Get("ChangeSetType"); typ != "CREATE" {
		t.Errorf("ChangeSetType = %s; want CREATE", typ)
	}
	if !strings.Contains(rec.notes(), "ROLLBACK_COMPLETE after a failed create") {
		t.Errorf("notes %q do not explain the delete", rec.notes())
	}
	// The delete's events are reported too: two resources and the stack.
	var deletes int
	for _, e := range rec.resourceEvents() {
		if e.Status == statusDeleteComplete {
			deletes++
		}
	}
	if deletes != 3 {
		t.Errorf("reported %d DELETE_COMPLETE events; want 3", deletes)
	}
}

// Proves: a stack found UPDATE_IN_PROGRESS is waited for, and the change set
// is created only after it settled.
func TestDeployWaitsForBusyStackFirst(t *testing.T) {
	t.Parallel()
	sim := newSimulator(t)
	busy := sim.addStack("demo", statusUpdateComplete, map[string]string{"VpcId": "vpc-0123abcd", "PublicSubnetIds": "x", "ImageTag": "v1"})
	sim.mu.Lock()
	sim.run(busy, updateScript(resources(3), 15*time.Millisecond), "someone-elses-token")
	sim.mu.Unlock()
	sim.onExecute = func(*simStack, *simChangeSet) *script { return updateScript(resources(1), 5*time.Millisecond) }
	sim.changes = []simChange{{action: "Modify", logicalID: "Resource01", resType: "AWS::EC2::SecurityGroup", replacement: "False"}}
	d, rec := newTestDeployer(sim)

	if _, err := d.Deploy(context.Background(), testInput()); err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	creates := sim.callsTo("CreateChangeSet")
	if len(creates) != 1 {
		t.Fatalf("%d CreateChangeSet calls; want 1", len(creates))
	}
	// settledAt is now the deploy's own settle; the busy operation's end is
	// its UPDATE_COMPLETE event before the deploy's first one.
	var busyEnd time.Time
	sim.locked(func() {
		for _, e := range busy.events {
			if e.token == "someone-elses-token" && e.status == statusUpdateComplete && e.logicalID == "demo" {
				busyEnd = e.at
			}
		}
	})
	if busyEnd.IsZero() || creates[0].At.Before(busyEnd) {
		t.Errorf("CreateChangeSet at %v, busy update settled at %v; want it after", creates[0].At, busyEnd)
	}
	if !strings.Contains(rec.notes(), "is UPDATE_IN_PROGRESS; waiting for that to finish before deploying") {
		t.Errorf("notes %q do not say why it waits", rec.notes())
	}
}

// Proves: bursts of throttling (HTTP 400 Throttling) and HTTP 500 in the
// middle of a wait, longer than the SDK's own retries, do not abort the
// deploy, and no event is lost or repeated.
func TestDeploySurvivesThrottlingAndServerErrors(t *testing.T) {
	t.Parallel()
	sim := newSimulator(t)
	sim.eventPageSize = 5
	sim.onExecute = func(*simStack, *simChangeSet) *script { return createScript(resources(6), 10*time.Millisecond) }
	sim.changes = []simChange{{action: "Add", logicalID: "Cluster", resType: "AWS::ECS::Cluster"}}
	sim.faultDelay = 30 * time.Millisecond
	for range 6 {
		sim.faults = append(sim.faults, faultThrottle)
	}
	for range 6 {
		sim.faults = append(sim.faults, faultInternal)
	}
	sim.faults = append(sim.faults, faultThrottle, faultInternal, faultThrottle)
	d, rec := newTestDeployer(sim)

	res, err := d.Deploy(context.Background(), testInput())
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	if res.Status != statusCreateComplete {
		t.Errorf("Status = %s; want CREATE_COMPLETE", res.Status)
	}
	var served int
	sim.locked(func() { served = sim.faultServed })
	if served != len(sim.faults) {
		t.Errorf("served %d of %d faults; the scenario did not run", served, len(sim.faults))
	}
	// The bursts outlast the SDK's 5 attempts, so the wait loop itself
	// must have retried.
	if notes := rec.notes(); !strings.Contains(notes, "Throttling: Rate exceeded") || !strings.Contains(notes, "InternalFailure") {
		t.Errorf("notes %q; want failed polls retried by the wait loop", notes)
	}
	if got, want := rec.eventIDs(), sim.eventIDs(sim.stack("demo"), byToken); !slices.Equal(got, want) {
		t.Errorf("reported events %v; want %v", got, want)
	}
}

// Proves: connections dropped by the server mid-request during the wait
// do not abort the deploy.
func TestDeploySurvivesDroppedConnections(t *testing.T) {
	t.Parallel()
	sim := newSimulator(t)
	sim.onExecute = func(*simStack, *simChangeSet) *script { return createScript(resources(4), 10*time.Millisecond) }
	sim.changes = []simChange{{action: "Add", logicalID: "Cluster", resType: "AWS::ECS::Cluster"}}
	sim.faultDelay = 25 * time.Millisecond
	sim.faults = []fault{faultHangUp, faultHangUp, faultHangUp, faultHangUp, faultHangUp, faultHangUp, faultHangUp}
	d, rec := newTestDeployer(sim)

	res, err := d.Deploy(context.Background(), testInput())
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	var served int
	sim.locked(func() { served = sim.faultServed })
	if res.Status != statusCreateComplete || served != len(sim.faults) {
		t.Errorf("Status = %s, faults served %d/%d; want CREATE_COMPLETE after all faults", res.Status, served, len(sim.faults))
	}
	if got, want := rec.eventIDs(), sim.eventIDs(sim.stack("demo"), byToken); !slices.Equal(got, want) {
		t.Errorf("reported events %v; want %v", got, want)
	}
	if notes := rec.notes(); !strings.Contains(notes, "Reading stack demo failed (") {
		t.Errorf("notes %q; want a failed poll retried by the wait loop", notes)
	}
}

// Proves: Ctrl-C during an update cancels the update, keeps reporting until
// the rollback settles, and returns an *InterruptedError (exit 130) that
// says where the stack ended.
func TestDeployCancelsUpdateOnInterrupt(t *testing.T) {
	t.Parallel()
	sim := newSimulator(t)
	sim.addStack("demo", statusUpdateComplete, map[string]string{"VpcId": "vpc-0123abcd", "PublicSubnetIds": "x", "ImageTag": "v1"})
	sim.onExecute = func(*simStack, *simChangeSet) *script { return updateScript(resources(5), time.Second) }
	sim.onCancel = func(*simStack) *script {
		return newScript().stack("UPDATE_ROLLBACK_IN_PROGRESS", "Stack update cancelled").
			wait(10*time.Millisecond).res("Resource01", "AWS::EC2::SecurityGroup", statusUpdateInProgress, "").
			wait(10*time.Millisecond).res("Resource01", "AWS::EC2::SecurityGroup", statusUpdateComplete, "").
			wait(10*time.Millisecond).stack(statusUpdateRollbackComplete, "")
	}
	sim.changes = []simChange{{action: "Modify", logicalID: "Resource01", resType: "AWS::EC2::SecurityGroup", replacement: "False"}}
	d, rec := newTestDeployer(sim)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec.onEvent = func(e Event) {
		if re, ok := e.(ResourceEvent); ok && re.StackLevel && re.Status == statusUpdateInProgress {
			cancel()
		}
	}

	_, err := d.Deploy(ctx, testInput())
	var ie *InterruptedError
	if !errors.As(err, &ie) {
		t.Fatalf("Deploy error = %v; want *InterruptedError", err)
	}
	if ie.Status != statusUpdateRollbackComplete || ExitCode(err) != ExitInterrupted {
		t.Errorf("InterruptedError = %+v, exit %d; want UPDATE_ROLLBACK_COMPLETE, 130", ie, ExitCode(err))
	}
	cancels := sim.callsTo("CancelUpdateStack")
	if len(cancels) != 1 || !strings.HasPrefix(cancels[0].Form.Get("ClientRequestToken"), "cfnfargate-cancel") {
		t.Fatalf("CancelUpdateStack calls = %+v; want one with a token", cancels)
	}
	evs := rec.resourceEvents()
	if last := evs[len(evs)-1]; last.Status != statusUpdateRollbackComplete {
		t.Errorf("last reported event %+v; want the rollback's end", last)
	}
}

// Proves: Ctrl-C during a create stops waiting at once, without touching
// the stack, and the error says how to check on or delete it.
func TestDeployStopsWaitingForCreateOnInterrupt(t *testing.T) {
	t.Parallel()
	sim := slowCreateSimulator(t)
	d, rec := newTestDeployer(sim)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec.onEvent = func(e Event) {
		if _, ok := e.(ResourceEvent); ok {
			cancel()
		}
	}

	_, err := d.Deploy(ctx, testInput())
	var ie *InterruptedError
	if !errors.As(err, &ie) {
		t.Fatalf("Deploy error = %v; want *InterruptedError", err)
	}
	if !strings.Contains(err.Error(), "CREATE_IN_PROGRESS") {
		t.Errorf("error %q does not say the stack is CREATE_IN_PROGRESS", err)
	}
	steps := stepsText(NextSteps(err))
	id := sim.stack("demo").id
	for _, want := range []string{"check on it: cfnfargate status demo @" + id, "delete it: cfnfargate delete demo @" + id} {
		if !strings.Contains(steps, want) {
			t.Errorf("steps %q do not contain %q", steps, want)
		}
	}
	if st := sim.status(sim.stack("demo")); st != "CREATE_IN_PROGRESS" {
		t.Errorf("stack is %s when Deploy returned; want it still CREATE_IN_PROGRESS (Deploy returns at once)", st)
	}
	if n := len(sim.callsTo("CancelUpdateStack")) + len(sim.callsTo("DeleteStack")); n != 0 {
		t.Errorf("%d CancelUpdateStack/DeleteStack calls; want none", n)
	}
}

// Proves: a wait that runs out is a *TimeoutError that says the stack is
// still in progress.
func TestDeployTimesOut(t *testing.T) {
	t.Parallel()
	sim := slowCreateSimulator(t)
	d, _ := newTestDeployer(sim)
	in := testInput()
	in.Timeout = 250 * time.Millisecond

	_, err := d.Deploy(context.Background(), in)
	var te *TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("Deploy error = %v; want *TimeoutError", err)
	}
	if !strings.Contains(err.Error(), "still CREATE_IN_PROGRESS") || ExitCode(err) != 1 {
		t.Errorf("error %q (exit %d); want it to say the stack is still CREATE_IN_PROGRESS, exit 1", err, ExitCode(err))
	}
}

// Proves: a change set without changes is a success that says "No
// changes", deletes the empty change set and executes nothing.
func TestDeployWithoutChangesSucceeds(t *testing.T) {
	t.Parallel()
	sim := newSimulator(t)
	sim.addStack("demo", statusUpdateComplete, map[string]string{"VpcId": "vpc-0123abcd", "PublicSubnetIds": "x", "ImageTag": "v1"})
	sim.outputs = []simOutput{{"URL", "http://demo.example"}}
	sim.noChanges = true
	d, rec := newTestDeployer(sim)

	res, err := d.Deploy(context.Background(), testInput())
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	if !res.NoChanges || res.Status != statusUpdateComplete || len(res.Outputs) != 1 {
		t.Errorf("Result = %+v; want NoChanges, UPDATE_COMPLETE, the outputs", res)
	}
	if !strings.Contains(rec.notes(), "No changes") {
		t.Errorf("notes %q; want No changes", rec.notes())
	}
	if len(sim.callsTo("DeleteChangeSet")) != 1 || len(sim.callsTo("ExecuteChangeSet")) != 0 {
		t.Errorf("calls %v; want the change set deleted and nothing executed", sim.actions())
	}
}

// Proves: a stack in UPDATE_ROLLBACK_FAILED stops the deploy before any
// change set, with the continue-update-rollback command to run.
func TestDeployRefusesStackInUpdateRollbackFailed(t *testing.T) {
	t.Parallel()
	sim := newSimulator(t)
	sim.addStack("demo", "UPDATE_ROLLBACK_FAILED", map[string]string{"VpcId": "vpc-0123abcd"})
	d, _ := newTestDeployer(sim)

	_, err := d.Deploy(context.Background(), testInput())
	var be *BlockedError
	if !errors.As(err, &be) {
		t.Fatalf("Deploy error = %v; want *BlockedError", err)
	}
	if !strings.Contains(stepsText(NextSteps(err)), "aws cloudformation continue-update-rollback --stack-name demo") {
		t.Errorf("error %q, steps %q lack the continue-update-rollback advice", err, stepsText(NextSteps(err)))
	}
	if n := len(sim.callsTo("CreateChangeSet")); n != 0 {
		t.Errorf("%d CreateChangeSet calls; want none", n)
	}
}

// Proves: on an update, parameters the user leaves out keep their previous
// values (UsePreviousValue), including those with a template default.
func TestDeployKeepsPreviousParameterValues(t *testing.T) {
	t.Parallel()
	sim := newSimulator(t)
	sim.addStack("demo", statusUpdateComplete, map[string]string{"VpcId": "vpc-0123abcd", "PublicSubnetIds": "subnet-1,subnet-2", "ImageTag": "v1"})
	sim.onExecute = func(*simStack, *simChangeSet) *script { return updateScript(resources(1), 5*time.Millisecond) }
	sim.changes = []simChange{{action: "Modify", logicalID: "Service", resType: "AWS::ECS::Service", replacement: "False"}}
	d, _ := newTestDeployer(sim)
	in := testInput()
	in.Parameters = map[string]string{"ImageTag": "v2"}

	if _, err := d.Deploy(context.Background(), in); err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	got := formParams(sim.callsTo("CreateChangeSet")[0].Form)
	want := map[string]string{"VpcId": "(previous)", "PublicSubnetIds": "(previous)", "ImageTag": "v2"}
	if len(got) != len(want) {
		t.Fatalf("parameters sent = %v; want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("parameter %s = %q; want %q", k, got[k], v)
		}
	}
}

// Proves: on a create, a required parameter left out is an invalid-input error
// (exit 2) naming the flag to use, found after the one read-only call that
// tells a create from an update and before anything is created.
func TestDeployRequiresParametersWithoutDefaultOnCreate(t *testing.T) {
	t.Parallel()
	sim := newSimulator(t)
	d, _ := newTestDeployer(sim)
	in := testInput()
	in.Parameters = map[string]string{"ImageTag": "v2", "Colour": "blue"}

	_, err := d.Deploy(context.Background(), in)
	var ie *stack.ValidationError
	if !errors.As(err, &ie) {
		t.Fatalf("Deploy error = %v; want a *stack.ValidationError", err)
	}
	msg := err.Error()
	for _, want := range []string{"--vpc-id", "--public-subnets", "parameter VpcId is required", "no parameter Colour"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	if ExitCode(err) != ExitInput {
		t.Errorf("ExitCode = %d; want 2", ExitCode(err))
	}
	if acts := sim.actions(); !slices.Equal(acts, []string{"DescribeStacks"}) {
		t.Errorf("calls = %v; want only the DescribeStacks that shows the stack is new", acts)
	}
}

// Proves: input that is wrong on its face is an invalid-input error listing every
// problem, before any API call at all.
func TestDeployRejectsBadInputBeforeAnyCall(t *testing.T) {
	t.Parallel()
	sim := newSimulator(t)
	d, _ := newTestDeployer(sim)
	in := testInput()
	in.StackName = "9lives"
	in.RoleARN = "admin"
	in.TemplateBody = strings.Repeat("#", MaxTemplateBody+1)
	in.Timeout = -time.Minute

	_, err := d.Deploy(context.Background(), in)
	var ie *stack.ValidationError
	if !errors.As(err, &ie) || len(ie.Problems) != 4 {
		t.Fatalf("Deploy error = %v; want a *stack.ValidationError with 4 problems", err)
	}
	if _, err := d.Diff(context.Background(), in); !errors.As(err, &ie) {
		t.Errorf("Diff error = %v; want a *stack.ValidationError", err)
	}
	if acts := sim.actions(); len(acts) != 0 {
		t.Errorf("calls = %v; want none", acts)
	}
}

// Proves: diff of a new stack reports the plan, then deletes the change
// set and the REVIEW_IN_PROGRESS stack it had to create, and executes
// nothing.
func TestDiffNewStackCleansUp(t *testing.T) {
	t.Parallel()
	sim := newSimulator(t)
	sim.changes = []simChange{
		{action: "Add", logicalID: "Cluster", resType: "AWS::ECS::Cluster"},
		{action: "Add", logicalID: "Logs", resType: "AWS::Logs::LogGroup"},
	}
	d, rec := newTestDeployer(sim)

	plan, err := d.Diff(context.Background(), testInput())
	if err != nil {
		t.Fatalf("Diff: %v", err)
	}
	if !plan.HasChanges() || len(plan.Changes) != 2 || plan.ChangeSetType != "CREATE" || plan.Changes[0].Mark() != "+" {
		t.Errorf("plan = %+v; want two additions in a CREATE plan", plan)
	}
	if len(rec.plans()) != 1 {
		t.Errorf("%d PlanReady events; want 1", len(rec.plans()))
	}
	review := sim.stack("demo")
	dels := sim.callsTo("DeleteChangeSet")
	stackDels := sim.callsTo("DeleteStack")
	if len(dels) != 1 || len(stackDels) != 1 || stackDels[0].Form.Get("StackName") != review.id {
		t.Errorf("calls %v; want the change set and the review stack (by ID) deleted", sim.actions())
	}
	var deleted bool
	var left int
	sim.locked(func() { deleted, left = review.deleted, len(sim.changeSets) })
	if !deleted || left != 0 {
		t.Errorf("review stack deleted = %v, change sets left = %d; want nothing left", deleted, left)
	}
	if len(sim.callsTo("ExecuteChangeSet")) != 0 {
		t.Error("diff executed the change set")
	}
}

// Proves: diff of an existing stack reports replacement and its causes,
// leaves the stack alone, and reports "no changes" as an empty plan.
func TestDiffReportsReplacements(t *testing.T) {
	t.Parallel()
	sim := newSimulator(t)
	sim.addStack("demo", statusUpdateComplete, map[string]string{"VpcId": "vpc-0123abcd", "PublicSubnetIds": "x", "ImageTag": "v1"})
	sim.changes = []simChange{
		{action: "Modify", logicalID: "LoadBalancer", resType: "AWS::ElasticLoadBalancingV2::LoadBalancer", replacement: "True",
			recreate: map[string]string{"Scheme": "Always", "Tags": "Never"}},
		{action: "Modify", logicalID: "Service", resType: "AWS::ECS::Service", replacement: "Conditional",
			recreate: map[string]string{"ServiceName": "Conditionally"}},
		{action: "Remove", logicalID: "OldBucket", resType: "AWS::S3::Bucket"},
	}
	d, _ := newTestDeployer(sim)

	plan, err := d.Diff(context.Background(), testInput())
	if err != nil {
		t.Fatalf("Diff: %v", err)
	}
	lb, svc, bucket := plan.Changes[0], plan.Changes[1], plan.Changes[2]
	if lb.Replacement != "True" || !slices.Equal(lb.ReplacementCauses, []string{"Scheme"}) || lb.Mark() != "~" {
		t.Errorf("load balancer change = %+v; want replacement True caused by Scheme", lb)
	}
	if svc.Replacement != "Conditional" || !slices.Equal(svc.ReplacementCauses, []string{"ServiceName"}) {
		t.Errorf("service change = %+v; want replacement Conditional caused by ServiceName", svc)
	}
	if bucket.Mark() != "-" || bucket.Replacement != "" {
		t.Errorf("bucket change = %+v; want a removal", bucket)
	}
	if len(sim.callsTo("DeleteStack")) != 0 {
		t.Error("diff deleted an existing stack")
	}

	sim.locked(func() { sim.noChanges = true })
	plan, err = d.Diff(context.Background(), testInput())
	if err != nil || plan.HasChanges() {
		t.Errorf("Diff without changes = %+v, %v; want an empty plan", plan, err)
	}
}

// Proves: deleting a stack that does not exist succeeds with a clear
// message and sends no DeleteStack.
func TestDeleteMissingStackSucceeds(t *testing.T) {
	t.Parallel()
	sim := newSimulator(t)
	d, rec := newTestDeployer(sim)

	res, err := d.Delete(context.Background(), DeleteInput{StackName: "demo"})
	if err != nil || res.Existed {
		t.Fatalf("Delete = %+v, %v; want success with Existed false", res, err)
	}
	if !strings.Contains(rec.notes(), "Stack demo does not exist; nothing to delete") {
		t.Errorf("notes %q; want a clear message", rec.notes())
	}
	if len(sim.callsTo("DeleteStack")) != 0 {
		t.Error("DeleteStack was called")
	}
}

// Proves: Delete waits, reporting progress, until the stack is gone, and
// reports only the delete's own events.
func TestDeleteWaitsUntilGone(t *testing.T) {
	t.Parallel()
	sim := newSimulator(t)
	st := sim.addStack("demo", statusUpdateComplete, nil)
	sim.eventPageSize = 2
	sim.onDelete = func(*simStack) *script { return deleteScript(resources(3), 8*time.Millisecond) }
	d, rec := newTestDeployer(sim)

	res, err := d.Delete(context.Background(), DeleteInput{StackName: "demo", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("Delete: %v", err)
	}
	var deleted bool
	sim.locked(func() { deleted = st.deleted })
	if !res.Existed || res.Status != statusDeleteComplete || !deleted {
		t.Errorf("Delete = %+v; want the stack DELETE_COMPLETE", res)
	}
	if got, want := rec.eventIDs(), sim.eventIDs(st, byToken); !slices.Equal(got, want) || len(got) != 8 {
		t.Errorf("reported events %v; want the delete's 8 events %v", got, want)
	}
	if tok := sim.callsTo("DeleteStack")[0].Form.Get("ClientRequestToken"); !strings.HasPrefix(tok, "cfnfargate-delete") {
		t.Errorf("DeleteStack token = %q", tok)
	}
}

// Proves: Status returns the status, the last update and the outputs, and
// a missing stack is ErrStackNotFound.
func TestStatus(t *testing.T) {
	t.Parallel()
	sim := newSimulator(t)
	st := sim.addStack("demo", statusUpdateComplete, nil)
	updated := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	sim.locked(func() { st.updated = updated })
	sim.outputs = []simOutput{{"URL", "http://demo.example"}}
	d, _ := newTestDeployer(sim)

	got, err := d.Status(context.Background(), "demo")
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	if got.Status != statusUpdateComplete || !got.Updated.Equal(updated) || len(got.Outputs) != 1 || got.Outputs[0].Value != "http://demo.example" {
		t.Errorf("Status = %+v", got)
	}
	var text strings.Builder
	if err := got.WriteText(&text); err != nil || !strings.Contains(text.String(), "http://demo.example") {
		t.Errorf("WriteText = %q, %v", text.String(), err)
	}
	if _, err := d.Status(context.Background(), "other"); !errors.Is(err, ErrStackNotFound) {
		t.Errorf("Status of a missing stack: %v; want ErrStackNotFound", err)
	}
}

// Proves: with NoWait, Deploy returns once the change set executes, and
// turns on termination protection when asked.
func TestDeployNoWaitWithTerminationProtection(t *testing.T) {
	t.Parallel()
	sim := slowCreateSimulator(t)
	d, _ := newTestDeployer(sim)
	in := testInput()
	in.NoWait, in.TerminationProtection = true, true

	res, err := d.Deploy(context.Background(), in)
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	var protected bool
	st := sim.stack("demo")
	sim.locked(func() { protected = st.terminationProtection })
	if res.Status != "CREATE_IN_PROGRESS" || !protected {
		t.Errorf("Result = %+v, protection %v; want CREATE_IN_PROGRESS and protection on", res, protected)
	}
}

// Proves: Ctrl-C while a diff's change set is being created still deletes
// the change set and the review stack, and nothing runs.
func TestDiffCleansUpOnInterrupt(t *testing.T) {
	t.Parallel()
	sim := newSimulator(t)
	sim.changeSetDelay = 10 * time.Second
	d, _ := newTestDeployer(sim)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		defer cancel()
		// Give up, well before Diff's own timeout, rather than spin for
		// ever if DescribeChangeSet never comes.
		giveUp := time.After(5 * time.Second)
		for len(sim.callsTo("DescribeChangeSet")) == 0 {
			select {
			case <-ctx.Done():
				return
			case <-giveUp:
				t.Errorf("no DescribeChangeSet call to interrupt; calls %v", sim.actions())
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()

	_, err := d.Diff(ctx, testInput())
	cancel()
	<-watched
	var ie *InterruptedError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("Diff error = %v; want *InterruptedError saying nothing was changed", err)
	}
	var deleted bool
	st := sim.stack("demo")
	sim.locked(func() { deleted = st.deleted })
	if len(sim.callsTo("DeleteChangeSet")) != 1 || len(sim.callsTo("DeleteStack")) != 1 || !deleted {
		t.Errorf("calls %v; want the change set and the review stack deleted", sim.actions())
	}
}

// Proves: a stack in REVIEW_IN_PROGRESS (change sets only, never executed)
// gets a CREATE change set, and is not deleted as if this run made it.
func TestDeployCreatesIntoReviewStack(t *testing.T) {
	t.Parallel()
	sim := newSimulator(t)
	sim.addStack("demo", statusReviewInProgress, nil)
	sim.onExecute = func(*simStack, *simChangeSet) *script { return createScript(resources(2), 5*time.Millisecond) }
	sim.changes = []simChange{{action: "Add", logicalID: "Cluster", resType: "AWS::ECS::Cluster"}}
	d, _ := newTestDeployer(sim)

	res, err := d.Deploy(context.Background(), testInput())
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	creates := sim.callsTo("CreateChangeSet")
	if res.Status != statusCreateComplete || len(creates) != 1 || creates[0].Form.Get("ChangeSetType") != "CREATE" {
		t.Errorf("Result %+v, CreateChangeSet calls %+v; want one CREATE change set, CREATE_COMPLETE", res, creates)
	}
	if len(sim.callsTo("DeleteStack")) != 0 {
		t.Error("the review stack was deleted")
	}
}

// Proves: --timeout bounds every API call, not only the waits: a call the
// server accepts and never answers ends with the operation's deadline as a
// *TimeoutError (exit 1), and a cancelled parent context as an
// *InterruptedError (exit 130). The change set left by an unanswered
// ExecuteChangeSet is still deleted, on a context of its own.
func TestCallsWithoutAnswerEndWithTheOperation(t *testing.T) {
	t.Parallel()
	type run func(context.Context, *Deployer, time.Duration) error
	deploy := func(ctx context.Context, d *Deployer, timeout time.Duration) error {
		in := testInput()
		in.Timeout = timeout
		_, err := d.Deploy(ctx, in)
		return err
	}
	diff := func(ctx context.Context, d *Deployer, timeout time.Duration) error {
		in := testInput()
		in.Timeout = timeout
		_, err := d.Diff(ctx, in)
		return err
	}
	del := func(ctx context.Context, d *Deployer, timeout time.Duration) error {
		_, err := d.Delete(ctx, DeleteInput{StackName: "demo", Timeout: timeout})
		return err
	}
	tests := []struct {
		name        string
		run         run
		stack       string // status of an existing stack; "" for none
		hang        string // the action the server never answers
		interrupt   bool   // cancel the parent context once the call hangs
		wantMessage string
		cleanedUp   []string // calls made after the hang, on their own context
	}{
		{name: "deploy, DescribeStacks", run: deploy, hang: "DescribeStacks",
			wantMessage: "stack demo is in an unknown state (no poll succeeded)"},
		{name: "deploy, DescribeStacks, Ctrl-C", run: deploy, hang: "DescribeStacks", interrupt: true,
			wantMessage: "interrupted; nothing was changed"},
		{name: "deploy, ExecuteChangeSet", run: deploy, hang: "ExecuteChangeSet",
			wantMessage: "unknown state", cleanedUp: []string{"DeleteChangeSet"}},
		{name: "deploy, ExecuteChangeSet, Ctrl-C", run: deploy, hang: "ExecuteChangeSet", interrupt: true,
			wantMessage: "may have started", cleanedUp: []string{"DeleteChangeSet"}},
		{name: "diff, CreateChangeSet", run: diff, hang: "CreateChangeSet",
			wantMessage: "unknown state"},
		{name: "delete, DeleteStack", run: del, stack: statusUpdateComplete, hang: "DeleteStack",
			wantMessage: "unknown state"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := newSimulator(t)
			if tt.stack != "" {
				sim.addStack("demo", tt.stack, nil)
			}
			sim.changes = []simChange{{action: "Add", logicalID: "Cluster", resType: "AWS::ECS::Cluster"}}
			sim.hang = map[string]bool{tt.hang: true}
			d, _ := newTestDeployer(sim)
			// A safety net, not a measurement: without the bound the call
			// would hang for ever; this deadline then ends it as an
			// *InterruptedError, which fails the timeout cases.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if tt.interrupt {
				sim.onHold = func(string) { cancel() }
			}

			err := tt.run(ctx, d, 500*time.Millisecond)
			var te *TimeoutError
			var ie *InterruptedError
			switch {
			case tt.interrupt && !errors.As(err, &ie):
				t.Fatalf("error = %v (%T); want *InterruptedError", err, err)
			case !tt.interrupt && !errors.As(err, &te):
				t.Fatalf("error = %v (%T); want *TimeoutError", err, err)
			}
			if !strings.Contains(err.Error(), tt.wantMessage) {
				t.Errorf("error %q does not contain %q", err, tt.wantMessage)
			}
			if wantExit := map[bool]int{false: ExitFailure, true: ExitInterrupted}[tt.interrupt]; ExitCode(err) != wantExit {
				t.Errorf("ExitCode = %d; want %d", ExitCode(err), wantExit)
			}
			acts := sim.actions()
			after := acts[indexOf(acts, tt.hang)+1:]
			if !slices.Equal(after, tt.cleanedUp) {
				t.Errorf("calls after the unanswered %s: %v; want %v", tt.hang, after, tt.cleanedUp)
			}
		})
	}
}

// Proves: termination protection is turned on, by stack ID, after a create
// that was waited for and after a deploy without changes, and not again for
// a stack that has it; when CloudFormation refuses it, the deploy still
// succeeds with its status and outputs, and the refusal is a warning in
// Result.Warnings and a Note.
func TestDeployTurnsOnTerminationProtection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		existing    bool // an UPDATE_COMPLETE stack and a change set without changes
		protected   bool // the existing stack has protection already
		refuse      bool
		wantStatus  string
		wantCalls   int
		wantWarning bool
	}{
		{name: "create", wantStatus: statusCreateComplete, wantCalls: 1},
		{name: "no changes", existing: true, wantStatus: statusUpdateComplete, wantCalls: 1},
		{name: "no changes, already protected", existing: true, protected: true, wantStatus: statusUpdateComplete},
		{name: "create, refused", refuse: true, wantStatus: statusCreateComplete, wantCalls: 1, wantWarning: true},
		{name: "no changes, refused", existing: true, refuse: true, wantStatus: statusUpdateComplete, wantCalls: 1, wantWarning: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := newSimulator(t)
			sim.outputs = []simOutput{{"URL", "http://demo.example"}}
			if tt.existing {
				st := sim.addStack("demo", statusUpdateComplete, map[string]string{"VpcId": "vpc-0123abcd", "PublicSubnetIds": "x", "ImageTag": "v1"})
				st.terminationProtection = tt.protected
				sim.noChanges = true
			}
			sim.onExecute = func(*simStack, *simChangeSet) *script { return createScript(resources(2), 5*time.Millisecond) }
			sim.changes = []simChange{{action: "Add", logicalID: "Cluster", resType: "AWS::ECS::Cluster"}}
			if tt.refuse {
				sim.refuse = map[string]simRefusal{"UpdateTerminationProtection": {http.StatusForbidden, "AccessDenied",
					"User is not authorized to perform: cloudformation:UpdateTerminationProtection"}}
			}
			d, rec := newTestDeployer(sim)
			in := testInput()
			in.TerminationProtection = true

			res, err := d.Deploy(context.Background(), in)
			if err != nil {
				t.Fatalf("Deploy: %v", err)
			}
			if res.Status != tt.wantStatus || len(res.Outputs) != 1 {
				t.Errorf("Result = %+v; want %s with the outputs", res, tt.wantStatus)
			}
			calls := sim.callsTo("UpdateTerminationProtection")
			if len(calls) != tt.wantCalls {
				t.Fatalf("%d UpdateTerminationProtection calls; want %d", len(calls), tt.wantCalls)
			}
			st := sim.stack("demo")
			for _, c := range calls {
				if c.Form.Get("StackName") != st.id || c.Form.Get("EnableTerminationProtection") != "true" {
					t.Errorf("UpdateTerminationProtection form %v; want StackName %s and EnableTerminationProtection true", c.Form, st.id)
				}
			}
			var protected bool
			sim.locked(func() { protected = st.terminationProtection })
			if protected == tt.refuse {
				t.Errorf("stack protected = %v; want %v", protected, !tt.refuse)
			}
			if !tt.wantWarning {
				if len(res.Warnings) != 0 {
					t.Errorf("Warnings = %q; want none", res.Warnings)
				}
				return
			}
			if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "AccessDenied: User is not authorized") ||
				!strings.Contains(stepsText(res.NextSteps), "aws cloudformation update-termination-protection --enable-termination-protection --stack-name demo") {
				t.Fatalf("Warnings = %q, steps %q; want one naming the refusal and the command to run", res.Warnings, stepsText(res.NextSteps))
			}
			if !strings.Contains(rec.notes(), res.Warnings[0]) {
				t.Errorf("notes %q do not report the warning", rec.notes())
			}
		})
	}
}

// Proves: Ctrl-C that comes too late to cancel an update (CloudFormation
// refuses CancelUpdateStack because the update is in its cleanup phase) is
// not an interruption once the update completes: Deploy returns the
// successful Result with its outputs, and a Note says so.
func TestDeployLateInterruptAfterUpdateCompletes(t *testing.T) {
	t.Parallel()
	sim := newSimulator(t)
	sim.addStack("demo", statusUpdateComplete, map[string]string{"VpcId": "vpc-0123abcd", "PublicSubnetIds": "x", "ImageTag": "v1"})
	sim.outputs = []simOutput{{"URL", "http://demo.example"}}
	sim.onExecute = func(*simStack, *simChangeSet) *script {
		return newScript().stack(statusUpdateInProgress, "User Initiated").
			wait(10*time.Millisecond).res("Service", "AWS::ECS::Service", statusUpdateComplete, "").
			stack("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "").
			wait(200*time.Millisecond).stack(statusUpdateComplete, "")
	}
	sim.changes = []simChange{{action: "Modify", logicalID: "Service", resType: "AWS::ECS::Service", replacement: "False"}}
	d, rec := newTestDeployer(sim)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec.onEvent = func(e Event) {
		if re, ok := e.(ResourceEvent); ok && re.StackLevel && re.Status == "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS" {
			cancel()
		}
	}

	res, err := d.Deploy(ctx, testInput())
	if err != nil {
		t.Fatalf("Deploy: %v; want the completed update", err)
	}
	if res.Status != statusUpdateComplete || len(res.Outputs) != 1 {
		t.Errorf("Result = %+v; want UPDATE_COMPLETE with the outputs", res)
	}
	if n := len(sim.callsTo("CancelUpdateStack")); n != 1 {
		t.Errorf("%d CancelUpdateStack calls; want the one that came too late", n)
	}
	if !strings.Contains(rec.notes(), "The update of stack demo completed before it could be cancelled") {
		t.Errorf("notes %q do not say the update completed", rec.notes())
	}
}

// Proves: a stack in ROLLBACK_COMPLETE with termination protection is a
// *BlockedError, and the note that it is being deleted and created again is
// not reported, since it is not.
func TestDeployKeepsProtectedStackInRollbackComplete(t *testing.T) {
	t.Parallel()
	sim := newSimulator(t)
	st := sim.addStack("demo", statusRollbackComplete, nil)
	st.terminationProtection = true
	d, rec := newTestDeployer(sim)

	_, err := d.Deploy(context.Background(), testInput())
	var be *BlockedError
	if !errors.As(err, &be) || !strings.Contains(err.Error(), "termination protection") {
		t.Fatalf("Deploy error = %v; want *BlockedError about termination protection", err)
	}
	if notes := rec.notes(); strings.Contains(notes, "deleting it") {
		t.Errorf("notes %q announce a delete that does not happen", notes)
	}
	if n := len(sim.callsTo("DeleteStack")) + len(sim.callsTo("CreateChangeSet")); n != 0 {
		t.Errorf("calls %v; want no DeleteStack nor CreateChangeSet", sim.actions())
	}
}

// Proves: an API error reads as the context and "Code: Message", without
// the SDK's operation, HTTP status and request ID, while the SDK error,
// request ID included, stays reachable with errors.As.
func TestDeployErrorReadsAsCodeAndMessage(t *testing.T) {
	t.Parallel()
	sim := newSimulator(t)
	sim.changes = []simChange{{action: "Add", logicalID: "Cluster", resType: "AWS::ECS::Cluster"}}
	sim.refuse = map[string]simRefusal{"ExecuteChangeSet": {http.StatusBadRequest, "ValidationError", "Role is invalid or cannot be assumed"}}
	d, _ := newTestDeployer(sim)

	_, err := d.Deploy(context.Background(), testInput())
	if err == nil {
		t.Fatal("Deploy succeeded; want the ExecuteChangeSet error")
	}
	if want := "execute change set for stack demo: ValidationError: Role is invalid or cannot be assumed"; err.Error() != want {
		t.Errorf("error = %q; want %q", err, want)
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ValidationError" {
		t.Errorf("errors.As(smithy.APIError) = %v; want the ValidationError", apiErr)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.ServiceRequestID() == "" || re.HTTPStatusCode() != http.StatusBadRequest {
		t.Errorf("errors.As(*awshttp.ResponseError) = %v; want the HTTP response with its request ID", re)
	}
}

// Proves: each poll reads event pages only until it reaches an event
// already seen or from an earlier operation: with 300 old events, 10 to a
// page, no poll reads more than 2 pages (one, or two when new events fill
// the first).
func TestDeployReadsOnlyNewEventPages(t *testing.T) {
	t.Parallel()
	sim := newSimulator(t)
	sim.eventPageSize = 10
	st := sim.addStack("demo", statusUpdateComplete, map[string]string{"VpcId": "vpc-0123abcd", "PublicSubnetIds": "x", "ImageTag": "v1"})
	sim.seedEvents(st, 300)
	sim.onExecute = func(*simStack, *simChangeSet) *script { return updateScript(resources(4), 25*time.Millisecond) }
	sim.changes = []simChange{{action: "Modify", logicalID: "Resource01", resType: "AWS::EC2::SecurityGroup", replacement: "False"}}
	d, rec := newTestDeployer(sim)

	if _, err := d.Deploy(context.Background(), testInput()); err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	if got, want := rec.eventIDs(), sim.eventIDs(st, byToken); !slices.Equal(got, want) {
		t.Errorf("reported events %v; want %v", got, want)
	}
	var pages []int // DescribeStackEvents calls of each poll after ExecuteChangeSet
	executed := false
	for _, a := range sim.actions() {
		switch {
		case a == "ExecuteChangeSet":
			executed = true
		case !executed:
		case a == "DescribeStacks":
			pages = append(pages, 0)
		case a == "DescribeStackEvents" && len(pages) > 0:
			pages[len(pages)-1]++
		}
	}
	if len(pages) < 3 {
		t.Fatalf("%d polls; the scenario did not run", len(pages))
	}
	if worst := slices.Max(pages); worst > 2 {
		t.Errorf("event pages per poll %v; want at most 2", pages)
	}
}

// Proves: a DescribeStacks answer that still shows the stack as it was
// before ExecuteChangeSet (same status, same update time, no event of the
// update yet) is not taken for the end of the update: Deploy waits through
// the stale reads and reports every event of the real update.
func TestDeployWaitsOutStaleReadsAfterExecute(t *testing.T) {
	t.Parallel()
	sim := newSimulator(t)
	st := sim.addStack("demo", statusUpdateComplete, map[string]string{"VpcId": "vpc-0123abcd", "PublicSubnetIds": "x", "ImageTag": "v1"})
	sim.staleReads = 3
	sim.onExecute = func(*simStack, *simChangeSet) *script { return updateScript(resources(2), 10*time.Millisecond) }
	sim.changes = []simChange{{action: "Modify", logicalID: "Resource01", resType: "AWS::EC2::SecurityGroup", replacement: "False"}}
	d, rec := newTestDeployer(sim)

	res, err := d.Deploy(context.Background(), testInput())
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	want := sim.eventIDs(st, byToken)
	if got := rec.eventIDs(); res.Status != statusUpdateComplete || !slices.Equal(got, want) {
		t.Errorf("Status %s, reported events %v; want UPDATE_COMPLETE after all of %v", res.Status, got, want)
	}
	var served int
	sim.locked(func() { served = sim.staleServed })
	if served != sim.staleReads {
		t.Errorf("served %d of %d stale reads; want Deploy to poll through all of them", served, sim.staleReads)
	}
}

// Proves: --role-arn reaches CloudFormation as RoleARN on every call that
// takes one: CreateChangeSet, the DeleteStack of a stack replaced after a
// failed create, and the DeleteStack of Delete.
func TestRoleARNIsSent(t *testing.T) {
	t.Parallel()
	const role = "arn:aws:iam::123456789012:role/cfn-deployer"
	sim := newSimulator(t)
	sim.addStack("demo", statusRollbackComplete, nil)
	sim.onExecute = func(*simStack, *simChangeSet) *script { return createScript(resources(1), 5*time.Millisecond) }
	sim.changes = []simChange{{action: "Add", logicalID: "Cluster", resType: "AWS::ECS::Cluster"}}
	d, _ := newTestDeployer(sim)
	in := testInput()
	in.RoleARN = role

	if _, err := d.Deploy(context.Background(), in); err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	if _, err := d.Delete(context.Background(), DeleteInput{StackName: "demo", RoleARN: role, Timeout: 5 * time.Second}); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	var calls []simCall
	for _, action := range []string{"CreateChangeSet", "DeleteStack"} {
		calls = append(calls, sim.callsTo(action)...)
	}
	if len(calls) != 3 {
		t.Fatalf("calls %v; want a CreateChangeSet and two DeleteStack", sim.actions())
	}
	for _, c := range calls {
		if got := c.Form.Get("RoleARN"); got != role {
			t.Errorf("%s RoleARN = %q; want %q", c.Action, got, role)
		}
	}
}

// slowCreateSimulator plays a create of three resources that takes 10 s
// after the change set executes, for tests that stop before it settles.
func slowCreateSimulator(t *testing.T) *simulator {
	sim := newSimulator(t)
	sim.onExecute = func(*simStack, *simChangeSet) *script { return createScript(resources(3), 10*time.Second) }
	sim.changes = []simChange{{action: "Add", logicalID: "Cluster", resType: "AWS::ECS::Cluster"}}
	return sim
}
