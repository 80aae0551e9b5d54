package scenario

import (
	"os"
	"testing"

	"github.com/cfnfargate/cfnfargate/internal/testenv"
	"github.com/cfnfargate/cfnfargate/internal/twin"
)

func TestMain(m *testing.M) {
	code := testenv.RunTests(m)
	removeBinary()
	os.Exit(code)
}

// TestScenariosOnTwin runs the whole suite against the behavioural twin
// with its default switches: each scenario proves that a deployment story
// the real-AWS review found broken now ends safely, as AWS's APIs show it.
func TestScenariosOnTwin(t *testing.T) {
	testenv.SkipIfShort(t, "starts the twin and builds the binary")
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
