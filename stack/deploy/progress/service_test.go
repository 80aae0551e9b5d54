package progress

import (
	"strings"
	"testing"
	"time"

	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/deploy"
	"github.com/cfnfargate/cfnfargate/stack/deploy/watch"
)

// serviceScript is a create whose tasks fail to pull their image, as the
// watcher reports it: the classifier's own cause, not a hand-written one.
func serviceScript() []deploy.Event {
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	task := func(id string) watch.Task {
		return watch.Task{ID: id, StopCode: "TaskFailedToStart",
			StoppedReason: "CannotPullContainerError: failed to resolve ref docker.io/library/nginx:nope: not found"}
	}
	crash := watch.Task{ID: "crash0000", StopCode: "EssentialContainerExited", StoppedReason: "Essential container in task exited",
		Containers: []watch.Container{{Name: "app", ExitCode: new(1), LogLines: []string{"Error: missing env DATABASE_URL"}}}}
	fact := func(f watch.Fact) deploy.Event { return deploy.ServiceFact{Stack: "demo", Fact: f} }
	timing := watch.Estimate(watch.TimingSettings{HealthCheckInterval: 10, HealthyThreshold: 2, UnhealthyThreshold: 2,
		GracePeriod: 60, DeregistrationDelay: 30, DesiredCount: 2, MinHealthyPercent: 100, MaxPercent: 200})
	return []deploy.Event{
		deploy.WaitStarted{Time: at(0), Stack: "demo", Operation: "create", Timing: &timing},
		deploy.ResourceEvent{ID: "1", Time: at(1), LogicalID: "Service", ResourceType: "AWS::ECS::Service", Status: "CREATE_IN_PROGRESS"},
		fact(watch.Rollout{Time: at(2), Deployment: "ecs-svc/123", Status: "PRIMARY", State: "IN_PROGRESS", Desired: 2, Pending: 2}),
		fact(watch.TaskStopped{Time: at(3), Task: task("7f3c1a2b9d"), Cause: watch.Classify(task("7f3c1a2b9d")), Count: 1}),
		deploy.Polled{Time: at(4), Started: at(0), StackStatus: "CREATE_IN_PROGRESS"},
		fact(watch.TaskStopped{Time: at(5), Task: task("8a8a8a8a8a"), Cause: watch.Classify(task("8a8a8a8a8a")), Count: 2}),
		fact(watch.TaskStopped{Time: at(6), Task: crash, Cause: watch.Classify(crash), Count: 1}),
		fact(watch.Denied{Time: at(7), Action: "logs:GetLogEvents", Message: "AccessDeniedException: not authorized"}),
		deploy.WaitEnded{Time: at(9), Started: at(0), StackStatus: "ROLLBACK_COMPLETE"},
	}
}

func flags(key string) string { return "--" + key }

func TestServiceFactsPlain(t *testing.T) {
	t.Parallel()
	// Proves: in CI each fact prints once as plain lines: the rollout, each
	// stopped task with its cause and the fix in the caller's words (its
	// flags), the log lines with the first task of a cause only, the count
	// of a repeated cause, a denied read as a warning, and the budget.
	var b strings.Builder
	sink := New(&b, Options{Setting: flags})
	for _, e := range serviceScript() {
		sink.Event(e)
	}
	out := b.String()
	if strings.Contains(out, "\x1b") {
		t.Fatalf("escape codes in plain output:\n%s", out)
	}
	for _, want := range []string{
		"Service deployment ecs-svc/123 IN_PROGRESS: 0/2 running, 2 pending, 0 failed",
		"Task 7f3c1a2b stopped: CannotPullContainerError",
		"→ the image was not found in its registry: check --image",
		"Task 8a8a8a8a stopped: CannotPullContainerError: failed to resolve ref docker.io/library/nginx:nope: not found (2 tasks so far)",
		"│ Error: missing env DATABASE_URL",
		"Warning: cannot read logs:GetLogEvents (AccessDeniedException: not authorized); the deploy goes on without it",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "check --image"); n != 2 {
		t.Errorf("the fix is printed %d times, want once per stopped task (2):\n%s", n, out)
	}
}

func TestServiceFactsLiveView(t *testing.T) {
	t.Parallel()
	// Proves: on a terminal the live view under the summary shows the
	// rollout and each cause once with its count, is erased line by line
	// before new lines print, and the first task of a cause stays above it
	// with its log lines; without Setting, settings are named as keys.
	var b strings.Builder
	tty := NewTTY(&b, false)
	for _, e := range serviceScript() {
		tty.Event(e)
	}
	out := b.String()
	for _, want := range []string{
		"deployment ecs-svc/123 IN_PROGRESS  running 0/2  pending 2  failed 0",
		"✗ 2× the image was not found in its registry: check the " + stack.KeyImage + " setting",
		"│ Error: missing env DATABASE_URL",
		"of about " + watch.Estimate(watch.TimingSettings{HealthCheckInterval: 10, HealthyThreshold: 2, UnhealthyThreshold: 2,
			GracePeriod: 60, DeregistrationDelay: 30, DesiredCount: 2, MinHealthyPercent: 100, MaxPercent: 200}).Rollout.String(),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%q", want, out)
		}
	}
	// The second task of the same cause updates the count in the view and
	// does not print its own permanent line.
	if strings.Contains(out, "Task 8a8a8a8a") {
		t.Errorf("a repeated cause printed a permanent line:\n%s", out)
	}
	// A view of n lines is erased by moving up n-1 lines.
	if !strings.Contains(out, "\x1b[1A"+eraseLine) {
		t.Errorf("the multi-line view is never erased upwards:\n%q", out)
	}
	// The final screen, replaying the cursor moves, ends with the
	// summary of the wait and no live view below it.
	screen := replay(out)
	last := screen[len(screen)-1]
	if !strings.Contains(last, "Stack demo is ROLLBACK_COMPLETE") {
		t.Errorf("last line = %q, want the closing summary; screen:\n%s", last, strings.Join(screen, "\n"))
	}
}

// replay applies "\r\x1b[K" (erase the line), "\x1b[1A" (up) and newlines
// to a screen of lines.
func replay(out string) []string {
	screen := []string{""}
	row := 0
	for i := 0; i < len(out); {
		switch {
		case strings.HasPrefix(out[i:], eraseLine):
			screen[row] = ""
			i += len(eraseLine)
		case strings.HasPrefix(out[i:], "\x1b[1A"):
			row--
			i += len("\x1b[1A")
		case out[i] == '\n':
			row++
			if row == len(screen) {
				screen = append(screen, "")
			}
			i++
		default:
			screen[row] += out[i : i+1]
			i++
		}
	}
	// Drop the empty rows a cleared view leaves at the bottom.
	for len(screen) > 1 && screen[len(screen)-1] == "" {
		screen = screen[:len(screen)-1]
	}
	return screen
}
