package progress

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// palette applies ANSI colours, or nothing when it is off.
type palette bool

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
)

func (p palette) paint(code, s string) string {
	if !p || s == "" {
		return s
	}
	return code + s + ansiReset
}

// status colours a CloudFormation status: red for failures and rollbacks,
// yellow while in progress, green when complete.
func (p palette) status(s string) string {
	switch {
	case strings.Contains(s, "FAILED") || strings.Contains(s, "ROLLBACK"):
		return p.paint(ansiRed, s)
	case strings.HasSuffix(s, "_IN_PROGRESS"):
		return p.paint(ansiYellow, s)
	case strings.HasSuffix(s, "_COMPLETE"):
		return p.paint(ansiGreen, s)
	}
	return s
}

func (p palette) mark(c deploy.Change) string {
	switch c.Mark() {
	case "+":
		return p.paint(ansiGreen, "+")
	case "-":
		return p.paint(ansiRed, "-")
	}
	return p.paint(ansiYellow, "~")
}

// Column widths of an event line. Longer values push the line out rather
// than being cut: a cut logical ID is useless.
const (
	logicalWidth = 32
	typeWidth    = 42
	statusWidth  = 20
)

func eventLine(e deploy.ResourceEvent, p palette) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %-*s %-*s ", clock(e.Time), logicalWidth, e.LogicalID, typeWidth, e.ResourceType)
	b.WriteString(p.status(e.Status))
	if e.Reason != "" {
		b.WriteString(strings.Repeat(" ", max(1, statusWidth+1-len(e.Status))))
		b.WriteString(p.paint(ansiDim, e.Reason))
	}
	return b.String()
}

func noteLine(n deploy.Note, p palette) string {
	return clock(n.Time) + "  " + p.paint(ansiBold, n.Text)
}

func clock(t time.Time) string { return t.Local().Format("15:04:05") }

// writePlan prints a plan: first the replacements that need a decision
// (deploy.Plan.Replacements) with what they mean, then one line per
// resource: mark, action, logical ID, type and, for modifications, whether
// the resource is replaced and which properties cause it.
func writePlan(w io.Writer, plan deploy.Plan, p palette) {
	var add, modify, remove int
	for _, c := range plan.Changes {
		switch c.Mark() {
		case "+":
			add++
		case "-":
			remove++
		default:
			modify++
		}
	}
	op := "update"
	if plan.ChangeSetType == "CREATE" {
		op = "create"
	}
	fmt.Fprintf(w, "Plan for stack %s (%s): %d to add, %d to modify, %d to remove\n", plan.Stack, op, add, modify, remove)
	// Replacements that need a decision come first, so that a long plan
	// does not hide them.
	if risky := plan.Replacements(); len(risky) > 0 {
		fmt.Fprintln(w, p.paint(ansiRed, "  Replacements to decide on:"))
		for _, r := range risky {
			fmt.Fprintf(w, "  %s %s\n", p.paint(ansiRed, "!"), r)
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range plan.Changes {
		fmt.Fprintf(tw, "  %s %s\t%s\t%s", p.mark(c), c.Action, c.LogicalID, c.ResourceType)
		if r := replacement(c, p); r != "" {
			fmt.Fprintf(tw, "\t%s", r)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

func replacement(c deploy.Change, p palette) string {
	if c.Replacement == "" {
		return ""
	}
	s := "Replacement: " + c.Replacement
	if len(c.ReplacementCauses) > 0 {
		s += " (" + strings.Join(c.ReplacementCauses, ", ") + ")"
	}
	switch c.Replacement {
	case "True":
		return p.paint(ansiRed, s)
	case "Conditional":
		return p.paint(ansiYellow, s)
	}
	return s
}

// tally counts the resources of one wait by their latest status. The
// stack's own events are not resources.
type tally struct {
	latest map[string]string
	failed map[string]bool
}

func newTally() *tally {
	return &tally{latest: map[string]string{}, failed: map[string]bool{}}
}

func (t *tally) add(e deploy.ResourceEvent) {
	if e.StackLevel || e.LogicalID == "" {
		return
	}
	t.latest[e.LogicalID] = e.Status
	if strings.HasSuffix(e.Status, "_FAILED") {
		t.failed[e.LogicalID] = true
	}
}

// counts returns resources done, in progress and failed. A resource that
// failed stays counted as failed even when its rollback completes.
func (t *tally) counts() (done, inProgress, failed int) {
	for id, s := range t.latest {
		switch {
		case t.failed[id]:
		case strings.HasSuffix(s, "_IN_PROGRESS"):
			inProgress++
		case strings.HasSuffix(s, "_COMPLETE") || strings.HasSuffix(s, "_SKIPPED"):
			done++
		}
	}
	return done, inProgress, len(t.failed)
}

func (t *tally) summary(elapsed time.Duration, p palette) string {
	done, running, failed := t.counts()
	failedText := fmt.Sprintf("%d failed", failed)
	if failed > 0 {
		failedText = p.paint(ansiRed, failedText)
	}
	return fmt.Sprintf("%d done, %d in progress, %s, %s elapsed", done, running, failedText, elapsed.Round(time.Second))
}
