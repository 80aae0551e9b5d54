package deploy

// These tests run a blue/green stack in moto, and SIMULATE what ECS does
// during a deployment, which moto cannot: it neither runs blue/green
// deployments nor has the service-deployments API. A proxy in front of
// moto answers ECS's ListServiceDeployments and DescribeServiceDeployments
// from a script (ecsDeployments), in ECS's JSON 1.1 wire format, and passes
// every other request to moto; the test moves the production listener
// rule's weights with ELB's ModifyRule, as ECS does, and sets alarm states
// with CloudWatch's SetAlarmState. Everything else is moto's real state:
// the stack, its listener rule and target groups, the alarms, the gate's
// SSM parameter.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"

	"github.com/cfnfargate/cfnfargate/internal/testenv"
	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/format"
)

// simDeployment is one service deployment as the script says ECS has it.
type simDeployment struct {
	ARN, Status, Stage, Revision string
	Triggered                    []string
	Created                      time.Time
}

// ecsDeployments is the proxy: a scripted answer to the service-deployments
// calls, moto for the rest.
type ecsDeployments struct {
	srv   *httptest.Server
	mu    sync.Mutex
	deps  []simDeployment // newest first, as ECS lists them
	calls []string
}

func newECSDeployments(t *testing.T, m *testenv.Moto) *ecsDeployments {
	t.Helper()
	target, err := url.Parse(m.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	// A request the test cancels (WatchGate's last poll) is no error.
	proxy.ErrorLog = log.New(io.Discard, "", 0)
	e := &ecsDeployments{}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := r.Header.Get("X-Amz-Target")
		if !strings.HasSuffix(op, ".ListServiceDeployments") && !strings.HasSuffix(op, ".DescribeServiceDeployments") {
			proxy.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var in struct {
			Status     []string
			MaxResults int
		}
		_ = json.Unmarshal(body, &in)
		e.mu.Lock()
		defer e.mu.Unlock()
		e.calls = append(e.calls, op[strings.LastIndex(op, ".")+1:])
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if strings.HasSuffix(op, ".ListServiceDeployments") {
			var list []map[string]any
			for _, d := range e.deps {
				if len(in.Status) > 0 && !contains(in.Status, d.Status) {
					continue
				}
				brief := map[string]any{"serviceDeploymentArn": d.ARN, "status": d.Status, "targetServiceRevisionArn": d.Revision}
				if !d.Created.IsZero() {
					brief["createdAt"] = float64(d.Created.UnixMilli()) / 1000
				}
				list = append(list, brief)
				if in.MaxResults > 0 && len(list) == in.MaxResults {
					break
				}
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"serviceDeployments": list})
			return
		}
		var described []map[string]any
		for _, d := range e.deps {
			if strings.Contains(string(body), d.ARN) {
				sd := map[string]any{"serviceDeploymentArn": d.ARN, "status": d.Status, "lifecycleStage": d.Stage,
					"alarms": map[string]any{"status": "TRIGGERED", "triggeredAlarmNames": d.Triggered}}
				if !d.Created.IsZero() {
					sd["createdAt"] = float64(d.Created.UnixMilli()) / 1000
				}
				if d.Revision != "" {
					sd["targetServiceRevision"] = map[string]any{"arn": d.Revision}
				}
				described = append(described, sd)
			}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"serviceDeployments": described})
	}))
	t.Cleanup(e.srv.Close)
	return e
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// set replaces what ECS reports: the newest deployment first.
func (e *ecsDeployments) set(deps ...simDeployment) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.deps = deps
}

// waitCall waits until the proxy has answered op at least once: until a
// poller has seen the deployments as they are now. Under a loaded machine
// a first poll can take far longer than its interval.
func (e *ecsDeployments) waitCall(t *testing.T, op string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		e.mu.Lock()
		seen := slices.Contains(e.calls, op)
		e.mu.Unlock()
		if seen {
			return
		}
	}
	t.Fatalf("no %s call within a minute", op)
}

// blueGreenEnv is a stack in moto and the clients around it.
type blueGreenEnv struct {
	m        *testenv.Moto
	sim      *ecsDeployments
	cfn      *cloudformation.Client
	elb      *elbv2.Client
	cw       *cloudwatch.Client
	ssm      *ssm.Client
	delivery Delivery
	params   map[string]string
}

func newBlueGreenEnv(t *testing.T) *blueGreenEnv {
	t.Helper()
	testenv.SkipIfShort(t, "deploys blue/green stacks into moto")
	m := testenv.SharedMoto(t)
	n := m.Seed(t)
	sim := newECSDeployments(t, m)
	creds := credentials.NewStaticCredentialsProvider("testing", "testing", "")
	endpoint := aws.String(sim.srv.URL)
	e := &blueGreenEnv{m: m, sim: sim,
		cfn: cloudformation.New(cloudformation.Options{Region: m.Region, BaseEndpoint: endpoint, Credentials: creds, Retryer: newRetryer(nil)}),
		elb: elbv2.New(elbv2.Options{Region: m.Region, BaseEndpoint: endpoint, Credentials: creds}),
		// moto 5.2 does not route CloudWatch's Smithy RPC v2 CBOR, the
		// SDK's default; CloudWatch accepts AWS Query too.
		cw: cloudwatch.New(cloudwatch.Options{Region: m.Region, BaseEndpoint: endpoint, Credentials: creds}, func(o *cloudwatch.Options) {
			o.Protocol = awsquery.New(schemas.GraniteServiceVersion20100801)
		}),
		ssm: ssm.New(ssm.Options{Region: m.Region, BaseEndpoint: endpoint, Credentials: creds}),
		params: map[string]string{
			"VpcId":            n.VpcID,
			"PublicSubnetIds":  strings.Join(n.PublicSubnets, ","),
			"PrivateSubnetIds": strings.Join(n.PrivateSubnets, ","),
			"CertificateArn":   n.CertificateArn,
		},
	}
	ecsClient := ecs.New(ecs.Options{Region: m.Region, BaseEndpoint: endpoint, Credentials: creds})
	e.delivery = Delivery{CloudFormation: e.cfn, ELB: e.elb, ECS: ecsClient, CloudWatch: e.cw, SSM: e.ssm}
	return e
}

// canary is the configuration the scenarios deploy.
func canary() stack.Config {
	c := stack.Default()
	c.Deployment.Strategy = stack.StrategyCanary
	c.Deployment.CanaryPercent = 10
	c.Deployment.PauseBeforeProduction = true
	return c
}

// withAlarm is canary with a rollback alarm of the test's own: moto's
// alarms are shared by the tests.
func withAlarm(name string) stack.Config {
	c := canary()
	c.Deployment.RollbackAlarms = []string{name}
	return c
}

// deploy builds cfg and deploys it to stackName through the Deployer.
func (e *blueGreenEnv) deploy(t *testing.T, stackName string, cfg stack.Config) {
	t.Helper()
	doc, err := stack.Build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	body, err := format.JSON(doc)
	if err != nil {
		t.Fatal(err)
	}
	d := &Deployer{API: e.cfn, Sink: &recorder{}, PollInterval: 100 * time.Millisecond}
	if _, err := d.Deploy(context.Background(), Input{StackName: stackName, TemplateBody: string(body), Parameters: e.params, Timeout: time.Minute}); err != nil {
		t.Fatalf("deploy %s: %v", stackName, err)
	}
}

// shift sets the production rule's weights, as ECS does while it moves
// traffic.
func (e *blueGreenEnv) shift(t *testing.T, live Live, primary, alternate int) {
	t.Helper()
	_, err := e.elb.ModifyRule(context.Background(), &elbv2.ModifyRuleInput{
		RuleArn: aws.String(live.Traffic.RuleARN),
		Actions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, ForwardConfig: &elbtypes.ForwardActionConfig{TargetGroups: []elbtypes.TargetGroupTuple{
			{TargetGroupArn: aws.String(live.targetGroups["TargetGroup"]), Weight: aws.Int32(int32(primary))},
			{TargetGroupArn: aws.String(live.targetGroups["TargetGroupAlternate"]), Weight: aws.Int32(int32(alternate))},
		}}}},
	})
	if err != nil {
		t.Fatalf("ModifyRule: %v", err)
	}
}

func (e *blueGreenEnv) inspect(t *testing.T, stackName string) Live {
	t.Helper()
	live, err := e.delivery.Inspect(context.Background(), stackName)
	if err != nil {
		t.Fatal(err)
	}
	if live.Traffic == nil {
		t.Fatalf("stack %s has no production rule", stackName)
	}
	return live
}

// Proves (simulated ECS): while a canary moves traffic, a deploy is refused
// with the split ECS set and the stage shown; once the canary has baked and
// completed, the deploy may go on and must keep all traffic on the target
// group ECS moved it to.
func TestCanaryBakesAndCompletes(t *testing.T) {
	e := newBlueGreenEnv(t)
	ctx := context.Background()
	const name = "bg-canary-completes"
	e.deploy(t, name, canary())
	live := e.inspect(t, name)
	if got := live.Traffic.Split(); got != "TargetGroup 100% / TargetGroupAlternate 0%" {
		t.Fatalf("a new stack's split = %s, want all on TargetGroup", got)
	}

	dep := simDeployment{ARN: "arn:aws:ecs:us-east-1:123456789012:service-deployment/c/s/1", Status: "IN_PROGRESS", Stage: "PRODUCTION_TRAFFIC_SHIFT"}
	e.sim.set(dep)
	e.shift(t, live, 90, 10)
	_, err := e.delivery.Check(ctx, name, canary(), false)
	var busy *RoutingBusyError
	if !errors.As(err, &busy) || busy.Split != "TargetGroup 90% / TargetGroupAlternate 10%" || busy.Deployments[0] != dep.ARN {
		t.Fatalf("Check during the canary = %v, want RoutingBusyError at 90/10", err)
	}
	state, err := e.delivery.LatestDeployment(ctx, e.inspect(t, name))
	if err != nil || state.Stage != "PRODUCTION_TRAFFIC_SHIFT" {
		t.Errorf("LatestDeployment = %+v, %v; want the production traffic stage", state, err)
	}

	dep.Stage = "BAKE_TIME"
	e.sim.set(dep)
	e.shift(t, live, 0, 100)
	if _, err := e.delivery.Check(ctx, name, canary(), false); !errors.As(err, &busy) {
		t.Errorf("Check while baking = %v, want RoutingBusyError", err)
	}

	dep.Status, dep.Stage = "SUCCESSFUL", "CLEAN_UP"
	e.sim.set(dep)
	pre, err := e.delivery.Check(ctx, name, canary(), false)
	if err != nil {
		t.Fatalf("Check after the canary: %v", err)
	}
	if pre.Weights != (stack.Weights{Primary: 0, Alternate: 100}) {
		t.Errorf("weights to keep = %+v, want all on the alternate group", pre.Weights)
	}
}

// Proves (simulated ECS, real moto CloudFormation): a stack update sets
// the production rule to the template's weights, so a template whose
// weights are not the live ones moves traffic (the trap, shown first so
// that the test can tell a move from none); a template built with the
// weights Check read keeps the split ECS left, whichever group holds it.
func TestStackUpdateDuringSplitKeepsWeights(t *testing.T) {
	e := newBlueGreenEnv(t)
	ctx := context.Background()
	const name = "bg-keeps-weights"
	cfg := canary()
	e.deploy(t, name, cfg)
	live := e.inspect(t, name)

	// A finished blue/green deployment left the traffic on the alternate
	// group; an update built with the weights of the template before it
	// (all on the first group) moves it back there.
	e.shift(t, live, 0, 100)
	stale := cfg
	stale.Container.Image = "public.ecr.aws/nginx/nginx:1.29"
	stale.Deployment.Weights = stack.Weights{Primary: 30, Alternate: 70} // anything but the live split
	e.deploy(t, name, stale)
	if got := e.inspect(t, name).Traffic.Split(); got != "TargetGroup 30% / TargetGroupAlternate 70%" {
		t.Fatalf("after an update with other weights the split is %s; the stack update did not set the rule, so the checks below would prove nothing", got)
	}

	for i, split := range [][2]int{{0, 100}, {100, 0}} {
		e.shift(t, live, split[0], split[1]) // where ECS's latest deployment left it
		pre, err := e.delivery.Check(ctx, name, cfg, false)
		if err != nil {
			t.Fatal(err)
		}
		kept := cfg
		kept.Container.Image = fmt.Sprintf("public.ecr.aws/nginx/nginx:1.%d", 30+i)
		kept.Deployment.Weights = pre.Weights
		e.deploy(t, name, kept)
		want := fmt.Sprintf("TargetGroup %d%% / TargetGroupAlternate %d%%", split[0], split[1])
		if got := e.inspect(t, name).Traffic.Split(); got != want {
			t.Errorf("after an update with the live weights the split is %s, want %s", got, want)
		}
	}

	// Back to rolling would delete the group that serves the traffic.
	e.shift(t, live, 0, 100)
	if _, err := e.delivery.Check(ctx, name, stack.Default(), false); !errors.As(err, new(*StrategySwitchError)) {
		t.Errorf("Check of a switch to rolling with traffic on the alternate group = %v, want StrategySwitchError", err)
	}
	// With the traffic on the first group it may go on; the rolling
	// template has no weights to build with, but the stored template's
	// are written first all the same (Input.KeepWeights).
	e.shift(t, live, 100, 0)
	pre, err := e.delivery.Check(ctx, name, stack.Default(), false)
	if err != nil || pre.Weights != (stack.Weights{}) || fmt.Sprint(pre.KeepWeights) != "map[TargetGroup:100 TargetGroupAlternate:0]" {
		t.Errorf("Check of a switch to rolling = %+v, %v; want no weights to build with, the live ones to keep", pre, err)
	}
}

// Proves (simulated ECS, real moto CloudWatch): a canary rolled back by an
// alarm is reported with the alarm and what it watches; a deploy while the
// alarm still fires is refused, as ECS would ignore it, and goes on with a
// warning under force.
func TestCanaryRolledBackByAlarm(t *testing.T) {
	e := newBlueGreenEnv(t)
	ctx := context.Background()
	const name = "bg-canary-alarm"
	_, err := e.cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("checkout-5xx"), Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String("HTTPCode_Target_5XX_Count"),
		Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(5),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
	})
	if err != nil {
		t.Fatalf("PutMetricAlarm: %v", err)
	}
	e.deploy(t, name, withAlarm("checkout-5xx"))
	if _, err := e.delivery.Check(ctx, name, withAlarm("checkout-5xx"), false); err != nil {
		t.Fatalf("Check with the alarm OK: %v", err)
	}

	if _, err := e.cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("checkout-5xx"), StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).")}); err != nil {
		t.Fatalf("SetAlarmState: %v", err)
	}
	e.sim.set(simDeployment{ARN: "arn:aws:ecs:us-east-1:123456789012:service-deployment/c/s/2", Status: "ROLLBACK_SUCCESSFUL", Stage: "CLEAN_UP", Triggered: []string{"checkout-5xx"}})
	state, err := e.delivery.LatestDeployment(ctx, e.inspect(t, name))
	if err != nil || state.Status != "ROLLBACK_SUCCESSFUL" || fmt.Sprint(state.TriggeredAlarms) != "[checkout-5xx]" {
		t.Fatalf("LatestDeployment = %+v, %v; want rolled back by checkout-5xx", state, err)
	}
	firing, err := e.delivery.FiringAlarms(ctx, state.TriggeredAlarms)
	if err != nil || len(firing) != 1 || firing[0].String() != "checkout-5xx (HTTPCode_Target_5XX_Count > 5)" {
		t.Errorf("FiringAlarms = %+v, %v; want the alarm with its metric and threshold", firing, err)
	}

	_, err = e.delivery.Check(ctx, name, withAlarm("checkout-5xx"), false)
	var alarm *AlarmFiringError
	if !errors.As(err, &alarm) || !strings.Contains(err.Error(), "checkout-5xx (HTTPCode_Target_5XX_Count > 5)") {
		t.Errorf("Check with the alarm firing = %v, want AlarmFiringError naming it", err)
	}
	pre, err := e.delivery.Check(ctx, name, withAlarm("checkout-5xx"), true)
	if err != nil || len(pre.Warnings) != 1 {
		t.Errorf("Check with force = %+v, %v; want one warning", pre, err)
	}
}

// Proves (simulated gate function, real moto SSM): a deployment waiting at
// the pause gate is answered once per deployment, approve for continue and
// reject for rollback, in the form the gate's code reads
// (stack.TestPauseGateCode runs that code); wait records nothing, and an
// answer for a deployment the gate is not waiting for is refused.
func TestPauseApprovedAndRejected(t *testing.T) {
	e := newBlueGreenEnv(t)
	const name = "bg-pause"
	e.deploy(t, name, canary())
	parameter := stack.GateParameterName(name)
	// What the gate function writes when a deployment reaches it.
	waitAt := func(deployment string) {
		t.Helper()
		if _, err := e.ssm.PutParameter(context.Background(), &ssm.PutParameterInput{Name: aws.String(parameter), Value: aws.String(fmt.Sprintf("%s %s %d", stack.GateWaiting, deployment, time.Now().Unix())), Overwrite: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
	}
	value := func() string {
		out, err := e.ssm.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String(parameter)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Parameter.Value)
	}
	if g, err := e.delivery.ReadGate(context.Background(), name); err != nil || g.Answer != "" {
		t.Fatalf("a new stack's gate = %+v, %v; want no state", g, err)
	}

	for _, tt := range []struct {
		deployment string
		decision   GateDecision
		want       string
	}{
		{deploymentARN("d1"), GateContinue, stack.GateApprove + " " + deploymentARN("d1")},
		{deploymentARN("d2"), GateRollback, stack.GateReject + " " + deploymentARN("d2")},
		{deploymentARN("d3"), GateWait, ""},
	} {
		waitAt(tt.deployment)
		if tt.want == "" {
			tt.want = value()
		}
		// Continue and rollback end the watch when answered; wait is
		// watched for a few more polls, in which it must not ask again.
		limit := 5 * time.Second
		if tt.decision == GateWait {
			limit = 500 * time.Millisecond
		}
		ctx, cancel := context.WithTimeout(context.Background(), limit)
		var asked []string
		err := e.delivery.WatchGate(ctx, name, 50*time.Millisecond, func(_ context.Context, g GateState) (GateDecision, error) {
			asked = append(asked, g.Deployment)
			return tt.decision, nil
		}, func(GateEvent) {
			if tt.decision != GateWait {
				cancel()
			}
		})
		cancel()
		if err != nil {
			t.Fatalf("%s: WatchGate: %v", tt.deployment, err)
		}
		if fmt.Sprint(asked) != "["+tt.deployment+"]" {
			t.Errorf("%s: asked about %v, want once about it", tt.deployment, asked)
		}
		if got := value(); got != tt.want {
			t.Errorf("%s: parameter = %q, want %q", tt.deployment, got, tt.want)
		}
	}

	err := e.delivery.AnswerGate(context.Background(), name, deploymentARN("d1"), true)
	var closed *GateClosedError
	if !errors.As(err, &closed) {
		t.Errorf("an answer for a deployment not waiting = %v, want GateClosedError", err)
	}
}

// Proves: the split is each weight's share of their sum, as ELB weighs
// them, and status prints it with the deployment's stage and the alarm
// that rolled it back.
func TestTrafficInStatus(t *testing.T) {
	traffic := &Traffic{Targets: []TargetWeight{{LogicalID: "TargetGroup", Weight: 19}, {LogicalID: "TargetGroupAlternate", Weight: 1}}}
	if got := traffic.Split(); got != "TargetGroup 95% / TargetGroupAlternate 5%" {
		t.Errorf("Split() = %s", got)
	}
	st := &StackStatus{Name: "shop", Status: "UPDATE_IN_PROGRESS", Traffic: traffic,
		Deployment: &DeploymentState{Status: "ROLLBACK_IN_PROGRESS", Stage: "PRODUCTION_TRAFFIC_SHIFT", TriggeredAlarms: []string{"shop-5xx"}}}
	var b strings.Builder
	if err := st.writeText(&b, time.UTC); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Traffic:       TargetGroup 95% / TargetGroupAlternate 5%\n",
		"Deployment:    ROLLBACK_IN_PROGRESS at PRODUCTION_TRAFFIC_SHIFT, rolled back by alarm shop-5xx\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("status text lacks %q:\n%s", want, b.String())
		}
	}
}

// Proves (simulated ECS, real moto): while deploy waits, the watch reports
// each change of the new deployment's stage, split and alarms, once each,
// and not the deployment that was already there when it started.
func TestWatchDeployment(t *testing.T) {
	e := newBlueGreenEnv(t)
	ctx := context.Background()
	const name, alarm = "bg-watch", "watch-latency"
	cfg := withAlarm(alarm)
	if _, err := e.cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String(alarm), Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String("TargetResponseTime"),
		ExtendedStatistic: aws.String("p99"), Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1.5),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
	}); err != nil {
		t.Fatal(err)
	}
	e.deploy(t, name, cfg)
	live := e.inspect(t, name)
	e.sim.set(simDeployment{ARN: "dep-0", Status: "SUCCESSFUL", Stage: "CLEAN_UP"})

	var mu sync.Mutex
	var lines []string
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- e.delivery.WatchDeployment(wctx, name, cfg.Deployment.RollbackAlarms, 20*time.Millisecond, func(p DeploymentProgress) {
			mu.Lock()
			defer mu.Unlock()
			lines = append(lines, p.String())
		})
	}()
	waitFor := func(want string) {
		t.Helper()
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			mu.Lock()
			n := len(lines)
			last := ""
			if n > 0 {
				last = lines[n-1]
			}
			mu.Unlock()
			if last == want {
				return
			}
		}
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("lines %q, want the last to be %q", lines, want)
	}
	e.sim.waitCall(t, "DescribeServiceDeployments") // the watch has seen dep-0
	e.shift(t, live, 90, 10)
	e.sim.set(simDeployment{ARN: "dep-1", Status: "IN_PROGRESS", Stage: "PRODUCTION_TRAFFIC_SHIFT"})
	waitFor("IN_PROGRESS at PRODUCTION_TRAFFIC_SHIFT, traffic TargetGroup 90% / TargetGroupAlternate 10%")
	if _, err := e.cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(alarm), StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("test")}); err != nil {
		t.Fatal(err)
	}
	e.sim.set(simDeployment{ARN: "dep-1", Status: "ROLLBACK_IN_PROGRESS", Stage: "PRODUCTION_TRAFFIC_SHIFT"})
	waitFor("ROLLBACK_IN_PROGRESS at PRODUCTION_TRAFFIC_SHIFT, traffic TargetGroup 90% / TargetGroupAlternate 10%, alarm watch-latency (TargetResponseTime > 1.5) in ALARM")
	cancel()
	if err := <-done; err != nil {
		t.Errorf("WatchDeployment: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	// The alarm and the status change one after the other, so a poll may
	// see either alone: two or three lines, each different from the one
	// before.
	for i, l := range lines {
		if strings.Contains(l, "CLEAN_UP") {
			t.Errorf("reported the deployment from before the watch: %q", l)
		}
		if i > 0 && l == lines[i-1] {
			t.Errorf("line %q reported twice in a row", l)
		}
	}
	if len(lines) < 2 || len(lines) > 3 {
		t.Errorf("lines %q, want one per change", lines)
	}
}

// Proves (review of issue 18, item 11; ECS simulated): LatestDeployment
// names the deployment created last, whatever the order in which
// ListServiceDeployments returns them, which ECS does not document (B11):
// here the oldest comes first.
func TestLatestDeploymentIgnoresOrder(t *testing.T) {
	e := newBlueGreenEnv(t)
	const name = "bg-latest"
	e.deploy(t, name, canary())
	now := time.Now()
	e.sim.set(simDeployment{ARN: deploymentARN("create"), Status: "SUCCESSFUL", Created: now.Add(-2 * time.Hour)},
		simDeployment{ARN: deploymentARN("newest"), Status: "ROLLBACK_SUCCESSFUL", Triggered: []string{"errors"}, Created: now.Add(-time.Minute)},
		simDeployment{ARN: deploymentARN("second"), Status: "SUCCESSFUL", Created: now.Add(-time.Hour)})
	live, err := e.delivery.Inspect(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	state, err := e.delivery.LatestDeployment(context.Background(), live)
	if err != nil {
		t.Fatal(err)
	}
	if state == nil || state.ARN != deploymentARN("newest") || len(state.TriggeredAlarms) != 1 {
		t.Errorf("LatestDeployment = %+v, want the one created last, %s", state, deploymentARN("newest"))
	}
}
