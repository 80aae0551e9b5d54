package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

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
			o := statusCmd{Stack: c.String("stack"), Format: c.String("format"), Out: c.App.Writer}
			if err := o.Validate(); err != nil {
				return err
			}
			var steps []deploy.Step
			err := withClients(c, func(ctx context.Context, clients *deploy.Clients, d *deploy.Deployer) (err error) {
				dl := clients.Delivery()
				o.Delivery = &dl
				steps, err = o.Execute(ctx, d)
				return err
			})
			if err != nil {
				return withHints(c, err)
			}
			// The note in the text says what the state needs; these are
			// the commands that do it.
			if len(steps) > 0 {
				_, err = fmt.Fprintln(c.App.Writer, stepsHint(c, steps))
			}
			return err
		},
	}
}

// statusCmd is `cfnfargate status`: Validate checks the input, and Execute
// prints the stack's state.
type statusCmd struct {
	Stack  string
	Format string // text or json
	Out    io.Writer
	// Delivery, when set, adds a blue/green service's traffic split and
	// latest deployment.
	Delivery *deploy.Delivery
}

// Validate reports every problem with the input, before AWS is called.
func (o statusCmd) Validate() error {
	var check deploy.Check
	check.StackName("--stack", o.Stack)
	if o.Format != "text" && o.Format != "json" {
		check.Add("--format", "%q is not a status format: use text or json", o.Format)
	}
	return check.Err()
}

// Execute prints the stack's status, last update and outputs, as text or
// JSON. It returns the next steps that the state of a stack in text form
// needs, for the caller to word as commands.
func (o statusCmd) Execute(ctx context.Context, d *deploy.Deployer) ([]deploy.Step, error) {
	st, err := d.Status(ctx, o.Stack)
	if err != nil {
		return nil, err
	}
	if o.Delivery != nil {
		live, err := o.Delivery.Inspect(ctx, o.Stack)
		if err != nil {
			return nil, err
		}
		// Only a blue/green service's rule has two target groups.
		if live.Traffic != nil && len(live.Traffic.Targets) > 1 {
			st.Traffic = live.Traffic
			// The split is what status is for here; a deployment that
			// cannot be read is shown as such rather than failing it.
			if st.Deployment, err = o.Delivery.LatestDeployment(ctx, live); err != nil {
				st.Deployment = &deploy.DeploymentState{Status: "unknown", Reason: err.Error()}
			}
		}
	}
	if o.Format == "json" {
		enc := json.NewEncoder(o.Out)
		enc.SetIndent("", "  ")
		return nil, enc.Encode(st)
	}
	if err := st.WriteText(o.Out); err != nil {
		return nil, err
	}
	return st.NextSteps(), nil
}
