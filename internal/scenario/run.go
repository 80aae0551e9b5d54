package scenario

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"

	"github.com/cfnfargate/cfnfargate/internal/twin"
	"github.com/cfnfargate/cfnfargate/stack"

	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
)

// run is one scenario's view of a backend: the binary and the AWS APIs.
type run struct {
	t   *testing.T
	b   Backend
	bin string
	cfn *cloudformation.Client
	ecs *ecs.Client
	elb *elb.Client
	ssm *ssm.Client
	cw  *cloudwatch.Client
}

func newRun(t *testing.T, b Backend) *run {
	cfg := b.Config()
	return &run{t: t, b: b, bin: buildBinary(t),
		cfn: cloudformation.NewFromConfig(cfg), ecs: ecs.NewFromConfig(cfg), elb: elb.NewFromConfig(cfg),
		ssm: ssm.NewFromConfig(cfg), cw: cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
			if b.Name() == "twin" {
				// moto 5.2 does not route CloudWatch's Smithy RPC v2 CBOR,
				// the SDK's default; CloudWatch accepts AWS Query as well
				// (as stack/deploy/client.go does for an endpoint).
				o.Protocol = awsquery.New(cwschemas.GraniteServiceVersion20100801)
			}
		})}
}

func (r *run) ctx() context.Context { return r.t.Context() }

// result is what a run of the binary did.
type result struct {
	code           int
	stdout, stderr string
}

func (res result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s\n--- stderr\n%s", res.code, tail(res.stdout), tail(res.stderr))
}

func tail(s string) string {
	if len(s) > 4000 {
		return "..." + s[len(s)-4000:]
	}
	return s
}

// proc is the binary running in the background.
type proc struct {
	cmd       *exec.Cmd
	out, errb lockedBuffer
	done      chan struct{}
	res       result
}

// lockedBuffer is an output of the binary that a scenario may read while
// the binary writes it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// output is what the binary has written so far, stdout then stderr.
func (p *proc) output() string { return p.out.String() + p.errb.String() }

// start runs the binary in the background. A scenario that ends before the
// binary does, failed or not, kills it: a deploy left running would go on
// changing the account after the run, and hold its stack busy for the
// clean-up.
func (r *run) start(args ...string) *proc {
	r.t.Helper()
	p := &proc{cmd: exec.Command(r.bin, args...), done: make(chan struct{})}
	p.cmd.Env = r.b.Env()
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.errb
	if err := p.cmd.Start(); err != nil {
		r.t.Fatalf("start cfnfargate %v: %v", args, err)
	}
	running.Store(p, true)
	r.t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	go func() {
		err := p.cmd.Wait()
		p.res = result{stdout: p.out.String(), stderr: p.errb.String()}
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			p.res.code = exit.ExitCode()
		} else if err != nil {
			p.res.code = -1
		}
		running.Delete(p)
		close(p.done)
	}()
	return p
}

// running are the binaries running in the background, for an interrupted
// AWS run to stop (interruptAll, killAll).
var running sync.Map

// interruptAll sends every running binary Ctrl-C, so that a deploy cancels
// its update.
func interruptAll() {
	running.Range(func(k, _ any) bool {
		k.(*proc).interrupt()
		return true
	})
}

// killAll kills every running binary.
func killAll() {
	running.Range(func(k, _ any) bool {
		_ = k.(*proc).cmd.Process.Kill()
		return true
	})
}

// interrupt sends Ctrl-C, as a user stopping a deploy does.
func (p *proc) interrupt() { _ = p.cmd.Process.Signal(syscall.SIGINT) }

// wait waits for the binary to exit, at most d; past that it is killed
// and the scenario fails, saying what it waited for.
func (r *run) wait(p *proc, d time.Duration, what string) result {
	r.t.Helper()
	select {
	case <-p.done:
		return p.res
	case <-time.After(d):
		_ = p.cmd.Process.Kill()
		<-p.done
		r.t.Fatalf("%s: cfnfargate did not finish within %s (killed)\n%s", what, d, p.res)
		return p.res
	}
}

// cli runs the binary and waits for it (at most the backend's timeout).
func (r *run) cli(what string, args ...string) result {
	r.t.Helper()
	return r.wait(r.start(args...), r.b.Timeout(), what)
}

// deploy runs `cfnfargate deploy --stack stack` with the network, the run's
// tags and extra flags.
func (r *run) deploy(stack string, extra ...string) *proc {
	r.t.Helper()
	r.b.Created(stack)
	args := append([]string{"deploy", "--stack", stack}, r.b.Network()...)
	args = append(append(args, r.b.Tags()...), r.b.TaskFlags()...)
	return r.start(append(args, extra...)...)
}

// mustDeploy deploys and fails the scenario unless the deploy succeeds.
func (r *run) mustDeploy(what, stack string, extra ...string) result {
	r.t.Helper()
	res := r.wait(r.deploy(stack, extra...), r.b.Timeout(), what)
	if res.code != 0 {
		r.t.Fatalf("%s: deploy failed: %s", what, res)
	}
	return res
}

// stackStatus is the stack's status, or "" when it does not exist.
func (r *run) stackStatus(stack string) string {
	out, err := r.cfn.DescribeStacks(r.ctx(), &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil || len(out.Stacks) == 0 {
		return ""
	}
	return string(out.Stacks[0].StackStatus)
}

// settle waits until the stack is in no *_IN_PROGRESS status and returns
// the status.
func (r *run) settle(stack string) string {
	r.t.Helper()
	deadline := time.Now().Add(r.b.Timeout())
	for {
		st := r.stackStatus(stack)
		if !strings.HasSuffix(st, "_IN_PROGRESS") {
			return st
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("stack %s still %s after %s", stack, st, r.b.Timeout())
		}
		time.Sleep(r.b.Poll())
	}
}

// until polls cond until it holds, failing the scenario with what after the
// backend's timeout.
func (r *run) until(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(r.b.Timeout())
	for !cond() {
		if time.Now().After(deadline) {
			r.t.Fatalf("gave up after %s waiting for %s", r.b.Timeout(), what)
		}
		time.Sleep(r.b.Poll())
	}
}

// resource is the physical ID of a stack's resource, or "".
func (r *run) resource(stack, logical string) string {
	out, err := r.cfn.DescribeStackResources(r.ctx(), &cloudformation.DescribeStackResourcesInput{StackName: aws.String(stack), LogicalResourceId: aws.String(logical)})
	if err != nil || len(out.StackResources) == 0 {
		return ""
	}
	return aws.ToString(out.StackResources[0].PhysicalResourceId)
}

// resourceStatus is the status of a stack's resource, or "".
func (r *run) resourceStatus(stack, logical string) string {
	out, err := r.cfn.DescribeStackResources(r.ctx(), &cloudformation.DescribeStackResourcesInput{StackName: aws.String(stack), LogicalResourceId: aws.String(logical)})
	if err != nil || len(out.StackResources) == 0 {
		return ""
	}
	return string(out.StackResources[0].ResourceStatus)
}

// service is the stack's ECS service as ECS describes it.
func (r *run) service(stack string) ecstypes.Service {
	r.t.Helper()
	arn := r.resource(stack, "Service")
	if arn == "" {
		r.t.Fatalf("stack %s has no Service", stack)
	}
	cluster := clusterOf(arn)
	out, err := r.ecs.DescribeServices(r.ctx(), &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{arn}})
	if err != nil || len(out.Services) == 0 {
		r.t.Fatalf("describe service %s: %v", arn, err)
	}
	return out.Services[0]
}

// clusterOf reads the cluster from a service ARN (service/CLUSTER/NAME).
func clusterOf(serviceArn string) string {
	parts := strings.Split(serviceArn, "/")
	if len(parts) >= 3 {
		return parts[len(parts)-2]
	}
	return ""
}

// deployments are the service's deployments, newest first.
func (r *run) deployments(stack string) []ecstypes.ServiceDeployment {
	r.t.Helper()
	arn := r.resource(stack, "Service")
	var arns []string
	var token *string
	for {
		out, err := r.ecs.ListServiceDeployments(r.ctx(), &ecs.ListServiceDeploymentsInput{Service: aws.String(arn), Cluster: aws.String(clusterOf(arn)), NextToken: token})
		if err != nil {
			r.t.Fatalf("list deployments of %s: %v", arn, err)
		}
		for _, d := range out.ServiceDeployments {
			arns = append(arns, aws.ToString(d.ServiceDeploymentArn))
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	var list []ecstypes.ServiceDeployment
	for start := 0; start < len(arns); start += 20 {
		out, err := r.ecs.DescribeServiceDeployments(r.ctx(), &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: arns[start:min(start+20, len(arns))]})
		if err != nil {
			r.t.Fatalf("describe deployments: %v", err)
		}
		list = append(list, out.ServiceDeployments...)
	}
	sort.Slice(list, func(i, j int) bool { return aws.ToTime(list[i].CreatedAt).After(aws.ToTime(list[j].CreatedAt)) })
	return list
}

// inProgress is the service's deployment in progress, if any.
func (r *run) inProgress(stack string) *ecstypes.ServiceDeployment {
	for _, d := range r.deployments(stack) {
		switch d.Status {
		case ecstypes.ServiceDeploymentStatusPending, ecstypes.ServiceDeploymentStatusInProgress:
			return &d
		}
	}
	return nil
}

// gateHistory is every value the stack's pause-gate parameter has held,
// oldest first.
func (r *run) gateHistory(stack string) []string {
	r.t.Helper()
	name := "/cfnfargate/" + stack + "/pause-gate"
	var values []string
	var token *string
	for {
		out, err := r.ssm.GetParameterHistory(r.ctx(), &ssm.GetParameterHistoryInput{Name: aws.String(name), NextToken: token})
		if err != nil {
			r.t.Fatalf("parameter history of %s: %v", name, err)
		}
		for _, p := range out.Parameters {
			values = append(values, aws.ToString(p.Value))
		}
		if token = out.NextToken; token == nil {
			return values
		}
	}
}

// alarmMetric is the custom metric a scenario's alarm watches: the
// scenario trips the alarm by putting breaching data on it, as on AWS an
// alarm's state follows its metric. SetAlarmState would not do there:
// "Metric alarms return to their actual state quickly, often within
// seconds" (CloudWatch API reference, SetAlarmState).
const (
	alarmNamespace = "cfnfargate/scenario"
	alarmMetric    = "Trips"
)

// createAlarm makes a CloudWatch alarm for --rollback-alarm on its own
// custom metric (dimension Alarm = name), OK while the metric has no data.
// Its period is 10 seconds, a high-resolution alarm, so that it goes to
// ALARM within about a period of the first breaching point: "Be sure to
// specify 10, 20, or 30 only for metrics that are stored by a
// PutMetricData call with a StorageResolution of 1" (CloudWatch API
// reference, PutMetricAlarm, Period).
func (r *run) createAlarm(name string) {
	r.t.Helper()
	_, err := r.cw.PutMetricAlarm(r.ctx(), &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String(name),
		Namespace: aws.String(alarmNamespace), MetricName: aws.String(alarmMetric), Dimensions: alarmDimensions(name),
		Statistic: cwtypes.StatisticMaximum, Period: aws.Int32(10), EvaluationPeriods: aws.Int32(1), DatapointsToAlarm: aws.Int32(1),
		Threshold: aws.Float64(1), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold, TreatMissingData: aws.String("notBreaching")})
	if err != nil {
		r.t.Fatalf("create alarm %s: %v", name, err)
	}
	// A new alarm is INSUFFICIENT_DATA until its first evaluation, which
	// with no data and notBreaching makes it OK; this says so at once.
	r.setAlarm(name, cwtypes.StateValueOk)
	r.t.Cleanup(func() {
		ctx, cancel := background(30 * time.Second)
		defer cancel()
		_, _ = r.cw.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{name}})
	})
}

func alarmDimensions(name string) []cwtypes.Dimension {
	return []cwtypes.Dimension{{Name: aws.String("Alarm"), Value: aws.String(name)}}
}

// tripAlarm puts a breaching point on the alarm's metric now and every 5
// seconds (two per period) until stop; with no more data, notBreaching
// takes the alarm back to OK within a period or two. Where alarms are not
// evaluated (the twin's moto), it also sets the states the data gives.
func (r *run) tripAlarm(name string) (stop func()) {
	r.t.Helper()
	put := func() error {
		ctx, cancel := background(30 * time.Second)
		defer cancel()
		_, err := r.cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String(alarmNamespace), MetricData: []cwtypes.MetricDatum{{
			MetricName: aws.String(alarmMetric), Dimensions: alarmDimensions(name), Value: aws.Float64(1), StorageResolution: aws.Int32(1),
			Timestamp: aws.Time(time.Now()), Unit: cwtypes.StandardUnitCount}}})
		return err
	}
	if err := put(); err != nil {
		r.t.Fatalf("put a breaching point on the metric of alarm %s: %v", name, err)
	}
	if !r.b.EvaluatesAlarms() {
		r.setAlarm(name, cwtypes.StateValueAlarm)
	}
	done, ended := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ended)
		for {
			select {
			case <-done:
				return
			case <-time.After(5 * time.Second):
				_ = put() // a lost point is made up 5 seconds later
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			<-ended
			if !r.b.EvaluatesAlarms() {
				r.setAlarm(name, cwtypes.StateValueOk)
			}
		})
	}
}

// setAlarm is SetAlarmState: on the twin, where moto does not evaluate
// alarms, the state their data would give; on AWS only the initial OK,
// which evaluation keeps while the metric has no data.
func (r *run) setAlarm(name string, state cwtypes.StateValue) {
	r.t.Helper()
	if _, err := r.cw.SetAlarmState(r.ctx(), &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(name), StateValue: state, StateReason: aws.String("cfnfargate scenario")}); err != nil {
		r.t.Fatalf("set alarm %s to %s: %v", name, state, err)
	}
}

// traffic is what production sees: the production rule's weights, and the
// healthy targets of each group, by task definition.
type traffic struct {
	weights map[string]int32          // target group -> weight
	healthy map[string]map[string]int // target group -> task definition -> healthy targets
}

func (tr traffic) String() string {
	var parts []string
	for _, tg := range sortedKeys(tr.weights) {
		short := tg[strings.LastIndex(tg, ":")+1:]
		parts = append(parts, fmt.Sprintf("%s weight %d healthy %v", short, tr.weights[tg], tr.healthy[tg]))
	}
	return strings.Join(parts, "; ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// readTraffic reads the production rule of stack and the health of the
// groups it forwards to.
func (r *run) readTraffic(ctx context.Context, stack, rule string) (traffic, error) {
	tr := traffic{healthy: map[string]map[string]int{}}
	var err error
	if tr.weights, err = r.ruleWeights(ctx, rule); err != nil {
		return tr, err
	}
	// The service's running tasks, by private IP, for their task definition.
	byIP := map[string]string{}
	if arn := r.resource(stack, "Service"); arn != "" {
		cluster := clusterOf(arn)
		list, err := r.ecs.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(cluster), ServiceName: aws.String(arn)})
		if err == nil && len(list.TaskArns) > 0 {
			tasks, err := r.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: list.TaskArns})
			if err == nil {
				for _, t := range tasks.Tasks {
					for _, att := range t.Attachments {
						for _, d := range att.Details {
							if aws.ToString(d.Name) == "privateIPv4Address" {
								byIP[aws.ToString(d.Value)] = aws.ToString(t.TaskDefinitionArn)
							}
						}
					}
				}
			}
		}
	}
	for tg := range tr.weights {
		h, err := r.elb.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg)})
		if err != nil {
			return tr, fmt.Errorf("target health of %s: %v", tg, err)
		}
		tr.healthy[tg] = map[string]int{}
		for _, d := range h.TargetHealthDescriptions {
			if d.TargetHealth != nil && d.TargetHealth.State == "healthy" {
				td := byIP[aws.ToString(d.Target.Id)]
				if td == "" {
					td = "unknown task"
				}
				tr.healthy[tg][td]++
			}
		}
	}
	// The reads are not one instant: a rule that moved meanwhile (ECS sets
	// the weights and stops tasks in one step) makes no sample, rather
	// than a view that never existed. A state that lasts is seen by the
	// next sample; on the twin every write is checked as well.
	again, err := r.ruleWeights(ctx, rule)
	if err != nil {
		return tr, err
	}
	if fmt.Sprint(again) != fmt.Sprint(tr.weights) {
		return tr, fmt.Errorf("rule %s moved during the sample", rule)
	}
	return tr, nil
}

// ruleWeights reads a rule's forward weights by target group.
func (r *run) ruleWeights(ctx context.Context, rule string) (map[string]int32, error) {
	out, err := r.elb.DescribeRules(ctx, &elb.DescribeRulesInput{RuleArns: []string{rule}})
	if err != nil || len(out.Rules) == 0 {
		return nil, fmt.Errorf("describe rule %s: %v", rule, err)
	}
	weights := map[string]int32{}
	for _, a := range out.Rules[0].Actions {
		if a.ForwardConfig != nil && len(a.ForwardConfig.TargetGroups) > 0 {
			for _, g := range a.ForwardConfig.TargetGroups {
				weights[aws.ToString(g.TargetGroupArn)] = aws.ToInt32(g.Weight)
			}
		} else if a.TargetGroupArn != nil {
			weights[aws.ToString(a.TargetGroupArn)] = 1
		}
	}
	return weights, nil
}

// prober samples production traffic in the background and records every
// moment it was unsafe: weight on a group with no healthy target (HTTP
// 503), or more than allowance percent of it on tasks of another task
// definition than good.
type prober struct {
	good       string
	allowance  float64
	rule       string
	writes     func() []twin.RuleWrite // the twin's record of every write, or nil
	from       int
	mu         sync.Mutex
	violations []string
	samples    int
	stop       chan struct{}
	done       chan struct{}
}

func (r *run) probe(stack, good string, allowance float64) *prober {
	rule := r.productionRule(stack)
	p := &prober{good: good, allowance: allowance, rule: rule, stop: make(chan struct{}), done: make(chan struct{})}
	if tb, ok := r.b.(*twinBackend); ok {
		// Only the twin can do this: it records every write of the rule
		// with the health of its groups at that moment, so that the probe
		// misses no window shorter than its sampling interval (virtual
		// time runs fast).
		p.writes = func() []twin.RuleWrite { return tb.tw.RuleHistory(rule) }
		p.from = len(p.writes())
	}
	go func() {
		defer close(p.done)
		for {
			select {
			case <-p.stop:
				return
			case <-time.After(r.b.Poll()):
			}
			ctx, cancel := background(30 * time.Second)
			tr, err := r.readTraffic(ctx, stack, rule)
			cancel()
			if err != nil {
				continue
			}
			p.mu.Lock()
			p.samples++
			p.check(tr.weights, tr.healthy, tr.String())
			p.mu.Unlock()
		}
	}()
	return p
}

// productionRule is the physical ID of the stack's production listener
// rule: a service's own load balancer's, or its rule in an environment
// (stack.RuleIDs).
func (r *run) productionRule(s string) string {
	r.t.Helper()
	for _, id := range stack.RuleIDs() {
		if rule := r.resource(s, id); rule != "" {
			return rule
		}
	}
	r.t.Fatalf("stack %s has no production listener rule (%v)", s, stack.RuleIDs())
	return ""
}

// check records a violation in one view of production traffic.
func (p *prober) check(weights map[string]int32, healthyByGroup map[string]map[string]int, view string) {
	var total, empty, other float64
	for tg, w := range weights {
		total += float64(w)
		healthy, foreign := 0, false
		for td, n := range healthyByGroup[tg] {
			healthy += n
			if td != p.good {
				foreign = true
			}
		}
		if w > 0 && healthy == 0 {
			empty += float64(w)
		}
		if w > 0 && foreign {
			other += float64(w)
		}
	}
	switch {
	case len(p.violations) >= 20 || total == 0:
	case empty > 0:
		p.violations = append(p.violations, fmt.Sprintf("%.0f%% of production on a group with no healthy target, HTTP 503: %s", 100*empty/total, view))
	case 100*other/total > p.allowance:
		p.violations = append(p.violations, fmt.Sprintf("%.0f%% of production on tasks that are not of %s: %s", 100*other/total, p.good, view))
	}
}

// end stops the prober and returns what it saw.
func (p *prober) end() (violations []string, samples int) {
	close(p.stop)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.writes != nil {
		for _, w := range p.writes()[p.from:] {
			weights := map[string]int32{}
			for tg, n := range w.Weights {
				weights[tg] = int32(n)
			}
			p.samples++
			p.check(weights, w.Healthy, fmt.Sprintf("written by %s: weights %v, healthy %v", w.By, w.Weights, w.Healthy))
		}
	}
	return p.violations, p.samples
}
