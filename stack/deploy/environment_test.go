package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"

	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/format"
)

// fakeBalancer is a SIMULATION of the ELB reads of the environment checks:
// one load balancer with its listeners and rules, the target groups they
// forward to and their tags. It is not ELB: it answers from its fields,
// one page per call, and panics on any other call.
type fakeBalancer struct {
	RoutingAPI
	lb        string
	listeners map[string][]elbtypes.Rule // by listener ARN
	groups    []string                   // target groups on the load balancer
	owners    map[string]string          // target group -> its stack tag
	limits    map[string]string          // DescribeAccountLimits; nil fails it
}

func (f *fakeBalancer) DescribeRules(_ context.Context, in *elbv2.DescribeRulesInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeRulesOutput, error) {
	return &elbv2.DescribeRulesOutput{Rules: f.listeners[aws.ToString(in.ListenerArn)]}, nil
}

func (f *fakeBalancer) DescribeListeners(_ context.Context, in *elbv2.DescribeListenersInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeListenersOutput, error) {
	out := &elbv2.DescribeListenersOutput{}
	for arn := range f.listeners {
		if len(in.ListenerArns) > 0 && in.ListenerArns[0] != arn {
			continue
		}
		out.Listeners = append(out.Listeners, elbtypes.Listener{ListenerArn: aws.String(arn), LoadBalancerArn: aws.String(f.lb)})
	}
	return out, nil
}

func (f *fakeBalancer) DescribeTargetGroups(context.Context, *elbv2.DescribeTargetGroupsInput, ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupsOutput, error) {
	out := &elbv2.DescribeTargetGroupsOutput{}
	for _, g := range f.groups {
		out.TargetGroups = append(out.TargetGroups, elbtypes.TargetGroup{TargetGroupArn: aws.String(g)})
	}
	return out, nil
}

func (f *fakeBalancer) DescribeAccountLimits(context.Context, *elbv2.DescribeAccountLimitsInput, ...func(*elbv2.Options)) (*elbv2.DescribeAccountLimitsOutput, error) {
	if f.limits == nil {
		return nil, errors.New("simulated: AccessDenied")
	}
	out := &elbv2.DescribeAccountLimitsOutput{}
	for k, v := range f.limits {
		out.Limits = append(out.Limits, elbtypes.Limit{Name: aws.String(k), Max: aws.String(v)})
	}
	return out, nil
}

func (f *fakeBalancer) DescribeListenerCertificates(context.Context, *elbv2.DescribeListenerCertificatesInput, ...func(*elbv2.Options)) (*elbv2.DescribeListenerCertificatesOutput, error) {
	return &elbv2.DescribeListenerCertificatesOutput{}, nil
}

func (f *fakeBalancer) DescribeTags(_ context.Context, in *elbv2.DescribeTagsInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeTagsOutput, error) {
	out := &elbv2.DescribeTagsOutput{}
	for _, arn := range in.ResourceArns {
		d := elbtypes.TagDescription{ResourceArn: aws.String(arn)}
		if owner, ok := f.owners[arn]; ok {
			d.Tags = []elbtypes.Tag{{Key: aws.String(stack.TagServiceStack), Value: aws.String(owner)}}
		}
		out.TagDescriptions = append(out.TagDescriptions, d)
	}
	return out, nil
}

const (
	httpsListener = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/env/1/443"
	httpListener  = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/env/1/80"
)

// balancerWith is an environment's load balancer with n rules on the HTTPS
// listener, of services svc-0 to svc-(n-1) at priorities from first, and
// onHTTP rules on the HTTP listener, each with a target group of its own.
func balancerWith(n, first, onHTTP int) *fakeBalancer {
	f := &fakeBalancer{lb: "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/env/1",
		listeners: map[string][]elbtypes.Rule{}, owners: map[string]string{}}
	add := func(listener string, i, priority int) {
		tg := fmt.Sprintf("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/svc-%d/%d", i, i)
		f.listeners[listener] = append(f.listeners[listener], elbtypes.Rule{RuleArn: aws.String(fmt.Sprintf("%s/rule-%d", listener, i)),
			Priority: aws.String(fmt.Sprint(priority)), Actions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(tg)}}})
		f.groups = append(f.groups, tg)
		f.owners[tg] = fmt.Sprintf("svc-%d", i)
	}
	for _, l := range []string{httpsListener, httpListener} {
		f.listeners[l] = append(f.listeners[l], elbtypes.Rule{RuleArn: aws.String(l + "/default"), Priority: aws.String("default"), IsDefault: aws.Bool(true)})
	}
	for i := range n {
		add(httpsListener, i, first+i)
	}
	for i := range onHTTP {
		add(httpListener, n+i, 1+i)
	}
	return f
}

// noStack is the CloudFormation API of an account without the service's
// stack: the deploy is a create.
type noStack struct{ API }

func (noStack) ListStackResources(context.Context, *cloudformation.ListStackResourcesInput, ...func(*cloudformation.Options)) (*cloudformation.ListStackResourcesOutput, error) {
	// CloudFormation's answer for a stack that does not exist.
	return nil, &smithy.GenericAPIError{Code: "ValidationError", Message: "Stack with id new-service does not exist"}
}

// Proves (F1; ELB simulated by fakeBalancer): the rules quota is the load
// balancer's, over all its listeners: 60 rules on HTTPS and 40 on HTTP
// leave no room for a new service's rule, which is refused before the
// change set, naming the quota; with 99 there is room, and a warning. A
// blue/green service, which adds two target groups, is refused when the
// load balancer has 99; the account's own raised limits count.
func TestCheckRouteQuotas(t *testing.T) {
	d := &Deployer{API: noStack{}}
	ctx := context.Background()
	canary := func() string {
		cfg := stack.Default()
		cfg.Environment = stack.Environment{Name: "staging", Hosts: []string{"api.example.com"}}
		cfg.Deployment.Strategy = stack.StrategyCanary
		doc, err := stack.Build(cfg)
		if err != nil {
			t.Fatal(err)
		}
		body, err := format.YAML(doc)
		if err != nil {
			t.Fatal(err)
		}
		return string(body)
	}()
	route := Route{ListenerArn: httpsListener, Priority: 40000, StackName: "new-service"}

	full := balancerWith(60, 1000, 40)
	_, err := d.CheckRoute(ctx, full, route)
	if err == nil || !strings.Contains(err.Error(), "rules per Application Load Balancer") || !strings.Contains(err.Error(), "has 100") {
		t.Errorf("100 rules over two listeners: %v, want a refusal naming the quota", err)
	}
	room := balancerWith(60, 1000, 39)
	check, err := d.CheckRoute(ctx, room, route)
	if err != nil || check.Rules != 99 || len(check.Warnings) == 0 {
		t.Errorf("99 rules: %+v, %v; want room, with a warning", check, err)
	}

	route.TemplateBody = canary
	groups := balancerWith(99, 1000, 0)
	var quota *QuotaError
	if _, err := d.CheckRoute(ctx, groups, route); !errors.As(err, &quota) || !strings.Contains(err.Error(), "target groups per Application Load Balancer") || quota.Adding != 2 {
		t.Errorf("99 target groups and a canary service: %v, want a refusal that counts its two", err)
	}
	groups.limits = map[string]string{"target-groups-per-application-load-balancer": "200", "rules-per-application-load-balancer": "200"}
	if _, err := d.CheckRoute(ctx, groups, route); err != nil {
		t.Errorf("with the account's raised limits: %v", err)
	}
}

// Proves (the colliding priorities; ELB simulated by
// fakeBalancer): without --priority a new service takes the first free
// priority from where its stack hashes to, going round its band; a
// priority asked for that another service holds is refused, naming that
// service's stack and the next free one.
func TestCheckRoutePriorities(t *testing.T) {
	d := &Deployer{API: noStack{}}
	ctx := context.Background()
	f := balancerWith(3, 31000, 0) // priorities 31000, 31001, 31002
	check, err := d.CheckRoute(ctx, f, Route{ListenerArn: httpsListener, Band: [2]int{31000, 45999}, Start: 31001, StackName: "web"})
	if err != nil || check.Priority != 31003 || check.Kept {
		t.Errorf("a start that is taken: %+v, %v; want 31003, the first free after it", check, err)
	}
	check, err = d.CheckRoute(ctx, f, Route{ListenerArn: httpsListener, Band: [2]int{30998, 31002}, Start: 31001, StackName: "web"})
	if err != nil || check.Priority != 30998 {
		t.Errorf("round the band: %+v, %v; want 30998", check, err)
	}
	_, err = d.CheckRoute(ctx, f, Route{ListenerArn: httpsListener, Priority: 31001, Band: [2]int{31000, 45999}, StackName: "web"})
	var taken *PriorityTakenError
	if !errors.As(err, &taken) || !strings.Contains(err.Error(), "service svc-1") || strings.Contains(err.Error(), "arn:") || taken.Free != 31003 {
		t.Errorf("a taken priority asked for: %v; want a refusal naming service svc-1, not an ARN, with 31003 free", err)
	}
}

// Proves (review of issue 18, item 16): a service's rule keeps its
// priority on an update while that is in the band of its conditions; once
// its conditions move it to another band (host-only to host and path),
// it takes a free priority of the new band, so that it is evaluated before
// the less specific rules.
func TestOwnPriorityKeepsToItsBand(t *testing.T) {
	d := &Deployer{}
	rules := []listenerRule{{arn: "default", isDefault: true}, {arn: "own", priority: 31005}, {arn: "other", priority: 16000}}
	hostOnly, hostAndPath := [2]int{31000, 45999}, [2]int{16000, 30999}
	for _, tc := range []struct {
		name     string
		band     [2]int
		priority int
		kept     bool
	}{
		{name: "same band", band: hostOnly, priority: 31005, kept: true},
		{name: "host-only to host and path", band: hostAndPath, priority: 16001},
	} {
		check := &RouteCheck{}
		if err := d.choosePriority(context.Background(), nil, Route{Band: tc.band, Start: 16000, StackName: "web"}, "own", rules, check); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if check.Priority != tc.priority || check.Kept != tc.kept {
			t.Errorf("%s: priority %d (kept %v), want %d (kept %v)", tc.name, check.Priority, check.Kept, tc.priority, tc.kept)
		}
	}
}
