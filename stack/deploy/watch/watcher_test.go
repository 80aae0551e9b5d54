package watch

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/smithy-go"
)

// countingECS answers with one service whose deployment started now and
// no stopped tasks, counting the calls. (A stand-in for the calls'
// count only; the wire format is tested against the simulator and moto in
// package deploy.)
type countingECS struct {
	calls map[string]int
}

func (c *countingECS) DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	c.calls["DescribeServices"]++
	return &ecs.DescribeServicesOutput{Services: []ecstypes.Service{{Deployments: []ecstypes.Deployment{{
		Id: aws.String("ecs-svc/1"), Status: aws.String("PRIMARY"), CreatedAt: aws.Time(time.Now()), RolloutState: ecstypes.DeploymentRolloutStateInProgress,
	}}}}}, nil
}

func (c *countingECS) ListTasks(context.Context, *ecs.ListTasksInput, ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	c.calls["ListTasks"]++
	return &ecs.ListTasksOutput{}, nil
}

func (c *countingECS) DescribeTasks(context.Context, *ecs.DescribeTasksInput, ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	c.calls["DescribeTasks"]++
	return &ecs.DescribeTasksOutput{}, nil
}

func (c *countingECS) DescribeTargetHealth(context.Context, *elbv2.DescribeTargetHealthInput, ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error) {
	c.calls["DescribeTargetHealth"]++
	return &elbv2.DescribeTargetHealthOutput{}, nil
}

func TestPollSchedule(t *testing.T) {
	// Proves: while nothing fails, a round reads the stopped tasks, and
	// every fourth round the rollout and, between those, the targets: 12
	// rounds (24 s at the default interval) make 18 calls, 0.75 per
	// second, under DefaultRate; the rollout is reported once, as it does
	// not change.
	c := &countingECS{calls: map[string]int{}}
	w := &Watcher{ECS: c, ELB: c, Limiter: NewLimiter(1000, 100),
		Target: Target{Cluster: "c", Service: "s", TargetGroupARNs: []string{"tg"}, Since: time.Now().Add(-time.Minute)}}
	var facts []Fact
	const rounds = 12
	for range rounds {
		w.Poll(t.Context(), func(f Fact) { facts = append(facts, f) })
	}
	want := map[string]int{"DescribeServices": rounds / 4, "ListTasks": rounds, "DescribeTargetHealth": rounds / 4}
	total := 0
	for k, v := range c.calls {
		total += v
		if v != want[k] {
			t.Errorf("%s: %d calls, want %d", k, v, want[k])
		}
	}
	if perSecond := float64(total) / (rounds * DefaultInterval.Seconds()); perSecond > DefaultRate {
		t.Errorf("%.2f calls per second at the default interval, over DefaultRate %v", perSecond, DefaultRate)
	}
	if len(facts) != 1 {
		t.Errorf("facts = %+v, want the rollout once", facts)
	}
}

// failingECS fails ListTasks with err; the rest as countingECS.
type failingECS struct {
	countingECS
	err error
}

func (f *failingECS) ListTasks(context.Context, *ecs.ListTasksInput, ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	f.calls["ListTasks"]++
	if f.err != nil {
		return nil, f.err
	}
	return &ecs.ListTasksOutput{}, nil
}

func TestPollBacksOffOnThrottlingAndWarnsOnceOnDenial(t *testing.T) {
	// Proves: throttling counts the failing rounds in a row (what Run's
	// backoff doubles with), a good round resets it, and throttling is no
	// warning; an AccessDenied is one Denied fact naming the IAM action,
	// and the action is not called again.
	throttled := &failingECS{countingECS: countingECS{calls: map[string]int{}},
		err: &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}}
	w := &Watcher{ECS: throttled, Limiter: NewLimiter(1000, 100), Target: Target{Cluster: "c", Service: "s", Since: time.Now().Add(-time.Minute)}}
	var facts []Fact
	emit := func(f Fact) { facts = append(facts, f) }
	for range 3 {
		w.Poll(t.Context(), emit)
	}
	if w.failures != 3 {
		t.Errorf("failures = %d after 3 throttled rounds, want 3", w.failures)
	}
	throttled.err = nil
	w.Poll(t.Context(), emit)
	if w.failures != 0 {
		t.Errorf("failures = %d after a good round, want 0", w.failures)
	}
	for _, f := range facts {
		if _, ok := f.(Denied); ok {
			t.Errorf("throttling reported as %+v", f)
		}
	}

	denied := &failingECS{countingECS: countingECS{calls: map[string]int{}},
		err: &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform: ecs:ListTasks"}}
	w = &Watcher{ECS: denied, Limiter: NewLimiter(1000, 100), Target: Target{Cluster: "c", Service: "s", Since: time.Now().Add(-time.Minute)}}
	facts = nil
	for range 4 {
		w.Poll(t.Context(), emit)
	}
	var warnings []Denied
	for _, f := range facts {
		if d, ok := f.(Denied); ok {
			warnings = append(warnings, d)
		}
	}
	if len(warnings) != 1 || warnings[0].Action != "ecs:ListTasks" || denied.calls["ListTasks"] != 1 {
		t.Errorf("warnings %+v after %d ListTasks calls; want one for ecs:ListTasks after one call", warnings, denied.calls["ListTasks"])
	}
	if w.failures != 0 {
		t.Errorf("a denial counted as a failure to back off from")
	}
}
