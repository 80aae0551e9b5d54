package deploy

import (
	"testing"
	"time"
)

// Proves: a TimeoutError names the status the stack was last seen in, and
// when no read of the stack succeeded it says the state is unknown instead
// of leaving a blank ("is still  and"); its next step is checking on the
// stack, as data rather than a command line.
func TestTimeoutErrorMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status string
		want   string
	}{
		{statusDeleteInProgress, "timed out after 3s: stack demo is still DELETE_IN_PROGRESS and CloudFormation carries on with it"},
		{"", "timed out after 3s: stack demo is in an unknown state (no poll succeeded)"},
	}
	for _, tt := range tests {
		err := &TimeoutError{Stack: "demo", Status: tt.status, After: 3 * time.Second}
		if got := err.Error(); got != tt.want {
			t.Errorf("Status %q:\n got %q\nwant %q", tt.status, got, tt.want)
		}
		if got := stepsText(NextSteps(err)); got != "check on it: cfnfargate status demo @\n" {
			t.Errorf("Status %q: steps %q; want checking on the stack", tt.status, got)
		}
	}
}
