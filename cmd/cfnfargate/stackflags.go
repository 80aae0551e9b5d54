package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/deploy"
	"github.com/cfnfargate/cfnfargate/stack/deploy/progress"
	"github.com/cfnfargate/cfnfargate/stack/format"
)

// awsFlags select the AWS account, region and endpoint. Without them the
// SDK's own chain applies: AWS_PROFILE, AWS_REGION, SSO, AWS_ENDPOINT_URL
// and AWS_ENDPOINT_URL_CLOUDFORMATION.
func awsFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "stack", Usage: "stack `NAME`", EnvVars: []string{envName("stack")}},
		&cli.StringFlag{Name: "region", Usage: "AWS `REGION` (default: from AWS_REGION or the profile)", EnvVars: []string{envName("region")}},
		&cli.StringFlag{Name: "profile", Usage: "AWS shared-config `PROFILE` (default: AWS_PROFILE)", EnvVars: []string{envName("profile")}},
		&cli.StringFlag{Name: "endpoint-url", Usage: "endpoint `URL` of every AWS API used (CloudFormation, IAM, ELB), e.g. for an emulator (default: AWS_ENDPOINT_URL)", EnvVars: []string{envName("endpoint_url")}},
	}
}

// parameterFlags set the template parameters that have no built-in default.
func parameterFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "vpc-id", Usage: "the VpcId parameter: the existing `VPC`", EnvVars: []string{envName("vpc-id")}},
		&cli.StringSliceFlag{Name: "public-subnets", Usage: "the PublicSubnetIds parameter: `SUBNETS`, comma-separated, at least two", EnvVars: []string{envName("public-subnets")}},
		&cli.StringSliceFlag{Name: "private-subnets", Usage: "the PrivateSubnetIds parameter: `SUBNETS`, comma-separated", EnvVars: []string{envName("private-subnets")}},
		&cli.StringFlag{Name: "certificate-arn", Usage: "the CertificateArn parameter: an ACM certificate `ARN`", EnvVars: []string{envName("certificate-arn")}},
		&cli.StringSliceFlag{Name: "parameter", Usage: "any other template parameter, `NAME=VALUE`, repeatable", EnvVars: []string{envName("parameter")}},
		&cli.StringFlag{Name: "role-arn", Usage: "IAM `ROLE` CloudFormation assumes for the stack operations", EnvVars: []string{envName("role-arn")}},
	}
}

// parameterFlagNames name the flag of each parameter, for error messages.
var parameterFlagNames = map[string]string{
	stack.ParamVpcID:            "--vpc-id",
	stack.ParamPublicSubnetIDs:  "--public-subnets",
	stack.ParamPrivateSubnetIDs: "--private-subnets",
	stack.ParamCertificateArn:   "--certificate-arn",
	stack.ParamContainerImage:   "--image",
	stack.ParamDesiredCount:     "--desired-count",
	stack.ParamAssignPublicIP:   "--public-tasks",
}

var certificateArn = regexp.MustCompile(stack.CertificateArnPattern)

// stackInput reads the settings and the stack flags of deploy and diff,
// checks all of them, and returns the deploy input. Every problem is
// reported at once, and nothing is sent to AWS when there is one.
func stackInput(c *cli.Context) (deploy.Input, error) {
	var problems []string
	s, err := readSettings(c)
	var settingsProblems *problemsError
	switch {
	case errors.As(err, &settingsProblems):
		problems = append(problems, settingsProblems.problems...)
	case err != nil:
		return deploy.Input{}, err // an unreadable config file
	}

	var check deploy.Check
	check.StackName("--stack", c.String("stack"))
	check.VPCID("--vpc-id", c.String("vpc-id"))
	public, private := trimAll(c.StringSlice("public-subnets")), trimAll(c.StringSlice("private-subnets"))
	// The load balancer needs two subnets in different zones: the public
	// ones, or the private ones when it is internal.
	if s.Config.LoadBalancer.Internal {
		check.Subnets("--public-subnets", public, 1)
		check.Subnets("--private-subnets", private, 2)
	} else {
		check.Subnets("--public-subnets", public, 2)
		check.Subnets("--private-subnets", private, 1)
	}
	check.DisjointSubnets("--public-subnets", public, "--private-subnets", private)
	if arn := c.String("certificate-arn"); arn != "" && !certificateArn.MatchString(arn) {
		check.Add("--certificate-arn", "%q is not an ACM certificate ARN; expected arn:aws:acm:REGION:ACCOUNT:certificate/ID", arn)
	} else if arn != "" {
		// The region as the SDK will resolve it, read from the flags, the
		// environment and the profile without calling AWS. A configuration
		// that does not load is reported when the client is made.
		region, err := deploy.Region(c.Context, deploy.ClientOptions{Region: c.String("region"), Profile: c.String("profile")})
		if err == nil {
			check.CertificateRegion("--certificate-arn", arn, region)
		}
	}
	check.RoleARN("--role-arn", c.String("role-arn"))
	params := check.Parameters("--parameter", c.StringSlice("parameter"))
	if c.IsSet("timeout") && c.Duration("timeout") <= 0 {
		check.Add("--timeout", "%s is not a positive duration; give one such as 30m or 1h", c.Duration("timeout"))
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
	}
	var inputErr *deploy.InputError
	if errors.As(check.Err(), &inputErr) {
		for _, p := range inputErr.Problems {
			problems = append(problems, p.String())
		}
	}
	if len(problems) > 0 {
		return deploy.Input{}, badInput(&problemsError{title: "invalid input", problems: problems})
	}
	printWarnings(c.App.ErrWriter, s.Config.Warnings())

	for name, value := range map[string]string{
		stack.ParamVpcID:            c.String("vpc-id"),
		stack.ParamPublicSubnetIDs:  strings.Join(public, ","),
		stack.ParamPrivateSubnetIDs: strings.Join(private, ","),
		stack.ParamCertificateArn:   c.String("certificate-arn"),
	} {
		if value != "" || (name == stack.ParamCertificateArn && c.IsSet("certificate-arn")) {
			params[name] = value
		}
	}
	// Settings that are also parameters are sent when the user gave them;
	// otherwise an update would keep the previous value and change only the
	// parameter's default.
	declared, _ := doc["Parameters"].(map[string]any)
	for key, param := range map[string]string{
		stack.KeyImage:        stack.ParamContainerImage,
		stack.KeyDesiredCount: stack.ParamDesiredCount,
		stack.KeyPublicTasks:  stack.ParamAssignPublicIP,
	} {
		p, ok := declared[param].(map[string]any)
		if !s.Given[key] || !ok {
			continue
		}
		params[param] = fmt.Sprint(p["Default"])
	}

	tags := map[string]string{}
	for _, t := range s.Config.Tags {
		tags[t.Key] = t.Value
	}
	return deploy.Input{
		StackName:      c.String("stack"),
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

// renderDocument builds the template as YAML and as a document.
func renderDocument(cfg stack.Config) ([]byte, format.Document, error) {
	t, err := stack.Build(cfg)
	if err != nil {
		return nil, nil, badInput(err)
	}
	doc, err := format.FromGoformation(t)
	if err != nil {
		return nil, nil, err
	}
	body, err := format.YAML(doc)
	return body, doc, err
}

// withDeployer runs act with a deployer connected to CloudFormation, IAM
// and Elastic Load Balancing, whose progress goes to stdout, and a context
// that the first Ctrl-C cancels.
func withDeployer(c *cli.Context, act func(ctx context.Context, d *deploy.Deployer) error) error {
	ctx, stop := interruptible(c.Context, c.App.ErrWriter)
	defer stop()
	clients, err := deploy.NewClients(ctx, deploy.ClientOptions{
		Region:      c.String("region"),
		Profile:     c.String("profile"),
		EndpointURL: c.String("endpoint-url"),
	})
	if err != nil {
		return err
	}
	opts := progress.Options{}
	if f, ok := c.App.Writer.(*os.File); ok {
		opts = progress.Detect(f, os.Getenv)
	}
	return act(ctx, clients.Deployer(progress.New(c.App.Writer, opts)))
}

// interruptible returns a context that the first Ctrl-C cancels, so that
// the deployer can cancel an update and show the rollback; a second Ctrl-C
// exits at once with status 130.
func interruptible(parent context.Context, stderr io.Writer) (context.Context, func()) {
	ctx, cancel := context.WithCancel(parent)
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt)
	done := make(chan struct{})
	go func() {
		select {
		case <-signals:
			fmt.Fprintln(stderr, "\ncfnfargate: interrupted; press Ctrl-C again to exit at once")
			cancel()
		case <-done:
			return
		}
		select {
		case <-signals:
			fmt.Fprintln(stderr, "cfnfargate: interrupted again, exiting")
			os.Exit(exitInterrupted)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(signals)
		close(done)
		cancel()
	}
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
