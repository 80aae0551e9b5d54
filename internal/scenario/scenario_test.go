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
