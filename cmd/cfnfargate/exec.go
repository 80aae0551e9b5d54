package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
	"github.com/cfnfargate/cfnfargate/stack/operate"
)

// execOptions are the options of cfnfargate exec.
type execOptions struct {
	operation
	Task    string
	Command []string
	// lookPath finds the plugin; nil means exec.LookPath.
	lookPath func(string) (string, error)
}

func execCommand() *cli.Command {
	return &cli.Command{
		Name:      "exec",
		Usage:     "open a shell, or run a command, in a running task through ECS Exec",
		UsageText: "cfnfargate exec --stack NAME [--task ID] [-- COMMAND ARGS...]",
		Description: "Needs ECS Exec turned on (deploy with --enable-exec) and the session-manager-plugin installed, as the\n" +
			"aws CLI does. Without --task, a terminal asks which running task to use; elsewhere a service with more\n" +
			"than one task needs --task. Without COMMAND, /bin/sh opens.\n" +
			"Exit status: the session's; 1 when it cannot start, 2 bad input.",
		Flags: operationFlags(
			&cli.StringFlag{Name: "task", Usage: "the running task's `ID` (or the start of it)"},
		),
		OnUsageError: usageError,
		Action: operationAction(func(c *cli.Context) error {
			o := execOptions{operation: operationOf(c), Task: c.String("task"), Command: c.Args().Slice()}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Execute(c.Context)
		}),
	}
}

// Validate checks the flags without calling AWS.
func (o *execOptions) Validate() error {
	var check deployCheck
	o.validate(&check.Check)
	// ExecuteCommand takes a command of up to 4096 characters (ECS API
	// reference, ExecuteCommand command).
	if n := len(o.command()); n > 4096 {
		check.Add("COMMAND", "is %d characters long: ECS Exec takes up to 4096", n)
	}
	return check.err()
}

// command is the command as one line; the agent splits it at spaces.
func (o *execOptions) command() string {
	return shellWords(o.Command)
}

// Execute starts the session and hands the terminal to the plugin.
func (o *execOptions) Execute(ctx context.Context) error {
	clients, svc, err := o.connect(ctx)
	if err != nil {
		return err
	}
	opts := operate.ExecOptions{Task: o.Task, LookPath: o.lookPath}
	if len(o.Command) > 0 {
		opts.Command = o.command()
	}
	if o.terminal() {
		opts.Pick = o.pick
	}
	session, err := operate.Exec(ctx, clients, svc, opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Stderr, "cfnfargate: starting a session in task %s of service %s\n", session.Task.ID, svc.Service)
	cmd := exec.Command(session.Path, session.Args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, o.Stdout, o.Stderr
	if o.Stdin != nil {
		cmd.Stdin = o.Stdin
	}
	// Ctrl-C belongs to the remote shell: the plugin forwards it.
	signal.Ignore(os.Interrupt)
	defer signal.Reset(os.Interrupt)
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return &exitError{code: exit.ExitCode(), err: errQuiet}
	}
	if err != nil {
		return fmt.Errorf("run %s: %w", operate.Plugin, err)
	}
	return nil
}

// pick asks on the terminal which task to use.
func (o *execOptions) pick(tasks []operate.Task) (operate.Task, error) {
	for i, t := range tasks {
		fmt.Fprintf(o.Stderr, "  %d) %s  %s  %s  %s\n", i+1, t.ID, t.LastStatus, t.Health, dash(t.AvailabilityZone))
	}
	fmt.Fprintf(o.Stderr, "Task [1-%d]: ", len(tasks))
	line, err := bufio.NewReader(o.Stdin).ReadString('\n')
	if err != nil {
		return operate.Task{}, &exitError{code: deploy.ExitInterrupted, err: errors.New("no task chosen")}
	}
	n, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || n < 1 || n > len(tasks) {
		return operate.Task{}, badInput(fmt.Errorf("%q is not one of 1 to %d", strings.TrimSpace(line), len(tasks)))
	}
	return tasks[n-1], nil
}
