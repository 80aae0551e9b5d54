package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/stack/operate"
)

// recordRelease adds the deploy that just succeeded, or whose change set
// started executing when it was not waited for (noWait, with the body it
// sent), to the stack's release history (cfnfargate history, rollback),
// with its settings, which the next deploy keeps. The stack is deployed
// by then, so a failure is a warning, not the deploy's error.
func recordRelease(c *cli.Context, stackName string, settings releaseSettings, noWait bool, body string) {
	o := operationOf(c)
	_, clients, err := o.clients(c.Context)
	if err == nil {
		opts := operate.RecordOptions{Settings: settings.values, Sources: settings.sources, NoWait: noWait}
		if noWait {
			opts.TemplateBody = body
		}
		var r *operate.Release
		if r, err = operate.Record(c.Context, clients, stackName, opts); err == nil {
			if noWait {
				fmt.Fprintf(c.App.ErrWriter, "cfnfargate: recorded release %d of stack %s, not waited for: the next deploy keeps its settings once the stack runs it (cfnfargate history lists it)\n", r.Number, stackName)
				return
			}
			fmt.Fprintf(c.App.ErrWriter, "cfnfargate: recorded release %d of stack %s (cfnfargate history lists it)\n", r.Number, stackName)
			return
		}
	}
	what := "the deploy succeeded"
	if noWait {
		what = "the deploy started"
	}
	fmt.Fprintf(c.App.ErrWriter, "cfnfargate: warning: %s, but its release could not be recorded (%v); history and rollback will not know it, and the next deploy keeps the settings of the release before\n", what, err)
}
