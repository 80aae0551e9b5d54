package twin

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cfnfargate/cfnfargate/internal/testenv"
)

// bare is a twin without a server or moto, for the behaviours that need
// neither: its engine is stepped by the test.
func bare(sw Switches) *Twin {
	return &Twin{Clock: NewClock(1), opts: Options{Switches: sw, RulesPerLoadBalancer: 100, TargetGroupsPerLoadBalance: 100, RulesPerSecurityGroup: 60},
		cfn: newCloudFormation(), elb: newLoadBalancing(), ec2: newSecurityGroups(), ecs: newContainerService(), lambda: newFunctions(), other: map[string]*fakeResource{}, holds: map[string]int{}}
}

// progressive builds a service with two target groups and a production
// rule on one listener, as a blue/green template makes it, with the
// deployment configuration cfg (camelCase) and one task of image.
func progressive(tw *Twin, cfg map[string]any, image string) *ecsService {
	tw.elb.lbs["lb"] = &elbLoadBalancer{arn: "lb"}
	tw.elb.listeners["l"] = &elbListener{arn: "l", lb: "lb"}
	for _, g := range []string{"blue", "green"} {
		tw.elb.groups[g] = &elbTargetGroup{arn: g, targets: map[string]*elbTarget{}, port: 80}
	}
	rule, _ := tw.elb.createRule(tw, "l", 2, []any{map[string]any{"Field": "path-pattern", "Values": []any{"/*"}}},
		[]any{map[string]any{"Type": "forward", "ForwardConfig": map[string]any{"TargetGroups": []any{
			map[string]any{"TargetGroupArn": "blue", "Weight": 100}, map[string]any{"TargetGroupArn": "green", "Weight": 0}}}}})
	td := tw.ecs.registerTaskDef(tw, map[string]any{"Family": "app", "ContainerDefinitions": []any{map[string]any{"Name": "app", "Image": image}}})
	svc := &ecsService{arn: "arn:aws:ecs:us-east-1:123456789012:service/c/app", name: "app", cluster: "c", status: "ACTIVE", taskDef: td.arn, desired: 1,
		config: cfg, settings: map[string]any{}, lbs: []map[string]any{{"targetGroupArn": "blue", "containerName": "app", "containerPort": 80,
			"advancedConfiguration": map[string]any{"alternateTargetGroupArn": "green", "productionListenerRule": rule.arn}}}}
	tw.ecs.services[svc.arn] = svc
	return svc
}

// runFor steps the engine for d of virtual time, in steps of tick.
func runFor(tw *Twin, d, tick time.Duration) {
	for end := tw.Clock.Now().Add(d); tw.Clock.Now().Before(end); {
		tw.Clock.Advance(tick)
		tw.mu.Lock()
		tw.ecs.step(tw, tw.Clock.Now(), nil)
		tw.mu.Unlock()
	}
}

// TestConditions proves B41-B43: at most five condition values per rule,
// three per condition only under the switch, host values with a dot and
// letters after the last one, header names that are RFC 7230 tokens and
// not Host.
func TestConditions(t *testing.T) {
	host := func(values ...any) map[string]any {
		return map[string]any{"Field": "host-header", "HostHeaderConfig": map[string]any{"Values": values}}
	}
	header := func(name string) map[string]any {
		return map[string]any{"Field": "http-header", "HttpHeaderConfig": map[string]any{"HttpHeaderName": name, "Values": []any{"1"}}}
	}
	path := func(values ...any) map[string]any {
		return map[string]any{"Field": "path-pattern", "PathPatternConfig": map[string]any{"Values": values}}
	}
	tests := []struct {
		name       string
		conditions []any
		strict     bool // refused with ThreeValuesPerCondition
		lenient    bool // refused without it
	}{
		{name: "host x2 + path x3 is five values", conditions: []any{host("a.example.com", "b.example.com"), path("/a", "/b", "/c")}},
		{name: "six values in a rule", conditions: []any{host("a.example.com", "b.example.com", "c.example.com"), path("/a", "/b", "/c")}, strict: true, lenient: true},
		{name: "four hosts in one condition", conditions: []any{host("a.example.com", "b.example.com", "c.example.com", "d.example.com")}, strict: true},
		{name: "wildcard host", conditions: []any{host("*.example.com")}},
		{name: "localhost has no dot", conditions: []any{host("localhost")}, strict: true, lenient: true},
		{name: "digits after the last dot", conditions: []any{host("api.internal.123")}, strict: true, lenient: true},
		{name: "an IP address", conditions: []any{host("10.0.0.1")}, strict: true, lenient: true},
		{name: "header X-Canary", conditions: []any{header("X-Canary")}},
		{name: "header Host", conditions: []any{header("Host")}, strict: true, lenient: true},
		{name: "header HOST", conditions: []any{header("HOST")}, strict: true, lenient: true},
		{name: "header with a wildcard", conditions: []any{header("X-Canary*")}, strict: true, lenient: true},
		{name: "header of 41 characters", conditions: []any{header("X-" + fmt.Sprintf("%039d", 0))}, strict: true, lenient: true},
		{name: "two host conditions", conditions: []any{host("a.example.com"), host("b.example.com")}, strict: true, lenient: true},
	}
	for _, tt := range tests {
		for _, strict := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/strict=%v", tt.name, strict), func(t *testing.T) {
				tw := bare(Switches{ThreeValuesPerCondition: strict})
				want := tt.lenient
				if strict {
					want = tt.strict
				}
				if got := checkConditions(tw, tt.conditions) != nil; got != want {
					t.Errorf("refused = %v, want %v", got, want)
				}
			})
		}
	}
}

// TestRulesPerLoadBalancer proves B39 and B40: priorities are unique per
// listener, and the 101st rule of a load balancer is refused even when it
// goes on another listener.
func TestRulesPerLoadBalancer(t *testing.T) {
	tw := bare(DefaultSwitches())
	tw.elb.lbs["lb"] = &elbLoadBalancer{arn: "lb"}
	tw.elb.listeners["l443"] = &elbListener{arn: "l443", lb: "lb"}
	tw.elb.listeners["l80"] = &elbListener{arn: "l80", lb: "lb"}
	fixed := []any{map[string]any{"Type": "fixed-response"}}
	cond := []any{map[string]any{"Field": "path-pattern", "Values": []any{"/x"}}}
	if _, err := tw.elb.createRule(tw, "l443", 7, cond, fixed); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.elb.createRule(tw, "l443", 7, cond, fixed); err == nil || err.Code != "PriorityInUse" {
		t.Fatalf("a second rule at priority 7: %v, want PriorityInUse", err)
	}
	for i := 0; i < 99; i++ {
		listener := "l443"
		if i >= 59 {
			listener = "l80"
		}
		if _, err := tw.elb.createRule(tw, listener, 100+i, cond, fixed); err != nil {
			t.Fatalf("rule %d: %v", i+2, err)
		}
	}
	if _, err := tw.elb.createRule(tw, "l80", 1000, cond, fixed); err == nil || err.Code != "TooManyRules" {
		t.Fatalf("the 101st rule: %v, want TooManyRules", err)
	}
}

// TestSecurityGroupQuota proves B47: 60 egress rules per family, a
// security-group peer counting in both families.
func TestSecurityGroupQuota(t *testing.T) {
	tw := bare(DefaultSwitches())
	g := &securityGroup{id: "sg-lb"}
	if err := tw.ec2.add(tw, g, &sgRule{egress: true, v4: true}); err != nil { // the sentinel
		t.Fatal(err)
	}
	for i := 1; i < 60; i++ {
		v4, v6 := family(map[string]any{"DestinationSecurityGroupId": "sg-task"})
		if err := tw.ec2.add(tw, g, &sgRule{egress: true, v4: v4, v6: v6}); err != nil {
			t.Fatalf("service %d: %v", i, err)
		}
	}
	v4, v6 := family(map[string]any{"DestinationSecurityGroupId": "sg-task"})
	if err := tw.ec2.add(tw, g, &sgRule{egress: true, v4: v4, v6: v6}); err == nil || err.Code != "RulesPerSecurityGroupLimitExceeded" {
		t.Fatalf("service 60: %v, want RulesPerSecurityGroupLimitExceeded", err)
	}
	if err := tw.ec2.add(tw, g, &sgRule{egress: false, v4: true}); err != nil {
		t.Fatalf("ingress has its own budget: %v", err)
	}
}

// TestUpdateServiceMerge proves B34: what a request leaves out is kept;
// a member sent replaces that member with API defaults for its sub-fields;
// lifecycleHooks is replaced wholesale.
func TestUpdateServiceMerge(t *testing.T) {
	live := map[string]any{"strategy": "CANARY", "alarms": map[string]any{"alarmNames": []any{"a"}, "enable": true, "rollback": true},
		"lifecycleHooks":           []any{map[string]any{"hookTargetArn": "fn"}},
		"deploymentCircuitBreaker": map[string]any{"enable": true, "rollback": true},
		"canaryConfiguration":      map[string]any{"canaryPercent": 20.0, "canaryBakeTimeInMinutes": 3}}
	tests := []struct {
		name string
		sent map[string]any
		key  string
		want string
	}{
		{name: "maximumPercent only keeps the alarms", sent: map[string]any{"maximumPercent": 150}, key: "alarms", want: canonical(live["alarms"])},
		{name: "maximumPercent only keeps the hooks", sent: map[string]any{"maximumPercent": 150}, key: "lifecycleHooks", want: canonical(live["lifecycleHooks"])},
		{name: "maximumPercent only keeps the strategy", sent: map[string]any{"maximumPercent": 150}, key: "strategy", want: canonical("CANARY")},
		{name: "a circuit breaker without rollback turns rollback off", sent: map[string]any{"deploymentCircuitBreaker": map[string]any{"enable": true}}, key: "deploymentCircuitBreaker", want: canonical(map[string]any{"enable": true, "rollback": false})},
		{name: "a partial canary configuration takes the default bake", sent: map[string]any{"canaryConfiguration": map[string]any{"canaryPercent": 20.0}}, key: "canaryConfiguration", want: canonical(map[string]any{"canaryPercent": 20.0, "canaryBakeTimeInMinutes": 10})},
		{name: "an empty hook list clears the hooks", sent: map[string]any{"lifecycleHooks": []any{}}, key: "lifecycleHooks", want: canonical([]any{})},
		{name: "the alarms' off state", sent: map[string]any{"alarms": map[string]any{"alarmNames": []any{}, "enable": false, "rollback": false}}, key: "alarms", want: canonical(map[string]any{"alarmNames": []any{}, "enable": false, "rollback": false})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := canonical(mergeConfig(live, tt.sent)[tt.key]); got != tt.want {
				t.Errorf("%s = %s, want %s", tt.key, got, tt.want)
			}
		})
	}
}

// TestAbsentPropertiesAndForce proves B38 and B50 in both settings of
// their switches, through CloudFormation's service handler: a template
// that drops LifecycleHooks keeps them unless AbsentPropertyResets, and a
// DesiredCount-only change with EnableForceNewDeployment: true starts a
// deployment only under ForceOnEveryUpdate.
func TestAbsentPropertiesAndForce(t *testing.T) {
	props := func(count int, hooks bool) map[string]any {
		dc := map[string]any{"Strategy": "CANARY"}
		if hooks {
			dc["LifecycleHooks"] = []any{map[string]any{"HookTargetArn": "fn", "RoleArn": "role", "LifecycleStages": []any{"POST_SCALE_UP"}}}
		}
		return map[string]any{"TaskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/app:1", "DesiredCount": count, "DeploymentConfiguration": dc,
			"ForceNewDeployment": map[string]any{"EnableForceNewDeployment": true, "ForceNewDeploymentNonce": "FARGATE weight 1"}}
	}
	tests := []struct {
		name       string
		sw         Switches
		count      int
		hooks      bool
		wantDeploy bool
		wantHooks  int
	}{
		{name: "count only, force on every update", sw: Switches{ForceOnEveryUpdate: true}, count: 2, hooks: true, wantDeploy: true, wantHooks: 1},
		{name: "count only, force on a nonce change", sw: Switches{}, count: 2, hooks: true, wantDeploy: false, wantHooks: 1},
		{name: "hooks dropped, kept", sw: Switches{}, count: 1, hooks: false, wantDeploy: false, wantHooks: 1},
		{name: "hooks dropped, reset", sw: Switches{AbsentPropertyResets: true}, count: 1, hooks: false, wantDeploy: false, wantHooks: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tw := bare(tt.sw)
			svc := progressive(tw, map[string]any{"strategy": "CANARY", "lifecycleHooks": []any{map[string]any{"hookTargetArn": "fn", "roleArn": "role"}}}, "nginx")
			old := props(1, true)
			r := &cfnResource{physical: svc.arn, props: old}
			wait, err := serviceProvider{}.update(tw, nil, r, old, props(tt.count, tt.hooks), false)
			if err != nil {
				t.Fatal(err)
			}
			if got := wait != nil; got != tt.wantDeploy {
				t.Errorf("deployment started = %v, want %v", got, tt.wantDeploy)
			}
			if got := len(asList(svc.config["lifecycleHooks"])); got != tt.wantHooks {
				t.Errorf("hooks on the service = %d, want %d", got, tt.wantHooks)
			}
			if svc.desired != tt.count {
				t.Errorf("desired count %d, want %d", svc.desired, tt.count)
			}
		})
	}
}

// TestProgressiveDeployment proves B3-B7: green tasks go to the group that
// is not serving, canary weights move in two steps, and the roles swap at
// the end; a second deployment registers into the other group.
func TestProgressiveDeployment(t *testing.T) {
	tw := bare(DefaultSwitches())
	svc := progressive(tw, map[string]any{"strategy": "CANARY", "bakeTimeInMinutes": 5,
		"canaryConfiguration": map[string]any{"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 5}}, "nginx")
	rule := asMap(svc.lbs[0]["advancedConfiguration"])["productionListenerRule"].(string)
	var groups []string
	for i := 0; i < 2; i++ {
		tw.ecs.startDeployment(tw, svc, tw.Clock.Now())
		runFor(tw, 2*time.Hour, 10*time.Second)
		d := svc.deployments[len(svc.deployments)-1]
		if d.status != "SUCCESSFUL" {
			t.Fatalf("deployment %d is %s (%s)", i+1, d.status, d.stage)
		}
		groups = append(groups, d.greenTG)
	}
	if groups[0] != "green" || groups[1] != "blue" {
		t.Errorf("green tasks went to %v, want [green blue]: the groups swap roles every deployment", groups)
	}
	var shares []string
	for _, w := range tw.RuleHistory(rule) {
		if w.By == "ecs" {
			shares = append(shares, fmt.Sprintf("%d/%d", w.Weights["blue"], w.Weights["green"]))
		}
	}
	if want := "[90/10 0/100 10/90 100/0]"; fmt.Sprint(shares) != want {
		t.Errorf("ECS wrote blue/green weights %v, want %s", shares, want)
	}
}

// TestCircuitBreakerBlueGreen proves B26 in both settings: with an image
// that cannot start, the circuit breaker rolls a canary deployment back
// only when it applies to blue/green strategies.
func TestCircuitBreakerBlueGreen(t *testing.T) {
	for _, applies := range []bool{true, false} {
		t.Run(fmt.Sprintf("applies=%v", applies), func(t *testing.T) {
			tw := bare(Switches{CircuitBreakerBlueGreen: applies})
			svc := progressive(tw, map[string]any{"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 5,
				"deploymentCircuitBreaker": map[string]any{"enable": true, "rollback": true}}, "nginx")
			tw.ecs.startDeployment(tw, svc, tw.Clock.Now())
			runFor(tw, time.Hour, 10*time.Second)
			bad := tw.ecs.registerTaskDef(tw, map[string]any{"Family": "app", "ContainerDefinitions": []any{map[string]any{"Name": "app", "Image": "nginx:does-not-exist"}}})
			if _, err := tw.ecs.updateService(tw, svc, serviceUpdate{taskDef: bad.arn}, tw.Clock.Now()); err != nil {
				t.Fatal(err)
			}
			runFor(tw, 2*time.Hour, 10*time.Second)
			d := svc.deployments[len(svc.deployments)-1]
			want := "IN_PROGRESS"
			if applies {
				want = "ROLLBACK_SUCCESSFUL"
			}
			if d.status != want {
				t.Errorf("status %s, want %s (%s)", d.status, want, d.statusReason)
			}
		})
	}
}

// hookCode answers IN_PROGRESS twice, then SUCCEEDED, except during a
// rollback (the target revision at weight 0), where it answers FAILED.
const hookCode = `
def handler(event, context):
    details = event.get("hookDetails") or {}
    weights = event["executionDetails"]["productionTrafficWeights"]
    target = event["executionDetails"]["targetServiceRevisionArn"]
    if weights.get(target) == 0:
        return {"hookStatus": "FAILED"}
    n = int(details.get("n", "0"))
    if n < 2:
        return {"hookStatus": "IN_PROGRESS", "callBackDelay": 1, "hookDetails": {"n": str(n + 1)}}
    return {"hookStatus": "SUCCEEDED"}
`

// TestHooks proves B15, B16 and B19 with a hook's own Python code, in both
// settings of the executionId and the FAILED-during-rollback switches.
func TestHooks(t *testing.T) {
	testenv.SkipIfShort(t, "runs python3")
	testenv.Require(t, "python3")
	for _, sw := range []Switches{{}, {NewExecutionIDPerInvocation: true, HookFailedFailsRollback: true}} {
		t.Run(fmt.Sprintf("newID=%v,failRollback=%v", sw.NewExecutionIDPerInvocation, sw.HookFailedFailsRollback), func(t *testing.T) {
			tw := bare(sw)
			t.Cleanup(tw.lambda.closeAll)
			if err := tw.lambda.put("fn", map[string]any{"Runtime": "python3.13", "Handler": "index.handler", "Timeout": 10, "Code": map[string]any{"ZipFile": hookCode}}); err != nil {
				t.Fatal(err)
			}
			svc := progressive(tw, map[string]any{"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 60,
				"lifecycleHooks": []any{map[string]any{"hookTargetArn": "fn", "roleArn": "role", "lifecycleStages": []any{"PRODUCTION_TRAFFIC_SHIFT"}}}}, "nginx")
			svc.current = &revision{id: "blue", arn: "arn:aws:ecs:us-east-1:123456789012:service-revision/c/app/blue", taskDef: svc.taskDef}
			d := tw.ecs.startDeployment(tw, svc, tw.Clock.Now())
			waitReal(t, tw, func() bool { return d.stage == "BAKE_TIME" })
			tw.mu.Lock()
			if err := tw.stopDeployment(d, "ROLLBACK", tw.Clock.Now()); err != nil {
				t.Fatal(err)
			}
			tw.mu.Unlock()
			waitReal(t, tw, d.terminal)
			want := "ROLLBACK_SUCCESSFUL"
			if sw.HookFailedFailsRollback {
				want = "ROLLBACK_FAILED"
			}
			if d.status != want {
				t.Errorf("status %s, want %s", d.status, want)
			}
			ids := map[string]bool{}
			calls := tw.Invocations()
			for _, inv := range calls[:3] {
				if inv.Payload["resourceArn"] != d.arn {
					t.Errorf("resourceArn %v, want the deployment %s", inv.Payload["resourceArn"], d.arn)
				}
				ids[inv.Payload["executionId"].(string)] = true
			}
			if wantIDs := map[bool]int{false: 1, true: 3}[sw.NewExecutionIDPerInvocation]; len(ids) != wantIDs {
				t.Errorf("%d executionIds over three invocations of one hook, want %d", len(ids), wantIDs)
			}
			if last := calls[len(calls)-1]; last.Response != `{"hookStatus": "FAILED"}` {
				t.Errorf("the hook was not invoked again during the rollback with the target at weight 0: %+v", last)
			}
		})
	}
}

// waitReal steps the engine in real time until cond holds.
func waitReal(t *testing.T, tw *Twin, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		tw.mu.Lock()
		tw.Clock.Advance(10 * time.Second)
		tw.ecs.step(tw, tw.Clock.Now(), nil)
		ok := cond()
		tw.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 30 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPlacementNeedsForce proves B1 and the rule behind review of issue
// 18, item 4: capacityProviderStrategy and enableExecuteCommand start no
// deployment ("This parameter doesn't trigger a new service deployment",
// ECS API reference, UpdateService), and a new capacity provider strategy
// without forceNewDeployment is refused, as ECS refuses it, while with it
// the forced deployment starts.
func TestPlacementNeedsForce(t *testing.T) {
	spot := []any{map[string]any{"capacityProvider": "FARGATE_SPOT", "weight": 1}}
	tests := []struct {
		name       string
		u          serviceUpdate
		refused    bool
		deployment bool
	}{
		{name: "execute command alone", u: serviceUpdate{settings: map[string]any{"enableExecuteCommand": true}}},
		{name: "the same strategy", u: serviceUpdate{settings: map[string]any{"capacityProviderStrategy": []any{map[string]any{"capacityProvider": "FARGATE", "weight": 1}}}}},
		{name: "a new strategy without force", u: serviceUpdate{settings: map[string]any{"capacityProviderStrategy": spot}}, refused: true},
		{name: "a new strategy with force", u: serviceUpdate{settings: map[string]any{"capacityProviderStrategy": spot}, force: true}, deployment: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tw := bare(DefaultSwitches())
			svc := progressive(tw, map[string]any{"strategy": "BLUE_GREEN"}, "nginx")
			svc.settings["capacityProviderStrategy"] = []any{map[string]any{"capacityProvider": "FARGATE", "weight": 1}}
			d, err := tw.ecs.updateService(tw, svc, tt.u, tw.Clock.Now())
			if got := err != nil; got != tt.refused {
				t.Fatalf("refused = %v (%v), want %v", got, err, tt.refused)
			}
			if tt.refused && !strings.Contains(err.Message, "you must force a new deployment") {
				t.Errorf("refusal %q is not ECS's", err.Message)
			}
			if got := d != nil; got != tt.deployment {
				t.Errorf("deployment started = %v, want %v", got, tt.deployment)
			}
		})
	}
}

// TestListServiceDeploymentsOrder proves B11 in both settings of its
// switch: every deployment is listed once across pages, newest first by
// default and in an order that is not by time when shuffled; createdAt
// filters.
func TestListServiceDeploymentsOrder(t *testing.T) {
	for _, shuffled := range []bool{false, true} {
		t.Run(fmt.Sprintf("shuffled=%v", shuffled), func(t *testing.T) {
			tw := bare(Switches{ShuffledDeployments: shuffled})
			svc := progressive(tw, map[string]any{"strategy": "ROLLING"}, "nginx")
			var made []*deployment
			for range 5 {
				made = append(made, tw.ecs.startDeployment(tw, svc, tw.Clock.Now()))
				tw.Clock.Advance(time.Minute)
			}
			list := func(extra map[string]any) []string {
				var arns []string
				token := ""
				for {
					in := map[string]any{"service": svc.arn, "cluster": "c", "maxResults": 2}
					for k, v := range extra {
						in[k] = v
					}
					if token != "" {
						in["nextToken"] = token
					}
					body, _ := json.Marshal(in)
					out, err := tw.ecsAPI("ListServiceDeployments", body)
					if err != nil {
						t.Fatal(err)
					}
					m := out.(map[string]any)
					for _, b := range m["serviceDeployments"].([]any) {
						arns = append(arns, b.(map[string]any)["serviceDeploymentArn"].(string))
					}
					if token, _ = m["nextToken"].(string); token == "" {
						return arns
					}
				}
			}
			got := list(nil)
			var newestFirst, byID []string
			for i := len(made) - 1; i >= 0; i-- {
				newestFirst = append(newestFirst, made[i].arn)
			}
			sorted := append([]*deployment(nil), made...)
			sort.Slice(sorted, func(i, j int) bool { return sorted[i].id < sorted[j].id })
			for _, d := range sorted {
				byID = append(byID, d.arn)
			}
			want := newestFirst
			if shuffled {
				want = byID
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("listed %v, want %v", got, want)
			}
			after := float64(made[2].createdAt.UnixMilli())/1000 + 1
			if got := list(map[string]any{"createdAt": map[string]any{"after": after}}); len(got) != 2 || !slices.Contains(got, made[3].arn) || !slices.Contains(got, made[4].arn) {
				t.Errorf("created after the third: %v, want the last two", got)
			}
		})
	}
}

// TestTrustLiveRule proves B13 in both settings of its switch: after a
// CloudFormation rollback set the production rule back to the group ECS
// left empty, the next deployment registers its tasks in the group ECS
// last put them in the other (its record), or, trusting the live rule, in
// the group the rule does not send traffic to; a rule that sends traffic
// to both groups fails the deployment as it starts.
func TestTrustLiveRule(t *testing.T) {
	for _, trust := range []bool{false, true} {
		t.Run(fmt.Sprintf("trust=%v", trust), func(t *testing.T) {
			tw := bare(Switches{TrustLiveRule: trust})
			svc := progressive(tw, map[string]any{"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1}, "nginx")
			rule := asMap(svc.lbs[0]["advancedConfiguration"])["productionListenerRule"].(string)
			tw.ecs.startDeployment(tw, svc, tw.Clock.Now())
			runFor(tw, time.Hour, 10*time.Second)
			if svc.prodTG != "green" {
				t.Fatalf("after the first deployment production is %q, want green", svc.prodTG)
			}
			// What a rollback to a template with stale weights writes.
			tw.elb.setWeights(tw, rule, [][2]any{{"blue", 100}, {"green", 0}})
			d := tw.ecs.startDeployment(tw, svc, tw.Clock.Now())
			want := "blue"
			if trust {
				want = "green"
			}
			if d.greenTG != want {
				t.Errorf("the next deployment registers in %s, want %s", d.greenTG, want)
			}
			runFor(tw, time.Hour, 10*time.Second)
			tw.elb.setWeights(tw, rule, [][2]any{{"blue", 50}, {"green", 50}})
			split := tw.ecs.startDeployment(tw, svc, tw.Clock.Now())
			runFor(tw, time.Minute, 10*time.Second)
			if split.status != "STOPPED" || !strings.Contains(split.statusReason, "both") {
				t.Errorf("a deployment that starts with traffic on both groups: %s (%s), want STOPPED", split.status, split.statusReason)
			}
		})
	}
}

// TestRollbackOrder proves B28's switch in both settings: CloudFormation
// rolls an update back in the order of the update (a listener rule before
// the service that refers to it), or in reverse.
func TestRollbackOrder(t *testing.T) {
	for _, reverse := range []bool{false, true} {
		t.Run(fmt.Sprintf("reverse=%v", reverse), func(t *testing.T) {
			tw := bare(Switches{RollbackReverseOrder: reverse})
			st := &cfnStack{name: "s", id: "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1", resources: map[string]*cfnResource{}}
			st.op = &operation{kind: "UPDATE", phase: "forward", done: []*opStep{
				{action: "update", logical: "ProductionListenerRule", started: true, touched: true},
				{action: "update", logical: "Service", started: true, touched: true},
			}}
			tw.cfn.fail(tw, st, tw.Clock.Now(), "test")
			var order []string
			for _, s := range st.op.queue {
				order = append(order, s.logical)
			}
			want := "[ProductionListenerRule Service]"
			if reverse {
				want = "[Service ProductionListenerRule]"
			}
			if fmt.Sprint(order) != want || st.status != "UPDATE_ROLLBACK_IN_PROGRESS" {
				t.Errorf("rollback reverts %v (stack %s), want %s", order, st.status, want)
			}
		})
	}
}
