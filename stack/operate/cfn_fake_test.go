package operate

import (
	"context"
	"errors"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// cfnFake is a SIMULATION of the few CloudFormation calls the operations
// make, for stack states moto never holds (a stack in the middle of an
// update) and to see the change set a command asks for without executing
// it. It is not CloudFormation: it answers DescribeStacks,
// DescribeStackEvents, GetTemplate and ListStackResources from its fields, records CancelUpdateStack and
// CreateChangeSet, and refuses every CreateChangeSet so that nothing runs.
type cfnFake struct {
	deploy.API // nil: any other call panics, which fails the test

	mu         sync.Mutex
	stack      cftypes.Stack
	template   string
	resources  []cftypes.StackResourceSummary
	cancelled  int
	changeSets []*cloudformation.CreateChangeSetInput
	// events are the stack's events, newest first.
	events []cftypes.StackEvent
}

func (f *cfnFake) DescribeStackEvents(context.Context, *cloudformation.DescribeStackEventsInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStackEventsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &cloudformation.DescribeStackEventsOutput{StackEvents: f.events}, nil
}

var errChangeSetRefused = errors.New("simulated: change set refused")

func (f *cfnFake) DescribeStacks(context.Context, *cloudformation.DescribeStacksInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &cloudformation.DescribeStacksOutput{Stacks: []cftypes.Stack{f.stack}}, nil
}

func (f *cfnFake) GetTemplate(context.Context, *cloudformation.GetTemplateInput, ...func(*cloudformation.Options)) (*cloudformation.GetTemplateOutput, error) {
	return &cloudformation.GetTemplateOutput{TemplateBody: aws.String(f.template)}, nil
}

func (f *cfnFake) ListStackResources(context.Context, *cloudformation.ListStackResourcesInput, ...func(*cloudformation.Options)) (*cloudformation.ListStackResourcesOutput, error) {
	return &cloudformation.ListStackResourcesOutput{StackResourceSummaries: f.resources}, nil
}

func (f *cfnFake) CancelUpdateStack(context.Context, *cloudformation.CancelUpdateStackInput, ...func(*cloudformation.Options)) (*cloudformation.CancelUpdateStackOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cancelled++
	return &cloudformation.CancelUpdateStackOutput{}, nil
}

func (f *cfnFake) CreateChangeSet(_ context.Context, in *cloudformation.CreateChangeSetInput, _ ...func(*cloudformation.Options)) (*cloudformation.CreateChangeSetOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.changeSets = append(f.changeSets, in)
	return nil, errChangeSetRefused
}

// fakeStack is a stack named shop with the given parameters.
func fakeStack(status string, params map[string]string) cftypes.Stack {
	st := cftypes.Stack{StackName: aws.String("shop"), StackStatus: cftypes.StackStatus(status),
		StackId:      aws.String("arn:aws:cloudformation:us-east-1:123456789012:stack/shop/1"),
		Capabilities: []cftypes.Capability{cftypes.CapabilityCapabilityIam},
		Tags:         []cftypes.Tag{{Key: aws.String("team"), Value: aws.String("payments")}}}
	for k, v := range params {
		st.Parameters = append(st.Parameters, cftypes.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(v)})
	}
	return st
}

func serviceResources() []cftypes.StackResourceSummary {
	return []cftypes.StackResourceSummary{{
		LogicalResourceId: aws.String("Service"), ResourceType: aws.String("AWS::ECS::Service"),
		PhysicalResourceId: aws.String("arn:aws:ecs:us-east-1:123456789012:service/shop-cluster/shop-service"),
		ResourceStatus:     cftypes.ResourceStatusUpdateComplete,
	}}
}
