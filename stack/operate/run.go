package operate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// RunOptions describe a one-off task.
type RunOptions struct {
	// Command replaces the container's command; empty keeps the task
	// definition's.
	Command []string
	// Spot runs the task on Fargate Spot. Without it the task runs on
	// regular Fargate, whatever the service's capacity strategy: Fargate
	// Spot can stop a task with two minutes' notice, half-way through a
	// migration.
	Spot bool
	// StartedBy tags the task (ECS API reference, RunTask startedBy: up to
	// 128 letters, numbers, hyphens, forward slashes and underscores).
	StartedBy string
	// NoWait returns once the task is started.
	NoWait bool
	// PollInterval is how often the task and its log are read while
	// waiting; zero means DefaultPollInterval.
	PollInterval time.Duration
	// ClientToken makes RunTask idempotent: a call retried with the same
	// token (the SDK retries a 5xx or a lost answer) starts no second
	// task. Up to 64 characters from ! to ~ (ECS API reference, RunTask
	// clientToken; "Ensuring idempotency"). Empty lets the SDK make one.
	ClientToken string
}

// RunResult is how a one-off task ended, or that it started (NoWait).
type RunResult struct {
	Task Task
	// ExitCode is the application container's exit code once the task
	// stopped; nil when it never ran (see *RunError) or with NoWait.
	ExitCode *int32
}

// RunError reports a one-off task that could not start, or stopped
// before its container ran. Exit code 1.
type RunError struct {
	TaskID string
	Reason string
}

func (e *RunError) Error() string {
	if e.TaskID == "" {
		return "the task could not start: " + e.Reason
	}
	return fmt.Sprintf("task %s stopped before its container ran: %s", e.TaskID, e.Reason)
}
func (e *RunError) ExitCode() int { return deploy.ExitFailure }

// Run starts a one-off task from the service's current task definition,
// in its subnets and security groups, on Fargate (Fargate Spot with
// o.Spot), and unless NoWait sends the task's log lines to emit until it
// stops.
func Run(ctx context.Context, c Clients, svc *Service, o RunOptions, emit func(LogEvent) error) (*RunResult, error) {
	in := &ecs.RunTaskInput{
		Cluster:              aws.String(svc.Cluster),
		TaskDefinition:       aws.String(svc.TaskDefinition),
		Count:                aws.Int32(1),
		NetworkConfiguration: svc.Network,
		StartedBy:            aws.String(o.StartedBy),
	}
	if o.StartedBy == "" {
		in.StartedBy = nil
	}
	if o.ClientToken != "" {
		in.ClientToken = aws.String(o.ClientToken)
	}
	// RunTask takes a capacity provider strategy or a launch type, not
	// both (ECS API reference, RunTask). Not the service's strategy: with
	// --spot --spot-base 0 that would put a one-off task on Spot.
	switch {
	case o.Spot:
		in.CapacityProviderStrategy = []ecstypes.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE_SPOT"), Weight: 1}}
	case len(svc.CapacityProviderStrategy) > 0:
		// The service's cluster has the Fargate providers.
		in.CapacityProviderStrategy = []ecstypes.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE"), Weight: 1}}
	default:
		in.LaunchType = ecstypes.LaunchTypeFargate // every cfnfargate service runs on Fargate
	}
	if svc.PlatformVersion != "" {
		in.PlatformVersion = aws.String(svc.PlatformVersion)
	}
	if len(o.Command) > 0 {
		in.Overrides = &ecstypes.TaskOverride{ContainerOverrides: []ecstypes.ContainerOverride{{
			Name: aws.String(svc.Container), Command: o.Command,
		}}}
	}
	out, err := c.ECS.RunTask(ctx, in)
	if err != nil {
		var invalid *ecstypes.InvalidParameterException
		if errors.As(err, &invalid) {
			return nil, &RunError{Reason: brief(err)}
		}
		return nil, callError("ecs:RunTask", "run a task of "+svc.TaskDefinition, err)
	}
	if len(out.Tasks) == 0 {
		var reasons []string
		for _, f := range out.Failures {
			reasons = append(reasons, strings.TrimSpace(aws.ToString(f.Reason)+" "+aws.ToString(f.Detail)))
		}
		if len(reasons) == 0 {
			reasons = []string{"ECS started no task and gave no reason"}
		}
		return nil, &RunError{Reason: strings.Join(reasons, "; ")}
	}
	task := taskOf(out.Tasks[0])
	if o.NoWait {
		return &RunResult{Task: task}, nil
	}
	return Wait(ctx, c, svc, task, o.PollInterval, emit)
}

// Wait follows a task's log until it stops, and reads how it ended: the
// result has the application container's exit code, or the error is a
// *RunError when the container never ran. When ctx ends first, the
// result holds the task as last seen.
func Wait(ctx context.Context, c Clients, svc *Service, task Task, interval time.Duration, emit func(LogEvent) error) (*RunResult, error) {
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	if emit == nil {
		emit = func(LogEvent) error { return nil }
	}
	seen := newPrinted()
	var since int64
	readLog := func() error {
		if svc.LogGroup == "" {
			return nil
		}
		newest, err := filterOnce(ctx, c, svc, svc.TaskStream(task.ID), "", since, seen, emit)
		// The stream exists once the container has logged; a missing log
		// group says nothing about the task.
		if errors.Is(err, ErrNoLogGroup) {
			return nil
		}
		since = max(since, newest)
		return err
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return &RunResult{Task: task}, fmt.Errorf("stopped waiting for task %s, which carries on: %w", task.ID, ctx.Err())
		case <-ticker.C:
		}
		tasks, err := describeTasks(ctx, c, svc.Cluster, []string{task.ARN})
		if err != nil {
			return &RunResult{Task: task}, err
		}
		if err := readLog(); err != nil {
			return &RunResult{Task: task}, err
		}
		if len(tasks) == 0 {
			continue
		}
		task = tasks[0]
		if task.LastStatus != "STOPPED" {
			continue
		}
		// The last lines can reach CloudWatch after the task stops.
		if err := readLog(); err != nil {
			return &RunResult{Task: task}, err
		}
		app, ok := task.container(svc.Container)
		if !ok || app.ExitCode == nil {
			reason := task.StoppedReason
			if app.Reason != "" {
				reason += ": " + app.Reason
			}
			return &RunResult{Task: task}, &RunError{TaskID: task.ID, Reason: reason}
		}
		return &RunResult{Task: task, ExitCode: app.ExitCode}, nil
	}
}
