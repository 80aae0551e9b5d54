package deploy

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// DeleteInput describes the stack to delete.
type DeleteInput struct {
	StackName string
	RoleARN   string
	// RetainResources lists logical IDs to leave in place. CloudFormation
	// accepts it only for a stack in DELETE_FAILED.
	RetainResources []string
	// Timeout bounds the whole call, every API call included; zero means
	// DefaultTimeout.
	Timeout time.Duration
	NoWait  bool
}

// DeleteResult is the outcome of a successful Delete.
type DeleteResult struct {
	// Existed is false when there was no stack to delete, which is a
	// success.
	Existed bool
	StackID string
	// Status is DELETE_COMPLETE, or DELETE_IN_PROGRESS with NoWait.
	Status string
}

// Delete deletes the stack and waits until it is gone, reporting progress.
// A stack that does not exist is a success with Existed false. A stack busy
// with another operation is waited for first. A stack with termination
// protection, or whose load balancer has deletion protection (checked when
// Deployer.ELB is set, unless DeleteInput.RetainResources keeps the load
// balancer), is a *BlockedError and nothing is deleted; nor is anything
// when that protection cannot be read. When ctx is cancelled it returns an
// *InterruptedError, and when DeleteInput.Timeout runs out a *TimeoutError;
// a delete that has started carries on either way.
func (d *Deployer) Delete(ctx context.Context, in DeleteInput) (*DeleteResult, error) {
	var check Check
	check.StackName(FieldStackName, in.StackName)
	check.RoleARN(FieldRoleARN, in.RoleARN)
	if in.Timeout == 0 {
		in.Timeout = DefaultTimeout
	}
	check.Timeout(FieldTimeout, in.Timeout)
	if err := check.Err(); err != nil {
		return nil, err
	}
	ctx, cancel := bounded(ctx, in.Timeout)
	defer cancel()

	stack, err := d.describe(ctx, in.StackName, in.Timeout)
	if err == nil && stack != nil && inProgress(string(stack.StackStatus)) && string(stack.StackStatus) != statusDeleteInProgress {
		stack, err = d.readyStack(ctx, in.StackName, in.Timeout, "deleting")
	}
	if err != nil {
		return nil, err
	}
	if stack == nil {
		d.note(in.StackName, "Stack %s does not exist; nothing to delete", in.StackName)
		return &DeleteResult{}, nil
	}
	if aws.ToBool(stack.EnableTerminationProtection) {
		ref := refOf(in.StackName, stack)
		return nil, &BlockedError{Stack: in.StackName, StackID: ref.id, Status: string(stack.StackStatus),
			Advice: "it has termination protection; turn it off and delete again",
			Steps:  []Step{terminationProtectionOff(ref), ref.step("then delete it", StepDelete)}}
	}
	if string(stack.StackStatus) != statusDeleteInProgress {
		if err := d.refuseProtectedLoadBalancer(ctx, in.StackName, stack, in.RetainResources); err != nil {
			if ctx.Err() != nil {
				return nil, stopped(ctx, refOf(in.StackName, stack), string(stack.StackStatus), in.Timeout, "nothing was deleted")
			}
			return nil, err
		}
	}
	status, err := d.deleteAndWait(ctx, in.StackName, stack, in.RoleARN, in.RetainResources, in.Timeout, in.NoWait)
	if err != nil {
		return nil, err
	}
	return &DeleteResult{Existed: true, StackID: aws.ToString(stack.StackId), Status: status}, nil
}

// deleteAndWait deletes a stack (unless a delete is already running) and
// waits for DELETE_COMPLETE.
func (d *Deployer) deleteAndWait(ctx context.Context, name string, stack *types.Stack, roleARN string, retain []string,
	timeout time.Duration, noWait bool) (string, error) {
	stackID := aws.ToString(stack.StackId)
	w := d.newWaiter(name, stackID, "delete", eventFilter{tokens: map[string]bool{}})
	// Deleting has no change set whose creation time separates old events
	// from new ones, so the events already there are marked seen first.
	if err := w.baseline(ctx); err != nil {
		if ctx.Err() != nil {
			return "", stopped(ctx, w.ref(), "", timeout, "nothing was changed")
		}
		return "", err
	}
	if string(stack.StackStatus) != statusDeleteInProgress {
		token := newName("cfnfargate-delete")
		w.filter.tokens[token] = true
		input := &cloudformation.DeleteStackInput{
			// The ID, not the name: it cannot match a stack someone has
			// created under the same name since it was described.
			StackName:          aws.String(stackID),
			ClientRequestToken: aws.String(token),
			RetainResources:    retain,
		}
		if roleARN != "" {
			input.RoleARN = aws.String(roleARN)
		}
		if _, err := d.API.DeleteStack(ctx, input); err != nil {
			if ctx.Err() != nil {
				// No answer: the delete may or may not have started.
				status := string(stack.StackStatus)
				if timedOut(ctx) {
					status = ""
				}
				return "", stopped(ctx, w.ref(), status, timeout, "the stack may or may not be deleting",
					w.ref().step("check on it", StepStatus))
			}
			return "", fmt.Errorf("delete stack %s: %w", name, readable(err))
		}
	} else {
		// Someone else's delete: its events carry their token, not ours.
		w.filter.tokens = nil
	}
	if noWait {
		d.note(name, "Deleting stack %s; not waiting", name)
		return statusDeleteInProgress, nil
	}
	w.begin()
	err := w.wait(ctx)
	w.end()
	switch {
	case err != nil && ctx.Err() != nil:
		return "", stopped(ctx, w.ref(), w.status(), timeout, "CloudFormation carries on deleting it",
			w.ref().step("check on it", StepStatus))
	case err != nil:
		return "", fmt.Errorf("wait for stack %s to delete: %w", name, err)
	}
	if status := w.status(); status != statusDeleteComplete {
		return "", failure(name, "delete", w)
	}
	d.note(name, "Stack %s is deleted", name)
	return statusDeleteComplete, nil
}
