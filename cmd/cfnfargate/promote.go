package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/deploy"
	"github.com/cfnfargate/cfnfargate/stack/operate"
)

// promoteCommand is deploy to one named environment of what another runs:
// the image of the source's newest release, pinned by its digest, with the
// config file's settings and the target environment's layer. It takes
// every flag of deploy.
func promoteCommand() *cli.Command {
	cmd := deployCommand()
	cmd.Name = "promote"
	cmd.Usage = "deploy to one environment exactly the image another runs, pinned by digest, with the target's own settings"
	cmd.UsageText = "cfnfargate promote --from staging --to prod --config app.yaml [deploy flags]"
	cmd.Description = "Reads the source's newest release (cfnfargate history) and deploys its image, pinned as\n" +
		"REPOSITORY@sha256:..., to the target environment: the config file's base keys with the target's\n" +
		"environments: layer over them, as deploy --environment TO would. The source stack is --from-stack,\n" +
		"or the source layer's stack key, or NAME-FROM. A source without a release history is refused:\n" +
		"deploy it once with this version of cfnfargate."
	cmd.Flags = append([]cli.Flag{
		&cli.StringFlag{Name: "from", Usage: "the named environment `NAME` whose image to promote"},
		&cli.StringFlag{Name: "to", Usage: "the named environment `NAME` to deploy it to"},
		&cli.StringFlag{Name: "from-stack", Usage: "the source service's stack `NAME`, when the config file does not say"},
	}, cmd.Flags...)
	deployAction := cmd.Action
	cmd.Action = func(c *cli.Context) error {
		from, to := c.String("from"), c.String("to")
		var check deploy.Check
		if from == "" {
			check.Add("--from", "is required: the environment whose image to promote")
		}
		if to == "" {
			check.Add("--to", "is required: the environment to deploy it to")
		}
		if from != "" && from == to {
			check.Add("--to", "is %s, the same environment as --from", to)
		}
		for _, flag := range []string{stack.KeyImage, stack.KeyEnvironment} {
			if c.IsSet(flag) {
				check.Add("--"+flag, "is what promote sets (the source's image, the target environment): leave it out")
			}
		}
		if err := check.Err(); err != nil {
			return err
		}
		// What the source is, read before anything else sets flags from
		// the config file: the target's layer must not decide it.
		src, err := promoteSource(c, from)
		if err != nil {
			return err
		}
		// Every input of the deploy is checked before AWS is called.
		if err := c.Set(stack.KeyEnvironment, to); err != nil {
			return err
		}
		if err := newDeployOptions(c).Validate(); err != nil {
			return err
		}
		release, err := newestRelease(c.Context, src)
		if err != nil {
			return withHints(c, err)
		}
		image := release.PinnedImage()
		fmt.Fprintf(c.App.Writer, "Promoting release %d of stack %s (%s): image %s\n", release.Number, src.stack, from, image)
		if release.ImageDigest == "" {
			fmt.Fprintf(c.App.ErrWriter, "cfnfargate: warning: release %d of stack %s has no image digest; %s is deployed by its tag, which may since point elsewhere\n",
				release.Number, src.stack, image)
		}
		if err := c.Set(stack.KeyImage, image); err != nil {
			return err
		}
		return deployAction(c)
	}
	return cmd
}

// promoteInput is where promote reads the source's release.
type promoteInput struct {
	stack   string
	access  deploy.ClientOptions
	account string // the account the source's credentials must be of, or ""
}

// promoteSource names the source service's stack, how to reach it and its
// account. The stack is --from-stack, or the source layer's stack key, or
// NAME-ENVIRONMENT, with the name from --name, its variable, or the
// config file (base and source layer). Access takes the flags and their
// variables over the source layer's keys over the base keys, as every
// command does.
func promoteSource(c *cli.Context, from string) (promoteInput, error) {
	in := promoteInput{access: clientOptions(c)}
	path := c.String("config")
	if !c.IsSet("config") {
		path = os.Getenv(envName("config"))
	}
	values := map[string]configValue{}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return in, badInput(fmt.Errorf("--config: %w", err))
		}
		doc, problems, err := parseConfigFile(path, data, configKeys(c.App.Commands))
		if err != nil {
			return in, badInput(err)
		}
		var check deploy.Check
		for _, p := range problems {
			check.Add("", "config file %s %s", path, p)
		}
		var ok bool
		if values, ok = doc.merged(from); !ok {
			check.Add("--from", "%q is not one of the environments of config file %s: %s", from, path, strings.Join(doc.layerNames(), ", "))
		}
		if err := check.Err(); err != nil {
			return in, err
		}
	}
	one := func(key string) string {
		if v, ok := values[key]; ok && len(v.values) == 1 {
			return v.values[0]
		}
		return ""
	}
	for key, field := range map[string]*string{"region": &in.access.Region, "profile": &in.access.Profile, "endpoint-url": &in.access.EndpointURL} {
		if v := one(key); v != "" && !c.IsSet(key) {
			*field = v
		}
	}
	in.account = one("account")
	if c.IsSet("account") {
		in.account = c.String("account")
	}
	switch {
	case c.String("from-stack") != "":
		in.stack = c.String("from-stack")
		return in, nil
	case one("stack") != "":
		in.stack = one("stack")
		return in, nil
	}
	name := one(stack.KeyName)
	if v, ok := os.LookupEnv(envName(stack.KeyName)); ok {
		name = v
	}
	if c.IsSet(stack.KeyName) {
		name = c.String(stack.KeyName)
	}
	if name == "" {
		// A service named after its stack: the name cannot give it.
		return in, badInput(fmt.Errorf("--from-stack: the source's stack is not known: give --from-stack, a stack key in the config file's %s layer, or --name (the stack is then NAME-%s)", from, from))
	}
	in.stack = serviceStackName("", stack.Config{Name: name, Environment: stack.Environment{Name: from}})
	return in, nil
}

// newestRelease is the newest release of the source stack.
func newestRelease(ctx context.Context, src promoteInput) (operate.Release, error) {
	stackName := src.stack
	_, clients, err := operation{Stack: stackName, Access: src.access, Account: src.account}.clients(ctx)
	if err != nil {
		return operate.Release{}, err
	}
	releases, err := operate.History(ctx, clients, stackName)
	if errors.Is(err, deploy.ErrStackNotFound) {
		return operate.Release{}, &exitError{code: deploy.ExitFailure, err: errors.New(
			"stack " + stackName + " has no release history to promote from: it does not exist; deploy it first")}
	}
	if err != nil {
		return operate.Release{}, err
	}
	if len(releases) == 0 {
		return operate.Release{}, &exitError{code: deploy.ExitFailure, err: errors.New(
			"stack " + stackName + " has no release history to promote from: deploy it once with this version of cfnfargate, which records one")}
	}
	return releases[0], nil
}
