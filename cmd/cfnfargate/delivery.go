package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/deploy"
	"github.com/cfnfargate/cfnfargate/stack/deploy/progress"
)

// deliveryFlags are deploy's flags for blue/green services and rollback
// alarms.
func deliveryFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "force", Usage: "deploy even when a rollback alarm is already in ALARM (ECS then ignores that alarm for this deployment)",
			EnvVars: []string{envName("force")}},
		&cli.StringFlag{Name: "on-pause", Usage: "with pause-before-production: what to do when the deployment waits at the gate, `continue`, rollback or wait (default: ask on a terminal, else wait)",
			EnvVars: []string{envName("on-pause")}},
	}
}

// checkOnPause reports a bad --on-pause before anything is sent to AWS.
func checkOnPause(c *cli.Context) error {
	if v := c.String("on-pause"); v != "" {
		if _, ok := deploy.ParseGateDecision(v); !ok {
			return badInput(fmt.Errorf("--on-pause: %q is not allowed: use continue, rollback or wait", v))
		}
	}
	return nil
}

// keepTraffic makes the deploy run the blue/green checks of cfg (refusals
// are errors) and rebuild the template with the production rule's live
// weights, so that the stack update does not move traffic; the deployer
// writes them into the stack's own template first, so that a failed update
// does not set them back (deploy.Input.KeepWeights). It reads the live
// stack once the deploy has waited for an operation in progress
// (deploy.Input.ReadLive): such an operation can move the traffic, and
// weights read before it ended would be written back over it (review of
// issue 18, item 2). The update forces a new ECS deployment only when the
// placement changes (deploy.Input.ForcePlacement). It returns a function
// that returns the warnings that --force let through.
func keepTraffic(c *cli.Context, dl deploy.Delivery, in *deploy.Input, cfg stack.Config) (warnings func() []string) {
	in.ForcePlacement = true
	var warned []string
	in.ReadLive = func(ctx context.Context, in *deploy.Input) error {
		pre, err := dl.Check(ctx, in.StackName, cfg, c.Bool("force"))
		var firing *deploy.AlarmFiringError
		if errors.As(err, &firing) {
			return fmt.Errorf("%w\nClear the alarm first, or deploy with --force to go on without it", err)
		}
		if err != nil {
			return err
		}
		if pre.Weights != (stack.Weights{}) {
			live := cfg
			live.Deployment.Weights = pre.Weights
			body, _, err := renderDocument(live)
			if err != nil {
				return err
			}
			in.TemplateBody = string(body)
		}
		in.KeepWeights = pre.KeepWeights
		if pre.Traffic != nil && cfg.Deployment.Progressive() {
			fmt.Fprintf(c.App.ErrWriter, "Traffic: %s (the template keeps it)\n", pre.Traffic.Split())
		}
		warned = pre.Warnings
		return nil
	}
	return func() []string { return warned }
}

// keepTrafficForDiff is keepTraffic for diff, which changes nothing: what
// deploy would refuse is a warning, and the plan shows the weights deploy
// would keep.
func keepTrafficForDiff(ctx context.Context, c *cli.Context, dl deploy.Delivery, in *deploy.Input, cfg stack.Config) error {
	in.ForcePlacement = true
	pre, err := dl.Check(ctx, in.StackName, cfg, true)
	var busy *deploy.RoutingBusyError
	var switching *deploy.StrategySwitchError
	if errors.As(err, &busy) || errors.As(err, &switching) {
		fmt.Fprintf(c.App.ErrWriter, "cfnfargate: warning: deploy would refuse: %v\n", err)
		return nil
	}
	if err != nil {
		return err
	}
	for _, w := range pre.Warnings {
		fmt.Fprintf(c.App.ErrWriter, "cfnfargate: warning: deploy would refuse without --force: %s\n", w)
	}
	if pre.Weights != (stack.Weights{}) {
		cfg.Deployment.Weights = pre.Weights
		body, _, err := renderDocument(cfg)
		if err != nil {
			return err
		}
		in.TemplateBody = string(body)
	}
	in.KeepWeights = pre.KeepWeights
	return nil
}

// watchDelivery follows a blue/green deployment while deploy waits: a line
// for each change of its lifecycle stage, traffic split and alarm states,
// and the pause gate (watchGate). It returns a function that stops both.
func watchDelivery(ctx context.Context, c *cli.Context, dl deploy.Delivery, stackName string, cfg stack.Config) (stop func()) {
	// Both watches write lines to stderr, each whole.
	out := &lockedWriter{w: c.App.ErrWriter}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	if cfg.Deployment.Progressive() {
		go func() {
			defer close(done)
			err := dl.WatchDeployment(ctx, stackName, cfg.Deployment.RollbackAlarms, 10*time.Second, func(p deploy.DeploymentProgress) {
				fmt.Fprintf(out, "ECS deployment: %s\n", p)
			})
			if err != nil {
				fmt.Fprintf(out, "cfnfargate: warning: following the ECS deployment: %v\n", err)
			}
		}()
	} else {
		close(done)
	}
	answers := gateAnswers{onPause: c.String("on-pause"), stdin: c.App.Reader}
	gated := cfg.Deployment.Progressive() && cfg.Deployment.PauseBeforeProduction
	if gated {
		answers.timeout = cfg.Deployment.PauseTimeout
	} else {
		// The gate of the deployed template holds this deployment too,
		// when the update turns it off or leaves blue/green: the service
		// runs the hooks it has until the update replaces them.
		gated, _ = dl.HasGate(ctx, stackName)
	}
	stopGate := func() {}
	if gated {
		stopGate = watchGate(ctx, out, dl, stackName, answers)
	}
	return func() { cancel(); stopGate(); <-done }
}

// gateAnswers is how a command answers the pause gate while it waits.
type gateAnswers struct {
	// onPause is --on-pause: continue, rollback or wait; empty asks on a
	// terminal, and elsewhere waits.
	onPause string
	// timeout is the gate's, to say when it rolls back; zero when not
	// known.
	timeout time.Duration
	// stdin is what a prompt reads, when it is a terminal.
	stdin io.Reader
}

// watchGate answers the pause gate of stackName while a command waits, as
// a.onPause says, or by asking on a terminal; while CloudFormation rolls
// the stack back it approves without asking (deploy.Delivery.WatchGate).
// It returns a function that stops it.
func watchGate(ctx context.Context, out io.Writer, dl deploy.Delivery, stackName string, a gateAnswers) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := dl.WatchGate(ctx, stackName, 5*time.Second, func(ctx context.Context, g deploy.GateState) (deploy.GateDecision, error) {
			line := "ECS deployment " + g.Deployment + " waits at the pause gate, before production traffic moves"
			if details := gateDetails(g, a.timeout); details != "" {
				line += " (" + details + ")"
			}
			fmt.Fprintf(out, "\n%s.\n", line)
			if a.onPause != "" {
				decision, _ := deploy.ParseGateDecision(a.onPause)
				return decision, nil
			}
			return askGate(ctx, a.stdin, out)
		}, func(e deploy.GateEvent) {
			g := e.State
			switch {
			case e.Unanswerable:
				fmt.Fprintf(out, "cfnfargate: warning: %v\n", &deploy.GateKeyError{Stack: stackName, Key: g.Deployment})
			case e.RollingBack:
				fmt.Fprintf(out, "CloudFormation is rolling stack %s back: approved ECS deployment %s at the pause gate, which restores the service; a rollback is never held.\n",
					stackName, g.Deployment)
			case e.BeforeRollback:
				fmt.Fprintf(out, "CloudFormation is rolling stack %s back: ECS deployment %s at the pause gate is the failed update's own, created before the rollback began, which the rollback replaces; it is not approved.\n",
					stackName, g.Deployment)
			case e.Decision == deploy.GateContinue:
				fmt.Fprintf(out, "Approved: production traffic moves to ECS deployment %s.\n", g.DeploymentID())
			case e.Decision == deploy.GateRollback:
				fmt.Fprintf(out, "Rejected: ECS rolls deployment %s back.\n", g.DeploymentID())
			default:
				fmt.Fprintf(out, "Waiting: answer with `aws ssm put-parameter --overwrite --name %s --value \"approve %s\"` (or \"reject ...\").\n",
					stack.GateParameterName(stackName), g.Deployment)
			}
		})
		if err != nil && ctx.Err() == nil {
			fmt.Fprintf(out, "cfnfargate: warning: watching the pause gate: %v\n", err)
		}
	}()
	return func() { cancel(); <-done }
}

// gateDetails says what ECS deploys and since when it waits: "target
// revision 7, since 10:04:05; it rolls back after 1h".
func gateDetails(g deploy.GateState, timeout time.Duration) string {
	var parts []string
	if g.Revision != "" {
		parts = append(parts, "target service revision "+g.Revision[strings.LastIndex(g.Revision, "/")+1:])
	}
	if !g.Since.IsZero() {
		parts = append(parts, "since "+g.Since.Local().Format(time.TimeOnly))
	}
	s := strings.Join(parts, ", ")
	if timeout > 0 {
		if s != "" {
			s += "; "
		}
		s += "it rolls back after " + stack.FormatDuration(timeout)
	}
	return s
}

// askGate asks on a terminal whether to continue or roll back; without a
// terminal the deployment waits.
func askGate(ctx context.Context, stdin io.Reader, out io.Writer) (deploy.GateDecision, error) {
	in, ok := stdin.(*os.File)
	if !ok || !progress.IsTerminal(in) {
		return deploy.GateWait, nil
	}
	defer prompting(ctx)()
	fmt.Fprint(out, "Continue to production, or roll back? [continue/rollback/wait]: ")
	answer := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(in).ReadString('\n')
		answer <- line
	}()
	select {
	case line := <-answer:
		decision, ok := deploy.ParseGateDecision(strings.TrimSpace(strings.ToLower(line)))
		if !ok {
			return deploy.GateWait, nil
		}
		return decision, nil
	case <-ctx.Done():
		return deploy.GateWait, nil
	}
}

// explainRollback adds to a failed deploy the alarm that made ECS roll the
// deployment back, with what it watches.
func explainRollback(ctx context.Context, dl deploy.Delivery, stackName string, err error) error {
	live, ierr := dl.Inspect(ctx, stackName)
	if ierr != nil {
		return err
	}
	state, derr := dl.LatestDeployment(ctx, live)
	if derr != nil || state == nil || len(state.TriggeredAlarms) == 0 {
		return err
	}
	firing, ferr := dl.FiringAlarms(ctx, state.TriggeredAlarms)
	names := state.TriggeredAlarms
	if ferr == nil && len(firing) > 0 {
		names = nil
		for _, a := range firing {
			names = append(names, a.String())
		}
	}
	return fmt.Errorf("%w\nECS rolled the deployment back: alarm %s", err, strings.Join(names, ", "))
}

// lockedWriter serializes the writes of goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
