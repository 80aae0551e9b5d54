package watch

import "time"

// Fact is one thing the Watcher found: a Rollout, a ServiceMessage, a
// TaskStopped, a TargetHealth or a Denied.
type Fact interface {
	// At is when the Watcher saw it, on the local clock.
	At() time.Time
	fact()
}

// Rollout is the state of the service's new deployment, reported when it
// changes.
type Rollout struct {
	Time time.Time `json:"time"`
	// Deployment is the deployment's ID (ecs-svc/...), which ECS stamps as
	// startedBy on the tasks it starts.
	Deployment     string `json:"deployment"`
	Status         string `json:"status"`       // PRIMARY, ACTIVE or INACTIVE
	State          string `json:"rolloutState"` // IN_PROGRESS, COMPLETED or FAILED
	Reason         string `json:"rolloutStateReason,omitempty"`
	TaskDefinition string `json:"taskDefinition,omitempty"`
	Desired        int    `json:"desired"`
	Running        int    `json:"running"`
	Pending        int    `json:"pending"`
	Failed         int    `json:"failed"`
}

// ServiceMessage is an event of the ECS service ("(service x) has started 1
// tasks: ..."), newer than the watch.
type ServiceMessage struct {
	Time    time.Time `json:"time"`
	Created time.Time `json:"created"`
	ID      string    `json:"id"`
	Message string    `json:"message"`
}

// TaskStopped is a task of the new deployment that stopped, with its cause.
type TaskStopped struct {
	Time  time.Time `json:"time"`
	Task  Task      `json:"task"`
	Cause Cause     `json:"cause"`
	// Count is how many tasks of the deployment have stopped with this
	// cause (Cause.Key), this one included.
	Count int `json:"count"`
}

// Task is a stopped task as ECS describes it.
type Task struct {
	ID            string      `json:"id"`
	ARN           string      `json:"arn"`
	Deployment    string      `json:"deployment,omitempty"`
	StopCode      string      `json:"stopCode,omitempty"`
	StoppedReason string      `json:"stoppedReason,omitempty"`
	StartedAt     time.Time   `json:"startedAt,omitzero"`
	StoppedAt     time.Time   `json:"stoppedAt,omitzero"`
	Containers    []Container `json:"containers,omitempty"`
	// IPs are the task's private addresses, which are its targets' IDs.
	IPs []string `json:"ips,omitempty"`
}

// Container is one container of a stopped task.
type Container struct {
	Name     string `json:"name"`
	ExitCode *int   `json:"exitCode,omitempty"`
	Reason   string `json:"reason,omitempty"`
	// LogStream and LogLines are the container's awslogs stream and its
	// last lines (at most MaxLogLines), when it wrote any.
	LogStream string   `json:"logStream,omitempty"`
	LogLines  []string `json:"logLines,omitempty"`
}

// TargetHealth is a target of the service's target groups whose health
// changed.
type TargetHealth struct {
	Time        time.Time `json:"time"`
	TargetGroup string    `json:"targetGroup"`
	Target      string    `json:"target"` // ID:port
	State       string    `json:"state"`
	Reason      string    `json:"reason,omitempty"`
	Description string    `json:"description,omitempty"`
	// Cause is set for an unhealthy target whose reason says why.
	Cause *Cause `json:"cause,omitempty"`
}

// Denied reports, once per action, an API call the credentials may not
// make (or one that fails for good); the Watcher carries on without it.
type Denied struct {
	Time    time.Time `json:"time"`
	Action  string    `json:"action"` // as in an IAM policy: ecs:ListTasks
	Message string    `json:"message"`
}

func (f Rollout) At() time.Time        { return f.Time }
func (f ServiceMessage) At() time.Time { return f.Time }
func (f TaskStopped) At() time.Time    { return f.Time }
func (f TargetHealth) At() time.Time   { return f.Time }
func (f Denied) At() time.Time         { return f.Time }

func (Rollout) fact()        {}
func (ServiceMessage) fact() {}
func (TaskStopped) fact()    {}
func (TargetHealth) fact()   {}
func (Denied) fact()         {}
