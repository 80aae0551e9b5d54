package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/internal/lazyregexp"
	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/deploy"
	"github.com/cfnfargate/cfnfargate/stack/deploy/progress"
	"github.com/cfnfargate/cfnfargate/stack/format"
)

// awsFlags are the flags of every command that works on a stack: the
// stack, the config file, which can hold any flag, and AWS access. Without
// the access flags the SDK's own chain applies: AWS_PROFILE, AWS_REGION,
// SSO, AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_CLOUDFORMATION.
func awsFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "stack", Usage: "stack `NAME`", EnvVars: []string{envName("stack")}},
		configFlag(),
		&cli.StringFlag{Name: "region", Usage: "AWS `REGION` (default: from AWS_REGION or the profile)", EnvVars: []string{envName("region")}},
		&cli.StringFlag{Name: "profile", Usage: "AWS shared-config `PROFILE` (default: AWS_PROFILE)", EnvVars: []string{envName("profile")}},
		&cli.StringFlag{Name: "endpoint-url", Usage: "endpoint `URL` of every AWS API used (CloudFormation, IAM, ELB), e.g. for an emulator (default: AWS_ENDPOINT_URL)", EnvVars: []string{envName("endpoint_url")}},
		&cli.BoolFlag{Name: "debug", Usage: "print the AWS SDK's own log lines (retries, warnings) on stderr", EnvVars: []string{envName("debug")}},
		&cli.StringFlag{Name: "account", Usage: "the AWS account `ID` the credentials must belong to; another account is refused before anything is sent (a guard for environments in other accounts)",
			EnvVars: []string{envName("account")}},
	}
}

// accountPattern is an AWS account ID: 12 digits.
var accountPattern = lazyregexp.New(`^[0-9]{12}$`)

// checkAccount refuses credentials of another account than --account.
func checkAccount(ctx context.Context, c *cli.Context, clients *deploy.Clients) error {
	want := c.String("account")
	if want == "" {
		return nil
	}
	if !accountPattern.MatchString(want) {
		return badInput(fmt.Errorf("--account: %q is not an AWS account ID: 12 digits", want))
	}
	return deploy.CheckAccount(ctx, clients.STS, want)
}

// parameterFlags set the template parameters that have no built-in default.
func parameterFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "vpc-id", Usage: "the VpcId parameter: the existing `VPC`", EnvVars: []string{envName("vpc-id")}},
		listFlag("public-subnets", "the PublicSubnetIds parameter: `SUBNETS`, comma-separated or repeated, at least two"),
		listFlag("private-subnets", "the PrivateSubnetIds parameter: `SUBNETS`, comma-separated or repeated"),
		&cli.StringFlag{Name: "certificate-arn", Usage: "the CertificateArn parameter: an ACM certificate `ARN`", EnvVars: []string{envName("certificate-arn")}},
		listFlag("parameter", "any other template parameter, `NAME=VALUE`, repeatable"),
		&cli.StringFlag{Name: "role-arn", Usage: "IAM `ROLE` CloudFormation assumes for the stack operations", EnvVars: []string{envName("role-arn")}},
	}
}

// listFlag is a repeatable flag. Its variable is read by applyOptions, which
// splits it at commas; the flag itself never splits, so that a value may
// hold a comma.
func listFlag(name, usage string) cli.Flag {
	return &cli.StringSliceFlag{Name: name, Usage: usage + " [$" + envName(name) + "]"}
}

// subnetList splits each value of a subnets flag at its commas: the
// flag, its variable and its config key all take a comma-separated list.
func subnetList(values []string) []string {
	var out []string
	for _, v := range values {
		for _, id := range strings.Split(v, ",") {
			out = append(out, strings.TrimSpace(id))
		}
	}
	return out
}

// parameterFlagNames name the flag of each parameter, for error messages:
// the network and certificate flags, and the settings that are parameters.
var parameterFlagNames = func() map[string]string {
	flags := map[string]string{
		stack.ParamVpcID:            "--vpc-id",
		stack.ParamPublicSubnetIDs:  "--public-subnets",
		stack.ParamPrivateSubnetIDs: "--private-subnets",
		stack.ParamCertificateArn:   "--certificate-arn",
	}
	for param, key := range stack.ParameterSettings() {
		flags[param] = "--" + key
	}
	return flags
}()

// stackInput reads the settings and the stack flags of deploy and diff,
// checks all of them, and returns the deploy input. Every problem is
// reported at once, and nothing is sent to AWS when there is one.
func stackInput(c *cli.Context) (deploy.Input, error) {
	var problems []stack.Problem
	s, err := readSettings(c)
	var settingsProblems *stack.ValidationError
	switch {
	case errors.As(err, &settingsProblems):
		problems = append(problems, settingsProblems.Problems...)
	case err != nil:
		return deploy.Input{}, err // an unreadable config file
	}

	var check deploy.Check
	stackName := serviceStackName(c.String("stack"), s.Config)
	check.StackName(s.label("stack"), stackName)
	public, private := subnetList(c.StringSlice("public-subnets")), subnetList(c.StringSlice("private-subnets"))
	publicLabel, privateLabel := s.label("public-subnets"), s.label("private-subnets")
	if env := s.Config.Environment.Name; s.Config.Environment.Shared() {
		// The environment's stack gives the VPC, the subnets and the
		// listener; a service may still run its tasks in other subnets.
		for _, flag := range []string{"vpc-id", "certificate-arn"} {
			if c.IsSet(flag) {
				check.Add(s.label(flag), "comes from environment %s (its stack %s) for a service in it: leave it out", env, stack.EnvironmentStackName(env))
			}
		}
		if len(public) > 0 {
			check.Subnets(publicLabel, public, 1)
		}
		if len(private) > 0 {
			check.Subnets(privateLabel, private, 1)
		}
		check.DisjointSubnets(publicLabel, public, privateLabel, private)
	} else {
		checkNetwork(&check, c, s, public, private)
	}
	if s.Config.Hardened && !s.Config.Environment.Shared() && s.Config.Domain.Name == "" && c.IsSet("certificate-arn") && c.String("certificate-arn") == "" {
		// The hardened template listens for HTTPS only: it needs a
		// certificate, given or created for the domain.
		check.Add(s.label("certificate-arn"), "is empty, and %s serves HTTPS only: give the ARN of an ACM certificate, or %s for a certificate the stack creates", s.label(stack.KeyHardened), s.label(stack.KeyDomainName))
	}
	if arn := c.String("certificate-arn"); !s.Config.Environment.Shared() && check.CertificateArn(s.label("certificate-arn"), arn) {
		// The region as the SDK will resolve it, read from the flags, the
		// environment and the profile without calling AWS. A configuration
		// that does not load is reported when the client is made.
		region, err := deploy.Region(c.Context, clientOptions(c))
		if err == nil {
			check.CertificateRegion(s.label("certificate-arn"), arn, region)
		}
	}
	check.RoleARN(s.label("role-arn"), c.String("role-arn"))
	params := check.Parameters(s.label("parameter"), c.StringSlice("parameter"))
	if c.IsSet("timeout") { // diff has no --timeout
		check.Timeout(s.label("timeout"), c.Duration("timeout"))
	}

	var body string
	var doc format.Document
	if err == nil {
		b, d, err := renderDocument(s.Config)
		if err != nil {
			return deploy.Input{}, err
		}
		body, doc = string(b), d
		check.TemplateBody(body)
		if err := checkParameterNames(&check, s.label("parameter"), params, body); err != nil {
			return deploy.Input{}, err
		}
	}
	var inputErr *stack.ValidationError
	if errors.As(check.Err(), &inputErr) {
		problems = append(problems, inputErr.Problems...)
	}
	if len(problems) > 0 {
		return deploy.Input{}, &stack.ValidationError{Title: "invalid input", Problems: problems}
	}
	printWarnings(c.App.ErrWriter, s.Config.Warnings())

	network := stack.DeployParameters{
		VpcID:            c.String("vpc-id"),
		PublicSubnetIDs:  public,
		PrivateSubnetIDs: private,
		CertificateArn:   c.String("certificate-arn"),
		// --certificate-arn "" asks for a created certificate.
		CreateCertificate: c.IsSet("certificate-arn") && c.String("certificate-arn") == "",
	}
	maps.Copy(params, network.Values())
	// The parameters of the settings the user gave, and of those --hardened
	// gave (AssignPublicIp), so that an update does not keep a previous
	// value the hardened template no longer allows.
	set := maps.Clone(s.Given)
	maps.Copy(set, s.Hardened)
	maps.Copy(params, stack.SettingParameters(s.Config, set))

	tags := map[string]string{}
	for _, t := range s.Config.Tags {
		tags[t.Key] = t.Value
	}
	if s.Config.Environment.Shared() {
		delete(params, stack.ParamCertificateArn)
	}
	return deploy.Input{
		StackName:      stackName,
		TemplateBody:   body,
		Parameters:     params,
		ParameterFlags: parameterFlagNames,
		Capabilities:   stack.Capabilities(doc),
		Tags:           tags,
		RoleARN:        c.String("role-arn"),
		// Deletion protection on the load balancer alone does not protect
		// the application: deleting the stack removes the service first
		// and fails only at the load balancer. Termination protection
		// stops the delete before it starts.
		TerminationProtection: s.Config.DeletionProtection,
	}, nil
}

// checkNetwork checks the VPC and subnets of a stack with a load balancer
// of its own (a service's, or an environment's): as many subnets as
// cfg.MinSubnets needs, none in both lists.
func checkNetwork(check *deploy.Check, c *cli.Context, s resolved, public, private []string) {
	check.VPCID(s.label("vpc-id"), c.String("vpc-id"))
	minPublic, minPrivate := s.Config.MinSubnets()
	check.Subnets(s.label("public-subnets"), public, minPublic)
	check.Subnets(s.label("private-subnets"), private, minPrivate)
	check.DisjointSubnets(s.label("public-subnets"), public, s.label("private-subnets"), private)
}

// serviceStackName is the stack of a service: given, or NAME-ENVIRONMENT
// for a service in an environment (shop-prod for --name shop in prod).
func serviceStackName(given string, cfg stack.Config) string {
	if given == "" && cfg.Environment.Name != "" {
		return cfg.Name + "-" + cfg.Environment.Name
	}
	return given
}

// checkParameterNames refuses --parameter values that a flag sets, where
// the flag and --parameter would fight over one value, and names the
// template does not declare.
func checkParameterNames(check *deploy.Check, label string, params map[string]string, body string) error {
	if len(params) == 0 {
		return nil
	}
	declared, err := deploy.DeclaredParameters(body)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if flag, ok := parameterFlagNames[name]; ok {
			check.Add(label, "%s=%s: the %s parameter is set with %s; give %s instead of --parameter", name, params[name], name, flag, flag)
			continue
		}
		check.ParameterDeclared(label, name, declared, parameterFlagNames)
	}
	return nil
}

// clientOptions are the AWS access flags.
func clientOptions(c *cli.Context) deploy.ClientOptions {
	return deploy.ClientOptions{
		Region:      c.String("region"),
		Profile:     c.String("profile"),
		EndpointURL: c.String("endpoint-url"),
		Debug:       c.Bool("debug"),
	}
}

// renderDocument builds the template as YAML and as a document.
func renderDocument(cfg stack.Config) ([]byte, format.Document, error) {
	doc, err := stack.Build(cfg)
	if err != nil {
		return nil, nil, badInput(err)
	}
	body, err := format.YAML(doc)
	return body, doc, err
}

// withDeployer runs act with a deployer connected to CloudFormation, IAM
// and Elastic Load Balancing, whose progress goes to stdout, and a context
// that the first Ctrl-C or SIGTERM cancels.
func withDeployer(c *cli.Context, act func(ctx context.Context, d *deploy.Deployer) error) error {
	return withClients(c, func(ctx context.Context, _ *deploy.Clients, d *deploy.Deployer) error { return act(ctx, d) })
}

// withClients is withDeployer for a command that calls other clients too.
func withClients(c *cli.Context, act func(ctx context.Context, clients *deploy.Clients, d *deploy.Deployer) error) error {
	out := newConsole(c.App.Writer, c.App.ErrWriter)
	ctx, stop := interruptible(c.Context, out)
	defer stop()
	clients, err := deploy.NewClients(ctx, clientOptions(c))
	if err != nil {
		return err
	}
	if err := checkAccount(ctx, c, clients); err != nil {
		return err
	}
	opts := progress.Options{}
	if f, ok := c.App.Writer.(*os.File); ok {
		opts = progress.Detect(f, os.Getenv)
	}
	opts.Setting = settingFlag
	err = act(ctx, clients, clients.Deployer(progress.New(out.stdout, opts)))
	// The error that follows goes on a line of its own, not after a live
	// status line.
	out.stdout.endLine()
	return err
}

// printOutputs writes the stack outputs as aligned "key  value" lines.
func printOutputs(w io.Writer, outputs []deploy.Output) {
	if len(outputs) == 0 {
		return
	}
	width := 0
	for _, o := range outputs {
		width = max(width, len(o.Key))
	}
	fmt.Fprintln(w, "Outputs:")
	for _, o := range outputs {
		fmt.Fprintf(w, "  %-*s  %s\n", width, o.Key, o.Value)
	}
}

func timeoutFlag() cli.Flag {
	return &cli.DurationFlag{Name: "timeout", Value: deploy.DefaultTimeout, Usage: "how long to wait for the stack to settle", EnvVars: []string{envName("timeout")}}
}
