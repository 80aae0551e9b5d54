package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/deploy"
	"github.com/cfnfargate/cfnfargate/stack/deploy/progress"
	"github.com/cfnfargate/cfnfargate/stack/operate"
)

// The day-2 commands (logs, tasks, exec, run, scale, history, rollback)
// act on a deployed stack. Each is an options struct with Validate and
// Execute, as the others are; this file holds what they share: the stack
// and AWS access, the clients, and the config-file rule for their flags.

// operation is the part of every day-2 command's options that says which
// stack, how to reach AWS, and where output goes.
type operation struct {
	Stack  string
	Access deploy.ClientOptions
	// Account, when set, is the account the credentials must be of.
	Account string
	Stdout  io.Writer
	Stderr  io.Writer
	// Stdin is the terminal prompts read, when there is one.
	Stdin *os.File
}

// operationOf reads the shared flags.
func operationOf(c *cli.Context) operation {
	in, _ := c.App.Reader.(*os.File)
	return operation{Stack: c.String("stack"), Access: clientOptions(c), Account: c.String("account"), Stdout: c.App.Writer, Stderr: c.App.ErrWriter, Stdin: in}
}

// validate checks the stack name, under the flag that sets it.
func (o operation) validate(check *deploy.Check) {
	check.StackName("--stack", o.Stack)
}

// clients connects to AWS. NewClients calls no API; missing credentials
// are a *deploy.CredentialsError.
func (o operation) clients(ctx context.Context) (*deploy.Clients, operate.Clients, error) {
	c, err := deploy.NewClients(ctx, o.Access)
	if err != nil {
		return nil, operate.Clients{}, err
	}
	if o.Account != "" {
		if !accountPattern.MatchString(o.Account) {
			return nil, operate.Clients{}, badInput(fmt.Errorf("--account: %q is not an AWS account ID: 12 digits", o.Account))
		}
		if err := deploy.CheckAccount(ctx, c.STS, o.Account); err != nil {
			return nil, operate.Clients{}, err
		}
	}
	return c, operate.FromDeploy(c), nil
}

// connect connects to AWS and finds the stack's service.
func (o operation) connect(ctx context.Context) (operate.Clients, *operate.Service, error) {
	_, clients, err := o.clients(ctx)
	if err != nil {
		return operate.Clients{}, nil, err
	}
	svc, err := o.service(ctx, clients)
	return clients, svc, err
}

// service finds the stack's service.
func (o operation) service(ctx context.Context, c operate.Clients) (*operate.Service, error) {
	return operate.Find(ctx, c, o.Stack)
}

// deployer is a deployer of c whose progress goes to stdout, as deploy's.
func (o operation) deployer(c *deploy.Clients, out *console) *deploy.Deployer {
	opts := progress.Options{}
	if f, ok := o.Stdout.(*os.File); ok {
		opts = progress.Detect(f, os.Getenv)
	}
	return c.Deployer(progress.New(out.stdout, opts))
}

// watchGate answers the pause gate of the stack while a command's update
// runs, as deploy does (see watchGate in delivery.go), when the stack has
// a gate. It returns a function that stops it.
func (o operation) watchGate(ctx context.Context, dl deploy.Delivery, onPause string) (stop func()) {
	if has, err := dl.HasGate(ctx, o.Stack); err != nil || !has {
		return func() {}
	}
	var stdin io.Reader
	if o.Stdin != nil {
		stdin = o.Stdin
	}
	return watchGate(ctx, &lockedWriter{w: o.Stderr}, dl, o.Stack, gateAnswers{onPause: onPause, stdin: stdin})
}

// readLive runs the blue/green checks of an update of the stack that
// deploys no template of the user's (scale, rollback), once the stack is
// ready (deploy.Input.ReadLive): a refusal while ECS deploys the service,
// with how to stop that deployment; warnings print on stderr. With keep,
// it keeps the live weights (deploy.Input.KeepWeights): a rollback's
// template has those of its time, while scale deploys the stack's own
// template, whose rule it does not change.
func (o operation) readLive(dl deploy.Delivery, keep bool) func(context.Context, *deploy.Input) error {
	return func(ctx context.Context, in *deploy.Input) error {
		pre, err := dl.CheckLive(ctx, o.Stack)
		var busy *deploy.RoutingBusyError
		if errors.As(err, &busy) {
			return fmt.Errorf("%w\nTo stop that deployment: cfnfargate rollback --stack %s --in-flight", err, o.Stack)
		}
		if err != nil {
			return err
		}
		for _, w := range pre.Warnings {
			fmt.Fprintf(o.Stderr, "cfnfargate: warning: %s\n", w)
		}
		if keep {
			in.KeepWeights = pre.KeepWeights
		}
		return nil
	}
}

// terminal reports whether prompts can be asked.
func (o operation) terminal() bool {
	return o.Stdin != nil && progress.IsTerminal(o.Stdin)
}

// runOnlyFlags are the flags of the day-2 commands that act on one run:
// a config file, which every command reads, must not set them (one that
// said stop: ID would stop a task on every `tasks`). Their names are
// refused in the file; the file keeps the stack and how to reach it.
var runOnlyFlags = []string{"follow", "previous", "task", "filter", "since", "stopped", "stop", "count", "min", "max", "to", "diff", "in-flight", "json"}

// refuseRunOnlyKeys fails when the config file sets a flag of runOnlyFlags
// that this command has.
func refuseRunOnlyKeys(c *cli.Context) error {
	file, err := readConfig(c)
	if err != nil {
		return err
	}
	var problems []stack.Problem
	for _, f := range c.Command.Flags {
		name := f.Names()[0]
		if _, ok := file.values[name]; ok && slices.Contains(runOnlyFlags, name) {
			problems = append(problems, stack.Problem{Key: file.label(name),
				Message: fmt.Sprintf("%s acts on one run of cfnfargate %s; give it as --%s on the command line", name, c.Command.Name, name)})
		}
	}
	if len(problems) > 0 {
		return &stack.ValidationError{Title: "invalid input", Problems: problems}
	}
	return nil
}

// operationAction runs an action of a day-2 command after the config-file
// check, with the hints deploy gives for the errors they share.
func operationAction(action func(c *cli.Context) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		if err := refuseRunOnlyKeys(c); err != nil {
			return err
		}
		return withHints(c, operationHints(c, action(c)))
	}
}

// withCommandArgs prepares a command that takes a command to run after
// "--" (run, exec), where prepared would refuse positional arguments: the
// words must all follow "--", so that a word left among the flags, which
// would end the flags there, is still an error.
func withCommandArgs(action cli.ActionFunc) cli.ActionFunc {
	return func(c *cli.Context) error {
		args := c.Args().Slice()
		if len(args) > 0 {
			lineage := c.Lineage()
			var raw []string
			if len(lineage) > 1 {
				raw = lineage[1].Args().Slice()
			}
			dash := slices.Index(raw, "--")
			if dash < 0 || !slices.Equal(raw[dash+1:], args) {
				return badInput(fmt.Errorf("unexpected argument %q: give the command to run after --, as in cfnfargate %s --stack NAME -- COMMAND ARGS (see 'cfnfargate %s --help')",
					args[0], c.Command.Name, c.Command.Name))
			}
		}
		if err := loadOptions(c); err != nil {
			return err
		}
		return action(c)
	}
}

// operationHints adds what to do to the errors of the day-2 commands that
// a flag or a command fixes.
func operationHints(c *cli.Context, err error) error {
	if err == nil {
		return nil
	}
	stackName := c.String("stack")
	access := ""
	if args := awsAccessArgs(c); len(args) > 0 {
		access = " " + shellWords(args)
	}
	var missing *operate.PluginMissingError
	var notFound *operate.TaskNotFoundError
	var denied *operate.DeniedError
	var refused *deploy.ReplacementError
	switch {
	case errors.As(err, &refused):
		return fmt.Errorf("%w\nTo replace them, run again with --allow-replacement", err)
	case errors.Is(err, operate.ErrExecDisabled):
		return &hintedError{err: err, hint: "Turn it on: " + shellWords([]string{"cfnfargate", "deploy", "--stack", stackName}) + access +
			" --enable-exec [settings]\nThe deploy replaces the tasks; the new ones run the ECS Exec agent."}
	case errors.As(err, new(*operate.ExecNotReadyError)):
		return &hintedError{err: err, hint: "A task's ECS Exec agent starts a few seconds after the task; try again. A task started before ECS Exec was turned on never has it: " +
			shellWords([]string{"cfnfargate", "tasks", "--stack", stackName}) + access + " lists the tasks, and a deploy replaces them."}
	case errors.As(err, &missing):
		return &hintedError{err: err, hint: "On macOS: brew install --cask session-manager-plugin. Other systems: " + operate.PluginInstallURL}
	case errors.Is(err, operate.ErrNoReleases):
		return &hintedError{err: err, hint: "Releases are recorded by each successful cfnfargate deploy from this version on; deploy once to start the history."}
	case errors.As(err, &notFound) && len(notFound.Matches) == 0:
		return &hintedError{err: err, hint: "List them: " + shellWords([]string{"cfnfargate", "tasks", "--stack", stackName}) + access + " --stopped"}
	case errors.As(err, &denied):
		return &hintedError{err: err, hint: "Allow " + denied.Action + " to the caller's IAM policy; the README lists what each command needs."}
	case errors.As(err, new(*operate.StackBusyError)):
		return &hintedError{err: err, hint: "Follow it: " + shellWords([]string{"cfnfargate", "status", "--stack", stackName}) + access}
	case errors.Is(err, operate.ErrTaskNeeded):
		return &hintedError{err: err, hint: "Give one with --task ID (run on a terminal to pick from a list); " +
			shellWords([]string{"cfnfargate", "tasks", "--stack", stackName}) + access + " lists them."}
	}
	return err
}

// operationFlags are the flags of a day-2 command: the stack and AWS
// access, then its own.
func operationFlags(own ...cli.Flag) []cli.Flag {
	return append(awsFlags(), own...)
}

// problemsIn turns a library's problems, keyed by field, into the flags
// that set them.
func problemsIn(err error, flags map[string]string) error {
	var verr *stack.ValidationError
	if !errors.As(err, &verr) {
		return err
	}
	for i, p := range verr.Problems {
		if flag, ok := flags[p.Key]; ok {
			verr.Problems[i].Key = flag
		}
	}
	return badInput(err)
}

// taskLabel is a short task ID, as the commands print it.
func taskLabel(id string) string { return operate.ShortID(id) }

// shortDigest is sha256:0123456789ab, enough to tell images apart.
func shortDigest(d string) string {
	if rest, ok := strings.CutPrefix(d, "sha256:"); ok && len(rest) > 12 {
		return "sha256:" + rest[:12]
	}
	return d
}

// deployCheck collects problems keyed by flag, as deploy.Check does.
type deployCheck struct{ deploy.Check }

// err is the problems as an input error (exit 2), or nil.
func (c *deployCheck) err() error {
	if err := c.Check.Err(); err != nil {
		return badInput(err)
	}
	return nil
}
