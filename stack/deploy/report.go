package deploy

import (
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/cfnfargate/cfnfargate/stack/deploy/watch"
)

// Report is the whole story of a deploy, for CI systems and postmortems:
// the CloudFormation events, the deployments, the stopped tasks with their
// causes and log lines, the target health, and the outcome. It is a Sink:
// pass it, beside the renderer, to the Deployer (see Tee), then call
// Finish with what Deploy returned and write it with JSON.
type Report struct {
	mu sync.Mutex
	r  reportJSON
}

type reportJSON struct {
	Stack        string                 `json:"stack"`
	Started      time.Time              `json:"started,omitzero"`
	Ended        time.Time              `json:"ended,omitzero"`
	Outcome      string                 `json:"outcome"` // succeeded, no-changes, failed, interrupted, timed-out
	Status       string                 `json:"status,omitempty"`
	Error        string                 `json:"error,omitempty"`
	StoppedBy    string                 `json:"stoppedBy,omitempty"`
	Timing       *watch.Timing          `json:"timing,omitempty"`
	Events       []ResourceEvent        `json:"cloudFormationEvents"`
	Deployments  []watch.Rollout        `json:"deployments"`
	Messages     []watch.ServiceMessage `json:"serviceEvents"`
	StoppedTasks []watch.TaskStopped    `json:"stoppedTasks"`
	TargetHealth []watch.TargetHealth   `json:"targetHealth"`
	Denied       []watch.Denied         `json:"denied,omitempty"`
	// Cause is the ECS cause of a failed deploy, when the watcher found one.
	Cause *watch.Verdict `json:"cause,omitempty"`
	Notes []string       `json:"notes"`
}

// NewReport returns an empty Report.
func NewReport() *Report {
	return &Report{r: reportJSON{
		Events: []ResourceEvent{}, Deployments: []watch.Rollout{}, Messages: []watch.ServiceMessage{},
		StoppedTasks: []watch.TaskStopped{}, TargetHealth: []watch.TargetHealth{}, Notes: []string{},
	}}
}

// Event records e.
func (r *Report) Event(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch e := e.(type) {
	case Note:
		r.r.Stack = e.Stack
		r.r.Notes = append(r.r.Notes, e.Text)
	case WaitStarted:
		r.r.Stack = e.Stack
		if r.r.Started.IsZero() {
			r.r.Started = e.Time
		}
		if e.Timing != nil {
			r.r.Timing = e.Timing
		}
	case ResourceEvent:
		r.r.Events = append(r.r.Events, e)
	case ServiceFact:
		switch f := e.Fact.(type) {
		case watch.Rollout:
			r.r.Deployments = append(r.r.Deployments, f)
		case watch.ServiceMessage:
			r.r.Messages = append(r.r.Messages, f)
		case watch.TaskStopped:
			r.r.StoppedTasks = append(r.r.StoppedTasks, f)
		case watch.TargetHealth:
			r.r.TargetHealth = append(r.r.TargetHealth, f)
		case watch.Denied:
			r.r.Denied = append(r.r.Denied, f)
		}
	case WaitEnded:
		r.r.Status = e.StackStatus
	}
}

// Finish records the outcome of Deploy: its result or its error.
func (r *Report) Finish(res *Result, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.r.Ended = time.Now()
	var failed *FailedError
	var interrupted *InterruptedError
	var timeout *TimeoutError
	switch {
	case err == nil && res != nil && res.NoChanges:
		r.r.Outcome = "no-changes"
	case err == nil:
		r.r.Outcome = "succeeded"
		if res != nil {
			r.r.Status = res.Status
		}
	case errors.As(err, &failed):
		r.r.Outcome, r.r.Status, r.r.StoppedBy, r.r.Cause = "failed", failed.Status, failed.StoppedBy, failed.Service
	case errors.As(err, &interrupted):
		r.r.Outcome = "interrupted"
	case errors.As(err, &timeout):
		r.r.Outcome = "timed-out"
	default:
		r.r.Outcome = "failed"
	}
	if err != nil {
		r.r.Error = err.Error()
	}
}

// JSON returns the report, indented.
func (r *Report) JSON() ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, err := json.MarshalIndent(r.r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Tee returns a Sink that passes each event to every sink, in order.
func Tee(sinks ...Sink) Sink {
	return SinkFunc(func(e Event) {
		for _, s := range sinks {
			if s != nil {
				s.Event(e)
			}
		}
	})
}
