package deploy

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"gopkg.in/yaml.v3"
)

// A blue/green service's traffic across a failed update.
//
// ECS swaps the roles of the two target groups on every deployment: it
// registers the new tasks with the group that is not serving production,
// and moves the production listener rule's weights to it ("The two target
// groups swap roles on every deployment", ECS developer guide, "Application
// Load Balancer resources for blue/green, linear, and canary
// deployments"). After a successful deployment the live weights are thus
// the opposite of those the stack's template holds. A stack update that
// fails, or is cancelled, sets every resource it modified back to the
// previous template (CloudFormation User Guide, "Stack status codes",
// UPDATE_ROLLBACK_IN_PROGRESS), the listener rule included: a change set
// that modifies the rule would, on rollback, send all traffic to the group
// ECS just deployed the unapproved tasks into, or to an empty one (HTTP
// 503), until the service's own rollback deploys again (review 2, F4).
//
// So a deploy first makes the stack's stored template carry the live
// weights, and the rule as the new template has it, in updates that change
// nothing else (planSync). The real change set then does not modify the
// rule, and neither does its rollback; trafficGuard refuses one that still
// would.
//
// Those updates must not roll back either: a rollback of the first one puts
// the stale weights back (review of issue 18, item 1). So the weights go
// first, on their own, in an update whose rule equals the live rule (the
// conditions CloudFormation last wrote, the weights ECS set), which ELB has
// no reason to refuse; and that update is never cancelled, a Ctrl-C
// included: it runs to its end and the deploy stops after it. Only then
// does a second update give the rule the new template's hosts, paths and
// priority, which ELB may refuse: its rollback restores the first one's
// rule, with the live weights. ExecuteChangeSet's DisableRollback would not
// help the first: "Update and change set operations set to Preserve
// successfully provisioned resources preserves the state of successful
// resources while rolling back failed resources to the last known stable
// state" (CloudFormation User Guide, "Stack failure options"), and the rule
// is the resource that fails.

// TrafficSyncToken starts the ClientRequestToken of the updates that write
// the live traffic into a stack's template before a deploy: CloudFormation
// stamps it on every event of the operation ("All events triggered by a
// given stack operation are assigned the same client request token",
// CloudFormation API reference, ExecuteChangeSet).
const TrafficSyncToken = "cfnfargate-traffic"

// liveAlignment is what alignLiveState did, or for a dry run would do.
type liveAlignment struct {
	// synced lists the listener rules that updates before the deploy
	// write.
	synced []string
	// residual lists the weighted rules that the deploy's own change set
	// still modifies after them: a rule that refers to what the update
	// changes (a condition, or a parameter given a new value) takes only
	// its weights first.
	residual []string
}

// syncStep is one update of a stack's listener rules before a deploy.
type syncStep struct {
	body  string
	rules []string
	// weightsOnly is the first: the live weights, and nothing else.
	weightsOnly bool
}

// alignLiveState writes into in.TemplateBody what the live stack holds
// (Input.KeepWeights, Input.ForcePlacement), and unless dryRun runs the
// updates that write the live weights into the stack's own template first.
// It returns the input to deploy and the stack as it then is.
func (d *Deployer) alignLiveState(ctx context.Context, in Input, st *types.Stack, params []types.Parameter, dryRun bool) (_ Input, _ *types.Stack, _ liveAlignment, err error) {
	var a liveAlignment
	if len(in.KeepWeights) == 0 && !in.ForcePlacement && !in.OffStates {
		return in, st, a, nil
	}
	body, err := d.currentTemplate(ctx, st)
	if err != nil {
		return in, st, a, err
	}
	deployed, err := parseTree(body)
	if err != nil {
		return in, st, a, fmt.Errorf("the template of stack %s: %w", in.StackName, err)
	}
	next, err := parseTree(in.TemplateBody)
	if err != nil {
		return in, st, a, err
	}
	nextChanged := false
	if in.OffStates && next.setOffStates() {
		nextChanged = true
	}
	if in.ForcePlacement {
		// ECS refuses a change of the capacity provider strategy without a
		// forced deployment (UpdateService, InvalidParameterException), and
		// CloudFormation forces one on every update of the service while
		// EnableForceNewDeployment is true, a change of the desired count
		// alone included, which for a blue/green service is a full
		// deployment with its bake and its gate (review 2, F6). The nonce
		// names the placement: a deployment is forced only when it changes.
		before, hadNonce := deployed.forceNonce()
		after, hasNonce := next.forceNonce()
		force := hadNonce && hasNonce && before != after
		if next.setForce(force) {
			nextChanged = true
		}
		if force {
			d.note(in.StackName, "The service's placement changes (%s, was %s): the update forces a new ECS deployment, as ECS requires for it. "+
				"If the update fails after ECS started that deployment, CloudFormation's rollback sends the old placement without forcing one, which ECS refuses: "+
				"the stack would end UPDATE_ROLLBACK_FAILED, and the way out is to continue the rollback skipping the service", after, before)
		}
	}
	var steps []syncStep
	if len(in.KeepWeights) > 0 {
		if err := servingGroupKept(in.StackName, next, in.KeepWeights); err != nil {
			return in, st, a, err
		}
		if next.setWeights(in.KeepWeights) {
			nextChanged = true
		}
		rules := deployed.weightedRules(in.KeepWeights)
		if steps, a, err = planSync(deployed, next, rules, in.KeepWeights, st, params); err != nil {
			return in, st, a, err
		}
		in.guardPlan = trafficGuard(in.StackName, rules)
	}
	if nextChanged {
		if in.TemplateBody, err = next.String(); err != nil {
			return in, st, a, err
		}
	}
	if len(steps) == 0 {
		return in, st, a, nil
	}
	split := weightsText(in.KeepWeights)
	if dryRun {
		for _, s := range steps {
			if s.weightsOnly {
				d.note(in.StackName, "Deploy first writes the live traffic (%s) into stack %s's template, in an update of listener rule %s alone", split, in.StackName, strings.Join(s.rules, ", "))
			} else {
				d.note(in.StackName, "Deploy first gives listener rule %s of stack %s the new template's hosts, paths and priority, with the live traffic, in an update of the rule alone", strings.Join(s.rules, ", "), in.StackName)
			}
		}
		d.note(in.StackName, "The plan below is the change set that follows")
		return in, st, a, nil
	}
	st, err = d.writeLiveState(ctx, in, st, steps, split)
	return in, st, a, err
}

// planSync plans the updates that make the deployed template's rules (of
// rules) what the next template makes them, with the live weights: first
// the weights alone, then the whole rule when it refers only to what the
// deployed template declares, with the parameter values the update keeps
// (so that its hosts, paths or priority may change too). A rule that
// refers to more keeps its conditions, and the deploy's own change set
// modifies it (liveAlignment.residual).
func planSync(deployed, next *templateTree, rules []string, weights map[string]int, st *types.Stack, params []types.Parameter) ([]syncStep, liveAlignment, error) {
	var a liveAlignment
	current := map[string]string{}
	for _, p := range st.Parameters {
		current[aws.ToString(p.ParameterKey)] = aws.ToString(p.ParameterValue)
	}
	sent := map[string]types.Parameter{}
	for _, p := range params {
		sent[aws.ToString(p.ParameterKey)] = p
	}
	// keeps reports whether name means the same in both updates: a
	// resource of the deployed template, or a parameter whose value the
	// update keeps.
	keeps := func(name string) bool {
		if mappingValue(deployed.section("Parameters"), name) == nil {
			return deployed.resource(name) != nil
		}
		p, ok := sent[name]
		return ok && (aws.ToBool(p.UsePreviousValue) || current[name] != masked && aws.ToString(p.ParameterValue) == current[name])
	}
	weighted := deployed.clone()
	weighted.setWeights(weights)
	whole := weighted.clone()
	for _, id := range rules {
		want := next.resource(id)
		if want == nil || nodeText(mappingValue(want, "Type")) != nodeText(mappingValue(deployed.resource(id), "Type")) {
			continue
		}
		if names, ok := references(want); ok && !slices.ContainsFunc(names, func(n string) bool { return !keeps(n) }) {
			whole.replaceResource(id, want)
		}
	}
	whole.setWeights(weights)
	var weightRules, ruleRules []string
	for _, id := range rules {
		if !sameResource(weighted.resource(id), deployed.resource(id)) {
			weightRules = append(weightRules, id)
		}
		if !sameResource(whole.resource(id), weighted.resource(id)) {
			ruleRules = append(ruleRules, id)
		}
		if want := next.resource(id); want != nil && !sameResource(whole.resource(id), want) {
			a.residual = append(a.residual, id)
		}
	}
	var steps []syncStep
	for _, s := range []struct {
		tree        *templateTree
		rules       []string
		weightsOnly bool
	}{{weighted, weightRules, true}, {whole, ruleRules, false}} {
		if len(s.rules) == 0 {
			continue
		}
		body, err := s.tree.String()
		if err != nil {
			return nil, a, err
		}
		steps = append(steps, syncStep{body: body, rules: s.rules, weightsOnly: s.weightsOnly})
		for _, id := range s.rules {
			if !slices.Contains(a.synced, id) {
				a.synced = append(a.synced, id)
			}
		}
	}
	return steps, a, nil
}

// writeLiveState runs the updates of steps. Cancelled, the first would roll
// back, and its rollback set the rule back to the stored template's
// weights, the stale ones it replaces (CloudFormation API reference,
// CancelUpdateStack: "the stack rolls back the update and reverts to the
// previous stack configuration"). So they run to their end whatever ctx
// says, on a context of their own with the deploy's timeout, and when ctx
// ended meanwhile the deploy stops after them: nothing else starts.
func (d *Deployer) writeLiveState(ctx context.Context, in Input, st *types.Stack, steps []syncStep, split string) (*types.Stack, error) {
	syncCtx, cancel := bounded(context.WithoutCancel(ctx), in.Timeout)
	defer cancel()
	for i, s := range steps {
		if i > 0 && ctx.Err() != nil {
			break
		}
		if s.weightsOnly {
			d.note(in.StackName, "The live traffic is %s, which stack %s's template does not say (ECS moves it): first an update of listener rule %s alone writes it into the template, so that a failed deploy cannot set the traffic back. It runs to its end even if interrupted, as its rollback would set the traffic back",
				split, in.StackName, strings.Join(s.rules, ", "))
		} else {
			d.note(in.StackName, "Then an update of listener rule %s alone gives it the new template's hosts, paths and priority, with the live traffic, so that the deploy's change set does not modify it",
				strings.Join(s.rules, ", "))
		}
		if err := d.syncRules(syncCtx, in, st, s); err != nil {
			return st, err
		}
		next, err := d.describe(syncCtx, in.StackName, in.Timeout)
		if err == nil && next == nil {
			err = fmt.Errorf("stack %s: %w", in.StackName, ErrStackNotFound)
		}
		if err != nil {
			return st, err
		}
		st = next
	}
	if ctx.Err() != nil {
		d.note(in.StackName, "Stopping here: the live traffic is in stack %s's template, and the deploy's own update did not start", in.StackName)
		return st, stopped(ctx, refOf(in.StackName, st), string(st.StackStatus), in.Timeout,
			"the live traffic was written into the stack's template first (that update runs to its end, as its rollback would set the traffic back); the deploy's own update did not start")
	}
	return st, nil
}

// clone is a deep copy of the template.
func (t *templateTree) clone() *templateTree { return &templateTree{doc: *deepCopy(&t.doc)} }

// servingGroupKept refuses an update whose template no longer declares a
// target group that serves traffic (by logical ID, in weights): a switch
// back to rolling, by deploy or by rollback to a rolling release, deletes
// the alternate target group, while the rule keeps sending it traffic
// until the update's clean-up deletes the rule too, and the rolling
// deployment puts the new tasks in the other group and stops those in
// the alternate: HTTP 503 meanwhile (review of issue 18, item 3).
func servingGroupKept(stackName string, next *templateTree, weights map[string]int) error {
	for _, id := range slices.Sorted(maps.Keys(weights)) {
		if weights[id] > 0 && next.resource(id) == nil {
			return &StrategySwitchError{Stack: stackName, Split: percentText(weights)}
		}
	}
	return nil
}

// percentText is "TargetGroup 0% / TargetGroupAlternate 100%", as
// Traffic.Split writes a split.
func percentText(weights map[string]int) string {
	t := Traffic{}
	for _, id := range slices.Sorted(maps.Keys(weights)) {
		t.Targets = append(t.Targets, TargetWeight{LogicalID: id, Weight: weights[id]})
	}
	return t.Split()
}

// nodeText writes a node as YAML, to compare two.
func nodeText(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	out, err := yaml.Marshal(n)
	if err != nil {
		return ""
	}
	return string(out)
}

// currentTemplate reads the template the stack runs, as it was submitted.
func (d *Deployer) currentTemplate(ctx context.Context, st *types.Stack) (string, error) {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := d.API.GetTemplate(cctx, &cloudformation.GetTemplateInput{StackName: st.StackId, TemplateStage: types.TemplateStageOriginal})
	if err != nil {
		return "", fmt.Errorf("read the template of stack %s: %w", aws.ToString(st.StackName), readable(err))
	}
	return aws.ToString(out.TemplateBody), nil
}

// syncRules runs step: it updates the stack to its body, the stack's own
// template with only the listener rules of the step changed, with every
// parameter as it is. A plan that changes anything else is deleted
// unexecuted.
func (d *Deployer) syncRules(ctx context.Context, in Input, st *types.Stack, step syncStep) error {
	rules := step.rules
	sync := Input{StackName: in.StackName, TemplateBody: step.body, Parameters: map[string]string{}, Tags: map[string]string{},
		RoleARN: aws.ToString(st.RoleARN), Timeout: in.Timeout, tokenPrefix: TrafficSyncToken}
	// Sent as DescribeStacks reports them, as scale does (moto fails
	// UsePreviousValue on a List parameter); a NoEcho value, masked, is
	// left to UsePreviousValue.
	for _, p := range st.Parameters {
		if v := aws.ToString(p.ParameterValue); v != masked {
			sync.Parameters[aws.ToString(p.ParameterKey)] = v
		}
	}
	for _, c := range st.Capabilities {
		sync.Capabilities = append(sync.Capabilities, string(c))
	}
	for _, t := range st.Tags {
		sync.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	sync.guardPlan = func(p Plan) error {
		for _, c := range p.Changes {
			if types.ChangeAction(c.Action) != types.ChangeActionModify || !slices.Contains(rules, c.LogicalID) {
				return fmt.Errorf("stack %s: the update of the listener rules before the deploy would also %s %s (%s); nothing was changed",
					in.StackName, strings.ToLower(c.Action), c.LogicalID, c.ResourceType)
			}
		}
		if len(p.Parameters) > 0 {
			return fmt.Errorf("stack %s: the update of the listener rules before the deploy would also change parameter %s; nothing was changed", in.StackName, p.Parameters[0].Key)
		}
		return nil
	}
	if _, err := d.Deploy(ctx, sync); err != nil {
		return &TrafficSyncError{Stack: in.StackName, Rules: rules, WeightsOnly: step.weightsOnly, Err: err}
	}
	return nil
}

// TrafficSyncInProgress reports whether CloudFormation is running one of
// the updates that write the live traffic into stack's template before a
// deploy: the newest operation on the stack carries TrafficSyncToken and
// has not ended.
func TrafficSyncInProgress(ctx context.Context, api API, stack string) (bool, error) {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := api.DescribeStackEvents(cctx, &cloudformation.DescribeStackEventsInput{StackName: aws.String(stack)})
	if err != nil {
		return false, fmt.Errorf("read the events of stack %s: %w", stack, readable(err))
	}
	// Newest first: the first event of the stack itself says which
	// operation runs.
	for _, e := range out.StackEvents {
		if aws.ToString(e.ResourceType) != "AWS::CloudFormation::Stack" {
			continue
		}
		return e.ResourceStatus == types.ResourceStatusUpdateInProgress && strings.HasPrefix(aws.ToString(e.ClientRequestToken), TrafficSyncToken), nil
	}
	return false, nil
}

// TrafficSyncError is a failure of an update of a blue/green service's
// listener rules before a deploy (see planSync); the deploy itself did not
// start.
type TrafficSyncError struct {
	Stack string
	Rules []string
	// WeightsOnly is set for the update that writes the live weights;
	// else it was the one that gives the rules the new template's hosts,
	// paths and priority, whose rollback keeps the live weights.
	WeightsOnly bool
	Err         error
}

func (e *TrafficSyncError) Error() string {
	if e.WeightsOnly {
		return fmt.Sprintf("stack %s: the update that writes the live traffic into the template, before the deploy, failed; the deploy did not start: %v", e.Stack, e.Err)
	}
	return fmt.Sprintf("stack %s: the update that gives listener rule %s the new hosts, paths or priority, before the deploy, failed, and its rollback kept the live traffic; the deploy did not start: %v",
		e.Stack, strings.Join(e.Rules, ", "), e.Err)
}

func (e *TrafficSyncError) Unwrap() error { return e.Err }

// ExitCode is that of the failure.
func (e *TrafficSyncError) ExitCode() int { return ExitCode(e.Err) }

// TrafficRuleError refuses a change set that modifies a blue/green
// service's listener rule together with its ECS service: were the update
// to fail or be cancelled after ECS moved the traffic, CloudFormation
// would set the rule back to the weights it had before, while the service
// too goes back, which can leave the traffic on a target group without
// tasks. Nothing was changed. Exit code 1.
type TrafficRuleError struct {
	Stack string
	Rules []string
}

func (e *TrafficRuleError) Error() string {
	return fmt.Sprintf("stack %s: the change set modifies listener rule %s and the ECS service together; if the update failed after ECS moved the traffic, CloudFormation would set the rule back while the service goes back too, and the traffic could end on a target group without tasks. Nothing was changed: deploy the change of the rule on its own first (with the image and settings the service runs now), then the rest",
		e.Stack, strings.Join(e.Rules, ", "))
}

// ExitCode is ExitFailure.
func (e *TrafficRuleError) ExitCode() int { return ExitFailure }

// trafficGuard is the plan check of a deploy of a blue/green service whose
// rules (by logical ID) ECS moves traffic on: no Modify of one of them
// together with a Modify of the ECS service (review 2, section 7, item 7).
// A plan that replaces or adds a target group is left to the replacement
// guard: its rule must change with it.
func trafficGuard(stackName string, rules []string) func(Plan) error {
	return func(p Plan) error {
		if err := TrafficRisk(p, rules); err != nil {
			err.Stack = stackName
			return err
		}
		return nil
	}
}

// TrafficRisk returns the *TrafficRuleError of a plan that modifies one of
// rules (the logical IDs of a blue/green service's listener rules)
// together with the ECS service, or nil.
func TrafficRisk(p Plan, rules []string) *TrafficRuleError {
	var modified []string
	service := false
	for _, c := range p.Changes {
		action := types.ChangeAction(c.Action)
		switch {
		case c.ResourceType == targetGroupType && (action == types.ChangeActionAdd || action == types.ChangeActionRemove ||
			c.Replacement == string(types.ReplacementTrue) || c.Replacement == string(types.ReplacementConditional)):
			return nil
		case action == types.ChangeActionModify && slices.Contains(rules, c.LogicalID):
			modified = append(modified, c.LogicalID)
		case action == types.ChangeActionModify && c.ResourceType == serviceType:
			service = true
		}
	}
	if !service || len(modified) == 0 {
		return nil
	}
	return &TrafficRuleError{Stack: p.Stack, Rules: modified}
}

// weightsText is "TargetGroup 0 / TargetGroupAlternate 100".
func weightsText(weights map[string]int) string {
	ids := make([]string, 0, len(weights))
	for id := range weights {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprintf("%s %d", id, weights[id])
	}
	return strings.Join(parts, " / ")
}
