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
	"github.com/aws/smithy-go"
)

// RoutingAPI is the part of the Elastic Load Balancing (v2) API that the
// environment checks use. *elasticloadbalancingv2.Client satisfies it.
type RoutingAPI interface {
	DescribeRules(context.Context, *elbv2.DescribeRulesInput, ...func(*elbv2.Options)) (*elbv2.DescribeRulesOutput, error)
	DescribeTags(context.Context, *elbv2.DescribeTagsInput, ...func(*elbv2.Options)) (*elbv2.DescribeTagsOutput, error)
	DescribeListenerCertificates(context.Context, *elbv2.DescribeListenerCertificatesInput, ...func(*elbv2.Options)) (*elbv2.DescribeListenerCertificatesOutput, error)
}

var _ RoutingAPI = (*elbv2.Client)(nil)

// Quotas of an Application Load Balancer (ELB user guide, "Quotas for your
// Application Load Balancers"): rules per load balancer, not counting the
// default rules, and certificates per load balancer, not counting the
// default certificates. Both are adjustable; these are the defaults.
const (
	QuotaRulesPerLoadBalancer        = 100
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
// still has its outputs.
func (d *Deployer) EnvironmentOutputs(ctx context.Context, envStack string) (map[string]string, error) {
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
	return out, nil
}

// Route is a service's listener rule as a deploy is about to set it.
type Route struct {
	ListenerArn string
	Priority    int
	// StackName is the service's stack: a rule it already owns may keep
	// its priority.
	StackName string
}

// RouteCheck is what CheckRoute found: warnings to print, and the rules on
// the listener.
type RouteCheck struct {
	Warnings []string
	Rules    int
}

// CheckRoute checks, before anything changes, that r's priority is free on
// its listener or already held by the service's own rule (ELB refuses a
// second rule with a priority: PriorityInUse, CreateRule), and warns when
// the load balancer nears its rule or certificate quota.
func (d *Deployer) CheckRoute(ctx context.Context, elb RoutingAPI, r Route) (*RouteCheck, error) {
	own, err := d.ownRule(ctx, r.StackName)
	if err != nil {
		return nil, err
	}
	rules, err := listenerRules(ctx, elb, r.ListenerArn)
	if err != nil {
		return nil, err
	}
	check := &RouteCheck{}
	for _, rule := range rules {
		if rule.isDefault {
			continue
		}
		check.Rules++
	}
	used := map[int]bool{}
	for _, rule := range rules {
		if !rule.isDefault && rule.arn != own {
			used[rule.priority] = true
		}
	}
	for _, rule := range rules {
		if !rule.isDefault && rule.priority == r.Priority && rule.arn != own {
			taken := &PriorityTakenError{Priority: r.Priority, RuleArn: rule.arn, TargetGroupArns: rule.targetGroups}
			for p := r.Priority + 1; p <= 50000 && taken.Free == 0; p++ {
				if !used[p] {
					taken.Free = p
				}
			}
			return nil, taken
		}
	}
	newRules := check.Rules
	if own == "" {
		newRules++
	}
	if float64(newRules) >= quotaWarnShare*QuotaRulesPerLoadBalancer {
		check.Warnings = append(check.Warnings, fmt.Sprintf(
			"the environment's load balancer will have %d listener rules of the %d it may have by default (ELB quotas: rules per Application Load Balancer); ask for more in Service Quotas before it runs out",
			newRules, QuotaRulesPerLoadBalancer))
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

// PriorityTakenError says another rule on the listener has the priority a
// service's rule needs. Nothing was changed. Exit code 2: the input has to
// change.
type PriorityTakenError struct {
	Priority        int
	RuleArn         string
	TargetGroupArns []string
	// Free is the next priority above Priority that no rule holds, or 0.
	Free int
}

func (e *PriorityTakenError) Error() string {
	return fmt.Sprintf("listener rule priority %d is taken by another rule on the environment's listener (%s, forwarding to %s); nothing was changed: give the service another priority",
		e.Priority, e.RuleArn, strings.Join(e.TargetGroupArns, ", "))
}

func (e *PriorityTakenError) ExitCode() int { return ExitInput }

// ownRule returns the ARN of the listener rule of stackName, or "" when the
// stack, or its rule, does not exist yet.
func (d *Deployer) ownRule(ctx context.Context, stackName string) (string, error) {
	res, err := Locate(ctx, d.API, stackName)
	if errors.Is(err, ErrStackNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return res.ListenerRuleARN, nil
}

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
func EnvironmentServices(ctx context.Context, elb RoutingAPI, listenerArn, tagKey string) ([]string, error) {
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
				if aws.ToString(t.Key) == tagKey {
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
