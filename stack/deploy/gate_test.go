package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/cfnfargate/cfnfargate/stack"
)

// deploymentARN is the ARN of an ECS service deployment, the key of the
// gate's answers (the hook event's resourceArn).
func deploymentARN(id string) string {
	return "arn:aws:ecs:us-east-1:123456789012:service-deployment/c/s/" + id
}

// gateParameter reads and writes the gate's parameter in moto, as the gate
// function does.
type gateParameter struct {
	t    *testing.T
	e    *blueGreenEnv
	name string
}

func (g gateParameter) put(value string) {
	g.t.Helper()
	if _, err := g.e.ssm.PutParameter(context.Background(), &ssm.PutParameterInput{Name: aws.String(g.name), Value: aws.String(value), Overwrite: aws.Bool(true)}); err != nil {
		g.t.Fatal(err)
	}
}

// wait is what the gate function writes when deployment reaches it.
func (g gateParameter) wait(deployment string) {
	g.put(fmt.Sprintf("%s %s %d", stack.GateWaiting, deployment, time.Now().Unix()))
}

func (g gateParameter) value() string {
	g.t.Helper()
	out, err := g.e.ssm.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String(g.name)})
	if err != nil {
		g.t.Fatal(err)
	}
	return aws.ToString(out.Parameter.Value)
}

// watchOnce runs WatchGate for a few polls, recording what decide is asked
// about; decide answers with decision.
func watchOnce(t *testing.T, dl Delivery, stackName string, decision GateDecision) (asked []GateState) {
	t.Helper()
	var mu sync.Mutex
	ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
	defer cancel()
	err := dl.WatchGate(ctx, stackName, 50*time.Millisecond, func(_ context.Context, g GateState) (GateDecision, error) {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, g)
		return decision, nil
	}, nil)
	if err != nil {
		t.Fatalf("WatchGate: %v", err)
	}
	return asked
}

// Proves (F3; simulated gate function and ECS, real moto SSM): answers are
// keyed by the service deployment's ARN, so two deployments in a row are
// each asked about, the first approved and the second rejected, and the
// first one's answer neither lets the second through nor fails it; the
// deployment's target revision, read from ECS, is shown with it. The
// literal "unknown" that the earlier gate wrote for every deployment is
// never asked about nor answered.
func TestGateKeysAreDeployments(t *testing.T) {
	e := newBlueGreenEnv(t)
	const name = "bg-gate-keys"
	e.deploy(t, name, canary())
	gate := gateParameter{t, e, stack.GateParameterName(name)}
	first, second := deploymentARN("first"), deploymentARN("second")
	e.sim.set(simDeployment{ARN: second, Status: "IN_PROGRESS", Stage: "POST_SCALE_UP", Revision: "arn:aws:ecs:us-east-1:123456789012:service-revision/c/s/8"},
		simDeployment{ARN: first, Status: "IN_PROGRESS", Stage: "POST_SCALE_UP", Revision: "arn:aws:ecs:us-east-1:123456789012:service-revision/c/s/7"})

	gate.wait(first)
	asked := watchOnce(t, e.delivery, name, GateContinue)
	if len(asked) != 1 || asked[0].Deployment != first {
		t.Fatalf("asked about %+v, want the first deployment once", asked)
	}
	if got := gate.value(); got != stack.GateApprove+" "+first {
		t.Errorf("after approving the first deployment the gate says %q", got)
	}
	gate.wait(second)
	asked = watchOnce(t, e.delivery, name, GateRollback)
	if len(asked) != 1 || asked[0].Deployment != second {
		t.Fatalf("asked about %+v, want the second deployment once", asked)
	}
	if asked[0].Revision != "arn:aws:ecs:us-east-1:123456789012:service-revision/c/s/8" || asked[0].Stage != "POST_SCALE_UP" {
		t.Errorf("the waiting deployment is shown as %+v, want its revision and stage from ECS", asked[0])
	}
	if got := gate.value(); got != stack.GateReject+" "+second {
		t.Errorf("after rejecting the second deployment the gate says %q", got)
	}
	if err := e.delivery.AnswerGate(context.Background(), name, first, true); !errors.As(err, new(*GateClosedError)) {
		t.Errorf("an answer for the first deployment, long gone: %v, want GateClosedError", err)
	}

	gate.put(stack.GateWaiting + " unknown 1780000000")
	if asked := watchOnce(t, e.delivery, name, GateContinue); len(asked) != 0 {
		t.Errorf("asked about %+v; a gate waiting under \"unknown\" must not be answered", asked)
	}
	if err := e.delivery.AnswerGate(context.Background(), name, "unknown", true); err == nil {
		t.Error("AnswerGate(unknown) = nil, want a refusal")
	}
	if got := gate.value(); got != stack.GateWaiting+" unknown 1780000000" {
		t.Errorf("the gate says %q after the refusals; nothing may be written", got)
	}
}

// rollingBackStack is the CloudFormation API of moto, except that the
// stack is reported in UPDATE_ROLLBACK_IN_PROGRESS since began, with the
// stack event that says so: a SIMULATION of a stack that CloudFormation
// rolls back, which moto never holds.
type rollingBackStack struct {
	API
	began time.Time
}

func (r rollingBackStack) DescribeStackEvents(ctx context.Context, in *cloudformation.DescribeStackEventsInput, opts ...func(*cloudformation.Options)) (*cloudformation.DescribeStackEventsOutput, error) {
	stackEvent := func(status cftypes.ResourceStatus, at time.Time) cftypes.StackEvent {
		return cftypes.StackEvent{ResourceType: aws.String("AWS::CloudFormation::Stack"), ResourceStatus: status, Timestamp: aws.Time(at)}
	}
	return &cloudformation.DescribeStackEventsOutput{StackEvents: []cftypes.StackEvent{
		stackEvent(cftypes.ResourceStatusUpdateRollbackInProgress, r.began),
		stackEvent(cftypes.ResourceStatusUpdateInProgress, r.began.Add(-time.Minute)),
	}}, nil
}

func (r rollingBackStack) DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, opts ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	out, err := r.API.DescribeStacks(ctx, in, opts...)
	if err == nil {
		for i := range out.Stacks {
			out.Stacks[i].StackStatus = cftypes.StackStatusUpdateRollbackInProgress
		}
	}
	return out, err
}

// Proves (F5 and review of issue 18, item 6; simulated rollback, gate
// function and ECS, real moto SSM): while CloudFormation rolls the stack
// back, the deployment that waits at the gate and was created after the
// rollback began is the rollback's own, and the watcher approves it
// without asking, even when the decision for this deploy is rollback
// (deploy --on-pause rollback in CI): a rejected rollback deployment would
// leave the stack in UPDATE_ROLLBACK_FAILED. One created before the
// rollback began is the failed update's own: it is neither asked about
// nor approved.
func TestGateApprovesRollbackDeployments(t *testing.T) {
	e := newBlueGreenEnv(t)
	const name = "bg-gate-rollback"
	e.deploy(t, name, canary())
	gate := gateParameter{t, e, stack.GateParameterName(name)}
	began := time.Now().Add(-time.Minute).Truncate(time.Second)
	unapproved, restoring := deploymentARN("unapproved"), deploymentARN("restoring")
	e.sim.set(simDeployment{ARN: restoring, Status: "IN_PROGRESS", Stage: "POST_SCALE_UP", Created: began.Add(20 * time.Second)},
		simDeployment{ARN: unapproved, Status: "IN_PROGRESS", Stage: "POST_SCALE_UP", Created: began.Add(-5 * time.Second)})

	dl := e.delivery
	dl.CloudFormation = rollingBackStack{API: e.cfn, began: began}
	gate.wait(unapproved)
	if asked := watchOnce(t, dl, name, GateContinue); len(asked) != 0 {
		t.Errorf("asked about %+v during the stack's rollback; want no question", asked)
	}
	if got := gate.value(); !strings.HasPrefix(got, stack.GateWaiting+" "+unapproved+" ") {
		t.Errorf("the gate says %q, want the deployment created before the rollback still waiting", got)
	}

	gate.wait(restoring)
	if asked := watchOnce(t, dl, name, GateRollback); len(asked) != 0 {
		t.Errorf("asked about %+v during the stack's rollback; want no question", asked)
	}
	if got := gate.value(); got != stack.GateApprove+" "+restoring {
		t.Errorf("the gate says %q, want the rollback's deployment approved", got)
	}
}
