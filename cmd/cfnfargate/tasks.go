package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/stack/operate"
)

// tasksOptions are the options of cfnfargate tasks.
type tasksOptions struct {
	operation
	Stopped bool
	JSON    bool
	// Stop is the ID of a task to stop.
	Stop string
}

func tasksCommand() *cli.Command {
	return &cli.Command{
		Name:      "tasks",
		Usage:     "list the service's tasks: health, Availability Zone, image digest, start time and stop reason",
		UsageText: "cfnfargate tasks --stack NAME [--stopped] [--json]\ncfnfargate tasks --stack NAME --stop ID",
		Description: "Running tasks are listed first, newest first; --stopped adds those ECS still shows (for about an hour).\n" +
			"--stop stops one running task; the service starts a new one in its place.\n" +
			"Exit status: 0 listed or stopped, 1 failed, 2 bad input.",
		Flags: operationFlags(
			&cli.BoolFlag{Name: "stopped", Usage: "list recently stopped tasks too"},
			&cli.BoolFlag{Name: "json", Usage: "print the tasks as JSON"},
			&cli.StringFlag{Name: "stop", Usage: "stop the running task with this `ID` (or the start of it)"},
		),
		OnUsageError: usageError,
		Action: operationAction(func(c *cli.Context) error {
			o := tasksOptions{operation: operationOf(c), Stopped: c.Bool("stopped"), JSON: c.Bool("json"), Stop: c.String("stop")}
			if c.IsSet("stop") && o.Stop == "" {
				return badInput(fmt.Errorf("--stop: give the ID of the task to stop"))
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Execute(c.Context)
		}),
	}
}

// Validate checks the flags without calling AWS.
func (o *tasksOptions) Validate() error {
	var check deployCheck
	o.validate(&check.Check)
	if o.Stop != "" && o.Stopped {
		check.Add("--stop", "stops one running task: it does not combine with --stopped")
	}
	return check.err()
}

// Execute lists or stops tasks.
func (o *tasksOptions) Execute(ctx context.Context) error {
	clients, svc, err := o.connect(ctx)
	if err != nil {
		return err
	}
	if o.Stop != "" {
		t, err := operate.StopTask(ctx, clients, svc, o.Stop, "stopped with cfnfargate tasks --stop")
		if err != nil {
			return err
		}
		fmt.Fprintf(o.Stdout, "Stopping task %s; service %s starts a new one in its place.\n", t.ID, svc.Service)
		return nil
	}
	tasks, err := operate.ListTasks(ctx, clients, svc, o.Stopped)
	if err != nil {
		return err
	}
	if o.JSON {
		enc := json.NewEncoder(o.Stdout)
		enc.SetIndent("", "  ")
		if tasks == nil {
			tasks = []operate.Task{}
		}
		return enc.Encode(tasks)
	}
	return writeTasks(o.Stdout, svc, tasks)
}

// writeTasks prints tasks as a table.
func writeTasks(w io.Writer, svc *operate.Service, tasks []operate.Task) error {
	fmt.Fprintf(w, "Service %s in cluster %s: %d desired, %d running\n", svc.Service, svc.Cluster, svc.DesiredCount, svc.RunningCount)
	if len(tasks) == 0 {
		_, err := fmt.Fprintln(w, "No tasks.")
		return err
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TASK\tSTATUS\tHEALTH\tZONE\tSTARTED\tIMAGE DIGEST\tSTOP REASON")
	for _, t := range tasks {
		started := "-"
		if t.StartedAt != nil {
			started = t.StartedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.LastStatus, t.Health, dash(t.AvailabilityZone), started,
			dash(shortDigest(t.ImageDigest())), dash(t.StoppedReason))
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
