package deploy

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"
)

// fakeELB answers DescribeLoadBalancerAttributes from a map of ARN to
// deletion_protection.enabled, or with err. It stands in for ELB where moto
// cannot: moto has no permissions to deny.
type fakeELB struct {
	mu        sync.Mutex
	protected map[string]string
	err       error
	asked     []string
	// budgets is how long each call had before its context's deadline;
	// zero when it had none.
	budgets []time.Duration
}

func (f *fakeELB) DescribeLoadBalancerAttributes(ctx context.Context, in *elbv2.DescribeLoadBalancerAttributesInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeLoadBalancerAttributesOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	arn := aws.ToString(in.LoadBalancerArn)
	f.asked = append(f.asked, arn)
	f.budgets = append(f.budgets, budget(ctx))
	if f.err != nil {
		return nil, f.err
	}
	on, ok := f.protected[arn]
	if !ok {
		return nil, &elbtypes.LoadBalancerNotFoundException{Message: aws.String("One or more load balancers not found")}
	}
	return &elbv2.DescribeLoadBalancerAttributesOutput{Attributes: []elbtypes.LoadBalancerAttribute{
		{Key: aws.String("idle_timeout.timeout_seconds"), Value: aws.String("60")},
		{Key: aws.String("deletion_protection.enabled"), Value: aws.String(on)},
	}}, nil
}

// Proves (against the simulated CloudFormation API, with a fake ELB): Delete
// reads the deletion protection of each of the stack's load balancers
// before deleting; a protected one blocks the delete with nothing deleted,
// one already gone or deleted does not, nor one the delete retains
// (RetainResources, the way out of DELETE_FAILED), which is not read at
// all. A protection that cannot be read (AccessDenied, which moto cannot
// produce) is an error before anything is deleted that names the missing
// permission and how to go on. A delete already running is only waited for.
func TestDeleteChecksLoadBalancerProtection(t *testing.T) {
	t.Parallel()
	const arnA = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/a/1"
	const arnB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/b/2"
	lb := func(id, arn, status string) simStackResource {
		return simStackResource{logicalID: id, resType: loadBalancerType, physicalID: arn, status: status}
	}
	other := simStackResource{logicalID: "Service", resType: "AWS::ECS::Service", physicalID: "svc", status: statusCreateComplete}
	tests := []struct {
		name      string
		status    string
		resources []simStackResource
		retain    []string
		protected map[string]string
		err       error
		wantAsked []string
		wantError []string // what the error says; nil for a delete that goes ahead
	}{
		{name: "protected", resources: []simStackResource{other, lb("LoadBalancer", arnA, statusCreateComplete)},
			protected: map[string]string{arnA: "true"}, wantAsked: []string{arnA},
			wantError: []string{"--load-balancer-arn " + arnA + " --attributes Key=deletion_protection.enabled,Value=false"}},
		{name: "not protected", resources: []simStackResource{other, lb("LoadBalancer", arnA, statusCreateComplete)},
			protected: map[string]string{arnA: "false"}, wantAsked: []string{arnA}},
		{name: "one of two protected", resources: []simStackResource{lb("Public", arnA, statusCreateComplete), lb("Internal", arnB, statusUpdateComplete)},
			protected: map[string]string{arnA: "false", arnB: "true"}, wantAsked: []string{arnA, arnB}, wantError: []string{arnB}},
		{name: "gone already", resources: []simStackResource{lb("LoadBalancer", arnA, "DELETE_FAILED")},
			protected: map[string]string{}, wantAsked: []string{arnA}},
		{name: "deleted resource and no physical ID are skipped",
			resources: []simStackResource{lb("Old", arnA, statusDeleteComplete), lb("New", "", "CREATE_FAILED")}},
		{name: "retained load balancer is not read", status: "DELETE_FAILED", retain: []string{"LoadBalancer"},
			resources: []simStackResource{other, lb("LoadBalancer", arnA, "DELETE_FAILED")}, protected: map[string]string{arnA: "true"}},
		{name: "a retained one does not excuse another", status: "DELETE_FAILED", retain: []string{"Public"},
			resources: []simStackResource{lb("Public", arnA, "DELETE_FAILED"), lb("Internal", arnB, statusCreateComplete)},
			protected: map[string]string{arnA: "true", arnB: "true"}, wantAsked: []string{arnB}, wantError: []string{arnB}},
		// ELB's message does not always name the action (an SCP's explicit
		// deny, say), so the error names it.
		{name: "no permission", resources: []simStackResource{lb("LoadBalancer", arnA, statusCreateComplete)},
			err:       &smithy.GenericAPIError{Code: "AccessDenied", Message: "User: arn:aws:iam::123456789012:user/dev is not authorized"},
			wantAsked: []string{arnA},
			wantError: []string{"AccessDenied", "elasticloadbalancing:DescribeLoadBalancerAttributes", "Grant", "deletion_protection.enabled", "console"}},
		{name: "other error", resources: []simStackResource{lb("LoadBalancer", arnA, statusCreateComplete)},
			err:       &smithy.GenericAPIError{Code: "ValidationError", Message: "bad ARN"},
			wantAsked: []string{arnA}, wantError: []string{"ValidationError: bad ARN"}},
		{name: "delete already running", status: statusDeleteInProgress,
			resources: []simStackResource{lb("LoadBalancer", arnA, statusCreateComplete)}, protected: map[string]string{arnA: "true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := newSimulator(t)
			status := tt.status
			if status == "" {
				status = statusUpdateComplete
			}
			st := sim.addStack("demo", status, nil)
			if status == statusDeleteInProgress {
				// Long enough that Delete, however loaded the machine, reads
				// the stack while its delete still runs.
				sim.run(st, newScript().wait(time.Second).stack(statusDeleteComplete, ""), "")
			}
			sim.stackResources = tt.resources
			elb := &fakeELB{protected: tt.protected, err: tt.err}
			d, _ := newTestDeployer(sim)
			d.ELB = elb

			res, err := d.Delete(context.Background(), DeleteInput{StackName: "demo", RetainResources: tt.retain, Timeout: 5 * time.Second})
			if !slices.Equal(elb.asked, tt.wantAsked) {
				t.Errorf("attributes read for %v; want %v", elb.asked, tt.wantAsked)
			}
			if tt.wantError == nil {
				if err != nil || res.Status != statusDeleteComplete {
					t.Fatalf("Delete = %+v, %v; want the stack deleted", res, err)
				}
				if dels := sim.callsTo("DeleteStack"); len(tt.retain) > 0 &&
					(len(dels) != 1 || dels[0].Form.Get("RetainResources.member.1") != tt.retain[0]) {
					t.Errorf("DeleteStack calls %v; want one that retains %v", dels, tt.retain)
				}
				return
			}
			if err == nil {
				t.Fatalf("Delete = %+v; want an error saying nothing was deleted", res)
			}
			// The commands to run are steps, which the CLI words.
			said := err.Error() + "\n" + stepsText(NextSteps(err))
			for _, want := range append(tt.wantError, "nothing was deleted") {
				if !strings.Contains(said, want) {
					t.Errorf("Delete error %q lacks %q", said, want)
				}
			}
			var be *BlockedError
			if tt.err == nil && !errors.As(err, &be) {
				t.Errorf("error %T; want *BlockedError", err)
			}
			if len(sim.callsTo("DeleteStack")) != 0 {
				t.Error("DeleteStack was called")
			}
		})
	}
}

// budget is how long ctx has before its deadline; zero when it has none.
func budget(ctx context.Context) time.Duration {
	deadline, ok := ctx.Deadline()
	if !ok {
		return 0
	}
	return time.Until(deadline)
}

// listRecorder is the simulated API with the budget of each
// ListStackResources call recorded.
type listRecorder struct {
	API
	mu      sync.Mutex
	budgets []time.Duration
}

func (l *listRecorder) ListStackResources(ctx context.Context, in *cloudformation.ListStackResourcesInput, opts ...func(*cloudformation.Options)) (*cloudformation.ListStackResourcesOutput, error) {
	l.mu.Lock()
	l.budgets = append(l.budgets, budget(ctx))
	l.mu.Unlock()
	return l.API.ListStackResources(ctx, in, opts...)
}

// Proves: each call that checks deletion protection (ListStackResources,
// DescribeLoadBalancerAttributes) is bounded by callTimeout, not only by the
// delete's whole Timeout, so that a call that hangs fails the check in
// seconds instead of holding the delete for an hour.
func TestDeleteBoundsEachProtectionCall(t *testing.T) {
	t.Parallel()
	const arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/a/1"
	sim := newSimulator(t)
	sim.addStack("demo", statusUpdateComplete, nil)
	sim.stackResources = []simStackResource{{logicalID: "LoadBalancer", resType: loadBalancerType, physicalID: arn, status: statusCreateComplete}}
	d, _ := newTestDeployer(sim)
	api := &listRecorder{API: d.API}
	d.API = api
	elb := &fakeELB{protected: map[string]string{arn: "false"}}
	d.ELB = elb

	if _, err := d.Delete(context.Background(), DeleteInput{StackName: "demo", Timeout: time.Hour}); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	api.mu.Lock()
	defer api.mu.Unlock()
	for what, budgets := range map[string][]time.Duration{"ListStackResources": api.budgets, "DescribeLoadBalancerAttributes": elb.budgets} {
		if len(budgets) == 0 {
			t.Errorf("%s was not called", what)
		}
		for _, b := range budgets {
			if b <= 0 || b > callTimeout {
				t.Errorf("%s had %s before its deadline; want at most callTimeout (%s)", what, b, callTimeout)
			}
		}
	}
}
