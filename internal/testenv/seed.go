package testenv

import (
	"net/url"
	"strings"
	"testing"
)

// Network is what Seed created in moto: the inputs a deploy needs.
type Network struct {
	VpcID          string
	PublicSubnets  []string // one per AZ, us-east-1a then us-east-1b
	PrivateSubnets []string // one per AZ, us-east-1a then us-east-1b
	CertificateArn string   // ACM certificate for app.example.com, status ISSUED
}

// Seed creates in moto a VPC (10.0.0.0/16) with an internet gateway, two
// public subnets routed through it and two private subnets routed through a
// NAT gateway, in us-east-1a and us-east-1b, plus a DNS-validated ACM
// certificate for app.example.com. It fails the test if any call fails.
func (m *Moto) Seed(t testing.TB) Network {
	t.Helper()
	var n Network

	vpc := m.Query(t, "ec2", "CreateVpc", url.Values{
		"CidrBlock":                       {"10.0.0.0/16"},
		"TagSpecification.1.ResourceType": {"vpc"},
		"TagSpecification.1.Tag.1.Key":    {"Name"},
		"TagSpecification.1.Tag.1.Value":  {"cfnfargate-test"},
	})
	n.VpcID = only(t, vpc, "vpcId")

	// Public subnets are public because their route table sends 0.0.0.0/0 to
	// an internet gateway; real AWS refuses an internet-facing load balancer
	// in a VPC without one, so the seed should not rely on moto being lax.
	igw := only(t, m.Query(t, "ec2", "CreateInternetGateway", nil), "internetGatewayId")
	m.Query(t, "ec2", "AttachInternetGateway", url.Values{"InternetGatewayId": {igw}, "VpcId": {n.VpcID}})
	publicRoutes := only(t, m.Query(t, "ec2", "CreateRouteTable", url.Values{"VpcId": {n.VpcID}}), "routeTableId")
	m.Query(t, "ec2", "CreateRoute", url.Values{
		"RouteTableId":         {publicRoutes},
		"DestinationCidrBlock": {"0.0.0.0/0"},
		"GatewayId":            {igw},
	})

	// Two AZs because an application load balancer needs subnets in at least
	// two Availability Zones.
	subnets := []struct {
		cidr, az, name string
		public         bool
	}{
		{cidr: "10.0.0.0/24", az: "us-east-1a", name: "public-a", public: true},
		{cidr: "10.0.1.0/24", az: "us-east-1b", name: "public-b", public: true},
		{cidr: "10.0.10.0/24", az: "us-east-1a", name: "private-a"},
		{cidr: "10.0.11.0/24", az: "us-east-1b", name: "private-b"},
	}
	var privateRoutes string
	for _, s := range subnets {
		subnet := only(t, m.Query(t, "ec2", "CreateSubnet", url.Values{
			"VpcId":                           {n.VpcID},
			"CidrBlock":                       {s.cidr},
			"AvailabilityZone":                {s.az},
			"TagSpecification.1.ResourceType": {"subnet"},
			"TagSpecification.1.Tag.1.Key":    {"Name"},
			"TagSpecification.1.Tag.1.Value":  {s.name},
		}), "subnetId")
		if !s.public {
			if privateRoutes == "" {
				privateRoutes = m.natRoutes(t, n.VpcID, n.PublicSubnets[0])
			}
			m.Query(t, "ec2", "AssociateRouteTable", url.Values{"RouteTableId": {privateRoutes}, "SubnetId": {subnet}})
			n.PrivateSubnets = append(n.PrivateSubnets, subnet)
			continue
		}
		m.Query(t, "ec2", "AssociateRouteTable", url.Values{"RouteTableId": {publicRoutes}, "SubnetId": {subnet}})
		n.PublicSubnets = append(n.PublicSubnets, subnet)
	}

	// RequestCertificate gives a real ARN in moto, and ELBv2 CreateListener
	// accepts it because moto only checks that the certificate exists in ACM
	// (moto/elb/models.py register_certificate).
	var cert struct{ CertificateArn string }
	m.JSON(t, "acm", "RequestCertificate", map[string]any{
		"DomainName":       "app.example.com",
		"ValidationMethod": "DNS",
	}, &cert)
	if cert.CertificateArn == "" {
		t.Fatalf("moto acm RequestCertificate returned no CertificateArn")
	}
	n.CertificateArn = cert.CertificateArn
	return n
}

// natRoutes creates a NAT gateway in the public subnet and a route table
// whose default route goes through it, and returns the table's ID. Private
// subnets need it as in production: tasks without a public IP reach ECR,
// S3 and CloudWatch Logs only through a NAT gateway (or VPC endpoints), and
// the deploy's pre-flight refuses private subnets without a route out.
func (m *Moto) natRoutes(t testing.TB, vpc, publicSubnet string) string {
	t.Helper()
	eip := only(t, m.Query(t, "ec2", "AllocateAddress", url.Values{"Domain": {"vpc"}}), "allocationId")
	nat := only(t, m.Query(t, "ec2", "CreateNatGateway", url.Values{"SubnetId": {publicSubnet}, "AllocationId": {eip}}), "natGatewayId")
	routes := only(t, m.Query(t, "ec2", "CreateRouteTable", url.Values{"VpcId": {vpc}}), "routeTableId")
	m.Query(t, "ec2", "CreateRoute", url.Values{
		"RouteTableId":         {routes},
		"DestinationCidrBlock": {"0.0.0.0/0"},
		"NatGatewayId":         {nat},
	})
	return routes
}

// DefaultVPC returns the default VPC moto gives region, with its default
// subnets (one per Availability Zone) as PublicSubnets, after adding what
// the default VPC of a real account has and moto's lacks: an internet
// gateway and, in the main route table, the 0.0.0.0/0 route to it ("Default
// VPCs", VPC User Guide: "an internet gateway ... a route in the main route
// table that points all traffic (0.0.0.0/0) to the internet gateway"). A
// second call for the same region finds the gateway and adds nothing.
func (m *Moto) DefaultVPC(t testing.TB, region string) Network {
	t.Helper()
	var n Network
	n.VpcID = only(t, m.QueryIn(t, region, "ec2", "DescribeVpcs", url.Values{
		"Filter.1.Name": {"is-default"}, "Filter.1.Value.1": {"true"},
	}), "vpcId")
	n.PublicSubnets = XMLValues(m.QueryIn(t, region, "ec2", "DescribeSubnets", url.Values{
		"Filter.1.Name": {"vpc-id"}, "Filter.1.Value.1": {n.VpcID},
	}), "subnetId")
	attached := XMLValues(m.QueryIn(t, region, "ec2", "DescribeInternetGateways", url.Values{
		"Filter.1.Name": {"attachment.vpc-id"}, "Filter.1.Value.1": {n.VpcID},
	}), "internetGatewayId")
	if len(attached) > 0 {
		return n
	}
	igw := only(t, m.QueryIn(t, region, "ec2", "CreateInternetGateway", nil), "internetGatewayId")
	m.QueryIn(t, region, "ec2", "AttachInternetGateway", url.Values{"InternetGatewayId": {igw}, "VpcId": {n.VpcID}})
	// The table's ID appears twice: in the table and in its association.
	tables := XMLValues(m.QueryIn(t, region, "ec2", "DescribeRouteTables", url.Values{
		"Filter.1.Name": {"vpc-id"}, "Filter.1.Value.1": {n.VpcID},
		"Filter.2.Name": {"association.main"}, "Filter.2.Value.1": {"true"},
	}), "routeTableId")
	if len(tables) == 0 {
		t.Fatalf("moto: the default VPC %s of %s has no main route table", n.VpcID, region)
	}
	main := tables[0]
	m.QueryIn(t, region, "ec2", "CreateRoute", url.Values{
		"RouteTableId":         {main},
		"DestinationCidrBlock": {"0.0.0.0/0"},
		"GatewayId":            {igw},
	})
	return n
}

// only returns the single value of element in a query response, failing the
// test when there is not exactly one.
func only(t testing.TB, body []byte, element string) string {
	t.Helper()
	values := XMLValues(body, element)
	if len(values) != 1 || values[0] == "" {
		t.Fatalf("want exactly one non-empty <%s> in moto response, got %q:\n%s", element, values, body)
	}
	return values[0]
}

// Flags are the deploy flags of the network: its VPC, subnets and
// certificate.
func (n Network) Flags() []string {
	return []string{"--vpc-id", n.VpcID, "--public-subnets", strings.Join(n.PublicSubnets, ","),
		"--private-subnets", strings.Join(n.PrivateSubnets, ","), "--certificate-arn", n.CertificateArn}
}
