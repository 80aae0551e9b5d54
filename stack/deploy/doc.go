// Package deploy puts a compiled template into CloudFormation and reports what
// happens while it does.
//
// Every change goes through a change set, so Diff and Deploy show the same
// plan. While a stack operation runs, the Deployer polls the stack and its new
// events and sends them, as [Event] values, to a [Sink]; package
// deploy/progress renders them for a terminal or a CI log. The Deployer never
// prints and never exits: it returns errors whose types carry an exit code
// (see [ExitCode]).
//
// A command validates its flags, builds a client and a renderer, and acts:
//
//	var check deploy.Check // collects every problem, then one *InputError
//	check.StackName("--stack", name)
//	check.VPCID("--vpc-id", vpc)
//	check.Subnets("--public-subnets", publicSubnets, 2)
//	params := check.Parameters("--parameter", c.StringSlice("parameter"))
//	tags := check.Tags("--tag", c.StringSlice("tag"))
//	if err := check.Err(); err != nil {
//		return err // exit 2
//	}
//	client, err := deploy.NewClient(ctx, deploy.ClientOptions{Region: region, Profile: profile})
//	sink := progress.New(os.Stderr, progress.Detect(os.Stderr, os.Getenv))
//	res, err := deploy.New(client, sink).Deploy(ctx, deploy.Input{
//		StackName: name, TemplateBody: body, Parameters: params, Tags: tags, ...
//	})
//
// and maps the error to its exit status with [ExitCode].
package deploy
