package deploy

import (
	"fmt"
	"strings"
	"time"

	"github.com/cfnfargate/cfnfargate/internal/lazyregexp"
	"github.com/cfnfargate/cfnfargate/stack"
)

// Limits CloudFormation enforces on the values checked here.
const (
	// MaxTemplateBody is the TemplateBody limit of CreateChangeSet. Larger
	// templates must be uploaded to S3 and passed as TemplateURL, which
	// cfnfargate does not do.
	MaxTemplateBody = 51200
	maxStackName    = 128
)

var (
	stackNameRE = lazyregexp.New(`^[A-Za-z][A-Za-z0-9-]*$`)
	vpcIDRE     = lazyregexp.New(`^vpc-[0-9a-f]{8}([0-9a-f]{9})?$`)
	subnetIDRE  = lazyregexp.New(`^subnet-[0-9a-f]{8}([0-9a-f]{9})?$`)
	// Partitions: aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, ...; role
	// names may carry a path (role/service/name).
	roleARNRE   = lazyregexp.New(`^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$`)
	paramNameRE = lazyregexp.New(`^[A-Za-z0-9]{1,255}$`)
	// The template's AllowedPattern: CloudFormation would refuse any
	// other value, but only once the change set is created.
	certificateArnRE = lazyregexp.New(stack.CertificateArnPattern)
)

// Check collects problems with command-line input so that all of them are
// reported at once. The zero value is ready to use. Each method checks one
// flag; an empty value is taken to mean "not given" and is not checked,
// because whether a value is required depends on the template and on whether
// the stack exists, which Deploy decides.
type Check struct {
	problems []stack.Problem
}

// Err returns a *stack.ValidationError titled "invalid input" listing every
// problem found, or nil.
func (c *Check) Err() error {
	if len(c.problems) == 0 {
		return nil
	}
	return &stack.ValidationError{Title: "invalid input", Problems: append([]stack.Problem(nil), c.problems...)}
}

// Add records a problem found by the caller's own checks.
func (c *Check) Add(flag, format string, args ...any) {
	c.problems = append(c.problems, stack.Problem{Key: flag, Message: fmt.Sprintf(format, args...)})
}

// StackName checks a stack name: 1 to 128 characters, starting with a
// letter, then letters, digits and hyphens.
func (c *Check) StackName(flag, name string) {
	switch {
	case name == "":
		c.Add(flag, "a stack name is required")
	case len(name) > maxStackName:
		c.Add(flag, "stack name is %d characters long; at most %d are allowed", len(name), maxStackName)
	case !stackNameRE.MatchString(name):
		c.Add(flag, "stack name %q is not allowed; it must start with a letter and contain only letters, digits and hyphens", name)
	}
}

// VPCID checks the shape of a VPC ID: vpc- and 8 or 17 hex digits.
func (c *Check) VPCID(flag, id string) {
	if id != "" && !vpcIDRE.MatchString(id) {
		c.Add(flag, "%q is not a VPC ID; expected vpc- followed by 8 or 17 lowercase hex digits, like vpc-0abc1234def567890", id)
	}
}

// Subnets checks the shape of each subnet ID (subnet- and 8 or 17 hex
// digits), that none is given twice and, when any are given, that at least
// minDistinct different ones are. An Application Load Balancer needs
// subnets in two Availability Zones, so public subnets use minDistinct 2.
func (c *Check) Subnets(flag string, ids []string, minDistinct int) {
	if len(ids) == 0 {
		return
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		switch {
		case !subnetIDRE.MatchString(id):
			c.Add(flag, "%q is not a subnet ID; expected subnet- followed by 8 or 17 lowercase hex digits", id)
		case seen[id]:
			c.Add(flag, "subnet %s is given more than once; each subnet may appear once", id)
		}
		seen[id] = true
	}
	if len(seen) < minDistinct {
		c.Add(flag, "%d distinct subnet(s) given; at least %d different subnets, in different Availability Zones, are needed", len(seen), minDistinct)
	}
}

// Timeout checks how long to wait for a stack operation: a positive
// duration. Deploy and Delete take 0 to mean DefaultTimeout and check what
// they will use; a command line that has a default of its own checks the
// value as given.
func (c *Check) Timeout(flag string, d time.Duration) {
	if d <= 0 {
		c.Add(flag, "%s is not a positive duration; give one such as 30m or 1h", d)
	}
}

// TemplateBody checks that a template fits in a TemplateBody parameter.
func (c *Check) TemplateBody(body string) {
	switch {
	case body == "":
		c.Add("", "the template is empty")
	case len(body) > MaxTemplateBody:
		c.Add("", "the template is %d bytes; CloudFormation accepts at most %d bytes inline and cfnfargate does not upload templates to S3",
			len(body), MaxTemplateBody)
	}
}

// RoleARN checks the shape of an IAM role ARN, such as the service role
// CloudFormation assumes.
func (c *Check) RoleARN(flag, arn string) {
	if arn != "" && !roleARNRE.MatchString(arn) {
		c.Add(flag, "%q is not an IAM role ARN; expected arn:aws:iam::123456789012:role/NAME", arn)
	}
}

// Parameters parses repeated NAME=VALUE flags into template parameter
// values. The value may be empty and may itself contain "=".
func (c *Check) Parameters(flag string, pairs []string) map[string]string {
	out := make(map[string]string, len(pairs))
	for _, pair := range pairs {
		name, value, ok := strings.Cut(pair, "=")
		switch {
		case !ok:
			c.Add(flag, "%q is not NAME=VALUE", pair)
		case !paramNameRE.MatchString(name):
			c.Add(flag, "%q: parameter names are 1 to 255 letters and digits", name)
		case hasKey(out, name):
			c.Add(flag, "parameter %s is given more than once", name)
		default:
			out[name] = value
		}
	}
	return out
}

func hasKey(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}

// CertificateArn checks the shape of an ACM certificate ARN and reports
// whether arn is one, so that its region can be checked too.
func (c *Check) CertificateArn(flag, arn string) bool {
	if arn == "" {
		return false
	}
	if !certificateArnRE.MatchString(arn) {
		c.Add(flag, "%q is not an ACM certificate ARN; expected arn:aws:acm:REGION:ACCOUNT:certificate/ID", arn)
		return false
	}
	return true
}

// CertificateRegion checks that an ACM certificate is in region, the
// region the stack deploys to. "To use a certificate with Elastic Load
// Balancing, you must request or import the certificate in the same Region
// as the load balancer" (ACM User Guide, "Services integrated with ACM");
// CloudFormation finds out only when it creates the HTTPS listener, minutes
// into the create. An ARN that does not parse, or an empty region, is not
// checked here.
func (c *Check) CertificateRegion(flag, arn, region string) {
	parts := strings.Split(arn, ":")
	if len(parts) < 6 || parts[2] != "acm" || parts[3] == "" || region == "" {
		return
	}
	if certRegion := parts[3]; certRegion != region {
		c.Add(flag, "the certificate is in %s but the stack deploys to %s; ACM certificates must be in the load balancer's region, "+
			"so request or import one in %s", certRegion, region, region)
	}
}

// DisjointSubnets checks that no subnet is in both lists. The public
// subnets route to an internet gateway and hold the load balancer; the
// private ones route through a NAT gateway and hold the tasks. "A subnet
// can only be associated with one route table at a time" (VPC User Guide,
// "Configure route tables"), so a subnet cannot be both.
func (c *Check) DisjointSubnets(publicFlag string, public []string, privateFlag string, private []string) {
	inPublic := make(map[string]bool, len(public))
	for _, id := range public {
		inPublic[id] = true
	}
	reported := map[string]bool{}
	for _, id := range private {
		if inPublic[id] && !reported[id] {
			reported[id] = true
			c.Add(privateFlag, "subnet %s is also given in %s; a subnet is either public or private, so the two lists must not share subnets",
				id, publicFlag)
		}
	}
}

// Fields of the deployer's inputs, as the keys of the problems it finds
// in them itself. The library names what is wrong, not where it came
// from: a command line maps them to its flags.
const (
	FieldStackName = "StackName"
	FieldRoleARN   = "RoleARN"
	FieldTimeout   = "Timeout"
	FieldRegion    = "Region"
	// FieldParameters, a dot and a parameter name keys a problem with a
	// parameter the caller has no label for.
	FieldParameters = "Parameters"
)
