package operate

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// ECSAPI is the part of the ECS API the operations use.
type ECSAPI interface {
	DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	DescribeTaskDefinition(context.Context, *ecs.DescribeTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
	ListTasks(context.Context, *ecs.ListTasksInput, ...func(*ecs.Options)) (*ecs.ListTasksOutput, error)
	DescribeTasks(context.Context, *ecs.DescribeTasksInput, ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
	StopTask(context.Context, *ecs.StopTaskInput, ...func(*ecs.Options)) (*ecs.StopTaskOutput, error)
	RunTask(context.Context, *ecs.RunTaskInput, ...func(*ecs.Options)) (*ecs.RunTaskOutput, error)
	ExecuteCommand(context.Context, *ecs.ExecuteCommandInput, ...func(*ecs.Options)) (*ecs.ExecuteCommandOutput, error)
	ListServiceDeployments(context.Context, *ecs.ListServiceDeploymentsInput, ...func(*ecs.Options)) (*ecs.ListServiceDeploymentsOutput, error)
	StopServiceDeployment(context.Context, *ecs.StopServiceDeploymentInput, ...func(*ecs.Options)) (*ecs.StopServiceDeploymentOutput, error)
}

// LogsAPI is the part of the CloudWatch Logs API the operations use.
type LogsAPI interface {
	FilterLogEvents(context.Context, *cloudwatchlogs.FilterLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
	GetLogEvents(context.Context, *cloudwatchlogs.GetLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error)
	StartLiveTail(context.Context, *cloudwatchlogs.StartLiveTailInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.StartLiveTailOutput, error)
}

// SSMAPI is the part of the Systems Manager API the release history uses.
type SSMAPI interface {
	PutParameter(context.Context, *ssm.PutParameterInput, ...func(*ssm.Options)) (*ssm.PutParameterOutput, error)
	GetParametersByPath(context.Context, *ssm.GetParametersByPathInput, ...func(*ssm.Options)) (*ssm.GetParametersByPathOutput, error)
	DeleteParameters(context.Context, *ssm.DeleteParametersInput, ...func(*ssm.Options)) (*ssm.DeleteParametersOutput, error)
}

// ECRAPI is the part of the ECR API that resolves an image's digest.
type ECRAPI interface {
	DescribeImages(context.Context, *ecr.DescribeImagesInput, ...func(*ecr.Options)) (*ecr.DescribeImagesOutput, error)
}

// STSAPI names the caller of a release.
type STSAPI interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

var (
	_ ECSAPI  = (*ecs.Client)(nil)
	_ LogsAPI = (*cloudwatchlogs.Client)(nil)
	_ SSMAPI  = (*ssm.Client)(nil)
	_ ECRAPI  = (*ecr.Client)(nil)
	_ STSAPI  = (*sts.Client)(nil)
)

// Clients are the APIs the operations call. An operation uses only some
// of them; ECR and STS may be nil, and a release then goes without what
// they would add (an ECR digest, the caller).
type Clients struct {
	CloudFormation deploy.API
	ECS            ECSAPI
	Logs           LogsAPI
	SSM            SSMAPI
	ECR            ECRAPI
	STS            STSAPI
	// Region is the clients' region, for the session-manager-plugin.
	Region string
	// ECSEndpoint is the ECS endpoint URL the clients were pointed at,
	// if any, for the session-manager-plugin; empty means AWS's own.
	ECSEndpoint string
}

// FromDeploy returns the clients of c. The ECS endpoint is the one its
// client was given (--endpoint-url, AWS_ENDPOINT_URL or
// AWS_ENDPOINT_URL_ECS), for the session-manager-plugin.
func FromDeploy(c *deploy.Clients) Clients {
	return Clients{CloudFormation: c.CloudFormation, ECS: c.ECS, Logs: c.Logs, SSM: c.SSM, ECR: c.ECR, STS: c.STS,
		Region: c.Region, ECSEndpoint: aws.ToString(c.ECS.Options().BaseEndpoint)}
}

// DeniedError reports that AWS refused an action for lack of permission.
// Action is the IAM action, such as ecs:ListTasks. Exit code 1.
type DeniedError struct {
	Action string
	Err    error
}

func (e *DeniedError) Error() string {
	return fmt.Sprintf("permission denied: the caller may not call %s (%s)", e.Action, brief(e.Err))
}
func (e *DeniedError) Unwrap() error { return e.Err }
func (e *DeniedError) ExitCode() int { return deploy.ExitFailure }

// callError wraps the error of an API call: a *DeniedError when AWS
// refused the action, else the error with what was being done.
func callError(action, doing string, err error) error {
	if err == nil {
		return nil
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code := apiErr.ErrorCode()
		// ECS, Logs, SSM and ECR answer AccessDeniedException, STS and
		// CloudFormation AccessDenied; some APIs UnauthorizedOperation.
		if strings.HasPrefix(code, "AccessDenied") || code == "UnauthorizedOperation" || code == "AuthorizationError" {
			return &DeniedError{Action: action, Err: err}
		}
		return fmt.Errorf("%s: %s", doing, brief(err))
	}
	return fmt.Errorf("%s: %w", doing, err)
}

// brief reads an SDK error as "Code: Message", without the operation,
// HTTP status and request ID the SDK adds.
func brief(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		if apiErr.ErrorMessage() == "" {
			return apiErr.ErrorCode()
		}
		return apiErr.ErrorCode() + ": " + apiErr.ErrorMessage()
	}
	return err.Error()
}

// errorCode is the API error code of err, or "".
func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}
