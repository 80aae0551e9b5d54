package progress

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// eraseLine returns the cursor to the start of the line and clears it.
const eraseLine = "\r\x1b[K"

// TTY prints events as lines, like Plain, and while a wait runs keeps a
// one-line summary below them that it redraws in place.
type TTY struct {
	mu      sync.Mutex
	w       io.Writer
	p       palette
	tally   *tally
	stack   string
	waiting bool
	started deploy.WaitStarted
	elapsed time.Duration // as of the last poll; the Deployer polls every 2 s
	drawn   bool          // the summary line is on screen
}

// NewTTY returns a TTY renderer writing to w, with colour if color is true.
func NewTTY(w io.Writer, color bool) *TTY {
	return &TTY{w: w, p: palette(color), tally: newTally()}
}

// Event prints e and redraws the summary line.
func (r *TTY) Event(e deploy.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch e := e.(type) {
	case deploy.Note:
		r.println(noteLine(e, r.p))
		r.draw()
	case deploy.PlanReady:
		r.erase()
		writePlan(r.w, e.Plan, r.p)
	case deploy.WaitStarted:
		r.tally, r.stack, r.started, r.waiting, r.elapsed = newTally(), e.Stack, e, true, 0
		r.println(fmt.Sprintf("%s  Waiting for stack %s (%s)", clock(e.Time), e.Stack, e.Operation))
		r.draw()
	case deploy.ResourceEvent:
		r.tally.add(e)
		r.println(eventLine(e, r.p))
		r.draw()
	case deploy.Polled:
		// Elapsed time comes from the polls, on the Deployer's clock, not
		// from event times, which are CloudFormation's.
		r.elapsed = e.Time.Sub(e.Started)
		r.draw()
	case deploy.WaitEnded:
		r.waiting = false
		r.println(fmt.Sprintf("%s  Stack %s is %s: %s", clock(e.Time), r.stack, r.p.status(e.StackStatus),
			r.tally.summary(e.Time.Sub(e.Started), r.p)))
	}
}

// println prints a permanent line where the summary line was.
func (r *TTY) println(s string) {
	r.erase()
	fmt.Fprintln(r.w, s)
}

func (r *TTY) erase() {
	if r.drawn {
		io.WriteString(r.w, eraseLine)
		r.drawn = false
	}
}

// draw (re)draws the summary line while a wait runs.
func (r *TTY) draw() {
	if !r.waiting {
		return
	}
	io.WriteString(r.w, eraseLine+r.p.paint(ansiBold, r.started.Operation)+": "+r.tally.summary(r.elapsed, r.p))
	r.drawn = true
}
