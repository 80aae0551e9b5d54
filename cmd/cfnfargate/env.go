package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/deploy"
	"github.com/cfnfargate/cfnfargate/stack/format"
)

// envCommand groups the commands of shared environments: one stack per
// environment with the load balancer and the cluster that its services
// share.
func envCommand() *cli.Command {
	return &cli.Command{
		Name:  "env",
		Usage: "manage a shared environment: one load balancer and cluster for many services",
		Description: "An environment's stack is named env-NAME. Services join it with\n" +
			"  cfnfargate deploy --environment NAME --stack SERVICE --host HOST [--path PATTERN]",
		Subcommands: []*cli.Command{envEmitCommand(), envDeployCommand(), envDiffCommand(), envStatusCommand(), envDeleteCommand()},
	}
}

// environmentFlag names the environment. It is --environment on every
// command, so that one config-file key serves them all; the env commands
// also take --env, where no container variable can be meant.
func environmentFlag() cli.Flag {
	return &cli.StringFlag{Name: stack.KeyEnvironment, Aliases: []string{"env"}, Usage: "environment `NAME`: lowercase letters and digits, with single hyphens between them; its stack is env-NAME",
		EnvVars: []string{envName(stack.KeyEnvironment)}}
}

// environmentRows are the settings an environment's stack takes.
func environmentRows() []stack.Setting {
	var rows []stack.Setting
	for _, key := range stack.EnvironmentSettings() {
		s, _ := stack.LookupSetting(key)
		rows = append(rows, s)
	}
	return rows
}

// readEnvironment reads the environment's name and settings. The
// --extra-certificate-arn values set how many extra certificates the
// template declares, before it is checked.
func readEnvironment(c *cli.Context) (resolved, error) {
	name, err := environmentName(c)
	if err != nil {
		return resolved{}, err
	}
	extra := len(c.StringSlice("extra-certificate-arn"))
	complete := func(cfg *stack.Config) {
		cfg.Environment.Name = name
		if extra > 0 {
			cfg.LoadBalancer.ExtraCertificates = extra
		}
	}
	validate := func(cfg stack.Config) error {
		complete(&cfg)
		return cfg.ValidateEnvironment()
	}
	s, err := readSettingsOf(c, environmentRows(), validate)
	complete(&s.Config)
	return s, err
}

// environmentName is the environment an env command works on: the flag,
// its variable, or the config file's base environment key, which also
// picks the file's layer.
func environmentName(c *cli.Context) (string, error) {
	if name := c.String(stack.KeyEnvironment); name != "" {
		return name, nil
	}
	file, err := readConfig(c)
	if err != nil {
		return "", err
	}
	if v, ok := file.values[stack.KeyEnvironment]; ok && len(v.values) == 1 {
		return v.values[0], nil
	}
	return "", nil
}

// requireEnvironment refuses an env command without an environment.
func requireEnvironment(c *cli.Context) error {
	name, err := environmentName(c)
	if err != nil {
		return err
	}
	if name == "" {
		return badInput(errors.New("--environment: is required: the environment's name, such as staging"))
	}
	return nil
}

// envAWSFlags are the AWS flags of the env commands, without --stack:
// an environment's stack is always env-NAME, and a config file's stack key
// names a service's stack, not the environment's.
func envAWSFlags() []cli.Flag {
	var flags []cli.Flag
	for _, f := range awsFlags() {
		if f.Names()[0] != "stack" {
			flags = append(flags, f)
		}
	}
	return flags
}

// environmentTemplate builds the environment's template as YAML, and as
// a document.
func environmentTemplate(cfg stack.Config) ([]byte, format.Document, error) {
	doc, err := stack.BuildEnvironment(cfg)
	if err != nil {
		return nil, nil, badInput(err)
	}
	body, err := format.YAML(doc)
	return body, doc, err
}

func envEmitCommand() *cli.Command {
	return &cli.Command{
		Name:  "emit",
		Usage: "print an environment's CloudFormation template",
		Flags: append([]cli.Flag{
			environmentFlag(),
			&cli.StringFlag{Name: "format", Value: "yaml", Usage: "template format: yaml or json", EnvVars: []string{envName("format")}},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the template to `FILE` instead of stdout; - is stdout", EnvVars: []string{envName("output")}, TakesFile: true},
			configFlag(),
		}, settingsFlagsOf(environmentRows())...),
		OnUsageError: usageError,
		Action: func(c *cli.Context) error {
			o := emitOptions{Format: c.String("format"), Output: c.String("output"), Stdout: c.App.Writer, Stderr: c.App.ErrWriter, Build: stack.BuildEnvironment}
			if err := o.Validate(); err != nil {
				return err
			}
			s, err := readEnvironment(c)
			if err != nil {
				return err
			}
			o.Config, o.Warnings = s.Config, hardenedRemedies(s.Config.EnvironmentWarnings(), nil)
			return o.Execute()
		},
	}
}

// envStackFlags are the flags of env deploy and diff.
func envStackFlags(own ...cli.Flag) []cli.Flag {
	flags := append([]cli.Flag{environmentFlag()}, envAWSFlags()...)
	flags = append(flags,
		&cli.StringFlag{Name: "vpc-id", Usage: "the VpcId parameter: the existing `VPC`", EnvVars: []string{envName("vpc-id")}},
		listFlag("public-subnets", "the PublicSubnetIds parameter: `SUBNETS`, comma-separated or repeated"),
		listFlag("private-subnets", "the PrivateSubnetIds parameter: `SUBNETS`, comma-separated or repeated"),
		&cli.StringFlag{Name: "certificate-arn", Usage: "the CertificateArn parameter: the listener's default ACM certificate `ARN`", EnvVars: []string{envName("certificate-arn")}},
		listFlag("extra-certificate-arn", "another ACM certificate `ARN` the listener serves (SNI), repeatable"),
		listFlag("parameter", "any other template parameter, `NAME=VALUE`, repeatable"),
		&cli.StringFlag{Name: "role-arn", Usage: "IAM `ROLE` CloudFormation assumes for the stack operations", EnvVars: []string{envName("role-arn")}},
	)
	flags = append(flags, own...)
	return append(flags, settingsFlagsOf(environmentRows())...)
}

// environmentOf is the environment an env command works on.
func environmentOf(c *cli.Context) string {
	name, _ := environmentName(c) // an unreadable file is reported where it is read
	return name
}

// envStackName is the environment's stack, env-NAME.
func envStackName(c *cli.Context) string {
	name, _ := environmentName(c) // an unreadable file is reported where it is read
	return stack.EnvironmentStackName(name)
}

// envStackInput reads and checks the flags of env deploy and diff, and
// returns the deploy input, reporting every problem at once; nothing is
// sent to AWS when there is one.
func envStackInput(c *cli.Context) (deploy.Input, error) {
	var problems []stack.Problem
	s, err := readEnvironment(c)
	var settingsProblems *stack.ValidationError
	switch {
	case errors.As(err, &settingsProblems):
		problems = append(problems, settingsProblems.Problems...)
	case err != nil:
		return deploy.Input{}, err
	}
	name := envStackName(c)
	var check deploy.Check
	check.StackName(s.label("stack"), name)
	public, private := subnetList(c.StringSlice("public-subnets")), subnetList(c.StringSlice("private-subnets"))
	checkNetwork(&check, c, s, public, private, true)
	arns := append([]string{c.String("certificate-arn")}, c.StringSlice("extra-certificate-arn")...)
	region, regionErr := deploy.Region(c.Context, clientOptions(c))
	for i, arn := range arns {
		label := s.label("certificate-arn")
		if i > 0 {
			label = s.label("extra-certificate-arn")
		}
		if check.CertificateArn(label, arn) && regionErr == nil {
			check.CertificateRegion(label, arn, region)
		}
	}
	check.RoleARN(s.label("role-arn"), c.String("role-arn"))
	params := check.Parameters(s.label("parameter"), c.StringSlice("parameter"))
	if c.IsSet("timeout") {
		check.Timeout(s.label("timeout"), c.Duration("timeout"))
	}
	var body []byte
	var doc format.Document
	if err == nil {
		body, doc, err = environmentTemplate(s.Config)
		if err != nil {
			return deploy.Input{}, err
		}
		check.TemplateBody(string(body))
	}
	var inputErr *stack.ValidationError
	if errors.As(check.Err(), &inputErr) {
		problems = append(problems, inputErr.Problems...)
	}
	if len(problems) > 0 {
		return deploy.Input{}, &stack.ValidationError{Title: "invalid input", Problems: problems}
	}
	printWarnings(c.App.ErrWriter, hardenedRemedies(s.Config.EnvironmentWarnings(), nil))

	maps.Copy(params, stack.DeployParameters{
		VpcID: c.String("vpc-id"), PublicSubnetIDs: public, PrivateSubnetIDs: private, CertificateArn: arns[0],
	}.Values())
	for i, arn := range arns[1:] {
		params[stack.ExtraCertificateParam(i+1)] = arn
	}
	tags := map[string]string{}
	for _, t := range s.Config.Tags {
		tags[t.Key] = t.Value
	}
	return deploy.Input{
		StackName:             name,
		TemplateBody:          string(body),
		Parameters:            params,
		ParameterFlags:        parameterFlagNames,
		Capabilities:          stack.Capabilities(doc),
		Tags:                  tags,
		RoleARN:               c.String("role-arn"),
		TerminationProtection: s.Config.DeletionProtection,
	}, nil
}

func envDeployCommand() *cli.Command {
	return &cli.Command{
		Name:      "deploy",
		Usage:     "create or update an environment's stack through a change set, and wait for it",
		UsageText: "cfnfargate env deploy --environment NAME --vpc-id VPC --public-subnets A,B --private-subnets C,D --certificate-arn ARN [settings]",
		Flags: envStackFlags(
			timeoutFlag(),
			&cli.BoolFlag{Name: "no-wait", Usage: "return once the change set is executing", EnvVars: []string{envName("no-wait")}},
			&cli.BoolFlag{Name: "allow-replacement", Usage: "execute a change set that replaces the load balancer, its security group or the cluster, without asking",
				EnvVars: []string{envName("allow-replacement")}},
		),
		OnUsageError: usageError,
		Action: func(c *cli.Context) error {
			in, err := envStackInput(c)
			if err != nil {
				return err
			}
			in.Timeout = c.Duration("timeout")
			in.NoWait = c.Bool("no-wait")
			in.AllowReplacement = c.Bool("allow-replacement")
			in.ConfirmReplacement = confirmReplacement(c, in.StackName)
			s, _ := readEnvironment(c) // read and checked by envStackInput
			var res *deploy.Result
			err = withClients(c, func(ctx context.Context, clients *deploy.Clients, d *deploy.Deployer) (err error) {
				in.CheckPlan = refuseReplacingShared(ctx, d, in.StackName, environmentOf(c))
				in.Preflight = lookFirst(c, clients, lookAt{settings: &s, kind: environmentStack})
				res, err = d.Deploy(ctx, in)
				return err
			})
			if err != nil {
				return withHints(c, err)
			}
			printOutputs(c.App.Writer, res.Outputs)
			for _, w := range res.Warnings {
				fmt.Fprintf(c.App.ErrWriter, "cfnfargate: warning: %s\n", w)
			}
			return nil
		},
	}
}

func envDiffCommand() *cli.Command {
	return &cli.Command{
		Name:  "diff",
		Usage: "show what an env deploy would change, through a change set that is then deleted",
		Flags: envStackFlags(
			&cli.BoolFlag{Name: "exit-code", Usage: "exit with status 1 when there are changes, like git diff --exit-code"},
		),
		OnUsageError: usageError,
		Action: func(c *cli.Context) error {
			in, err := envStackInput(c)
			if err != nil {
				return err
			}
			s, _ := readEnvironment(c) // read and checked by envStackInput
			var plan *deploy.Plan
			err = withClients(c, func(ctx context.Context, clients *deploy.Clients, d *deploy.Deployer) (err error) {
				in.CheckPlan = refuseReplacingShared(ctx, d, in.StackName, environmentOf(c))
				in.Preflight = lookFirst(c, clients, lookAt{settings: &s, kind: environmentStack})
				plan, err = d.Diff(ctx, in)
				return err
			})
			if err != nil {
				return withHints(c, err)
			}
			if plan.HasChanges() && c.Bool("exit-code") {
				return &exitError{code: deploy.ExitFailure, err: errQuiet}
			}
			return nil
		},
	}
}

func envStatusCommand() *cli.Command {
	return &cli.Command{
		Name:  "status",
		Usage: "print an environment stack's status and outputs",
		Flags: append([]cli.Flag{environmentFlag()}, append(envAWSFlags(),
			&cli.StringFlag{Name: "format", Value: "text", Usage: "text, or json for scripts", EnvVars: []string{envName("status-format")}})...),
		OnUsageError: usageError,
		Action: func(c *cli.Context) error {
			if err := requireEnvironment(c); err != nil {
				return err
			}
			o := statusCmd{Stack: envStackName(c), Format: c.String("format"), Out: c.App.Writer}
			if err := o.Validate(); err != nil {
				return err
			}
			return withHints(c, withDeployer(c, func(ctx context.Context, d *deploy.Deployer) error {
				_, err := o.Execute(ctx, d)
				return err
			}))
		},
	}
}

func envDeleteCommand() *cli.Command {
	return &cli.Command{
		Name:  "delete",
		Usage: "delete an environment's stack, once no service routes through it",
		Description: "Refuses, before deleting anything, while services still have listener rules on the\n" +
			"environment's load balancer, and lists them: delete those services first.",
		Flags: append([]cli.Flag{environmentFlag()}, append(envAWSFlags(),
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "delete without asking"},
			&cli.StringFlag{Name: "role-arn", Usage: "IAM `ROLE` CloudFormation assumes to delete", EnvVars: []string{envName("role-arn")}},
			timeoutFlag())...),
		OnUsageError: usageError,
		Action: func(c *cli.Context) error {
			if err := requireEnvironment(c); err != nil {
				return err
			}
			o := deleteCmd{Stack: envStackName(c), RoleARN: c.String("role-arn"), Timeout: c.Duration("timeout"), Out: c.App.Writer}
			if !c.Bool("yes") {
				o.Confirm = func(ctx context.Context, name string) error { return confirm(ctx, c, name) }
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return withHints(c, withDeployer(c, func(ctx context.Context, d *deploy.Deployer) error {
				if err := refuseEnvironmentInUse(ctx, d, o.Stack); err != nil {
					return err
				}
				return o.Execute(ctx, d)
			}))
		},
	}
}

// environmentServices returns the services that route through the
// environment's listener, by stack; none for an environment that does not
// exist or has no listener output.
func environmentServices(ctx context.Context, d *deploy.Deployer, envStack string) ([]string, error) {
	// Status, not EnvironmentOutputs: a stack that failed to create
	// (ROLLBACK_COMPLETE) or to delete has no services to protect.
	st, err := d.Status(ctx, envStack)
	if errors.Is(err, deploy.ErrStackNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	listener := ""
	for _, o := range st.Outputs {
		if o.Key == stack.ParamListenerArn {
			listener = o.Value
		}
	}
	routing, ok := d.ELB.(deploy.RoutingAPI)
	if listener == "" || !ok {
		return nil, nil
	}
	return deploy.EnvironmentServices(ctx, routing, listener)
}

// refuseReplacingShared is the plan check of env deploy and diff: a plan
// that replaces the load balancer, its HTTPS listener or its security
// group is refused while services route through the environment. Their
// stacks keep the old listener's ARN and security group ID and the old
// load balancer's DNS name, which the update's cleanup deletes, with
// their rules: every service would answer nothing until deployed again,
// and with deletion protection a service could not be deployed again at
// all (a target group belongs to one load balancer: ELB quotas, "Load
// balancers per target group: 1"). --allow-replacement does not override
// it.
func refuseReplacingShared(ctx context.Context, d *deploy.Deployer, envStack, envName string) func(deploy.Plan) error {
	return func(p deploy.Plan) error {
		replaced := p.Replaces(stack.SharedResourceIDs())
		if len(replaced) == 0 {
			return nil
		}
		services, err := environmentServices(ctx, d, envStack)
		if err != nil || len(services) == 0 {
			return err
		}
		return &exitError{code: deploy.ExitFailure, err: fmt.Errorf(
			"environment stack %s: the update replaces %s, and %d service(s) route through it: %s. Their stacks point at the old ones, which the update deletes, so each would answer nothing until it is deployed again; nothing was changed. "+
				"To make this change, move the services: create a new environment with it (cfnfargate env deploy --environment NEW ...), deploy each service into it (cfnfargate deploy --environment NEW --stack NEW-STACK ...) and move its DNS, delete each old service stack, then this environment (cfnfargate env delete --environment %s)",
			envStack, strings.Join(replaced, ", "), len(services), strings.Join(services, ", "), envName)}
	}
}

// refuseEnvironmentInUse refuses to delete an environment whose listener
// still routes to services: deleting it would take their traffic away, and
// the delete would fail at the listener, which their rules hold.
func refuseEnvironmentInUse(ctx context.Context, d *deploy.Deployer, envStack string) error {
	services, err := environmentServices(ctx, d, envStack)
	if err != nil {
		return err
	}
	if len(services) > 0 {
		return &exitError{code: deploy.ExitFailure, err: fmt.Errorf(
			"environment stack %s still routes to %d service(s): %s; nothing was deleted. Delete them first (cfnfargate delete --stack NAME)",
			envStack, len(services), strings.Join(services, ", "))}
	}
	return nil
}

// resolveEnvironment fills the parameters of a service in an environment
// from the environment stack's outputs, and sets cfg's listener rule
// priority to the one the service gets (deploy.Deployer.CheckRoute): the
// one asked for, the one its rule already has, or the first free one from
// where its stack's name hashes to. The template is built again with it.
func resolveEnvironment(ctx context.Context, c *cli.Context, d *deploy.Deployer, in *deploy.Input, cfg *stack.Config) error {
	if !cfg.Environment.Shared() {
		return nil
	}
	envStack := stack.EnvironmentStackName(cfg.Environment.Name)
	declared, err := deploy.DeclaredParameters(in.TemplateBody)
	if err != nil {
		return err
	}
	// The outputs the service takes: the parameters it declares that an
	// environment's stack outputs, and that were not given.
	var need []string
	outputNames := environmentOutputNames(cfg.Environment.Name)
	for _, name := range declared {
		if _, given := in.Parameters[name]; !given && slices.Contains(outputNames, name) {
			need = append(need, name)
		}
	}
	outputs, err := d.EnvironmentOutputs(ctx, envStack, need...)
	if errors.Is(err, deploy.ErrEnvironmentNotFound) {
		return badInput(fmt.Errorf("--environment: environment %s has no stack %s; create it first with: cfnfargate env deploy --environment %s --vpc-id VPC --public-subnets A,B --private-subnets C,D --certificate-arn ARN",
			cfg.Environment.Name, envStack, cfg.Environment.Name))
	}
	var missing *deploy.MissingOutputsError
	if errors.As(err, &missing) {
		return fmt.Errorf("%w\nDeploy it: cfnfargate env deploy --environment %s [its flags]", err, cfg.Environment.Name)
	}
	if err != nil {
		return err
	}
	for _, name := range declared {
		if _, given := in.Parameters[name]; !given && outputs[name] != "" {
			in.Parameters[name] = outputs[name]
		}
	}
	routing, ok := d.ELB.(deploy.RoutingAPI)
	if !ok {
		return nil
	}
	lo, hi := stack.RuleBand(*cfg)
	check, err := d.CheckRoute(ctx, routing, deploy.Route{
		ListenerArn:  in.Parameters[stack.ParamListenerArn],
		Priority:     cfg.Environment.Priority,
		Band:         [2]int{lo, hi},
		Start:        stack.RulePriorityFor(*cfg, in.StackName),
		StackName:    in.StackName,
		TemplateBody: in.TemplateBody,
	})
	var taken *deploy.PriorityTakenError
	if errors.As(err, &taken) {
		hint := ""
		if taken.Free != 0 {
			hint = fmt.Sprintf(" (the next free one is %d)", taken.Free)
		}
		return badInput(fmt.Errorf("--priority: %w%s", err, hint))
	}
	if err != nil {
		return err
	}
	if check.Priority != stack.RulePriority(*cfg) {
		if cfg.Environment.Priority == 0 && !check.Kept {
			fmt.Fprintf(c.App.ErrWriter, "Listener rule priority: %d, the first free one for stack %s (--priority sets another)\n", check.Priority, in.StackName)
		}
		cfg.Environment.Priority = check.Priority
		body, _, err := renderDocument(*cfg)
		if err != nil {
			return err
		}
		in.TemplateBody = string(body)
	}
	for _, w := range check.Warnings {
		fmt.Fprintf(c.App.ErrWriter, "cfnfargate: warning: %s\n", w)
	}
	return nil
}

// environmentOutputNames are the outputs of an environment's stack, as
// this version writes them.
func environmentOutputNames(name string) []string {
	cfg := stack.Default()
	cfg.Environment.Name = name
	doc, err := stack.BuildEnvironment(cfg)
	if err != nil {
		return nil
	}
	outputs, _ := doc["Outputs"].(map[string]any)
	names := make([]string, 0, len(outputs))
	for k := range outputs {
		names = append(names, k)
	}
	return names
}
