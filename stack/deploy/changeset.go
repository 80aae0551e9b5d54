package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"
)

// changeSet is a created change set and what is known about it.
type changeSet struct {
	ID        string // ARN
	StackID   string
	Type      types.ChangeSetType
	Created   time.Time // CloudFormation's clock; events of its execution come later
	NoChanges bool
	Plan      Plan
}

// CloudFormation fails a change set that would change nothing, with the
// first of these reasons, rather than giving it an empty list of changes.
// moto answers CreateChangeSet itself with a ValidationError that gives the
// second, as UpdateStack does on AWS.
var noChangeReasons = []string{
	"didn't contain changes",
	"No updates are to be performed",
}

func isNoChangeReason(reason string) bool {
	for _, r := range noChangeReasons {
		if strings.Contains(reason, r) {
			return true
		}
	}
	return false
}

// errorMessage is the message of an API error, or "" for another error.
func errorMessage(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorMessage()
	}
	return ""
}

type changeSetSpec struct {
	in     Input
	params []types.Parameter
	typ    types.ChangeSetType
	prefix string
	// stack is the stack an UPDATE changes, for the parameter values and
	// template it has; nil for a CREATE.
	stack *types.Stack
	// declared are the template's parameters.
	declared []templateParameter
}

// createChangeSet creates a change set and waits until CloudFormation has
// worked out its changes. It reports the wait as ChangeSetPending events,
// closed by a ChangeSetDone however it ends.
func (d *Deployer) createChangeSet(ctx context.Context, spec changeSetSpec) (*changeSet, error) {
	in := spec.in
	started := time.Now()
	d.emit(ChangeSetPending{Time: started, Started: started, Stack: in.StackName, ChangeSetType: string(spec.typ)})
	defer func() { d.emit(ChangeSetDone{Time: time.Now(), Started: started, Stack: in.StackName}) }()
	input := &cloudformation.CreateChangeSetInput{
		StackName:     aws.String(in.StackName),
		ChangeSetName: aws.String(newName(spec.prefix)),
		ChangeSetType: spec.typ,
		TemplateBody:  aws.String(in.TemplateBody),
		Parameters:    spec.params,
		Description:   aws.String("Created by cfnfargate"),
	}
	for _, c := range in.Capabilities {
		input.Capabilities = append(input.Capabilities, types.Capability(c))
	}
	for _, k := range sortedKeys(in.Tags) {
		input.Tags = append(input.Tags, types.Tag{Key: aws.String(k), Value: aws.String(in.Tags[k])})
	}
	if in.RoleARN != "" {
		input.RoleARN = aws.String(in.RoleARN)
	}
	out, err := d.API.CreateChangeSet(ctx, input)
	if err != nil && spec.typ == types.ChangeSetTypeUpdate && spec.stack != nil && isNoChangeReason(errorMessage(err)) {
		return &changeSet{StackID: aws.ToString(spec.stack.StackId), Type: spec.typ, NoChanges: true,
			Plan: Plan{Stack: in.StackName, ChangeSetType: string(spec.typ)}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("create change set for stack %s: %w", in.StackName, readable(err))
	}
	cs := &changeSet{ID: aws.ToString(out.Id), StackID: aws.ToString(out.StackId), Type: spec.typ}
	if err := d.awaitChangeSet(ctx, cs, spec, started); err != nil {
		return cs, err
	}
	return cs, nil
}

// awaitChangeSet polls the change set until it is ready or has failed, then
// reads its changes into cs.Plan. A change set is usually ready in a few
// seconds, so polling starts faster than the stack poll interval. When ctx
// ends it returns its cause (errDeadline when the deadline passed).
func (d *Deployer) awaitChangeSet(ctx context.Context, cs *changeSet, spec changeSetSpec, started time.Time) error {
	stack := spec.in.StackName
	var failures int
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			d.emit(ChangeSetPending{Time: time.Now(), Started: started, Stack: stack, ChangeSetType: string(cs.Type)})
		}
		out, err := d.describeChangeSetPage(ctx, cs.ID, nil)
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			failures++
			if !isTransient(err) || failures > maxTransientFailures {
				return fmt.Errorf("describe change set %s: %w", cs.ID, readable(err))
			}
		case out.Status == types.ChangeSetStatusCreateComplete:
			cs.Created = aws.ToTime(out.CreationTime)
			if err := d.readPlan(ctx, cs, stack, out); err != nil {
				return err
			}
			d.compareStack(ctx, cs, spec, out)
			return nil
		case out.Status == types.ChangeSetStatusFailed:
			cs.Created = aws.ToTime(out.CreationTime)
			reason := aws.ToString(out.StatusReason)
			if isNoChangeReason(reason) {
				cs.NoChanges = true
				cs.Plan = Plan{Stack: stack, ChangeSetType: string(cs.Type)}
				return nil
			}
			return &FailedError{Stack: stack, Operation: "change set", Reason: reason}
		default:
			failures = 0
		}
		delay := min(d.interval(), 250*time.Millisecond<<min(attempt, 4))
		if failures > 0 {
			delay = d.backoff(failures)
		}
		if err := sleep(ctx, delay); err != nil {
			return err
		}
	}
}

// compareStack adds to the plan of an update what its resource changes do
// not show: the parameters whose value changes, and whether an update
// without either changes anything at all.
func (d *Deployer) compareStack(ctx context.Context, cs *changeSet, spec changeSetSpec, out *cloudformation.DescribeChangeSetOutput) {
	if spec.stack == nil || cs.Type != types.ChangeSetTypeUpdate {
		return
	}
	cs.Plan.Parameters = parameterChanges(spec.declared, spec.stack.Parameters, spec.params, out.Parameters)
	if len(cs.Plan.Changes) > 0 || len(cs.Plan.Parameters) > 0 {
		return
	}
	// CloudFormation fails a change set that changes nothing (see
	// noChangeReasons), so a ready one with no resource or parameter
	// change changes the outputs, metadata or tags. moto, though, readies
	// empty change sets for an unchanged stack; the template and tags tell
	// the two apart.
	if d.sameTemplate(ctx, aws.ToString(spec.stack.StackId), spec.in.TemplateBody) && sameTags(spec.stack.Tags, out.Tags) {
		cs.NoChanges = true
		return
	}
	cs.Plan.OtherChanges = true
}

// sameTemplate reports whether the stack's template is body, as submitted.
// When it cannot tell, it says no: executing a change set that changes
// nothing does no harm, while skipping one that does loses its changes.
func (d *Deployer) sameTemplate(ctx context.Context, stackID, body string) bool {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := d.API.GetTemplate(cctx, &cloudformation.GetTemplateInput{
		StackName:     aws.String(stackID),
		TemplateStage: types.TemplateStageOriginal,
	})
	return err == nil && strings.TrimSpace(aws.ToString(out.TemplateBody)) == strings.TrimSpace(body)
}

func sameTags(a, b []types.Tag) bool {
	if len(a) != len(b) {
		return false
	}
	m := make(map[string]string, len(a))
	for _, t := range a {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	for _, t := range b {
		if v, ok := m[aws.ToString(t.Key)]; !ok || v != aws.ToString(t.Value) {
			return false
		}
	}
	return true
}

// readPlan pages through the changes of a ready change set.
func (d *Deployer) readPlan(ctx context.Context, cs *changeSet, stack string, first *cloudformation.DescribeChangeSetOutput) error {
	cs.Plan = Plan{Stack: stack, ChangeSetType: string(cs.Type)}
	out := first
	for {
		for _, c := range out.Changes {
			if change, ok := changeFromSDK(c); ok {
				cs.Plan.Changes = append(cs.Plan.Changes, change)
			}
		}
		if out.NextToken == nil {
			return nil
		}
		var err error
		if out, err = d.describeChangeSetPage(ctx, cs.ID, out.NextToken); err != nil {
			return fmt.Errorf("describe change set %s: %w", cs.ID, readable(err))
		}
	}
}

func (d *Deployer) describeChangeSetPage(ctx context.Context, id string, token *string) (*cloudformation.DescribeChangeSetOutput, error) {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	return d.API.DescribeChangeSet(cctx, &cloudformation.DescribeChangeSetInput{
		ChangeSetName: aws.String(id),
		NextToken:     token,
	})
}

// cleanUp deletes a change set that will not be executed and, when this run
// created it, the REVIEW_IN_PROGRESS stack CloudFormation made to hold it.
// It runs on a context of its own, bounded by cleanupTimeout, so that
// neither Ctrl-C nor the operation's deadline leaves them behind.
func (d *Deployer) cleanUp(ctx context.Context, cs *changeSet, stack string, ownStack bool) error {
	if cs == nil {
		return nil
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	var errs []error
	if cs.ID != "" {
		if _, err := d.API.DeleteChangeSet(cctx, &cloudformation.DeleteChangeSetInput{ChangeSetName: aws.String(cs.ID)}); err != nil {
			errs = append(errs, fmt.Errorf("delete change set %s: %w", cs.ID, readable(err)))
		}
	}
	if ownStack && cs.StackID != "" {
		// Delete by ID, not name: the ID cannot match a stack someone else
		// has created under the same name in the meantime.
		if _, err := d.API.DeleteStack(cctx, &cloudformation.DeleteStackInput{StackName: aws.String(cs.StackID)}); err != nil {
			errs = append(errs, fmt.Errorf("delete review stack %s: %w", stack, readable(err)))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("clean up after change set: %w", errors.Join(errs...))
	}
	return nil
}
