package scenario

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// Scenario is one deployment story, written once for every backend.
type Scenario struct {
	Name    string
	Finding string // the review's finding it exposes
	// TwinOnly says why the scenario cannot run on AWS, if it cannot.
	TwinOnly string
	Run      func(r *run)
}

// Scenarios is the suite.
var Scenarios = []Scenario{
	{Name: "GateTwoDeploymentsApprovedThenRejected", Finding: "F3", Run: gateTwoDeployments},
	{Name: "CanaryAlarmInBakeKeepsTrafficOnHealthyTasks", Finding: "F4", Run: canaryAlarmInBake},
	{Name: "CanaryCancelledKeepsTrafficOnHealthyTasks", Finding: "F4", Run: canaryCancelled},
	{Name: "InterruptDuringTrafficWriteKeepsTraffic", Finding: "F4, review item 1", Run: interruptTrafficWrite},
	{Name: "DeployReadsTrafficAfterWaiting", Finding: "F4, review item 2", Run: deployReadsTrafficAfterWaiting,
		TwinOnly: "holds CloudFormation's service step after its ECS deployment succeeded, which only the twin can do"},
	{Name: "EnvironmentCanaryKeepsTrafficOnHostChange", Finding: "F4, review item 10", Run: environmentCanary},
	{Name: "GateLetsFirstCreateThrough", Finding: "F5", Run: gateFirstCreate},
	{Name: "GateLetsStackRollbackThrough", Finding: "F5", Run: gateStackRollback},
	{Name: "ScaleRunsNoDeployment", Finding: "F6", Run: scaleCanary},
	{Name: "PlacementRollbackSaysTheWayOut", Finding: "F6, review item 4", Run: placementRollback},
	{Name: "GateAlarmsAndBlueGreenTurnOff", Finding: "F7", Run: turnOff},
	{Name: "RollbackToRollingRefusedWhileAlternateServes", Finding: "review item 3", Run: rollbackToRolling},
	{Name: "LogsReadTheContainerWithTheGateOn", Finding: "F8", Run: logsWithGate},
	{Name: "EnvironmentLoadBalancerReplacementRefused", Finding: "F9", Run: environmentReplacement},
	{Name: "RollbackInFlightRefusedDuringStackRollback", Finding: "F11", Run: rollbackInFlightDuringRollback},
	{Name: "ThreeServicesJoinOneEnvironment", Finding: "priorities", Run: threeServices},
	{Name: "FourHostsSafeEitherWay", Finding: "B41, review item 11", Run: fourHosts},
}

// canary are the flags of a canary service; the waits are virtual minutes
// on the twin and real ones on AWS.
func (r *run) canary(wait string) []string { return r.canaryBake(wait, "3m", "3m") }

// canaryBake are the flags of a canary service whose canary wait and bake
// are wait on the twin, and waitOnAWS and bakeOnAWS on AWS.
func (r *run) canaryBake(wait, waitOnAWS, bakeOnAWS string) []string {
	return []string{"--strategy", "canary", "--canary-percent", "10",
		"--canary-wait", r.b.Minutes(wait, waitOnAWS), "--bake", r.b.Minutes(wait, bakeOnAWS)}
}

var gate = []string{"--pause-before-production"}

func build(v string) []string { return []string{"--env", "BUILD=" + v} }

func flags(groups ...[]string) []string {
	var out []string
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

func hasEntry(history []string, answer, key string) bool {
	for _, v := range history {
		if strings.HasPrefix(v+" ", answer+" "+key+" ") {
			return true
		}
	}
	return false
}

// createdAfter is the oldest deployment created after d.
func createdAfter(list []ecstypes.ServiceDeployment, d ecstypes.ServiceDeployment) *ecstypes.ServiceDeployment {
	var best *ecstypes.ServiceDeployment
	for i := range list {
		x := list[i]
		if aws.ToTime(x.CreatedAt).After(aws.ToTime(d.CreatedAt)) && (best == nil || aws.ToTime(x.CreatedAt).Before(aws.ToTime(best.CreatedAt))) {
			best = &list[i]
		}
	}
	return best
}

// F3: the gate keys each answer on the deployment, so the second
// deployment pauses (an approval is not reused) and its rejection rolls
// back that one only (a rejection is not sticky).
func gateTwoDeployments(r *run) {
	s := r.b.Stack("gate-twice")
	r.mustDeploy("create", s, flags(r.canary("5m"), gate, build("v1"), []string{"--on-pause", "continue"})...)
	first := r.deployments(s)[0]

	r.mustDeploy("deployment 2, approved", s, flags(r.canary("5m"), gate, build("v2"), []string{"--on-pause", "continue"})...)
	second := createdAfter(r.deployments(s), first)
	if second == nil || second.Status != ecstypes.ServiceDeploymentStatusSuccessful {
		r.t.Fatalf("deployment 2 did not succeed: %+v", second)
	}
	key := aws.ToString(second.ServiceDeploymentArn)
	if h := r.gateHistory(s); !hasEntry(h, "waiting", key) || !hasEntry(h, "approve", key) {
		r.t.Fatalf("deployment 2 (%s) reached production without pausing for its own answer; the gate parameter held %q", key, h)
	}
	v2 := aws.ToString(r.service(s).TaskDefinition)

	res := r.wait(r.deploy(s, flags(r.canary("5m"), gate, build("v3"), []string{"--on-pause", "rollback"})...), r.b.Timeout(), "deployment 3, rejected")
	if st := r.settle(s); st != "UPDATE_ROLLBACK_COMPLETE" {
		r.t.Fatalf("after the rejection the stack is %s, want UPDATE_ROLLBACK_COMPLETE", st)
	}
	third := createdAfter(r.deployments(s), *second)
	if third == nil {
		r.t.Fatalf("deployment 3 never started")
	}
	key3 := aws.ToString(third.ServiceDeploymentArn)
	r.refusedBy(res, "the rejection of deployment 3", 1, "Rejected: ECS rolls deployment "+key3[strings.LastIndex(key3, "/")+1:])
	if third.Status != ecstypes.ServiceDeploymentStatusRollbackSuccessful {
		r.t.Fatalf("deployment 3 ended %s, want ROLLBACK_SUCCESSFUL: ECS rolls back the deployment the gate rejects", third.Status)
	}
	if h := r.gateHistory(s); !hasEntry(h, "reject", key3) {
		r.t.Fatalf("deployment 3 (%s) was not rejected under its own key; the gate parameter held %q", key3, h)
	}
	if got := aws.ToString(r.service(s).TaskDefinition); got != v2 {
		r.t.Fatalf("after rejecting deployment 3 the service runs %s, want deployment 2's %s", got, v2)
	}

	r.mustDeploy("deployment 4, approved after a rejection", s, flags(r.canary("5m"), gate, build("v4"), []string{"--on-pause", "continue"})...)
}

// waitStage waits for the stack's deployment in progress to reach stage,
// and returns it.
func (r *run) waitStage(s string, stages ...ecstypes.ServiceDeploymentLifecycleStage) ecstypes.ServiceDeployment {
	r.t.Helper()
	var d *ecstypes.ServiceDeployment
	r.until(fmt.Sprintf("stack %s's deployment to reach %v", s, stages), func() bool {
		if r.resource(s, "Service") == "" {
			return false
		}
		d = r.inProgress(s)
		return d != nil && slices.Contains(stages, d.LifecycleStage)
	})
	return *d
}

// checkTraffic ends a prober and fails on what it saw, then checks the
// final state.
func (r *run) checkTraffic(p *prober, s, good string) {
	r.t.Helper()
	violations, samples := p.end()
	if samples == 0 {
		r.t.Fatalf("the traffic probe took no sample")
	}
	if len(violations) > 0 {
		r.t.Fatalf("production traffic was unsafe during the rollback (%d of %d samples shown):\n%s", len(violations), samples, strings.Join(violations, "\n"))
	}
}

// F4 (alarm): ECS rolls the canary back when an alarm fires during bake;
// CloudFormation's rollback must then leave production on the group that
// holds the old healthy tasks, never on an empty group.
func canaryAlarmInBake(r *run) {
	s := r.b.Stack("canary-alarm")
	alarm := r.b.Stack("canary-alarm-trip")
	r.createAlarm(alarm)
	// On AWS the bake leaves the alarm time to go off and ECS time to
	// poll it (B23: "Amazon ECS calls DescribeAlarms to poll the alarms").
	base := flags(r.canaryBake("10m", "3m", "15m"), []string{"--rollback-alarm", alarm})
	r.mustDeploy("create", s, flags(base, build("v1"))...)
	good := aws.ToString(r.service(s).TaskDefinition)

	p := r.deploy(s, flags(base, build("v2"))...)
	d := r.waitStage(s, ecstypes.ServiceDeploymentLifecycleStageBakeTime)
	untrip := r.tripAlarm(alarm)
	defer untrip()
	r.until("ECS to roll deployment 2 back", func() bool {
		for _, x := range r.deployments(s) {
			if aws.ToString(x.ServiceDeploymentArn) == aws.ToString(d.ServiceDeploymentArn) {
				return x.Status == ecstypes.ServiceDeploymentStatusRollbackSuccessful || x.Status == ecstypes.ServiceDeploymentStatusRollbackFailed
			}
		}
		return false
	})
	probe := r.probe(s, good, 0)
	res := r.wait(p, r.b.Timeout(), "the failing deploy")
	untrip()
	// The verdict names the alarm, which it reads from the deployment
	// ECS created last, whatever the order ECS lists them in (B11).
	r.refusedBy(res, "the deploy that ECS rolled back", 1, "ECS rolled the deployment back: alarm "+alarm)
	if st := r.settle(s); st != "UPDATE_ROLLBACK_COMPLETE" {
		r.t.Fatalf("stack is %s, want UPDATE_ROLLBACK_COMPLETE", st)
	}
	r.settleTasks(s)
	r.checkTraffic(probe, s, good)
}

// settleTasks lets a few polls pass, so that a probe sees the end state.
func (r *run) settleTasks(s string) {
	time.Sleep(10 * r.b.Poll())
}

// F4 (cancel): a deploy interrupted during the canary cancels the update;
// CloudFormation's rollback must not send production to the canary's
// unapproved tasks (beyond the canary share) or to an empty group.
func canaryCancelled(r *run) {
	s := r.b.Stack("canary-cancel")
	base := r.canary("30m")
	r.mustDeploy("create", s, flags(base, build("v1"))...)
	good := aws.ToString(r.service(s).TaskDefinition)

	p := r.deploy(s, flags(base, build("v2"))...)
	r.waitStage(s, ecstypes.ServiceDeploymentLifecycleStageProductionTrafficShift)
	p.interrupt()
	probe := r.probe(s, good, 10)
	res := r.wait(p, r.b.Timeout(), "the cancelled deploy")
	if res.code == 0 {
		r.t.Fatalf("the cancelled deploy reported success: %s", res)
	}
	if st := r.settle(s); st != "UPDATE_ROLLBACK_COMPLETE" {
		r.t.Fatalf("stack is %s, want UPDATE_ROLLBACK_COMPLETE", st)
	}
	r.until("the rollback's deployment to finish", func() bool { return r.inProgress(s) == nil })
	r.settleTasks(s)
	r.checkTraffic(probe, s, good)
}

// F5 (create): the first deployment of a gated service goes through
// without an answer, as in AWS's approval-hook sample; nobody watches a
// --no-wait create.
func gateFirstCreate(r *run) {
	s := r.b.Stack("gate-create")
	res := r.wait(r.deploy(s, flags(r.canary("5m"), gate, build("v1"), []string{"--no-wait"})...), r.b.Timeout(), "create --no-wait")
	if res.code != 0 {
		r.t.Fatalf("create --no-wait: %s", res)
	}
	if st := r.settle(s); st != "CREATE_COMPLETE" {
		r.t.Fatalf("the gated create ended %s, want CREATE_COMPLETE", st)
	}
}

// F5 (rollback): CloudFormation's rollback of a service is another
// UpdateService, hence another ECS deployment (B31), and the gate must let
// it through. A rejected deployment does not show that: ECS rolls it back
// itself, the service then runs the previous task definition, and
// CloudFormation's rollback starts no deployment. So a deploy waits at the
// gate (--on-pause wait) and is interrupted: CloudFormation cancels the
// update, and its rollback puts the previous task definition back, which
// starts a third deployment. The deploy that would answer the gate has
// stopped watching it, so the gate's function must approve that one by
// itself: the stack ends UPDATE_ROLLBACK_COMPLETE, not stuck or
// UPDATE_ROLLBACK_FAILED.
func gateStackRollback(r *run) {
	s := r.b.Stack("gate-rollback")
	r.mustDeploy("create", s, flags(r.canary("5m"), gate, build("v1"), []string{"--on-pause", "continue"})...)
	v1 := aws.ToString(r.service(s).TaskDefinition)
	first := r.deployments(s)[0]
	p := r.deploy(s, flags(r.canary("5m"), gate, build("v2"), []string{"--on-pause", "wait"})...)
	var second *ecstypes.ServiceDeployment
	r.until("deployment 2 to wait at the gate", func() bool {
		second = createdAfter(r.deployments(s), first)
		return second != nil && hasEntry(r.gateHistory(s), "waiting", aws.ToString(second.ServiceDeploymentArn))
	})
	p.interrupt()
	res := r.wait(p, r.b.Timeout(), "the interrupted deploy")
	r.refusedBy(res, "the interrupt at the gate", 130, "rolled back")
	if st := r.settle(s); st != "UPDATE_ROLLBACK_COMPLETE" {
		r.t.Fatalf("after the interrupt the stack is %s, want UPDATE_ROLLBACK_COMPLETE: CloudFormation's own rollback must pass the gate", st)
	}
	third := createdAfter(r.deployments(s), *second)
	if third == nil {
		r.t.Fatalf("CloudFormation's rollback started no ECS deployment; this scenario needs one (B31)")
	}
	if third.Status != ecstypes.ServiceDeploymentStatusSuccessful {
		r.t.Fatalf("CloudFormation's rollback deployment %s ended %s, want SUCCESSFUL through the gate", aws.ToString(third.ServiceDeploymentArn), third.Status)
	}
	if key3 := aws.ToString(third.ServiceDeploymentArn); hasEntry(r.gateHistory(s), "waiting", key3) {
		r.t.Fatalf("the gate asked about CloudFormation's rollback deployment %s; nobody is there to answer", key3)
	}
	if got := aws.ToString(r.service(s).TaskDefinition); got != v1 {
		r.t.Fatalf("the service runs %s after the rollback, want %s", got, v1)
	}
}

// refusedBy fails the scenario unless the binary ended with exit code
// code and said want: a refusal or failure must be the expected one, not
// any failure.
func (r *run) refusedBy(res result, what string, code int, want string) {
	r.t.Helper()
	if res.code != code || !strings.Contains(res.stdout+res.stderr, want) {
		r.t.Fatalf("%s: want exit %d saying %q, got %s", what, code, want, res)
	}
}

// Review item 1: an interrupt while the deploy writes the live traffic
// into the stack's template (the update of the production rule alone that
// comes first) must not cancel that update: its rollback would put the
// stored template's weights back, which after a create send production to
// the group ECS left empty (B3, B28, B29). The update runs to its end, and
// the deploy's own update does not start. On the twin the rule's step is
// held until the deploy has taken the interrupt; on AWS the interrupt
// lands where it lands, and whatever it cancels must leave the traffic
// safe.
func interruptTrafficWrite(r *run) {
	s := r.b.Stack("sync-interrupt")
	base := r.canary("5m")
	r.mustDeploy("create", s, flags(base, build("v1"))...)
	good := aws.ToString(r.service(s).TaskDefinition)
	release := r.b.Hold(s, "ProductionListenerRule")
	defer release()
	probe := r.probe(s, good, 0)
	p := r.deploy(s, flags(base, build("v2"))...)
	r.until("the deploy's first update", func() bool { return r.stackStatus(s) == "UPDATE_IN_PROGRESS" })
	p.interrupt()
	r.until("the deploy to take the interrupt", func() bool { return strings.Contains(p.output(), "interrupted") })
	// Time for the interrupt to do what it does before the step may end:
	// a cancel reaches CloudFormation within a poll.
	time.Sleep(10 * r.b.Poll())
	release()
	res := r.wait(p, r.b.Timeout(), "the interrupted deploy")
	if res.code != 130 {
		r.t.Fatalf("the interrupted deploy: want exit 130, got %s", res)
	}
	switch st := r.settle(s); st {
	case "UPDATE_COMPLETE":
		if !strings.Contains(res.stdout+res.stderr, "the deploy's own update did not start") {
			r.t.Fatalf("the stack is UPDATE_COMPLETE but the deploy does not say its own update did not start: %s", res)
		}
	case "UPDATE_ROLLBACK_COMPLETE":
		// On AWS the interrupt may land in the deploy's own update, whose
		// rollback leaves the rule alone.
		if r.b.Name() == "twin" {
			r.t.Fatalf("the update of the production rule was cancelled and rolled back")
		}
	default:
		r.t.Fatalf("stack is %s, want UPDATE_COMPLETE", st)
	}
	if got := aws.ToString(r.service(s).TaskDefinition); got != good {
		r.t.Fatalf("the service runs %s, want %s: the deploy was interrupted", got, good)
	}
	r.settleTasks(s)
	r.checkTraffic(probe, s, good)
}

// Review item 2: a deploy that waits for an operation in progress on its
// stack reads the live traffic once that operation has ended. Deploy A's
// ECS deployment succeeds (the traffic moves to the other group) while
// CloudFormation still holds the service's step; deploy B starts and waits;
// A is interrupted, and CloudFormation's rollback deploys the previous
// task definition again, which moves the traffic back. B must not write
// the traffic it could have read before, onto the group that rollback
// just emptied.
func deployReadsTrafficAfterWaiting(r *run) {
	s := r.b.Stack("busy-read")
	base := r.canary("5m")
	r.mustDeploy("create", s, flags(base, build("v1"))...)
	created := r.deployments(s)[0]
	release := r.b.Hold(s, "Service")
	defer release()
	a := r.deploy(s, flags(base, build("v2"))...)
	r.until("deploy A's ECS deployment to succeed", func() bool {
		d := createdAfter(r.deployments(s), created)
		return d != nil && d.Status == ecstypes.ServiceDeploymentStatusSuccessful
	})
	// Only a group without healthy targets counts: deployments move the
	// traffic between versions on purpose here.
	probe := r.probe(s, "", 100)
	b := r.deploy(s, flags(base, build("v3"))...)
	r.until("deploy B to wait for A", func() bool { return strings.Contains(b.output(), "waiting for that to finish") })
	a.interrupt()
	release()
	r.wait(a, r.b.Timeout(), "deploy A")
	res := r.wait(b, r.b.Timeout(), "deploy B")
	if res.code != 0 {
		r.t.Fatalf("deploy B: %s", res)
	}
	r.settleTasks(s)
	r.checkTraffic(probe, s, "")
}

// Review item 10: a canary service in an environment, whose production
// rule is the environment listener's rule of the service (ListenerRule,
// with the listener a parameter), gets a new host: deploy first writes the
// live weights, then the rule with its new host, each in an update of the
// rule alone, and the deploy's own update then leaves the rule alone.
func environmentCanary(r *run) {
	env := r.b.Stack("envcanary")
	if res := r.envDeploy(env); res.code != 0 {
		r.t.Fatalf("env deploy: %s", res)
	}
	svc := r.b.Stack("envcanary-api")
	service := func(v string, hosts ...string) result {
		r.b.Created(svc)
		args := append([]string{"deploy", "--environment", env, "--stack", svc}, r.b.Tags()...)
		for _, h := range hosts {
			args = append(args, "--host", h)
		}
		args = append(args, r.b.TaskFlags()...)
		return r.cli("deploy "+svc+" "+v, append(args, flags(r.canary("5m"), build(v))...)...)
	}
	if res := service("v1", "api.example.com"); res.code != 0 {
		r.t.Fatalf("create: %s", res)
	}
	good := aws.ToString(r.service(svc).TaskDefinition)
	probe := r.probe(svc, good, 100)
	res := service("v2", "api.example.com", "api2.example.com")
	if res.code != 0 {
		r.t.Fatalf("deploy v2 with a second host: %s", res)
	}
	r.refusedBy(res, "deploy v2", 0, "gives it the new template's hosts, paths and priority")
	out, err := r.elb.DescribeRules(r.ctx(), &elb.DescribeRulesInput{RuleArns: []string{r.productionRule(svc)}})
	if err != nil || len(out.Rules) == 0 {
		r.t.Fatalf("the service's rule: %v", err)
	}
	var hosts []string
	for _, c := range out.Rules[0].Conditions {
		if c.HostHeaderConfig != nil {
			hosts = append(hosts, c.HostHeaderConfig.Values...)
		}
		if aws.ToString(c.Field) == "host-header" && c.HostHeaderConfig == nil {
			hosts = append(hosts, c.Values...)
		}
	}
	if !slices.Contains(hosts, "api2.example.com") {
		r.t.Fatalf("the rule matches hosts %v, want api2.example.com too", hosts)
	}
	r.settleTasks(svc)
	r.checkTraffic(probe, svc, good)
}

// Review item 4: moving a service to Fargate Spot forces a deployment, as
// ECS requires for a new capacity provider strategy; when that update is
// cancelled, CloudFormation's rollback sends the old strategy without a
// forced deployment, which ECS refuses: the stack ends
// UPDATE_ROLLBACK_FAILED. The deploy says the way out, which works:
// continue the rollback skipping the service, then deploy with the new
// placement (which the template then forces).
func placementRollback(r *run) {
	s := r.b.Stack("placement")
	base := r.canary("15m")
	r.mustDeploy("create", s, flags(base, build("v1"))...)
	p := r.deploy(s, flags(base, build("v2"), []string{"--spot"})...)
	r.waitStage(s, ecstypes.ServiceDeploymentLifecycleStageProductionTrafficShift)
	p.interrupt()
	res := r.wait(p, r.b.Timeout(), "the interrupted move to Spot")
	if st := r.settle(s); st != "UPDATE_ROLLBACK_FAILED" {
		r.t.Fatalf("stack is %s, want UPDATE_ROLLBACK_FAILED (ECS refuses the old strategy without a forced deployment): %s", st, res)
	}
	r.refusedBy(res, "the interrupted move to Spot", 130, "--resources-to-skip Service")
	if _, err := r.cfn.ContinueUpdateRollback(r.ctx(), &cloudformation.ContinueUpdateRollbackInput{StackName: aws.String(s), ResourcesToSkip: []string{"Service"}}); err != nil {
		r.t.Fatalf("continue the rollback skipping the service: %v", err)
	}
	if st := r.settle(s); st != "UPDATE_ROLLBACK_COMPLETE" {
		r.t.Fatalf("after continuing the rollback the stack is %s, want UPDATE_ROLLBACK_COMPLETE", st)
	}
	r.until("no deployment in progress", func() bool { return r.inProgress(s) == nil })
	r.mustDeploy("deploy with the new placement", s, flags(r.canary("5m"), build("v3"), []string{"--spot"})...)
}

// Review item 3: rollback to a rolling release while the alternate target
// group serves is refused, as deploy refuses the switch: the rolling
// release deletes the alternate group and its rule, and its rolling
// deployment stops the tasks in that group while the rule still sends
// them all the traffic.
func rollbackToRolling(r *run) {
	s := r.b.Stack("back-to-rolling")
	r.mustDeploy("rolling v1", s, build("v1")...)
	r.mustDeploy("canary v2", s, flags(r.canary("5m"), build("v2"))...)
	before := len(r.deployments(s))
	res := r.cli("rollback --to 1", "rollback", "--stack", s, "--to", "1")
	r.refusedBy(res, "rollback to the rolling release", 1, "would delete the alternate target group that serves it")
	if n := len(r.deployments(s)); n != before {
		r.t.Fatalf("the refused rollback started %d deployment(s)", n-before)
	}
	if st := r.stackStatus(s); st != "UPDATE_COMPLETE" {
		r.t.Fatalf("the refused rollback left the stack %s", st)
	}
}

// F6: scale changes the count only: no progressive deployment, no hooks,
// no canary steps.
func scaleCanary(r *run) {
	s := r.b.Stack("scale-canary")
	r.mustDeploy("create", s, flags(r.canary("5m"), gate, build("v1"), []string{"--on-pause", "continue"})...)
	before, history := len(r.deployments(s)), r.gateHistory(s)
	res := r.cli("scale", "scale", "--stack", s, "--count", "2")
	if res.code != 0 {
		r.t.Fatalf("scale: %s", res)
	}
	if n := len(r.deployments(s)); n != before {
		r.t.Fatalf("scale started %d ECS deployment(s); a count change needs none: %+v", n-before, r.deployments(s)[0])
	}
	if h := r.gateHistory(s); len(h) != len(history) {
		r.t.Fatalf("scale went through the pause gate: %q", h[len(history):])
	}
	if got := r.service(s).DesiredCount; got != 2 {
		r.t.Fatalf("desired count %d, want 2", got)
	}
	r.until("two running tasks", func() bool { return r.service(s).RunningCount == 2 })
}

// F7: turning the gate, the rollback alarms and blue/green off turns them
// off on the service, which UpdateService would otherwise keep.
func turnOff(r *run) {
	s := r.b.Stack("turn-off")
	alarm := r.b.Stack("turn-off-alarm")
	r.createAlarm(alarm)
	r.mustDeploy("create with gate and alarm", s, flags(r.canary("5m"), gate, build("v1"), []string{"--rollback-alarm", alarm, "--on-pause", "continue"})...)

	// Deploys remember the settings of the last release (README, "Deploys
	// remember"), so each is turned off by name.
	r.mustDeploy("gate off", s, flags(r.canary("5m"), build("v2"), []string{"--rollback-alarm", alarm, "--pause-before-production=false"})...)
	if hooks := r.service(s).DeploymentConfiguration.LifecycleHooks; len(hooks) != 0 {
		r.t.Fatalf("the gate is off in the config but the service keeps hook %s", aws.ToString(hooks[0].HookTargetArn))
	}
	r.mustDeploy("alarm off", s, flags(r.canary("5m"), build("v3"), []string{"--reset", "rollback-alarm"})...)
	if a := r.service(s).DeploymentConfiguration.Alarms; a != nil && a.Enable && len(a.AlarmNames) > 0 {
		r.t.Fatalf("the rollback alarm is off in the config but the service keeps watching %v", a.AlarmNames)
	}
	// ECS swaps the target groups' roles on every deployment (B3); cfnfargate
	// refuses to go back to rolling while the alternate group serves, as
	// rolling deletes it, and says to deploy once more with the strategy.
	rolling := flags(build("v4"), []string{"--strategy", "rolling"})
	if res := r.wait(r.deploy(s, rolling...), r.b.Timeout(), "rolling"); res.code != 0 {
		if !strings.Contains(res.stderr, "Deploy once more with the blue/green strategy") {
			r.t.Fatalf("rolling: deploy failed: %s", res)
		}
		r.mustDeploy("once more with the strategy", s, flags(r.canary("5m"), build("v4"))...)
		r.mustDeploy("rolling", s, flags(build("v5"), []string{"--strategy", "rolling"})...)
	}
	if st := r.service(s).DeploymentConfiguration.Strategy; st != "" && st != ecstypes.DeploymentStrategyRolling {
		r.t.Fatalf("the strategy is rolling in the config but the service keeps %s", st)
	}
}

// F8: `logs` reads the container's log group, not the gate function's.
func logsWithGate(r *run) {
	s := r.b.Stack("logs-gate")
	r.mustDeploy("create", s, flags(r.canary("5m"), gate, build("v1"), []string{"--on-pause", "continue"})...)
	const line = "Configuration complete; ready for start up"
	r.until("the container's start-up line in `logs`", func() bool {
		res := r.cli("logs", "logs", "--stack", s, "--since", "1h")
		return res.code == 0 && strings.Contains(res.stdout, line)
	})
}

// envDeploy deploys an environment.
func (r *run) envDeploy(env string, extra ...string) result {
	r.b.Created("env-" + env)
	args := append([]string{"env", "deploy", "--environment", env}, r.b.Network()...)
	args = append(args, r.b.Tags()...)
	return r.cli("env deploy "+env, append(args, extra...)...)
}

// serviceInEnv deploys a service into an environment with only --stack and
// --host, as the README shows.
func (r *run) serviceInEnv(env, stack, host string) result {
	r.b.Created(stack)
	args := append([]string{"deploy", "--environment", env, "--stack", stack, "--host", host}, r.b.Tags()...)
	args = append(args, r.b.TaskFlags()...)
	return r.cli("deploy "+stack, args...)
}

// F9: an environment's load balancer is not replaced while services route
// through it.
func environmentReplacement(r *run) {
	env := r.b.Stack("replace")
	if res := r.envDeploy(env); res.code != 0 {
		r.t.Fatalf("env deploy: %s", res)
	}
	svc := r.b.Stack("replace-api")
	if res := r.serviceInEnv(env, svc, "api.example.com"); res.code != 0 {
		r.t.Fatalf("service deploy: %s", res)
	}
	lb, rule := r.resource("env-"+env, "LoadBalancer"), r.resource(svc, "ListenerRule")
	res := r.envDeploy(env, "--internal", "--allow-cidr", "10.0.0.0/8", "--allow-replacement")
	// The refusal names the service by its stack (the tag on its target
	// group), not by the target group's ARN.
	r.refusedBy(res, "the replacement of the load balancer", 1, "service(s) route through it: "+svc+".")
	if got := r.resource("env-"+env, "LoadBalancer"); got != lb {
		r.t.Fatalf("the environment's load balancer changed from %s to %s", lb, got)
	}
	if _, err := r.elb.DescribeRules(r.ctx(), &elb.DescribeRulesInput{RuleArns: []string{rule}}); err != nil {
		r.t.Fatalf("the service's listener rule is gone: %v", err)
	}
}

// F11: `rollback --in-flight` refuses while CloudFormation rolls back, and
// that rollback completes.
func rollbackInFlightDuringRollback(r *run) {
	s := r.b.Stack("inflight")
	base := r.canary("30m")
	r.mustDeploy("create", s, flags(base, build("v1"))...)
	p := r.deploy(s, flags(base, build("v2"))...)
	d := r.waitStage(s, ecstypes.ServiceDeploymentLifecycleStageProductionTrafficShift)
	p.interrupt()
	r.until("CloudFormation's rollback deployment", func() bool {
		if r.stackStatus(s) != "UPDATE_ROLLBACK_IN_PROGRESS" {
			return false
		}
		x := r.inProgress(s)
		return x != nil && aws.ToString(x.ServiceDeploymentArn) != aws.ToString(d.ServiceDeploymentArn)
	})
	res := r.cli("rollback --in-flight", "rollback", "--stack", s, "--in-flight")
	r.refusedBy(res, "rollback --in-flight during UPDATE_ROLLBACK_IN_PROGRESS", 1, "CloudFormation is rolling it back")
	r.wait(p, r.b.Timeout(), "the interrupted deploy")
	if st := r.settle(s); st != "UPDATE_ROLLBACK_COMPLETE" {
		r.t.Fatalf("stack is %s, want UPDATE_ROLLBACK_COMPLETE", st)
	}
}

// Priorities: three services join one environment with only --stack and
// --host each, and get distinct rule priorities.
func threeServices(r *run) {
	env := r.b.Stack("three")
	if res := r.envDeploy(env); res.code != 0 {
		r.t.Fatalf("env deploy: %s", res)
	}
	seen := map[string]string{}
	for _, name := range []string{"api", "web", "admin"} {
		s := r.b.Stack("three-" + name)
		if res := r.serviceInEnv(env, s, name+".example.com"); res.code != 0 {
			r.t.Fatalf("service %s: %s", name, res)
		}
		out, err := r.elb.DescribeRules(r.ctx(), &elb.DescribeRulesInput{RuleArns: []string{r.resource(s, "ListenerRule")}})
		if err != nil || len(out.Rules) == 0 {
			r.t.Fatalf("rule of %s: %v", s, err)
		}
		prio := aws.ToString(out.Rules[0].Priority)
		if other, ok := seen[prio]; ok {
			r.t.Fatalf("%s and %s share priority %s", other, s, prio)
		}
		seen[prio] = s
	}
}

// B41, review item 11: whether ELB refuses more than three values in one
// condition is not documented (the ALB guide says "up to three match
// evaluations per condition", the quota five per rule). A service in an
// environment that goes from one host to four must be safe either way:
// deploy warns first, and then either the rule matches the four hosts, or
// the update fails and rolls back to the one host, the service still up.
func fourHosts(r *run) {
	env := r.b.Stack("hosts")
	if res := r.envDeploy(env); res.code != 0 {
		r.t.Fatalf("env deploy: %s", res)
	}
	svc := r.b.Stack("hosts-api")
	if res := r.serviceInEnv(env, svc, "api.example.com"); res.code != 0 {
		r.t.Fatalf("service deploy: %s", res)
	}
	good := aws.ToString(r.service(svc).TaskDefinition)
	probe := r.probe(svc, good, 0)
	args := append([]string{"deploy", "--environment", env, "--stack", svc}, r.b.Tags()...)
	for _, h := range []string{"api.example.com", "a.example.com", "b.example.com", "c.example.com"} {
		args = append(args, "--host", h)
	}
	res := r.cli("deploy with four hosts", append(args, r.b.TaskFlags()...)...)
	if !strings.Contains(res.stderr, "4 values in one listener rule condition") {
		r.t.Fatalf("deploy did not warn about four values in one condition: %s", res)
	}
	want := 4
	if res.code != 0 {
		if st := r.settle(svc); st != "UPDATE_ROLLBACK_COMPLETE" {
			r.t.Fatalf("the refused rule left the stack %s, want UPDATE_ROLLBACK_COMPLETE: %s", st, res)
		}
		want = 1
	}
	out, err := r.elb.DescribeRules(r.ctx(), &elb.DescribeRulesInput{RuleArns: []string{r.productionRule(svc)}})
	if err != nil || len(out.Rules) == 0 {
		r.t.Fatalf("the service's rule: %v", err)
	}
	got := 0
	for _, c := range out.Rules[0].Conditions {
		if c.HostHeaderConfig != nil {
			got += len(c.HostHeaderConfig.Values)
		}
	}
	if got != want {
		r.t.Fatalf("the rule matches %d hosts, want %d (deploy exit %d)", got, want, res.code)
	}
	r.checkTraffic(probe, svc, good)
}

// runAll runs every scenario on b, in parallel.
func runAll(t *testing.T, b Backend, skip func(Scenario) string) {
	for _, sc := range Scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			if why := skip(sc); why != "" {
				t.Skip(why)
			}
			t.Parallel()
			sc.Run(newRun(t, b))
		})
	}
}
