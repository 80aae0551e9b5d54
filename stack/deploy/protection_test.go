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
}

func (f *fakeELB) DescribeLoadBalancerAttributes(_ context.Context, in *elbv2.DescribeLoadBalancerAttributesInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeLoadBalancerAttributesOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	arn := aws.ToString(in.LoadBalancerArn)
	f.asked = append(f.asked, arn)
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
// one already gone or deleted does not, and a protection that cannot be
// read (AccessDenied, which moto cannot produce) is an error before anything
// is deleted. A delete already running is only waited for.
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
		protected map[string]string
		err       error
		wantAsked []string
		wantError string // "" for a delete that goes ahead
	}{
		{name: "protected", resources: []simStackResource{other, lb("LoadBalancer", arnA, statusCreateComplete)},
			protected: map[string]string{arnA: "true"}, wantAsked: []string{arnA},
			wantError: "--load-balancer-arn " + arnA + " --attributes Key=deletion_protection.enabled,Value=false"},
		{name: "not protected", resources: []simStackResource{other, lb("LoadBalancer", arnA, statusCreateComplete)},
			protected: map[string]string{arnA: "false"}, wantAsked: []string{arnA}},
		{name: "one of two protected", resources: []simStackResource{lb("Public", arnA, statusCreateComplete), lb("Internal", arnB, statusUpdateComplete)},
			protected: map[string]string{arnA: "false", arnB: "true"}, wantAsked: []string{arnA, arnB}, wantError: arnB},
		{name: "gone already", resources: []simStackResource{lb("LoadBalancer", arnA, "DELETE_FAILED")},
			protected: map[string]string{}, wantAsked: []string{arnA}},
		{name: "deleted resource and no physical ID are skipped",
			resources: []simStackResource{lb("Old", arnA, statusDeleteComplete), lb("New", "", "CREATE_FAILED")}},
		{name: "no permission", resources: []simStackResource{lb("LoadBalancer", arnA, statusCreateComplete)},
			err:       &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to perform: elasticloadbalancing:DescribeLoadBalancerAttributes"},
			wantAsked: []string{arnA}, wantError: "AccessDenied"},
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
				sim.run(st, newScript().wait(20*time.Millisecond).stack(statusDeleteComplete, ""), "")
			}
			sim.stackResources = tt.resources
			elb := &fakeELB{protected: tt.protected, err: tt.err}
			d, _ := newTestDeployer(sim)
			d.ELB = elb

			res, err := d.Delete(context.Background(), DeleteInput{StackName: "demo", Timeout: 5 * time.Second})
			if !slices.Equal(elb.asked, tt.wantAsked) {
				t.Errorf("attributes read for %v; want %v", elb.asked, tt.wantAsked)
			}
			if tt.wantError == "" {
				if err != nil || res.Status != statusDeleteComplete {
					t.Fatalf("Delete = %+v, %v; want the stack deleted", res, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantError) || !strings.Contains(err.Error(), "nothing was deleted") {
				t.Fatalf("Delete error = %v; want one with %q saying nothing was deleted", err, tt.wantError)
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
