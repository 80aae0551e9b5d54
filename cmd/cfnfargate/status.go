package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

func statusCommand() *cli.Command {
	return &cli.Command{
		Name:  "status",
		Usage: "print the stack's status, last update and outputs",
		Flags: append(awsFlags(),
			&cli.StringFlag{Name: "format", Value: "text", Usage: "text, or json for scripts", EnvVars: []string{envName("status-format")}},
		),
		OnUsageError: usageError,
		Action: func(c *cli.Context) error {
			outFormat := c.String("format")
			if outFormat != "text" && outFormat != "json" {
				return badInput(fmt.Errorf("--format: %q is not a status format: use text or json", outFormat))
			}
			var st *deploy.StackStatus
			err := withDeployer(c, func(ctx context.Context, d *deploy.Deployer) (err error) {
				st, err = d.Status(ctx, c.String("stack"))
				return err
			})
			if err != nil {
				return withHints(c, err)
			}
			if outFormat == "json" {
				enc := json.NewEncoder(c.App.Writer)
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			if err := st.WriteText(c.App.Writer); err != nil {
				return err
			}
			// The note in the text says what the state needs; these are
			// the commands that do it.
			if steps := st.NextSteps(); len(steps) > 0 {
				_, err = fmt.Fprintln(c.App.Writer, stepsHint(c, steps))
			}
			return err
		},
	}
}
