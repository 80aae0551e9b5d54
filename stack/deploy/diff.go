package deploy

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// Diff reports what Deploy would change, as a PlanReady event and as the
// returned Plan, without changing anything: it creates a change set, reads
// it, and deletes it again, together with the empty REVIEW_IN_PROGRESS
// stack CloudFormation makes to hold a change set for a new stack.
// Plan.HasChanges tells whether there are changes (for --exit-code).
//
// Diff does not wait for a busy stack and does not delete a stack left in
// ROLLBACK_COMPLETE; both are a *BlockedError that says what Deploy would do.
// Input.Timeout bounds it; when it runs out, Diff returns a *TimeoutError.
func (d *Deployer) Diff(ctx context.Context, in Input) (*Plan, error) {
	in, declared, err := prepare(in)
	if err != nil {
		return nil, err
	}
	ctx, cancel := bounded(ctx, in.Timeout)
	defer cancel()
	stack, err := d.describe(ctx, in.StackName, in.Timeout)
	if err != nil {
		return nil, err
	}
	if stack != nil {
		status := string(stack.StackStatus)
		ref := refOf(in.StackName, stack)
		switch {
		case inProgress(status):
			return nil, &BlockedError{Stack: in.StackName, StackID: ref.id, Status: status,
				Advice: "wait for it to finish, then run diff again (deploy would wait for it)",
				Steps:  []Step{ref.step("check on it", StepStatus)}}
		case status == statusRollbackComplete:
			advice, steps := stateAdvice(ref, status)
			return nil, &BlockedError{Stack: in.StackName, StackID: ref.id, Status: status, Reason: aws.ToString(stack.StackStatusReason),
				Advice: advice + "; until then every resource in the template would be added", Steps: steps}
		}
	}
	typ, params, err := changeSetInputs(ctx, &in, stack, declared)
	if err != nil {
		return nil, err
	}
	ownStack := stack == nil
	var current *types.Stack
	if typ == types.ChangeSetTypeUpdate {
		current = stack
		// What deploy writes into the template; the updates of the rules
		// that deploy would run first are only noted.
		var a liveAlignment
		if in, _, a, err = d.alignLiveState(ctx, in, stack, params, true); err != nil {
			return nil, err
		}
		if len(a.synced) > 0 {
			// The plan compares with the template before those updates,
			// and so shows the rules' changes they make; deploy's own
			// change set modifies only the rules they cannot change in
			// full (review of issue 18, item 14), which the guard then
			// looks at.
			in.guardPlan = nil
			if len(a.residual) > 0 {
				in.guardPlan = trafficGuard(in.StackName, a.residual)
			}
		}
	}
	cs, err := d.createChangeSet(ctx, changeSetSpec{in: in, params: params, typ: typ, prefix: "cfnfargate-diff", stack: current, declared: declared})
	if err != nil {
		return nil, d.abandonChangeSet(ctx, err, cs, in.StackName, ownStack, in.Timeout)
	}
	if cs.NoChanges {
		d.note(in.StackName, "No changes to stack %s", in.StackName)
	} else {
		d.emit(PlanReady{Plan: cs.Plan})
		for _, check := range []func(Plan) error{in.guardPlan, in.CheckPlan} {
			if check == nil {
				continue
			}
			if err := check(cs.Plan); err != nil {
				d.note(in.StackName, "Warning: deploy would refuse this plan: %v", err)
			}
		}
	}
	if err := d.cleanUp(ctx, cs, in.StackName, ownStack); err != nil {
		return &cs.Plan, err
	}
	return &cs.Plan, nil
}
