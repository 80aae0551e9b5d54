package operate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Task is an ECS task of the service, as the tasks command lists it.
type Task struct {
	ID               string      `json:"id"`
	ARN              string      `json:"arn"`
	LastStatus       string      `json:"lastStatus"`
	DesiredStatus    string      `json:"desiredStatus"`
	Health           string      `json:"health"`
	AvailabilityZone string      `json:"availabilityZone,omitempty"`
	TaskDefinition   string      `json:"taskDefinition"`
	Group            string      `json:"group,omitempty"`
	StartedAt        *time.Time  `json:"startedAt,omitempty"`
	StoppedAt        *time.Time  `json:"stoppedAt,omitempty"`
	StopCode         string      `json:"stopCode,omitempty"`
	StoppedReason    string      `json:"stoppedReason,omitempty"`
	Containers       []Container `json:"containers"`
	CapacityProvider string      `json:"capacityProvider,omitempty"`
	createdAt        time.Time
	// execEnabled is the task's own enableExecuteCommand: a task started
	// before the service turned ECS Exec on runs without it.
	execEnabled bool
}

// Container is one container of a task.
type Container struct {
	Name        string `json:"name"`
	Image       string `json:"image"`
	ImageDigest string `json:"imageDigest,omitempty"`
	LastStatus  string `json:"lastStatus"`
	Health      string `json:"health,omitempty"`
	ExitCode    *int32 `json:"exitCode,omitempty"`
	Reason      string `json:"reason,omitempty"`
	RuntimeID   string `json:"-"`
	// execAgent is the lastStatus of the container's ExecuteCommandAgent
	// (PENDING, RUNNING, STOPPED), "" when it has none.
	execAgent string
}

// ImageDigest is the digest of the image the task's first container
// runs, as ECS resolved it when the task started.
func (t Task) ImageDigest() string {
	for _, c := range t.Containers {
		if c.ImageDigest != "" {
			return c.ImageDigest
		}
	}
	return ""
}

// container returns the task's container called name.
func (t Task) container(name string) (Container, bool) {
	for _, c := range t.Containers {
		if c.Name == name {
			return c, true
		}
	}
	if len(t.Containers) == 1 && name == "" {
		return t.Containers[0], true
	}
	return Container{}, false
}

// ErrNoStoppedTask reports a service with no stopped task that ECS still
// shows (it keeps them for about an hour).
var ErrNoStoppedTask = errors.New("no stopped task: ECS shows stopped tasks for about an hour after they stop")

// ListTasks lists the service's running tasks and, with stopped, those
// ECS still shows as stopped: running first, newest first.
func ListTasks(ctx context.Context, c Clients, svc *Service, stopped bool) ([]Task, error) {
	statuses := []ecstypes.DesiredStatus{ecstypes.DesiredStatusRunning}
	if stopped {
		statuses = append(statuses, ecstypes.DesiredStatusStopped)
	}
	var arns []string
	for _, status := range statuses {
		var token *string
		for {
			out, err := c.ECS.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(svc.Cluster), ServiceName: aws.String(svc.Service),
				DesiredStatus: status, NextToken: token})
			if err != nil {
				return nil, callError("ecs:ListTasks", "list the tasks of service "+svc.Service, err)
			}
			arns = append(arns, out.TaskArns...)
			if token = out.NextToken; token == nil {
				break
			}
		}
	}
	// A task that stopped between the two lists is in both.
	slices.Sort(arns)
	tasks, err := describeTasks(ctx, c, svc.Cluster, slices.Compact(arns))
	if err != nil {
		return nil, err
	}
	// A task the service started is in group service:NAME (ECS API
	// reference, Task.group); a one-off task of the same family is not.
	kept := tasks[:0]
	for _, t := range tasks {
		if t.Group == "" || t.Group == "service:"+svc.Service {
			kept = append(kept, t)
		}
	}
	sortTasks(kept)
	return kept, nil
}

// sortTasks puts running tasks before stopped ones, newest first.
func sortTasks(tasks []Task) {
	sort.SliceStable(tasks, func(i, j int) bool {
		si, sj := tasks[i].LastStatus == "STOPPED", tasks[j].LastStatus == "STOPPED"
		if si != sj {
			return !si
		}
		return tasks[i].newest().After(tasks[j].newest())
	})
}

// newest is when the task last changed: stopped, started or created.
func (t Task) newest() time.Time {
	switch {
	case t.StoppedAt != nil:
		return *t.StoppedAt
	case t.StartedAt != nil:
		return *t.StartedAt
	}
	return t.createdAt
}

// describeTasks describes tasks in batches of 100, the most DescribeTasks
// takes (ECS API reference, DescribeTasks: tasks, up to 100).
func describeTasks(ctx context.Context, c Clients, cluster string, arns []string) ([]Task, error) {
	var tasks []Task
	for start := 0; start < len(arns); start += 100 {
		batch := arns[start:min(start+100, len(arns))]
		out, err := c.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: batch})
		if err != nil {
			return nil, callError("ecs:DescribeTasks", "describe tasks", err)
		}
		for _, t := range out.Tasks {
			tasks = append(tasks, taskOf(t))
		}
	}
	return tasks, nil
}

func taskOf(t ecstypes.Task) Task {
	task := Task{
		ARN:              aws.ToString(t.TaskArn),
		LastStatus:       aws.ToString(t.LastStatus),
		DesiredStatus:    aws.ToString(t.DesiredStatus),
		Health:           string(t.HealthStatus),
		AvailabilityZone: aws.ToString(t.AvailabilityZone),
		TaskDefinition:   aws.ToString(t.TaskDefinitionArn),
		Group:            aws.ToString(t.Group),
		StartedAt:        t.StartedAt,
		StoppedAt:        t.StoppedAt,
		StopCode:         string(t.StopCode),
		StoppedReason:    aws.ToString(t.StoppedReason),
		CapacityProvider: aws.ToString(t.CapacityProviderName),
	}
	task.ID = TaskID(task.ARN)
	task.execEnabled = t.EnableExecuteCommand
	if t.CreatedAt != nil {
		task.createdAt = *t.CreatedAt
	}
	if task.Health == "" {
		task.Health = string(ecstypes.HealthStatusUnknown)
	}
	for _, c := range t.Containers {
		container := Container{
			Name:        aws.ToString(c.Name),
			Image:       aws.ToString(c.Image),
			ImageDigest: aws.ToString(c.ImageDigest),
			LastStatus:  aws.ToString(c.LastStatus),
			Health:      string(c.HealthStatus),
			ExitCode:    c.ExitCode,
			Reason:      aws.ToString(c.Reason),
			RuntimeID:   aws.ToString(c.RuntimeId),
		}
		for _, a := range c.ManagedAgents {
			if a.Name == ecstypes.ManagedAgentNameExecuteCommandAgent {
				container.execAgent = aws.ToString(a.LastStatus)
			}
		}
		task.Containers = append(task.Containers, container)
	}
	return task
}

// TaskNotFoundError reports a task ID that matches none of the service's
// tasks, or more than one.
type TaskNotFoundError struct {
	ID string
	// Matches are the IDs the prefix matched, when more than one.
	Matches []string
	// Status is the statuses looked in, such as RUNNING.
	Status string
}

func (e *TaskNotFoundError) Error() string {
	if len(e.Matches) > 1 {
		return fmt.Sprintf("task %s is ambiguous: it starts %s", e.ID, strings.Join(e.Matches, ", "))
	}
	return fmt.Sprintf("no %s task of the service has the ID %s", strings.ToLower(e.Status), e.ID)
}

// pickTask returns the task whose ID is id or, failing that, starts with
// it (the short IDs the commands print); a full ARN works too.
func pickTask(tasks []Task, id, status string) (Task, error) {
	id = TaskID(id)
	var matches []Task
	for _, t := range tasks {
		if t.ID == id {
			return t, nil
		}
		if id != "" && strings.HasPrefix(t.ID, id) {
			matches = append(matches, t)
		}
	}
	if len(matches) == 1 {
		return matches[0], nil
	}
	e := &TaskNotFoundError{ID: id, Status: status}
	for _, m := range matches {
		e.Matches = append(e.Matches, m.ID)
	}
	return Task{}, e
}

// StopTask stops one running task of the service, found by its ID or the
// start of it. reason is recorded on the task (ECS API reference,
// StopTask: reason, up to 255 characters).
func StopTask(ctx context.Context, c Clients, svc *Service, id, reason string) (Task, error) {
	tasks, err := ListTasks(ctx, c, svc, false)
	if err != nil {
		return Task{}, err
	}
	t, err := pickTask(tasks, id, "RUNNING")
	if err != nil {
		return Task{}, err
	}
	if len(reason) > 255 {
		reason = reason[:255]
	}
	out, err := c.ECS.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(svc.Cluster), Task: aws.String(t.ARN), Reason: aws.String(reason)})
	if err != nil {
		return Task{}, callError("ecs:StopTask", "stop task "+t.ID, err)
	}
	if out.Task != nil {
		return taskOf(*out.Task), nil
	}
	return t, nil
}

// LastStopped returns the service's most recently stopped task.
func LastStopped(ctx context.Context, c Clients, svc *Service) (Task, error) {
	tasks, err := ListTasks(ctx, c, svc, true)
	if err != nil {
		return Task{}, err
	}
	var last *Task
	for i, t := range tasks {
		if t.LastStatus != "STOPPED" && t.DesiredStatus != "STOPPED" {
			continue
		}
		if last == nil || t.newest().After(last.newest()) {
			last = &tasks[i]
		}
	}
	if last == nil {
		return Task{}, ErrNoStoppedTask
	}
	return *last, nil
}
