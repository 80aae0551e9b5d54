package preflight

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/cfnfargate/cfnfargate/stack"
)

// fakeEC2 is an account's network, answering the Describe calls with the
// filters EC2 documents for them; err, when set, answers every call of an
// action.
type fakeEC2 struct {
	vpcs      []Vpc
	subnets   []Subnet
	tables    []RouteTable
	endpoints []VpcEndpoint
	err       map[string]error
}

func (f *fakeEC2) fail(action string) error { return f.err[action] }

func matches(filters []Filter, values map[string]string) bool {
	for _, flt := range filters {
		if !slices.Contains(flt.Values, values[flt.Name]) {
			return false
		}
	}
	return true
}

func (f *fakeEC2) DescribeVpcs(_ context.Context, filters ...Filter) ([]Vpc, error) {
	if err := f.fail("DescribeVpcs"); err != nil {
		return nil, err
	}
	var out []Vpc
	for _, v := range f.vpcs {
		if matches(filters, map[string]string{"vpc-id": v.ID, "is-default": map[bool]string{true: "true", false: "false"}[v.IsDefault]}) {
			out = append(out, v)
		}
	}
	return out, nil
}

func (f *fakeEC2) DescribeSubnets(_ context.Context, filters ...Filter) ([]Subnet, error) {
	if err := f.fail("DescribeSubnets"); err != nil {
		return nil, err
	}
	var out []Subnet
	for _, s := range f.subnets {
		if matches(filters, map[string]string{"vpc-id": s.VpcID, "subnet-id": s.ID}) {
			out = append(out, s)
		}
	}
	return out, nil
}

func (f *fakeEC2) DescribeRouteTables(_ context.Context, filters ...Filter) ([]RouteTable, error) {
	if err := f.fail("DescribeRouteTables"); err != nil {
		return nil, err
	}
	var out []RouteTable
	for _, t := range f.tables {
		if matches(filters, map[string]string{"vpc-id": t.VpcID}) {
			out = append(out, t)
		}
	}
	return out, nil
}

func (f *fakeEC2) DescribeVpcEndpoints(_ context.Context, filters ...Filter) ([]VpcEndpoint, error) {
	if err := f.fail("DescribeVpcEndpoints"); err != nil {
		return nil, err
	}
	var out []VpcEndpoint
	for _, e := range f.endpoints {
		if matches(filters, map[string]string{"vpc-id": e.VpcID}) {
			out = append(out, e)
		}
	}
	return out, nil
}

const region = "eu-west-1"

// account is a network like a real account's: a VPC with public subnets
// in a and b (route to an internet gateway), private ones in a and b
// (route to a NAT gateway), an isolated one, a second public subnet in a,
// and another VPC with a subnet of its own.
func account() *fakeEC2 {
	subnet := func(id, vpc, zone string) Subnet {
		return Subnet{ID: id, VpcID: vpc, AvailabilityZone: region + zone}
	}
	table := func(id, vpc string, main bool, subnets []string, routes ...Route) RouteTable {
		t := RouteTable{ID: id, VpcID: vpc, Routes: append([]Route{{DestinationCidrBlock: "10.0.0.0/16", GatewayID: "local", State: "active"}}, routes...)}
		if main {
			t.Associations = append(t.Associations, RouteAssociation{Main: true})
		}
		for _, s := range subnets {
			t.Associations = append(t.Associations, RouteAssociation{SubnetID: s})
		}
		return t
	}
	return &fakeEC2{
		vpcs: []Vpc{{ID: "vpc-1"}, {ID: "vpc-2"}},
		subnets: []Subnet{
			subnet("subnet-pub-a", "vpc-1", "a"), subnet("subnet-pub-b", "vpc-1", "b"), subnet("subnet-pub-a2", "vpc-1", "a"),
			subnet("subnet-priv-a", "vpc-1", "a"), subnet("subnet-priv-b", "vpc-1", "b"), subnet("subnet-iso", "vpc-1", "c"),
			subnet("subnet-other", "vpc-2", "a"),
		},
		tables: []RouteTable{
			table("rtb-main", "vpc-1", true, nil),
			table("rtb-pub", "vpc-1", false, []string{"subnet-pub-a", "subnet-pub-b", "subnet-pub-a2"},
				Route{DestinationCidrBlock: "0.0.0.0/0", GatewayID: "igw-1", State: "active"}),
			table("rtb-nat", "vpc-1", false, []string{"subnet-priv-a", "subnet-priv-b"},
				Route{DestinationCidrBlock: "0.0.0.0/0", NatGatewayID: "nat-1", State: "active"}),
		},
	}
}

// want is a finding a test expects: its field and words its message holds.
type want struct {
	field string
	words []string
}

func checkFindings(t *testing.T, kind string, got []Finding, wanted []want) {
	t.Helper()
	if len(got) != len(wanted) {
		t.Fatalf("%s: got %d, want %d:\n%s", kind, len(got), len(wanted), findingsText(got))
	}
	for i, w := range wanted {
		if got[i].Field != w.field {
			t.Errorf("%s %d: field %q, want %q (%s)", kind, i, got[i].Field, w.field, got[i].Message)
		}
		for _, word := range w.words {
			if !strings.Contains(got[i].Message, word) {
				t.Errorf("%s %d: %q does not say %q", kind, i, got[i].Message, word)
			}
		}
	}
}

func findingsText(fs []Finding) string {
	var lines []string
	for _, f := range fs {
		lines = append(lines, "  "+f.Field+": "+f.Message)
	}
	return strings.Join(lines, "\n")
}

var (
	publicLB = stack.ParamPublicSubnetIDs
	private  = stack.ParamPrivateSubnetIDs
)

// TestCheckNetwork proves the network checks on a network like a real
// account's: each mistake the newcomer trial made AWS find minutes later
// is a problem now, with the parameter to fix and what to do; tasks in one
// zone are a warning; and a network that works has no finding.
func TestCheckNetwork(t *testing.T) {
	tests := []struct {
		name     string
		edit     func(*fakeEC2)
		network  Network
		problems []want
		warnings []want
	}{
		{name: "a working network has no finding",
			network: Network{VpcID: "vpc-1", PublicSubnets: []string{"subnet-pub-a", "subnet-pub-b"}, PrivateSubnets: []string{"subnet-priv-a", "subnet-priv-b"}, Balancer: publicLB, Tasks: private}},
		{name: "a subnet of another VPC (trial E1)",
			network:  Network{VpcID: "vpc-1", PublicSubnets: []string{"subnet-pub-a", "subnet-pub-b"}, PrivateSubnets: []string{"subnet-other", "subnet-priv-b"}, Balancer: publicLB, Tasks: private},
			problems: []want{{private, []string{"subnet-other is in VPC vpc-2, not in VPC vpc-1"}}},
			warnings: []want{{private, []string{"all in eu-west-1b"}}}},
		{name: "a VPC and a subnet that do not exist",
			network:  Network{VpcID: "vpc-9", PublicSubnets: []string{"subnet-pub-a", "subnet-pub-b"}, PrivateSubnets: []string{"subnet-priv-a"}, Balancer: publicLB, Tasks: private},
			problems: []want{{stack.ParamVpcID, []string{"VPC vpc-9 does not exist in eu-west-1"}}}},
		{name: "a subnet that does not exist",
			network:  Network{VpcID: "vpc-1", PublicSubnets: []string{"subnet-pub-a", "subnet-pub-b"}, PrivateSubnets: []string{"subnet-gone", "subnet-priv-a", "subnet-priv-b"}, Balancer: publicLB, Tasks: private},
			problems: []want{{private, []string{"subnet subnet-gone does not exist in eu-west-1"}}}},
		{name: "two load balancer subnets in one zone (trial step 7 #14)",
			network: Network{VpcID: "vpc-1", PublicSubnets: []string{"subnet-pub-a", "subnet-pub-a2"}, PrivateSubnets: []string{"subnet-priv-a", "subnet-priv-b"}, Balancer: publicLB, Tasks: private},
			// One problem, that says both rules (review1920 polish).
			problems: []want{
				{publicLB, []string{"subnet-pub-a, subnet-pub-a2 are all in eu-west-1a", "at least two Availability Zones, one subnet per zone"}},
			}},
		{name: "two load balancer subnets in one zone among others",
			network:  Network{VpcID: "vpc-1", PublicSubnets: []string{"subnet-pub-a", "subnet-pub-a2", "subnet-pub-b"}, PrivateSubnets: []string{"subnet-priv-a", "subnet-priv-b"}, Balancer: publicLB, Tasks: private},
			problems: []want{{publicLB, []string{"subnet-pub-a, subnet-pub-a2 are all in eu-west-1a", "one subnet per Availability Zone"}}}},
		{name: "an internal load balancer's private subnets in one zone",
			network:  Network{VpcID: "vpc-1", PublicSubnets: []string{"subnet-pub-a"}, PrivateSubnets: []string{"subnet-priv-a"}, Balancer: private, Tasks: private},
			problems: []want{{private, []string{"at least two Availability Zones"}}},
			warnings: []want{{private, []string{"tasks' subnets are all in eu-west-1a"}}}},
		{name: "private subnets that route only to an internet gateway, the default VPC case (trial A3)",
			network:  Network{VpcID: "vpc-1", PublicSubnets: []string{"subnet-pub-a", "subnet-pub-b"}, PrivateSubnets: []string{"subnet-pub-a2"}, Balancer: publicLB, Tasks: private},
			problems: []want{{private, []string{"subnet subnet-pub-a2 routes 0.0.0.0/0 to an internet gateway", "ECR (api), ECR (dkr), S3, CloudWatch Logs", "public subnets with public IPs"}}},
			warnings: []want{{private, []string{"all in eu-west-1a"}}}},
		{name: "private subnets with no route at all",
			network:  Network{VpcID: "vpc-1", PublicSubnets: []string{"subnet-pub-a", "subnet-pub-b"}, PrivateSubnets: []string{"subnet-iso"}, Balancer: publicLB, Tasks: private},
			problems: []want{{private, []string{"subnet subnet-iso has no route out", "NAT gateway", "public subnets with public IPs"}}},
			warnings: []want{{private, []string{"all in eu-west-1c"}}}},
		{name: "a blackhole NAT route is no route",
			edit:     func(f *fakeEC2) { f.tables[2].Routes[1].State = "blackhole" },
			network:  Network{VpcID: "vpc-1", PublicSubnets: []string{"subnet-pub-a", "subnet-pub-b"}, PrivateSubnets: []string{"subnet-priv-a", "subnet-priv-b"}, Balancer: publicLB, Tasks: private},
			problems: []want{{private, []string{"subnets subnet-priv-a, subnet-priv-b have no route out"}}}},
		{name: "a transit gateway, a firewall's network interface or endpoints are a way out",
			edit: func(f *fakeEC2) {
				f.tables[2].Routes[1] = Route{DestinationCidrBlock: "0.0.0.0/0", TransitGatewayID: "tgw-1", State: "active"}
				f.tables[0].Routes = append(f.tables[0].Routes, Route{DestinationCidrBlock: "0.0.0.0/0", NetworkInterfaceID: "eni-1", State: "active"})
			},
			network: Network{VpcID: "vpc-1", PublicSubnets: []string{"subnet-pub-a", "subnet-pub-b"}, PrivateSubnets: []string{"subnet-priv-a", "subnet-iso"}, Balancer: publicLB, Tasks: private}},
		{name: "VPC endpoints for ECR, S3 (on the subnet's table) and Logs replace a route out",
			edit: func(f *fakeEC2) {
				for _, svc := range []string{"ecr.api", "ecr.dkr", "logs"} {
					f.endpoints = append(f.endpoints, VpcEndpoint{VpcID: "vpc-1", Type: "Interface", ServiceName: "com.amazonaws.eu-west-1." + svc, State: "available"})
				}
				f.endpoints = append(f.endpoints, VpcEndpoint{VpcID: "vpc-1", Type: "Gateway", ServiceName: "com.amazonaws.eu-west-1.s3", State: "available", RouteTables: []string{"rtb-main"}})
			},
			network:  Network{VpcID: "vpc-1", PublicSubnets: []string{"subnet-pub-a", "subnet-pub-b"}, PrivateSubnets: []string{"subnet-iso"}, Balancer: publicLB, Tasks: private},
			warnings: []want{{private, []string{"all in eu-west-1c"}}}},
		{name: "an S3 gateway endpoint on another route table does not count",
			edit: func(f *fakeEC2) {
				for _, svc := range []string{"ecr.api", "ecr.dkr", "logs"} {
					f.endpoints = append(f.endpoints, VpcEndpoint{VpcID: "vpc-1", Type: "Interface", ServiceName: "com.amazonaws.eu-west-1." + svc, State: "available"})
				}
				f.endpoints = append(f.endpoints, VpcEndpoint{VpcID: "vpc-1", Type: "Gateway", ServiceName: "com.amazonaws.eu-west-1.s3", State: "available", RouteTables: []string{"rtb-nat"}})
			},
			network:  Network{VpcID: "vpc-1", PublicSubnets: []string{"subnet-pub-a", "subnet-pub-b"}, PrivateSubnets: []string{"subnet-iso"}, Balancer: publicLB, Tasks: private},
			problems: []want{{private, []string{"no endpoints for S3 either"}}},
			warnings: []want{{private, []string{"all in eu-west-1c"}}}},
		{name: "public tasks need the public subnets' internet route, not a private route",
			network: Network{VpcID: "vpc-1", PublicSubnets: []string{"subnet-pub-a", "subnet-pub-b"}, PrivateSubnets: []string{"subnet-iso"}, Balancer: publicLB, Tasks: publicLB}},
		{name: "public tasks in a subnet without any route",
			network:  Network{VpcID: "vpc-1", PublicSubnets: []string{"subnet-iso", "subnet-pub-b"}, PrivateSubnets: []string{"subnet-priv-a"}, Balancer: publicLB, Tasks: publicLB},
			problems: []want{{publicLB, []string{"subnet subnet-iso has no route out", "even with public IPs"}}},
			warnings: []want{{publicLB, []string{"subnet-iso has no route to an internet gateway", "cannot be reached"}}}},
		{name: "an environment's private subnets without a route out are a warning: each service decides",
			network:  Network{VpcID: "vpc-1", PublicSubnets: []string{"subnet-pub-a", "subnet-pub-b"}, PrivateSubnets: []string{"subnet-iso"}, Balancer: publicLB},
			warnings: []want{{private, []string{"has no route out", "tasks of services that run in them"}}}},
		// The stack's kept PrivateSubnetIds, in another VPC, are not its
		// network when the tasks run in the public subnets behind an
		// internet-facing load balancer (review1920 item 3).
		{name: "public tasks use no private subnet",
			network: Network{VpcID: "vpc-1", PublicSubnets: []string{"subnet-pub-a", "subnet-pub-b"}, PrivateSubnets: []string{"subnet-other", "subnet-gone"}, Balancer: publicLB, Tasks: publicLB}},
		{name: "an internal load balancer's private subnets are checked with public tasks",
			network:  Network{VpcID: "vpc-1", PublicSubnets: []string{"subnet-pub-a", "subnet-pub-b"}, PrivateSubnets: []string{"subnet-other", "subnet-priv-b"}, Balancer: private, Tasks: publicLB},
			problems: []want{{private, []string{"subnet-other is in VPC vpc-2, not in VPC vpc-1"}}, {private, []string{"all in eu-west-1b", "at least two Availability Zones"}}}},
		{name: "an environment's private subnets are checked: its services choose them",
			network:  Network{VpcID: "vpc-1", PublicSubnets: []string{"subnet-pub-a", "subnet-pub-b"}, PrivateSubnets: []string{"subnet-other"}, Balancer: publicLB},
			problems: []want{{private, []string{"subnet-other is in VPC vpc-2, not in VPC vpc-1"}}}},
		{name: "a service in an environment has no load balancer of its own",
			network: Network{VpcID: "vpc-1", PublicSubnets: []string{"subnet-pub-a"}, PrivateSubnets: []string{"subnet-priv-a", "subnet-priv-b"}, Tasks: private}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := account()
			if tt.edit != nil {
				tt.edit(f)
			}
			rep, err := Check(context.Background(), Clients{EC2: f}, Request{Region: region, Network: &tt.network})
			if err != nil {
				t.Fatal(err)
			}
			checkFindings(t, "problems", rep.Problems, tt.problems)
			checkFindings(t, "warnings", rep.Warnings, tt.warnings)
			for _, p := range rep.Problems {
				if strings.Contains(p.Message, "no route out") || strings.Contains(p.Message, "internet gateway, which") {
					if p.Field == private && !slices.Contains(p.Settings, stack.KeyPublicTasks) {
						t.Errorf("%q does not point at the public-tasks setting", p.Message)
					}
				}
			}
		})
	}
}

// deniedError is the answer AWS gives a caller without the permission.
func deniedError(action string) error {
	code := "AccessDeniedException"
	if strings.HasPrefix(action, "ec2:") {
		code = "UnauthorizedOperation"
	}
	return &APIError{Action: action, Code: code, Message: "You are not authorized to perform this operation.", StatusCode: 403}
}

// TestDeniedReadsAreWarnings proves a read the credentials may not make
// is a warning that names the IAM action, never a problem: the deploy
// goes on without that check.
func TestDeniedReadsAreWarnings(t *testing.T) {
	for _, action := range []string{"DescribeVpcs", "DescribeSubnets", "DescribeRouteTables", "DescribeVpcEndpoints"} {
		t.Run(action, func(t *testing.T) {
			f := account()
			f.err = map[string]error{action: deniedError("ec2:" + action)}
			rep, err := Check(context.Background(), Clients{EC2: f}, Request{Region: region, Network: &Network{
				VpcID: "vpc-1", PublicSubnets: []string{"subnet-pub-a", "subnet-pub-b"}, PrivateSubnets: []string{"subnet-iso", "subnet-priv-b"}, Balancer: publicLB, Tasks: private}})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Problems) != 0 || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0].Message, "may not call ec2:"+action) {
				t.Errorf("problems:\n%s\nwarnings:\n%s\nwant no problem and one warning naming ec2:%s", findingsText(rep.Problems), findingsText(rep.Warnings), action)
			}
		})
	}
	sdkDenied := &smithy.OperationError{ServiceID: "SSM", OperationName: "DescribeParameters", Err: &smithy.GenericAPIError{Code: "AccessDeniedException"}}
	rep, _ := Check(context.Background(), Clients{SSM: &fakeSSM{err: sdkDenied}}, Request{Region: region, Secrets: []SecretUse{{Name: "DB", ValueFrom: "/app/db"}}})
	if len(rep.Problems) != 0 || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0].Message, "may not call ssm:DescribeParameters") {
		t.Errorf("SSM denied: problems %v, warnings %v; want one warning naming ssm:DescribeParameters", rep.Problems, rep.Warnings)
	}
}

// fakeACM holds certificates by ARN, answering as ACM does.
type fakeACM map[string]*acmtypes.CertificateDetail

func (f fakeACM) DescribeCertificate(_ context.Context, in *acm.DescribeCertificateInput, _ ...func(*acm.Options)) (*acm.DescribeCertificateOutput, error) {
	if c, ok := f[aws.ToString(in.CertificateArn)]; ok {
		return &acm.DescribeCertificateOutput{Certificate: c}, nil
	}
	return nil, &smithy.OperationError{ServiceID: "ACM", OperationName: "DescribeCertificate",
		Err: &acmtypes.ResourceNotFoundException{Message: aws.String("not found")}}
}

const certARN = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"

// TestCheckCertificate proves the certificate checks: a missing one and
// one that is not ISSUED are problems, PENDING_VALIDATION names the CNAME
// record to add (trial E2), and a domain must be one of the certificate's
// names or under one of its wildcards, one level deep.
func TestCheckCertificate(t *testing.T) {
	pending := &acmtypes.CertificateDetail{Status: acmtypes.CertificateStatusPendingValidation, DomainName: aws.String("app.example.com"),
		DomainValidationOptions: []acmtypes.DomainValidation{{
			DomainName: aws.String("app.example.com"), ValidationStatus: acmtypes.DomainStatusPendingValidation, ValidationMethod: acmtypes.ValidationMethodDns,
			ResourceRecord: &acmtypes.ResourceRecord{Name: aws.String("_abc.app.example.com."), Type: acmtypes.RecordTypeCname, Value: aws.String("_def.acm-validations.aws.")},
		}}}
	issued := func(names ...string) *acmtypes.CertificateDetail {
		return &acmtypes.CertificateDetail{Status: acmtypes.CertificateStatusIssued, DomainName: aws.String(names[0]), SubjectAlternativeNames: names}
	}
	tests := []struct {
		name   string
		cert   *acmtypes.CertificateDetail
		domain string
		want   []want
	}{
		{"issued, no domain", issued("app.example.com"), "", nil},
		{"missing", nil, "", []want{{"CertificateArn", []string{"does not exist in ACM in eu-west-1"}}}},
		{"pending validation names the record", pending, "", []want{{"CertificateArn", []string{"PENDING_VALIDATION", "CNAME record _abc.app.example.com. with the value _def.acm-validations.aws.",
			"aws acm wait certificate-validated --certificate-arn " + certARN + " --region eu-west-1)"}}}},
		{"expired", &acmtypes.CertificateDetail{Status: acmtypes.CertificateStatusExpired, DomainName: aws.String("app.example.com")}, "", []want{{"CertificateArn", []string{"is EXPIRED", "ISSUED"}}}},
		{"the domain is a name of it", issued("example.com", "app.example.com"), "app.example.com.", nil},
		{"a wildcard covers one level", issued("*.example.com"), "App.Example.com", nil},
		{"a wildcard does not cover two levels", issued("*.example.com"), "a.b.example.com", []want{{"CertificateArn", []string{"covers *.example.com, not a.b.example.com"}}}},
		{"another domain", issued("shop.example.com"), "app.example.com", []want{{"CertificateArn", []string{"covers shop.example.com, not app.example.com"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acm := fakeACM{}
			if tt.cert != nil {
				acm[certARN] = tt.cert
			}
			rep, err := Check(context.Background(), Clients{ACM: acm}, Request{Region: region,
				Certificates: []CertificateUse{{Field: "CertificateArn", ARN: certARN, Domain: tt.domain}}})
			if err != nil {
				t.Fatal(err)
			}
			checkFindings(t, "problems", rep.Problems, tt.want)
		})
	}
}

// fakeSecretsManager holds secrets by region and ID.
type fakeSecretsManager map[string]*SecretMetadata

func (f fakeSecretsManager) DescribeSecret(_ context.Context, region, id string) (*SecretMetadata, error) {
	if s, ok := f[region+" "+id]; ok {
		return s, nil
	}
	return nil, &APIError{Action: "secretsmanager:DescribeSecret", Code: "ResourceNotFoundException", Message: "Secrets Manager can't find the specified secret.", StatusCode: 400}
}

// fakeSSM holds parameter names by region, and answers only metadata.
type fakeSSM struct {
	names map[string]bool // "region name"
	err   error
}

func (f *fakeSSM) DescribeParameters(_ context.Context, in *ssm.DescribeParametersInput, opts ...func(*ssm.Options)) (*ssm.DescribeParametersOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	var o ssm.Options
	for _, fn := range opts {
		fn(&o)
	}
	out := &ssm.DescribeParametersOutput{}
	for _, flt := range in.ParameterFilters {
		if aws.ToString(flt.Key) == "Name" && aws.ToString(flt.Option) == "Equals" && f.names[o.Region+" "+flt.Values[0]] {
			out.Parameters = append(out.Parameters, ssmtypes.ParameterMetadata{Name: aws.String(flt.Values[0])})
		}
	}
	return out, nil
}

// TestCheckSecrets proves each secret is looked up where its valueFrom
// says, by metadata only: a missing Secrets Manager secret or SSM
// parameter is a problem naming the variable (trial D5), a secret
// scheduled for deletion too; a JSON key after the ARN is not part of the
// secret's ID; secretsmanager:NAME names a secret of the stack's region
// (issue 19's form); another account's SSM parameter is not checked.
func TestCheckSecrets(t *testing.T) {
	const account = "123456789012"
	sm := fakeSecretsManager{
		"eu-west-1 arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf": {Name: "db"},
		"eu-west-1 db": {Name: "db"},
		"us-east-1 arn:aws:secretsmanager:us-east-1:123456789012:secret:old-AbCdEf": {Name: "old", DeletedDate: 1.7e9},
	}
	params := &fakeSSM{names: map[string]bool{"eu-west-1 /app/flags": true, "eu-west-1 plain": true}}
	tests := []struct {
		valueFrom string
		want      []want
	}{
		{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf", nil},
		{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf:password::", nil},
		{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:gone-AbCdEf", []want{{FieldSecret, []string{"X: secret arn:aws:secretsmanager:eu-west-1:123456789012:secret:gone-AbCdEf does not exist"}}}},
		{"arn:aws:secretsmanager:us-east-1:123456789012:secret:old-AbCdEf", []want{{FieldSecret, []string{"scheduled for deletion"}}}},
		{"arn:aws:ssm:eu-west-1:123456789012:parameter/app/flags", nil},
		{"arn:aws:ssm:eu-west-1:123456789012:parameter/app/missing", []want{{FieldSecret, []string{"X: SSM parameter /app/missing does not exist in eu-west-1"}}}},
		{"arn:aws:ssm:eu-west-1:999999999999:parameter/app/shared", nil},
		{"plain", nil},
		{"nope", []want{{FieldSecret, []string{"SSM parameter nope does not exist"}}}},
		{"secretsmanager:db", nil},
		{"/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64", nil},
		{"secretsmanager:gone", []want{{FieldSecret, []string{"X: secret gone does not exist in Secrets Manager in eu-west-1"}}}},
		// A Secrets Manager secret read through SSM's reference is that
		// secret (review1920 item 5), by name or in a parameter ARN.
		{"/aws/reference/secretsmanager/db", nil},
		{"/aws/reference/secretsmanager/nope", []want{{FieldSecret, []string{"X: secret nope does not exist in Secrets Manager in eu-west-1"}}}},
		{"arn:aws:ssm:eu-west-1:123456789012:parameter/aws/reference/secretsmanager/nope", []want{{FieldSecret, []string{"X: secret nope does not exist in Secrets Manager in eu-west-1"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.valueFrom, func(t *testing.T) {
			rep, err := Check(context.Background(), Clients{SecretsManager: sm, SSM: params}, Request{Region: region, Account: account,
				Secrets: []SecretUse{{Name: "X", ValueFrom: tt.valueFrom}}})
			if err != nil {
				t.Fatal(err)
			}
			checkFindings(t, "problems", rep.Problems, tt.want)
		})
	}
}

// fakeECR holds images as "repository tag" and "repository digest".
type fakeECR map[string]bool

func (f fakeECR) DescribeImages(_ context.Context, in *ecr.DescribeImagesInput, _ ...func(*ecr.Options)) (*ecr.DescribeImagesOutput, error) {
	repo := aws.ToString(in.RepositoryName)
	if !f[repo] {
		return nil, &smithy.GenericAPIError{Code: "RepositoryNotFoundException"}
	}
	id := in.ImageIds[0]
	if !f[repo+" "+aws.ToString(id.ImageTag)+aws.ToString(id.ImageDigest)] {
		return nil, &smithy.GenericAPIError{Code: "ImageNotFoundException"}
	}
	return &ecr.DescribeImagesOutput{ImageDetails: []ecrtypes.ImageDetail{{}}}, nil
}

// TestCheckImage proves an ECR image of the caller's account and region
// must be in its repository, by tag, digest or the implied latest; other
// images are not looked at.
func TestCheckImage(t *testing.T) {
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	repo := "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web"
	images := fakeECR{"shop/web": true, "shop/web 1.0": true, "shop/web " + digest: true}
	tests := []struct {
		image string
		want  []want
	}{
		{repo + ":1.0", nil},
		{repo + "@" + digest, nil},
		{repo + ":2.0", []want{{FieldImage, []string{"tag 2.0 is not in ECR repository shop/web", "docker push"}}}},
		{repo, []want{{FieldImage, []string{"tag latest (the image names no tag)"}}}},
		{"123456789012.dkr.ecr.eu-west-1.amazonaws.com/nope:1", []want{{FieldImage, []string{"repository nope does not exist"}}}},
		{"999999999999.dkr.ecr.eu-west-1.amazonaws.com/theirs:1", nil},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/elsewhere:1", nil},
		{"public.ecr.aws/nginx/nginx:1.28", nil},
	}
	for _, tt := range tests {
		t.Run(tt.image, func(t *testing.T) {
			rep, err := Check(context.Background(), Clients{ECR: images}, Request{Region: region, Account: "123456789012", Image: tt.image})
			if err != nil {
				t.Fatal(err)
			}
			checkFindings(t, "problems", rep.Problems, tt.want)
		})
	}
}

// TestFindDefaultNetwork proves the default VPC's subnets are sorted by
// their route tables, one per zone, and Choose runs the tasks in public
// subnets with public IPs only when no subnet is private.
func TestFindDefaultNetwork(t *testing.T) {
	f := account()
	f.vpcs[0].IsDefault = true
	n, err := FindDefaultNetwork(context.Background(), f, region)
	if err != nil {
		t.Fatal(err)
	}
	ids := func(subnets []Subnet) []string {
		var out []string
		for _, s := range subnets {
			out = append(out, s.ID)
		}
		return out
	}
	if n.VpcID != "vpc-1" || !slices.Equal(ids(n.Public), []string{"subnet-pub-a", "subnet-pub-b"}) || !slices.Equal(ids(n.Private), []string{"subnet-priv-a", "subnet-priv-b"}) {
		t.Fatalf("FindDefaultNetwork = %+v", n)
	}
	c, problems := n.Choose(false, nil)
	if len(problems) != 0 || c.PublicTasks || !slices.Equal(ids(c.PrivateSubnets), []string{"subnet-priv-a", "subnet-priv-b"}) {
		t.Errorf("with private subnets: %+v, %v; want the tasks in them", c, problems)
	}

	// AWS's default VPC: one public subnet per zone, nothing private.
	f.tables = f.tables[:2]
	f.subnets = slices.DeleteFunc(f.subnets, func(s Subnet) bool { return strings.Contains(s.ID, "priv") })
	n, err = FindDefaultNetwork(context.Background(), f, region)
	if err != nil {
		t.Fatal(err)
	}
	c, problems = n.Choose(false, nil)
	if len(problems) != 0 || !c.PublicTasks || !slices.Equal(ids(c.PrivateSubnets), ids(c.PublicSubnets)) {
		t.Errorf("without private subnets: %+v, %v; want public tasks, the private list repeating the public one", c, problems)
	}
	no := false
	if _, problems = n.Choose(false, &no); len(problems) != 1 || problems[0].Field != private || !slices.Contains(problems[0].Settings, stack.KeyPublicTasks) {
		t.Errorf("private tasks asked for, none possible: %v; want one problem pointing at public-tasks", problems)
	}
	if _, problems = n.Choose(true, nil); len(problems) != 1 || !strings.Contains(problems[0].Message, "private subnets (with a route out but not to an internet gateway) in no Availability Zone, and an internal load balancer needs two") {
		t.Errorf("internal without private subnets: %v", problems)
	}
	// No internet gateway route at all says none, not "fewer than two"
	// (review1920 polish); one says which zone.
	for _, tc := range []struct {
		public []Subnet
		says   string
	}{{nil, "in no Availability Zone"}, {n.Public[:1], "in only one Availability Zone, eu-west-1a"}} {
		bare := &DefaultNetwork{VpcID: "vpc-1", Public: tc.public}
		if _, problems = bare.Choose(false, nil); len(problems) != 1 || !strings.Contains(problems[0].Message, "route to an internet gateway "+tc.says+", and the load balancer needs two") {
			t.Errorf("%d public subnets: %v; want %q", len(tc.public), problems, tc.says)
		}
	}

	f.vpcs[0].IsDefault = false
	if n, err := FindDefaultNetwork(context.Background(), f, region); n != nil || err != nil {
		t.Errorf("no default VPC: %+v, %v; want nil, nil", n, err)
	}
	f.err = map[string]error{"DescribeVpcs": errors.New("boom")}
	if _, err := FindDefaultNetwork(context.Background(), f, region); err == nil {
		t.Error("a failed read is no error")
	}
}

// fakeCloudWatch holds metric and composite alarms by name, answering
// DescribeAlarms as CloudWatch does: only metric alarms unless AlarmTypes
// asks for composite ones too, a page at a time.
type fakeCloudWatch struct {
	metric, composite []string
	err               error
	calls             int
}

func (f *fakeCloudWatch) DescribeAlarms(_ context.Context, in *cloudwatch.DescribeAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	out := &cloudwatch.DescribeAlarmsOutput{}
	page := aws.ToString(in.NextToken)
	for _, name := range in.AlarmNames {
		switch {
		case slices.Contains(f.metric, name) && page == "":
			out.MetricAlarms = append(out.MetricAlarms, cwtypes.MetricAlarm{AlarmName: aws.String(name)})
		case slices.Contains(f.composite, name) && slices.Contains(in.AlarmTypes, cwtypes.AlarmTypeCompositeAlarm) && page == "2":
			out.CompositeAlarms = append(out.CompositeAlarms, cwtypes.CompositeAlarm{AlarmName: aws.String(name)})
		}
	}
	if page == "" {
		out.NextToken = aws.String("2")
	}
	return out, nil
}

// TestCheckAlarms proves a rollback alarm that does not exist is a
// problem naming it (review1920 item 6): ECS would never see it go into
// ALARM. Composite alarms count, on any page; a denied read is a
// warning naming cloudwatch:DescribeAlarms, as the other reads are.
func TestCheckAlarms(t *testing.T) {
	cw := &fakeCloudWatch{metric: []string{"orders-5xx"}, composite: []string{"orders-health"}}
	tests := []struct {
		names []string
		want  []want
	}{
		{[]string{"orders-5xx", "orders-health"}, nil},
		{[]string{"orders-5xx", "orders-latency"}, []want{{FieldRollbackAlarm, []string{"alarm orders-latency does not exist in CloudWatch in eu-west-1", "would not roll back on it"}}}},
		{[]string{"nope-1", "orders-health", "nope-2"}, []want{{FieldRollbackAlarm, []string{"alarms nope-1, nope-2 do not exist in CloudWatch in eu-west-1"}}}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.names, ","), func(t *testing.T) {
			rep, err := Check(context.Background(), Clients{CloudWatch: cw}, Request{Region: region, RollbackAlarms: tt.names})
			if err != nil {
				t.Fatal(err)
			}
			checkFindings(t, "problems", rep.Problems, tt.want)
		})
	}
	denied := &fakeCloudWatch{err: &smithy.OperationError{ServiceID: "CloudWatch", OperationName: "DescribeAlarms", Err: &smithy.GenericAPIError{Code: "AccessDenied"}}}
	rep, _ := Check(context.Background(), Clients{CloudWatch: denied}, Request{Region: region, RollbackAlarms: []string{"orders-5xx"}})
	if len(rep.Problems) != 0 || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0].Message, "could not check the rollback alarms: the credentials may not call cloudwatch:DescribeAlarms") {
		t.Errorf("denied: problems %v, warnings %v; want one warning naming cloudwatch:DescribeAlarms", rep.Problems, rep.Warnings)
	}
	none := &fakeCloudWatch{}
	if Check(context.Background(), Clients{CloudWatch: none}, Request{Region: region}); none.calls != 0 {
		t.Errorf("no rollback alarms: %d DescribeAlarms calls, want none", none.calls)
	}
}
