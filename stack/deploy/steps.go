package deploy

import (
	"errors"
	"strings"
)

// StepCommand is what a Step runs: a command of this tool's CLI, named by
// what it does, or a command of the AWS CLI.
type StepCommand string

// The commands a Step can run.
const (
	StepStatus StepCommand = "status" // read the stack's status and outputs
	StepDelete StepCommand = "delete" // delete the stack
	StepDeploy StepCommand = "deploy" // deploy the stack again, with the same settings
	StepAWS    StepCommand = "aws"    // an AWS CLI command, with Step.Args
)

// Step is something the user can do next about a stack, reported as data.
// Writing it as a command line is the caller's job (the CLI's), because
// only the caller knows its own flags and which account, region and
// endpoint the user chose: a hint that leaves them out runs somewhere else.
type Step struct {
	// Purpose says what the step is for, as a short phrase: "check on it".
	Purpose string
	Command StepCommand
	// Args are, for StepAWS, the arguments after `aws`, without the options
	// that choose the account, region and endpoint (--profile, --region,
	// --endpoint-url), which the caller adds.
	Args []string
	// Stack is the stack's name, and StackID its ARN when it is known.
	Stack   string
	StackID string
}

// Region is the region of the stack, from its ARN
// (arn:PARTITION:cloudformation:REGION:ACCOUNT:stack/NAME/ID), or "" when
// the ARN is not known.
func (s Step) Region() string { return arnField(s.StackID, 3) }

// Account is the AWS account of the stack, from its ARN, or "".
func (s Step) Account() string { return arnField(s.StackID, 4) }

func arnField(arn string, i int) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[i]
}

// NextSteps returns the steps an error of this package suggests, or nil.
func NextSteps(err error) []Step {
	var s interface{ NextSteps() []Step }
	if errors.As(err, &s) {
		return s.NextSteps()
	}
	return nil
}

// stackRef names a stack for the steps about it.
type stackRef struct {
	name, id string
}

func (r stackRef) step(purpose string, command StepCommand, args ...string) Step {
	return Step{Purpose: purpose, Command: command, Args: args, Stack: r.name, StackID: r.id}
}

// awsStep is an AWS CLI command on the stack. The stack is named by its
// name, which reads better than its ARN and is unambiguous while it lives.
func (r stackRef) awsStep(purpose string, args ...string) Step {
	return r.step(purpose, StepAWS, args...)
}

// stepsError is an error with the steps that deal with it.
type stepsError struct {
	err   error
	steps []Step
}

func (e *stepsError) Error() string     { return e.err.Error() }
func (e *stepsError) Unwrap() error     { return e.err }
func (e *stepsError) NextSteps() []Step { return e.steps }
