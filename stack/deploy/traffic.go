package deploy

import (
	"context"
	"fmt"
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
// weights, and the rule as the new template has it, in an update that
// changes nothing else (syncRules). The real change set then does not
// modify the rule, and neither does its rollback; trafficGuard refuses one
// that still would.

// alignLiveState writes into in.TemplateBody what the live stack holds
// (Input.KeepWeights, Input.ForcePlacement), and unless dryRun runs the
// update that writes the live weights into the stack's own template first.
// It returns the input to deploy and the stack as it then is; sync reports
// whether an update of the rules ran (or, with dryRun, would run).
func (d *Deployer) alignLiveState(ctx context.Context, in Input, st *types.Stack, params []types.Parameter, dryRun bool) (_ Input, _ *types.Stack, sync []string, _ error) {
	if len(in.KeepWeights) == 0 && !in.ForcePlacement {
		return in, st, nil, nil
	}
	body, err := d.currentTemplate(ctx, st)
	if err != nil {
		return in, st, nil, err
	}
	deployed, err := parseTree(body)
	if err != nil {
		return in, st, nil, fmt.Errorf("the template of stack %s: %w", in.StackName, err)
	}
	next, err := parseTree(in.TemplateBody)
	if err != nil {
		return in, st, nil, err
	}
	nextChanged := false
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
			d.note(in.StackName, "The service's placement changes (%s, was %s): the update forces a new ECS deployment, as ECS requires for it", after, before)
		}
	}
	if len(in.KeepWeights) > 0 {
		if next.setWeights(in.KeepWeights) {
			nextChanged = true
		}
		rules := deployed.weightedRules(in.KeepWeights)
		sync = syncRules(deployed, next, rules, in.KeepWeights, st, params)
		in.guardPlan = trafficGuard(in.StackName, rules)
	}
	if nextChanged {
		if in.TemplateBody, err = next.String(); err != nil {
			return in, st, nil, err
		}
	}
	if len(sync) == 0 {
		return in, st, nil, nil
	}
	split := weightsText(in.KeepWeights)
	if dryRun {
		d.note(in.StackName, "Deploy first writes the live traffic (%s) into stack %s's template, in an update of listener rule %s alone; the plan below is the change set that follows it", split, in.StackName, strings.Join(sync, ", "))
		return in, st, sync, nil
	}
	d.note(in.StackName, "The live traffic is %s, which stack %s's template does not say (ECS moves it): first an update of listener rule %s alone writes it into the template, so that a failed deploy cannot set the traffic back",
		split, in.StackName, strings.Join(sync, ", "))
	synced, err := deployed.String()
	if err != nil {
		return in, st, nil, err
	}
	if err := d.syncRules(ctx, in, st, synced, sync); err != nil {
		return in, st, nil, err
	}
	st, err = d.describe(ctx, in.StackName, in.Timeout)
	if err == nil && st == nil {
		err = fmt.Errorf("stack %s: %w", in.StackName, ErrStackNotFound)
	}
	return in, st, sync, err
}

// syncRules makes the deployed template's rules (of rules) what the next
// template makes them, with the live weights: the whole rule when it
// refers only to what the deployed template declares, with the parameter
// values the update keeps (so that its hosts, paths or priority may change
// too), else its weights alone. It returns the rules it changed.
func syncRules(deployed, next *templateTree, rules []string, weights map[string]int, st *types.Stack, params []types.Parameter) []string {
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
		return ok && (aws.ToBool(p.UsePreviousValue) || current[name] != "****" && aws.ToString(p.ParameterValue) == current[name])
	}
	before := map[string]string{}
	for _, id := range rules {
		before[id] = nodeText(deployed.resource(id))
		want := next.resource(id)
		if want == nil || nodeText(mappingValue(want, "Type")) != nodeText(mappingValue(deployed.resource(id), "Type")) {
			continue
		}
		if names, ok := references(want); ok && !slices.ContainsFunc(names, func(n string) bool { return !keeps(n) }) {
			deployed.replaceResource(id, want)
		}
	}
	deployed.setWeights(weights)
	var changed []string
	for _, id := range rules {
		if nodeText(deployed.resource(id)) != before[id] {
			changed = append(changed, id)
		}
	}
	return changed
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

// syncRules updates the stack to body, its own template with only the
// listener rules in rules changed, with every parameter as it is. A plan
// that changes anything else is deleted unexecuted.
func (d *Deployer) syncRules(ctx context.Context, in Input, st *types.Stack, body string, rules []string) error {
	sync := Input{StackName: in.StackName, TemplateBody: body, Parameters: map[string]string{}, Tags: map[string]string{},
		RoleARN: aws.ToString(st.RoleARN), Timeout: in.Timeout}
	// Sent as DescribeStacks reports them, as scale does (moto fails
	// UsePreviousValue on a List parameter); a NoEcho value, masked, is
	// left to UsePreviousValue.
	for _, p := range st.Parameters {
		if v := aws.ToString(p.ParameterValue); v != "****" {
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
				return fmt.Errorf("stack %s: the update that writes the live traffic into the template would also %s %s (%s); nothing was changed",
					in.StackName, strings.ToLower(c.Action), c.LogicalID, c.ResourceType)
			}
		}
		if len(p.Parameters) > 0 {
			return fmt.Errorf("stack %s: the update that writes the live traffic into the template would also change parameter %s; nothing was changed", in.StackName, p.Parameters[0].Key)
		}
		return nil
	}
	if _, err := d.Deploy(ctx, sync); err != nil {
		return &TrafficSyncError{Stack: in.StackName, Err: err}
	}
	return nil
}

// TrafficSyncError is a failure of the update that writes a blue/green
// service's live traffic into its stack's template before a deploy; the
// deploy itself did not start.
type TrafficSyncError struct {
	Stack string
	Err   error
}

func (e *TrafficSyncError) Error() string {
	return fmt.Sprintf("stack %s: the update that writes the live traffic into the template, before the deploy, failed; the deploy did not start: %v", e.Stack, e.Err)
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
