package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"

	"github.com/cfnfargate/cfnfargate/stack"
)

// RoutingAPI is the part of the Elastic Load Balancing (v2) API that the
// environment checks use. *elasticloadbalancingv2.Client satisfies it.
type RoutingAPI interface {
	DescribeRules(context.Context, *elbv2.DescribeRulesInput, ...func(*elbv2.Options)) (*elbv2.DescribeRulesOutput, error)
	DescribeTags(context.Context, *elbv2.DescribeTagsInput, ...func(*elbv2.Options)) (*elbv2.DescribeTagsOutput, error)
	DescribeListenerCertificates(context.Context, *elbv2.DescribeListenerCertificatesInput, ...func(*elbv2.Options)) (*elbv2.DescribeListenerCertificatesOutput, error)
	DescribeListeners(context.Context, *elbv2.DescribeListenersInput, ...func(*elbv2.Options)) (*elbv2.DescribeListenersOutput, error)
	DescribeTargetGroups(context.Context, *elbv2.DescribeTargetGroupsInput, ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupsOutput, error)
	DescribeAccountLimits(context.Context, *elbv2.DescribeAccountLimitsInput, ...func(*elbv2.Options)) (*elbv2.DescribeAccountLimitsOutput, error)
}

var _ RoutingAPI = (*elbv2.Client)(nil)

// Quotas of an Application Load Balancer (ELB user guide, "Quotas for your
// Application Load Balancers"): rules per load balancer, counted over all
// its listeners and not counting the default rules; target groups per load
// balancer, over all its listeners (not adjustable); and certificates per
// load balancer, not counting the default certificates. The account's own
// values, where raised, come from DescribeAccountLimits (its names:
// ELB API reference, Limit); these are the defaults.
const (
	QuotaRulesPerLoadBalancer        = 100
	QuotaTargetGroupsPerLoadBalancer = 100
	QuotaCertificatesPerLoadBalancer = 25
	// quotaWarnShare is the share of a quota from which a deploy warns.
	quotaWarnShare = 0.8
)

// ErrEnvironmentNotFound is wrapped when an environment's stack does not
// exist.
var ErrEnvironmentNotFound = errors.New("environment not found")

// EnvironmentOutputs returns the outputs of the environment stack
// envStack, by name: the parameters a service in the environment takes.
// The stack must have been created; an environment that is being updated
// still has its outputs. need are the outputs the service takes: one the
// stack lacks is a *MissingOutputsError.
func (d *Deployer) EnvironmentOutputs(ctx context.Context, envStack string, need ...string) (map[string]string, error) {
	stack, err := d.describe(ctx, envStack, 0)
	if err != nil {
		return nil, err
	}
	if stack == nil {
		return nil, fmt.Errorf("stack %s: %w", envStack, ErrEnvironmentNotFound)
	}
	status := string(stack.StackStatus)
	if strings.HasPrefix(status, "CREATE_") && status != "CREATE_COMPLETE" || strings.HasPrefix(status, "DELETE_") || status == "ROLLBACK_COMPLETE" {
		return nil, fmt.Errorf("environment stack %s is %s: it has no outputs to deploy services with", envStack, status)
	}
	out := map[string]string{}
	for _, o := range stack.Outputs {
		out[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	var missing []string
	for _, name := range need {
		if out[name] == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, &MissingOutputsError{Stack: envStack, Status: status, Missing: missing, None: len(out) == 0}
	}
	return out, nil
}

// MissingOutputsError says that an environment's stack lacks outputs a
// service in it takes as parameters. Exit code 1.
type MissingOutputsError struct {
	Stack, Status string
	Missing       []string
	// None is set when the stack has no outputs at all.
	None bool
}

func (e *MissingOutputsError) Error() string {
	if e.None {
		return fmt.Sprintf("environment stack %s (%s) has no outputs, and a service in it takes %s from them; it is not an environment of this cfnfargate, or its outputs were never written: deploy the environment again",
			e.Stack, e.Status, strings.Join(e.Missing, ", "))
	}
	return fmt.Sprintf("environment stack %s (%s) has no output %s, which a service in it takes; it was made by an earlier cfnfargate, or by hand: deploy the environment again",
		e.Stack, e.Status, strings.Join(e.Missing, ", "))
}

// ExitCode is ExitFailure.
func (e *MissingOutputsError) ExitCode() int { return ExitFailure }

// Route is a service's listener rule as a deploy is about to set it.
type Route struct {
	ListenerArn string
	// Priority is the priority asked for (--priority); zero lets CheckRoute
	// choose: the service's own rule's on an update, else the first free
	// one of Band, starting at Start and going round.
	Priority int
	Band     [2]int
	Start    int
	// StackName is the service's stack, its identity in the environment:
	// a rule it already owns keeps its priority.
	StackName string
	// TemplateBody is the service's template, for the target groups it
	// adds to the load balancer.
	TemplateBody string
}

// RouteCheck is what CheckRoute found.
type RouteCheck struct {
	Warnings []string
	// Rules are the rules of the load balancer, on all its listeners,
	// without the default ones.
	Rules int
	// Priority is the rule's priority: the one asked for, the service's
	// own rule's (Kept), or the first free one.
	Priority int
	Kept     bool
}

// CheckRoute checks, before anything changes, that the service's rule can
// be made: it chooses the rule's priority (Route.Priority), which must be
// free on the listener or already the service's own (ELB refuses a second
// rule with a priority: PriorityInUse, CreateRule); and it refuses a
// service that would take the load balancer past its quota of rules or of
// target groups (a *QuotaError), and warns near one.
func (d *Deployer) CheckRoute(ctx context.Context, elb RoutingAPI, r Route) (*RouteCheck, error) {
	if r.ListenerArn == "" {
		return nil, errors.New("the environment's listener is unknown")
	}
	located, err := Locate(ctx, d.API, r.StackName)
	if err != nil && !errors.Is(err, ErrStackNotFound) {
		return nil, err
	}
	own := located.ListenerRuleARN
	rules, err := listenerRules(ctx, elb, r.ListenerArn)
	if err != nil {
		return nil, err
	}
	check := &RouteCheck{}
	if err := d.choosePriority(ctx, elb, r, own, rules, check); err != nil {
		return nil, err
	}

	// The quotas are the load balancer's, over all its listeners.
	lb, err := listenerLoadBalancer(ctx, elb, r.ListenerArn)
	if err != nil {
		return nil, err
	}
	limits := accountLimits(ctx, elb)
	all, err := loadBalancerRules(ctx, elb, lb)
	if err != nil {
		return nil, err
	}
	for _, rule := range all {
		if !rule.isDefault {
			check.Rules++
		}
	}
	newRules := check.Rules
	if own == "" {
		newRules++
	}
	maxRules := limits.value("rules-per-application-load-balancer", QuotaRulesPerLoadBalancer)
	if newRules > maxRules {
		return nil, &QuotaError{Quota: "rules per Application Load Balancer", Max: maxRules, Used: check.Rules, Adding: newRules - check.Rules}
	}
	if float64(newRules) >= quotaWarnShare*float64(maxRules) {
		check.Warnings = append(check.Warnings, fmt.Sprintf(
			"the environment's load balancer will have %d listener rules of the %d it may have (ELB quotas: rules per Application Load Balancer, over all its listeners); ask for more in Service Quotas before it runs out",
			newRules, maxRules))
	}
	groups, err := loadBalancerTargetGroups(ctx, elb, lb)
	if err != nil {
		return nil, err
	}
	adding := newTargetGroups(r.TemplateBody, located.TargetGroupARNs, groups)
	maxGroups := limits.value("target-groups-per-application-load-balancer", QuotaTargetGroupsPerLoadBalancer)
	if len(groups)+adding > maxGroups {
		return nil, &QuotaError{Quota: "target groups per Application Load Balancer", Max: maxGroups, Used: len(groups), Adding: adding,
			Note: "a blue/green service uses two"}
	}
	if adding > 0 && float64(len(groups)+adding) >= quotaWarnShare*float64(maxGroups) {
		check.Warnings = append(check.Warnings, fmt.Sprintf(
			"the environment's load balancer will have %d target groups of the %d it may have (ELB quotas: target groups per Application Load Balancer, not adjustable; a blue/green service uses two)",
			len(groups)+adding, maxGroups))
	}
	certs, err := listenerCertificates(ctx, elb, r.ListenerArn)
	if err != nil {
		return nil, err
	}
	if float64(certs) >= quotaWarnShare*QuotaCertificatesPerLoadBalancer {
		check.Warnings = append(check.Warnings, fmt.Sprintf(
			"the environment's listener serves %d certificates besides its default one, of the %d allowed by default (ELB quotas: certificates per Application Load Balancer)",
			certs, QuotaCertificatesPerLoadBalancer))
	}
	return check, nil
}

// choosePriority sets check.Priority (see Route.Priority).
func (d *Deployer) choosePriority(ctx context.Context, elb RoutingAPI, r Route, own string, rules []listenerRule, check *RouteCheck) error {
	used := map[int]listenerRule{}
	ownPriority := 0
	for _, rule := range rules {
		switch {
		case rule.isDefault:
		case rule.arn == own:
			ownPriority = rule.priority
		default:
			used[rule.priority] = rule
		}
	}
	free := func(from int) int {
		lo, hi := r.Band[0], r.Band[1]
		if lo <= 0 || hi < lo {
			lo, hi = from, maxRulePriority
		}
		if from < lo || from > hi {
			from = lo
		}
		for i := 0; i <= hi-lo; i++ {
			p := lo + (from-lo+i)%(hi-lo+1)
			if _, taken := used[p]; !taken {
				return p
			}
		}
		return 0
	}
	switch {
	case r.Priority != 0:
		if rule, taken := used[r.Priority]; taken {
			owner := rule.arn
			if owners, err := groupOwners(ctx, elb, rule.targetGroups); err == nil && len(owners) > 0 {
				owner = "service " + strings.Join(owners, ", ")
			}
			return &PriorityTakenError{Priority: r.Priority, Owner: owner, Free: free(r.Priority + 1)}
		}
		check.Priority = r.Priority
	case ownPriority != 0 && inBand(ownPriority, r.Band):
		check.Priority, check.Kept = ownPriority, true
	default:
		if check.Priority = free(r.Start); check.Priority == 0 {
			return fmt.Errorf("no listener rule priority is free from %d to %d on the environment's listener: give one with its own band", r.Band[0], r.Band[1])
		}
	}
	return nil
}

// inBand reports whether priority p is in band, or band is none. A
// service's rule keeps its priority only in the band of its conditions: a
// rule that goes from host-only to host and path must move to the band
// that is evaluated before the host-only rules, or a less specific rule of
// another service would match first (review of issue 18, item 16).
func inBand(p int, band [2]int) bool {
	lo, hi := band[0], band[1]
	return lo <= 0 || hi < lo || lo <= p && p <= hi
}

// maxRulePriority is the highest rule priority (ELB API reference,
// CreateRule: 1 to 50000).
const maxRulePriority = 50000

// PriorityTakenError says another service's rule on the listener has the
// priority asked for. Nothing was changed. Exit code 2: the input has to
// change.
type PriorityTakenError struct {
	Priority int
	// Owner names the rule that has it: "service STACK" for a service of
	// the environment, else the rule's ARN.
	Owner string
	// Free is the next priority above Priority in the band that no rule
	// holds, or 0.
	Free int
}

func (e *PriorityTakenError) Error() string {
	return fmt.Sprintf("listener rule priority %d is taken by %s on the environment's listener; nothing was changed: give the service another priority, or none to let deploy choose a free one",
		e.Priority, e.Owner)
}

func (e *PriorityTakenError) ExitCode() int { return ExitInput }

// QuotaError refuses a service that would take the environment's load
// balancer past one of its quotas: the stack update would fail
// (TooManyRules, TooManyUniqueTargetGroupsPerLoadBalancer) and roll back.
// Nothing was changed. Exit code 1.
type QuotaError struct {
	Quota        string
	Max          int
	Used, Adding int
	Note         string
}

func (e *QuotaError) Error() string {
	msg := fmt.Sprintf("the environment's load balancer has %d %s of the %d it may have, and this service adds %d (ELB quotas: %s)",
		e.Used, strings.TrimSuffix(strings.SplitN(e.Quota, " per ", 2)[0], " "), e.Max, e.Adding, e.Quota)
	if e.Note != "" {
		msg += "; " + e.Note
	}
	return msg + ". Nothing was changed: put the service in another environment, remove one, or raise the quota in Service Quotas where it is adjustable"
}

// ExitCode is ExitFailure.
func (e *QuotaError) ExitCode() int { return ExitFailure }

type listenerRule struct {
	arn          string
	priority     int
	isDefault    bool
	targetGroups []string
}

// listenerRules returns every rule of the listener.
func listenerRules(ctx context.Context, elb RoutingAPI, listenerArn string) ([]listenerRule, error) {
	var rules []listenerRule
	var marker *string
	for {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		out, err := elb.DescribeRules(cctx, &elbv2.DescribeRulesInput{ListenerArn: aws.String(listenerArn), Marker: marker})
		cancel()
		if err != nil {
			return nil, fmt.Errorf("list the rules of listener %s: %w", listenerArn, readableELB(err, "elasticloadbalancing:DescribeRules"))
		}
		for _, r := range out.Rules {
			rule := listenerRule{arn: aws.ToString(r.RuleArn), isDefault: aws.ToBool(r.IsDefault)}
			rule.priority, _ = strconv.Atoi(aws.ToString(r.Priority))
			for _, a := range r.Actions {
				if a.TargetGroupArn != nil {
					rule.targetGroups = append(rule.targetGroups, aws.ToString(a.TargetGroupArn))
				}
				if a.ForwardConfig != nil {
					for _, tg := range a.ForwardConfig.TargetGroups {
						if arn := aws.ToString(tg.TargetGroupArn); arn != "" && !slices.Contains(rule.targetGroups, arn) {
							rule.targetGroups = append(rule.targetGroups, arn)
						}
					}
				}
			}
			rules = append(rules, rule)
		}
		if aws.ToString(out.NextMarker) == "" {
			return rules, nil
		}
		marker = out.NextMarker
	}
}

// listenerLoadBalancer returns the ARN of the listener's load balancer.
func listenerLoadBalancer(ctx context.Context, elb RoutingAPI, listenerArn string) (string, error) {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := elb.DescribeListeners(cctx, &elbv2.DescribeListenersInput{ListenerArns: []string{listenerArn}})
	if err != nil {
		return "", fmt.Errorf("describe listener %s: %w", listenerArn, readableELB(err, "elasticloadbalancing:DescribeListeners"))
	}
	if len(out.Listeners) == 0 {
		return "", fmt.Errorf("listener %s does not exist", listenerArn)
	}
	return aws.ToString(out.Listeners[0].LoadBalancerArn), nil
}

// loadBalancerRules returns the rules of every listener of the load
// balancer: its quota of rules counts them all.
func loadBalancerRules(ctx context.Context, elb RoutingAPI, lb string) ([]listenerRule, error) {
	var rules []listenerRule
	var marker *string
	for {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		out, err := elb.DescribeListeners(cctx, &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(lb), Marker: marker})
		cancel()
		if err != nil {
			return nil, fmt.Errorf("list the listeners of load balancer %s: %w", lb, readableELB(err, "elasticloadbalancing:DescribeListeners"))
		}
		for _, l := range out.Listeners {
			listed, err := listenerRules(ctx, elb, aws.ToString(l.ListenerArn))
			if err != nil {
				return nil, err
			}
			rules = append(rules, listed...)
		}
		if aws.ToString(out.NextMarker) == "" {
			return rules, nil
		}
		marker = out.NextMarker
	}
}

// loadBalancerTargetGroups returns the ARNs of the target groups the load
// balancer's listeners and rules forward to.
func loadBalancerTargetGroups(ctx context.Context, elb RoutingAPI, lb string) ([]string, error) {
	var groups []string
	var marker *string
	for {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		out, err := elb.DescribeTargetGroups(cctx, &elbv2.DescribeTargetGroupsInput{LoadBalancerArn: aws.String(lb), Marker: marker})
		cancel()
		// A load balancer without target groups: moto answers
		// TargetGroupNotFound where ELB lists none.
		var none *elbtypes.TargetGroupNotFoundException
		if errors.As(err, &none) {
			return groups, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list the target groups of load balancer %s: %w", lb, readableELB(err, "elasticloadbalancing:DescribeTargetGroups"))
		}
		for _, g := range out.TargetGroups {
			groups = append(groups, aws.ToString(g.TargetGroupArn))
		}
		if aws.ToString(out.NextMarker) == "" {
			return groups, nil
		}
		marker = out.NextMarker
	}
}

// newTargetGroups is how many target groups of the service's template are
// not yet on the load balancer: its target groups, less those of the stack
// (existing) that the load balancer already forwards to.
func newTargetGroups(body string, existing, onBalancer []string) int {
	tree, err := parseTree(body)
	if err != nil {
		return 0
	}
	n := len(tree.resourceIDs(targetGroupType))
	for _, arn := range existing {
		if slices.Contains(onBalancer, arn) {
			n--
		}
	}
	return max(n, 0)
}

// limits are the account's ELB limits by name.
type limits map[string]int

func (l limits) value(name string, fallback int) int {
	if v, ok := l[name]; ok && v > 0 {
		return v
	}
	return fallback
}

// accountLimits reads the account's ELB limits; a limit it cannot read is
// taken at its default.
func accountLimits(ctx context.Context, elb RoutingAPI) limits {
	l := limits{}
	var marker *string
	for {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		out, err := elb.DescribeAccountLimits(cctx, &elbv2.DescribeAccountLimitsInput{Marker: marker})
		cancel()
		if err != nil {
			return l
		}
		for _, limit := range out.Limits {
			if n, err := strconv.Atoi(aws.ToString(limit.Max)); err == nil {
				l[aws.ToString(limit.Name)] = n
			}
		}
		if aws.ToString(out.NextMarker) == "" {
			return l
		}
		marker = out.NextMarker
	}
}

// listenerCertificates counts the listener's certificates besides its
// default one.
func listenerCertificates(ctx context.Context, elb RoutingAPI, listenerArn string) (int, error) {
	n := 0
	var marker *string
	for {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		out, err := elb.DescribeListenerCertificates(cctx, &elbv2.DescribeListenerCertificatesInput{ListenerArn: aws.String(listenerArn), Marker: marker})
		cancel()
		if err != nil {
			return 0, fmt.Errorf("list the certificates of listener %s: %w", listenerArn, readableELB(err, "elasticloadbalancing:DescribeListenerCertificates"))
		}
		for _, c := range out.Certificates {
			if !aws.ToBool(c.IsDefault) {
				n++
			}
		}
		if aws.ToString(out.NextMarker) == "" {
			return n, nil
		}
		marker = out.NextMarker
	}
}

// EnvironmentServices returns the stacks of the services that still route
// through the listener: the TagServiceStack tag (cfnfargate:service-stack)
// of the target groups its rules forward to, or the target group's ARN for
// a rule that a cfnfargate service did not make.
func EnvironmentServices(ctx context.Context, elb RoutingAPI, listenerArn string) ([]string, error) {
	rules, err := listenerRules(ctx, elb, listenerArn)
	if err != nil {
		return nil, err
	}
	var groups []string
	for _, r := range rules {
		if !r.isDefault {
			groups = append(groups, r.targetGroups...)
		}
	}
	return groupOwners(ctx, elb, groups)
}

// groupOwners returns the stacks of the services the target groups belong
// to (their stack.TagServiceStack tag), or a group's ARN where it has none;
// sorted, each once.
func groupOwners(ctx context.Context, elb RoutingAPI, groups []string) ([]string, error) {
	var services []string
	// DescribeTags takes up to 20 resources per call (ELB API reference).
	for chunk := range slices.Chunk(groups, 20) {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		out, err := elb.DescribeTags(cctx, &elbv2.DescribeTagsInput{ResourceArns: chunk})
		cancel()
		if err != nil {
			return nil, fmt.Errorf("read the tags of the environment's target groups: %w", readableELB(err, "elasticloadbalancing:DescribeTags"))
		}
		for _, d := range out.TagDescriptions {
			name := aws.ToString(d.ResourceArn)
			for _, t := range d.Tags {
				if aws.ToString(t.Key) == stack.TagServiceStack {
					name = aws.ToString(t.Value)
				}
			}
			if !slices.Contains(services, name) {
				services = append(services, name)
			}
		}
	}
	slices.Sort(services)
	return services, nil
}

// readableELB words an access denial of an ELB call with the action it
// needs.
func readableELB(err error, action string) error {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && strings.Contains(apiErr.ErrorCode(), "AccessDenied") {
		return fmt.Errorf("%w (this needs the permission %s)", readable(err), action)
	}
	return readable(err)
}
