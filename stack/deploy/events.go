package deploy

import (
	"time"

	"github.com/cfnfargate/cfnfargate/stack/deploy/watch"
)

// Sink receives the progress of an operation. The Deployer calls Event from
// the goroutine that called Deploy, Diff or Delete, one event at a time, and
// does not wait for anything the sink does beyond the call itself.
type Sink interface {
	Event(Event)
}

// SinkFunc adapts a function to a Sink.
type SinkFunc func(Event)

// Event calls f(e).
func (f SinkFunc) Event(e Event) { f(e) }

// Event is one of Note, ChangeSetPending, ChangeSetDone, PlanReady,
// WaitStarted, ResourceEvent, ServiceFact, Polled or WaitEnded.
type Event interface {
	event()
}

// Note is a sentence for the user about what the Deployer is doing or has
// decided, such as "No changes" or why a stack is being deleted first.
type Note struct {
	Time  time.Time
	Stack string
	Text  string
}

// ChangeSetPending is sent when a change set is being created, and again
// after every poll that finds CloudFormation still working out its changes,
// which takes seconds on AWS. Started is the same in all of them; a
// ChangeSetDone follows, however the wait ends.
type ChangeSetPending struct {
	Time          time.Time
	Started       time.Time
	Stack         string
	ChangeSetType string // "CREATE" or "UPDATE"
}

// ChangeSetDone closes the ChangeSetPending events of a change set: it is
// ready, failed, or the wait stopped. A PlanReady or a Note follows when
// it is ready.
type ChangeSetDone struct {
	Time    time.Time
	Started time.Time
	Stack   string
}

// PlanReady carries the plan of a change set, before it is executed or, for
// Diff, before it is deleted.
type PlanReady struct {
	Plan Plan
}

// WaitStarted opens a wait for a stack operation. ResourceEvent, Polled and
// a closing WaitEnded follow.
type WaitStarted struct {
	Time      time.Time
	Stack     string
	Operation string // "create", "update", "delete", "rollback", or the status being waited out
	// Timing is the deploy-time budget of the settings, when the caller
	// gave one (Input.Timing), for a live view to show the elapsed time
	// against.
	Timing *watch.Timing
}

// ServiceFact is something the ECS watcher found about the stack's
// service while CloudFormation works on it: the rollout, a service event,
// a stopped task with its cause, a target's health, or a read the
// credentials may not make (watch.Denied, reported once per action).
type ServiceFact struct {
	Stack string
	Fact  watch.Fact
}

// ResourceEvent is one CloudFormation stack event, reported once.
type ResourceEvent struct {
	ID           string    `json:"id"`
	Time         time.Time `json:"time"`
	LogicalID    string    `json:"logicalId"`
	PhysicalID   string    `json:"physicalId,omitempty"`
	ResourceType string    `json:"resourceType"`
	Status       string    `json:"status"`
	Reason       string    `json:"reason,omitempty"`
	// StackLevel marks the stack's own events (AWS::CloudFormation::Stack
	// for this stack), which are not counted as resources.
	StackLevel bool `json:"stackLevel,omitempty"`
}

// Polled is sent after every poll during a wait, so a live display can
// update its elapsed time even when nothing happened.
type Polled struct {
	Time        time.Time
	Started     time.Time
	StackStatus string
}

// WaitEnded closes a wait. StackStatus is the last status seen; it is still
// in progress if the wait was interrupted or timed out.
type WaitEnded struct {
	Time        time.Time
	Started     time.Time
	StackStatus string
}

func (Note) event()             {}
func (ChangeSetPending) event() {}
func (ChangeSetDone) event()    {}
func (PlanReady) event()        {}
func (WaitStarted) event()      {}
func (ResourceEvent) event()    {}
func (ServiceFact) event()      {}
func (Polled) event()           {}
func (WaitEnded) event()        {}
