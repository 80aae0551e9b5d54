package progress

import (
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// plainScript is what Plain printed for script() before lines were fitted
// to terminals, with the clock left out (it is local time).
const plainScript = `Plan for stack demo (update): 1 to add, 2 to modify, 1 to remove
  Replacements to decide on:
  ! LoadBalancer (AWS::ElasticLoadBalancingV2::LoadBalancer) is replaced because Scheme, Type changes: a new load balancer has a new DNS name, so DNS records and clients that point at the old name stop working, and open connections are dropped when the old one is deleted
  + Add     Logs          AWS::Logs::LogGroup
  ~ Modify  LoadBalancer  AWS::ElasticLoadBalancingV2::LoadBalancer  Replacement: True (Scheme, Type)
  ~ Modify  Service       AWS::ECS::Service                          Replacement: False
  - Remove  OldBucket     AWS::S3::Bucket
hh:mm:ss  Executing change set: update of stack demo started
hh:mm:ss  Waiting for stack demo (update)
hh:mm:ss  demo                             AWS::CloudFormation::Stack                 UPDATE_IN_PROGRESS   User Initiated
hh:mm:ss  Logs                             AWS::Logs::LogGroup                        CREATE_IN_PROGRESS
hh:mm:ss  Logs                             AWS::Logs::LogGroup                        CREATE_COMPLETE
hh:mm:ss  Service                          AWS::ECS::Service                          UPDATE_FAILED        Circuit Breaker was triggered
hh:mm:ss  Service                          AWS::ECS::Service                          UPDATE_COMPLETE
hh:mm:ss  Stack demo is UPDATE_ROLLBACK_COMPLETE: 1 done, 0 in progress, 1 failed, 1m5s elapsed
`

var clockText = regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d`)

// longEvent is an event whose line is far wider than 80 columns.
var longEvent = deploy.ResourceEvent{ID: "9", Time: time.Date(2024, 5, 1, 12, 0, 9, 0, time.UTC),
	LogicalID: "TargetGroup", ResourceType: "AWS::ElasticLoadBalancingV2::TargetGroup", Status: "CREATE_FAILED",
	Reason: "Resource handler returned message: \"Health check interval must be greater than the timeout. (Service: ElasticLoadBalancingV2, Status Code: 400)\""}

// screenLines splits TTY output into what stays on screen: lines, and the
// redrawn summary line after its last erase.
func screenLines(out string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if i := strings.LastIndex(l, eraseLine); i >= 0 {
			l = l[i+len(eraseLine):]
		}
		lines = append(lines, l)
	}
	return lines
}

// Proves: output for logs and CI is exactly what it was before lines were
// fitted to terminals, however long its lines.
func TestPlainOutputIsUnchanged(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	render(NewPlain(&b))
	if got := clockText.ReplaceAllString(b.String(), "hh:mm:ss"); got != plainScript {
		t.Errorf("plain output changed:\n%s\nwant:\n%s", got, plainScript)
	}
}

// Proves: on an 80-column terminal every line fits: event lines shorten the
// resource type (AWS::ElasticLoadBalancingV2::TargetGroup is
// ELBv2::TargetGroup) and wrap a long reason onto indented lines under the
// event, losing none of it; the plan shortens types and wraps the
// replacement's explanation; on a wide terminal lines are as in a log.
func TestTTYFitsLinesToTheTerminal(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	tty := NewTTY(&b, true)
	tty.Width = func() int { return 80 }
	render(tty)
	tty.Event(longEvent)
	tty.Event(deploy.Note{Time: longEvent.Time, Stack: "demo", Text: strings.Repeat("a long note that goes on ", 6)})
	out := sgr.ReplaceAllString(b.String(), "")
	lines := screenLines(out)
	for _, l := range lines {
		if n := utf8.RuneCountInString(l); n > 80 {
			t.Errorf("line of %d columns:\n%s", n, l)
		}
	}
	for _, want := range []string{"ELBv2::TargetGroup", "ELBv2::LoadBalancer", "ECS::Service", "CREATE_FAILED"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The replacement's explanation names the type in full; the event and
	// resource lines shorten it.
	for _, l := range lines {
		if strings.Contains(l, "AWS::ElasticLoadBalancingV2::") && !strings.Contains(l, "is replaced because") {
			t.Errorf("a long resource type is not shortened:\n%s", l)
		}
	}
	var wrapped []string
	for _, l := range lines {
		if strings.HasPrefix(l, strings.Repeat(" ", indent)) && !strings.HasPrefix(l, strings.Repeat(" ", indent+1)) {
			wrapped = append(wrapped, strings.TrimSpace(l))
		}
	}
	if got := strings.Join(wrapped, " "); !strings.Contains(got, longEvent.Reason) {
		t.Errorf("the reason is not wrapped whole under the event; indented lines: %q", wrapped)
	}

	// Wide enough, a terminal shows the lines of a log.
	b.Reset()
	wide := NewTTY(&b, false)
	wide.Width = func() int { return 300 }
	wide.Event(longEvent)
	if got := screenLines(b.String())[0]; got != eventLine(longEvent, false) {
		t.Errorf("on a wide terminal:\n%q\nwant\n%q", got, eventLine(longEvent, false))
	}
}

// Proves: a plan whose only change is a parameter says "0 resource
// changes" and shows the parameter's old and new value, an empty one as
// (empty) (review1920 polish); one that changes only outputs or metadata
// says so; both renderers alike.
func TestPlanShowsParameterChanges(t *testing.T) {
	t.Parallel()
	plan := deploy.Plan{Stack: "demo", ChangeSetType: "UPDATE",
		Parameters: []deploy.ParameterChange{{Key: "ContainerImage", Old: "nginx:1.27", New: "nginx:1.28"}, {Key: "CertificateArn", New: "arn:aws:acm:x"}}}
	other := deploy.Plan{Stack: "demo", ChangeSetType: "UPDATE", OtherChanges: true}
	for _, tt := range bothRenderers {
		var b strings.Builder
		tt.sink(&b).Event(deploy.PlanReady{Plan: plan})
		want := "Plan for stack demo (update): 0 resource changes, 2 parameter changes\n  ~ Parameter ContainerImage: nginx:1.27 → nginx:1.28\n" +
			"  ~ Parameter CertificateArn: (empty) → arn:aws:acm:x\n"
		if got := sgr.ReplaceAllString(b.String(), ""); got != want {
			t.Errorf("%s:\n%s\nwant:\n%s", tt.name, got, want)
		}
		b.Reset()
		tt.sink(&b).Event(deploy.PlanReady{Plan: other})
		if got := b.String(); !strings.Contains(got, "0 resource changes, and changes to the outputs, metadata or tags") {
			t.Errorf("%s: a plan of other changes reads:\n%s", tt.name, got)
		}
	}
}

// Proves: while a change set is created, a terminal shows a spinner line
// with the time so far, redrawn at each poll and erased before the plan,
// while a log gets one plain line however many polls there are.
func TestChangeSetPendingIsShown(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	events := []deploy.Event{
		deploy.ChangeSetPending{Time: t0, Started: t0, Stack: "demo", ChangeSetType: "UPDATE"},
		deploy.ChangeSetPending{Time: t0.Add(time.Second), Started: t0, Stack: "demo", ChangeSetType: "UPDATE"},
		deploy.ChangeSetPending{Time: t0.Add(3 * time.Second), Started: t0, Stack: "demo", ChangeSetType: "UPDATE"},
		deploy.ChangeSetDone{Time: t0.Add(4 * time.Second), Started: t0, Stack: "demo"},
		deploy.PlanReady{Plan: deploy.Plan{Stack: "demo", ChangeSetType: "UPDATE",
			Changes: []deploy.Change{{Action: "Modify", LogicalID: "Service", ResourceType: "AWS::ECS::Service"}}}},
	}
	var plain, tty strings.Builder
	p, r := NewPlain(&plain), NewTTY(&tty, false)
	for _, e := range events {
		p.Event(e)
		r.Event(e)
	}
	if got := clockText.ReplaceAllString(plain.String(), "hh:mm:ss"); !strings.HasPrefix(got,
		"hh:mm:ss  Creating a change set for stack demo (update) and waiting for CloudFormation to work out its changes\nPlan for stack demo") {
		t.Errorf("plain output:\n%s", got)
	}
	out := tty.String()
	for _, want := range []string{eraseLine + "⠙ Creating a change set for stack demo (update), 0s",
		eraseLine + "⠹ Creating a change set for stack demo (update), 1s",
		eraseLine + "⠸ Creating a change set for stack demo (update), 3s" + eraseLine + "Plan for stack demo"} {
		if !strings.Contains(out, want) {
			t.Errorf("tty output lacks %q:\n%q", want, out)
		}
	}
}
