package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// eraseLine returns the cursor to the start of the line and clears it.
const eraseLine = "\r\x1b[K"

// spinner is drawn, one frame per poll, while a change set is created.
var spinner = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// TTY prints events as lines, like Plain, and while a wait runs keeps a
// one-line summary below them that it redraws in place. While a change set
// is created, that line is a spinner.
type TTY struct {
	// Width, when set, returns the terminal's width in columns, asked
	// before each line, so that a resized terminal is followed. Lines are
	// fitted to it (see fittedEventLines); nil or a result of 0 or less
	// leaves them as Plain prints them.
	Width func() int

	mu      sync.Mutex
	w       io.Writer
	p       palette
	tally   *tally
	stack   string
	waiting bool
	started deploy.WaitStarted
	elapsed time.Duration // as of the last poll; the Deployer polls every 2 s
	drawn   bool          // the summary line is on screen
	// pending is the change set being created, while it is.
	pending *deploy.ChangeSetPending
	frame   int
}

// NewTTY returns a TTY renderer writing to w, with colour if color is true.
func NewTTY(w io.Writer, color bool) *TTY {
	return &TTY{w: w, p: palette(color), tally: newTally()}
}

// Event prints e and redraws the summary line.
func (r *TTY) Event(e deploy.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	width := r.width()
	switch e := e.(type) {
	case deploy.Note:
		r.println(fittedNoteLines(e, r.p, width)...)
		r.draw(width)
	case deploy.ChangeSetPending:
		r.pending = &e
		r.frame++
		r.draw(width)
	case deploy.ChangeSetDone:
		r.pending = nil
		r.erase()
	case deploy.PlanReady:
		r.erase()
		writePlan(r.w, e.Plan, r.p, width)
	case deploy.WaitStarted:
		r.tally, r.stack, r.started, r.waiting, r.elapsed = newTally(), e.Stack, e, true, 0
		r.println(fmt.Sprintf("%s  Waiting for stack %s (%s)", clock(e.Time), e.Stack, e.Operation))
		r.draw(width)
	case deploy.ResourceEvent:
		r.tally.add(e)
		r.println(fittedEventLines(e, r.p, width)...)
		r.draw(width)
	case deploy.Polled:
		// Elapsed time comes from the polls, on the Deployer's clock, not
		// from event times, which are CloudFormation's.
		r.elapsed = e.Time.Sub(e.Started)
		r.draw(width)
	case deploy.WaitEnded:
		r.waiting = false
		text := fmt.Sprintf("Stack %s is %s: %s", r.stack, r.p.status(e.StackStatus), r.tally.summary(e.Time.Sub(e.Started), r.p))
		if width > 0 && visibleLen(text)+indent > width {
			// Wrapping splits colour codes from what they colour.
			text = fmt.Sprintf("Stack %s is %s: %s", r.stack, e.StackStatus, r.tally.summary(e.Time.Sub(e.Started), false))
		}
		r.println(fittedLines(e.Time, text, func(s string) string { return s }, width)...)
	}
}

func (r *TTY) width() int {
	if r.Width == nil {
		return 0
	}
	return r.Width()
}

// println prints permanent lines where the summary line was.
func (r *TTY) println(lines ...string) {
	r.erase()
	for _, l := range lines {
		fmt.Fprintln(r.w, l)
	}
}

func (r *TTY) erase() {
	if r.drawn {
		io.WriteString(r.w, eraseLine)
		r.drawn = false
	}
}

// draw (re)draws the summary line while a wait runs, or the spinner while
// a change set is created. A line longer than the terminal would wrap, and
// the next redraw could erase only its last part, so it is cut to fit.
func (r *TTY) draw(width int) {
	var line string
	switch {
	case r.waiting:
		line = r.p.paint(ansiBold, r.started.Operation) + ": " + r.tally.summary(r.elapsed, r.p)
		if width > 0 && visibleLen(line) >= width {
			line = r.started.Operation + ": " + r.tally.summary(r.elapsed, false)
		}
	case r.pending != nil:
		e := r.pending
		line = fmt.Sprintf("%s Creating a change set for stack %s (%s), %s", spinner[r.frame%len(spinner)], e.Stack,
			strings.ToLower(e.ChangeSetType), e.Time.Sub(e.Started).Round(time.Second))
	default:
		return
	}
	if width > 0 && visibleLen(line) >= width {
		line = string([]rune(line)[:width-1])
	}
	io.WriteString(r.w, eraseLine+line)
	r.drawn = true
}
