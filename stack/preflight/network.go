package preflight

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/cfnfargate/cfnfargate/stack"
)

// Network is the VPC and subnets a stack is about to use.
type Network struct {
	VpcID          string
	PublicSubnets  []string
	PrivateSubnets []string
	// Balancer is the parameter whose subnets hold the stack's load
	// balancer: stack.ParamPublicSubnetIDs, or ParamPrivateSubnetIDs for an
	// internal one; empty when the stack has none (a service in an
	// environment).
	Balancer string
	// Tasks is the parameter whose subnets hold the tasks:
	// ParamPublicSubnetIDs with public IPs, else ParamPrivateSubnetIDs;
	// empty when each service decides (an environment's stack).
	Tasks string
}

// uses reports whether the stack puts anything in the subnets of param:
// the load balancer, the tasks, or, in an environment's stack (no Tasks),
// the services that choose them.
func (n Network) uses(param string) bool {
	return n.Balancer == param || n.Tasks == param || n.Tasks == ""
}

// settingPublicTasks is the key of the setting that runs the tasks in the
// public subnets with public IPs.
const settingPublicTasks = stack.KeyPublicTasks

// checkNetwork checks n: that the VPC and subnets exist and the subnets are
// in the VPC, that the load balancer has subnets in two Availability Zones
// and one per zone, that the tasks do (a warning), and that the tasks'
// subnets have a route out.
func checkNetwork(ctx context.Context, api EC2API, region string, n Network, rep *Report) {
	given := map[string][]string{} // subnet ID -> the parameters that name it
	var ids []string
	for _, list := range []struct {
		param string
		ids   []string
	}{{stack.ParamPublicSubnetIDs, n.PublicSubnets}, {stack.ParamPrivateSubnetIDs, n.PrivateSubnets}} {
		if !n.uses(list.param) {
			// Public tasks behind an internet-facing load balancer use
			// no private subnet: the list the parameter still holds
			// (kept from the stack, or repeating the public one) is not
			// the stack's network.
			continue
		}
		for _, id := range list.ids {
			if len(given[id]) == 0 {
				ids = append(ids, id)
			}
			if !slices.Contains(given[id], list.param) {
				given[id] = append(given[id], list.param)
			}
		}
	}
	if n.VpcID != "" {
		vpcs, err := api.DescribeVpcs(ctx, Filter{Name: "vpc-id", Values: []string{n.VpcID}})
		switch {
		case err != nil:
			rep.unread("the VPC", err)
			return
		case len(vpcs) == 0:
			rep.problem(stack.ParamVpcID, nil, "VPC %s does not exist in %s", n.VpcID, region)
			return
		}
	}
	if len(ids) == 0 {
		return
	}
	found, err := api.DescribeSubnets(ctx, Filter{Name: "subnet-id", Values: ids})
	if err != nil {
		rep.unread("the subnets", err)
		return
	}
	subnets := map[string]Subnet{}
	for _, s := range found {
		subnets[s.ID] = s
	}
	vpc := n.VpcID
	for _, id := range ids {
		s, ok := subnets[id]
		for _, param := range given[id] {
			switch {
			case !ok:
				rep.problem(param, nil, "subnet %s does not exist in %s", id, region)
			case vpc == "":
				vpc = s.VpcID
			case s.VpcID != vpc && n.VpcID != "":
				rep.problem(param, nil, "subnet %s is in VPC %s, not in VPC %s: a stack's subnets must all be in its VPC", id, s.VpcID, vpc)
			case s.VpcID != vpc:
				rep.problem(param, nil, "subnet %s is in VPC %s, and other subnets are in VPC %s: a stack's subnets must all be in one VPC", id, s.VpcID, vpc)
			}
		}
	}
	zones := func(list []string) []Subnet {
		var out []Subnet
		for _, id := range list {
			if s, ok := subnets[id]; ok && s.VpcID == vpc {
				out = append(out, s)
			}
		}
		return out
	}
	listOf := map[string][]string{stack.ParamPublicSubnetIDs: n.PublicSubnets, stack.ParamPrivateSubnetIDs: n.PrivateSubnets}
	if n.Balancer != "" {
		checkBalancerZones(n.Balancer, zones(listOf[n.Balancer]), rep)
	}
	if n.Tasks != "" {
		if tasks := zones(listOf[n.Tasks]); len(tasks) > 0 && len(distinctZones(tasks)) < 2 {
			rep.warn(n.Tasks, nil, "the tasks' subnets are all in %s: if that Availability Zone fails, every task stops; give subnets in two or more", tasks[0].AvailabilityZone)
		}
	}

	// The route out, for the subnets that hold tasks.
	var tasks []Subnet
	publicIPs := false
	switch n.Tasks {
	case stack.ParamPublicSubnetIDs:
		tasks, publicIPs = zones(n.PublicSubnets), true
	case stack.ParamPrivateSubnetIDs, "":
		tasks = zones(n.PrivateSubnets)
	}
	var balancer []Subnet
	if n.Balancer == stack.ParamPublicSubnetIDs {
		balancer = zones(n.PublicSubnets)
	}
	if len(tasks) == 0 && len(balancer) == 0 {
		return
	}
	routes, err := newRouting(ctx, api, region, vpc)
	if err != nil {
		rep.unread("the route tables", err)
		return
	}
	for _, s := range balancer {
		if routes.kind(s.ID) != routeInternet {
			rep.warn(stack.ParamPublicSubnetIDs, nil, "subnet %s has no route to an internet gateway (its route table %s sends no 0.0.0.0/0 there): an internet-facing load balancer in it cannot be reached from the internet",
				s.ID, routes.tableOf(s.ID))
		}
	}
	var noRoute, internetOnly []string
	for _, s := range tasks {
		switch k := routes.kind(s.ID); {
		case k == routeInternet && !publicIPs:
			internetOnly = append(internetOnly, s.ID)
		case k == routeNone:
			noRoute = append(noRoute, s.ID)
		}
	}
	if len(noRoute) == 0 && len(internetOnly) == 0 {
		return
	}
	endpoints, err := api.DescribeVpcEndpoints(ctx, Filter{Name: "vpc-id", Values: []string{vpc}})
	if err != nil {
		rep.unread("the VPC endpoints", err)
		return
	}
	// Subnets that reach ECR, S3 and CloudWatch Logs through the VPC's
	// endpoints need no route out.
	var missing []string
	keep := func(ids []string) []string {
		return slices.DeleteFunc(ids, func(id string) bool {
			lacks := routes.missingEndpoints(endpoints, id)
			for _, m := range lacks {
				if !slices.Contains(missing, m) {
					missing = append(missing, m)
				}
			}
			return len(lacks) == 0
		})
	}
	noRoute, internetOnly = keep(noRoute), keep(internetOnly)
	if len(noRoute) == 0 && len(internetOnly) == 0 {
		return
	}
	report := rep.problem
	field, settings := n.Tasks, []string{settingPublicTasks}
	who := "tasks there"
	if n.Tasks == "" {
		// An environment's stack: each service decides where its tasks run.
		report, field, who = rep.warn, stack.ParamPrivateSubnetIDs, "the tasks of services that run in them"
	}
	lacking := fmt.Sprintf("the VPC has no endpoints for %s either", strings.Join(missing, ", "))
	if len(internetOnly) > 0 {
		report(field, settings, "%s %s %s 0.0.0.0/0 to an internet gateway, which serves only addresses with a public IP, and %s: %s cannot pull the image or send logs. Give subnets whose default route goes to a NAT gateway, or run the tasks in the public subnets with public IPs",
			subnetWord(internetOnly), strings.Join(internetOnly, ", "), verb(internetOnly, "routes", "route"), lacking, who)
	}
	if len(noRoute) > 0 {
		if publicIPs {
			report(stack.ParamPublicSubnetIDs, nil, "%s %s %s no route out: no default route (0.0.0.0/0) to an internet gateway or a NAT gateway, and %s: tasks there cannot pull the image or send logs, even with public IPs. Give subnets whose route table sends 0.0.0.0/0 to an internet gateway",
				subnetWord(noRoute), strings.Join(noRoute, ", "), verb(noRoute, "has", "have"), lacking)
			return
		}
		report(field, settings, "%s %s %s no route out: no default route (0.0.0.0/0) to a NAT gateway, a transit gateway or a network interface (a firewall), and %s: %s cannot pull the image or send logs. Add a default route to a NAT gateway, or run the tasks in the public subnets with public IPs",
			subnetWord(noRoute), strings.Join(noRoute, ", "), verb(noRoute, "has", "have"), lacking, who)
	}
}

func subnetWord(ids []string) string { return verb(ids, "subnet", "subnets") }

// verb is one for a single item of ids, else many.
func verb(ids []string, one, many string) string {
	if len(ids) == 1 {
		return one
	}
	return many
}

// checkBalancerZones checks the load balancer's subnets: "You must specify
// subnets from at least two Availability Zones" and "You can specify only
// one subnet per Availability Zone" (ELB API reference, CreateLoadBalancer,
// Subnets).
func checkBalancerZones(param string, subnets []Subnet, rep *Report) {
	byZone := map[string][]string{}
	for _, s := range subnets {
		byZone[s.AvailabilityZone] = append(byZone[s.AvailabilityZone], s.ID)
	}
	if len(subnets) > 0 && len(byZone) < 2 {
		// One problem, with both rules: the fix of one is the fix of
		// the other.
		zone := subnets[0].AvailabilityZone
		if ids := byZone[zone]; len(ids) > 1 {
			rep.problem(param, nil, "subnets %s are all in %s: an Application Load Balancer needs subnets in at least two Availability Zones, one subnet per zone", strings.Join(ids, ", "), zone)
			return
		}
		rep.problem(param, nil, "the load balancer's subnets are all in %s: an Application Load Balancer needs subnets in at least two Availability Zones", zone)
		return
	}
	for _, zone := range sortedKeys(byZone) {
		if ids := byZone[zone]; len(ids) > 1 {
			rep.problem(param, nil, "subnets %s are all in %s: a load balancer takes one subnet per Availability Zone", strings.Join(ids, ", "), zone)
		}
	}
}

func distinctZones(subnets []Subnet) []string {
	var zones []string
	for _, s := range subnets {
		if !slices.Contains(zones, s.AvailabilityZone) {
			zones = append(zones, s.AvailabilityZone)
		}
	}
	return zones
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// routeKind is where a subnet's default route goes.
type routeKind int

const (
	// routeNone: no default route, or one that leads nowhere out
	// (blackhole, a peering connection).
	routeNone routeKind = iota
	// routeInternet: an internet gateway, which only addresses with a
	// public IP can use.
	routeInternet
	// routeOut: a NAT gateway or instance, a transit gateway, a network
	// interface (a firewall appliance), a Gateway Load Balancer or
	// Network Firewall endpoint, a virtual private gateway or a Cloud WAN
	// core network: a way out without a public IP.
	routeOut
)

// routing is the route tables of one VPC.
type routing struct {
	region string
	tables []RouteTable
	main   *RouteTable
}

func newRouting(ctx context.Context, api EC2API, region, vpc string) (*routing, error) {
	tables, err := api.DescribeRouteTables(ctx, Filter{Name: "vpc-id", Values: []string{vpc}})
	if err != nil {
		return nil, err
	}
	r := &routing{region: region, tables: tables}
	for i, t := range tables {
		for _, a := range t.Associations {
			if a.Main {
				r.main = &r.tables[i]
			}
		}
	}
	return r, nil
}

// table is the route table of subnet: its own, or the VPC's main table
// ("A subnet can only be associated with one route table at a time ... a
// subnet that is not explicitly associated is implicitly associated with
// the main route table", VPC User Guide, "Route tables").
func (r *routing) table(subnet string) *RouteTable {
	for i, t := range r.tables {
		for _, a := range t.Associations {
			if a.SubnetID == subnet {
				return &r.tables[i]
			}
		}
	}
	return r.main
}

func (r *routing) tableOf(subnet string) string {
	if t := r.table(subnet); t != nil {
		return t.ID
	}
	return "(none)"
}

// kind is where subnet's default IPv4 route goes.
func (r *routing) kind(subnet string) routeKind {
	t := r.table(subnet)
	if t == nil {
		return routeNone
	}
	for _, route := range t.Routes {
		if route.DestinationCidrBlock != "0.0.0.0/0" || route.State == "blackhole" {
			continue
		}
		switch {
		case strings.HasPrefix(route.GatewayID, "igw-"):
			return routeInternet
		case route.NatGatewayID != "", route.TransitGatewayID != "", route.NetworkInterfaceID != "", route.InstanceID != "",
			route.CoreNetworkArn != "", strings.HasPrefix(route.GatewayID, "vpce-"), strings.HasPrefix(route.GatewayID, "vgw-"):
			return routeOut
		}
	}
	return routeNone
}

// taskEndpoints are the services a task without a route out needs
// endpoints for: "Amazon ECR interface VPC endpoints" (ecr.api, ecr.dkr),
// the S3 gateway endpoint the image layers come from, and CloudWatch Logs
// for the awslogs driver (ECS developer guide, "Amazon ECS interface VPC
// endpoints"; ECR User Guide, "Amazon ECR interface VPC endpoints").
var taskEndpoints = []struct{ service, name string }{
	{"ecr.api", "ECR (api)"},
	{"ecr.dkr", "ECR (dkr)"},
	{"s3", "S3"},
	{"logs", "CloudWatch Logs"},
}

// missingEndpoints names the services of taskEndpoints that subnet has no
// endpoint for, among endpoints (available or on their way): an interface
// endpoint serves the whole VPC through its private DNS name, a gateway
// endpoint (S3) only the route tables it is associated with.
func (r *routing) missingEndpoints(endpoints []VpcEndpoint, subnet string) []string {
	table := r.tableOf(subnet)
	var missing []string
	for _, want := range taskEndpoints {
		// com.amazonaws.REGION.SERVICE, with a cn. prefix in China.
		suffix := "." + r.region + "." + want.service
		if !slices.ContainsFunc(endpoints, func(e VpcEndpoint) bool {
			usable := e.State == "" || strings.EqualFold(e.State, "available") || strings.EqualFold(e.State, "pending")
			reaches := !strings.EqualFold(e.Type, "Gateway") || slices.Contains(e.RouteTables, table)
			return strings.HasSuffix(e.ServiceName, suffix) && usable && reaches
		}) {
			missing = append(missing, want.name)
		}
	}
	return missing
}
