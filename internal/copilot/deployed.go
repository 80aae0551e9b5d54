package copilot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/smithy-go"
)

// StackAPI is the part of the CloudFormation API that ReadDeployed calls.
type StackAPI interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, optFns ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

// ListenerAPI is the part of the Elastic Load Balancing API that
// ReadDeployed calls.
type ListenerAPI interface {
	DescribeListenerCertificates(ctx context.Context, in *elbv2.DescribeListenerCertificatesInput, optFns ...func(*elbv2.Options)) (*elbv2.DescribeListenerCertificatesOutput, error)
}

var (
	_ StackAPI    = (*cloudformation.Client)(nil)
	_ ListenerAPI = (*elbv2.Client)(nil)
)

// Tags Copilot puts on every stack it deploys.
const (
	tagApp     = "copilot-application"
	tagEnv     = "copilot-environment"
	tagService = "copilot-service"
)

// Deployed is what Copilot deployed for a service: read from its service
// stack (APP-ENV-SVC) and its environment stack (APP-ENV).
type Deployed struct {
	App, Env, Service string
	// ServiceStack and EnvironmentStack are the stacks' names.
	ServiceStack, EnvironmentStack string
	// Region and Account are the service stack's.
	Region, Account string
	// Image is the image the service runs: the service stack's
	// ContainerImage parameter.
	Image string
	// VpcID, PublicSubnets and PrivateSubnets are the environment stack's
	// outputs of those names.
	VpcID          string
	PublicSubnets  []string
	PrivateSubnets []string
	// CertificateARN is the default certificate of the environment load
	// balancer's HTTPS listener (the HTTPSListenerArn output); empty when
	// the environment has no HTTPS listener.
	CertificateARN string
}

// DeployedError says what is missing from a stack that ReadDeployed
// expected to be Copilot's.
type DeployedError struct {
	Stack   string
	Message string
}

func (e *DeployedError) Error() string { return "stack " + e.Stack + ": " + e.Message }

// ReadDeployed reads the stacks Copilot deployed for the service whose
// stack is serviceStack. The service stack's tags name its application and
// environment (names may hold hyphens, so APP-ENV-SVC cannot be split), and
// the environment stack is APP-ENV, the name Copilot gives it.
func ReadDeployed(ctx context.Context, cfn StackAPI, elb ListenerAPI, serviceStack string) (*Deployed, error) {
	svc, err := describeStack(ctx, cfn, serviceStack)
	if err != nil {
		return nil, err
	}
	d := &Deployed{ServiceStack: serviceStack}
	for _, t := range svc.Tags {
		switch aws.ToString(t.Key) {
		case tagApp:
			d.App = aws.ToString(t.Value)
		case tagEnv:
			d.Env = aws.ToString(t.Value)
		case tagService:
			d.Service = aws.ToString(t.Value)
		}
	}
	if d.App == "" || d.Env == "" || d.Service == "" {
		return nil, &DeployedError{Stack: serviceStack, Message: fmt.Sprintf("is not a Copilot service stack: it lacks the tags %s, %s and %s that Copilot puts on one", tagApp, tagEnv, tagService)}
	}
	if a, err := arn.Parse(aws.ToString(svc.StackId)); err == nil {
		d.Region, d.Account = a.Region, a.AccountID
	}
	for _, p := range svc.Parameters {
		if aws.ToString(p.ParameterKey) == "ContainerImage" {
			d.Image = aws.ToString(p.ParameterValue)
		}
	}
	if d.Image == "" {
		return nil, &DeployedError{Stack: serviceStack, Message: "has no ContainerImage parameter: it is not the stack of a Copilot Load Balanced Web Service"}
	}

	d.EnvironmentStack = d.App + "-" + d.Env
	env, err := describeStack(ctx, cfn, d.EnvironmentStack)
	if err != nil {
		return nil, err
	}
	outputs := map[string]string{}
	for _, o := range env.Outputs {
		outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	d.VpcID = outputs["VpcId"]
	d.PublicSubnets = splitIDs(outputs["PublicSubnets"])
	d.PrivateSubnets = splitIDs(outputs["PrivateSubnets"])
	if d.VpcID == "" {
		return nil, &DeployedError{Stack: d.EnvironmentStack, Message: "has no VpcId output: it is not a Copilot environment stack"}
	}
	if listener := outputs["HTTPSListenerArn"]; listener != "" {
		out, err := elb.DescribeListenerCertificates(ctx, &elbv2.DescribeListenerCertificatesInput{ListenerArn: aws.String(listener)})
		if err != nil {
			return nil, fmt.Errorf("read the certificates of %s's HTTPS listener: %w", d.EnvironmentStack, err)
		}
		for _, c := range out.Certificates {
			if aws.ToBool(c.IsDefault) || d.CertificateARN == "" {
				d.CertificateARN = aws.ToString(c.CertificateArn)
			}
		}
	}
	return d, nil
}

func describeStack(ctx context.Context, cfn StackAPI, name string) (*cftypes.Stack, error) {
	out, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && strings.Contains(apiErr.ErrorMessage(), "does not exist") {
		return nil, &DeployedError{Stack: name, Message: "does not exist in this account and region: Copilot names a service's stack APP-ENV-SVC and its environment's APP-ENV (aws cloudformation list-stacks)"}
	}
	if err != nil {
		return nil, fmt.Errorf("describe stack %s: %w", name, err)
	}
	if len(out.Stacks) == 0 {
		return nil, &DeployedError{Stack: name, Message: "does not exist"}
	}
	return &out.Stacks[0], nil
}

// splitIDs splits Copilot's comma-joined subnet outputs.
func splitIDs(s string) []string {
	var out []string
	for _, id := range strings.Split(s, ",") {
		if id = strings.TrimSpace(id); id != "" {
			out = append(out, id)
		}
	}
	return out
}
