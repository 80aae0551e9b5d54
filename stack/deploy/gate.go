package deploy

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/cfnfargate/cfnfargate/internal/lazyregexp"
	"github.com/cfnfargate/cfnfargate/stack"
)

// The pause gate of a blue/green service (stack/gate.go): a Lambda
// lifecycle hook that holds each deployment before production traffic
// moves, until the SSM parameter stack.GateParameterName(stack) says
// "approve DEPLOYMENT" or "reject DEPLOYMENT". DEPLOYMENT is the ECS
// service deployment's ARN, the hook event's resourceArn, which ECS makes
// anew for every deployment; a service revision is not a key, as a
// rollback deploys an earlier revision again.

// gateKey is the form of an answer's key: a service deployment's ARN, as
// the hook event's resourceArn carries it (ECS developer guide, "Lambda
// hooks for Amazon ECS service deployments":
// arn:aws:ecs:us-west-2:123456789012:service-deployment/my-cluster/my-service/EZe5RNVLH6PPzHXINuP28).
// An earlier gate wrote "unknown" for every deployment, so that one answer
// reached every later deployment (review 2, F3): such a key is never
// answered.
var gateKey = lazyregexp.New(`^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:service-deployment/[^/\s]+/[^/\s]+/[^/\s]+$`)

// GateState is what the gate's parameter says.
type GateState struct {
	// Answer is stack.GateWaiting, GateApprove, GateReject or GateExpired;
	// empty before the first deployment reached the gate.
	Answer string
	// Deployment is the ECS service deployment the answer is about: its
	// ARN, the key the gate function writes.
	Deployment string
	// Since is when the gate started waiting, for GateWaiting.
	Since time.Time

	// Revision, Status and Stage describe a waiting deployment as ECS
	// reports it (DescribeServiceDeployments): its target service
	// revision's ARN, its status and its lifecycle stage. WatchGate fills
	// them in, to show which deployment waits; empty when ECS did not
	// say.
	Revision, Status, Stage string
}

// Waiting reports whether a deployment waits at the gate for an answer
// that can be given: its key is a service deployment's ARN.
func (g GateState) Waiting() bool { return g.Answer == stack.GateWaiting && ValidGateKey(g.Deployment) }

// ValidGateKey reports whether key can be answered: a service
// deployment's ARN, never "unknown".
func ValidGateKey(key string) bool { return gateKey.MatchString(key) }

// DeploymentID is the last part of the deployment's ARN, the ID ECS shows.
func (g GateState) DeploymentID() string {
	return g.Deployment[strings.LastIndex(g.Deployment, "/")+1:]
}

// parseGate reads the parameter's value: "waiting DEPLOYMENT SINCE",
// "approve DEPLOYMENT", "reject DEPLOYMENT" or "expired DEPLOYMENT";
// anything else (the stack's initial "none") is no state.
func parseGate(value string) GateState {
	words := strings.Fields(value)
	if len(words) < 2 {
		return GateState{}
	}
	g := GateState{Answer: words[0], Deployment: words[1]}
	switch g.Answer {
	case stack.GateWaiting:
		if len(words) == 3 {
			if secs, err := strconv.ParseFloat(words[2], 64); err == nil {
				g.Since = time.Unix(int64(secs), 0)
			}
		}
	case stack.GateApprove, stack.GateReject, stack.GateExpired:
	default:
		return GateState{}
	}
	return g
}

// ReadGate reads the gate of stackName. A stack without a gate is an
// error that wraps ErrNoGate.
func (d Delivery) ReadGate(ctx context.Context, stackName string) (GateState, error) {
	name := stack.GateParameterName(stackName)
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	out, err := d.SSM.GetParameter(cctx, &ssm.GetParameterInput{Name: aws.String(name)})
	cancel()
	var missing *ssmtypes.ParameterNotFound
	if errors.As(err, &missing) {
		return GateState{}, fmt.Errorf("stack %s: %w (no parameter %s)", stackName, ErrNoGate, name)
	}
	if err != nil {
		return GateState{}, fmt.Errorf("read the pause gate %s: %w", name, readable(err))
	}
	return parseGate(aws.ToString(out.Parameter.Value)), nil
}

// ErrNoGate is the error of a stack deployed without a pause gate.
var ErrNoGate = errors.New("has no pause gate")

// HasGate reports whether stackName has a pause gate now: its parameter
// exists. A stack not created yet has none.
func (d Delivery) HasGate(ctx context.Context, stackName string) (bool, error) {
	if d.SSM == nil {
		return false, nil
	}
	_, err := d.ReadGate(ctx, stackName)
	switch {
	case errors.Is(err, ErrNoGate):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// GateClosedError refuses an answer for a deployment the gate is not
// waiting for: it moved on, or another one waits. Exit code 1.
type GateClosedError struct {
	Stack      string
	Deployment string
	State      GateState
}

func (e *GateClosedError) Error() string {
	state := "no deployment"
	if e.State.Answer != "" {
		state = e.State.Answer + " " + e.State.Deployment
	}
	return fmt.Sprintf("stack %s: the pause gate is not waiting for %s (it says: %s)", e.Stack, e.Deployment, state)
}

// ExitCode is ExitFailure.
func (e *GateClosedError) ExitCode() int { return ExitFailure }

// GateKeyError refuses an answer whose key is not a service deployment's
// ARN, such as the "unknown" that an earlier gate wrote for every
// deployment: an answer to it would reach every later deployment too.
// Exit code 1.
type GateKeyError struct {
	Stack string
	Key   string
}

func (e *GateKeyError) Error() string {
	msg := fmt.Sprintf("stack %s: the pause gate waits under the key %q, which is not an ECS service deployment's ARN; an answer to it is not given, as it would answer every deployment that the gate keys the same way", e.Stack, e.Key)
	if e.Key == "unknown" {
		msg += ". The gate function of an earlier cfnfargate read the deployment from the wrong place of ECS's event; deploy the stack with this version to replace it"
	}
	return msg
}

// ExitCode is ExitFailure.
func (e *GateKeyError) ExitCode() int { return ExitFailure }

// AnswerGate records approve (true) or reject (false) for deployment, which
// must be the one the gate waits for: the gate function writes "waiting"
// once per deployment and never after an answer, so the answer cannot be
// lost, and an answer never reaches a later deployment. A key that is no
// service deployment's ARN is a *GateKeyError, whatever the gate says.
func (d Delivery) AnswerGate(ctx context.Context, stackName, deployment string, approve bool) error {
	if !ValidGateKey(deployment) {
		return &GateKeyError{Stack: stackName, Key: deployment}
	}
	state, err := d.ReadGate(ctx, stackName)
	if err != nil {
		return err
	}
	if !state.Waiting() || state.Deployment != deployment {
		return &GateClosedError{Stack: stackName, Deployment: deployment, State: state}
	}
	answer := stack.GateReject
	if approve {
		answer = stack.GateApprove
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	name := stack.GateParameterName(stackName)
	if _, err := d.SSM.PutParameter(cctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(answer + " " + deployment), Overwrite: aws.Bool(true)}); err != nil {
		return fmt.Errorf("record the answer in %s: %w", name, readable(err))
	}
	return nil
}

// GateDecision is what to do with a deployment waiting at the gate.
type GateDecision int

// Gate decisions: --on-pause continue, rollback or wait.
const (
	GateWait GateDecision = iota
	GateContinue
	GateRollback
)

// ParseGateDecision reads continue, rollback or wait.
func ParseGateDecision(s string) (GateDecision, bool) {
	switch s {
	case "continue":
		return GateContinue, true
	case "rollback":
		return GateRollback, true
	case "wait":
		return GateWait, true
	}
	return GateWait, false
}

// GateEvent is what WatchGate did about a deployment at the gate.
type GateEvent struct {
	State    GateState
	Decision GateDecision
	// RollingBack is set when WatchGate approved the deployment without
	// asking, because CloudFormation was rolling the stack back: the
	// deployment is the rollback's own.
	RollingBack bool
	// BeforeRollback is set when WatchGate neither asked nor answered,
	// because CloudFormation was rolling the stack back and the deployment
	// was created before that rollback began: the failed update's own,
	// which the rollback replaces, and which must not be approved.
	BeforeRollback bool
	// Unanswerable is set for a key that is no service deployment's ARN
	// (see GateKeyError), which is never answered.
	Unanswerable bool
}

// rollbackDeployment reports whether CloudFormation is rolling stackName
// back, and if so whether deployment is that rollback's own: created after
// the rollback began (its stack event UPDATE_ROLLBACK_IN_PROGRESS). A
// deployment created before is the failed update's, which may reach the
// gate after the rollback began (review of issue 18, item 6).
func (d Delivery) rollbackDeployment(ctx context.Context, stackName, deployment string) (rolling, ours bool, err error) {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	out, err := d.CloudFormation.DescribeStacks(cctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stackName)})
	cancel()
	if err != nil {
		return false, false, fmt.Errorf("describe stack %s: %w", stackName, readable(err))
	}
	if len(out.Stacks) == 0 || out.Stacks[0].StackStatus != statusUpdateRollbackInProgress {
		return false, false, nil
	}
	began, err := d.rollbackBegan(ctx, aws.ToString(out.Stacks[0].StackId))
	if err != nil || d.ECS == nil {
		return true, false, err
	}
	cctx, cancel = context.WithTimeout(ctx, callTimeout)
	described, err := d.ECS.DescribeServiceDeployments(cctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{deployment}})
	cancel()
	if err != nil {
		return true, false, fmt.Errorf("describe deployment %s: %w", deployment, readable(err))
	}
	if len(described.ServiceDeployments) == 0 || described.ServiceDeployments[0].CreatedAt == nil {
		return true, false, fmt.Errorf("ECS did not describe deployment %s", deployment)
	}
	return true, !described.ServiceDeployments[0].CreatedAt.Before(began), nil
}

// rollbackBegan is the time of the newest UPDATE_ROLLBACK_IN_PROGRESS
// event of the stack itself.
func (d Delivery) rollbackBegan(ctx context.Context, stackID string) (time.Time, error) {
	var token *string
	for page := 0; page < 10; page++ {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		out, err := d.CloudFormation.DescribeStackEvents(cctx, &cloudformation.DescribeStackEventsInput{StackName: aws.String(stackID), NextToken: token})
		cancel()
		if err != nil {
			return time.Time{}, fmt.Errorf("read the events of stack %s: %w", stackID, readable(err))
		}
		// Newest first.
		for _, e := range out.StackEvents {
			if aws.ToString(e.ResourceType) == "AWS::CloudFormation::Stack" && string(e.ResourceStatus) == statusUpdateRollbackInProgress && e.Timestamp != nil {
				return *e.Timestamp, nil
			}
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	return time.Time{}, fmt.Errorf("stack %s: no event says when its rollback began", stackID)
}

// describeGate fills in what ECS says of the waiting deployment, for the
// user to see which one waits. It is for display only: a failure leaves
// the fields empty.
func (d Delivery) describeGate(ctx context.Context, g *GateState) {
	if d.ECS == nil {
		return
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := d.ECS.DescribeServiceDeployments(cctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{g.Deployment}})
	if err != nil || len(out.ServiceDeployments) == 0 {
		return
	}
	sd := out.ServiceDeployments[0]
	g.Status, g.Stage = string(sd.Status), string(sd.LifecycleStage)
	if sd.TargetServiceRevision != nil {
		g.Revision = aws.ToString(sd.TargetServiceRevision.Arn)
	}
}

// WatchGate polls the gate of stackName every interval until ctx ends.
// For each deployment that starts waiting it calls decide once, and
// records the answer it gives (GateWait records none: the deployment waits
// for an answer from elsewhere, or for the gate's timeout). report, when
// not nil, hears of each deployment it saw waiting and what it did.
//
// While CloudFormation rolls the stack back (UPDATE_ROLLBACK_IN_PROGRESS),
// a deployment created after the rollback began is the one that restores
// the service (a rolled back AWS::ECS::Service is another UpdateService):
// WatchGate approves it without asking, so that a "rollback" decision
// never holds or fails a rollback, which would leave the stack in
// UPDATE_ROLLBACK_FAILED. One created before is the failed update's own,
// which the rollback replaces: it is neither asked about nor answered. A
// key that is no service deployment's ARN is reported and never answered.
//
// A stack without a gate, or not created yet, is polled again: the gate
// appears with the stack.
func (d Delivery) WatchGate(ctx context.Context, stackName string, interval time.Duration, decide func(context.Context, GateState) (GateDecision, error), report func(GateEvent)) error {
	asked := map[string]bool{}
	tell := func(e GateEvent) {
		if report != nil {
			report(e)
		}
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		state, err := d.ReadGate(ctx, stackName)
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, ErrNoGate):
		case err != nil:
			return err
		case state.Answer == stack.GateWaiting && !asked[state.Deployment]:
			asked[state.Deployment] = true
			if !ValidGateKey(state.Deployment) {
				tell(GateEvent{State: state, Unanswerable: true})
				break
			}
			rolling, ours, err := d.rollbackDeployment(ctx, stackName, state.Deployment)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				// Not knowing, it neither asks nor answers: next round.
				delete(asked, state.Deployment)
				break
			}
			d.describeGate(ctx, &state)
			if rolling && !ours {
				tell(GateEvent{State: state, Decision: GateWait, BeforeRollback: true})
				break
			}
			if rolling {
				if err := d.AnswerGate(ctx, stackName, state.Deployment, true); err != nil {
					return err
				}
				tell(GateEvent{State: state, Decision: GateContinue, RollingBack: true})
				break
			}
			decision, err := decide(ctx, state)
			if err != nil {
				return err
			}
			if decision != GateWait {
				if err := d.AnswerGate(ctx, stackName, state.Deployment, decision == GateContinue); err != nil {
					return err
				}
			}
			tell(GateEvent{State: state, Decision: decision})
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
