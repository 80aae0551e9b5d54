package scenario

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
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
	{Name: "GateLetsFirstCreateThrough", Finding: "F5", Run: gateFirstCreate},
	{Name: "GateLetsStackRollbackThrough", Finding: "F5", Run: gateStackRollback},
	{Name: "ScaleRunsNoDeployment", Finding: "F6", Run: scaleCanary},
	{Name: "GateAlarmsAndBlueGreenTurnOff", Finding: "F7", Run: turnOff},
	{Name: "LogsReadTheContainerWithTheGateOn", Finding: "F8", Run: logsWithGate},
	{Name: "EnvironmentLoadBalancerReplacementRefused", Finding: "F9", Run: environmentReplacement},
	{Name: "RollbackInFlightRefusedDuringStackRollback", Finding: "F11", Run: rollbackInFlightDuringRollback},
	{Name: "ThreeServicesJoinOneEnvironment", Finding: "priorities", Run: threeServices},
}

// canary are the flags of a canary service; the waits are virtual minutes
// on the twin and real ones on AWS.
func (r *run) canary(wait string) []string {
	return []string{"--strategy", "canary", "--canary-percent", "10",
		"--canary-wait", r.b.Minutes(wait, "3m"), "--bake", r.b.Minutes(wait, "3m")}
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
	if res.code == 0 {
		r.t.Fatalf("deployment 3 was rejected at the gate but the deploy succeeded: %s", res)
	}
	if st := r.settle(s); st != "UPDATE_ROLLBACK_COMPLETE" {
		r.t.Fatalf("after the rejection the stack is %s, want UPDATE_ROLLBACK_COMPLETE (CloudFormation's own rollback must pass the gate)", st)
	}
	third := createdAfter(r.deployments(s), *second)
	if third == nil {
		r.t.Fatalf("deployment 3 never started")
	}
	key3 := aws.ToString(third.ServiceDeploymentArn)
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
	base := flags(r.canary("10m"), []string{"--rollback-alarm", alarm})
	r.mustDeploy("create", s, flags(base, build("v1"))...)
	good := aws.ToString(r.service(s).TaskDefinition)

	p := r.deploy(s, flags(base, build("v2"))...)
	d := r.waitStage(s, ecstypes.ServiceDeploymentLifecycleStageBakeTime)
	r.setAlarm(alarm, cwtypes.StateValueAlarm)
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
	r.setAlarm(alarm, cwtypes.StateValueOk)
	if res.code == 0 {
		r.t.Fatalf("the deploy succeeded although ECS rolled it back: %s", res)
	}
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

// F5 (rollback): a deployment rejected at the gate makes CloudFormation
// roll the stack back, and the deployment of that rollback must pass the
// gate: the stack ends UPDATE_ROLLBACK_COMPLETE, not UPDATE_ROLLBACK_FAILED.
func gateStackRollback(r *run) {
	s := r.b.Stack("gate-rollback")
	r.mustDeploy("create", s, flags(r.canary("5m"), gate, build("v1"), []string{"--on-pause", "continue"})...)
	v1 := aws.ToString(r.service(s).TaskDefinition)
	res := r.wait(r.deploy(s, flags(r.canary("5m"), gate, build("v2"), []string{"--on-pause", "rollback"})...), r.b.Timeout(), "rejected deploy")
	if res.code == 0 {
		r.t.Fatalf("the deployment was rejected at the gate but the deploy succeeded: %s", res)
	}
	if st := r.settle(s); st != "UPDATE_ROLLBACK_COMPLETE" {
		r.t.Fatalf("after the rejection the stack is %s, want UPDATE_ROLLBACK_COMPLETE", st)
	}
	r.until("no deployment in progress", func() bool { return r.inProgress(s) == nil })
	if got := aws.ToString(r.service(s).TaskDefinition); got != v1 {
		r.t.Fatalf("the service runs %s after the rollback, want %s", got, v1)
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
	if res.code == 0 {
		r.t.Fatalf("env deploy replaced the load balancer while %s routes through it: %s", svc, res)
	}
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
	if res.code == 0 {
		r.t.Errorf("rollback --in-flight during UPDATE_ROLLBACK_IN_PROGRESS was not refused: %s", res)
	}
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
