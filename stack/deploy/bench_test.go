package deploy

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// BenchmarkSettleToReturn measures, with the default poll interval, the
// time from the moment the simulated stack settles to the moment Deploy
// returns (median and worst, in ms), and how many API calls the wait makes
// per minute. It asserts nothing about time: it is a measurement. Each
// iteration settles at a different point of the poll cycle and takes about
// 3 to 6 seconds; run it with -benchtime 5x.
func BenchmarkSettleToReturn(b *testing.B) {
	var lags []time.Duration
	var calls int
	var waited time.Duration
	for i := 0; b.Loop(); i++ {
		sim := newSimulator(b)
		settle := 2*time.Second + (time.Duration(i)*700*time.Millisecond)%(2*time.Second)
		sim.onExecute = func(*simStack, *simChangeSet) *script {
			return createScript(resources(4), settle/9)
		}
		sim.changes = []simChange{{action: "Add", logicalID: "Cluster", resType: "AWS::ECS::Cluster"}}
		d := &Deployer{API: sim.client()} // DefaultPollInterval
		in := testInput()
		in.StackName = fmt.Sprintf("bench%d", i)

		if _, err := d.Deploy(context.Background(), in); err != nil {
			b.Fatalf("Deploy: %v", err)
		}
		returned := time.Now()

		sim.mu.Lock()
		lags = append(lags, returned.Sub(sim.settledAt))
		var executed time.Time
		for _, c := range sim.calls {
			if c.Action == "ExecuteChangeSet" {
				executed = c.At
			}
			if !executed.IsZero() && c.Action != "ExecuteChangeSet" {
				calls++
			}
		}
		waited += returned.Sub(executed)
		sim.mu.Unlock()
	}
	slices.Sort(lags)
	b.ReportMetric(float64(lags[len(lags)/2])/float64(time.Millisecond), "settle-to-return-ms")
	b.ReportMetric(float64(lags[len(lags)-1])/float64(time.Millisecond), "max-settle-to-return-ms")
	b.ReportMetric(float64(calls)/waited.Minutes(), "api-calls/min")
}
