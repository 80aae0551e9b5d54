package deploy

import (
	"strings"
	"testing"
	"time"
)

// Proves: the text form of a status aligns the rows above the outputs on
// their own, so a long output key does not push their values right; aligns
// the outputs among themselves; prints the time in the location given; and
// leaves no trailing space, not even after an output whose value is empty.
func TestStatusWriteText(t *testing.T) {
	t.Parallel()
	st := &StackStatus{
		Name:    "demo",
		Status:  statusUpdateRollbackComplete,
		Reason:  "Stack update cancelled",
		Updated: time.Date(2024, 5, 1, 12, 30, 0, 0, time.UTC),
		Outputs: []Output{
			{Key: "LoadBalancerDNSNameForTheApplication", Value: "demo-123.us-east-1.elb.amazonaws.com"},
			{Key: "Unused", Value: ""},
			{Key: "URL", Value: "https://demo.example"},
		},
	}
	want := `Stack:         demo
Status:        UPDATE_ROLLBACK_COMPLETE
Reason:        Stack update cancelled
Last updated:  Wed, 01 May 2024 12:30:00 UTC
Note:          the update was rolled back and the stack runs its previous version
Outputs:
  LoadBalancerDNSNameForTheApplication  demo-123.us-east-1.elb.amazonaws.com
  Unused
  URL                                   https://demo.example
`
	var b strings.Builder
	if err := st.writeText(&b, time.UTC); err != nil {
		t.Fatalf("writeText: %v", err)
	}
	if got := b.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", strings.ReplaceAll(got, " \n", "·\n"), want)
	}
}
