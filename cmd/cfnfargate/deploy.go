package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/deploy"
	"github.com/cfnfargate/cfnfargate/stack/deploy/progress"
	"github.com/cfnfargate/cfnfargate/stack/deploy/watch"
)

func deployCommand() *cli.Command {
	flags := stackCommandFlags(
		timeoutFlag(),
		&cli.BoolFlag{Name: "no-wait", Usage: "return once the change set is executing", EnvVars: []string{envName("no-wait")}},
		&cli.BoolFlag{Name: "termination-protection", Usage: "turn on the stack's termination protection (--deletion-protection does too)", EnvVars: []string{envName("termination-protection")}},
		&cli.BoolFlag{Name: "allow-replacement", Usage: "execute a change set that replaces the load balancer, a target group, a security group, the cluster, the service or the log group, without asking",
			EnvVars: []string{envName("allow-replacement")}},
		&cli.DurationFlag{Name: "deploy-timeout", Usage: "stop the deploy itself after `DURATION` (an update is cancelled and rolled back); --timeout only stops waiting",
			EnvVars: []string{envName("deploy-timeout")}},
		&cli.BoolFlag{Name: "fail-fast", Usage: fmt.Sprintf("stop the deploy once %d tasks of the new deployment stopped for the same cause that retrying cannot fix (image not found, wrong architecture, secrets denied, exit at start-up)", deploy.DefaultFailFastAfter),
			EnvVars: []string{envName("fail-fast")}},
		&cli.StringFlag{Name: "report", Usage: "write the whole story of the deploy as JSON to `FILE`: events, deployments, stopped tasks, target health, log lines and the cause",
			EnvVars: []string{envName("report")}},
		deliveryFlags()[0], deliveryFlags()[1],
		resetFlag(), verboseFlag(),
	)
	return &cli.Command{
		Name:      "deploy",
		Usage:     "create or update the stack through a change set, and wait for it",
		UsageText: "cfnfargate deploy --stack NAME --image IMAGE [--vpc-id VPC --public-subnets A,B --private-subnets C,D] [--certificate-arn ARN] [settings]",
		Description: "Settings not given keep the values of the stack's last release (--reset KEY returns one to its default);\n" +
			"the plan names every setting that changes, with where its value came from.\n" +
			"First it looks at the account: the subnets, their VPC, zones and route out, the certificate, the secrets\n" +
			"and an ECR image; a problem there is bad input, and nothing is changed. A new stack given no network uses\n" +
			"the region's default VPC, and one given no certificate serves HTTP only.\n" +
			"Prints the plan, executes it and shows each stack event until the stack settles. While the ECS service\n" +
			"is in progress it also shows the rollout, the tasks that stopped and why, with the setting to change,\n" +
			"the health of the targets and the last lines a stopped container logged.\n" +
			"A plan that replaces the load balancer, a target group, a security group, the cluster, the service or\n" +
			"the log group is executed only with --allow-replacement or after confirmation on a terminal.\n" +
			"Exit status: 0 deployed or no changes, 1 failed or replacement refused, 2 bad input, 130 interrupted.",
		Flags:        flags,
		OnUsageError: usageError,
		Action: func(c *cli.Context) error {
			o := newDeployOptions(c)
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Execute(c.Context)
		},
	}
}

// deployOptions are the deploy command's input and what it acts with.
// Validate checks the input and Execute deploys; a test can build one
// without a cli.App.
type deployOptions struct {
	// readLocal reads the settings and stack flags and checks what it can
	// without AWS (readStackSources outside tests); readStack lays them
	// over what the stack remembers and checks them all, with the
	// command's own problems, and looks at the account when there are any
	// (stackSources.check).
	readLocal func() (*stackSources, error)
	readStack func(ss *stackSources, own []stack.Problem) (*stackRun, error)
	// labels name the command's own flags in problems: --flag, or the
	// config-file key or variable the value came from.
	labels func(name string) string

	timeout               time.Duration
	deployTimeout         time.Duration
	noWait                bool
	terminationProtection bool
	allowReplacement      bool
	failFast              bool
	reportPath            string
	// onPause is the problem with --on-pause, if any (checkOnPause).
	onPause error
	confirm func(context.Context, []deploy.Replacement) (bool, error)
	timing  *watch.Timing

	stdout, stderr io.Writer
	// run runs act with a deployer and the context the first Ctrl-C
	// cancels (withDeployer outside tests).
	run func(act func(context.Context, *deploy.Deployer) error) error
	// hinted adds the next steps to an error, and steps words them, with
	// the AWS flags the user gave (withHints and stepsHint outside tests).
	hinted func(error) error
	steps  func([]deploy.Step) string
	// prepare completes the input with what AWS holds before the deploy
	// (a shared environment's outputs and listener rule checks, a
	// blue/green service's live weights) and refuses what is unsafe;
	// finish, when not nil, gets the deploy's error once it returns, and
	// returns it explained. Nil does nothing.
	// warnings returns what --force let through, once the deploy has read
	// the live stack.
	prepare func(context.Context, *deploy.Deployer, *deploy.Input) (finish func(error) error, warnings func() []string, err error)
	// deployed records a release of a deploy that changed the stack or
	// its settings (recordRelease outside tests), with the release's
	// settings; noWait when the deploy was not waited for. Nil does
	// nothing.
	deployed func(stackName string, settings releaseSettings, noWait bool, body string)
	// looked is what the pre-flight found that Execute says at the end.
	looked looked

	in deploy.Input // set by Validate
	// stack is the run's input as read, set by Validate.
	stack *stackRun
}

// newDeployOptions reads the deploy command's flags. Their values are read
// with the settings, in Validate: the config file can hold any of them, and
// reading the settings applies it.
func newDeployOptions(c *cli.Context) *deployOptions {
	// The clients of the deployer the run made, for prepare.
	var clients *deploy.Clients
	o := &deployOptions{
		labels: func(name string) string { return "--" + name },
		stdout: c.App.Writer,
		stderr: c.App.ErrWriter,
		run: func(act func(context.Context, *deploy.Deployer) error) error {
			return withClients(c, func(ctx context.Context, cl *deploy.Clients, d *deploy.Deployer) error {
				clients = cl
				return act(ctx, d)
			})
		},
		hinted: func(err error) error { return withHints(c, err) },
		steps:  func(s []deploy.Step) string { return stepsHint(c, s) },
		deployed: func(stackName string, settings releaseSettings, noWait bool, body string) {
			recordRelease(c, stackName, settings, noWait, body)
		},
	}
	o.readLocal = func() (*stackSources, error) {
		ss, err := readStackSources(c)
		if ss != nil {
			o.labels = ss.label
			// The stack's name may come from the config file, which
			// readStackSources has read.
			o.confirm = confirmReplacement(c, ss.stackName)
		}
		o.timeout = c.Duration("timeout")
		o.deployTimeout = c.Duration("deploy-timeout")
		o.noWait = c.Bool("no-wait")
		o.terminationProtection = c.Bool("termination-protection")
		o.allowReplacement = c.Bool("allow-replacement")
		o.failFast = c.Bool("fail-fast")
		o.reportPath = c.String("report")
		o.onPause = checkOnPause(c)
		return ss, err
	}
	o.readStack = func(ss *stackSources, own []stack.Problem) (*stackRun, error) {
		run, err := ss.check(c.Context, rememberStack(c), lookAnyway(c), c.Bool("verbose"), own)
		if err != nil {
			return nil, withHints(c, err)
		}
		cfg := run.settings.Config
		o.timing = settingsTiming(cfg)
		o.prepare = func(ctx context.Context, d *deploy.Deployer, in *deploy.Input) (func(error) error, func() []string, error) {
			if err := resolveEnvironment(ctx, c, d, in, &cfg); err != nil {
				return nil, nil, err
			}
			in.Preflight = lookFirst(c, clients, run.lookAt(&run.settings, &o.looked))
			// Blue/green: keep the live weights, refuse what is unsafe,
			// answer the pause gate (delivery.go).
			dl := readingAlarms(clients.Delivery(), c.App.ErrWriter, &o.looked)
			warnings := keepTraffic(c, dl, in, cfg)
			stopWatch := watchDelivery(ctx, c, dl, in.StackName, cfg)
			return func(err error) error {
				stopWatch()
				if err != nil {
					err = explainRollback(ctx, dl, in.StackName, err)
				}
				return err
			}, warnings, nil
		}
		return run, nil
	}
	return o
}

// Validate checks every input and reports every problem at once; nothing
// that changes AWS is sent when there is one (what the stack remembers,
// and the account, may be read).
func (o *deployOptions) Validate() error {
	var found []stack.Problem
	local, err := o.readLocal()
	var invalid *stack.ValidationError
	switch {
	case errors.As(err, &invalid):
		found = invalid.Problems
	case err != nil:
		return err
	}
	var problems []stack.Problem // the command's own
	var check deploy.Check
	if o.deployTimeout != 0 {
		check.Timeout(o.labels("deploy-timeout"), o.deployTimeout)
		if o.deployTimeout > 0 && o.timeout > 0 && o.deployTimeout > o.timeout {
			check.Add(o.labels("deploy-timeout"), "%s is longer than --timeout %s, which stops waiting first; give a shorter one, or a longer --timeout",
				o.deployTimeout, o.timeout)
		}
	}
	if o.noWait {
		// Both act while the deploy is waited for.
		if o.failFast {
			check.Add(o.labels("fail-fast"), "needs the deploy to wait; it cannot be used with --no-wait")
		}
		if o.deployTimeout != 0 {
			check.Add(o.labels("deploy-timeout"), "needs the deploy to wait; it cannot be used with --no-wait")
		}
	}
	if o.reportPath != "" {
		checkReportPath(&check, o.labels("report"), o.reportPath)
	}
	if o.onPause != nil {
		check.Add(o.labels("on-pause"), "%s", strings.TrimPrefix(o.onPause.Error(), "--on-pause: "))
	}
	if errors.As(check.Err(), &invalid) {
		problems = append(problems, invalid.Problems...)
	}
	if local == nil && len(found)+len(problems) > 0 {
		return &stack.ValidationError{Title: "invalid input", Problems: append(found, problems...)}
	}
	// What the stack remembers, and the account when there are problems,
	// so that one run reports them all; readStack has the problems found
	// so far in local.
	run, err := o.readStack(local, problems)
	if err != nil {
		return err
	}
	o.stack = run
	in := run.in
	in.Timeout = o.timeout
	in.NoWait = o.noWait
	in.TerminationProtection = in.TerminationProtection || o.terminationProtection
	in.AllowReplacement = o.allowReplacement
	in.ConfirmReplacement = o.confirm
	in.DeployTimeout = o.deployTimeout
	in.FailFast = o.failFast
	in.Timing = o.timing
	o.in = in
	return nil
}

// Execute deploys, writes the report when asked (whatever the outcome),
// and prints the outputs, warnings and next steps.
func (o *deployOptions) Execute(ctx context.Context) error {
	var report *deploy.Report
	if o.reportPath != "" {
		report = deploy.NewReport()
	}
	if o.stack != nil {
		o.stack.say(o.stderr)
	}
	var res *deploy.Result
	warnings := func() []string { return nil }
	err := o.run(func(ctx context.Context, d *deploy.Deployer) (err error) {
		if report != nil {
			d.Sink = deploy.Tee(d.Sink, report)
		}
		// The budget with a plan that has changes, and the settings in
		// it; what the default VPC gave once the change set is made.
		var budget string
		if o.timing != nil && !o.noWait {
			budget = budgetLine(*o.timing)
		}
		d.Sink = planSink(d.Sink, o.stdout, budget, o.settingChanges(), func() { o.looked.sayChoices(o.stderr) })
		var finish func(error) error
		if o.prepare != nil {
			var warned func() []string
			if finish, warned, err = o.prepare(ctx, d, &o.in); err != nil {
				return err
			}
			warnings = warned
		}
		res, err = d.Deploy(ctx, o.in)
		if finish != nil {
			err = finish(err)
		}
		return err
	})
	if report != nil {
		report.Finish(res, err)
		if werr := writeReport(o.reportPath, report, o.stdout, o.stderr); werr != nil {
			if err == nil {
				return werr
			}
			fmt.Fprintf(o.stderr, "cfnfargate: %v\n", werr)
		}
	}
	var refused *deploy.ReplacementError
	if errors.As(err, &refused) {
		return fmt.Errorf("%w\nTo replace them, deploy again with --allow-replacement", err)
	}
	if err != nil {
		return o.hinted(withServiceFix(err))
	}
	// The progress lines already said how the stack ended. The next steps
	// are how to follow a deploy not waited for, or to act on a warning:
	// on stdout with the first, as the rest of what a run without waiting
	// reports, else on stderr.
	hints := o.stderr
	if o.in.NoWait && !res.NoChanges {
		fmt.Fprintf(o.stdout, "Not waiting: stack %s is %s.\n", res.StackName, res.Status)
		hints = o.stdout
	}
	printOutputs(o.stdout, res.Outputs)
	changes := o.settingChanges()
	settingsOnly := res.NoChanges && (deploy.Plan{Settings: changes}).HasChanges()
	if settingsOnly {
		// Settings that change nothing in the template (one that has no
		// effect in the chosen mode): the stack stays as it is, and the
		// release remembers them.
		fmt.Fprintln(o.stdout, "The stack does not change, but these settings do:")
		progress.WriteSettings(o.stdout, changes)
	}
	if o.deployed != nil && o.stack != nil && (!res.NoChanges || settingsOnly) {
		// The release history (cfnfargate history), which the next
		// deploy keeps the settings of.
		o.deployed(o.in.StackName, o.stack.record, o.in.NoWait && !res.NoChanges, o.in.TemplateBody)
	}
	// The stack deployed; what went wrong after that is a warning.
	for _, w := range append(warnings(), res.Warnings...) {
		fmt.Fprintf(o.stderr, "cfnfargate: warning: %s\n", w)
	}
	o.looked.httpOnlyNote(o.stderr)
	if len(res.NextSteps) > 0 {
		fmt.Fprintln(hints, o.steps(res.NextSteps))
	}
	return nil
}

// settingChanges are the plan's settings section, or none without an
// input read.
func (o *deployOptions) settingChanges() []deploy.SettingChange {
	if o.stack == nil {
		return nil
	}
	return o.stack.changes
}

// settingFlag words a setting key or template parameter name, as the ECS
// watcher names them in a cause, as the flag that sets it.
func settingFlag(key string) string {
	if flag, ok := parameterFlagNames[key]; ok {
		return flag
	}
	return "--" + key
}

// serviceFixError is a failed deploy whose ECS cause names the settings
// to change, followed by them in flag terms.
type serviceFixError struct {
	err error
	fix string
}

func (e *serviceFixError) Error() string { return e.err.Error() + "\n" + e.fix }
func (e *serviceFixError) Unwrap() error { return e.err }

// withServiceFix adds to a failed deploy the fix of its ECS cause: the
// flags to check and what else to check, and the log lines of an app that
// exited.
func withServiceFix(err error) error {
	var failed *deploy.FailedError
	if !errors.As(err, &failed) || failed.Service == nil || failed.Service.Cause == nil {
		return err
	}
	c := failed.Service.Cause
	var flags []string
	for _, k := range c.Settings {
		flags = append(flags, settingFlag(k))
	}
	var lines []string
	if len(flags) > 0 {
		lines = append(lines, "→ check "+strings.Join(flags, " or "))
	}
	if c.Check != "" {
		lines = append(lines, "→ "+c.Check)
	}
	if c.Kind == watch.AppExit && len(failed.Service.LogLines) > 0 {
		lines = append(lines, "The container's last lines:")
		for _, l := range failed.Service.LogLines {
			lines = append(lines, "  │ "+l)
		}
	}
	if len(lines) == 0 {
		return err
	}
	return &serviceFixError{err: err, fix: strings.Join(lines, "\n")}
}

// checkReportPath checks, before the deploy, that --report names a file
// that can be written: not a directory, in a directory that exists.
func checkReportPath(check *deploy.Check, label, path string) {
	if strings.HasSuffix(path, "/") {
		check.Add(label, "%s names a directory; give a file name", path)
		return
	}
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		check.Add(label, "%s is a directory; give a file name", path)
		return
	}
	dir := filepath.Dir(path)
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		check.Add(label, "%s: the directory %s does not exist", path, dir)
	}
}

// writeReport writes the report as --output writes a template: replacing
// a regular file atomically, so that it never holds half a report.
func writeReport(path string, r *deploy.Report, stdout, stderr io.Writer) error {
	data, err := r.JSON()
	if err != nil {
		return err
	}
	if err := writeOutput(path, data, stdout, stderr); err != nil {
		// writeOutput names its flag --output; this is --report.
		return &exitError{code: deploy.ExitCode(err), err: errors.New(strings.Replace(err.Error(), "--output", "--report", 1))}
	}
	return nil
}

// budgetLine states the deploy-time budget, as deploy and diff print it
// before they start.
func budgetLine(t watch.Timing) string {
	return "Deploy-time budget (from the settings): " + t.String()
}

// settingsTiming is the deploy-time budget of the settings.
func settingsTiming(cfg stack.Config) *watch.Timing {
	t := watch.Estimate(watch.TimingSettings{
		HealthCheckInterval: cfg.HealthCheck.Interval,
		HealthyThreshold:    cfg.HealthCheck.HealthyThreshold,
		UnhealthyThreshold:  cfg.HealthCheck.UnhealthyThreshold,
		GracePeriod:         cfg.Service.HealthCheckGracePeriod,
		DeregistrationDelay: cfg.LoadBalancer.DeregistrationDelay,
		DesiredCount:        cfg.Service.DesiredCount,
		MinHealthyPercent:   cfg.Service.MinHealthyPercent,
		MaxPercent:          cfg.Service.MaxPercent,
	})
	return &t
}

func diffCommand() *cli.Command {
	flags := stackCommandFlags(
		&cli.BoolFlag{Name: "exit-code", Usage: "exit with status 1 when there are changes, settings included, like git diff --exit-code"},
		resetFlag(), verboseFlag(),
	)
	return &cli.Command{
		Name:  "diff",
		Usage: "show what a deploy would change, through a change set that is then deleted",
		Description: "Settings not given keep the values of the stack's last release, as deploy keeps them; the plan names\n" +
			"the settings that change first. Then each line shows the action (+ add, ~ modify, - remove), the logical ID, the type and,\n" +
			"for a modification, whether the resource is replaced and which properties cause it.\n" +
			"Replacements that deploy asks about (load balancer, target group, security group, cluster, log group)\n" +
			"are listed first, with what each means.",
		Flags:        flags,
		OnUsageError: usageError,
		Action: func(c *cli.Context) error {
			ss, err := readStackSources(c)
			if ss == nil {
				return err // an unreadable config file
			}
			run, err := ss.check(c.Context, rememberStack(c), lookAnyway(c), c.Bool("verbose"), nil)
			if err != nil {
				return withHints(c, err)
			}
			in, cfg := run.in, run.settings.Config
			run.say(c.App.ErrWriter)
			var plan *deploy.Plan
			var l looked
			err = withClients(c, func(ctx context.Context, clients *deploy.Clients, d *deploy.Deployer) (err error) {
				d.Sink = planSink(d.Sink, c.App.Writer, budgetLine(*settingsTiming(cfg)), run.changes, func() { l.sayChoices(c.App.ErrWriter) })
				if err := resolveEnvironment(ctx, c, d, &in, &cfg); err != nil {
					return err
				}
				if err := keepTrafficForDiff(ctx, c, readingAlarms(clients.Delivery(), c.App.ErrWriter, &l), &in, cfg); err != nil {
					return err
				}
				in.Preflight = lookFirst(c, clients, run.lookAt(&run.settings, &l))
				plan, err = d.Diff(ctx, in)
				return err
			})
			if err != nil {
				return withHints(c, err)
			}
			l.httpOnlyNote(c.App.ErrWriter)
			plan.Settings = run.changes
			if !plan.HasChanges() {
				if len(run.changes) > 0 { // --verbose: the settings kept
					fmt.Fprintln(c.App.Writer, "Settings, all kept:")
					progress.WriteSettings(c.App.Writer, run.changes)
				}
				return nil
			}
			if len(plan.Changes) == 0 && len(plan.Parameters) == 0 && !plan.OtherChanges {
				// The change set had nothing, so no plan was printed.
				fmt.Fprintln(c.App.Writer, "The stack does not change, but these settings do:")
				progress.WriteSettings(c.App.Writer, run.changes)
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
