package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/stack/operate"
)

// recordRelease adds the deploy that just succeeded to the stack's release
// history (cfnfargate history, rollback). The stack is deployed by then,
// so a failure is a warning, not the deploy's error.
func recordRelease(c *cli.Context, stackName string) {
	o := operationOf(c)
	_, clients, err := o.clients(c.Context)
	if err == nil {
		var r *operate.Release
		if r, err = operate.Record(c.Context, clients, stackName, operate.RecordOptions{}); err == nil {
			fmt.Fprintf(c.App.ErrWriter, "cfnfargate: recorded release %d of stack %s (cfnfargate history lists it)\n", r.Number, stackName)
			return
		}
	}
	fmt.Fprintf(c.App.ErrWriter, "cfnfargate: warning: the deploy succeeded, but its release could not be recorded (%v); history and rollback will not know it\n", err)
}
