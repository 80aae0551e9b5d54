package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
	"github.com/cfnfargate/cfnfargate/stack/operate"
)

func statusCommand() *cli.Command {
	return &cli.Command{
		Name:  "status",
		Usage: "print the stack's status, last update and outputs, and its service's image, tasks and latest deployment",
		Flags: append(awsFlags(),
			&cli.StringFlag{Name: "format", Value: "text", Usage: "text, or json for scripts", EnvVars: []string{envName("status-format")}},
		),
		OnUsageError: usageError,
		Action: func(c *cli.Context) error {
			o := statusCmd{Stack: c.String("stack"), Format: c.String("format"), Out: c.App.Writer,
				Region: func(ctx context.Context) string {
					region, _ := deploy.Region(ctx, clientOptions(c))
					return region
				}}
			if err := o.Validate(); err != nil {
				return err
			}
			var steps []deploy.Step
			err := withClients(c, func(ctx context.Context, clients *deploy.Clients, d *deploy.Deployer) (err error) {
				dl := clients.Delivery()
				o.Delivery = &dl
				ops := operate.FromDeploy(clients)
				o.Service = func(ctx context.Context, name string) (*operate.ServiceStatus, error) {
					return operate.DescribeService(ctx, ops, name)
				}
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
	// Service, when set, reads the stack's service: its image, tasks and
	// latest deployment.
	Service func(ctx context.Context, stackName string) (*operate.ServiceStatus, error)
	// Region names the region the stack was looked for in, for the
	// message about a stack that does not exist.
	Region func(ctx context.Context) string
}

// statusJSON is status --format json: the stack's status, and its
// service's under "service".
type statusJSON struct {
	*deploy.StackStatus
	Service *operate.ServiceStatus `json:"service,omitempty"`
	// ServiceError says why the service could not be read.
	ServiceError string `json:"serviceError,omitempty"`
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
	if errors.Is(err, deploy.ErrStackNotFound) && o.Region != nil {
		// Name the region: a stack "missing" in the wrong region is still
		// running in the right one.
		if region := o.Region(ctx); region != "" {
			return nil, fmt.Errorf("%w in %s", err, region)
		}
	}
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
	out := statusJSON{StackStatus: st}
	if o.Service != nil {
		svc, err := o.Service(ctx, o.Stack)
		switch {
		case errors.Is(err, operate.ErrNoService):
			// A stack being created, or not a service's.
		case err != nil:
			// The stack's status is what status is for; a service that
			// cannot be read is shown as such rather than failing it.
			out.ServiceError = err.Error()
		default:
			out.Service = svc
		}
	}
	if o.Format == "json" {
		enc := json.NewEncoder(o.Out)
		enc.SetIndent("", "  ")
		return nil, enc.Encode(out)
	}
	if err := st.WriteText(o.Out); err != nil {
		return nil, err
	}
	if err := writeService(o.Out, out.Service, out.ServiceError); err != nil {
		return nil, err
	}
	return st.NextSteps(), nil
}

// writeService writes the service's part of status: its image, tasks and
// latest deployment, or why they could not be read.
func writeService(w io.Writer, svc *operate.ServiceStatus, problem string) error {
	if svc == nil && problem == "" {
		return nil
	}
	// Aligned with the stack's rows above, whose widest key is "Last
	// updated:".
	tw := tabwriter.NewWriter(w, len("Last updated:")+2, 0, 2, ' ', 0)
	if svc == nil {
		fmt.Fprintf(tw, "Service:\tnot read: %s\n", problem)
		return tw.Flush()
	}
	fmt.Fprintf(tw, "Service:\t%s (cluster %s)\n", svc.Service, svc.Cluster)
	fmt.Fprintf(tw, "Image:\t%s\n", dash(svc.Image))
	fmt.Fprintf(tw, "Tasks:\t%d desired, %d running, %d pending\n", svc.Desired, svc.Running, svc.Pending)
	if d := svc.Deployment; d != nil {
		line := d.Status
		if d.Rollout != "" {
			line += ", " + d.Rollout
		}
		line += fmt.Sprintf(": %d running", d.Running)
		if d.Failed > 0 {
			line += fmt.Sprintf(", %d failed", d.Failed)
		}
		if !d.Updated.IsZero() {
			line += ", updated " + d.Updated.Local().Format(time.RFC1123)
		}
		if d.Reason != "" {
			line += " (" + d.Reason + ")"
		}
		fmt.Fprintf(tw, "Rollout:\t%s\n", line)
	}
	return tw.Flush()
}
