package deploy

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cfnfargate/cfnfargate/stack"
)

// Proves: each check accepts what CloudFormation and EC2 accept, and for
// what they reject reports the flag, what was wrong and what is allowed.
func TestCheck(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 129)
	tests := []struct {
		name string
		run  func(*Check)
		// want holds one substring per expected problem; empty means valid.
		want []string
	}{
		{"valid stack name", func(c *Check) { c.StackName("--stack", "web-prod-2") }, nil},
		{"empty stack name", func(c *Check) { c.StackName("--stack", "") }, []string{"--stack: a stack name is required"}},
		{"stack name starting with a digit", func(c *Check) { c.StackName("--stack", "2web") }, []string{"--stack: stack name \"2web\" is not allowed; it must start with a letter"}},
		{"stack name with underscore", func(c *Check) { c.StackName("--stack", "web_prod") }, []string{"only letters, digits and hyphens"}},
		{"stack name of 128", func(c *Check) { c.StackName("--stack", long[:128]) }, nil},
		{"stack name of 129", func(c *Check) { c.StackName("--stack", long) }, []string{"129 characters long; at most 128"}},

		{"short VPC ID", func(c *Check) { c.VPCID("--vpc-id", "vpc-0123abcd") }, nil},
		{"long VPC ID", func(c *Check) { c.VPCID("--vpc-id", "vpc-0123456789abcdef0") }, nil},
		{"VPC ID not given", func(c *Check) { c.VPCID("--vpc-id", "") }, nil},
		{"VPC ID in capitals", func(c *Check) { c.VPCID("--vpc-id", "vpc-0123ABCD") }, []string{"--vpc-id: \"vpc-0123ABCD\" is not a VPC ID; expected vpc- followed by 8 or 17"}},
		{"VPC ID of 12 digits", func(c *Check) { c.VPCID("--vpc-id", "vpc-0123456789ab") }, []string{"is not a VPC ID"}},
		{"subnet ID for VPC", func(c *Check) { c.VPCID("--vpc-id", "subnet-0123abcd") }, []string{"is not a VPC ID"}},

		{"two public subnets", func(c *Check) {
			c.Subnets("--public-subnets", []string{"subnet-0123abcd", "subnet-0123456789abcdef0"}, 2)
		}, nil},
		{"subnets not given", func(c *Check) { c.Subnets("--public-subnets", nil, 2) }, nil},
		{"one public subnet", func(c *Check) { c.Subnets("--public-subnets", []string{"subnet-0123abcd"}, 2) },
			[]string{"--public-subnets: 1 distinct subnet(s) given; at least 2 different subnets"}},
		{"same subnet twice", func(c *Check) { c.Subnets("--public-subnets", []string{"subnet-0123abcd", "subnet-0123abcd"}, 2) },
			[]string{"subnet subnet-0123abcd is given more than once", "1 distinct subnet(s) given"}},
		{"bad subnet ID", func(c *Check) { c.Subnets("--private-subnets", []string{"subnet-xyz", "subnet-0123abcd"}, 1) },
			[]string{"--private-subnets: \"subnet-xyz\" is not a subnet ID"}},

		{"certificate ARN", func(c *Check) {
			c.CertificateArn("--certificate-arn", "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b-2c3d")
		}, nil},
		{"GovCloud certificate ARN", func(c *Check) {
			c.CertificateArn("--certificate-arn", "arn:aws-us-gov:acm:us-gov-west-1:123456789012:certificate/abc")
		}, nil},
		{"certificate ARN not given", func(c *Check) { c.CertificateArn("--certificate-arn", "") }, nil},
		{"IAM server certificate", func(c *Check) {
			c.CertificateArn("--certificate-arn", "arn:aws:iam::123456789012:server-certificate/x")
		},
			[]string{"--certificate-arn: \"arn:aws:iam::123456789012:server-certificate/x\" is not an ACM certificate ARN; expected arn:aws:acm:REGION:ACCOUNT:certificate/ID"}},
		{"certificate ARN without account", func(c *Check) { c.CertificateArn("--certificate-arn", "arn:aws:acm:eu-west-1::certificate/abc") },
			[]string{"is not an ACM certificate ARN"}},

		{"certificate in the stack's region", func(c *Check) {
			c.CertificateRegion("--certificate-arn", "arn:aws:acm:eu-west-1:123456789012:certificate/abc", "eu-west-1")
		}, nil},
		{"certificate in another region", func(c *Check) {
			c.CertificateRegion("--certificate-arn", "arn:aws-cn:acm:cn-north-1:123456789012:certificate/abc", "cn-northwest-1")
		}, []string{"--certificate-arn: the certificate is in cn-north-1 but the stack deploys to cn-northwest-1; ACM certificates must be in the load balancer's region"}},
		{"certificate region without a stack region", func(c *Check) {
			c.CertificateRegion("--certificate-arn", "arn:aws:acm:eu-west-1:123456789012:certificate/abc", "")
		}, nil},
		{"not an ACM ARN", func(c *Check) {
			c.CertificateRegion("--certificate-arn", "arn:aws:iam::123456789012:server-certificate/x", "us-east-1")
		}, nil},
		{"separate public and private subnets", func(c *Check) {
			c.DisjointSubnets("--public-subnets", []string{"subnet-0123abcd"}, "--private-subnets", []string{"subnet-4567abcd"})
		}, nil},
		{"subnet public and private", func(c *Check) {
			c.DisjointSubnets("--public-subnets", []string{"subnet-0123abcd", "subnet-4567abcd"}, "--private-subnets",
				[]string{"subnet-4567abcd", "subnet-4567abcd", "subnet-89abcdef"})
		}, []string{"--private-subnets: subnet subnet-4567abcd is also given in --public-subnets; a subnet is either public or private"}},

		{"template at the limit", func(c *Check) { c.TemplateBody(strings.Repeat("x", MaxTemplateBody)) }, nil},
		{"template over the limit", func(c *Check) { c.TemplateBody(strings.Repeat("x", MaxTemplateBody+1)) },
			[]string{"the template is 51201 bytes; CloudFormation accepts at most 51200 bytes inline"}},
		{"empty template", func(c *Check) { c.TemplateBody("") }, []string{"the template is empty"}},

		{"role ARN", func(c *Check) { c.RoleARN("--role-arn", "arn:aws:iam::123456789012:role/cfn/deployer") }, nil},
		{"GovCloud role ARN", func(c *Check) { c.RoleARN("--role-arn", "arn:aws-us-gov:iam::123456789012:role/deployer") }, nil},
		{"user ARN as role", func(c *Check) { c.RoleARN("--role-arn", "arn:aws:iam::123456789012:user/bob") },
			[]string{"--role-arn: \"arn:aws:iam::123456789012:user/bob\" is not an IAM role ARN; expected arn:aws:iam::123456789012:role/NAME"}},

		{"timeout", func(c *Check) { c.Timeout("--timeout", time.Second) }, nil},
		{"zero timeout", func(c *Check) { c.Timeout("--timeout", 0) }, []string{"--timeout: 0s is not a positive duration; give one such as 30m or 1h"}},
		{"negative timeout", func(c *Check) { c.Timeout("--timeout", -time.Minute) }, []string{"--timeout: -1m0s is not a positive duration"}},

		{"parameters", func(c *Check) { c.Parameters("--parameter", []string{"ImageTag=v1", "Empty=", "Query=a=b"}) }, nil},
		{"parameter without =", func(c *Check) { c.Parameters("--parameter", []string{"ImageTag"}) }, []string{"--parameter: \"ImageTag\" is not NAME=VALUE"}},
		{"parameter with bad name", func(c *Check) { c.Parameters("--parameter", []string{"Image-Tag=v1"}) }, []string{"parameter names are 1 to 255 letters and digits"}},
		{"parameter twice", func(c *Check) { c.Parameters("--parameter", []string{"A=1", "A=2"}) }, []string{"parameter A is given more than once"}},

		{"all problems at once", func(c *Check) {
			c.StackName("--stack", "")
			c.VPCID("--vpc-id", "vpc-1")
			c.Subnets("--public-subnets", []string{"subnet-0123abcd"}, 2)
			c.Parameters("--parameter", []string{"A"})
		}, []string{"--stack:", "--vpc-id:", "--public-subnets:", "--parameter:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Check
			tt.run(&c)
			err := c.Err()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Err() = %v; want nil", err)
				}
				return
			}
			var ie *stack.ValidationError
			if !errors.As(err, &ie) || ie.Title != "invalid input" {
				t.Fatalf("Err() = %v; want a *stack.ValidationError titled invalid input", err)
			}
			if len(ie.Problems) != len(tt.want) {
				t.Fatalf("problems = %q; want %d", ie.Problems, len(tt.want))
			}
			for i, want := range tt.want {
				if got := ie.Problems[i].String(); !strings.Contains(got, want) {
					t.Errorf("problem %d = %q; want it to contain %q", i, got, want)
				}
			}
			if ExitCode(err) != ExitInput {
				t.Errorf("ExitCode = %d; want %d", ExitCode(err), ExitInput)
			}
		})
	}
}

// Proves: parsed values come back as given, with "=" allowed in values.
func TestCheckParsesPairs(t *testing.T) {
	t.Parallel()
	var c Check
	params := c.Parameters("--parameter", []string{"ImageTag=v1", "Query=a=b", "Empty="})
	if err := c.Err(); err != nil {
		t.Fatal(err)
	}
	if params["ImageTag"] != "v1" || params["Query"] != "a=b" || params["Empty"] != "" || len(params) != 3 {
		t.Errorf("Parameters = %v", params)
	}
}

// Proves: CertificateArn reports true only for a well-formed ARN, so that a
// caller checks the region of that one only.
func TestCheckCertificateArnResult(t *testing.T) {
	t.Parallel()
	for arn, want := range map[string]bool{
		"arn:aws:acm:eu-west-1:123456789012:certificate/abc": true,
		"": false,
		"arn:aws:acm:eu-west-1:123456789012:certificate/a_b": false,
	} {
		var c Check
		if got := c.CertificateArn("label", arn); got != want {
			t.Errorf("CertificateArn(%q) = %v, want %v", arn, got, want)
		}
	}
}
