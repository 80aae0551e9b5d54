package copilot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/smithy-go"
)

// StackAPI is the part of the CloudFormation API that ReadDeployed calls.
type StackAPI interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, optFns ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

// ListenerAPI is the part of the Elastic Load Balancing API that
// ReadDeployed calls.
type ListenerAPI interface {
	DescribeListenerCertificates(ctx context.Context, in *elbv2.DescribeListenerCertificatesInput, optFns ...func(*elbv2.Options)) (*elbv2.DescribeListenerCertificatesOutput, error)
}

// CertificateAPI is the part of the ACM API that PickCertificate calls.
type CertificateAPI interface {
	DescribeCertificate(ctx context.Context, in *acm.DescribeCertificateInput, optFns ...func(*acm.Options)) (*acm.DescribeCertificateOutput, error)
}

var (
	_ StackAPI       = (*cloudformation.Client)(nil)
	_ ListenerAPI    = (*elbv2.Client)(nil)
	_ CertificateAPI = (*acm.Client)(nil)
)

// Tags Copilot puts on every stack it deploys.
const (
	tagApp     = "copilot-application"
	tagEnv     = "copilot-environment"
	tagService = "copilot-service"
)

// Deployed is what Copilot deployed for a service: read from its service
// stack (APP-ENV-SVC) and its environment stack (APP-ENV).
type Deployed struct {
	App, Env, Service string
	// ServiceStack and EnvironmentStack are the stacks' names.
	ServiceStack, EnvironmentStack string
	// Region and Account are the service stack's.
	Region, Account string
	// Image is the image the service runs: the service stack's
	// ContainerImage parameter.
	Image string
	// VpcID, PublicSubnets and PrivateSubnets are the environment stack's
	// outputs of those names.
	VpcID          string
	PublicSubnets  []string
	PrivateSubnets []string
	// Certificates are the certificates of the environment load
	// balancer's HTTPS listener (the HTTPSListenerArn output), the default
	// one first; none when the environment has no HTTPS listener.
	Certificates []string
	// CertificateARN is the one the config takes: the default, or after
	// PickCertificate the one that covers the service's alias;
	// CertificateWhy says which, for the config's comment.
	CertificateARN string
	CertificateWhy string
	// Notes say what PickCertificate could not settle.
	Notes []string
}

// DeployedError says what is missing from a stack that ReadDeployed
// expected to be Copilot's.
type DeployedError struct {
	Stack   string
	Message string
}

func (e *DeployedError) Error() string { return "stack " + e.Stack + ": " + e.Message }

// ReadDeployed reads the stacks Copilot deployed for the service whose
// stack is serviceStack. The service stack's tags name its application and
// environment (names may hold hyphens, so APP-ENV-SVC cannot be split), and
// the environment stack is APP-ENV, the name Copilot gives it.
func ReadDeployed(ctx context.Context, cfn StackAPI, elb ListenerAPI, serviceStack string) (*Deployed, error) {
	svc, err := describeStack(ctx, cfn, serviceStack)
	if err != nil {
		return nil, err
	}
	d := &Deployed{ServiceStack: serviceStack}
	for _, t := range svc.Tags {
		switch aws.ToString(t.Key) {
		case tagApp:
			d.App = aws.ToString(t.Value)
		case tagEnv:
			d.Env = aws.ToString(t.Value)
		case tagService:
			d.Service = aws.ToString(t.Value)
		}
	}
	if d.App == "" || d.Env == "" || d.Service == "" {
		return nil, &DeployedError{Stack: serviceStack, Message: fmt.Sprintf("is not a Copilot service stack: it lacks the tags %s, %s and %s that Copilot puts on one", tagApp, tagEnv, tagService)}
	}
	if a, err := arn.Parse(aws.ToString(svc.StackId)); err == nil {
		d.Region, d.Account = a.Region, a.AccountID
	}
	for _, p := range svc.Parameters {
		if aws.ToString(p.ParameterKey) == "ContainerImage" {
			d.Image = aws.ToString(p.ParameterValue)
		}
	}
	if d.Image == "" {
		return nil, &DeployedError{Stack: serviceStack, Message: "has no ContainerImage parameter: it is not the stack of a Copilot Load Balanced Web Service"}
	}

	d.EnvironmentStack = d.App + "-" + d.Env
	env, err := describeStack(ctx, cfn, d.EnvironmentStack)
	if err != nil {
		return nil, err
	}
	outputs := map[string]string{}
	for _, o := range env.Outputs {
		outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	d.VpcID = outputs["VpcId"]
	d.PublicSubnets = splitIDs(outputs["PublicSubnets"])
	d.PrivateSubnets = splitIDs(outputs["PrivateSubnets"])
	if d.VpcID == "" {
		return nil, &DeployedError{Stack: d.EnvironmentStack, Message: "has no VpcId output: it is not a Copilot environment stack"}
	}
	if listener := outputs["HTTPSListenerArn"]; listener != "" {
		certs, err := listenerCertificates(ctx, elb, listener)
		if err != nil {
			return nil, fmt.Errorf("read the certificates of %s's HTTPS listener: %w", d.EnvironmentStack, err)
		}
		d.Certificates = certs
		if len(certs) > 0 {
			d.CertificateARN, d.CertificateWhy = certs[0], "the default certificate of "+d.EnvironmentStack+"'s HTTPS listener"
		}
	}
	return d, nil
}

// listenerCertificates lists a listener's certificates, the default one
// first, reading every page. "If the default certificate is also in the
// certificate list, it appears twice in the results (once with IsDefault
// set to true and once with IsDefault set to false)" (ELB API reference,
// DescribeListenerCertificates), so each is listed once.
func listenerCertificates(ctx context.Context, elb ListenerAPI, listener string) ([]string, error) {
	var def string
	var others []string
	in := &elbv2.DescribeListenerCertificatesInput{ListenerArn: aws.String(listener)}
	for {
		out, err := elb.DescribeListenerCertificates(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, c := range out.Certificates {
			a := aws.ToString(c.CertificateArn)
			if aws.ToBool(c.IsDefault) {
				def = a
			} else if !slices.Contains(others, a) {
				others = append(others, a)
			}
		}
		// The listing is paged by Marker; NextMarker is set while more
		// results remain.
		if aws.ToString(out.NextMarker) == "" {
			break
		}
		in.Marker = out.NextMarker
	}
	others = slices.DeleteFunc(others, func(a string) bool { return a == def })
	if def == "" {
		return others, nil
	}
	return append([]string{def}, others...), nil
}

// PickCertificate chooses, among the listener's certificates, the one the
// config takes. Copilot's environment serves several certificates by SNI
// (http.public.certificates), and the default one need not cover the
// service's alias: with aliases, it takes the first certificate whose
// domain or alternative names cover the first alias (the one the config
// serves), preferring one that covers every alias. Without an alias, or
// when none covers it, it keeps the default and says so in Notes.
func (d *Deployed) PickCertificate(ctx context.Context, api CertificateAPI, aliases []string) {
	if len(d.Certificates) == 0 {
		return
	}
	if len(aliases) == 0 {
		if len(d.Certificates) > 1 {
			d.Notes = append(d.Notes, fmt.Sprintf("%s's HTTPS listener serves %d certificates; the manifest has no alias to choose by, so the config takes the default one. The others: %s", d.EnvironmentStack, len(d.Certificates), strings.Join(d.Certificates[1:], ", ")))
		}
		return
	}
	best, bestCount := "", 0
	for _, c := range d.Certificates {
		names, err := certificateNames(ctx, api, c)
		if err != nil {
			d.Notes = append(d.Notes, fmt.Sprintf("could not read certificate %s (acm:DescribeCertificate): %v; the config takes the default certificate, which may not cover %s", c, err, aliases[0]))
			return
		}
		if !coversAny(names, aliases[0]) {
			continue
		}
		count := 0
		for _, a := range aliases {
			if coversAny(names, a) {
				count++
			}
		}
		if count > bestCount {
			best, bestCount = c, count
		}
	}
	switch {
	case best == "":
		d.Notes = append(d.Notes, fmt.Sprintf("none of the %d certificate(s) of %s's HTTPS listener covers %s: the config takes the default one; request a certificate for it (aws acm request-certificate --domain-name %s --validation-method DNS) and give its ARN as certificate-arn", len(d.Certificates), d.EnvironmentStack, aliases[0], aliases[0]))
	default:
		d.CertificateARN = best
		d.CertificateWhy = fmt.Sprintf("the certificate of %s's HTTPS listener that covers %s", d.EnvironmentStack, aliases[0])
		if bestCount < len(aliases) {
			d.Notes = append(d.Notes, fmt.Sprintf("the certificate %s covers %s but not every alias: the others need a certificate of their own", best, aliases[0]))
		}
	}
}

// certificateNames are the names a certificate covers: its domain name
// and its subject alternative names (ACM API reference, CertificateDetail).
func certificateNames(ctx context.Context, api CertificateAPI, certificate string) ([]string, error) {
	out, err := api.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(certificate)})
	if err != nil {
		return nil, err
	}
	if out.Certificate == nil {
		return nil, nil
	}
	return append([]string{aws.ToString(out.Certificate.DomainName)}, out.Certificate.SubjectAlternativeNames...), nil
}

func coversAny(names []string, host string) bool {
	return slices.ContainsFunc(names, func(n string) bool { return covers(n, host) })
}

// covers reports whether a certificate name covers host. A wildcard must
// be the leftmost label and covers one level, not the domain itself:
// *.example.com covers login.example.com, but not test.login.example.com
// or example.com (ACM user guide, "ACM certificate characteristics",
// wildcard names). DNS names compare without case.
func covers(name, host string) bool {
	name, host = strings.ToLower(strings.TrimSuffix(name, ".")), strings.ToLower(strings.TrimSuffix(host, "."))
	if name == host {
		return true
	}
	suffix, wildcard := strings.CutPrefix(name, "*.")
	if !wildcard {
		return false
	}
	label, parent, found := strings.Cut(host, ".")
	return found && label != "" && parent == suffix
}

func describeStack(ctx context.Context, cfn StackAPI, name string) (*cftypes.Stack, error) {
	out, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && strings.Contains(apiErr.ErrorMessage(), "does not exist") {
		return nil, &DeployedError{Stack: name, Message: "does not exist in this account and region: Copilot names a service's stack APP-ENV-SVC and its environment's APP-ENV (aws cloudformation list-stacks)"}
	}
	if err != nil {
		return nil, fmt.Errorf("describe stack %s: %w", name, err)
	}
	if len(out.Stacks) == 0 {
		return nil, &DeployedError{Stack: name, Message: "does not exist"}
	}
	return &out.Stacks[0], nil
}

// splitIDs splits Copilot's comma-joined subnet outputs.
func splitIDs(s string) []string {
	var out []string
	for _, id := range strings.Split(s, ",") {
		if id = strings.TrimSpace(id); id != "" {
			out = append(out, id)
		}
	}
	return out
}
