package deploy

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/cfnfargate/cfnfargate/stack"
)

// Resource types Locate looks for.
const (
	serviceType     = "AWS::ECS::Service"
	clusterType     = "AWS::ECS::Cluster"
	targetGroupType = "AWS::ElasticLoadBalancingV2::TargetGroup"
	logGroupType    = "AWS::Logs::LogGroup"
	taskDefType     = "AWS::ECS::TaskDefinition"
	ruleType        = "AWS::ElasticLoadBalancingV2::ListenerRule"
)

// ServiceResources are the physical IDs of what a cfnfargate stack runs,
// found from the stack's resources. A field is empty when the stack has no
// such resource, or has not created it yet.
type ServiceResources struct {
	StackName string
	StackID   string
	// Cluster is the cluster's name: the stack's own, or the existing one
	// the service joined (--cluster), read from the service's ARN.
	Cluster string
	// ServiceARN is the ECS service's ARN
	// (arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/SERVICE).
	ServiceARN string
	// Service is the service's name.
	Service string
	// TaskDefinitionARN is the task definition revision the stack last
	// registered.
	TaskDefinitionARN string
	// TargetGroupARNs are the stack's target groups, in logical-ID order.
	TargetGroupARNs []string
	LoadBalancerARN string
	// ListenerRuleARN is the rule of a service in an environment (logical
	// ID stack.ServiceRuleID()).
	ListenerRuleARN string
	// LogGroup is the container's log group name: the one of logical ID
	// stack.LogGroupID(), or the stack's only log group.
	LogGroup string
}

// Locate finds the physical IDs of the stack's service, cluster, target
// groups, load balancer, task definition and log group. It reads the
// stack's resources rather than its outputs: outputs exist only once a
// create has finished, and a deploy that watches a service being created
// needs them before that. For a stack that does not exist the error wraps
// ErrStackNotFound.
func Locate(ctx context.Context, api API, stackName string) (ServiceResources, error) {
	res := ServiceResources{StackName: stackName}
	var token *string
	for {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		out, err := api.ListStackResources(cctx, &cloudformation.ListStackResourcesInput{StackName: aws.String(stackName), NextToken: token})
		cancel()
		if err != nil {
			if isNotFound(err) {
				return res, fmt.Errorf("stack %s: %w", stackName, ErrStackNotFound)
			}
			return res, fmt.Errorf("list the resources of stack %s: %w", stackName, readable(err))
		}
		for _, r := range out.StackResourceSummaries {
			id, logical := aws.ToString(r.PhysicalResourceId), aws.ToString(r.LogicalResourceId)
			if id == "" || r.ResourceStatus == cftypes.ResourceStatusDeleteComplete {
				continue
			}
			switch aws.ToString(r.ResourceType) {
			case serviceType:
				res.ServiceARN = id
				res.Cluster, res.Service = clusterAndServiceFromARN(id)
			case clusterType:
				if res.Cluster == "" {
					res.Cluster = id
				}
			case targetGroupType:
				res.TargetGroupARNs = append(res.TargetGroupARNs, id)
			case loadBalancerType:
				res.LoadBalancerARN = id
			case logGroupType:
				// A stack with a pause gate has its log group too, and
				// ListStackResources promises no order: the container's is
				// picked by its logical ID, else the first one is kept.
				if logical == stack.LogGroupID() || res.LogGroup == "" {
					res.LogGroup = id
				}
			case taskDefType:
				res.TaskDefinitionARN = id
			case ruleType:
				// A blue/green service of its own load balancer has a
				// production and a test rule; only a service in an
				// environment has this one.
				if logical == stack.ServiceRuleID() {
					res.ListenerRuleARN = id
				}
			}
		}
		if out.NextToken == nil {
			return res, nil
		}
		token = out.NextToken
	}
}

// clusterAndServiceFromARN splits a service ARN of the long format,
// arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/SERVICE, the only format
// since 2021 (ECS developer guide, "Amazon Resource Names (ARNs) and IDs").
// CloudFormation's physical ID of an AWS::ECS::Service is its ARN. A short
// ARN or a bare name yields no cluster.
func clusterAndServiceFromARN(arn string) (cluster, service string) {
	_, rest, ok := strings.Cut(arn, ":service/")
	if !ok {
		return "", arn
	}
	if c, s, ok := strings.Cut(rest, "/"); ok {
		return c, s
	}
	return "", rest
}
