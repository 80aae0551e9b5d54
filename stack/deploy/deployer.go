package deploy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

const (
	// DefaultPollInterval is how often a wait reads the stack and its
	// events. The SDK waiters and `aws cloudformation deploy` use 30 s,
	// which leaves users staring at nothing.
	DefaultPollInterval = 2 * time.Second
	// DefaultTimeout is how long Deploy and Delete wait when Input.Timeout
	// is zero.
	DefaultTimeout = 60 * time.Minute
)

// Deployer runs stack operations through the CloudFormation API and reports
// their progress to Sink. Its zero PollInterval means DefaultPollInterval,
// and a nil Sink drops the events.
type Deployer struct {
	API          API
	Sink         Sink
	PollInterval time.Duration
	// IAM, when set, lets Deploy create the service-linked roles the
	// stack needs (see Deploy); nil skips that step.
	IAM IAMAPI
	// ELB, when set, lets Delete refuse a stack whose load balancer has
	// deletion protection; nil skips that check.
	ELB ELBAPI
	// RoleWait is how long a service-linked role that Deploy created gets
	// to spread through IAM before the change set executes; zero means
	// DefaultRoleWait.
	RoleWait time.Duration
	// pause waits out the rest of RoleWait; nil means sleep. Tests replace
	// it to tell a wait from none without timing one.
	pause func(ctx context.Context, delay time.Duration) error
}

// New returns a Deployer with the default poll interval.
func New(api API, sink Sink) *Deployer {
	return &Deployer{API: api, Sink: sink}
}

// Input describes the stack Deploy and Diff work on.
type Input struct {
	StackName    string
	TemplateBody string
	// Parameters are the values the user gave. On an update, a template
	// parameter not given keeps its previous value; on a create, one
	// without a Default is a *stack.ValidationError.
	Parameters map[string]string
	// ParameterFlags is the caller's label for the input that sets a
	// parameter, the key of problems with it (a CLI passes its flags:
	// VpcId: "--vpc-id"). A parameter without one is keyed
	// FieldParameters + "." + its name.
	ParameterFlags map[string]string
	// Capabilities the template needs, such as CAPABILITY_IAM.
	Capabilities []string
	// Tags are stack tags, which CloudFormation copies to the resources.
	Tags map[string]string
	// RoleARN is the service role CloudFormation assumes, if any.
	RoleARN string
	// TerminationProtection turns termination protection on once the
	// stack exists. False leaves the stack's setting as it is.
	TerminationProtection bool
	// Timeout bounds the whole call, every API call included; zero means
	// DefaultTimeout.
	Timeout time.Duration
	// NoWait returns as soon as the change set is executing.
	NoWait bool
	// AllowReplacement executes a change set that replaces a load
	// balancer, target group, security group, the ECS cluster, the ECS
	// service or the log group (see Plan.Replacements). Without it Deploy asks
	// ConfirmReplacement, and without that it deletes the change set and
	// returns a *ReplacementError.
	AllowReplacement bool
	// ConfirmReplacement, when not nil, is asked whether to execute a
	// change set with such replacements; the plan has been reported by
	// then. It should return when ctx ends.
	ConfirmReplacement func(ctx context.Context, replacements []Replacement) (bool, error)
}

// Result is the outcome of a successful Deploy.
type Result struct {
	StackName     string
	StackID       string
	ChangeSetType string // "CREATE" or "UPDATE"
	// Status is CREATE_COMPLETE or UPDATE_COMPLETE, the status before the
	// deploy when there were no changes, or an *_IN_PROGRESS status with
	// NoWait.
	Status    string
	NoChanges bool
	Plan      Plan
	Outputs   []Output
	// Warnings are problems that did not stop the deploy, such as
	// termination protection that could not be turned on. Each one is
	// also reported as a Note.
	Warnings []string
	// NextSteps are what the user can do next: follow a deploy that
	// was not waited for, or fix what a warning is about.
	NextSteps []Step
}

// Output is a stack output.
type Output struct {
	Key         string `json:"key"`
	Value       string `json:"value"`
	Description string `json:"description,omitempty"`
	ExportName  string `json:"exportName,omitempty"`
}

// Deploy creates or updates the stack through a change set, reports the
// plan, executes it and waits for the stack to settle.
//
// A stack that is busy is waited for first. A stack left in
// ROLLBACK_COMPLETE by a failed create is deleted and created again. A stack
// in a state that cannot be updated is a *BlockedError. A change set
// without changes is a success with Result.NoChanges.
//
// When ctx is cancelled during an update, Deploy cancels the update, keeps
// reporting until the rollback settles (for up to Input.Timeout), and then
// returns an *InterruptedError, or the Result if the update completed before
// it could be cancelled; during a create it returns one at once. When
// Input.Timeout runs out, it returns a *TimeoutError.
//
// Deploy makes sure the service-linked roles the template needs exist
// (with Deployer.IAM set): before a create, those of ECS and of Application
// Auto Scaling; before an update, only the latter, which autoscaling turned
// on later can need for the first time. A change set that replaces resources
// runs only as Input.AllowReplacement and Input.ConfirmReplacement allow;
// otherwise it is deleted and Deploy returns a *ReplacementError.
//
// Termination protection that cannot be turned on after a successful
// deploy, and a service-linked role that could not be checked or created,
// are among Result.Warnings, not errors.
func (d *Deployer) Deploy(ctx context.Context, in Input) (*Result, error) {
	in, declared, err := prepare(in)
	if err != nil {
		return nil, err
	}
	ctx, cancel := bounded(ctx, in.Timeout)
	defer cancel()

	stack, err := d.readyStack(ctx, in.StackName, in.Timeout, "deploying")
	if err != nil {
		return nil, err
	}
	typ, params, err := changeSetInputs(in, stack, declared)
	if err != nil {
		return nil, err
	}
	if stack != nil && string(stack.StackStatus) == statusRollbackComplete {
		if err := d.replaceFailedCreate(ctx, in, stack); err != nil {
			return nil, err
		}
		stack = nil
	}
	// A CREATE change set for a stack that does not exist makes a
	// REVIEW_IN_PROGRESS stack, which is this run's to clean up.
	ownStack := stack == nil
	roleCreated, warnings, steps, err := d.ensureServiceLinkedRoles(ctx, in, typ == types.ChangeSetTypeCreate)
	if err != nil {
		return nil, err
	}

	cs, err := d.createChangeSet(ctx, changeSetSpec{in: in, params: params, typ: typ, prefix: "cfnfargate", stack: stack, declared: declared})
	if err != nil {
		return nil, d.abandonChangeSet(ctx, err, cs, in.StackName, ownStack, in.Timeout)
	}
	res := &Result{StackName: in.StackName, StackID: cs.StackID, ChangeSetType: string(typ), Plan: cs.Plan, Warnings: warnings, NextSteps: steps}
	if cs.NoChanges {
		return d.keep(ctx, in, cs, stack, ownStack, res)
	}
	d.emit(PlanReady{Plan: cs.Plan})
	if err := d.guardReplacements(ctx, in, cs.Plan); err != nil {
		return nil, d.abandonChangeSet(ctx, err, cs, in.StackName, ownStack, in.Timeout)
	}
	if err := d.awaitRole(ctx, in.StackName, roleCreated); err != nil {
		return nil, d.abandonChangeSet(ctx, ctx.Err(), cs, in.StackName, ownStack, in.Timeout)
	}
	return d.execute(ctx, in, cs, stack, ownStack, res)
}

// keep finishes a deploy whose change set has no changes: a success that
// leaves the stack as it is.
func (d *Deployer) keep(ctx context.Context, in Input, cs *changeSet, stack *types.Stack, ownStack bool, res *Result) (*Result, error) {
	d.note(in.StackName, "No changes to stack %s", in.StackName)
	if err := d.cleanUp(ctx, cs, in.StackName, ownStack); err != nil {
		return nil, err
	}
	res.NoChanges = true
	if stack == nil {
		return res, nil
	}
	res.Status = string(stack.StackStatus)
	res.Outputs = outputs(stack.Outputs)
	if in.TerminationProtection && !aws.ToBool(stack.EnableTerminationProtection) {
		d.protect(ctx, res)
	}
	return res, nil
}

// execute runs the change set and, unless NoWait, follows it to the end.
func (d *Deployer) execute(ctx context.Context, in Input, cs *changeSet, before *types.Stack, ownStack bool, res *Result) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, d.abandonChangeSet(ctx, err, cs, in.StackName, ownStack, in.Timeout)
	}
	// The token is stamped on every event this execution causes; see
	// eventFilter. The SDK retries the call with the same token, which
	// makes a retry after a lost answer harmless.
	token := newName("cfnfargate-exec")
	if _, err := d.API.ExecuteChangeSet(ctx, &cloudformation.ExecuteChangeSetInput{
		ChangeSetName:      aws.String(cs.ID),
		ClientRequestToken: aws.String(token),
	}); err != nil {
		// The execution may have started even though the call failed (a
		// lost answer), so the stack is not deleted, only the change set.
		if cerr := d.cleanUp(ctx, cs, in.StackName, false); cerr != nil {
			d.note(in.StackName, "%v", cerr)
		}
		if ctx.Err() != nil {
			ref := stackRef{in.StackName, cs.StackID}
			return nil, stopped(ctx, ref, "", in.Timeout, "the change set may have started running before the interruption",
				ref.step("check on it", StepStatus))
		}
		return nil, fmt.Errorf("execute change set for stack %s: %w", in.StackName, readable(err))
	}
	operation := "update"
	if cs.Type == types.ChangeSetTypeCreate {
		operation = "create"
	}
	d.note(in.StackName, "Executing change set: %s of stack %s started", operation, in.StackName)
	if in.NoWait {
		res.Status = strings.ToUpper(operation) + "_IN_PROGRESS"
		res.NextSteps = append(res.NextSteps, stackRef{in.StackName, cs.StackID}.step("follow it", StepStatus))
		if in.TerminationProtection {
			d.protect(ctx, res)
		}
		return res, nil
	}

	w := d.newWaiter(in.StackName, cs.StackID, operation, eventFilter{tokens: map[string]bool{token: true}, since: cs.Created})
	w.before = before
	final, err := d.follow(ctx, w, operation, in)
	if err != nil {
		return nil, err
	}
	res.Status = string(final.StackStatus)
	res.Outputs = outputs(final.Outputs)
	if in.TerminationProtection && !aws.ToBool(final.EnableTerminationProtection) {
		d.protect(ctx, res)
	}
	return res, nil
}

// follow waits for an executed change set and turns the way it ended into
// the stack or an error.
func (d *Deployer) follow(ctx context.Context, w *waiter, operation string, in Input) (*types.Stack, error) {
	w.begin()
	err := w.wait(ctx)
	// Only an interruption that stopped the wait counts: one that came
	// after the stack settled changes nothing.
	if err != nil && interrupted(ctx) && operation == "update" {
		err = d.cancelUpdate(ctx, w, in)
		w.end()
		if err != nil {
			return nil, err
		}
		return w.last, nil
	}
	w.end()
	switch {
	case err != nil && ctx.Err() != nil:
		ref := w.ref()
		return nil, stopped(ctx, ref, w.status(), in.Timeout, "CloudFormation carries on creating it",
			ref.step("check on it", StepStatus), ref.step("delete it", StepDelete))
	case err != nil:
		return nil, fmt.Errorf("wait for stack %s: %w", in.StackName, err)
	}
	switch status := w.status(); status {
	case statusCreateComplete, statusUpdateComplete:
		return w.last, nil
	default:
		return nil, failure(in.StackName, operation, w)
	}
}

// cancelUpdate is the answer to Ctrl-C during an update: ask CloudFormation
// to cancel it, then keep reporting until the rollback settles, so the user
// sees the stack back in a stable state. The follow-up runs on a context
// that is not cancelled, bounded by a fresh timeout; a second Ctrl-C is the
// caller's to handle (exit at once).
//
// It returns nil when the update completed before the cancel could take
// effect: the deploy succeeded after all, and w.last is the stack.
func (d *Deployer) cancelUpdate(ctx context.Context, w *waiter, in Input) error {
	follow, cancel := bounded(context.WithoutCancel(ctx), in.Timeout)
	defer cancel()
	token := newName("cfnfargate-cancel")
	d.note(in.StackName, "Interrupted: cancelling the update of stack %s and waiting for the rollback (press Ctrl-C again to stop waiting)", in.StackName)
	_, err := d.API.CancelUpdateStack(follow, &cloudformation.CancelUpdateStackInput{
		StackName:          aws.String(w.stackID),
		ClientRequestToken: aws.String(token),
	})
	if err != nil {
		// Typically the update finished between the last poll and the
		// cancel; the wait below reports how it ended.
		d.note(in.StackName, "Could not cancel the update: %s", briefly(err))
	}
	w.filter.tokens[token] = true
	werr := w.wait(follow)
	status := w.status()
	ie := &InterruptedError{Stack: in.StackName, StackID: w.stackID, Status: status}
	switch {
	case werr != nil:
		ie.Hint = fmt.Sprintf("stopped waiting for the rollback (%v)", werr)
		ie.Steps = []Step{w.ref().step("check on it", StepStatus)}
	case status == statusUpdateComplete:
		d.note(in.StackName, "The update of stack %s completed before it could be cancelled", in.StackName)
		return nil
	case status == statusUpdateRollbackComplete:
		ie.Hint = "the update was cancelled and rolled back; the stack runs its previous version"
	default:
		ie.Hint, ie.Steps = stateAdvice(w.ref(), status)
	}
	return ie
}

// failure builds the error for an operation that settled in a failed state.
func failure(stack, operation string, w *waiter) error {
	fe := &FailedError{Stack: stack, StackID: w.stackID, Operation: operation, Status: w.status()}
	if cause, ok := rootCause(w.events); ok {
		if !cause.StackLevel {
			fe.LogicalID = cause.LogicalID
			fe.ResourceType = cause.ResourceType
		}
		fe.Reason = cause.Reason
	} else if w.last != nil {
		fe.Reason = aws.ToString(w.last.StackStatusReason)
	}
	return fe
}

// readyStack describes the stack and, if an operation is running on it,
// waits for that to finish before the next step (what, for messages). It
// returns nil for a stack that does not exist.
func (d *Deployer) readyStack(ctx context.Context, name string, timeout time.Duration, what string) (*types.Stack, error) {
	stack, err := d.describe(ctx, name, timeout)
	if err != nil || stack == nil || !inProgress(string(stack.StackStatus)) {
		return stack, err
	}
	status := string(stack.StackStatus)
	d.note(name, "Stack %s is %s; waiting for that to finish before %s", name, status, what)
	w := d.newWaiter(name, aws.ToString(stack.StackId), status, eventFilter{})
	err = w.baseline(ctx)
	if err == nil {
		w.begin()
		err = w.wait(ctx)
		w.end()
	}
	switch {
	case err != nil && ctx.Err() != nil:
		last := w.status()
		if last == "" {
			last = status
		}
		return nil, stopped(ctx, refOf(name, stack), last, timeout, "stopped waiting before "+what+"; nothing was changed")
	case err != nil:
		return nil, fmt.Errorf("wait for stack %s: %w", name, err)
	}
	return d.describe(ctx, name, timeout)
}

// changeSetInputs decides the change set's type and the parameter values
// to send: given values, previous values kept on an update, and an
// invalid-input error (a *stack.ValidationError) naming the flag of a
// required parameter that has neither.
func changeSetInputs(in Input, stack *types.Stack, declared []templateParameter) (types.ChangeSetType, []types.Parameter, error) {
	typ, previous, err := changeSetType(in.StackName, stack)
	if err != nil {
		return "", nil, err
	}
	params, problems := resolveParameters(declared, in.Parameters, previous, in.ParameterFlags)
	check := Check{problems: problems}
	if err := check.Err(); err != nil {
		return "", nil, err
	}
	return typ, params, nil
}

// changeSetType decides between CREATE and UPDATE, and for an update
// returns the names of the stack's current parameters.
func changeSetType(name string, stack *types.Stack) (types.ChangeSetType, map[string]bool, error) {
	if stack == nil {
		return types.ChangeSetTypeCreate, nil, nil
	}
	status := string(stack.StackStatus)
	switch {
	case status == statusReviewInProgress:
		// Only change sets, never executed: there is nothing to update,
		// and CloudFormation accepts more CREATE change sets for it.
		return types.ChangeSetTypeCreate, nil, nil
	case status == statusRollbackComplete:
		return types.ChangeSetTypeCreate, nil, nil
	case updatable(status):
		previous := map[string]bool{}
		for _, p := range stack.Parameters {
			previous[aws.ToString(p.ParameterKey)] = true
		}
		return types.ChangeSetTypeUpdate, previous, nil
	}
	advice, steps := stateAdvice(refOf(name, stack), status)
	return "", nil, &BlockedError{Stack: name, StackID: aws.ToString(stack.StackId), Status: status,
		Reason: aws.ToString(stack.StackStatusReason), Advice: advice, Steps: steps}
}

// replaceFailedCreate deletes a stack that a failed first create left in
// ROLLBACK_COMPLETE. Such a stack has no resources and CloudFormation
// cannot update it, so every later deploy would fail until it is deleted.
func (d *Deployer) replaceFailedCreate(ctx context.Context, in Input, stack *types.Stack) error {
	if aws.ToBool(stack.EnableTerminationProtection) {
		ref := refOf(in.StackName, stack)
		return &BlockedError{Stack: in.StackName, StackID: ref.id, Status: statusRollbackComplete,
			Advice: "it has termination protection, so it cannot be deleted and created again; turn the protection off, then deploy again",
			Steps:  []Step{terminationProtectionOff(ref), ref.step("then deploy again", StepDeploy)}}
	}
	d.note(in.StackName, "Stack %s is in ROLLBACK_COMPLETE after a failed create and holds no resources; deleting it before creating it again", in.StackName)
	_, err := d.deleteAndWait(ctx, in.StackName, stack, in.RoleARN, nil, in.Timeout, false)
	return err
}

// abandonChangeSet cleans up a change set that will not be executed and
// turns the error that stopped it into the one to return.
func (d *Deployer) abandonChangeSet(ctx context.Context, err error, cs *changeSet, stack string, ownStack bool, timeout time.Duration) error {
	if cerr := d.cleanUp(ctx, cs, stack, ownStack); cerr != nil {
		d.note(stack, "%v", cerr)
	}
	var stackID string
	if cs != nil && !ownStack {
		// The review stack of a new stack is deleted above.
		stackID = cs.StackID
	}
	switch {
	case interrupted(ctx):
		return &InterruptedError{Stack: stack, StackID: stackID, Hint: "the change set was deleted before it ran; nothing was changed"}
	case errors.Is(err, errDeadline):
		// awaitChangeSet ran out of time.
		return &TimeoutError{Stack: stack, StackID: stackID, Status: "waiting for its change set", After: timeout}
	case timedOut(ctx):
		// A call that got no answer in time.
		return &TimeoutError{Stack: stack, StackID: stackID, After: timeout}
	}
	return err
}

// describe returns the stack, or nil if it does not exist. timeout is the
// operation's, for the *TimeoutError when ctx reaches its deadline.
func (d *Deployer) describe(ctx context.Context, name string, timeout time.Duration) (*types.Stack, error) {
	out, err := d.API.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	switch {
	case isNotFound(err):
		return nil, nil
	case err != nil && ctx.Err() != nil:
		return nil, stopped(ctx, stackRef{name: name}, "", timeout, "nothing was changed")
	case err != nil:
		return nil, fmt.Errorf("describe stack %s: %w", name, readable(err))
	case len(out.Stacks) == 0:
		return nil, nil
	}
	return &out.Stacks[0], nil
}

// protect turns on termination protection for the stack res deployed. The
// deploy has succeeded by then, so a failure is one of res.Warnings (and a
// Note), not an error that would lose the result and its outputs.
func (d *Deployer) protect(ctx context.Context, res *Result) {
	_, err := d.API.UpdateTerminationProtection(ctx, &cloudformation.UpdateTerminationProtectionInput{
		StackName:                   aws.String(res.StackID),
		EnableTerminationProtection: aws.Bool(true),
	})
	if err != nil {
		warning := fmt.Sprintf("could not turn on termination protection for stack %s (%s); turn it on yourself (the command follows)",
			res.StackName, briefly(err))
		res.Warnings = append(res.Warnings, warning)
		res.NextSteps = append(res.NextSteps, stackRef{res.StackName, res.StackID}.awsStep("turn termination protection on",
			"cloudformation", "update-termination-protection", "--enable-termination-protection", "--stack-name", res.StackName))
		d.note(res.StackName, "Warning: %s", warning)
		return
	}
	d.note(res.StackName, "Termination protection is on for stack %s", res.StackName)
}

// prepare checks the input, fills in defaults and reads the template's
// parameters, all before any API call.
func prepare(in Input) (Input, []templateParameter, error) {
	var check Check
	check.StackName(FieldStackName, in.StackName)
	check.TemplateBody(in.TemplateBody)
	check.RoleARN(FieldRoleARN, in.RoleARN)
	if in.Timeout == 0 {
		in.Timeout = DefaultTimeout
	}
	check.Timeout(FieldTimeout, in.Timeout)
	var declared []templateParameter
	if in.TemplateBody != "" {
		var err error
		if declared, err = templateParameters(in.TemplateBody); err != nil {
			check.Add("", "%v", err)
		}
	}
	return in, declared, check.Err()
}

// refOf names a stack that may not exist (nil).
func refOf(name string, stack *types.Stack) stackRef {
	if stack == nil {
		return stackRef{name: name}
	}
	return stackRef{name, aws.ToString(stack.StackId)}
}

// terminationProtectionOff is the step that turns off a stack's termination
// protection, which CloudFormation requires before deleting it.
func terminationProtectionOff(stack stackRef) Step {
	return stack.awsStep("turn termination protection off",
		"cloudformation", "update-termination-protection", "--no-enable-termination-protection", "--stack-name", stack.name)
}

func outputs(in []types.Output) []Output {
	out := make([]Output, 0, len(in))
	for _, o := range in {
		out = append(out, Output{
			Key:         aws.ToString(o.OutputKey),
			Value:       aws.ToString(o.OutputValue),
			Description: aws.ToString(o.Description),
			ExportName:  aws.ToString(o.ExportName),
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func (d *Deployer) emit(e Event) {
	if d.Sink != nil {
		d.Sink.Event(e)
	}
}

func (d *Deployer) note(stack, format string, args ...any) {
	d.emit(Note{Time: time.Now(), Stack: stack, Text: fmt.Sprintf(format, args...)})
}

// newName returns prefix-YYYYMMDD-HHMMSS-RANDOM, which is a valid change
// set name and ClientRequestToken ([a-zA-Z][-a-zA-Z0-9]*, at most 128).
func newName(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + "-" + time.Now().UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
