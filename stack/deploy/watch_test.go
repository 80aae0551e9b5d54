package deploy

// These tests run deploys against the SIMULATED CloudFormation, ECS,
// CloudWatch Logs and ELBv2 of simulator_test.go and simulator_ecs_test.go:
// the real SDK clients and the real watcher, a scripted service. Each
// failure scenario ends as real ECS ends it, with the circuit breaker
// failing the service and CloudFormation rolling back.

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/deploy/watch"
)

const watchTemplate = `AWSTemplateFormatVersion: "2010-09-09"
Resources:
  LogGroup:
    Type: AWS::Logs::LogGroup
  TaskDefinition:
    Type: AWS::ECS::TaskDefinition
    Properties:
      ContainerDefinitions:
        - Name: app
          Image: nginx
          LogConfiguration:
            LogDriver: awslogs
            Options:
              awslogs-group: !Ref LogGroup
              awslogs-stream-prefix: demo
  Service:
    Type: AWS::ECS::Service
    Properties:
      TaskDefinition: !Ref TaskDefinition
`

const breakerReason = `Resource handler returned message: "Error occurred during operation 'ECS Deployment Circuit Breaker was triggered'." (RequestToken: 0a1b, HandlerErrorCode: GeneralServiceException)`

func watchInput() Input {
	in := testInput()
	in.TemplateBody, in.Parameters, in.Capabilities = watchTemplate, nil, nil
	return in
}

// newWatchingDeployer is newTestDeployer with the ECS, ELB and Logs
// clients of the simulator, a fast watcher and a budget that does not slow
// the tests (the budget itself is tested in package watch and measured by
// the benchmarks).
func newWatchingDeployer(sim *simulator) (*Deployer, *recorder, *Report) {
	d, rec := newTestDeployer(sim)
	report := NewReport()
	d.Sink = Tee(rec, report)
	d.ECS, d.TargetHealth, d.Logs = sim.ecsClient(), sim.elbClient(), sim.logsClient()
	d.WatchInterval = 10 * time.Millisecond
	d.WatchLimiter = watch.NewLimiter(1000, 20)
	return d, rec, report
}

// serviceScript is a create (or an update) whose service runs for
// serviceTime, then fails through the circuit breaker, or completes.
func serviceScript(e *simECS, op string, serviceTime time.Duration, fails bool) *script {
	upper := strings.ToUpper(op)
	sc := newScript().stack(upper+"_IN_PROGRESS", "User Initiated").
		wait(5*time.Millisecond).res("Service", serviceType, upper+"_IN_PROGRESS", "")
	if op == "create" {
		sc.resID("Service", serviceType, "CREATE_IN_PROGRESS", "Resource creation Initiated", e.serviceARN)
	} else {
		sc.resID("Service", serviceType, "UPDATE_IN_PROGRESS", "Resource update initiated", e.serviceARN)
	}
	sc.wait(serviceTime)
	if !fails {
		return sc.resID("Service", serviceType, upper+"_COMPLETE", "", e.serviceARN).wait(5*time.Millisecond).stack(upper+"_COMPLETE", "")
	}
	sc.resID("Service", serviceType, upper+"_FAILED", breakerReason, e.serviceARN)
	if op == "create" {
		return sc.stack("ROLLBACK_IN_PROGRESS", "The following resource(s) failed to create: [Service]. Rollback requested by user.").
			wait(10*time.Millisecond).resID("Service", serviceType, "DELETE_COMPLETE", "", e.serviceARN).stack(statusRollbackComplete, "")
	}
	return sc.stack("UPDATE_ROLLBACK_IN_PROGRESS", "The following resource(s) failed to update: [Service].").
		wait(10*time.Millisecond).resID("Service", serviceType, "UPDATE_COMPLETE", "", e.serviceARN).stack(statusUpdateRollbackComplete, "")
}

// failingTasks scripts n tasks of the new deployment that stop every gap
// with task's reasons, then the rollout failing by the circuit breaker.
func failingTasks(e *simECS, n int, gap time.Duration, task simTask) {
	for i := range n {
		t := task
		t.after = time.Duration(i+1) * gap
		t.id = fmt.Sprintf("%031x%d", i+1, i)
		e.tasks = append(e.tasks, t)
		if lines := e.logs["lines"]; lines != nil && t.exit != nil {
			e.logs["demo/app/"+t.id] = lines
		}
	}
	delete(e.logs, "lines")
	e.rollouts = append(e.rollouts,
		simRollout{after: gap / 2, state: "IN_PROGRESS", desired: 2, pending: 2},
		simRollout{after: time.Duration(n)*gap + gap/2, state: "FAILED", desired: 2, fails: n,
			reason: "ECS deployment circuit breaker: tasks failed to start."})
	e.events = append(e.events, simServiceEvent{after: gap / 2, message: "(service web) has started 2 tasks: (task a) (task b)."})
}

func serviceFacts(rec *recorder) []watch.Fact {
	var out []watch.Fact
	for _, e := range rec.all() {
		if f, ok := e.(ServiceFact); ok {
			out = append(out, f.Fact)
		}
	}
	return out
}

func stoppedFacts(rec *recorder) []watch.TaskStopped {
	var out []watch.TaskStopped
	for _, f := range serviceFacts(rec) {
		if t, ok := f.(watch.TaskStopped); ok {
			out = append(out, t)
		}
	}
	return out
}

func TestDeployExplainsFailingTasks(t *testing.T) {
	// Proves: for each scripted failure, ending in the circuit breaker, the
	// events (what the renderers print), the error's verdict and the JSON
	// report all name the classified cause and its setting, in a create as
	// in an update; the old deployment's stopped task is not blamed on the
	// new one; the log lines of a crashed container are read from its
	// awslogs stream.
	cases := []struct {
		name     string
		update   bool // an update of a running stack, rather than a create
		task     simTask
		logs     []string
		targets  []simTarget
		kind     watch.Kind
		setting  string
		evidence string
		logLine  string
	}{
		{name: "image not found", kind: watch.ImageNotFound, setting: stack.KeyImage, evidence: "not found",
			task: simTask{stopCode: "TaskFailedToStart", reason: "CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref docker.io/library/nginx:nope: docker.io/library/nginx:nope: not found"}},
		{name: "crash with log lines", kind: watch.AppExit, evidence: "Essential container in task exited", logLine: "Error: missing env DATABASE_URL",
			logs: []string{"Starting app v2", "Error: missing env DATABASE_URL"},
			task: simTask{stopCode: "EssentialContainerExited", reason: "Essential container in task exited", exit: intp(1), ranFor: 3 * time.Second}},
		{name: "health checks 404", kind: watch.HealthCheckCodes, setting: stack.KeyHealthCheckPath, evidence: "[404]",
			targets: []simTarget{{after: 0, id: "10.0.3.14", port: 8080, state: "initial", reason: "Elb.InitialHealthChecking", desc: "Initial health checks in progress"},
				{after: 5 * time.Millisecond, id: "10.0.3.14", port: 8080, state: "unhealthy", reason: "Target.ResponseCodeMismatch", desc: "Health checks failed with these codes: [404]"}},
			task: simTask{after: 0, stopCode: "ServiceSchedulerInitiated", reason: "Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/demo-tg/0123456789abcdef)",
				exit: intp(137), ranFor: 90 * time.Second}},
		{name: "ARM image on x86", kind: watch.ExecFormatError, setting: stack.KeyArch, evidence: "exec format error",
			logs: []string{"exec /docker-entrypoint.sh: exec format error"}, logLine: "exec format error",
			task: simTask{stopCode: "EssentialContainerExited", reason: "Essential container in task exited", exit: intp(255), ranFor: time.Second}},
		{name: "out of memory, in an update", update: true, kind: watch.OutOfMemory, setting: stack.KeyMemory, evidence: "OutOfMemoryError",
			task: simTask{stopCode: "EssentialContainerExited", reason: "Essential container in task exited", exit: intp(137),
				contReason: "OutOfMemoryError: Container killed due to memory usage", ranFor: 40 * time.Second}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sim := newSimulator(t)
			e := sim.newSimECS()
			e.logs["lines"] = tc.logs
			e.targets = tc.targets
			gap := 60 * time.Millisecond
			failingTasks(e, 3, gap, tc.task)
			sim.onExecute = func(*simStack, *simChangeSet) *script {
				return serviceScript(e, "create", 4*gap+60*time.Millisecond, true)
			}
			d, rec, report := newWatchingDeployer(sim)

			_, err := d.Deploy(t.Context(), watchInput())
			var fe *FailedError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want *FailedError", err)
			}
			// The events: every stopped task of the new deployment, once,
			// counted by cause, and none of the old one.
			stopped := stoppedFacts(rec)
			if len(stopped) != 3 {
				t.Fatalf("%d stopped-task facts, want 3: %+v", len(stopped), stopped)
			}
			for i, f := range stopped {
				if f.Task.Deployment != e.deployment {
					t.Errorf("fact %d blames task %s of deployment %s", i, f.Task.ID, f.Task.Deployment)
				}
				if f.Cause.Kind != tc.kind || f.Count != i+1 {
					t.Errorf("fact %d: kind %s count %d, want %s %d", i, f.Cause.Kind, f.Count, tc.kind, i+1)
				}
			}
			if tc.setting != "" && !slices.Contains(stopped[0].Cause.Settings, tc.setting) {
				t.Errorf("settings %v do not name %s", stopped[0].Cause.Settings, tc.setting)
			}
			if tc.logLine != "" && !slices.ContainsFunc(stopped[0].Task.Containers[0].LogLines, func(l string) bool { return strings.Contains(l, tc.logLine) }) {
				t.Errorf("log lines %q lack %q", stopped[0].Task.Containers[0].LogLines, tc.logLine)
			}
			// The verdict.
			if fe.Service == nil || fe.Service.Cause == nil || fe.Service.Cause.Kind != tc.kind || fe.Service.Count != 3 {
				t.Fatalf("verdict = %+v, want 3 tasks of %s", fe.Service, tc.kind)
			}
			msg := err.Error()
			for _, want := range []string{"Service (AWS::ECS::Service)", "Service failed: ECS deployment circuit breaker", "3 tasks stopped", fe.Service.Cause.Summary, tc.evidence} {
				if !strings.Contains(msg, want) {
					t.Errorf("error lacks %q:\n%s", want, msg)
				}
			}
			// The report.
			report.Finish(nil, err)
			b, jerr := report.JSON()
			if jerr != nil {
				t.Fatal(jerr)
			}
			var doc struct {
				Outcome      string
				Cause        watch.Verdict
				StoppedTasks []watch.TaskStopped
				Deployments  []watch.Rollout
				Events       []ResourceEvent `json:"cloudFormationEvents"`
			}
			if jerr := json.Unmarshal(b, &doc); jerr != nil {
				t.Fatal(jerr)
			}
			if doc.Outcome != "failed" || doc.Cause.Cause == nil || doc.Cause.Cause.Kind != tc.kind || len(doc.StoppedTasks) != 3 ||
				len(doc.Events) == 0 || len(doc.Deployments) == 0 {
				t.Errorf("report: outcome %s, cause %+v, %d tasks, %d events, %d deployments", doc.Outcome, doc.Cause.Cause,
					len(doc.StoppedTasks), len(doc.Events), len(doc.Deployments))
			}
		})
	}
}

func TestWatcherSurvivesThrottlingOfTheNewAPIs(t *testing.T) {
	// Proves: ECS and ELB throttling beyond the SDK's retries delays the
	// watcher, which backs off and still finds the cause, with no warning.
	sim := newSimulator(t)
	e := sim.newSimECS()
	failingTasks(e, 2, 80*time.Millisecond, simTask{stopCode: "TaskFailedToStart",
		reason: "CannotPullContainerError: failed to resolve ref docker.io/library/nginx:nope: not found"})
	e.throttle["ecs:ListTasks"] = 12 // more than one call's 5 attempts
	e.throttle["elasticloadbalancing:DescribeTargetHealth"] = 7
	sim.onExecute = func(*simStack, *simChangeSet) *script { return serviceScript(e, "create", 600*time.Millisecond, true) }
	d, rec, _ := newWatchingDeployer(sim)
	_, err := d.Deploy(t.Context(), watchInput())
	var fe *FailedError
	if !errors.As(err, &fe) || fe.Service == nil || fe.Service.Cause == nil || fe.Service.Cause.Kind != watch.ImageNotFound {
		t.Fatalf("err = %v, want the image named", err)
	}
	for _, f := range serviceFacts(rec) {
		if d, ok := f.(watch.Denied); ok {
			t.Errorf("throttling reported as denied: %+v", d)
		}
	}
	sim.locked(func() {
		if e.throttle["ecs:ListTasks"] != 0 {
			t.Errorf("the throttling was not reached: %d answers left", e.throttle["ecs:ListTasks"])
		}
	})
}

func TestWatcherWarnsOnceAboutADeniedRead(t *testing.T) {
	// Proves: a read the credentials may not make is reported once, naming
	// its IAM action, is not tried again, and the rest of the watch and
	// the deploy go on: the cause is still found without the log lines.
	sim := newSimulator(t)
	e := sim.newSimECS()
	e.logs["lines"] = []string{"boom"}
	failingTasks(e, 3, 50*time.Millisecond, simTask{stopCode: "EssentialContainerExited", reason: "Essential container in task exited",
		exit: intp(3), ranFor: time.Second})
	e.deny["logs:GetLogEvents"] = true
	// Each task exits with a code of its own, so each one's lines would
	// be read, were the read not denied.
	for i := range e.tasks {
		e.tasks[i].exit = intp(3 + i)
	}
	sim.onExecute = func(*simStack, *simChangeSet) *script { return serviceScript(e, "create", 250*time.Millisecond, true) }
	d, rec, _ := newWatchingDeployer(sim)
	_, err := d.Deploy(t.Context(), watchInput())
	var fe *FailedError
	if !errors.As(err, &fe) || fe.Service == nil || fe.Service.Cause == nil || fe.Service.Cause.Kind != watch.AppExit {
		t.Fatalf("err = %v, want the app's exit named", err)
	}
	var denied []watch.Denied
	for _, f := range serviceFacts(rec) {
		if d, ok := f.(watch.Denied); ok {
			denied = append(denied, d)
		}
	}
	if len(denied) != 1 || denied[0].Action != "logs:GetLogEvents" || !strings.Contains(denied[0].Message, "AccessDenied") {
		t.Fatalf("denied facts = %+v, want one for logs:GetLogEvents", denied)
	}
	if n := len(sim.callsTo("logs:GetLogEvents")); n != 1 {
		t.Errorf("GetLogEvents called %d times, want once", n)
	}
}

func TestDeployFailFastCancelsAnUpdate(t *testing.T) {
	// Proves: with FailFast, the second task of the new deployment that
	// stops with the same deterministic cause makes Deploy cancel the
	// update long before the circuit breaker would, follow the rollback,
	// and say why, with the cause.
	sim := newSimulator(t)
	e := sim.newSimECS()
	sim.addStack("demo", statusUpdateComplete, nil)
	failingTasks(e, 3, 40*time.Millisecond, simTask{stopCode: "TaskFailedToStart",
		reason: "CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref docker.io/library/nginx:nope: not found"})
	sim.onExecute = func(*simStack, *simChangeSet) *script { return serviceScript(e, "update", 5*time.Second, true) }
	d, rec, _ := newWatchingDeployer(sim)
	in := watchInput()
	in.FailFast = true
	_, err := d.Deploy(t.Context(), in)
	var fe *FailedError
	if !errors.As(err, &fe) || fe.StoppedBy != StopFailFast {
		t.Fatalf("err = %v, want a fail-fast FailedError", err)
	}
	if len(sim.callsTo("CancelUpdateStack")) != 1 {
		t.Errorf("CancelUpdateStack calls: %d, want 1", len(sim.callsTo("CancelUpdateStack")))
	}
	if fe.Status != statusUpdateRollbackComplete || fe.Service == nil || fe.Service.Cause.Kind != watch.ImageNotFound {
		t.Errorf("status %s, verdict %+v", fe.Status, fe.Service)
	}
	// The trip is at the second task; a third may be reported while the
	// watch winds down.
	if want := fmt.Sprintf("%d tasks of the new deployment stopped because the image was not found", DefaultFailFastAfter); !strings.Contains(rec.notes(), want) {
		t.Errorf("notes lack %q:\n%s", want, rec.notes())
	}
	// The script's circuit breaker, due 5 s in, never came: the cancel
	// replaced it.
	if ids := sim.eventIDs(sim.stack("demo"), func(e simEvent) bool { return e.reason == breakerReason }); len(ids) != 0 {
		t.Errorf("the circuit breaker failed the service before fail-fast stopped the update")
	}
	if !strings.Contains(rec.notes(), "cancelling it") {
		t.Errorf("notes lack the cancel:\n%s", rec.notes())
	}
}

func TestDeployFailFastLeavesACreateAndSaysWhatHappens(t *testing.T) {
	// Proves: a create cannot be cancelled, so fail-fast stops waiting,
	// sends no CancelUpdateStack, and the error says what CloudFormation
	// does next and how to delete the stack.
	sim := newSimulator(t)
	e := sim.newSimECS()
	failingTasks(e, 3, 40*time.Millisecond, simTask{stopCode: "EssentialContainerExited", reason: "Essential container in task exited",
		exit: intp(255), contReason: "CannotStartContainerError: exec /app: exec format error", ranFor: time.Second})
	sim.onExecute = func(*simStack, *simChangeSet) *script { return serviceScript(e, "create", 5*time.Second, true) }
	d, _, _ := newWatchingDeployer(sim)
	in := watchInput()
	in.FailFast = true
	_, err := d.Deploy(t.Context(), in)
	var fe *FailedError
	if !errors.As(err, &fe) || fe.StoppedBy != StopFailFast || fe.Status != "CREATE_IN_PROGRESS" {
		t.Fatalf("err = %v, want a fail-fast FailedError of a create in progress", err)
	}
	if len(sim.callsTo("CancelUpdateStack")) != 0 {
		t.Error("CancelUpdateStack sent for a create")
	}
	if !strings.Contains(err.Error(), "circuit breaker") || !slices.ContainsFunc(fe.NextSteps(), func(s Step) bool { return s.Command == StepDelete }) {
		t.Errorf("error does not say what happens next and how to delete:\n%v\n%+v", err, fe.NextSteps())
	}
}

func TestDeployTimeoutCancelsAnUpdate(t *testing.T) {
	// Proves: DeployTimeout, unlike Timeout, ends the update itself: the
	// update is cancelled and its rollback followed.
	sim := newSimulator(t)
	e := sim.newSimECS()
	sim.addStack("demo", statusUpdateComplete, nil)
	sim.onExecute = func(*simStack, *simChangeSet) *script { return serviceScript(e, "update", 5*time.Second, false) }
	d, _, _ := newWatchingDeployer(sim)
	in := watchInput()
	in.DeployTimeout = 150 * time.Millisecond
	_, err := d.Deploy(t.Context(), in)
	var fe *FailedError
	if !errors.As(err, &fe) || fe.StoppedBy != StopDeployTimeout || fe.Status != statusUpdateRollbackComplete {
		t.Fatalf("err = %v, want a deploy-timeout FailedError after the rollback", err)
	}
	if len(sim.callsTo("CancelUpdateStack")) != 1 {
		t.Errorf("CancelUpdateStack calls: %d, want 1", len(sim.callsTo("CancelUpdateStack")))
	}
}

func TestWatcherStaysQuietOnAHealthyUpdate(t *testing.T) {
	// Proves: a deploy whose service rolls out without failures reports
	// the rollout and no stopped task or warning; the old deployment's
	// stopped task and healthy target are not news.
	sim := newSimulator(t)
	e := sim.newSimECS()
	sim.addStack("demo", statusUpdateComplete, nil)
	e.rollouts = []simRollout{{after: 20 * time.Millisecond, state: "IN_PROGRESS", desired: 2, pending: 2},
		{after: 80 * time.Millisecond, state: "COMPLETED", desired: 2, running: 2}}
	sim.onExecute = func(*simStack, *simChangeSet) *script { return serviceScript(e, "update", 150*time.Millisecond, false) }
	d, rec, _ := newWatchingDeployer(sim)
	if _, err := d.Deploy(t.Context(), watchInput()); err != nil {
		t.Fatal(err)
	}
	var rollouts int
	for _, f := range serviceFacts(rec) {
		switch f := f.(type) {
		case watch.Rollout:
			rollouts++
		case watch.TaskStopped, watch.Denied, watch.TargetHealth:
			t.Errorf("unexpected fact %T: %+v", f, f)
		}
	}
	if rollouts == 0 {
		t.Error("the rollout was not reported")
	}
}

func TestDeployReadsTheTemplateOnce(t *testing.T) {
	// Proves: one parse of the template finds its parameters, resource
	// types, the capabilities an IAM resource needs and the containers'
	// log stream prefix.
	body := watchTemplate + `  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
`
	in, tmpl, err := prepareTemplate(Input{StackName: "demo", TemplateBody: body})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(in.Capabilities, []string{"CAPABILITY_IAM"}) || tmpl.logStreamPrefix != "demo" || !tmpl.types[serviceType] {
		t.Errorf("capabilities %v, prefix %q, types %v", in.Capabilities, tmpl.logStreamPrefix, tmpl.types)
	}
	named := strings.Replace(body, "AssumeRolePolicyDocument: {}", "RoleName: fixed\n      AssumeRolePolicyDocument: {}", 1)
	if in, _, _ := prepareTemplate(Input{StackName: "demo", TemplateBody: named}); !slices.Equal(in.Capabilities, []string{"CAPABILITY_NAMED_IAM"}) {
		t.Errorf("named IAM: capabilities %v", in.Capabilities)
	}
	if in, _, _ := prepareTemplate(Input{StackName: "demo", TemplateBody: body, Capabilities: []string{"CAPABILITY_AUTO_EXPAND"}}); !slices.Equal(in.Capabilities, []string{"CAPABILITY_AUTO_EXPAND"}) {
		t.Errorf("the caller's capabilities were replaced: %v", in.Capabilities)
	}
}

func TestWatcherExplainsAServiceThatFailedBetweenTwoPolls(t *testing.T) {
	// Proves: when one poll reads the service both in progress and failed
	// (it failed between two polls), the watch still looks once, finds the
	// service's resources and its stopped tasks, and the error names the
	// cause with the log lines it read.
	sim := newSimulator(t)
	e := sim.newSimECS()
	e.logs["lines"] = []string{"panic: no config"}
	failingTasks(e, 2, 4*time.Millisecond, simTask{stopCode: "EssentialContainerExited", reason: "Essential container in task exited",
		exit: intp(2), ranFor: time.Second})
	sim.onExecute = func(*simStack, *simChangeSet) *script { return serviceScript(e, "create", 15*time.Millisecond, true) }
	d, rec, _ := newWatchingDeployer(sim)
	d.PollInterval = 200 * time.Millisecond
	_, err := d.Deploy(t.Context(), watchInput())
	var fe *FailedError
	if !errors.As(err, &fe) || fe.Service == nil || fe.Service.Cause == nil || fe.Service.Cause.Kind != watch.AppExit || fe.Service.Count != 2 {
		t.Fatalf("err = %v (verdict %+v), want 2 tasks of an app that exits", err, fe)
	}
	if !slices.Contains(fe.Service.LogLines, "panic: no config") {
		t.Errorf("log lines %q", fe.Service.LogLines)
	}
	if len(sim.callsTo("ListStackResources")) != 1 {
		t.Errorf("ListStackResources called %d times, want once", len(sim.callsTo("ListStackResources")))
	}
	if t.Failed() {
		t.Log(sim.actions())
	}
	if n := len(stoppedFacts(rec)); n != 2 {
		t.Errorf("%d stopped-task facts, want 2", n)
	}
}
