package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/stack/operate"
)

// logsOptions are the options of cfnfargate logs.
type logsOptions struct {
	operation
	Since    time.Duration
	Task     string
	Filter   string
	Follow   bool
	JSON     bool
	Previous bool
	// Lines is how many lines --previous shows.
	Lines int32
	// PollInterval is the polling fallback's; zero means the default.
	PollInterval time.Duration
}

// previousLines is how many of a stopped task's last lines --previous
// shows: enough for a stack trace.
const previousLines = 50

func logsCommand() *cli.Command {
	return &cli.Command{
		Name:  "logs",
		Usage: "print the service's log lines, each prefixed with a short task ID",
		UsageText: "cfnfargate logs --stack NAME [--since 10m] [--task ID] [--filter PATTERN] [--follow] [--json]\n" +
			"cfnfargate logs --stack NAME --previous",
		Description: "--follow streams new lines through CloudWatch Logs Live Tail, or by polling where Live Tail is not\n" +
			"available; Ctrl-C ends it (exit 0). --previous shows the most recently stopped task: why it stopped and its last lines.\n" +
			"Exit status: 0 printed, 1 failed, 2 bad input.",
		Flags: operationFlags(
			&cli.DurationFlag{Name: "since", Value: 10 * time.Minute, Usage: "start this long `AGO`, such as 10m or 2h"},
			&cli.StringFlag{Name: "task", Usage: "only the task with this `ID` (or the start of it)"},
			&cli.StringFlag{Name: "filter", Usage: "a CloudWatch Logs filter `PATTERN`, such as ERROR or '?ERROR ?WARN'"},
			&cli.BoolFlag{Name: "follow", Aliases: []string{"f"}, Usage: "keep streaming new lines"},
			&cli.BoolFlag{Name: "json", Usage: "one JSON object per line: time, task, container, stream, message"},
			&cli.BoolFlag{Name: "previous", Usage: "the most recently stopped task: its stop reason and last lines"},
		),
		OnUsageError: usageError,
		Action: operationAction(func(c *cli.Context) error {
			o := logsOptions{operation: operationOf(c), Since: c.Duration("since"), Task: c.String("task"), Filter: c.String("filter"),
				Follow: c.Bool("follow"), JSON: c.Bool("json"), Previous: c.Bool("previous"), Lines: previousLines}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Execute(c.Context)
		}),
	}
}

// Validate checks the flags without calling AWS.
func (o *logsOptions) Validate() error {
	var check deployCheck
	o.validate(&check.Check)
	if o.Since < 0 {
		check.Add("--since", "%s is negative: give how long ago to start, such as 10m", o.Since)
	}
	// The pattern syntax is CloudWatch's; its length is at most 1024
	// (CloudWatch Logs API reference, FilterLogEvents filterPattern).
	if len(o.Filter) > 1024 {
		check.Add("--filter", "is %d characters long: CloudWatch Logs takes at most 1024", len(o.Filter))
	}
	if o.Previous && (o.Follow || o.Task != "" || o.Filter != "") {
		check.Add("--previous", "shows the last stopped task's lines: it does not combine with --follow, --task or --filter")
	}
	return check.err()
}

// Execute prints the lines.
func (o *logsOptions) Execute(ctx context.Context) error {
	out := newConsole(o.Stdout, o.Stderr)
	ctx, stop := interruptible(ctx, out)
	defer stop()
	clients, svc, err := o.connect(ctx)
	if err != nil {
		return err
	}
	if o.Previous {
		return o.previous(ctx, clients, svc)
	}
	opts := operate.LogOptions{Since: o.Since, Task: o.Task, Filter: o.Filter, Follow: o.Follow, PollInterval: o.PollInterval,
		Notify: func(format string, args ...any) { fmt.Fprintf(o.Stderr, "cfnfargate: "+format+"\n", args...) },
		Warn:   func(format string, args ...any) { fmt.Fprintf(o.Stderr, "cfnfargate: warning: "+format+"\n", args...) }}
	printed := 0
	print := logPrinter(o.Stdout, o.JSON)
	err = operate.Logs(ctx, clients, svc, opts, func(e operate.LogEvent) error {
		printed++
		return print(e)
	})
	if err == nil && printed == 0 && !o.Follow && !o.JSON {
		// Silence would read as a broken command; stdout stays empty for
		// scripts.
		fmt.Fprintf(o.Stderr, "cfnfargate: no log lines in the last %s of log group %s\n", o.Since, svc.LogGroup)
	}
	return err
}

// previous prints the last stopped task and its last lines.
func (o *logsOptions) previous(ctx context.Context, clients operate.Clients, svc *operate.Service) error {
	task, err := operate.LastStopped(ctx, clients, svc)
	if err != nil {
		return err
	}
	events, err := operate.PreviousLogs(ctx, clients, svc, task, o.Lines)
	if err != nil {
		return err
	}
	if o.JSON {
		enc := json.NewEncoder(o.Stdout)
		if err := enc.Encode(map[string]any{"task": task}); err != nil {
			return err
		}
	} else {
		writeStopped(o.Stdout, task)
		if len(events) == 0 {
			fmt.Fprintln(o.Stdout, "No log lines: the container stopped before it logged anything.")
		} else {
			fmt.Fprintf(o.Stdout, "Last %d line(s):\n", len(events))
		}
	}
	emit := logPrinter(o.Stdout, o.JSON)
	for _, e := range events {
		if err := emit(e); err != nil {
			return err
		}
	}
	return nil
}

// writeStopped says when and why a task stopped, and how its containers
// ended.
func writeStopped(w io.Writer, t operate.Task) {
	when := ""
	if t.StoppedAt != nil {
		when = " at " + t.StoppedAt.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(w, "Task %s stopped%s: %s\n", t.ID, when, orNone(t.StoppedReason))
	for _, c := range t.Containers {
		switch {
		case c.ExitCode != nil:
			fmt.Fprintf(w, "  container %s exited with code %d", c.Name, *c.ExitCode)
		default:
			fmt.Fprintf(w, "  container %s did not run", c.Name)
		}
		if c.Reason != "" {
			fmt.Fprintf(w, ": %s", c.Reason)
		}
		fmt.Fprintln(w)
	}
}

func orNone(s string) string {
	if s == "" {
		return "no reason given"
	}
	return s
}

// logPrinter prints log events as "TASK TIME MESSAGE" or, with asJSON, as
// one JSON object per line.
func logPrinter(w io.Writer, asJSON bool) func(operate.LogEvent) error {
	if asJSON {
		enc := json.NewEncoder(w)
		return func(e operate.LogEvent) error { return enc.Encode(e) }
	}
	return func(e operate.LogEvent) error {
		_, err := fmt.Fprintf(w, "%s %s %s\n", taskLabel(e.TaskID), e.Time.Format("2006-01-02T15:04:05.000Z"), e.Message)
		return err
	}
}
