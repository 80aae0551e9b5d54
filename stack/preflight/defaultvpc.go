package preflight

import (
	"context"
	"sort"

	"github.com/cfnfargate/cfnfargate/stack"
)

// DefaultNetwork is a region's default VPC, with its subnets sorted by
// where their route tables send 0.0.0.0/0, one subnet per Availability
// Zone each (sorted by zone).
type DefaultNetwork struct {
	VpcID string
	// Public subnets route to an internet gateway.
	Public []Subnet
	// Private subnets reach ECR, S3 and CloudWatch Logs without a public
	// IP: through a NAT gateway, a transit gateway, a firewall or the VPC's
	// endpoints.
	Private []Subnet
}

// FindDefaultNetwork reads region's default VPC and sorts its subnets. It
// returns nil, nil when the region has none ("If you delete your default
// VPC ... you can create a new one", VPC User Guide, "Default VPCs").
func FindDefaultNetwork(ctx context.Context, api EC2API, region string) (*DefaultNetwork, error) {
	vpcs, err := api.DescribeVpcs(ctx, Filter{Name: "is-default", Values: []string{"true"}})
	if err != nil || len(vpcs) == 0 {
		return nil, err
	}
	n := &DefaultNetwork{VpcID: vpcs[0].ID}
	subnets, err := api.DescribeSubnets(ctx, Filter{Name: "vpc-id", Values: []string{n.VpcID}})
	if err != nil {
		return nil, err
	}
	routes, err := newRouting(ctx, api, region, n.VpcID)
	if err != nil {
		return nil, err
	}
	var endpoints []VpcEndpoint
	var endpointsRead bool
	var public, private []Subnet
	for _, s := range subnets {
		switch routes.kind(s.ID) {
		case routeInternet:
			public = append(public, s)
		case routeOut:
			private = append(private, s)
		default:
			if !endpointsRead {
				if endpoints, err = api.DescribeVpcEndpoints(ctx, Filter{Name: "vpc-id", Values: []string{n.VpcID}}); err != nil {
					return nil, err
				}
				endpointsRead = true
			}
			if len(routes.missingEndpoints(endpoints, s.ID)) == 0 {
				private = append(private, s)
			}
		}
	}
	n.Public, n.Private = onePerZone(public), onePerZone(private)
	return n, nil
}

// onePerZone keeps one subnet per Availability Zone, a load balancer's
// limit: the zone's default subnet, else the one with the lowest ID.
func onePerZone(subnets []Subnet) []Subnet {
	sort.Slice(subnets, func(i, j int) bool {
		a, b := subnets[i], subnets[j]
		if a.AvailabilityZone != b.AvailabilityZone {
			return a.AvailabilityZone < b.AvailabilityZone
		}
		if a.DefaultForAz != b.DefaultForAz {
			return a.DefaultForAz
		}
		return a.ID < b.ID
	})
	var out []Subnet
	for _, s := range subnets {
		if len(out) == 0 || out[len(out)-1].AvailabilityZone != s.AvailabilityZone {
			out = append(out, s)
		}
	}
	return out
}

// Choice is the network a stack uses when none is given.
type Choice struct {
	VpcID          string
	PublicSubnets  []Subnet
	PrivateSubnets []Subnet
	// PublicTasks runs the tasks in the public subnets with public IPs,
	// because no subnet is private; PrivateSubnets are then the public
	// ones (see stack.DeployParameters).
	PublicTasks bool
}

// Choose picks the subnets of the default network n for a stack whose
// load balancer is internal or not, and whose tasks have public IPs when
// publicTasks says so (nil: when no subnet is private). Problems are
// keyed by the parameter the user would give instead.
func (n *DefaultNetwork) Choose(internal bool, publicTasks *bool) (Choice, []Finding) {
	c := Choice{VpcID: n.VpcID, PublicSubnets: n.Public, PrivateSubnets: n.Private}
	var problems []Finding
	add := func(field string, settings []string, message string) {
		problems = append(problems, Finding{Field: field, Message: message, Settings: settings})
	}
	// "in none" or "in only one": the fix differs (an internet gateway and
	// its route, or a second subnet).
	zones := func(subnets []Subnet) string {
		if len(subnets) == 0 {
			return "in no Availability Zone"
		}
		return "in only one Availability Zone, " + subnets[0].AvailabilityZone
	}
	if internal {
		if len(n.Private) < 2 {
			add(stack.ParamPrivateSubnetIDs, nil, "the default VPC "+n.VpcID+" has private subnets (with a route out but not to an internet gateway) "+zones(n.Private)+", and an internal load balancer needs two")
		}
	} else if len(n.Public) < 2 {
		add(stack.ParamPublicSubnetIDs, nil, "the default VPC "+n.VpcID+" has subnets that route to an internet gateway "+zones(n.Public)+", and the load balancer needs two")
	}
	switch {
	case publicTasks != nil && *publicTasks:
		c.PublicTasks = true
	case publicTasks != nil && len(n.Private) == 0:
		add(stack.ParamPrivateSubnetIDs, []string{stack.KeyPublicTasks}, "the default VPC "+n.VpcID+" has no private subnet with a route out (a NAT gateway or VPC endpoints), and the tasks are to run without public IPs")
	case len(n.Private) == 0:
		c.PublicTasks = true
	}
	if c.PublicTasks && !internal {
		c.PrivateSubnets = n.Public
	}
	return c, problems
}
