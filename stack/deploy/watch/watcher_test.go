package watch

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
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
