package deploy

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/cfnfargate/cfnfargate/stack"
)

// The pause gate of a blue/green service (stack/gate.go): a Lambda
// lifecycle hook that holds each deployment before production traffic
// moves, until the SSM parameter stack.GateParameterName(stack) says
// "approve REVISION" or "reject REVISION".

// GateState is what the gate's parameter says.
type GateState struct {
	// Answer is stack.GateWaiting, GateApprove, GateReject or GateExpired;
	// empty before the first deployment reached the gate.
	Answer string
	// Revision is the service revision ECS deploys, which the answer is
	// about.
	Revision string
	// Since is when the gate started waiting, for GateWaiting.
	Since time.Time
}

// Waiting reports whether a deployment waits at the gate for an answer.
func (g GateState) Waiting() bool { return g.Answer == stack.GateWaiting && g.Revision != "" }

// parseGate reads the parameter's value: "waiting REVISION SINCE",
// "approve REVISION", "reject REVISION" or "expired REVISION"; anything
// else (the stack's initial "none") is no state.
func parseGate(value string) GateState {
	words := strings.Fields(value)
	if len(words) < 2 {
		return GateState{}
	}
	g := GateState{Answer: words[0], Revision: words[1]}
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

// GateClosedError refuses an answer for a revision the gate is not waiting
// for: the deployment moved on, or another one waits. Exit code 1.
type GateClosedError struct {
	Stack    string
	Revision string
	State    GateState
}

func (e *GateClosedError) Error() string {
	state := "no deployment"
	if e.State.Answer != "" {
		state = e.State.Answer + " " + e.State.Revision
	}
	return fmt.Sprintf("stack %s: the pause gate is not waiting for %s (it says: %s)", e.Stack, e.Revision, state)
}

// ExitCode is ExitFailure.
func (e *GateClosedError) ExitCode() int { return ExitFailure }

// AnswerGate records approve (true) or reject (false) for revision, which
// must be the one the gate waits for: the gate function writes "waiting"
// once per revision and never after an answer, so the answer cannot be
// lost, and an answer never reaches a later deployment.
func (d Delivery) AnswerGate(ctx context.Context, stackName, revision string, approve bool) error {
	state, err := d.ReadGate(ctx, stackName)
	if err != nil {
		return err
	}
	if !state.Waiting() || state.Revision != revision {
		return &GateClosedError{Stack: stackName, Revision: revision, State: state}
	}
	answer := stack.GateReject
	if approve {
		answer = stack.GateApprove
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	name := stack.GateParameterName(stackName)
	if _, err := d.SSM.PutParameter(cctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(answer + " " + revision), Overwrite: aws.Bool(true)}); err != nil {
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

// WatchGate polls the gate of stackName every interval until ctx ends.
// For each revision that starts waiting it calls decide once, and records
// the answer it gives (GateWait records none: the deployment waits for an
// answer from elsewhere, or for the gate's timeout). report, when not nil,
// hears of each answer recorded. A stack without a gate, or not created
// yet, is polled again: the gate appears with the stack.
func (d Delivery) WatchGate(ctx context.Context, stackName string, interval time.Duration, decide func(context.Context, GateState) (GateDecision, error), report func(GateState, GateDecision)) error {
	asked := map[string]bool{}
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
		case state.Waiting() && !asked[state.Revision]:
			asked[state.Revision] = true
			decision, err := decide(ctx, state)
			if err != nil {
				return err
			}
			if decision != GateWait {
				if err := d.AnswerGate(ctx, stackName, state.Revision, decision == GateContinue); err != nil {
					return err
				}
			}
			if report != nil {
				report(state, decision)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
