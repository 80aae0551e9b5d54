package scenario

import (
	"flag"
	"os"
	"testing"

	"github.com/cfnfargate/cfnfargate/internal/testenv"
	"github.com/cfnfargate/cfnfargate/internal/twin"
)

func TestMain(m *testing.M) {
	// A scenario spends its time waiting: for the binary's polls, which
	// run on real time, and for the twin's virtual clock. So more of them
	// run at once than go test's default of one per CPU, unless -parallel
	// says otherwise.
	flag.Parse()
	parallelGiven := false
	flag.Visit(func(f *flag.Flag) { parallelGiven = parallelGiven || f.Name == "test.parallel" })
	if !parallelGiven {
		_ = flag.Set("test.parallel", "10")
	}
	code := testenv.RunTests(m)
	os.Exit(code)
}

// TestScenariosOnTwin runs the whole suite against the behavioural twin
// with its default switches: each scenario proves that a deployment story
// the real-AWS review found broken now ends safely, as AWS's APIs show it.
func TestScenariosOnTwin(t *testing.T) {
	testenv.SkipIfShort(t, "starts the twin and builds the binary")
	t.Parallel()
	b := newTwinBackend(t, twin.Options{Switches: twin.DefaultSwitches()})
	runAll(t, b, func(Scenario) string { return "" })
}

// TestScenariosOnAWS runs the same suite on a real account: `make
// test-aws`. Without CFNFARGATE_TEST_AWS=1 it prints how to run it and
// skips.
func TestScenariosOnAWS(t *testing.T) {
	b := newAWSBackend(t)
	runAll(t, b, func(sc Scenario) string {
		if sc.TwinOnly != "" {
			return "twin only: " + sc.TwinOnly
		}
		return ""
	})
}

// TestScenariosOnTwinOtherReadings runs the suite again with every switch
// of the twin in its other setting: where AWS's sources disagree or are
// silent (the specification's section 10), cfnfargate must be safe under
// either reading, not only under the one the twin takes by default.
func TestScenariosOnTwinOtherReadings(t *testing.T) {
	testenv.SkipIfShort(t, "starts the twin and builds the binary")
	t.Parallel()
	d := twin.DefaultSwitches()
	other := twin.Switches{
		CircuitBreakerBlueGreen:     !d.CircuitBreakerBlueGreen,
		ForceOnEveryUpdate:          !d.ForceOnEveryUpdate,
		HookFailedFailsRollback:     !d.HookFailedFailsRollback,
		NewExecutionIDPerInvocation: !d.NewExecutionIDPerInvocation,
		AbsentPropertyResets:        !d.AbsentPropertyResets,
		RollbackReverseOrder:        !d.RollbackReverseOrder,
		ThreeValuesPerCondition:     !d.ThreeValuesPerCondition,
		ShuffledDeployments:         !d.ShuffledDeployments,
		TrustLiveRule:               !d.TrustLiveRule,
	}
	b := newTwinBackend(t, twin.Options{Switches: other})
	runAll(t, b, func(Scenario) string { return "" })
}
