package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
	"github.com/cfnfargate/cfnfargate/stack/deploy/progress"
	"github.com/cfnfargate/cfnfargate/stack/operate"
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
			o := deleteCmd{
				Stack: c.String("stack"), RoleARN: c.String("role-arn"), Timeout: c.Duration("timeout"),
				Out: c.App.Writer,
				Region: func(ctx context.Context) string {
					region, _ := deploy.Region(ctx, clientOptions(c))
					return region
				},
				Access: awsAccessArgs(c),
				Releases: func(ctx context.Context) (int, error) {
					_, clients, err := operationOf(c).clients(ctx)
					if err != nil {
						return 0, err
					}
					releases, err := operate.History(ctx, clients, c.String("stack"))
					return len(releases), err
				},
			}
			if !c.Bool("yes") {
				o.Confirm = func(ctx context.Context, name string) error { return confirm(ctx, c, name) }
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return withHints(c, withDeployer(c, o.Execute))
		},
	}
}

// deleteCmd is `cfnfargate delete`: Validate checks the input, and Execute
// deletes the stack through a deployer.
type deleteCmd struct {
	Stack   string
	RoleARN string
	Timeout time.Duration
	// Confirm asks before a stack that exists is deleted; nil deletes
	// without asking (--yes).
	Confirm func(ctx context.Context, name string) error
	// Region names the region the stack was looked for in, for the
	// message about a stack that does not exist and the clean-up command.
	Region func(ctx context.Context) string
	// Access are the AWS flags the user gave (--region, --profile,
	// --endpoint-url), which the clean-up command repeats.
	Access []string
	// Releases counts the stack's releases before it is deleted; nil, or
	// an error, says the history may or may not hold some.
	Releases func(ctx context.Context) (int, error)
	Out      io.Writer
}

// Validate reports every problem with the input, before AWS is called.
func (o deleteCmd) Validate() error {
	var check deploy.Check
	check.StackName("--stack", o.Stack)
	check.RoleARN("--role-arn", o.RoleARN)
	check.Timeout("--timeout", o.Timeout)
	return check.Err()
}

// Execute deletes the stack, asking first when Confirm is set. Deleting a
// stack that does not exist succeeds, without a question.
func (o deleteCmd) Execute(ctx context.Context, d *deploy.Deployer) error {
	region := ""
	if o.Region != nil {
		region = o.Region(ctx)
	}
	st, err := d.Status(ctx, o.Stack)
	if errors.Is(err, deploy.ErrStackNotFound) {
		// Name the region: a stack "missing" in the wrong region is still
		// running in the right one.
		where := ""
		if region != "" {
			where = " in " + region
		}
		fmt.Fprintf(o.Out, "Stack %s does not exist%s; there is nothing to delete.\n", o.Stack, where)
		return nil
	} else if err != nil {
		return err
	}
	if o.Confirm != nil {
		if err := o.Confirm(ctx, o.Stack); err != nil {
			return err
		}
	}
	// Counted before the delete: the history is found through the stack.
	releases, counted := 0, false
	if o.Releases != nil {
		n, err := o.Releases(ctx)
		releases, counted = n, err == nil
	}
	if _, err := d.Delete(ctx, deploy.DeleteInput{StackName: o.Stack, RoleARN: o.RoleARN, Timeout: o.Timeout}); err != nil {
		return err
	}
	if counted && releases == 0 {
		fmt.Fprintf(o.Out, "It had no release history; a new stack named %s starts one of its own.\n", o.Stack)
		return nil
	}
	// The history is the deleted stack's own: a new stack of the name
	// starts another, and rollback never reaches back to this one.
	what := "Its release history, if it has one,"
	switch {
	case counted && releases == 1:
		what = "Its release history (1 release)"
	case counted:
		what = fmt.Sprintf("Its release history (%d releases)", releases)
	}
	path := operate.HistoryPath(o.Stack, st.ID)
	fmt.Fprintf(o.Out, "%s stays in SSM Parameter Store under %s; a new stack named %s starts a history of its own. Remove it with:\n  %s\n",
		what, path, o.Stack, o.cleanUp(region, path))
	return nil
}

// cleanUp is the command that removes the history under path: the AWS
// CLI's, with the region the stack was in and the --profile and
// --endpoint-url given, so that it acts on the same account and endpoint.
func (o deleteCmd) cleanUp(region, path string) string {
	var access []string
	if region != "" && !slices.Contains(o.Access, "--region") {
		access = append(access, "--region", region)
	}
	access = append(access, o.Access...)
	list := shellWords(append(append([]string{"aws", "ssm", "get-parameters-by-path"}, access...),
		"--path", path, "--recursive", "--query", "Parameters[].Name", "--output", "text"))
	remove := shellWords(append(append([]string{"xargs", "-n", "10", "aws", "ssm", "delete-parameters"}, access...), "--names"))
	return list + " | " + remove
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
