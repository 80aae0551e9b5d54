package deploy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"gopkg.in/yaml.v3"

	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/deploy/watch"
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
	// ECS, when set, lets Deploy watch the stack's ECS service while
	// CloudFormation works on it (see package watch), and TargetHealth and
	// Logs add the health of its targets and the last lines its stopped
	// containers logged. Each may be nil, which skips its part.
	ECS          watch.ECSAPI
	TargetHealth watch.ELBAPI
	Logs         watch.LogsAPI
	// WatchInterval is the time between the watcher's rounds; zero means
	// watch.DefaultInterval. WatchLimiter bounds the watcher's calls; nil
	// means one of watch.DefaultRate and watch.DefaultBurst per deploy.
	WatchInterval time.Duration
	WatchLimiter  *watch.Limiter
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
	// DeployTimeout, when not zero, bounds the stack operation itself,
	// unlike Timeout, which bounds the wait: when it passes during an
	// update, Deploy cancels the update and follows the rollback; during
	// a create, which CloudFormation cannot cancel, it stops waiting and
	// says what happens next. Either way the result is a *FailedError
	// with StoppedBy StopDeployTimeout.
	DeployTimeout time.Duration
	// FailFast stops the operation as DeployTimeout does once
	// FailFastAfter tasks of the new deployment have stopped for the same
	// deterministic cause (watch.Cause.Deterministic), instead of waiting
	// for ECS's circuit breaker. It needs Deployer.ECS.
	FailFast bool
	// FailFastAfter is the number of such tasks; zero means
	// DefaultFailFastAfter.
	FailFastAfter int
	// Timing is the deploy-time budget of the settings, passed on to the
	// renderer in WaitStarted; nil shows none.
	Timing *watch.Timing
	// KeepWeights are, for a blue/green service, the forward weights of
	// its listener rules as they are live, by target group logical ID:
	// ECS moves them. On an update, Deploy writes them into the template
	// it deploys and, before its change set, into the stack's own template
	// when that holds others, in an update of the stack that changes only
	// those rules (a Note says so), so that neither the change set nor its
	// rollback sets stale weights (see traffic.go). It refuses a change set
	// that still modifies such a rule together with the ECS service: a
	// *TrafficRuleError.
	KeepWeights map[string]int
	// ForcePlacement sets the ECS service's EnableForceNewDeployment
	// (ForceNewDeployment) in the template to whether its
	// ForceNewDeploymentNonce differs from the deployed template's: a new
	// deployment is forced when the placement changes, as ECS requires,
	// and never otherwise, so that a change of the task count alone is no
	// deployment.
	ForcePlacement bool
	// OffStates writes into the template the off state of each deployment
	// setting of the ECS service that it leaves out (LifecycleHooks [],
	// Alarms off, Strategy ROLLING), as templates of earlier versions did
	// when a setting was off: UpdateService keeps what it is not sent. On
	// an update only; rollback sets it, as the template of an old release
	// may be from an earlier version.
	OffStates bool

	// ReadLive, when not nil, reads from an existing stack what the update
	// must keep (a blue/green service's live weights: KeepWeights and the
	// template built with them), and may refuse the deploy with its
	// error. Deploy calls it once the stack is ready, after waiting for an
	// operation in progress and before it changes anything: that
	// operation may move the traffic, and what was read before it ended
	// would be written back over it (review of issue 18, item 2).
	ReadLive func(ctx context.Context, in *Input) error

	// CheckPlan, when not nil, may refuse the plan before it executes:
	// the change set is then deleted, and Deploy returns its error. Diff
	// reports what it would refuse as a note.
	CheckPlan func(Plan) error

	// guardPlan is Deploy's own check of the plan (see traffic.go), run
	// before CheckPlan.
	guardPlan func(Plan) error
	// tokenPrefix starts the ClientRequestToken of the change set's
	// execution, which CloudFormation stamps on every event of the
	// operation; "" means "cfnfargate-exec". The update that writes the
	// live traffic into the template has its own (TrafficSyncToken), by
	// which rollback --in-flight knows not to cancel it.
	tokenPrefix string

	// Preflight, when not nil, looks at the account before Deploy or Diff
	// changes anything (deletes a failed stack, creates a role or a change
	// set). It is told whether the stack is created and the value each
	// parameter will have. The parameters it returns are added to the
	// given ones (values it chose, such as a default VPC's subnets); its
	// problems are reported with the parameters still missing, all at
	// once, as a *stack.ValidationError. An error stops the deploy.
	Preflight func(ctx context.Context, p Prospect) (*Findings, error)
	// ParameterHints say, by parameter name, how to find the value of a
	// required parameter that is missing; the problem ends with it.
	ParameterHints map[string]string
}

// Prospect is what a deploy is about to do, as Input.Preflight sees it.
type Prospect struct {
	// Create is set when the stack is created: it does not exist, holds
	// only change sets, or is deleted first (ROLLBACK_COMPLETE).
	Create bool
	// Parameters are the values the change set will use: given, kept
	// from the stack on an update, or the template's defaults. A list is
	// comma-separated. A NoEcho value the stack shows as **** is left out,
	// as is a required parameter nobody gave.
	Parameters map[string]string
}

// Findings are what Input.Preflight found.
type Findings struct {
	// Parameters are values to add to Input.Parameters.
	Parameters map[string]string
	// Problems are bad input, keyed as Input.ParameterFlags keys them.
	Problems []stack.Problem
	// Hints replace Input.ParameterHints of the same parameters.
	Hints map[string]string
}

// Fields of Input that Deploy checks, beside those of check.go, as the
// keys of the problems it finds in them.
const (
	FieldDeployTimeout = "DeployTimeout"
	FieldFailFastAfter = "FailFastAfter"
)

// DefaultFailFastAfter is how many tasks must stop for the same
// deterministic cause before FailFast stops a deploy: one could be bad
// luck, two with the same cause are a pattern.
const DefaultFailFastAfter = 2

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
	in, tmpl, err := prepareTemplate(in)
	if err != nil {
		return nil, err
	}
	declared := tmpl.params
	ctx, cancel := bounded(ctx, in.Timeout)
	defer cancel()

	stack, err := d.readyStack(ctx, in.StackName, in.Timeout, "deploying")
	if err != nil {
		return nil, err
	}
	if stack != nil && in.ReadLive != nil {
		if err := in.ReadLive(ctx, &in); err != nil {
			return nil, err
		}
	}
	typ, params, err := changeSetInputs(ctx, &in, stack, declared)
	if err != nil {
		return nil, err
	}
	if stack != nil && string(stack.StackStatus) == statusRollbackComplete {
		if err := d.replaceFailedCreate(ctx, in, stack); err != nil {
			return nil, err
		}
		stack = nil
	}
	if typ == types.ChangeSetTypeUpdate {
		if in, stack, _, err = d.alignLiveState(ctx, in, stack, params, false); err != nil {
			return nil, err
		}
	}
	// A CREATE change set for a stack that does not exist makes a
	// REVIEW_IN_PROGRESS stack, which is this run's to clean up.
	ownStack := stack == nil
	roleCreated, warnings, steps, err := d.ensureServiceLinkedRoles(ctx, in, tmpl.types, typ == types.ChangeSetTypeCreate)
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
	for _, check := range []func(Plan) error{in.guardPlan, in.CheckPlan} {
		if check == nil {
			continue
		}
		if err := check(cs.Plan); err != nil {
			return nil, d.abandonChangeSet(ctx, err, cs, in.StackName, ownStack, in.Timeout)
		}
	}
	if err := d.guardReplacements(ctx, in, cs.Plan); err != nil {
		return nil, d.abandonChangeSet(ctx, err, cs, in.StackName, ownStack, in.Timeout)
	}
	if err := d.awaitRole(ctx, in.StackName, roleCreated); err != nil {
		return nil, d.abandonChangeSet(ctx, ctx.Err(), cs, in.StackName, ownStack, in.Timeout)
	}
	return d.execute(ctx, in, cs, stack, ownStack, res, tmpl.logStreamPrefix)
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

// execute runs the change set and, unless NoWait, follows it to the end,
// watching the ECS service (its containers log under logPrefix) meanwhile.
func (d *Deployer) execute(ctx context.Context, in Input, cs *changeSet, before *types.Stack, ownStack bool, res *Result, logPrefix string) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, d.abandonChangeSet(ctx, err, cs, in.StackName, ownStack, in.Timeout)
	}
	// The token is stamped on every event this execution causes; see
	// eventFilter. The SDK retries the call with the same token, which
	// makes a retry after a lost answer harmless.
	prefix := in.tokenPrefix
	if prefix == "" {
		prefix = "cfnfargate-exec"
	}
	token := newName(prefix)
	started := time.Now()
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
		// status prints once and returns: it checks, it does not follow.
		res.NextSteps = append(res.NextSteps, stackRef{in.StackName, cs.StackID}.step("check on it", StepStatus))
		if in.TerminationProtection {
			d.protect(ctx, res)
		}
		return res, nil
	}

	w := d.newWaiter(in.StackName, cs.StackID, operation, eventFilter{tokens: map[string]bool{token: true}, since: cs.Created})
	w.before = before
	w.timing = in.Timing
	w.svc = d.newServiceWatch(in.StackName, cs.StackID, started, logPrefix, in)
	if in.DeployTimeout > 0 {
		w.deadline = started.Add(in.DeployTimeout)
	}
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
	if errors.Is(err, errFailFast) || errors.Is(err, errDeployTimeout) {
		by := StopFailFast
		if errors.Is(err, errDeployTimeout) {
			by = StopDeployTimeout
		}
		err = d.stopEarly(ctx, w, operation, in, by)
		w.end()
		if err != nil {
			return nil, err
		}
		return w.last, nil
	}
	// Only an interruption that stopped the wait counts: one that came
	// after the stack settled changes nothing.
	if err != nil && interrupted(ctx) && operation == "update" {
		w.svc.stop()
		err = d.cancelUpdate(ctx, w, in)
		w.end()
		if err != nil {
			return nil, err
		}
		return w.last, nil
	}
	// The facts still on their way are reported before the wait's end.
	w.svc.stop()
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
		if hint, steps, ok := placementRollbackAdvice(w.ref(), status, w.events); ok {
			ie.Hint, ie.Steps = hint, steps
		}
	}
	return ie
}

// placementRollbackAdvice is the way out of an update whose rollback
// failed because ECS refused the service's previous capacity provider
// strategy: "When switching from launch type to capacity provider strategy
// on an existing service, or making a change to a capacity provider
// strategy on a service that is already using one, you must force a new
// deployment" (UpdateService's InvalidParameterException, aws-cdk #34631),
// and CloudFormation's rollback sends the previous template, which forced
// none (review of issue 18, item 4). Only ContinueUpdateRollback with the
// service among ResourcesToSkip ends such a rollback ("You can specify
// only resources that are in the UPDATE_FAILED state because a rollback
// failed", CloudFormation API reference, ContinueUpdateRollback). The
// service then keeps the new placement while the stack's template says
// the old one: a deploy with the new placement forces the deployment ECS
// needs, as its nonce differs from the template's. It reports false for
// any other failure.
func placementRollbackAdvice(ref stackRef, status string, events []ResourceEvent) (string, []Step, bool) {
	if status != "UPDATE_ROLLBACK_FAILED" {
		return "", nil, false
	}
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		if e.ResourceType == serviceType && e.Status == "UPDATE_FAILED" && containsFold(e.Reason, "force a new deployment") {
			hint := fmt.Sprintf("CloudFormation could not put service %s back on its previous placement: ECS changes a capacity provider strategy only with a forced deployment, which the rollback does not send. "+
				"Finish the rollback skipping the service, which then keeps the new placement while the stack's template says the old one; then deploy with the new placement (it forces the deployment ECS needs), and change the placement from there", e.LogicalID)
			return hint, []Step{
				ref.awsStep("finish the rollback, skipping the service", "cloudformation", "continue-update-rollback", "--stack-name", ref.name, "--resources-to-skip", e.LogicalID),
				ref.step("then deploy again, with the new placement", StepDeploy),
			}, true
		}
	}
	return "", nil, false
}

// stopEarly stops an operation that fail-fast or the deploy timeout (by)
// ended. An update is cancelled and its rollback followed; it returns nil
// if the update completed before the cancel took effect, the deploy having
// succeeded after all. A create cannot be cancelled (CancelUpdateStack
// takes only a stack in UPDATE_IN_PROGRESS: CloudFormation API reference),
// so it is left running and the error says what happens next.
func (d *Deployer) stopEarly(ctx context.Context, w *waiter, operation string, in Input, by string) error {
	verdict := w.svc.result()
	why := "the deploy timeout passed"
	if by == StopFailFast {
		why = "tasks of the new deployment keep stopping for the same cause"
		if t := w.svc.tripped; t != nil {
			why = fmt.Sprintf("%d tasks of the new deployment stopped because %s", t.Count, t.Cause.Summary)
		}
	}
	fe := &FailedError{Stack: in.StackName, StackID: w.stackID, Operation: operation, StoppedBy: by, Service: verdict}
	if operation != "update" {
		fe.Status = w.status()
		d.note(in.StackName, "Stopped waiting: %s; CloudFormation cannot cancel a create", why)
		fe.Hint = "CloudFormation carries on with the create until ECS's circuit breaker fails the service; it then rolls " +
			"the stack back, and the next deploy deletes it and creates it again. To stop it sooner, delete the stack " +
			"(the delete waits for the create to end)"
		ref := w.ref()
		fe.Steps = []Step{ref.step("check on it", StepStatus), ref.step("delete it", StepDelete)}
		return fe
	}
	d.note(in.StackName, "Stopping the update of stack %s: %s; cancelling it and waiting for the rollback", in.StackName, why)
	w.deadline = time.Time{}
	token := newName("cfnfargate-cancel")
	if _, err := d.API.CancelUpdateStack(ctx, &cloudformation.CancelUpdateStackInput{
		StackName: aws.String(w.stackID), ClientRequestToken: aws.String(token),
	}); err != nil {
		d.note(in.StackName, "Could not cancel the update: %s", briefly(err))
	}
	w.filter.tokens[token] = true
	if err := w.wait(ctx); err != nil {
		if ctx.Err() != nil {
			ref := w.ref()
			return stopped(ctx, ref, w.status(), in.Timeout, "the update was being cancelled and rolled back",
				ref.step("check on it", StepStatus))
		}
		return fmt.Errorf("wait for stack %s: %w", in.StackName, err)
	}
	fe.Status = w.status()
	if fe.Status == statusUpdateComplete {
		d.note(in.StackName, "The update of stack %s completed before it could be cancelled", in.StackName)
		return nil
	}
	if hint, steps, ok := placementRollbackAdvice(w.ref(), fe.Status, w.events); ok {
		fe.Hint, fe.Steps = "The stack is now "+fe.Status+": "+hint, steps
	}
	return fe
}

// failure builds the error for an operation that settled in a failed state,
// with what the service watch found.
func failure(stack, operation string, w *waiter) error {
	fe := &FailedError{Stack: stack, StackID: w.stackID, Operation: operation, Status: w.status(), Service: w.svc.result()}
	if hint, steps, ok := placementRollbackAdvice(w.ref(), fe.Status, w.events); ok {
		fe.Hint, fe.Steps = "The stack is now "+fe.Status+": "+hint, steps
	}
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
func changeSetInputs(ctx context.Context, in *Input, st *types.Stack, declared []templateParameter) (types.ChangeSetType, []types.Parameter, error) {
	typ, previous, err := changeSetType(in.StackName, st)
	if err != nil {
		return "", nil, err
	}
	var found []stack.Problem
	hints := in.ParameterHints
	if in.Preflight != nil {
		f, err := in.Preflight(ctx, prospect(*in, st, previous, declared))
		if err != nil {
			return "", nil, err
		}
		if f != nil {
			if len(f.Parameters) > 0 {
				given := maps.Clone(in.Parameters)
				if given == nil {
					given = map[string]string{}
				}
				maps.Copy(given, f.Parameters)
				in.Parameters = given
			}
			found = f.Problems
			if len(f.Hints) > 0 {
				hints = maps.Clone(hints)
				if hints == nil {
					hints = map[string]string{}
				}
				maps.Copy(hints, f.Hints)
			}
		}
	}
	params, problems := resolveParameters(declared, in.Parameters, previous, in.ParameterFlags)
	for i, p := range problems {
		if hint := hints[missingParameter(p, in.ParameterFlags)]; hint != "" {
			problems[i].Message += "; " + hint
		}
	}
	check := Check{problems: append(problems, found...)}
	if err := check.Err(); err != nil {
		return "", nil, err
	}
	return typ, params, nil
}

// prospect is what Input.Preflight is told: whether the stack is created,
// and each parameter's value (previous names the stack's current
// parameters on an update).
func prospect(in Input, st *types.Stack, previous map[string]bool, declared []templateParameter) Prospect {
	p := Prospect{Create: previous == nil, Parameters: map[string]string{}}
	current := map[string]string{}
	if st != nil {
		for _, sp := range st.Parameters {
			current[aws.ToString(sp.ParameterKey)] = aws.ToString(sp.ParameterValue)
		}
	}
	for _, d := range declared {
		value, ok := in.Parameters[d.Name]
		if !ok && previous[d.Name] {
			value, ok = current[d.Name], current[d.Name] != masked
			if ok && d.List {
				// moto shows a list as a Python list, ['a', 'b'].
				value = strings.Join(listItems(value), ",")
			}
		}
		if !ok && d.HasDefault {
			value, ok = d.Default, true
		}
		if ok {
			p.Parameters[d.Name] = value
		}
	}
	return p
}

// missingParameter is the parameter a problem of resolveParameters says is
// missing, or "".
func missingParameter(p stack.Problem, flags map[string]string) string {
	for name, label := range flags {
		if label == p.Key && strings.HasPrefix(p.Message, "parameter "+name+" is required") {
			return name
		}
	}
	if name, ok := strings.CutPrefix(p.Key, FieldParameters+"."); ok {
		return name
	}
	return ""
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
	in, t, err := prepareTemplate(in)
	return in, t.params, err
}

// parsedTemplate is what the Deployer needs to know of the template. The
// body is parsed once, by prepareTemplate.
type parsedTemplate struct {
	params []templateParameter
	// types are the resource types it declares, for the service-linked
	// roles.
	types map[string]bool
	// logStreamPrefix is the awslogs-stream-prefix of its containers, for
	// the watcher to find their log streams; "" if none.
	logStreamPrefix string
}

// prepareTemplate checks the input, fills in defaults (the capabilities
// the template needs, when the caller gave none) and reads the template,
// all before any API call.
func prepareTemplate(in Input) (Input, parsedTemplate, error) {
	var check Check
	check.StackName(FieldStackName, in.StackName)
	check.TemplateBody(in.TemplateBody)
	check.RoleARN(FieldRoleARN, in.RoleARN)
	if in.Timeout == 0 {
		in.Timeout = DefaultTimeout
	}
	check.Timeout(FieldTimeout, in.Timeout)
	if in.DeployTimeout != 0 {
		check.Timeout(FieldDeployTimeout, in.DeployTimeout)
	}
	if in.FailFastAfter < 0 {
		check.Add(FieldFailFastAfter, "must be 1 or more, not %d", in.FailFastAfter)
	}
	if in.FailFastAfter == 0 {
		in.FailFastAfter = DefaultFailFastAfter
	}
	var t parsedTemplate
	if in.TemplateBody != "" {
		var doc yaml.Node
		err := yaml.Unmarshal([]byte(in.TemplateBody), &doc)
		if err == nil {
			t.params, err = parametersOf(&doc)
		} else {
			err = fmt.Errorf("the template is not valid YAML or JSON: %w", err)
		}
		if err != nil {
			check.Add("", "%v", err)
		} else {
			t.types = resourceTypesOf(&doc)
			t.logStreamPrefix = logStreamPrefixOf(&doc)
			if in.Capabilities == nil {
				in.Capabilities = capabilitiesOf(&doc)
			}
		}
	}
	return in, t, check.Err()
}

// capabilitiesOf returns the capabilities CloudFormation needs to create
// a parsed template's resources, by the rule of stack.Capabilities:
// CAPABILITY_IAM for IAM resources, CAPABILITY_NAMED_IAM when one of them
// has a fixed name (CloudFormation API reference, CreateChangeSet,
// Capabilities).
func capabilitiesOf(doc *yaml.Node) []string {
	iam, named := false, false
	for _, r := range resourcesOf(doc) {
		typ := mappingValue(r, "Type")
		if typ == nil || !strings.HasPrefix(typ.Value, "AWS::IAM::") {
			continue
		}
		iam = true
		if props := mappingValue(r, "Properties"); props != nil {
			for _, key := range []string{"RoleName", "UserName", "GroupName", "ManagedPolicyName", "InstanceProfileName"} {
				if mappingValue(props, key) != nil {
					named = true
				}
			}
		}
	}
	switch {
	case named:
		return []string{"CAPABILITY_NAMED_IAM"}
	case iam:
		return []string{"CAPABILITY_IAM"}
	}
	return nil
}

// logStreamPrefixOf returns the awslogs-stream-prefix of the first
// container of the first task definition that sets one as a plain string.
func logStreamPrefixOf(doc *yaml.Node) string {
	for _, r := range resourcesOf(doc) {
		if typ := mappingValue(r, "Type"); typ == nil || typ.Value != taskDefType {
			continue
		}
		defs := mappingValue(mappingValue(r, "Properties"), "ContainerDefinitions")
		if defs == nil || defs.Kind != yaml.SequenceNode {
			continue
		}
		for _, c := range defs.Content {
			opts := mappingValue(mappingValue(c, "LogConfiguration"), "Options")
			if p := mappingValue(opts, "awslogs-stream-prefix"); p != nil && p.Kind == yaml.ScalarNode && strings.HasPrefix(p.Tag, "!!") {
				return p.Value
			}
		}
	}
	return ""
}

// resourcesOf returns the resource definitions of a parsed template.
func resourcesOf(doc *yaml.Node) []*yaml.Node {
	if len(doc.Content) == 0 {
		return nil
	}
	section := mappingValue(doc.Content[0], "Resources")
	if section == nil || section.Kind != yaml.MappingNode {
		return nil
	}
	var out []*yaml.Node
	for i := 1; i < len(section.Content); i += 2 {
		out = append(out, section.Content[i])
	}
	return out
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
