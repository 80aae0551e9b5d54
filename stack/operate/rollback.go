package operate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// RollbackOptions choose the release to deploy again.
type RollbackOptions struct {
	// To is the release number; zero means the one before the newest.
	To      int
	Timeout time.Duration
	// AllowReplacement and ConfirmReplacement are deploy.Input's: a
	// rollback that replaces resources runs only as they allow.
	AllowReplacement   bool
	ConfirmReplacement func(ctx context.Context, replacements []deploy.Replacement) (bool, error)
	// ReadLive reads the live weights of a blue/green service's listener
	// rules into the input (deploy.Input.ReadLive and KeepWeights), once
	// the stack is ready: they are written into the release's template,
	// whose own are those of its time, and first into the stack's
	// template. A release that would delete the target group that serves
	// (a rolling one, while the alternate group serves) is refused: a
	// *deploy.StrategySwitchError.
	ReadLive func(ctx context.Context, in *deploy.Input) error
	// Caller fills in the release records' By; Now their Time.
	Now func() time.Time
}

// RollbackResult is a rollback that deployed.
type RollbackResult struct {
	Deploy *deploy.Result
	// Target is the release deployed again; Image the image it ran, pinned
	// by digest when the digest is known.
	Target Release
	Image  string
	// Recorded is the new release, nil when the deploy changed nothing.
	Recorded *Release
}

// ErrNothingToRollBackTo reports a history with a single release and no
// release number given.
var ErrNothingToRollBackTo = errors.New("the history has only one release: there is no earlier one to roll back to")

// Rollback deploys a recorded release again through a change set: the
// template body it used, its parameters, and its image pinned by digest
// (REPOSITORY@sha256:...). CloudFormation registers a new task definition
// revision from it, so an old revision that has been deregistered does
// not matter. The task count parameters keep their current values: a
// rollback restores what runs, not how many. A rollback that deploys is
// recorded as a release of its own.
func Rollback(ctx context.Context, c Clients, d *deploy.Deployer, stackName string, o RollbackOptions) (*RollbackResult, error) {
	releases, err := History(ctx, c, stackName)
	if err != nil {
		return nil, err
	}
	if len(releases) == 0 {
		return nil, fmt.Errorf("stack %s: %w", stackName, ErrNoReleases)
	}
	var target Release
	switch {
	case o.To != 0:
		if target, err = FindRelease(releases, o.To); err != nil {
			return nil, err
		}
	case len(releases) < 2:
		return nil, ErrNothingToRollBackTo
	default:
		target = releases[1]
	}
	body, err := ReleaseTemplate(ctx, c, stackName, target)
	if err != nil {
		return nil, err
	}
	st, err := describeStack(ctx, c, stackName)
	if err != nil {
		return nil, err
	}
	params := map[string]string{}
	for k, v := range target.Parameters {
		switch {
		case k == stack.ParamDesiredCount || k == stack.ParamMinCount || k == stack.ParamMaxCount:
			continue // kept as they are now
		case v == "****":
			// A NoEcho parameter, which DescribeStacks masks: its value
			// was never known, so the current one is kept.
			continue
		}
		params[k] = v
	}
	res := &RollbackResult{Target: target, Image: target.PinnedImage()}
	if res.Image != "" {
		params[stack.ParamContainerImage] = res.Image
	}
	if target.ImageDigest == "" && target.Image != "" {
		note(d, stackName, "Warning: the digest of release %d's image was not recorded; deploying %s, which may no longer be the image it ran", target.Number, target.Image)
	}
	note(d, stackName, "Rolling back stack %s to release %d of %s (image %s)", stackName, target.Number, target.Time.Format(time.RFC3339), res.Image)
	in := stackInput(st, body, params, o.Timeout)
	in.AllowReplacement, in.ConfirmReplacement = o.AllowReplacement, o.ConfirmReplacement
	// The release's weights are those of its time, which ECS has moved
	// since; its template forces a deployment on every update when it is
	// from an earlier version (a deployment is forced only when the
	// placement changes); and it leaves out the off state of settings that
	// were off (review of issue 18, item 5).
	in.ReadLive, in.ForcePlacement, in.OffStates = o.ReadLive, true, true
	// The release's capabilities and the stack's: either template may
	// need them.
	for _, capability := range target.Capabilities {
		if !slices.Contains(in.Capabilities, capability) {
			in.Capabilities = append(in.Capabilities, capability)
		}
	}
	if res.Deploy, err = d.Deploy(ctx, in); err != nil {
		return nil, err
	}
	if res.Deploy.NoChanges {
		return res, nil
	}
	res.Recorded, err = Record(ctx, c, stackName, RecordOptions{Action: "rollback", RollbackOf: target.Number, Now: o.Now, SettingsOf: &target})
	if err != nil {
		return res, fmt.Errorf("rolled back, but could not record the release: %w", err)
	}
	return res, nil
}

// InFlight is what StopInFlight stopped.
type InFlight struct {
	// CloudFormation is true when a stack update was cancelled; else
	// Deployment is the ECS service deployment stopped with rollback.
	CloudFormation bool
	Deployment     string
}

// ErrNothingInFlight reports a stack with no update and a service with
// no deployment in progress.
var ErrNothingInFlight = errors.New("nothing is in flight: the stack is not updating and the service has no deployment in progress")

// StackBusyError refuses to stop what is in flight while CloudFormation
// works on the stack in a way that a stop would harm: during a rollback,
// the ECS deployment in progress is the one that rollback started (a
// rolled-back AWS::ECS::Service is another UpdateService), and stopping it
// fails the rollback (UPDATE_ROLLBACK_FAILED, which needs
// ContinueUpdateRollback); during a create, the first deployment has no
// COMPLETED deployment to roll back to ("The rollback method requires a
// previous deployment in COMPLETED state", ECS developer guide,
// "Deployment failure detection"). Exit code 1.
type StackBusyError struct {
	Stack  string
	Status string
	// TrafficSync is set while a deploy writes a blue/green service's live
	// traffic into the stack's template (deploy.TrafficSyncToken): that
	// update must not be cancelled, as its rollback would set the traffic
	// back to the stale weights it replaces.
	TrafficSync bool
}

func (e *StackBusyError) Error() string {
	what := "CloudFormation is working on it"
	switch {
	case e.TrafficSync:
		what = "a deploy is writing the service's live traffic into the stack's template, in an update of its listener rules alone that takes seconds; " +
			"cancelled, its rollback would set the traffic back to the stale weights it replaces"
	case strings.Contains(e.Status, "ROLLBACK"):
		what = "CloudFormation is rolling it back, and the ECS deployment in progress is that rollback's own; stopping it would fail the rollback"
	case strings.HasPrefix(e.Status, "CREATE_") || e.Status == "REVIEW_IN_PROGRESS":
		what = "CloudFormation is creating it, and its first ECS deployment has no earlier one to roll back to"
	case strings.HasPrefix(e.Status, "DELETE_"):
		what = "CloudFormation is deleting it"
	}
	return fmt.Sprintf("stack %s is %s: %s. Nothing was stopped; wait until the stack settles", e.Stack, e.Status, what)
}

// ExitCode is ExitFailure.
func (e *StackBusyError) ExitCode() int { return deploy.ExitFailure }

// StopInFlight stops a change that is under way: it cancels the stack
// update when CloudFormation is driving one (CancelUpdateStack rolls the
// stack back), else it stops the service's ECS deployment in progress
// with rollback (StopServiceDeployment, stopType ROLLBACK). While the
// stack is in any other *_IN_PROGRESS state, or runs the update by which a
// deploy writes the live traffic into its template, it stops nothing: a
// *StackBusyError.
func StopInFlight(ctx context.Context, c Clients, stackName string) (*InFlight, error) {
	st, err := describeStack(ctx, c, stackName)
	if err != nil {
		return nil, err
	}
	status := string(st.StackStatus)
	if status != "UPDATE_IN_PROGRESS" && strings.HasSuffix(status, "_IN_PROGRESS") {
		return nil, &StackBusyError{Stack: stackName, Status: status}
	}
	if status == "UPDATE_IN_PROGRESS" {
		syncing, err := deploy.TrafficSyncInProgress(ctx, c.CloudFormation, aws.ToString(st.StackId))
		if err != nil {
			return nil, err
		}
		if syncing {
			return nil, &StackBusyError{Stack: stackName, Status: status, TrafficSync: true}
		}
		_, err = c.CloudFormation.CancelUpdateStack(ctx, &cloudformation.CancelUpdateStackInput{StackName: st.StackId})
		if err != nil {
			return nil, callError("cloudformation:CancelUpdateStack", "cancel the update of stack "+stackName, err)
		}
		return &InFlight{CloudFormation: true}, nil
	}
	svc, err := Find(ctx, c, stackName)
	if err != nil {
		return nil, err
	}
	out, err := c.ECS.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{
		Cluster: aws.String(svc.Cluster), Service: aws.String(svc.Service),
		Status: []ecstypes.ServiceDeploymentStatus{ecstypes.ServiceDeploymentStatusInProgress, ecstypes.ServiceDeploymentStatusPending},
	})
	if err != nil {
		return nil, callError("ecs:ListServiceDeployments", "list the deployments of service "+svc.Service, err)
	}
	if len(out.ServiceDeployments) == 0 {
		return nil, ErrNothingInFlight
	}
	// The newest, as the order of the list is not documented.
	newest := out.ServiceDeployments[0]
	for _, d := range out.ServiceDeployments[1:] {
		if aws.ToTime(d.CreatedAt).After(aws.ToTime(newest.CreatedAt)) {
			newest = d
		}
	}
	arn := aws.ToString(newest.ServiceDeploymentArn)
	if _, err := c.ECS.StopServiceDeployment(ctx, &ecs.StopServiceDeploymentInput{
		ServiceDeploymentArn: aws.String(arn), StopType: ecstypes.StopServiceDeploymentStopTypeRollback,
	}); err != nil {
		return nil, callError("ecs:StopServiceDeployment", "stop deployment "+arn, err)
	}
	return &InFlight{Deployment: arn}, nil
}
