package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/deploy"
	"github.com/cfnfargate/cfnfargate/stack/preflight"
)

// stackKind is what a stack's network is for, as the pre-flight sees it.
type stackKind int

const (
	// serviceStack is a service with a load balancer of its own.
	serviceStack stackKind = iota
	// environmentService is a service in a shared environment, whose
	// network comes from the environment's stack.
	environmentService
	// environmentStack is an environment's own stack: a load balancer,
	// and subnets each service chooses from.
	environmentStack
)

// kindOf is the kind of a service's stack.
func kindOf(cfg stack.Config) stackKind {
	if cfg.Environment.Shared() {
		return environmentService
	}
	return serviceStack
}

// networkHints say how to find the network's values when a new stack
// lacks them (deploy.Input.ParameterHints).
var networkHints = map[string]string{
	stack.ParamVpcID:            "without --vpc-id and subnets, deploy uses the region's default VPC; list the subnets with: aws ec2 describe-subnets --query 'Subnets[].[VpcId,SubnetId,AvailabilityZone,MapPublicIpOnLaunch]' --output table",
	stack.ParamPublicSubnetIDs:  "give at least two, in different Availability Zones, whose route table sends 0.0.0.0/0 to an internet gateway",
	stack.ParamPrivateSubnetIDs: "give subnets with a route out through a NAT gateway, or run the tasks in the public subnets with public IPs: --public-tasks",
}

// looked is what the pre-flight learnt that the command says once the
// deploy or diff goes ahead.
type looked struct {
	// httpOnly: the load balancer serves HTTP only (no certificate).
	httpOnly bool
	region   string
	// choices are the lines that say what the default VPC gave a new
	// stack (useDefaultVPC), said once the change set is made.
	choices []string
	// alarmsDenied is set when the credentials may not read the alarms
	// (warned about once, by alarmsDeniedAsNone).
	alarmsDenied atomic.Bool
}

// sayChoices writes the default VPC's choices on w, once.
func (l *looked) sayChoices(w io.Writer) {
	for _, c := range l.choices {
		fmt.Fprintf(w, "cfnfargate: %s\n", c)
	}
	l.choices = nil
}

// httpOnlyNote says, on w, that traffic is not encrypted and how to add
// HTTPS, when the pre-flight found no certificate.
func (l *looked) httpOnlyNote(w io.Writer) {
	if l == nil || !l.httpOnly {
		return
	}
	fmt.Fprintf(w, "cfnfargate: no certificate: the load balancer serves HTTP only, and traffic to it is not encrypted. "+
		"To add HTTPS, deploy again with --certificate-arn ARN (an issued ACM certificate in %s for your domain), "+
		"or with --domain-name and --hosted-zone-id to have the stack create and validate one\n", l.region)
}

// lookAt is what lookFirst looks at: the settings of a stack of kind.
type lookAt struct {
	settings *resolved
	kind     stackKind
	// label names where a finding's field got its value, on a create or
	// an update; nil names the flag (findingLabel).
	label func(field string, create bool) string
	// looked, when not nil, gets what the command says once the deploy
	// goes ahead.
	looked *looked
}

// lookFirst is the pre-flight of a deploy or diff (deploy.Input.Preflight)
// of a stack as a says. On a create that names no network it takes the
// region's default VPC, keeps the lines that say each choice in a.looked
// (said once the change set is made) and the setting public-tasks it
// chose in the settings; with the tasks in public subnets and no private
// ones given, the private list repeats the public one. Then it checks the
// account (package preflight): problems come back keyed by where their
// value came from, and warnings go to stderr.
func lookFirst(c *cli.Context, clients *deploy.Clients, a lookAt) func(context.Context, deploy.Prospect) (*deploy.Findings, error) {
	stderr := c.App.ErrWriter
	s, kind, l := a.settings, a.kind, a.looked
	if l == nil {
		l = &looked{}
	}
	return func(ctx context.Context, p deploy.Prospect) (*deploy.Findings, error) {
		label := func(field string) string {
			if a.label != nil {
				return a.label(field, p.Create)
			}
			return findingLabel(*s, field)
		}
		cfg := s.Config
		found := &deploy.Findings{Parameters: map[string]string{}}
		values := maps.Clone(p.Parameters)
		set := func(name, value string) {
			found.Parameters[name], values[name] = value, value
		}
		ec2 := preflight.NewEC2(clients.Config, clients.EndpointURL)
		noNetwork := values[stack.ParamVpcID] == "" && values[stack.ParamPublicSubnetIDs] == "" && values[stack.ParamPrivateSubnetIDs] == ""
		if kind == serviceStack && p.Create && noNetwork {
			if err := useDefaultVPC(ctx, l, ec2, clients.Region, s, label, found, set); err != nil {
				return nil, err
			}
			cfg = s.Config
		}
		publicTasks := values[stack.ParamAssignPublicIP] == "ENABLED"
		if kind == serviceStack && publicTasks && !cfg.LoadBalancer.Internal && values[stack.ParamPrivateSubnetIDs] == "" && values[stack.ParamPublicSubnetIDs] != "" {
			// The parameter is a required list, unused with public tasks;
			// the public subnets are a value the console accepts too.
			set(stack.ParamPrivateSubnetIDs, values[stack.ParamPublicSubnetIDs])
		}

		req := preflight.Request{Region: clients.Region}
		network := &preflight.Network{
			VpcID:          values[stack.ParamVpcID],
			PublicSubnets:  splitList(values[stack.ParamPublicSubnetIDs]),
			PrivateSubnets: splitList(values[stack.ParamPrivateSubnetIDs]),
		}
		if kind != environmentService {
			network.Balancer = stack.ParamPublicSubnetIDs
			if cfg.LoadBalancer.Internal {
				network.Balancer = stack.ParamPrivateSubnetIDs
			}
		}
		if kind != environmentStack {
			network.Tasks = stack.ParamPrivateSubnetIDs
			if publicTasks {
				network.Tasks = stack.ParamPublicSubnetIDs
			}
			req.Image = values[stack.ParamContainerImage]
			for _, secret := range cfg.Container.Secrets {
				// An ARN as given, or a name in the stack's region; the
				// JSON key or version after a Secrets Manager secret is
				// not the secret's.
				src, err := stack.ParseSecret(secret.From)
				if err != nil {
					continue // the settings' check reported it
				}
				from := src.Name
				switch {
				case src.ByARN:
					from = src.ARN(src.Partition, "", "")
				case src.Service == stack.ServiceSecretsManager:
					from = stack.SecretsManagerPrefix + src.Name
				}
				req.Secrets = append(req.Secrets, preflight.SecretUse{Name: secret.Name, ValueFrom: from})
			}
			if !l.alarmsDenied.Load() {
				req.RollbackAlarms = cfg.Deployment.RollbackAlarms
			}
		}
		req.Network = network
		if kind != environmentService {
			for _, name := range slices.Sorted(maps.Keys(values)) {
				if !strings.HasPrefix(name, stack.ParamCertificateArn) || values[name] == "" {
					continue
				}
				use := preflight.CertificateUse{Field: name, ARN: values[name]}
				if name == stack.ParamCertificateArn {
					use.Domain = cfg.Domain.Name
				}
				req.Certificates = append(req.Certificates, use)
			}
		}
		if needsAccount(req) && clients.STS != nil {
			if id, err := clients.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err == nil {
				req.Account = aws.ToString(id.Account)
			}
		}
		checks := preflight.Clients{
			EC2:            ec2,
			SecretsManager: preflight.NewSecretsManager(clients.Config, clients.EndpointURL),
		}
		if clients.ACM != nil {
			checks.ACM = clients.ACM
		}
		if clients.SSM != nil {
			checks.SSM = clients.SSM
		}
		if clients.ECR != nil {
			checks.ECR = clients.ECR
		}
		if clients.CloudWatch != nil {
			checks.CloudWatch = clients.CloudWatch
		}
		rep, err := preflight.Check(ctx, checks, req)
		if err != nil {
			return nil, err
		}
		for _, f := range rep.Problems {
			found.Problems = append(found.Problems, stack.Problem{Key: label(f.Field), Message: findingMessage(f)})
		}
		for _, f := range rep.Warnings {
			where := ""
			if f.Field != "" {
				where = label(f.Field) + ": "
			}
			fmt.Fprintf(stderr, "cfnfargate: warning: %s%s\n", where, findingMessage(f))
		}
		l.httpOnly = kind == serviceStack && cfg.AllowsHTTPOnly() && values[stack.ParamCertificateArn] == ""
		l.region = clients.Region
		return found, nil
	}
}

// useDefaultVPC completes a new stack that names no network with the
// region's default VPC: its public subnets for the load balancer, its
// private ones for the tasks, or the public ones with public IPs when it
// has none. It keeps a line for each choice in l, for the command to say
// when the run goes ahead, and the public-tasks setting it chose in s, as
// if given, so that the settings record it.
func useDefaultVPC(ctx context.Context, l *looked, ec2 preflight.EC2API, region string, s *resolved, label func(string) string, found *deploy.Findings, set func(name, value string)) error {
	n, err := preflight.FindDefaultNetwork(ctx, ec2, region)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		found.Hints = map[string]string{stack.ParamVpcID: fmt.Sprintf("the default VPC of %s could not be read (%v): give the network", region, err)}
		return nil
	}
	if n == nil {
		found.Hints = map[string]string{stack.ParamVpcID: region + " has no default VPC to use instead: create one (aws ec2 create-default-vpc), or give the network; list the subnets with: aws ec2 describe-subnets --output table"}
		return nil
	}
	var publicTasks *bool
	if s.Given[stack.KeyPublicTasks] || s.Hardened[stack.KeyPublicTasks] {
		// Given, or kept off by --hardened: its template allows no public
		// IPs (ECS.2), so the tasks need private subnets with a route out.
		publicTasks = aws.Bool(s.Config.Service.PublicTasks)
	}
	choice, problems := n.Choose(s.Config.LoadBalancer.Internal, publicTasks)
	for _, f := range problems {
		message := findingMessage(f)
		if s.Hardened[stack.KeyPublicTasks] && slices.Contains(f.Settings, stack.KeyPublicTasks) {
			message += fmt.Sprintf("; %s runs the tasks without public IPs (ECS.2): give private subnets with a route out (a NAT gateway or VPC endpoints), or --public-tasks to break that control", s.label(stack.KeyHardened))
		}
		found.Problems = append(found.Problems, stack.Problem{Key: label(f.Field), Message: message})
	}
	if len(problems) > 0 {
		found.Hints = map[string]string{stack.ParamVpcID: fmt.Sprintf("the default VPC %s of %s cannot hold the stack, as said below", n.VpcID, region)}
		return nil
	}
	set(stack.ParamVpcID, choice.VpcID)
	set(stack.ParamPublicSubnetIDs, strings.Join(subnetIDs(choice.PublicSubnets), ","))
	set(stack.ParamPrivateSubnetIDs, strings.Join(subnetIDs(choice.PrivateSubnets), ","))
	say := func(format string, args ...any) { l.choices = append(l.choices, fmt.Sprintf(format, args...)) }
	say("no --vpc-id or subnets given: using the default VPC %s of %s", choice.VpcID, region)
	balancer, in := "the load balancer in the VPC's public subnets", choice.PublicSubnets
	if s.Config.LoadBalancer.Internal {
		balancer, in = "the internal load balancer in the VPC's private subnets", choice.PrivateSubnets
	}
	say("%s %s", balancer, describeSubnets(in))
	if choice.PublicTasks {
		if !s.Given[stack.KeyPublicTasks] {
			set(stack.ParamAssignPublicIP, "ENABLED")
			s.Config.Service.PublicTasks = true
			s.Given[stack.KeyPublicTasks] = true
			say("the tasks in the public subnets, with public IPs (--public-tasks): no subnet of the VPC has a route out through a NAT gateway or VPC endpoints")
		} else {
			say("the tasks in the public subnets, with public IPs (--public-tasks)")
		}
		return nil
	}
	say("the tasks in the VPC's private subnets %s, which have a route out without public IPs", describeSubnets(choice.PrivateSubnets))
	return nil
}

// describeSubnets lists subnets with their Availability Zones.
func describeSubnets(subnets []preflight.Subnet) string {
	var parts []string
	for _, sn := range subnets {
		parts = append(parts, sn.ID+" ("+sn.AvailabilityZone+")")
	}
	return strings.Join(parts, ", ")
}

func subnetIDs(subnets []preflight.Subnet) []string {
	var ids []string
	for _, sn := range subnets {
		ids = append(ids, sn.ID)
	}
	return ids
}

// needsAccount reports whether a check of req reads the caller's account:
// an ECR image, or an SSM parameter named by ARN.
func needsAccount(req preflight.Request) bool {
	if strings.Contains(req.Image, ".dkr.ecr") {
		return true
	}
	return slices.ContainsFunc(req.Secrets, func(s preflight.SecretUse) bool { return strings.Contains(s.ValueFrom, ":ssm:") })
}

// findingLabel names the input a finding's field stands for: the flag of
// a parameter (or the config key or variable that gave it), or a
// setting's flag.
func findingLabel(s resolved, field string) string {
	switch {
	case field == "":
		return ""
	case strings.HasPrefix(field, stack.ParamCertificateArn) && field != stack.ParamCertificateArn:
		return s.label("extra-certificate-arn")
	}
	if flag, ok := parameterFlagNames[field]; ok {
		return s.label(strings.TrimPrefix(flag, "--"))
	}
	return s.label(field)
}

// findingMessage is a finding's message with the flags of the settings
// that would fix it.
func findingMessage(f preflight.Finding) string {
	if len(f.Settings) == 0 {
		return f.Message
	}
	var flags []string
	for _, k := range f.Settings {
		flags = append(flags, "--"+k)
	}
	return f.Message + " (" + strings.Join(flags, ", ") + ")"
}

// lookAt is what the pre-flight of r looks at, with the settings s (r's,
// or a copy) and l for what the command says once the deploy goes ahead.
func (r *stackRun) lookAt(s *resolved, l *looked) lookAt {
	return lookAt{settings: s, kind: kindOf(s.Config), label: r.fieldLabel, looked: l}
}

// fieldLabel names where the value of a pre-flight finding's field came
// from, as the settings' problems name it: a setting's source (its flag,
// variable, config key and line, or the release it was kept from), a
// parameter flag's, or, for a parameter that an update of an existing
// stack is not given, the stack that keeps it.
func (r *stackRun) fieldLabel(field string, create bool) string {
	if field == "" {
		return ""
	}
	key := field
	if k, ok := stack.ParameterSettings()[field]; ok {
		key = k // ContainerImage is image, AssignPublicIp public-tasks
	}
	if _, ok := stack.LookupSetting(key); ok {
		if l := r.sources[key].label; l != "" {
			return l
		}
		return "--" + key
	}
	flag := strings.TrimPrefix(findingLabel(resolved{}, field), "--")
	if !create && r.remembered != nil && !r.given[field] && !r.settings.Config.Environment.Shared() {
		return fmt.Sprintf("%s, kept from the stack (give --%s)", flag, flag)
	}
	return r.settings.label(flag)
}

// prospect is what a deploy of r would be about to do, as the pre-flight
// sees it, made here for a run that makes no change set (lookAnyway): on
// an update the stack's parameters under those the run gives; on a
// create the settings' parameter values (the template's defaults) under
// them; without a stack looked up, only what the run gives (and no
// default VPC is chosen).
func (r *stackRun) prospect() deploy.Prospect {
	p := deploy.Prospect{Parameters: map[string]string{}}
	switch {
	case r.known && r.remembered != nil:
		for name, v := range r.remembered.Parameters {
			if v != maskedParameter {
				p.Parameters[name] = parameterListValue(v)
			}
		}
	case r.known:
		p.Create = true
		all := map[string]bool{}
		for _, row := range settings {
			all[row.Key] = true
		}
		maps.Copy(p.Parameters, stack.SettingParameters(r.settings.Config, all))
	}
	maps.Copy(p.Parameters, r.in.Parameters)
	return p
}

// maskedParameter is how CloudFormation shows a NoEcho parameter's value.
const maskedParameter = "****"

// parameterListValue is a list parameter's value as DescribeStacks gives
// it, comma-separated; moto gives a Python list, ['a', 'b'] (as the
// deployer's own prospect reads it).
func parameterListValue(v string) string {
	if !strings.HasPrefix(v, "[") || !strings.HasSuffix(v, "]") {
		return v
	}
	var items []string
	for _, item := range strings.Split(v[1:len(v)-1], ",") {
		items = append(items, strings.Trim(strings.TrimSpace(item), `'"`))
	}
	return strings.Join(items, ",")
}

// lookAnyway is the pre-flight of a run whose input has problems: the
// reads a deploy makes before its change set (lookFirst), made now, so
// that their problems come in the same list; they change nothing. Its
// prospect is made here (stackRun.prospect), as no change set is made;
// what the default VPC would give is not said, as the run does not go
// ahead, but a new stack it cannot give a network is. Without AWS access
// that works (no credentials, another --account), it reads nothing, and
// the problems already found stand.
func lookAnyway(c *cli.Context) lookFunc {
	return func(ctx context.Context, run *stackRun) []stack.Problem {
		clients, _, err := operationOf(c).clients(ctx)
		if err != nil {
			return nil
		}
		p := run.prospect()
		s := run.settings
		s.Given = maps.Clone(s.Given) // the default VPC's choice is not the run's
		f, err := lookFirst(c, clients, run.lookAt(&s, nil))(ctx, p)
		if err != nil || f == nil {
			return nil
		}
		// The parameters still missing first, as the deployer says them:
		// a hint may refer to the problems below.
		var problems []stack.Problem
		for _, name := range slices.Sorted(maps.Keys(f.Hints)) {
			if p.Parameters[name] == "" && f.Parameters[name] == "" {
				flag := parameterFlagNames[name]
				problems = append(problems, stack.Problem{Key: s.label(strings.TrimPrefix(flag, "--")), Message: requiredMessage(name, flag) + "; " + f.Hints[name]})
			}
		}
		return append(problems, f.Problems...)
	}
}

// requiredMessage says that parameter name, set with flag, is missing,
// as the deployer says it.
func requiredMessage(name, flag string) string {
	return fmt.Sprintf("parameter %s is required to create a stack and the template has no default for it; set it with %s", name, flag)
}

// alarmsDeniedAsNone answers a DescribeAlarms the credentials may not
// make as if no alarm were in ALARM, and warns once, naming the action:
// the deploy goes on without the blue/green firing check, as it goes on
// without the pre-flight's other reads, and the pre-flight does not read
// the alarms again (looked.alarmsDenied).
type alarmsDeniedAsNone struct {
	deploy.AlarmsAPI
	stderr io.Writer
	looked *looked
}

// readingAlarms is dl whose alarm reads treat a denied call as above.
func readingAlarms(dl deploy.Delivery, stderr io.Writer, l *looked) deploy.Delivery {
	if dl.CloudWatch != nil {
		dl.CloudWatch = &alarmsDeniedAsNone{AlarmsAPI: dl.CloudWatch, stderr: stderr, looked: l}
	}
	return dl
}

func (a *alarmsDeniedAsNone) DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	out, err := a.AlarmsAPI.DescribeAlarms(ctx, in, opts...)
	if err == nil || !preflight.Denied(err) {
		return out, err
	}
	if a.looked.alarmsDenied.CompareAndSwap(false, true) {
		fmt.Fprintln(a.stderr, "cfnfargate: warning: could not check the rollback alarms: the credentials may not call cloudwatch:DescribeAlarms; the deploy goes on without this check")
	}
	return &cloudwatch.DescribeAlarmsOutput{}, nil
}
