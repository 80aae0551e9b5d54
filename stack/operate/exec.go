package operate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// Plugin is the program ECS Exec sessions run through, as the aws CLI and
// ecspresso use it.
const Plugin = "session-manager-plugin"

// PluginInstallURL is where AWS documents installing the plugin.
const PluginInstallURL = "https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html"

// PluginMissingError reports that the plugin is not on PATH.
type PluginMissingError struct{ Err error }

func (e *PluginMissingError) Error() string {
	return fmt.Sprintf("%s is not installed or not on PATH; install it as %s describes", Plugin, PluginInstallURL)
}
func (e *PluginMissingError) Unwrap() error { return e.Err }

// ErrExecDisabled reports a service whose tasks run without ECS Exec.
var ErrExecDisabled = errors.New("ECS Exec is off for the service (enableExecuteCommand is false)")

// ErrNoRunningTask reports a service without a running task.
var ErrNoRunningTask = errors.New("the service has no running task")

// TaskNotRunningError reports a task that is not RUNNING, which ECS Exec
// needs.
type TaskNotRunningError struct {
	ID     string
	Status string
}

func (e *TaskNotRunningError) Error() string {
	return fmt.Sprintf("task %s is %s; ECS Exec needs a RUNNING task", e.ID, e.Status)
}

// ExecNotReadyError reports tasks that cannot take an ECS Exec session:
// each task runs with the enableExecuteCommand it was started with, and
// its container's ExecuteCommandAgent must be RUNNING; otherwise ECS
// answers InvalidParameterException ("execute command was not enabled
// when the task was run or the execute command agent isn't running").
// During a blue/green bake, the old revision's tasks can be among them.
type ExecNotReadyError struct {
	// Reasons say why, one per task: "task 0123abcd was started before
	// ECS Exec was turned on".
	Reasons []string
	// Running is how many tasks run; Reasons has one for each when none
	// is ready.
	Running int
}

func (e *ExecNotReadyError) Error() string {
	if e.Running <= 1 {
		return strings.Join(e.Reasons, "; ") + "; ECS Exec cannot open a session in it"
	}
	return fmt.Sprintf("none of the %d running tasks can take an ECS Exec session: %s", e.Running, strings.Join(e.Reasons, "; "))
}

// ExitCode is deploy.ExitFailure.
func (e *ExecNotReadyError) ExitCode() int { return deploy.ExitFailure }

// execReady says why task cannot take a session in container, or "" when
// it can.
func execReady(task Task, container string) string {
	if !task.execEnabled {
		return fmt.Sprintf("task %s was started without ECS Exec (before it was turned on); new tasks have it", ShortID(task.ID))
	}
	app, ok := task.container(container)
	if !ok {
		return fmt.Sprintf("task %s has no container %s", ShortID(task.ID), container)
	}
	if app.execAgent != "RUNNING" {
		status := app.execAgent
		if status == "" {
			status = "not reported"
		}
		return fmt.Sprintf("the ECS Exec agent of task %s is %s, not RUNNING", ShortID(task.ID), status)
	}
	return ""
}

// ExecOptions choose the task and the command.
type ExecOptions struct {
	// Task is a task ID or the start of one; empty asks Pick.
	Task string
	// Pick chooses among the running tasks that can take a session when
	// Task is empty and more than one can (a prompt on a terminal);
	// without it that is ErrTaskNeeded. A single one is used as it is.
	Pick func(tasks []Task) (Task, error)
	// Command runs in the container; empty opens /bin/sh.
	Command string
	// LookPath finds the plugin; nil means exec.LookPath.
	LookPath func(string) (string, error)
}

// ExecSession is an ECS Exec session ready for the plugin: run Path with
// Args, with the terminal's stdin, stdout and stderr.
type ExecSession struct {
	Task Task
	Path string
	Args []string
}

// ErrTaskNeeded reports that more than one task runs and none was chosen.
var ErrTaskNeeded = errors.New("more than one task is running: choose one")

// Exec checks that ECS Exec can reach a running task of the service,
// starts a session with ExecuteCommand, and returns the plugin command
// that connects to it. The arguments are those the aws CLI passes
// (awscli/customizations/ecs/executecommand.py): the session as JSON, the
// region, "StartSession", an empty profile, the target as JSON
// ({"Target":"ecs:CLUSTER_TASK_RUNTIMEID"}) and the ECS endpoint.
func Exec(ctx context.Context, c Clients, svc *Service, o ExecOptions) (*ExecSession, error) {
	look := o.LookPath
	if look == nil {
		look = exec.LookPath
	}
	path, err := look(Plugin)
	if err != nil {
		return nil, &PluginMissingError{Err: err}
	}
	if !svc.ExecEnabled {
		return nil, ErrExecDisabled
	}
	var task Task
	if o.Task != "" {
		// Stopped tasks too, to say why one cannot be used.
		tasks, err := ListTasks(ctx, c, svc, true)
		if err != nil {
			return nil, err
		}
		if task, err = pickTask(tasks, o.Task, "RUNNING"); err != nil {
			return nil, err
		}
		if task.LastStatus != "RUNNING" {
			return nil, &TaskNotRunningError{ID: task.ID, Status: task.LastStatus}
		}
		if why := execReady(task, svc.Container); why != "" {
			return nil, &ExecNotReadyError{Reasons: []string{why}, Running: 1}
		}
	} else {
		running, err := ListTasks(ctx, c, svc, false)
		if err != nil {
			return nil, err
		}
		// Only the tasks a session can reach are offered.
		var tasks []Task
		notReady := &ExecNotReadyError{}
		for _, t := range running {
			if t.LastStatus != "RUNNING" {
				continue
			}
			notReady.Running++
			if why := execReady(t, svc.Container); why != "" {
				notReady.Reasons = append(notReady.Reasons, why)
				continue
			}
			tasks = append(tasks, t)
		}
		switch {
		case notReady.Running == 0:
			return nil, ErrNoRunningTask
		case len(tasks) == 0:
			return nil, notReady
		case len(tasks) == 1:
			task = tasks[0]
		case o.Pick == nil:
			return nil, ErrTaskNeeded
		default:
			if task, err = o.Pick(tasks); err != nil {
				return nil, err
			}
		}
	}
	app, ok := task.container(svc.Container)
	if !ok {
		return nil, fmt.Errorf("task %s has no container %s", task.ID, svc.Container)
	}
	command := o.Command
	if command == "" {
		command = "/bin/sh"
	}
	out, err := c.ECS.ExecuteCommand(ctx, &ecs.ExecuteCommandInput{
		Cluster:   aws.String(svc.Cluster),
		Task:      aws.String(task.ARN),
		Container: aws.String(app.Name),
		Command:   aws.String(command),
		// ECS Exec runs interactive sessions only (ECS API reference,
		// ExecuteCommand: interactive).
		Interactive: true,
	})
	if err != nil {
		return nil, callError("ecs:ExecuteCommand", "start a session in task "+task.ID, err)
	}
	session, err := json.Marshal(out.Session)
	if err != nil {
		return nil, err
	}
	target, err := json.Marshal(map[string]string{"Target": fmt.Sprintf("ecs:%s_%s_%s", svc.Cluster, task.ID, app.RuntimeID)})
	if err != nil {
		return nil, err
	}
	endpoint, err := ecsEndpoint(ctx, c)
	if err != nil {
		return nil, err
	}
	return &ExecSession{Task: task, Path: path, Args: []string{string(session), c.Region, "StartSession", "", string(target), endpoint}}, nil
}

// ecsEndpoint is the ECS endpoint the clients use: the one given, or the
// region's own as the SDK resolves it.
func ecsEndpoint(ctx context.Context, c Clients) (string, error) {
	if c.ECSEndpoint != "" {
		return c.ECSEndpoint, nil
	}
	ep, err := ecs.NewDefaultEndpointResolverV2().ResolveEndpoint(ctx, ecs.EndpointParameters{Region: aws.String(c.Region)})
	if err != nil {
		return "", fmt.Errorf("resolve the ECS endpoint of %s: %w", c.Region, err)
	}
	return ep.URI.String(), nil
}
