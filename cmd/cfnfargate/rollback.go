package main

import (
	"context"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
	"github.com/cfnfargate/cfnfargate/stack/operate"
)

// rollbackOptions are the options of cfnfargate rollback.
type rollbackOptions struct {
	operation
	To               int
	InFlight         bool
	Timeout          time.Duration
	AllowReplacement bool
	// OnPause answers the pause gate, as deploy's --on-pause.
	OnPause string
	confirm func(context.Context, []deploy.Replacement) (bool, error)
}

func rollbackCommand() *cli.Command {
	return &cli.Command{
		Name:      "rollback",
		Usage:     "deploy an earlier release again, or stop a change in flight",
		UsageText: "cfnfargate rollback --stack NAME [--to N]\ncfnfargate rollback --stack NAME --in-flight",
		Description: "Deploys release N (by default the one before the newest) through a change set: the template it used,\n" +
			"its parameters and its image pinned by digest; the task count stays as it is. It shows the plan, waits with\n" +
			"the usual progress and records a new release. A blue/green service keeps its live traffic split (the release's\n" +
			"weights are those of its time); the rollback refuses while ECS deploys it, and answers the pause gate as deploy\n" +
			"does (--on-pause).\n" +
			"--in-flight cancels a stack update that CloudFormation is running, or else stops the service's ECS\n" +
			"deployment in progress with rollback. While CloudFormation rolls the stack back, creates or deletes it,\n" +
			"it stops nothing and says to wait: the deployment in progress is then CloudFormation's own.\n" +
			"Exit status: 0 rolled back, 1 failed, 2 bad input, 130 interrupted.",
		Flags: operationFlags(
			&cli.IntFlag{Name: "to", Usage: "the release `N` to deploy again (see cfnfargate history)"},
			&cli.BoolFlag{Name: "in-flight", Usage: "stop the update or ECS deployment under way, with rollback"},
			&cli.BoolFlag{Name: "allow-replacement", Usage: "execute a rollback that replaces resources, without asking"},
			timeoutFlag(),
			deliveryFlags()[1],
		),
		OnUsageError: usageError,
		Action: operationAction(func(c *cli.Context) error {
			o := rollbackOptions{operation: operationOf(c), To: c.Int("to"), InFlight: c.Bool("in-flight"), Timeout: c.Duration("timeout"),
				AllowReplacement: c.Bool("allow-replacement"), OnPause: c.String("on-pause"), confirm: confirmReplacement(c, c.String("stack"))}
			if err := checkOnPause(c); err != nil {
				return err
			}
			if c.IsSet("to") && o.To < 1 {
				return badInput(fmt.Errorf("--to: %d is not a release number (1 or more; see cfnfargate history)", o.To))
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Execute(c.Context)
		}),
	}
}

// Validate checks the flags without calling AWS.
func (o *rollbackOptions) Validate() error {
	var check deployCheck
	o.validate(&check.Check)
	check.Timeout("--timeout", o.Timeout)
	if o.InFlight && o.To != 0 {
		check.Add("--in-flight", "stops what is under way: it does not combine with --to")
	}
	return check.err()
}

// Execute rolls back.
func (o *rollbackOptions) Execute(ctx context.Context) error {
	out := newConsole(o.Stdout, o.Stderr)
	ctx, stop := interruptible(ctx, out)
	defer stop()
	clients, ops, err := o.clients(ctx)
	if err != nil {
		return err
	}
	if o.InFlight {
		res, err := operate.StopInFlight(ctx, ops, o.Stack)
		if err != nil {
			return err
		}
		if res.CloudFormation {
			fmt.Fprintf(o.Stdout, "Cancelled the update of stack %s; CloudFormation rolls it back.\n", o.Stack)
		} else {
			fmt.Fprintf(o.Stdout, "Stopped ECS deployment %s with rollback.\n", res.Deployment)
		}
		return nil
	}
	// The blue/green checks of deploy, and the live weights, which the
	// release's template does not have, read once the stack is ready.
	dl := clients.Delivery()
	stopGate := o.watchGate(ctx, dl, o.OnPause)
	res, err := operate.Rollback(ctx, ops, o.deployer(clients, out), o.Stack, operate.RollbackOptions{To: o.To, Timeout: o.Timeout,
		AllowReplacement: o.AllowReplacement, ConfirmReplacement: o.confirm, ReadLive: o.readLive(dl, true)})
	stopGate()
	out.stdout.endLine()
	if err != nil {
		return err
	}
	switch {
	case res.Deploy.NoChanges:
		fmt.Fprintf(o.Stdout, "Stack %s already runs release %d; nothing recorded.\n", o.Stack, res.Target.Number)
	case res.Recorded != nil:
		fmt.Fprintf(o.Stdout, "Rolled back to release %d with image %s; recorded as release %d.\n", res.Target.Number, res.Image, res.Recorded.Number)
	}
	return nil
}
