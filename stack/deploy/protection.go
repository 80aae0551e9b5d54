package deploy

import (
	"context"
	"fmt"
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
// of the stack has deletion protection, before anything is deleted.
//
// CloudFormation deletes a stack's resources in reverse dependency order
// ("Resource A is deleted before resource B" when A refers to B, DependsOn
// attribute, CloudFormation User Guide), so the service, the listeners and
// the DNS records that refer to the load balancer go first, and the delete
// fails only at the load balancer: the application is down and the stack is
// DELETE_FAILED. Checking first keeps the application running.
func (d *Deployer) refuseProtectedLoadBalancer(ctx context.Context, name string, stack *cftypes.Stack) error {
	if d.ELB == nil {
		return nil
	}
	arns, err := d.stackLoadBalancers(ctx, aws.ToString(stack.StackId))
	if err != nil {
		return err
	}
	var protected []string
	for _, arn := range arns {
		out, err := d.ELB.DescribeLoadBalancerAttributes(ctx, &elbv2.DescribeLoadBalancerAttributesInput{LoadBalancerArn: aws.String(arn)})
		switch {
		case errorCode(err) == "LoadBalancerNotFound":
			continue // deleted already, by an earlier delete that failed later
		case err != nil:
			return fmt.Errorf("check the deletion protection of load balancer %s before deleting stack %s (nothing was deleted): %w", arn, name, readable(err))
		}
		for _, a := range out.Attributes {
			if aws.ToString(a.Key) == "deletion_protection.enabled" && aws.ToString(a.Value) == "true" {
				protected = append(protected, arn)
			}
		}
	}
	if len(protected) == 0 {
		return nil
	}
	var turnOff []string
	for _, arn := range protected {
		turnOff = append(turnOff, "`aws elbv2 modify-load-balancer-attributes --load-balancer-arn "+arn+
			" --attributes Key=deletion_protection.enabled,Value=false`")
	}
	return &BlockedError{Stack: name, Status: string(stack.StackStatus), Advice: fmt.Sprintf(
		"its load balancer has deletion protection, which is deliberate: it keeps the application from being deleted. "+
			"CloudFormation would delete the service, listeners and DNS records first and fail only at the load balancer, "+
			"leaving the application down and the stack DELETE_FAILED, so nothing was deleted. "+
			"If you do mean to delete the application, turn the protection off with %s and delete again",
		strings.Join(turnOff, " and "))}
}

// stackLoadBalancers returns the ARNs of the stack's load balancers that
// exist.
func (d *Deployer) stackLoadBalancers(ctx context.Context, stackID string) ([]string, error) {
	var arns []string
	var token *string
	for {
		out, err := d.API.ListStackResources(ctx, &cloudformation.ListStackResourcesInput{StackName: aws.String(stackID), NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("list the resources of stack %s (nothing was deleted): %w", stackID, readable(err))
		}
		for _, r := range out.StackResourceSummaries {
			if aws.ToString(r.ResourceType) != loadBalancerType || aws.ToString(r.PhysicalResourceId) == "" ||
				r.ResourceStatus == cftypes.ResourceStatusDeleteComplete {
				continue
			}
			arns = append(arns, aws.ToString(r.PhysicalResourceId))
		}
		if out.NextToken == nil {
			return arns, nil
		}
		token = out.NextToken
	}
}
