// Command cfnfargate compiles a container on ECS Fargate behind an HTTPS
// Application Load Balancer into a CloudFormation template, and deploys it.
//
// This package holds only the command line: flags, environment, config file
// and exit codes. Templates are built by package stack; deploys are run by
// package stack/deploy.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/internal/lazyregexp"
	"github.com/cfnfargate/cfnfargate/internal/spelling"
)

func main() {
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}

// run is main without os.Exit, so tests can call it.
func run(args []string, stdout, stderr io.Writer) int {
	app := newApp(stdout, stderr)
	return report(stderr, app.Run(args))
}

func newApp(stdout, stderr io.Writer) *cli.App {
	app := &cli.App{
		Name:      "cfnfargate",
		Usage:     "a container on ECS Fargate behind an HTTPS load balancer, as a CloudFormation template",
		Version:   buildVersion(),
		Writer:    stdout,
		ErrWriter: stderr,
		Commands: []*cli.Command{
			emitCommand(),
			deployCommand(),
			diffCommand(),
			statusCommand(),
			deleteCommand(),
			envCommand(),
			configCommand(),
			promoteCommand(),
			importCommand(),
			logsCommand(),
			tasksCommand(),
			scaleCommand(),
			historyCommand(),
			rollbackCommand(),
		},
		// A value may hold a comma: --env "GREETING=hello, world",
		// --tag team=a,b. Lists that the README documents as
		// comma-separated (subnets, list variables) are split where they
		// are read.
		DisableSliceFlagSeparator: true,
		// Errors are printed once, by run, with the right exit code.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return badInput(errors.New(flagError(c.App.Flags, err)))
		},
		HideHelpCommand: true,
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return badInput(fmt.Errorf("unknown command %q: run 'cfnfargate --help' for the list", c.Args().First()))
			}
			return cli.ShowAppHelp(c)
		},
	}
	seen := map[*cli.Command]bool{}
	var prepare func(commands []*cli.Command)
	prepare = func(commands []*cli.Command) {
		for _, cmd := range commands {
			if seen[cmd] {
				continue
			}
			seen[cmd] = true
			// A command with ArgsUsage reads its own arguments
			// (import copilot MANIFEST); the others take flags only.
			if cmd.Action != nil && cmd.ArgsUsage == "" {
				cmd.Action = prepared(cmd.Action)
			}
			prepare(cmd.Subcommands)
		}
	}
	prepare(app.Commands)
	// run and exec take a command after "--", which prepared refuses.
	for _, cmd := range []*cli.Command{runCommand(), execCommand()} {
		cmd.Action = withCommandArgs(cmd.Action)
		app.Commands = append(app.Commands, cmd)
	}
	return app
}

// Errors of Go's flag package, which urfave/cli passes on: they write a
// flag with one dash, as Go's own commands take them.
var (
	undefinedFlag = lazyregexp.New(`^flag provided but not defined: -+(.*)$`)
	invalidValue  = lazyregexp.New(`^invalid value "(.*)" for flag -+([^:]*): (.*)$`)
)

// flagError words an error of the command line's flags as cfnfargate
// writes flags, with two dashes, and says what was probably meant: the
// closest flag of the command for a mistyped one, as a mistyped config
// key gets; that a duration needs a unit.
func flagError(flags []cli.Flag, err error) string {
	msg := err.Error()
	if m := undefinedFlag.FindStringSubmatch(msg); m != nil {
		var names []string
		for _, f := range flags {
			names = append(names, f.Names()...)
		}
		msg = fmt.Sprintf("unknown flag --%s", m[1])
		if best := spelling.Closest(m[1], names, 4); best != "" {
			msg += fmt.Sprintf(": did you mean --%s?", best)
		}
		return msg
	}
	if m := invalidValue.FindStringSubmatch(msg); m != nil {
		value, name := m[1], m[2]
		for _, f := range flags {
			if _, ok := f.(*cli.DurationFlag); ok && slices.Contains(f.Names(), name) {
				return fmt.Sprintf("--%s: %q is not a duration: give a number with a unit, such as 30s, 10m or 1h30m", name, value)
			}
		}
		return fmt.Sprintf("--%s: %q is not a valid value: %s", name, value, m[3])
	}
	return strings.Replace(msg, " -", " --", 1)
}
