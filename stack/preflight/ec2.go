package preflight

import (
	"context"
	"net/url"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// EC2API is the part of the EC2 API the checks read. *EC2 implements it;
// tests pass a fake. Each call returns every page.
type EC2API interface {
	DescribeVpcs(ctx context.Context, filters ...Filter) ([]Vpc, error)
	DescribeSubnets(ctx context.Context, filters ...Filter) ([]Subnet, error)
	DescribeRouteTables(ctx context.Context, filters ...Filter) ([]RouteTable, error)
	DescribeVpcEndpoints(ctx context.Context, filters ...Filter) ([]VpcEndpoint, error)
}

// Filter is an EC2 Describe filter: the items whose Name is one of Values.
type Filter struct {
	Name   string
	Values []string
}

// Vpc is a VPC of DescribeVpcs.
type Vpc struct {
	ID        string `xml:"vpcId"`
	IsDefault bool   `xml:"isDefault"`
	CidrBlock string `xml:"cidrBlock"`
}

// Subnet is a subnet of DescribeSubnets.
type Subnet struct {
	ID               string `xml:"subnetId"`
	VpcID            string `xml:"vpcId"`
	AvailabilityZone string `xml:"availabilityZone"`
	DefaultForAz     bool   `xml:"defaultForAz"`
}

// RouteTable is a route table of DescribeRouteTables, with its
// associations and routes.
type RouteTable struct {
	ID           string             `xml:"routeTableId"`
	VpcID        string             `xml:"vpcId"`
	Associations []RouteAssociation `xml:"associationSet>item"`
	Routes       []Route            `xml:"routeSet>item"`
}

// RouteAssociation ties a route table to a subnet, or marks the VPC's
// main table, which every subnet without a table of its own uses.
type RouteAssociation struct {
	Main     bool   `xml:"main"`
	SubnetID string `xml:"subnetId"`
}

// Route is one route of a table; exactly one of the targets is set.
type Route struct {
	DestinationCidrBlock     string `xml:"destinationCidrBlock"`
	DestinationIpv6CidrBlock string `xml:"destinationIpv6CidrBlock"`
	DestinationPrefixListID  string `xml:"destinationPrefixListId"`
	// GatewayID is an internet gateway (igw-), a virtual private gateway
	// (vgw-), a gateway VPC endpoint or a Gateway Load Balancer endpoint
	// (vpce-), or "local".
	GatewayID              string `xml:"gatewayId"`
	NatGatewayID           string `xml:"natGatewayId"`
	TransitGatewayID       string `xml:"transitGatewayId"`
	NetworkInterfaceID     string `xml:"networkInterfaceId"`
	InstanceID             string `xml:"instanceId"`
	VpcPeeringConnectionID string `xml:"vpcPeeringConnectionId"`
	CoreNetworkArn         string `xml:"coreNetworkArn"`
	// State is active, or blackhole when the target is gone.
	State string `xml:"state"`
}

// VpcEndpoint is a VPC endpoint of DescribeVpcEndpoints.
type VpcEndpoint struct {
	ID          string   `xml:"vpcEndpointId"`
	Type        string   `xml:"vpcEndpointType"` // Interface, Gateway, ...
	VpcID       string   `xml:"vpcId"`
	ServiceName string   `xml:"serviceName"` // com.amazonaws.REGION.ecr.api
	State       string   `xml:"state"`       // available, pending, ...
	RouteTables []string `xml:"routeTableIdSet>item"`
	Subnets     []string `xml:"subnetIdSet>item"`
}

// EC2 calls the EC2 API in one region through the query protocol.
type EC2 struct {
	c      *client
	region string
}

// NewEC2 returns an EC2 client for cfg's region. endpoint, when not
// empty, is the endpoint of every call (--endpoint-url).
func NewEC2(cfg aws.Config, endpoint string) *EC2 {
	return &EC2{c: newClient(cfg, endpoint), region: cfg.Region}
}

// ec2PageSize is MaxResults: EC2 allows 5 to 1000 on these calls.
const ec2PageSize = 1000

// describe calls action page by page and hands each page to add, which
// returns the page's NextToken.
func (e *EC2) describe(ctx context.Context, action string, filters []Filter, page func() any, add func(any) string) error {
	params := url.Values{"MaxResults": {strconv.Itoa(ec2PageSize)}}
	for i, f := range filters {
		n := strconv.Itoa(i + 1)
		params.Set("Filter."+n+".Name", f.Name)
		for j, v := range f.Values {
			params.Set("Filter."+n+".Value."+strconv.Itoa(j+1), v)
		}
	}
	for {
		out := page()
		if err := e.c.query(ctx, action, e.region, params, out); err != nil {
			return err
		}
		token := add(out)
		if token == "" {
			return nil
		}
		params.Set("NextToken", token)
	}
}

// DescribeVpcs lists the VPCs that match filters.
func (e *EC2) DescribeVpcs(ctx context.Context, filters ...Filter) ([]Vpc, error) {
	type page struct {
		Items []Vpc  `xml:"vpcSet>item"`
		Next  string `xml:"nextToken"`
	}
	var all []Vpc
	err := e.describe(ctx, "DescribeVpcs", filters, func() any { return &page{} }, func(p any) string {
		all = append(all, p.(*page).Items...)
		return p.(*page).Next
	})
	return all, err
}

// DescribeSubnets lists the subnets that match filters. A filter on
// subnet-id leaves out the IDs that do not exist, where SubnetId.N would
// fail the call on the first.
func (e *EC2) DescribeSubnets(ctx context.Context, filters ...Filter) ([]Subnet, error) {
	type page struct {
		Items []Subnet `xml:"subnetSet>item"`
		Next  string   `xml:"nextToken"`
	}
	var all []Subnet
	err := e.describe(ctx, "DescribeSubnets", filters, func() any { return &page{} }, func(p any) string {
		all = append(all, p.(*page).Items...)
		return p.(*page).Next
	})
	return all, err
}

// DescribeRouteTables lists the route tables that match filters.
func (e *EC2) DescribeRouteTables(ctx context.Context, filters ...Filter) ([]RouteTable, error) {
	type page struct {
		Items []RouteTable `xml:"routeTableSet>item"`
		Next  string       `xml:"nextToken"`
	}
	var all []RouteTable
	err := e.describe(ctx, "DescribeRouteTables", filters, func() any { return &page{} }, func(p any) string {
		all = append(all, p.(*page).Items...)
		return p.(*page).Next
	})
	return all, err
}

// DescribeVpcEndpoints lists the VPC endpoints that match filters.
func (e *EC2) DescribeVpcEndpoints(ctx context.Context, filters ...Filter) ([]VpcEndpoint, error) {
	type page struct {
		Items []VpcEndpoint `xml:"vpcEndpointSet>item"`
		Next  string        `xml:"nextToken"`
	}
	var all []VpcEndpoint
	err := e.describe(ctx, "DescribeVpcEndpoints", filters, func() any { return &page{} }, func(p any) string {
		all = append(all, p.(*page).Items...)
		return p.(*page).Next
	})
	return all, err
}
