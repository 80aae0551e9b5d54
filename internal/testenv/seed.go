package testenv

import (
	"net/url"
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
// public subnets routed through it and two private subnets, in us-east-1a and
// us-east-1b, plus a DNS-validated ACM certificate for app.example.com. It
// fails the test if any call fails.
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
