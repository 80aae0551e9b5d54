package main

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/stack/operate"
)

// scaleOptions are the options of cfnfargate scale.
type scaleOptions struct {
	operation
	Scale operate.ScaleOptions
	// OnPause answers the pause gate, as deploy's --on-pause.
	OnPause string
}

// scaleFlags name the flags of operate.ScaleOptions' fields.
var scaleFlags = map[string]string{operate.FieldCount: "--count", operate.FieldMin: "--min", operate.FieldMax: "--max"}

func scaleCommand() *cli.Command {
	return &cli.Command{
		Name:      "scale",
		Usage:     "change the service's task count through a change set",
		UsageText: "cfnfargate scale --stack NAME --count N\ncfnfargate scale --stack NAME [--min N] [--max N]   (with autoscaling)",
		Description: "Deploys the stack's current template with only the DesiredCount parameter changed (MinCount and MaxCount\n" +
			"with autoscaling), so the stack never drifts and later deploys keep the count. --count 0 pauses the service.\n" +
			"It forces no new deployment, so a blue/green service only adds or removes tasks; it refuses while ECS deploys\n" +
			"a blue/green service, and answers the pause gate as deploy does should one wait (--on-pause).\n" +
			"Exit status: 0 scaled or no changes, 1 failed, 2 bad input, 130 interrupted.",
		Flags: operationFlags(
			&cli.IntFlag{Name: "count", Usage: "run `N` tasks (0 pauses the service)"},
			&cli.IntFlag{Name: "min", Usage: "with autoscaling: keep at least `N` tasks"},
			&cli.IntFlag{Name: "max", Usage: "with autoscaling: run at most `N` tasks"},
			timeoutFlag(),
			deliveryFlags()[1],
		),
		OnUsageError: usageError,
		Action: operationAction(func(c *cli.Context) error {
			o := scaleOptions{operation: operationOf(c)}
			for name, v := range map[string]**int{"count": &o.Scale.Count, "min": &o.Scale.Min, "max": &o.Scale.Max} {
				if c.IsSet(name) {
					n := c.Int(name)
					*v = &n
				}
			}
			o.Scale.Timeout = c.Duration("timeout")
			o.OnPause = c.String("on-pause")
			if err := checkOnPause(c); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Execute(c.Context)
		}),
	}
}

// Validate checks the flags without calling AWS.
func (o *scaleOptions) Validate() error {
	var check deployCheck
	o.validate(&check.Check)
	check.Timeout("--timeout", o.Scale.Timeout)
	if err := problemsIn(o.Scale.Validate(), scaleFlags); err != nil {
		return err
	}
	return check.err()
}

// Execute deploys the new count and waits, with the usual progress.
func (o *scaleOptions) Execute(ctx context.Context) error {
	out := newConsole(o.Stdout, o.Stderr)
	ctx, stop := interruptible(ctx, out)
	defer stop()
	clients, ops, err := o.clients(ctx)
	if err != nil {
		return err
	}
	// A scale starts no deployment of its own, but one of ECS's that runs
	// would have its weights set under it: the blue/green checks of deploy
	// run first, once the stack is ready.
	dl := clients.Delivery()
	stopGate := o.watchGate(ctx, dl, o.OnPause)
	scale := o.Scale
	scale.ReadLive = o.readLive(dl, false)
	res, err := operate.Scale(ctx, ops, o.deployer(clients, out), o.Stack, scale)
	stopGate()
	out.stdout.endLine()
	if err != nil {
		return problemsIn(err, scaleFlags)
	}
	if res.NoChanges {
		fmt.Fprintf(o.Stdout, "Stack %s already runs that count.\n", o.Stack)
	}
	return nil
}
