package deploy

// Benchmarks of the ECS watcher against the SIMULATED CloudFormation, ECS,
// Logs and ELBv2 (simulator_test.go, simulator_ecs_test.go), with the
// default poll interval, watch interval and call budget, on the real
// clock. They take tens of seconds each; run them on their own:
//
//	go test -run '^$' -bench 'Watch' -benchtime 1x ./stack/deploy/

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cfnfargate/cfnfargate/stack/deploy/watch"
)

// arrivals records when each stopped-task fact reached the sink.
type arrivals struct {
	mu sync.Mutex
	at map[string]time.Time // task ID -> arrival
}

func (a *arrivals) Event(e Event) {
	if f, ok := e.(ServiceFact); ok {
		if t, ok := f.Fact.(watch.TaskStopped); ok {
			a.mu.Lock()
			a.at[t.Task.ID] = time.Now()
			a.mu.Unlock()
		}
	}
}

// BenchmarkWatchCauseLatency measures the time from a stopped task being
// visible in the simulator (ListTasks answers it) to its classified cause
// reaching the sink, with every default: CloudFormation polled every 2 s,
// the watcher's rounds every 2 s within 1 call per second. Reported as
// ms/cause (mean) and max-ms/cause over 4 tasks per deploy.
func BenchmarkWatchCauseLatency(b *testing.B) {
	var total, worst time.Duration
	var n int
	for range b.N {
		sim := newSimulator(b)
		e := sim.newSimECS()
		e.logs["lines"] = []string{"Error: missing env DATABASE_URL"}
		gap := 2300 * time.Millisecond // off the 2 s cadence, so arrivals fall at every phase
		failingTasks(e, 4, gap, simTask{stopCode: "EssentialContainerExited", reason: "Essential container in task exited",
			exit: intp(1), ranFor: time.Second})
		sim.onExecute = func(*simStack, *simChangeSet) *script { return serviceScript(e, "create", 5*gap, true) }
		rec := &arrivals{at: map[string]time.Time{}}
		d := &Deployer{API: sim.client(), Sink: rec, ECS: sim.ecsClient(), TargetHealth: sim.elbClient(), Logs: sim.logsClient()}
		in := watchInput()
		in.Timeout = 5 * time.Minute
		var fe *FailedError
		if _, err := d.Deploy(b.Context(), in); !errors.As(err, &fe) {
			b.Fatalf("err = %v, want the service's failure", err)
		}
		for _, t := range e.tasks {
			arrived, ok := rec.at[t.id]
			if !ok {
				b.Fatalf("task %s never reported", t.id)
			}
			lat := arrived.Sub(e.started.Add(t.after))
			total += lat
			worst = max(worst, lat)
			n++
		}
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(n), "ms/cause")
	b.ReportMetric(float64(worst.Milliseconds()), "max-ms/cause")
}

// BenchmarkWatchCallsPerMinute counts every API call (CloudFormation, ECS,
// ELBv2 and Logs) while a deploy waits 60 s on a service that rolls out
// slowly and has two tasks stop along the way, with every default.
// Reported as calls/min for the whole deploy and for the watcher alone.
func BenchmarkWatchCallsPerMinute(b *testing.B) {
	var calls, watcherCalls, minutes float64
	for range b.N {
		sim := newSimulator(b)
		e := sim.newSimECS()
		e.tasks = []simTask{
			{after: 20 * time.Second, id: "00000000000000000000000000000001", stopCode: "EssentialContainerExited", reason: "Essential container in task exited", exit: intp(1), ranFor: time.Second},
			{after: 40 * time.Second, id: "00000000000000000000000000000002", stopCode: "EssentialContainerExited", reason: "Essential container in task exited", exit: intp(1), ranFor: time.Second},
		}
		e.targets = []simTarget{{after: 10 * time.Second, id: "10.0.3.14", port: 8080, state: "initial", reason: "Elb.InitialHealthChecking"}}
		e.rollouts = []simRollout{{after: 5 * time.Second, state: "IN_PROGRESS", desired: 2, pending: 2}}
		wait := 60 * time.Second
		sim.onExecute = func(*simStack, *simChangeSet) *script { return serviceScript(e, "update", wait, false) }
		sim.addStack("demo", statusUpdateComplete, nil)
		d := &Deployer{API: sim.client(), ECS: sim.ecsClient(), TargetHealth: sim.elbClient(), Logs: sim.logsClient()}
		in := watchInput()
		in.Timeout = 5 * time.Minute
		if _, err := d.Deploy(b.Context(), in); err != nil {
			b.Fatal(err)
		}
		var from, to time.Time
		for _, c := range sim.callsTo("ExecuteChangeSet") {
			from = c.At
		}
		sim.locked(func() {
			for _, c := range sim.calls {
				if c.At.Before(from) {
					continue
				}
				to = c.At
				calls++
				switch c.Action {
				case "DescribeStacks", "DescribeStackEvents", "ExecuteChangeSet":
				default:
					watcherCalls++
				}
			}
		})
		minutes += to.Sub(from).Minutes()
	}
	b.ReportMetric(calls/minutes, "calls/min")
	b.ReportMetric(watcherCalls/minutes, "watcher-calls/min")
}
