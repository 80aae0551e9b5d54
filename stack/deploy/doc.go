// Package deploy puts a compiled template into CloudFormation and reports what
// happens while it does.
//
// Every change goes through a change set, so Diff and Deploy show the same
// plan. While a stack operation runs, the Deployer polls the stack and its new
// events and sends them, as [Event] values, to a [Sink]; package
// deploy/progress renders them for a terminal or a CI log. The Deployer never
// prints and never exits: it returns errors whose types carry an exit code
// (see [ExitCode]) and, where the user can act on them, the next steps as
// data (see [NextSteps]), never as command lines: only the caller knows its
// flags and which account, region and endpoint the user chose.
//
// A command validates its flags, builds a client and a renderer, and acts:
//
// A caller's own checks use its own labels, as here, flags. The problems
// the Deployer finds in its input itself are keyed by field (FieldStackName,
// FieldRegion, ...), for the caller to map to its names.
//
//	var check deploy.Check // collects every problem, then one *stack.ValidationError
//	check.StackName("--stack", name)
//	check.VPCID("--vpc-id", vpc)
//	check.Subnets("--public-subnets", publicSubnets, 2)
//	params := check.Parameters("--parameter", c.StringSlice("parameter"))
//	if err := check.Err(); err != nil {
//		return err // exit 2
//	}
//	clients, err := deploy.NewClients(ctx, deploy.ClientOptions{Region: region, Profile: profile}) // *CredentialsError: none
//	sink := progress.New(os.Stderr, progress.Detect(os.Stderr, os.Getenv))
//	res, err := clients.Deployer(sink).Deploy(ctx, deploy.Input{
//		StackName: name, TemplateBody: body, Parameters: params, ...
//	})
//
// and maps the error to its exit status with [ExitCode].
//
// Besides CloudFormation, a Deployer may hold IAM and Elastic Load
// Balancing clients, for what CloudFormation itself gets wrong: before a
// create, Deploy makes sure the service-linked roles of ECS (and of
// Application Auto Scaling, for a template that scales; before an update,
// only the latter) exist, because ECS creates its role and uses it before
// IAM has spread it; and Delete
// refuses a stack whose load balancer has deletion protection, because
// CloudFormation would delete the service before failing at the load
// balancer. Either client may be nil, which skips its step. Deploy also
// stops before executing a change set that replaces resources whose
// replacement needs a decision ([Plan.Replacements]), unless the Input
// allows or confirms it.
package deploy
