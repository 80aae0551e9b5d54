package progress

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/cfnfargate/cfnfargate/internal/lazyregexp"
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

func (p palette) mark(c deploy.Change) string { return p.sign(c.Mark()) }

func (p palette) markParameter(c deploy.ParameterChange) string { return p.sign(c.Mark()) }

func (p palette) sign(mark string) string {
	switch mark {
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

// indent is where the text after the clock starts ("15:04:05  ").
const indent = 10

// fittedEventLines writes an event in at most width columns where it can:
// the line of eventLine when it fits, else one with narrower columns and
// the resource type shortened (shortType), with a reason that does not fit
// after the status wrapped onto lines of its own, indented under the
// logical ID. A logical ID or status longer than its column still pushes
// the line out: cut, they would be useless.
func fittedEventLines(e deploy.ResourceEvent, p palette, width int) []string {
	full := eventLine(e, p)
	if width <= 0 || visibleLen(full) <= width {
		return []string{full}
	}
	logical, typ := compactColumns(width)
	head := fmt.Sprintf("%s  %-*s %-*s ", clock(e.Time), logical, e.LogicalID, typ, shortType(e.ResourceType)) + p.status(e.Status)
	if e.Reason == "" {
		return []string{head}
	}
	gap := max(1, statusWidth+1-len(e.Status))
	if visibleLen(head)+gap+visibleLen(e.Reason) <= width {
		return []string{head + strings.Repeat(" ", gap) + p.paint(ansiDim, e.Reason)}
	}
	lines := []string{head}
	for _, l := range wrapText(e.Reason, width-indent) {
		lines = append(lines, strings.Repeat(" ", indent)+p.paint(ansiDim, l))
	}
	return lines
}

// compactColumns splits what a narrow line has left after the clock and
// the status between the logical ID and the resource type, each at most as
// wide as on a wide line and at least 12.
func compactColumns(width int) (logical, typ int) {
	avail := width - indent - 2 - statusWidth
	logical = min(logicalWidth, max(12, avail/2))
	typ = min(typeWidth, max(12, avail-logical))
	return logical, typ
}

// typeAbbreviations shorten the longest service names in resource types.
var typeAbbreviations = strings.NewReplacer(
	"ElasticLoadBalancingV2::", "ELBv2::",
	"ApplicationAutoScaling::", "AppAutoScaling::",
	"CertificateManager::", "ACM::",
)

// shortType drops the AWS:: prefix of a resource type and abbreviates long
// service names: AWS::ElasticLoadBalancingV2::TargetGroup is
// ELBv2::TargetGroup.
func shortType(t string) string {
	return typeAbbreviations.Replace(strings.TrimPrefix(t, "AWS::"))
}

// fittedNoteLines writes a note in at most width columns, wrapping its
// text under itself.
func fittedNoteLines(n deploy.Note, p palette, width int) []string {
	return fittedLines(n.Time, n.Text, func(s string) string { return p.paint(ansiBold, s) }, width)
}

// fittedLines writes text after the clock in at most width columns,
// wrapping it under itself; paint colours each part.
func fittedLines(t time.Time, text string, paint func(string) string, width int) []string {
	line := clock(t) + "  " + paint(text)
	if width <= 0 || visibleLen(line) <= width {
		return []string{line}
	}
	var lines []string
	for i, l := range wrapText(text, width-indent) {
		prefix := strings.Repeat(" ", indent)
		if i == 0 {
			prefix = clock(t) + "  "
		}
		lines = append(lines, prefix+paint(l))
	}
	return lines
}

// wrapText breaks s into lines of at most width runes at spaces; a word
// longer than width gets a line of its own.
func wrapText(s string, width int) []string {
	width = max(width, 20)
	var lines []string
	var line strings.Builder
	for _, word := range strings.Fields(s) {
		if line.Len() > 0 && utf8.RuneCountInString(line.String())+1+utf8.RuneCountInString(word) > width {
			lines = append(lines, line.String())
			line.Reset()
		}
		if line.Len() > 0 {
			line.WriteByte(' ')
		}
		line.WriteString(word)
	}
	if line.Len() > 0 || len(lines) == 0 {
		lines = append(lines, line.String())
	}
	return lines
}

// visibleLen is the number of columns s takes on a terminal: its runes,
// not counting colour codes.
func visibleLen(s string) int {
	return utf8.RuneCountInString(colourCodes.ReplaceAllString(s, ""))
}

var colourCodes = lazyregexp.New("\x1b\\[[0-9;]*m")

func clock(t time.Time) string { return t.Local().Format("15:04:05") }

// writePlan prints a plan: first the replacements that need a decision
// (deploy.Plan.Replacements) with what they mean, then the parameters
// whose value changes, then one line per resource: mark, action, logical
// ID, type and, for modifications, whether the resource is replaced and
// which properties cause it. With a width (a terminal's), the
// replacements wrap and, when a resource line would not fit, resource
// types are shortened.
func writePlan(w io.Writer, plan deploy.Plan, p palette, width int) {
	var b bytes.Buffer
	writePlanTypes(&b, plan, p, width, func(t string) string { return t })
	if width > 0 && widest(b.String()) > width {
		b.Reset()
		writePlanTypes(&b, plan, p, width, shortType)
	}
	w.Write(b.Bytes())
}

func widest(text string) int {
	n := 0
	for line := range strings.Lines(text) {
		n = max(n, visibleLen(strings.TrimSuffix(line, "\n")))
	}
	return n
}

func writePlanTypes(w io.Writer, plan deploy.Plan, p palette, width int, typeName func(string) string) {
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
	// A plan without resource changes says so in words: "0 to add, 0 to
	// modify, 0 to remove" reads as a plan that does nothing.
	summary := fmt.Sprintf("%d to add, %d to modify, %d to remove", add, modify, remove)
	if len(plan.Changes) == 0 {
		summary = "0 resource changes"
	}
	switch n := len(plan.Parameters); n {
	case 0:
	case 1:
		summary += ", 1 parameter change"
	default:
		summary += fmt.Sprintf(", %d parameter changes", n)
	}
	if n := plan.SettingChanges(); n > 0 {
		one, many := "setting change", "setting changes"
		if plan.ChangeSetType == "CREATE" {
			one, many = "setting given", "settings given"
		}
		if n == 1 {
			summary += ", 1 " + one
		} else {
			summary += fmt.Sprintf(", %d %s", n, many)
		}
	}
	if plan.OtherChanges {
		summary += ", and changes to the outputs, metadata or tags"
	}
	fmt.Fprintf(w, "Plan for stack %s (%s): %s\n", plan.Stack, op, summary)
	// The settings first: they are what the user changed, and they
	// explain the rest.
	writeSettings(w, plan.Settings, p)
	// Replacements that need a decision come first, so that a long plan
	// does not hide them.
	if risky := plan.Replacements(); len(risky) > 0 {
		fmt.Fprintln(w, p.paint(ansiRed, "  Replacements to decide on:"))
		for _, r := range risky {
			lines := []string{r.String()}
			if width > 0 {
				lines = wrapText(r.String(), width-4)
			}
			for i, l := range lines {
				lead := "    "
				if i == 0 {
					lead = "  " + p.paint(ansiRed, "!") + " "
				}
				fmt.Fprintln(w, lead+l)
			}
		}
	}
	for _, c := range plan.Parameters {
		fmt.Fprintf(w, "  %s Parameter %s\n", p.markParameter(c), parameterText(c))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range plan.Changes {
		fmt.Fprintf(tw, "  %s %s\t%s\t%s", p.mark(c), c.Action, c.LogicalID, typeName(c.ResourceType))
		if r := replacement(c, p); r != "" {
			fmt.Fprintf(tw, "\t%s", r)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

// writeSettings writes one line per setting of a plan: mark and text.
func writeSettings(w io.Writer, settings []deploy.SettingChange, p palette) {
	for _, s := range settings {
		mark := p.sign(s.Mark())
		if s.Kept {
			mark = p.paint(ansiDim, "=")
		}
		fmt.Fprintf(w, "  %s Setting %s\n", mark, s)
	}
}

// WriteSettings writes the settings of a deploy whose change set changes
// nothing, where no plan shows them.
func WriteSettings(w io.Writer, settings []deploy.SettingChange) {
	writeSettings(w, settings, false)
}

// parameterText is "Key: old → new", or the one value of a parameter added
// or removed.
func parameterText(c deploy.ParameterChange) string {
	var s string
	switch {
	case c.Added:
		s = fmt.Sprintf("%s: %s (new)", c.Key, parameterValue(c.New))
	case c.Removed:
		s = fmt.Sprintf("%s: %s (removed)", c.Key, parameterValue(c.Old))
	default:
		s = fmt.Sprintf("%s: %s → %s", c.Key, parameterValue(c.Old), parameterValue(c.New))
	}
	if c.NoEcho {
		s += " (NoEcho: values hidden)"
	}
	return s
}

// parameterValue is a parameter's value as a plan shows it: an empty one
// says so, rather than leaving a gap before the arrow.
func parameterValue(v string) string {
	if v == "" {
		return "(empty)"
	}
	return v
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
