package deploy

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// ELBAPI is the part of the Elastic Load Balancing (v2) API Delete uses to
// find a load balancer with deletion protection.
// *elasticloadbalancingv2.Client satisfies it.
type ELBAPI interface {
	DescribeLoadBalancerAttributes(context.Context, *elbv2.DescribeLoadBalancerAttributesInput, ...func(*elbv2.Options)) (*elbv2.DescribeLoadBalancerAttributesOutput, error)
}

var _ ELBAPI = (*elbv2.Client)(nil)

const loadBalancerType = "AWS::ElasticLoadBalancingV2::LoadBalancer"

// refuseProtectedLoadBalancer returns a *BlockedError when a load balancer
// of the stack has deletion protection, before anything is deleted. A load
// balancer whose logical ID is in retain is left alone: the delete keeps it,
// which is how a stack left DELETE_FAILED by a protected load balancer is
// deleted at last.
//
// CloudFormation deletes a stack's resources in reverse dependency order
// ("Resource A is deleted before resource B" when A refers to B, DependsOn
// attribute, CloudFormation User Guide), so the service, the listeners and
// the DNS records that refer to the load balancer go first, and the delete
// fails only at the load balancer: the application is down and the stack is
// DELETE_FAILED. Checking first keeps the application running.
func (d *Deployer) refuseProtectedLoadBalancer(ctx context.Context, name string, stack *cftypes.Stack, retain []string) error {
	if d.ELB == nil {
		return nil
	}
	lbs, err := d.stackLoadBalancers(ctx, aws.ToString(stack.StackId))
	if err != nil {
		return err
	}
	var protected []string
	for _, lb := range lbs {
		if slices.Contains(retain, lb.logicalID) {
			continue
		}
		on, err := d.deletionProtection(ctx, lb.arn)
		switch {
		case errorCode(err) == "LoadBalancerNotFound":
			continue // deleted already, by an earlier delete that failed later
		case accessDenied(err):
			// Nothing may be deleted unchecked: a protected load balancer
			// would fail the delete only after the application is down.
			ref := refOf(name, stack)
			return &stepsError{err: fmt.Errorf("check the deletion protection of load balancer %s before deleting stack %s (nothing was deleted): %w; "+
				"checking it needs the permission elasticloadbalancing:DescribeLoadBalancerAttributes. "+
				"Grant it and delete again, or check in the EC2 console that the load balancer's attribute "+
				"deletion_protection.enabled is false before deleting the stack some other way, such as with the AWS CLI",
				lb.arn, name, readable(err)),
				steps: []Step{ref.awsStep("once the attribute is false, delete it without the check", "cloudformation", "delete-stack", "--stack-name", name)}}
		case err != nil:
			return fmt.Errorf("check the deletion protection of load balancer %s before deleting stack %s (nothing was deleted): %w", lb.arn, name, readable(err))
		case on:
			protected = append(protected, lb.arn)
		}
	}
	if len(protected) == 0 {
		return nil
	}
	ref := refOf(name, stack)
	var steps []Step
	for _, arn := range protected {
		steps = append(steps, ref.awsStep("turn the protection off, if you do mean to delete the application",
			"elbv2", "modify-load-balancer-attributes", "--load-balancer-arn", arn,
			"--attributes", "Key=deletion_protection.enabled,Value=false"))
	}
	steps = append(steps, ref.step("then delete it", StepDelete))
	return &BlockedError{Stack: name, StackID: ref.id, Status: string(stack.StackStatus), Steps: steps, Advice: fmt.Sprintf(
		"its load balancer has deletion protection, which is deliberate: it keeps the application from being deleted. "+
			"CloudFormation would delete the service, listeners and DNS records first and fail only at the load balancer, "+
			"leaving the application down and the stack DELETE_FAILED, so nothing was deleted. "+
			"If you do mean to delete the application, turn the protection off (%s) and delete again",
		strings.Join(protected, ", "))}
}

// deletionProtection reports whether the load balancer arn has deletion
// protection.
func (d *Deployer) deletionProtection(ctx context.Context, arn string) (bool, error) {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := d.ELB.DescribeLoadBalancerAttributes(cctx, &elbv2.DescribeLoadBalancerAttributesInput{LoadBalancerArn: aws.String(arn)})
	if err != nil {
		return false, err
	}
	for _, a := range out.Attributes {
		if aws.ToString(a.Key) == "deletion_protection.enabled" {
			return aws.ToString(a.Value) == "true", nil
		}
	}
	return false, nil
}

// accessDenied reports whether err is an API refusing the caller a
// permission. ELB answers AccessDenied; AccessDeniedException is the code
// of the JSON APIs.
func accessDenied(err error) bool {
	switch errorCode(err) {
	case "AccessDenied", "AccessDeniedException":
		return true
	}
	return false
}

// stackLoadBalancer is a load balancer of the stack that exists.
type stackLoadBalancer struct {
	logicalID string
	arn       string
}

// stackLoadBalancers returns the stack's load balancers that exist.
func (d *Deployer) stackLoadBalancers(ctx context.Context, stackID string) ([]stackLoadBalancer, error) {
	var lbs []stackLoadBalancer
	var token *string
	for {
		out, err := d.listStackResources(ctx, stackID, token)
		if err != nil {
			return nil, fmt.Errorf("list the resources of stack %s (nothing was deleted): %w", stackID, readable(err))
		}
		for _, r := range out.StackResourceSummaries {
			if aws.ToString(r.ResourceType) != loadBalancerType || aws.ToString(r.PhysicalResourceId) == "" ||
				r.ResourceStatus == cftypes.ResourceStatusDeleteComplete {
				continue
			}
			lbs = append(lbs, stackLoadBalancer{logicalID: aws.ToString(r.LogicalResourceId), arn: aws.ToString(r.PhysicalResourceId)})
		}
		if out.NextToken == nil {
			return lbs, nil
		}
		token = out.NextToken
	}
}

// listStackResources reads one page of the stack's resources.
func (d *Deployer) listStackResources(ctx context.Context, stackID string, token *string) (*cloudformation.ListStackResourcesOutput, error) {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	return d.API.ListStackResources(cctx, &cloudformation.ListStackResourcesInput{StackName: aws.String(stackID), NextToken: token})
}
