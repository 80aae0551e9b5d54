package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
	"github.com/cfnfargate/cfnfargate/stack/deploy/progress"
)

func deleteCommand() *cli.Command {
	return &cli.Command{
		Name:  "delete",
		Usage: "delete the stack and wait until it is gone",
		Description: "Asks for confirmation on a terminal unless --yes is given; without a terminal, --yes is required.\n" +
			"Deleting a stack that does not exist succeeds. A stack with termination protection, or whose load balancer\n" +
			"has deletion protection, is refused before anything is deleted (exit 1).",
		Flags: append(awsFlags(),
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "delete without asking"},
			&cli.StringFlag{Name: "role-arn", Usage: "IAM `ROLE` CloudFormation assumes to delete", EnvVars: []string{envName("role-arn")}},
			timeoutFlag(),
		),
		OnUsageError: usageError,
		Action: func(c *cli.Context) error {
			name := c.String("stack")
			var check deploy.Check
			check.StackName("--stack", name)
			check.RoleARN("--role-arn", c.String("role-arn"))
			check.Timeout("--timeout", c.Duration("timeout"))
			if err := check.Err(); err != nil {
				return err
			}
			err := withDeployer(c, func(ctx context.Context, d *deploy.Deployer) error {
				// Ask only about a stack that exists: deleting a missing
				// stack succeeds without a question.
				if _, err := d.Status(ctx, name); errors.Is(err, deploy.ErrStackNotFound) {
					// Name the region: a stack "missing" in the wrong region
					// is still running in the right one.
					where := ""
					if region, err := deploy.Region(ctx, clientOptions(c)); err == nil && region != "" {
						where = " in " + region
					}
					fmt.Fprintf(c.App.Writer, "Stack %s does not exist%s; there is nothing to delete.\n", name, where)
					return nil
				} else if err != nil {
					return err
				}
				if !c.Bool("yes") {
					if err := confirm(ctx, c, name); err != nil {
						return err
					}
				}
				_, err := d.Delete(ctx, deploy.DeleteInput{StackName: name, RoleARN: c.String("role-arn"), Timeout: c.Duration("timeout")})
				return err
			})
			return withHints(c, err)
		},
	}
}

// confirm asks on a terminal before deleting; elsewhere it refuses, so that
// a script never deletes a stack by accident. Ctrl-C at the prompt, or
// SIGTERM, ends it at once: exit 130, nothing deleted.
func confirm(ctx context.Context, c *cli.Context, name string) error {
	in, ok := c.App.Reader.(*os.File)
	if !ok || !progress.IsTerminal(in) {
		return badInput(errors.New("--yes: deleting needs confirmation and there is no terminal to ask on; pass --yes to delete " + name))
	}
	interrupted := &exitError{code: deploy.ExitInterrupted, err: errors.New("interrupted; nothing was deleted")}
	if ctx.Err() != nil {
		return interrupted
	}
	ok, err := askForName(ctx, c, in, name, fmt.Sprintf("Delete stack %s and every resource in it? Type the stack name to confirm: ", name))
	switch {
	case err != nil:
		return interrupted
	case !ok:
		return &exitError{code: deploy.ExitFailure, err: errors.New("not confirmed; nothing was deleted")}
	}
	return nil
}

// askForName asks question on the terminal in and reports whether the
// answer is name. Ctrl-C or SIGTERM at the prompt ends it at once with
// ctx's error.
func askForName(ctx context.Context, c *cli.Context, in *os.File, name, question string) (bool, error) {
	defer prompting(ctx)()
	fmt.Fprint(c.App.ErrWriter, question)
	answer := make(chan string, 1)
	// A read of the terminal cannot be cancelled; after Ctrl-C it is left
	// to the end of the process, which follows at once.
	go func() {
		line, _ := bufio.NewReader(in).ReadString('\n')
		answer <- line
	}()
	select {
	case line := <-answer:
		return strings.TrimSpace(line) == name, nil
	case <-ctx.Done():
		fmt.Fprintln(c.App.ErrWriter) // after the "^C" the terminal echoed
		return false, ctx.Err()
	}
}
