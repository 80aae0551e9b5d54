package progress

import (
	"fmt"
	"strings"
	"time"

	"github.com/cfnfargate/cfnfargate/stack/deploy/watch"
)

// What the ECS watcher found (deploy.ServiceFact), as lines.

// logIndent marks a container's log line under its task.
const logIndent = "          │ "

// labeler words a setting key or parameter name (watch.Cause.Settings) as
// the caller names it: a CLI passes its flags. The default names the key.
type labeler func(string) string

func (l labeler) word(key string) string {
	if l == nil {
		return "the " + key + " setting"
	}
	return l(key)
}

// fix says what to change for a cause: "check --image", with what to check
// beyond the settings.
func (l labeler) fix(c watch.Cause) string {
	var words []string
	for _, k := range c.Settings {
		words = append(words, l.word(k))
	}
	var parts []string
	if len(words) > 0 {
		parts = append(parts, "check "+strings.Join(words, " or "))
	}
	if c.Check != "" {
		parts = append(parts, c.Check)
	}
	return strings.Join(parts, "; ")
}

// causeText is "summary: fix".
func (l labeler) causeText(c watch.Cause) string {
	s := c.Summary
	if fix := l.fix(c); fix != "" {
		s += ": " + fix
	}
	return s
}

// factLines writes a fact as plain lines; full adds a stopped task's log
// lines.
func factLines(f watch.Fact, l labeler, p palette, full bool) []string {
	at := clock(f.At())
	switch f := f.(type) {
	case watch.Rollout:
		return []string{at + "  " + rolloutText(f, p)}
	case watch.ServiceMessage:
		return []string{at + "  Service event: " + f.Message}
	case watch.TaskStopped:
		head := fmt.Sprintf("%s  Task %s stopped: %s", at, shortID(f.Task.ID), watch.Shorten(orStopCode(f), 200))
		if f.Count > 1 {
			head += fmt.Sprintf(" (%d tasks so far)", f.Count)
		}
		lines := []string{p.paint(ansiRed, head), strings.Repeat(" ", indent) + "→ " + l.causeText(f.Cause)}
		if full {
			for _, c := range f.Task.Containers {
				for _, line := range c.LogLines {
					lines = append(lines, logIndent+p.paint(ansiDim, line))
				}
			}
		}
		return lines
	case watch.TargetHealth:
		s := fmt.Sprintf("%s  Target %s %s", at, f.Target, f.State)
		if f.Reason != "" {
			s += ": " + f.Reason
		}
		if f.Description != "" {
			s += " (" + f.Description + ")"
		}
		if f.Cause != nil {
			s += " → " + l.fix(*f.Cause)
		}
		return []string{s}
	case watch.Denied:
		return []string{p.paint(ansiYellow, fmt.Sprintf("%s  Warning: cannot read %s (%s); the deploy goes on without it", at, f.Action, watch.Shorten(f.Message, 160)))}
	}
	return nil
}

func rolloutText(f watch.Rollout, p palette) string {
	s := fmt.Sprintf("Service deployment %s %s: %d/%d running, %d pending, %d failed",
		f.Deployment, p.status(f.State), f.Running, f.Desired, f.Pending, f.Failed)
	if f.Reason != "" {
		s += ": " + f.Reason
	}
	return s
}

// orStopCode is what AWS said of a stopped task: its container's reason or
// its stop reason, and the exit code.
func orStopCode(f watch.TaskStopped) string {
	s := f.Cause.Evidence
	if s == "" {
		s = f.Task.StoppedReason
	}
	if f.Cause.ExitCode != nil && !strings.Contains(s, "exit") {
		s += fmt.Sprintf(" (exit %d)", *f.Cause.ExitCode)
	}
	return s
}

// shortID is the start of a task ID, enough to find it in the console.
func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// serviceView keeps what the live view shows under the summary line: the
// rollout, the latest causes with their counts, and the latest unhealthy
// target.
type serviceView struct {
	rollout *watch.Rollout
	causes  []watch.TaskStopped // latest per cause key, most recent last
	target  *watch.TargetHealth
}

func (v *serviceView) add(f watch.Fact) {
	switch f := f.(type) {
	case watch.Rollout:
		v.rollout = &f
	case watch.TaskStopped:
		for i, c := range v.causes {
			if c.Cause.Key() == f.Cause.Key() {
				v.causes = append(v.causes[:i], v.causes[i+1:]...)
				break
			}
		}
		v.causes = append(v.causes, f)
	case watch.TargetHealth:
		switch {
		case f.State == "unhealthy":
			v.target = &f
		case v.target != nil && v.target.Target == f.Target:
			v.target = nil
		}
	}
}

// maxLiveCauses is how many causes the live view lists.
const maxLiveCauses = 3

func (v *serviceView) lines(l labeler, p palette) []string {
	var out []string
	if r := v.rollout; r != nil {
		out = append(out, fmt.Sprintf("  deployment %s %s  running %d/%d  pending %d  failed %d",
			shortDeployment(r.Deployment), p.status(r.State), r.Running, r.Desired, r.Pending, r.Failed))
	}
	start := max(0, len(v.causes)-maxLiveCauses)
	for _, c := range v.causes[start:] {
		out = append(out, fmt.Sprintf("  %s %d× %s", p.paint(ansiRed, "✗"), c.Count, l.causeText(c.Cause)))
	}
	if t := v.target; t != nil {
		s := fmt.Sprintf("  target %s unhealthy: %s %s", t.Target, t.Reason, t.Description)
		if t.Cause != nil {
			s += " → " + l.fix(*t.Cause)
		}
		out = append(out, s)
	}
	return out
}

func shortDeployment(id string) string {
	if len(id) > 20 {
		return id[:19] + "…"
	}
	return id
}

// budgetText is the elapsed time against the budget's rollout time.
func budgetText(t *watch.Timing) string {
	if t == nil {
		return ""
	}
	return fmt.Sprintf(" of about %s", t.Rollout.Round(time.Second))
}
