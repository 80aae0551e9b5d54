package operate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// simService is a service as Find would return it, for the simulator.
func simService() *Service {
	s := &Service{Partition: "aws", Region: "us-east-1", Account: "123456789012", Container: "app", LogStreamPrefix: "app", ExecEnabled: true}
	s.StackName, s.Cluster, s.Service, s.LogGroup = "shop", "shop-cluster", "shop-service", "/ecs/shop"
	s.TaskDefinition = "arn:aws:ecs:us-east-1:123456789012:task-definition/shop:3"
	return s
}

const (
	taskA = "0123456789abcdef0123456789abcdef"
	taskB = "fedcba9876543210fedcba9876543210"
)

func logEvent(task string, ms int64, message string) map[string]any {
	return map[string]any{"logStreamName": "app/app/" + task, "timestamp": ms, "message": message, "eventId": fmt.Sprint(ms)}
}

// collector gathers emitted events and cancels once it has want of them.
type collector struct {
	mu     sync.Mutex
	got    []string
	want   int
	cancel context.CancelFunc
}

func (c *collector) emit(e LogEvent) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, ShortID(e.TaskID)+" "+e.Message)
	if len(c.got) >= c.want {
		c.cancel()
	}
	return nil
}

func (c *collector) lines() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.got...)
}

// Proves (against the simulator: moto has no Live Tail) that --follow
// starts a Live Tail session on the log group's ARN and the service's
// stream prefix, prints the history before it, and skips a live event the
// history already printed.
func TestLogsFollowWithLiveTail(t *testing.T) {
	sim := newJSONSim(t)
	sim.on("FilterLogEvents", simAnswer{body: map[string]any{"events": []any{
		logEvent(taskA, 1000, "one"), logEvent(taskA, 2000, "two"),
	}}})
	sim.on("StartLiveTail", simAnswer{stream: []simEvent{
		{eventType: "sessionStart", payload: map[string]any{"sessionId": "s-1"}},
		{eventType: "sessionUpdate", payload: map[string]any{"sessionResults": []any{
			logEvent(taskA, 2000, "two"), logEvent(taskB, 3000, "three"),
		}}},
	}, hold: true})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	col := &collector{want: 3, cancel: cancel}
	var notes []string
	err := Logs(ctx, sim.clients(), simService(), LogOptions{Follow: true, Since: time.Hour,
		Notify: func(f string, a ...any) { notes = append(notes, fmt.Sprintf(f, a...)) }}, col.emit)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := col.lines(), []string{"01234567 one", "01234567 two", "fedcba98 three"}; !slices.Equal(got, want) {
		t.Errorf("lines = %q, want %q", got, want)
	}
	req := sim.sent("StartLiveTail")
	if len(req) != 1 || fmt.Sprint(req[0]["logGroupIdentifiers"]) != "[arn:aws:logs:us-east-1:123456789012:log-group:/ecs/shop]" ||
		fmt.Sprint(req[0]["logStreamNamePrefixes"]) != "[app/]" {
		t.Errorf("StartLiveTail requests = %v", req)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "Live Tail") {
		t.Errorf("notes = %q", notes)
	}
}

// Proves (simulated) that a Live Tail session that times out, as every
// session does after three hours, is followed by a new one, without
// losing or repeating lines.
func TestLogsLiveTailRestartsAfterTimeout(t *testing.T) {
	sim := newJSONSim(t)
	sim.on("FilterLogEvents", simAnswer{body: map[string]any{"events": []any{logEvent(taskA, 1000, "one")}}})
	sim.on("StartLiveTail",
		simAnswer{stream: []simEvent{
			{eventType: "sessionUpdate", payload: map[string]any{"sessionResults": []any{logEvent(taskA, 2000, "two")}}},
			{eventType: "SessionTimeoutException", payload: map[string]any{"message": "session over"}, exception: true},
		}},
		simAnswer{stream: []simEvent{
			{eventType: "sessionUpdate", payload: map[string]any{"sessionResults": []any{logEvent(taskA, 3000, "three")}}},
		}, hold: true})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	col := &collector{want: 3, cancel: cancel}
	if err := Logs(ctx, sim.clients(), simService(), LogOptions{Follow: true}, col.emit); err != nil {
		t.Fatal(err)
	}
	if got, want := col.lines(), []string{"01234567 one", "01234567 two", "01234567 three"}; !slices.Equal(got, want) {
		t.Errorf("lines = %q, want %q", got, want)
	}
	if n := len(sim.sent("StartLiveTail")); n != 2 {
		t.Errorf("StartLiveTail called %d times, want 2", n)
	}
}

// Proves (simulated) that without Live Tail (here denied) --follow says
// why and polls FilterLogEvents from pollOverlap before the newest line it
// printed, printing each line once.
func TestLogsFollowFallsBackToPolling(t *testing.T) {
	const base = int64(1_780_000_000_000) // Unix ms, 2026
	sim := newJSONSim(t)
	sim.on("StartLiveTail", simAnswer{errorCode: "AccessDeniedException"})
	sim.on("FilterLogEvents",
		simAnswer{body: map[string]any{"events": []any{logEvent(taskA, base+1000, "one")}}},
		simAnswer{body: map[string]any{"events": []any{logEvent(taskA, base+1000, "one"), logEvent(taskA, base+2000, "two")}}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	col := &collector{want: 2, cancel: cancel}
	var notes []string
	err := Logs(ctx, sim.clients(), simService(), LogOptions{Follow: true, Task: taskA[:8], Filter: "ERROR", PollInterval: 10 * time.Millisecond,
		Notify: func(f string, a ...any) { notes = append(notes, fmt.Sprintf(f, a...)) }}, col.emit)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := col.lines(), []string{"01234567 one", "01234567 two"}; !slices.Equal(got, want) {
		t.Errorf("lines = %q, want %q", got, want)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "AccessDeniedException") || !strings.Contains(notes[0], "polling") {
		t.Errorf("notes = %q", notes)
	}
	reqs := sim.sent("FilterLogEvents")
	if len(reqs) < 2 || reqs[1]["startTime"] != float64(base+1000-pollOverlap.Milliseconds()) || reqs[1]["logStreamNamePrefix"] != "app/app/"+taskA[:8] || reqs[1]["filterPattern"] != "ERROR" {
		t.Errorf("FilterLogEvents requests = %v", reqs)
	}
}

// Proves (simulated) that a denied read names the IAM action, and a
// missing log group is ErrNoLogGroup.
func TestLogsErrors(t *testing.T) {
	sim := newJSONSim(t)
	sim.on("FilterLogEvents", simAnswer{errorCode: "AccessDeniedException"})
	err := Logs(context.Background(), sim.clients(), simService(), LogOptions{}, func(LogEvent) error { return nil })
	var denied *DeniedError
	if !errors.As(err, &denied) || denied.Action != "logs:FilterLogEvents" || !strings.Contains(err.Error(), "logs:FilterLogEvents") {
		t.Errorf("denied: %v", err)
	}
	sim.on("FilterLogEvents", simAnswer{errorCode: "ResourceNotFoundException"})
	if err := Logs(context.Background(), sim.clients(), simService(), LogOptions{}, func(LogEvent) error { return nil }); !errors.Is(err, ErrNoLogGroup) {
		t.Errorf("missing log group: %v", err)
	}
}

// Proves (simulated) that a Live Tail session that fails part-way falls
// back to polling from pollOverlap before the newest line it printed,
// without printing a line twice.
func TestLogsLiveTailFailureFallsBackWithoutRepeats(t *testing.T) {
	const base = int64(1_780_000_000_000) // Unix ms, 2026
	sim := newJSONSim(t)
	sim.on("FilterLogEvents",
		simAnswer{body: map[string]any{"events": []any{logEvent(taskA, base+1000, "one")}}},
		simAnswer{body: map[string]any{"events": []any{logEvent(taskA, base+2000, "two"), logEvent(taskA, base+3000, "three")}}})
	sim.on("StartLiveTail", simAnswer{stream: []simEvent{
		{eventType: "sessionUpdate", payload: map[string]any{"sessionResults": []any{logEvent(taskA, base+2000, "two")}}},
		{eventType: "ServiceUnavailableException", payload: map[string]any{"message": "try later"}, exception: true},
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	col := &collector{want: 3, cancel: cancel}
	var notes []string
	err := Logs(ctx, sim.clients(), simService(), LogOptions{Follow: true, PollInterval: 10 * time.Millisecond,
		Notify: func(f string, a ...any) { notes = append(notes, fmt.Sprintf(f, a...)) }}, col.emit)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := col.lines(), []string{"01234567 one", "01234567 two", "01234567 three"}; !slices.Equal(got, want) {
		t.Errorf("lines = %q, want %q", got, want)
	}
	reqs := sim.sent("FilterLogEvents")
	if want := float64(base + 2000 - pollOverlap.Milliseconds()); len(reqs) < 2 || reqs[1]["startTime"] != want {
		t.Errorf("the poll after Live Tail starts at %v, want %.0f (the newest line printed, less the overlap)", reqs, want)
	}
	if len(notes) != 2 || !strings.Contains(notes[1], "polling") {
		t.Errorf("notes = %q", notes)
	}
}

// Proves (F10, simulated; the simulator's FilterLogEvents honours
// startTime as CloudWatch does): polling re-reads a window behind the
// newest line printed, so a line of another task that reaches CloudWatch
// after a newer one, with an earlier timestamp, is still printed, and the
// lines read twice are printed once.
func TestLogsPollingKeepsLateLines(t *testing.T) {
	const base = int64(1_780_000_000_000) // Unix ms, 2026
	var mu sync.Mutex
	calls := 0
	sim := newJSONSim(t)
	sim.on("StartLiveTail", simAnswer{errorCode: "AccessDeniedException"})
	sim.on("FilterLogEvents", simAnswer{reply: func(in map[string]any) any {
		mu.Lock()
		defer mu.Unlock()
		calls++
		stored := []any{logEvent(taskA, base+100_000, "a1")}
		if calls > 1 {
			// Task B's batch arrives late: its line is older than a1.
			stored = []any{logEvent(taskB, base+95_000, "b-late"), logEvent(taskA, base+100_000, "a1"), logEvent(taskA, base+101_000, "a2")}
		}
		start, _ := in["startTime"].(float64)
		var events []any
		for _, e := range stored {
			if float64(e.(map[string]any)["timestamp"].(int64)) >= start {
				events = append(events, e)
			}
		}
		return map[string]any{"events": events}
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	col := &collector{want: 3, cancel: cancel}
	if err := Logs(ctx, sim.clients(), simService(), LogOptions{Follow: true, PollInterval: 10 * time.Millisecond}, col.emit); err != nil {
		t.Fatal(err)
	}
	if got, want := col.lines(), []string{"01234567 a1", "fedcba98 b-late", "01234567 a2"}; !slices.Equal(got, want) {
		t.Errorf("lines = %q, want %q: the late line once, and no line twice", got, want)
	}
}

// Proves (F10, simulated): when Live Tail reports that an update is a
// sample (more than 500 matching lines a second), --follow warns once,
// however many sampled updates follow, and still prints the lines.
func TestLogsLiveTailSampledWarnsOnce(t *testing.T) {
	sim := newJSONSim(t)
	sim.on("FilterLogEvents", simAnswer{body: map[string]any{"events": []any{}}})
	sampled := func(ms int64, message string) simEvent {
		return simEvent{eventType: "sessionUpdate", payload: map[string]any{
			"sessionMetadata": map[string]any{"sampled": true},
			"sessionResults":  []any{logEvent(taskA, ms, message)},
		}}
	}
	sim.on("StartLiveTail", simAnswer{stream: []simEvent{sampled(1000, "one"), sampled(2000, "two"), sampled(3000, "three")}, hold: true})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	col := &collector{want: 3, cancel: cancel}
	var warnings []string
	err := Logs(ctx, sim.clients(), simService(), LogOptions{Follow: true,
		Warn: func(f string, a ...any) { warnings = append(warnings, fmt.Sprintf(f, a...)) }}, col.emit)
	if err != nil {
		t.Fatal(err)
	}
	if len(col.lines()) != 3 {
		t.Errorf("lines = %q, want the three sampled ones", col.lines())
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "sample") {
		t.Errorf("warnings = %q, want one about sampling", warnings)
	}
}
