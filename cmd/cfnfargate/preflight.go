package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
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
// deploy or diff went through.
type looked struct {
	// httpOnly: the load balancer serves HTTP only (no certificate).
	httpOnly bool
	region   string
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

// lookFirst is the pre-flight of a deploy or diff (deploy.Input.Preflight)
// of a stack of kind, with settings s. On a create that names no network
// it takes the region's default VPC, prints each choice on stderr and
// keeps the setting public-tasks it chose in s; with the tasks in public
// subnets and no private ones given, the private list repeats the public
// one. Then it checks the account (package preflight): problems come back
// keyed by flag, and warnings go to stderr. What the command says after
// the deploy goes in l.
func lookFirst(c *cli.Context, clients *deploy.Clients, s *resolved, kind stackKind, l *looked) func(context.Context, deploy.Prospect) (*deploy.Findings, error) {
	stderr := c.App.ErrWriter
	return func(ctx context.Context, p deploy.Prospect) (*deploy.Findings, error) {
		cfg := s.Config
		found := &deploy.Findings{Parameters: map[string]string{}}
		values := maps.Clone(p.Parameters)
		set := func(name, value string) {
			found.Parameters[name], values[name] = value, value
		}
		ec2 := preflight.NewEC2(clients.Config, clients.EndpointURL)
		noNetwork := values[stack.ParamVpcID] == "" && values[stack.ParamPublicSubnetIDs] == "" && values[stack.ParamPrivateSubnetIDs] == ""
		if kind == serviceStack && p.Create && noNetwork {
			if err := useDefaultVPC(ctx, stderr, ec2, clients.Region, s, found, set); err != nil {
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
		rep, err := preflight.Check(ctx, checks, req)
		if err != nil {
			return nil, err
		}
		for _, f := range rep.Problems {
			found.Problems = append(found.Problems, stack.Problem{Key: findingLabel(*s, f.Field), Message: findingMessage(f)})
		}
		for _, f := range rep.Warnings {
			where := ""
			if f.Field != "" {
				where = findingLabel(*s, f.Field) + ": "
			}
			fmt.Fprintf(stderr, "cfnfargate: warning: %s%s\n", where, findingMessage(f))
		}
		if l != nil {
			l.httpOnly = kind == serviceStack && cfg.AllowsHTTPOnly() && values[stack.ParamCertificateArn] == ""
			l.region = clients.Region
		}
		return found, nil
	}
}

// useDefaultVPC completes a new stack that names no network with the
// region's default VPC: its public subnets for the load balancer, its
// private ones for the tasks, or the public ones with public IPs when it
// has none. It prints each choice on stderr and keeps the public-tasks
// setting it chose in s, as if given, so that the settings record it.
func useDefaultVPC(ctx context.Context, stderr io.Writer, ec2 preflight.EC2API, region string, s *resolved, found *deploy.Findings, set func(name, value string)) error {
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
		found.Problems = append(found.Problems, stack.Problem{Key: findingLabel(*s, f.Field), Message: message})
	}
	if len(problems) > 0 {
		found.Hints = map[string]string{stack.ParamVpcID: fmt.Sprintf("the default VPC %s of %s cannot hold the stack, as said below", n.VpcID, region)}
		return nil
	}
	set(stack.ParamVpcID, choice.VpcID)
	set(stack.ParamPublicSubnetIDs, strings.Join(subnetIDs(choice.PublicSubnets), ","))
	set(stack.ParamPrivateSubnetIDs, strings.Join(subnetIDs(choice.PrivateSubnets), ","))
	fmt.Fprintf(stderr, "cfnfargate: no --vpc-id or subnets given: using the default VPC %s of %s\n", choice.VpcID, region)
	balancer, in := "the load balancer in the VPC's public subnets", choice.PublicSubnets
	if s.Config.LoadBalancer.Internal {
		balancer, in = "the internal load balancer in the VPC's private subnets", choice.PrivateSubnets
	}
	fmt.Fprintf(stderr, "cfnfargate: %s %s\n", balancer, describeSubnets(in))
	if choice.PublicTasks {
		if !s.Given[stack.KeyPublicTasks] {
			set(stack.ParamAssignPublicIP, "ENABLED")
			s.Config.Service.PublicTasks = true
			s.Given[stack.KeyPublicTasks] = true
			fmt.Fprintf(stderr, "cfnfargate: the tasks in the public subnets, with public IPs (--public-tasks): no subnet of the VPC has a route out through a NAT gateway or VPC endpoints\n")
		} else {
			fmt.Fprintf(stderr, "cfnfargate: the tasks in the public subnets, with public IPs (--public-tasks)\n")
		}
		return nil
	}
	fmt.Fprintf(stderr, "cfnfargate: the tasks in the VPC's private subnets %s, which have a route out without public IPs\n", describeSubnets(choice.PrivateSubnets))
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
