package deploy

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/deploy/watch"
)

// Exit codes carried by the error types of this package, for a program to
// exit with (see ExitCode).
const (
	ExitOK          = 0
	ExitFailure     = 1   // the stack operation failed, timed out or could not start
	ExitInput       = 2   // the input was wrong; nothing was sent to AWS
	ExitInterrupted = 130 // the user pressed Ctrl-C (128 + SIGINT)
)

// ExitCode maps an error to a process exit code: ExitOK for nil, the code
// the error carries (an ExitCode method, as this package's error types
// have), ExitInput for a *stack.ValidationError (a list of problems with
// the input, which this package's own checks return too), and ExitFailure
// for any other error (an AWS API error, for example).
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var coded interface{ ExitCode() int }
	if errors.As(err, &coded) {
		return coded.ExitCode()
	}
	var invalid *stack.ValidationError
	if errors.As(err, &invalid) {
		return ExitInput
	}
	return ExitFailure
}

// FailedError reports a stack operation, or the change set before it, that
// ended in failure. Exit code 1.
type FailedError struct {
	Stack     string
	StackID   string // the stack's ARN, when known
	Operation string // "create", "update", "delete" or "change set"
	Status    string // the state the stack was left in; empty if it was never touched
	// The first resource that failed in this operation, skipping the
	// "cancelled" resources that failed only because another one did.
	// LogicalID is empty when no resource failed (a template error, say).
	LogicalID    string
	ResourceType string
	Reason       string
	// Service is what the ECS watcher found while the stack's service was
	// in progress, when it found something wrong: the rollout's end and
	// the most frequent cause of the stopped tasks.
	Service *watch.Verdict
	// StoppedBy says why Deploy stopped the operation itself, when it did:
	// StopFailFast or StopDeployTimeout; empty when CloudFormation ended it.
	StoppedBy string
	// Hint says what happens next, when the operation goes on without
	// Deploy (a create cannot be cancelled); Steps are what to do.
	Hint  string
	Steps []Step
}

// Why Deploy stopped an operation itself (FailedError.StoppedBy).
const (
	// StopFailFast: tasks of the new deployment kept stopping for the
	// same deterministic cause (Input.FailFast).
	StopFailFast = "fail-fast"
	// StopDeployTimeout: Input.DeployTimeout passed.
	StopDeployTimeout = "deploy-timeout"
)

func (e *FailedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s of stack %s failed", e.Operation, e.Stack)
	switch {
	case e.StoppedBy == StopFailFast:
		fmt.Fprintf(&b, ": stopped early, because tasks of the new deployment keep stopping for the same cause")
	case e.StoppedBy == StopDeployTimeout:
		fmt.Fprintf(&b, ": stopped, because the deploy timeout passed")
	case e.LogicalID != "":
		fmt.Fprintf(&b, ": %s (%s): %s", e.LogicalID, e.ResourceType, orUnknown(e.Reason))
	case e.Reason != "":
		fmt.Fprintf(&b, ": %s", e.Reason)
	}
	if e.Hint != "" {
		fmt.Fprintf(&b, "\n%s", e.Hint)
	}
	if e.Status != "" && e.Hint == "" {
		fmt.Fprintf(&b, "\nThe stack is now %s", e.Status)
		if advice, _ := stateAdvice(stackRef{e.Stack, e.StackID}, e.Status); advice != "" {
			fmt.Fprintf(&b, ": %s", advice)
		}
	}
	// The ECS cause comes last, where a caller can follow it with the
	// settings to change in its own words.
	if e.Service != nil {
		if v := e.Service.String(); v != "" {
			fmt.Fprintf(&b, "\nService failed: %s", v)
		}
	}
	return b.String()
}

func (e *FailedError) ExitCode() int { return ExitFailure }

// NextSteps are what to do about the state the stack was left in.
func (e *FailedError) NextSteps() []Step {
	if e.Steps != nil {
		return e.Steps
	}
	_, steps := stateAdvice(stackRef{e.Stack, e.StackID}, e.Status)
	return steps
}

// BlockedError reports a stack whose current state does not allow the
// requested operation. Nothing was changed. Exit code 1.
type BlockedError struct {
	Stack   string
	StackID string // the stack's ARN, when known
	Status  string
	Reason  string // CloudFormation's StackStatusReason, if any
	Advice  string // what the user can do about it, in words
	Steps   []Step // the same as steps, if there are any to take
}

func (e *BlockedError) Error() string {
	msg := fmt.Sprintf("stack %s is in %s", e.Stack, e.Status)
	if e.Reason != "" {
		msg += " (" + e.Reason + ")"
	}
	return msg + "; " + e.Advice
}

func (e *BlockedError) ExitCode() int { return ExitFailure }

// NextSteps are the Steps.
func (e *BlockedError) NextSteps() []Step { return e.Steps }

// TimeoutError reports that the operation ran out of time, while the stack
// was still in progress or while an API call got no answer. CloudFormation
// carries on with whatever it had started. Exit code 1.
type TimeoutError struct {
	Stack   string
	StackID string // the stack's ARN, when known
	// Status is the last status seen, or empty when no read of the stack
	// succeeded before the time ran out.
	Status string
	After  time.Duration
}

func (e *TimeoutError) Error() string {
	state := fmt.Sprintf("is still %s and CloudFormation carries on with it", e.Status)
	if e.Status == "" {
		state = "is in an unknown state (no poll succeeded)"
	}
	return fmt.Sprintf("timed out after %s: stack %s %s", e.After, e.Stack, state)
}

func (e *TimeoutError) ExitCode() int { return ExitFailure }

// NextSteps is checking on the stack.
func (e *TimeoutError) NextSteps() []Step {
	return []Step{stackRef{e.Stack, e.StackID}.step("check on it", StepStatus)}
}

// InterruptedError reports that the context was cancelled (Ctrl-C). Status is
// the state the stack was left in, Hint says what that means and Steps how
// to follow up. Exit code 130.
type InterruptedError struct {
	Stack   string
	StackID string // the stack's ARN, when known
	Status  string
	Hint    string
	Steps   []Step
}

func (e *InterruptedError) Error() string {
	msg := "interrupted"
	if e.Status != "" {
		msg += fmt.Sprintf(": stack %s is %s", e.Stack, e.Status)
	}
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
}

func (e *InterruptedError) ExitCode() int { return ExitInterrupted }

// NextSteps are the Steps.
func (e *InterruptedError) NextSteps() []Step { return e.Steps }

// ErrStackNotFound is wrapped by Status when the stack does not exist.
var ErrStackNotFound = errors.New("does not exist")

func orUnknown(s string) string {
	if s == "" {
		return "no reason given"
	}
	return s
}
