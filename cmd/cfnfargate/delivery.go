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

// keepTraffic runs the blue/green checks of a deploy of cfg (refusals are
// errors) and rebuilds the template with the production rule's live
// weights, so that the stack update does not move traffic. It returns the
// warnings that --force let through.
func keepTraffic(ctx context.Context, c *cli.Context, dl deploy.Delivery, in *deploy.Input, cfg stack.Config) ([]string, error) {
	pre, err := dl.Check(ctx, in.StackName, cfg, c.Bool("force"))
	var firing *deploy.AlarmFiringError
	if errors.As(err, &firing) {
		return nil, fmt.Errorf("%w\nClear the alarm first, or deploy with --force to go on without it", err)
	}
	if err != nil {
		return nil, err
	}
	if pre.Weights != (stack.Weights{}) {
		cfg.Deployment.Weights = pre.Weights
		body, _, err := renderDocument(cfg)
		if err != nil {
			return nil, err
		}
		in.TemplateBody = string(body)
	}
	if pre.Traffic != nil && cfg.Deployment.Progressive() {
		fmt.Fprintf(c.App.ErrWriter, "Traffic: %s (the template keeps it)\n", pre.Traffic.Split())
	}
	return pre.Warnings, nil
}

// keepTrafficForDiff is keepTraffic for diff, which changes nothing: what
// deploy would refuse is a warning, and the plan shows the weights deploy
// would keep.
func keepTrafficForDiff(ctx context.Context, c *cli.Context, dl deploy.Delivery, in *deploy.Input, cfg stack.Config) error {
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
	return nil
}

// watchDelivery follows a blue/green deployment while deploy waits: a line
// for each change of its lifecycle stage, traffic split and alarm states,
// and the pause gate (watchGate). It returns a function that stops both.
func watchDelivery(ctx context.Context, c *cli.Context, dl deploy.Delivery, stackName string, cfg stack.Config) (stop func()) {
	if !cfg.Deployment.Progressive() {
		return func() {}
	}
	// Both watches write lines to stderr, each whole.
	out := &lockedWriter{w: c.App.ErrWriter}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := dl.WatchDeployment(ctx, stackName, cfg.Deployment.RollbackAlarms, 10*time.Second, func(p deploy.DeploymentProgress) {
			fmt.Fprintf(out, "ECS deployment: %s\n", p)
		})
		if err != nil {
			fmt.Fprintf(out, "cfnfargate: warning: following the ECS deployment: %v\n", err)
		}
	}()
	stopGate := watchGate(ctx, c, out, dl, stackName, cfg)
	return func() { cancel(); stopGate(); <-done }
}

// watchGate answers the pause gate while deploy waits, as --on-pause says,
// or by asking on a terminal. It returns a function that stops it.
func watchGate(ctx context.Context, c *cli.Context, out io.Writer, dl deploy.Delivery, stackName string, cfg stack.Config) (stop func()) {
	if !cfg.Deployment.Progressive() || !cfg.Deployment.PauseBeforeProduction {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := dl.WatchGate(ctx, stackName, 5*time.Second, func(ctx context.Context, g deploy.GateState) (deploy.GateDecision, error) {
			fmt.Fprintf(out, "\nThe deployment of %s waits at the pause gate, before production traffic moves (since %s; it rolls back after %s).\n",
				g.Revision, g.Since.Local().Format(time.TimeOnly), stack.FormatDuration(cfg.Deployment.PauseTimeout))
			if v := c.String("on-pause"); v != "" {
				decision, _ := deploy.ParseGateDecision(v)
				return decision, nil
			}
			return askGate(ctx, c, out)
		}, func(g deploy.GateState, decision deploy.GateDecision) {
			switch decision {
			case deploy.GateContinue:
				fmt.Fprintf(out, "Approved: production traffic moves to %s.\n", g.Revision)
			case deploy.GateRollback:
				fmt.Fprintf(out, "Rejected: ECS rolls the deployment of %s back.\n", g.Revision)
			default:
				fmt.Fprintf(out, "Waiting: answer with `aws ssm put-parameter --overwrite --name %s --value \"approve %s\"` (or \"reject ...\").\n",
					stack.GateParameterName(stackName), g.Revision)
			}
		})
		if err != nil && ctx.Err() == nil {
			fmt.Fprintf(out, "cfnfargate: warning: watching the pause gate: %v\n", err)
		}
	}()
	return func() { cancel(); <-done }
}

// askGate asks on a terminal whether to continue or roll back; without a
// terminal the deployment waits.
func askGate(ctx context.Context, c *cli.Context, out io.Writer) (deploy.GateDecision, error) {
	in, ok := c.App.Reader.(*os.File)
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
