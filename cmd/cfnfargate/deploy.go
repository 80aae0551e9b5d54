package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
	"github.com/cfnfargate/cfnfargate/stack/deploy/progress"
)

func deployCommand() *cli.Command {
	flags := stackCommandFlags(
		timeoutFlag(),
		&cli.BoolFlag{Name: "no-wait", Usage: "return once the change set is executing", EnvVars: []string{envName("no-wait")}},
		&cli.BoolFlag{Name: "termination-protection", Usage: "turn on the stack's termination protection (--deletion-protection does too)", EnvVars: []string{envName("termination-protection")}},
		&cli.BoolFlag{Name: "allow-replacement", Usage: "execute a change set that replaces the load balancer, a target group, a security group, the cluster, the service or the log group, without asking",
			EnvVars: []string{envName("allow-replacement")}},
		deliveryFlags()[0], deliveryFlags()[1],
	)
	return &cli.Command{
		Name:      "deploy",
		Usage:     "create or update the stack through a change set, and wait for it",
		UsageText: "cfnfargate deploy --stack NAME --vpc-id VPC --public-subnets A,B --private-subnets C,D --certificate-arn ARN [settings]",
		Description: "Prints the plan, executes it and shows each stack event until the stack settles.\n" +
			"A plan that replaces the load balancer, a target group, a security group, the cluster, the service or\n" +
			"the log group is executed only with --allow-replacement or after confirmation on a terminal.\n" +
			"Exit status: 0 deployed or no changes, 1 failed or replacement refused, 2 bad input, 130 interrupted.",
		Flags:        flags,
		OnUsageError: usageError,
		Action: func(c *cli.Context) error {
			in, err := stackInput(c)
			if err != nil {
				return err
			}
			if err := checkOnPause(c); err != nil {
				return err
			}
			in.Timeout = c.Duration("timeout")
			in.NoWait = c.Bool("no-wait")
			in.TerminationProtection = in.TerminationProtection || c.Bool("termination-protection")
			in.AllowReplacement = c.Bool("allow-replacement")
			in.ConfirmReplacement = confirmReplacement(c, in.StackName)

			cfg, _ := readSettings(c) // read and checked by stackInput
			var res *deploy.Result
			var deliveryWarnings []string
			err = withClients(c, func(ctx context.Context, clients *deploy.Clients, d *deploy.Deployer) (err error) {
				if err := resolveEnvironment(ctx, c, d, &in, cfg.Config); err != nil {
					return err
				}
				// Blue/green: keep the live weights, refuse what is unsafe,
				// answer the pause gate (delivery.go).
				dl := clients.Delivery()
				if deliveryWarnings, err = keepTraffic(ctx, c, dl, &in, cfg.Config); err != nil {
					return err
				}
				stopWatch := watchDelivery(ctx, c, dl, in.StackName, cfg.Config)
				res, err = d.Deploy(ctx, in)
				stopWatch()
				if err != nil {
					err = explainRollback(ctx, dl, in.StackName, err)
				}
				return err
			})
			var refused *deploy.ReplacementError
			if errors.As(err, &refused) {
				return fmt.Errorf("%w\nTo replace them, deploy again with --allow-replacement", err)
			}
			if err != nil {
				return withHints(c, err)
			}
			// The progress lines already said how the stack ended. The
			// next steps are how to follow a deploy not waited for, or to
			// act on a warning: on stdout with the first, as the rest of
			// what a run without waiting reports, else on stderr.
			hints := c.App.ErrWriter
			if in.NoWait && !res.NoChanges {
				fmt.Fprintf(c.App.Writer, "Not waiting: stack %s is %s.\n", res.StackName, res.Status)
				hints = c.App.Writer
			}
			printOutputs(c.App.Writer, res.Outputs)
			// The stack deployed; what went wrong after that is a warning.
			for _, w := range append(deliveryWarnings, res.Warnings...) {
				fmt.Fprintf(c.App.ErrWriter, "cfnfargate: warning: %s\n", w)
			}
			if len(res.NextSteps) > 0 {
				fmt.Fprintln(hints, stepsHint(c, res.NextSteps))
			}
			return nil
		},
	}
}

func diffCommand() *cli.Command {
	flags := stackCommandFlags(
		&cli.BoolFlag{Name: "exit-code", Usage: "exit with status 1 when there are changes, like git diff --exit-code"},
	)
	return &cli.Command{
		Name:  "diff",
		Usage: "show what a deploy would change, through a change set that is then deleted",
		Description: "Each line shows the action (+ add, ~ modify, - remove), the logical ID, the type and,\n" +
			"for a modification, whether the resource is replaced and which properties cause it.\n" +
			"Replacements that deploy asks about (load balancer, target group, security group, cluster, log group)\n" +
			"are listed first, with what each means.",
		Flags:        flags,
		OnUsageError: usageError,
		Action: func(c *cli.Context) error {
			in, err := stackInput(c)
			if err != nil {
				return err
			}
			cfg, _ := readSettings(c) // read and checked by stackInput
			var plan *deploy.Plan
			err = withClients(c, func(ctx context.Context, clients *deploy.Clients, d *deploy.Deployer) (err error) {
				if err := resolveEnvironment(ctx, c, d, &in, cfg.Config); err != nil {
					return err
				}
				if err := keepTrafficForDiff(ctx, c, clients.Delivery(), &in, cfg.Config); err != nil {
					return err
				}
				plan, err = d.Diff(ctx, in)
				return err
			})
			if err != nil {
				return withHints(c, err)
			}
			if !plan.HasChanges() {
				return nil
			}
			if c.Bool("exit-code") {
				return &exitError{code: deploy.ExitFailure, err: errQuiet}
			}
			return nil
		},
	}
}

// confirmReplacement asks on a terminal before a deploy replaces resources
// (the plan, with the replacements first, is printed by then); without a
// terminal it is nil, and the deploy refuses unless --allow-replacement.
func confirmReplacement(c *cli.Context, name string) func(context.Context, []deploy.Replacement) (bool, error) {
	in, ok := c.App.Reader.(*os.File)
	if !ok || !progress.IsTerminal(in) {
		return nil
	}
	return func(ctx context.Context, replacements []deploy.Replacement) (bool, error) {
		// Ctrl-C at the prompt ends it at once; the deployer then deletes
		// the change set.
		return askForName(ctx, c, in, name, fmt.Sprintf(
			"This deploy replaces %d resource(s), as listed at the top of the plan. Type the stack name to replace them: ", len(replacements)))
	}
}

// stackCommandFlags are the flags of deploy and diff: AWS access, the
// template parameters, the command's own, then every template setting.
func stackCommandFlags(own ...cli.Flag) []cli.Flag {
	flags := append(awsFlags(), parameterFlags()...)
	flags = append(flags, own...)
	return append(flags, settingsFlags()...)
}
