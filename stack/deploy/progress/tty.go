package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
	"github.com/cfnfargate/cfnfargate/stack/deploy/watch"
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
	// Setting words the settings a cause names (see Options.Setting).
	Setting func(key string) string

	mu      sync.Mutex
	w       io.Writer
	p       palette
	tally   *tally
	stack   string
	waiting bool
	started deploy.WaitStarted
	elapsed time.Duration // as of the last poll; the Deployer polls every 2 s
	drawn   int           // lines of the live view on screen
	service serviceView
	timing  *watch.Timing
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
		r.service, r.timing = serviceView{}, e.Timing
		r.println(fmt.Sprintf("%s  Waiting for stack %s (%s)", clock(e.Time), e.Stack, e.Operation))
		r.draw(width)
	case deploy.ServiceFact:
		r.service.add(e.Fact)
		// Above the live view stay what is worth scrolling back to: the
		// first task of each cause with its log lines, service events,
		// the first unhealthy state of a target, and warnings. The
		// rollout and the counts live in the view.
		var lines []string
		switch f := e.Fact.(type) {
		case watch.TaskStopped:
			if f.Count == 1 {
				lines = factLines(f, labeler(r.Setting), r.p, true)
			}
		case watch.TargetHealth:
			if f.Cause != nil {
				lines = factLines(f, labeler(r.Setting), r.p, true)
			}
		case watch.ServiceMessage, watch.Denied:
			lines = factLines(f, labeler(r.Setting), r.p, true)
		}
		r.println(lines...)
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
	if r.drawn == 0 {
		return
	}
	io.WriteString(r.w, eraseLine)
	for range r.drawn - 1 {
		// Up one line, then clear it.
		io.WriteString(r.w, "\x1b[1A"+eraseLine)
	}
	r.drawn = 0
}

// draw (re)draws the summary line while a wait runs, or the spinner while
// a change set is created. A line longer than the terminal would wrap, and
// the next redraw could erase only its last part, so it is cut to fit.
func (r *TTY) draw(width int) {
	var line string
	var more []string
	switch {
	case r.waiting:
		line = r.p.paint(ansiBold, r.started.Operation) + ": " + r.tally.summary(r.elapsed, r.p) + budgetText(r.timing)
		if width > 0 && visibleLen(line) >= width {
			line = r.started.Operation + ": " + r.tally.summary(r.elapsed, false)
		}
		more = r.service.lines(labeler(r.Setting), r.p)
	case r.pending != nil:
		e := r.pending
		line = fmt.Sprintf("%s Creating a change set for stack %s (%s), %s", spinner[r.frame%len(spinner)], e.Stack,
			strings.ToLower(e.ChangeSetType), e.Time.Sub(e.Started).Round(time.Second))
	default:
		return
	}
	r.erase()
	lines := append([]string{line}, more...)
	for i, l := range lines {
		if width > 0 && visibleLen(l) >= width {
			// Cut without colour: a cut colour code would bleed.
			l = string([]rune(colourCodes.ReplaceAllString(l, ""))[:width-1])
		}
		if i > 0 {
			io.WriteString(r.w, "\n")
		}
		io.WriteString(r.w, eraseLine+l)
	}
	r.drawn = len(lines)
}
