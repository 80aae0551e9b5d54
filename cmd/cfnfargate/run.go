package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
	"github.com/cfnfargate/cfnfargate/stack/operate"
)

// runOptions are the options of cfnfargate run.
type runOptions struct {
	operation
	Command []string
	NoWait  bool
	// Spot runs the task on Fargate Spot.
	Spot bool
	// PollInterval is how often the task is read; zero means the default.
	PollInterval time.Duration
}

func runCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "run a one-off task, such as a migration, from the service's task definition",
		UsageText: "cfnfargate run --stack NAME [--no-wait] -- COMMAND [ARGS...]",
		Description: "The task runs the service's current task definition in its subnets and security groups, on regular\n" +
			"Fargate even when the service uses Fargate Spot (--spot runs it on Spot, which may stop it with two minutes'\n" +
			"notice); COMMAND replaces the container's command. The task's log lines are streamed until it stops.\n" +
			"Exit status: the container's exit code; 1 when the task could not start or stopped before its container ran;\n" +
			"2 bad input; with --no-wait, 0 once the task is started (its ID is printed).",
		Flags: operationFlags(
			&cli.BoolFlag{Name: "no-wait", Usage: "print the task ID and return once it is started", EnvVars: []string{envName("no-wait")}},
			// Not read from the config file or a variable: there the spot
			// key is the service's setting, which must not move one-off
			// tasks to Spot.
			&cli.BoolFlag{Name: "spot", Usage: "run the task on Fargate Spot instead of regular Fargate"},
		),
		OnUsageError: usageError,
		Action: operationAction(func(c *cli.Context) error {
			o := runOptions{operation: operationOf(c), Command: c.Args().Slice(), NoWait: c.Bool("no-wait"), Spot: c.Bool("spot")}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Execute(c.Context)
		}),
	}
}

// Validate checks the flags without calling AWS.
func (o *runOptions) Validate() error {
	var check deployCheck
	o.validate(&check.Check)
	if len(o.Command) == 0 {
		check.Add("COMMAND", "give the command to run after --, as in cfnfargate run --stack NAME -- ./migrate up")
	}
	// ECS takes the whole task override, commands included, up to 8192
	// bytes (ECS API reference, RunTask overrides).
	size := 0
	for _, a := range o.Command {
		size += len(a) + 4
	}
	if size > 8000 {
		check.Add("COMMAND", "is about %d bytes: ECS takes task overrides of up to 8192 bytes", size)
	}
	return check.err()
}

// Execute runs the task and, unless NoWait, waits for it and exits with
// the container's exit code.
func (o *runOptions) Execute(ctx context.Context) error {
	out := newConsole(o.Stdout, o.Stderr)
	ctx, stop := interruptible(ctx, out)
	defer stop()
	clients, svc, err := o.connect(ctx)
	if err != nil {
		return err
	}
	// One token for the run: a RunTask the SDK retries after a 5xx or a
	// lost answer carries it again, and ECS starts no second task (a
	// migration run twice).
	token, err := runToken()
	if err != nil {
		return err
	}
	res, err := operate.Run(ctx, clients, svc, operate.RunOptions{Command: o.Command, StartedBy: "cfnfargate-run", NoWait: true, ClientToken: token, Spot: o.Spot}, nil)
	if err != nil {
		return err
	}
	if o.NoWait {
		fmt.Fprintln(o.Stdout, res.Task.ID)
		return nil
	}
	fmt.Fprintf(o.Stderr, "cfnfargate: started task %s of %s; following its log until it stops (Ctrl-C stops waiting, not the task)\n",
		res.Task.ID, svc.TaskDefinition)
	res, err = operate.Wait(ctx, clients, svc, res.Task, o.PollInterval, logPrinter(o.Stdout, false))
	var runErr *operate.RunError
	switch {
	case errors.As(err, &runErr):
		return err
	case err != nil && ctx.Err() != nil:
		return &exitError{code: deploy.ExitInterrupted, err: fmt.Errorf("stopped waiting; task %s carries on", res.Task.ID)}
	case err != nil:
		return err
	}
	code := int(*res.ExitCode)
	fmt.Fprintf(o.Stderr, "cfnfargate: task %s exited with code %d\n", res.Task.ID, code)
	if code != 0 {
		return &exitError{code: code, err: errQuiet}
	}
	return nil
}

// runToken is a RunTask client token: "cfnfargate-run-" and 32 random hex
// digits, 47 characters of the 64 ECS takes.
func runToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make a client token for RunTask: %w", err)
	}
	return "cfnfargate-run-" + hex.EncodeToString(b), nil
}
