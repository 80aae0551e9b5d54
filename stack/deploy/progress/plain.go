package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
	"github.com/cfnfargate/cfnfargate/stack/deploy/watch"
)

// Plain prints every event as a line of its own, without colour or
// redraws, for logs, pipes and CI.
type Plain struct {
	// Setting words the settings a cause names (see Options.Setting).
	Setting func(key string) string

	mu    sync.Mutex
	w     io.Writer
	tally *tally
	stack string
	// pending is set while a change set is being created, which is
	// announced once.
	pending bool
}

// NewPlain returns a Plain renderer writing to w.
func NewPlain(w io.Writer) *Plain {
	return &Plain{w: w, tally: newTally()}
}

// Event prints e.
func (r *Plain) Event(e deploy.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch e := e.(type) {
	case deploy.Note:
		fmt.Fprintln(r.w, noteLine(e, false))
	case deploy.ChangeSetPending:
		if !r.pending {
			r.pending = true
			fmt.Fprintf(r.w, "%s  %s\n", clock(e.Time), changeSetText(e))
		}
	case deploy.ChangeSetDone:
		r.pending = false
	case deploy.PlanReady:
		writePlan(r.w, e.Plan, false, 0)
	case deploy.WaitStarted:
		r.tally, r.stack = newTally(), e.Stack
		fmt.Fprintf(r.w, "%s  Waiting for stack %s (%s)\n", clock(e.Time), e.Stack, e.Operation)
	case deploy.ServiceFact:
		// Each fact once; a stopped task's log lines with the first task
		// of its cause only, as later ones repeat them.
		full := true
		if t, ok := e.Fact.(watch.TaskStopped); ok {
			full = t.Count == 1
		}
		for _, l := range factLines(e.Fact, labeler(r.Setting), false, full) {
			fmt.Fprintln(r.w, l)
		}
	case deploy.ResourceEvent:
		r.tally.add(e)
		fmt.Fprintln(r.w, eventLine(e, false))
	case deploy.WaitEnded:
		fmt.Fprintf(r.w, "%s  Stack %s is %s: %s\n", clock(e.Time), r.stack, e.StackStatus, r.tally.summary(e.Time.Sub(e.Started), false))
	}
}

// changeSetText says what a pending change set is for.
func changeSetText(e deploy.ChangeSetPending) string {
	return fmt.Sprintf("Creating a change set for stack %s (%s) and waiting for CloudFormation to work out its changes",
		e.Stack, strings.ToLower(e.ChangeSetType))
}
