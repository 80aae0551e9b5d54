package stack_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cfnfargate/cfnfargate/stack"
)

func inEnv(edit func(*stack.Config)) stack.Config {
	c := stack.Default()
	c.Environment = stack.Environment{Name: "prod", Hosts: []string{"api.example.com"}}
	edit(&c)
	return c
}

// Proves: a service in an environment is refused, naming the setting,
// when it cannot be routed (no host or path, characters or counts ELB
// rejects), or when it sets what belongs to the environment's load
// balancer or cluster; and a host or a path without any environment is
// refused (it used to be a warning, and built a load balancer of the
// service's own).
func TestValidateRouting(t *testing.T) {
	tests := []struct {
		name string
		cfg  stack.Config
		key  string
		want string
	}{
		{"nothing to route by", inEnv(func(c *stack.Config) { c.Environment.Hosts = nil }), "host", "needs a host or a path"},
		{"bad host", inEnv(func(c *stack.Config) { c.Environment.Hosts = []string{"api example.com"} }), "host", "is not a host name"},
		// ELB API reference, HostHeaderConditionConfig: at least one dot,
		// only letters after the last one, up to 128 characters.
		{"host without a dot", inEnv(func(c *stack.Config) { c.Environment.Hosts = []string{"localhost"} }), "host", "at least one dot and only letters after the last one"},
		{"host ending in digits", inEnv(func(c *stack.Config) { c.Environment.Hosts = []string{"api.internal.123"} }), "host", "only letters after the last one"},
		{"host with a wildcard after the last dot", inEnv(func(c *stack.Config) { c.Environment.Hosts = []string{"api.example.*"} }), "host", "only letters after the last one"},
		{"host over 128", inEnv(func(c *stack.Config) { c.Environment.Hosts = []string{strings.Repeat("a", 125) + ".com"} }), "host", "up to 128 characters"},
		{"domain as the host", inEnv(func(c *stack.Config) {
			c.Environment.Hosts = nil
			c.Domain = stack.Domain{Name: "api.example.123", HostedZoneID: "Z0123456789ABCDEFGHIJ"}
		}), "domain-name", "is the listener rule's host"},
		{"bad path", inEnv(func(c *stack.Config) { c.Environment.Paths = []string{"api/*"} }), "path", "is not a path pattern"},
		{"six values", inEnv(func(c *stack.Config) { c.Environment.Paths = []string{"/a", "/b", "/c", "/d", "/e"} }), "host", "up to 5 values"},
		{"six wildcards", inEnv(func(c *stack.Config) { c.Environment.Paths = []string{"/a/*/*/*", "/b/*/*/*"} }), "path", "up to 5"},
		{"bad environment name", inEnv(func(c *stack.Config) { c.Environment.Name = "Prod_1" }), "environment", "is not an environment name"},
		{"cluster", inEnv(func(c *stack.Config) { c.Service.Cluster = "shared" }), "cluster", "environment prod's cluster"},
		{"load balancer setting", inEnv(func(c *stack.Config) { c.LoadBalancer.IdleTimeout = 120 }), "idle-timeout", "belongs to environment prod"},
		{"insights", inEnv(func(c *stack.Config) { c.Service.ContainerInsights = false }), "no-container-insights", "belongs to environment prod"},
		{"priority", inEnv(func(c *stack.Config) { c.Environment.Priority = 50001 }), "priority", "out of range"},
		{"host without environment", inEnv(func(c *stack.Config) { c.Environment.Name = "" }), "host", "and no environment is given"},
		{"path without environment", inEnv(func(c *stack.Config) { c.Environment = stack.Environment{Paths: []string{"/api/*"}} }), "path", "and no environment is given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var verr *stack.ValidationError
			if err := tt.cfg.Validate(); !errors.As(err, &verr) {
				t.Fatalf("Validate = %v; want problems", err)
			}
			if !slices.ContainsFunc(verr.Problems, func(p stack.Problem) bool {
				return p.Key == tt.key && strings.Contains(p.Message, tt.want)
			}) {
				t.Errorf("no problem for %s containing %q; got %v", tt.key, tt.want, verr.Problems)
			}
		})
	}
	// A domain alone routes by its name.
	c := inEnv(func(c *stack.Config) {
		c.Environment.Hosts = nil
		c.Domain = stack.Domain{Name: "api.example.com", HostedZoneID: "Z0123456789ABCDEFGHIJ"}
	})
	if err := c.Validate(); err != nil {
		t.Errorf("a domain without hosts: %v", err)
	}
	// What ELB accepts: wildcards before the last dot, 128 characters, and
	// a domain that is not the rule's host may end as DNS allows.
	for _, hosts := range [][]string{{"*.example.com"}, {"api-?.example.co"}, {strings.Repeat("a", 124) + ".com"}} {
		if err := inEnv(func(c *stack.Config) { c.Environment.Hosts = hosts }).Validate(); err != nil {
			t.Errorf("hosts %v: %v", hosts, err)
		}
	}
	c = inEnv(func(c *stack.Config) {
		c.Domain = stack.Domain{Name: "api.example.123", HostedZoneID: "Z0123456789ABCDEFGHIJ"}
	})
	if err := c.Validate(); err != nil {
		t.Errorf("a domain beside a host: %v", err)
	}
}

// Proves the library names the setting that fixes a host without an
// environment, or a domain without its zone, as data (Give), and no flag
// or command (review1920 item 10): the command line words them.
func TestProblemsGiveTheSettingThatFixesThem(t *testing.T) {
	tests := []struct {
		cfg       stack.Config
		key, give string
	}{
		{inEnv(func(c *stack.Config) { c.Environment.Name = "" }), stack.KeyHost, stack.KeyEnvironment},
		{func() stack.Config { c := stack.Default(); c.Domain.Name = "shop.example.com"; return c }(), stack.KeyDomainName, stack.KeyHostedZoneID},
	}
	for _, tt := range tests {
		var verr *stack.ValidationError
		if err := tt.cfg.Validate(); !errors.As(err, &verr) {
			t.Fatalf("Validate = %v; want problems", err)
		}
		i := slices.IndexFunc(verr.Problems, func(p stack.Problem) bool { return p.Key == tt.key })
		if i < 0 {
			t.Fatalf("no problem of %s: %v", tt.key, verr.Problems)
		}
		p := verr.Problems[i]
		if !slices.Equal(p.Give, []string{tt.give}) || !strings.HasSuffix(p.String(), "; give "+tt.give) ||
			strings.Contains(p.Message, "--") || strings.Contains(p.Message, "cfnfargate ") {
			t.Errorf("%s: %q, Give %v; want Give [%s], no flag and no command in the message", tt.key, p.String(), p.Give, tt.give)
		}
	}
}

// Proves: a condition with more values than the ALB guide documents per
// condition (3), but within the 5 per rule that ELB enforces, is a warning
// naming the setting, not an error; 3 values warn nothing.
func TestConditionValueWarnings(t *testing.T) {
	four := inEnv(func(c *stack.Config) {
		c.Environment.Hosts = []string{"a.example.com", "b.example.com", "c.example.com", "d.example.com"}
	})
	if err := four.Validate(); err != nil {
		t.Fatalf("four hosts: %v", err)
	}
	if !slices.ContainsFunc(four.Warnings(), func(p stack.Problem) bool {
		return p.Key == stack.KeyHost && strings.Contains(p.Message, "up to 3 per condition")
	}) {
		t.Errorf("four hosts: no warning about 3 per condition: %v", four.Warnings())
	}
	three := inEnv(func(c *stack.Config) { c.Environment.Paths = []string{"/a", "/b", "/c"} })
	if w := three.Warnings(); len(w) != 0 {
		t.Errorf("three paths warn: %v", w)
	}
}

// Proves: a derived priority lies in the band of the rule's conditions,
// more specific rules first (host and path, then path, then host), is the
// same for the same name and differs between names; a given priority wins.
func TestRulePriority(t *testing.T) {
	band := func(c stack.Config) int { return stack.RulePriority(c) / 15000 }
	hostAndPath := inEnv(func(c *stack.Config) { c.Environment.Paths = []string{"/v1/*"} })
	pathOnly := inEnv(func(c *stack.Config) { c.Environment.Hosts, c.Environment.Paths = nil, []string{"/v1/*"} })
	hostOnly := inEnv(func(*stack.Config) {})
	for _, c := range []stack.Config{hostAndPath, pathOnly, hostOnly} {
		if p := stack.RulePriority(c); p < 1 || p > 50000 {
			t.Errorf("priority %d is outside 1-50000", p)
		}
	}
	if !(stack.RulePriority(hostAndPath) < stack.RulePriority(pathOnly) && stack.RulePriority(pathOnly) < stack.RulePriority(hostOnly)) {
		t.Errorf("priorities host+path %d, path %d, host %d: want the more specific first",
			stack.RulePriority(hostAndPath), stack.RulePriority(pathOnly), stack.RulePriority(hostOnly))
	}
	if band(hostAndPath) == band(hostOnly) {
		t.Errorf("host+path and host-only rules share a band")
	}
	other := hostOnly
	other.Name = "billing"
	if stack.RulePriority(other) == stack.RulePriority(hostOnly) {
		t.Errorf("services %s and %s drew the same priority %d", other.Name, hostOnly.Name, stack.RulePriority(other))
	}
	if stack.RulePriority(hostOnly) != stack.RulePriority(inEnv(func(*stack.Config) {})) {
		t.Error("the same service drew two priorities")
	}
	// Services named after their stacks (no name) differ by their hosts.
	web := inEnv(func(c *stack.Config) { c.Environment.Hosts = []string{"web.example.com"} })
	if hostOnly.Name != "" || stack.RulePriority(web) == stack.RulePriority(hostOnly) {
		t.Errorf("unnamed services with hosts api and web drew the same priority %d", stack.RulePriority(web))
	}
	given := inEnv(func(c *stack.Config) { c.Environment.Priority = 7 })
	if got := stack.RulePriority(given); got != 7 {
		t.Errorf("RulePriority with priority 7 = %d", got)
	}
}

// Proves: an environment's template takes only the environment's
// settings, checks them, and names what is wrong.
func TestValidateEnvironment(t *testing.T) {
	c := stack.Default()
	c.Environment.Name = "prod"
	if err := c.ValidateEnvironment(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	c.LoadBalancer.Internal = true // without allow-cidr
	c.LoadBalancer.ExtraCertificates = 26
	c.Container.Port = 0 // a service setting: not the environment's concern
	var verr *stack.ValidationError
	if err := c.ValidateEnvironment(); !errors.As(err, &verr) {
		t.Fatalf("ValidateEnvironment = %v; want problems", err)
	}
	var keys []string
	for _, p := range verr.Problems {
		keys = append(keys, p.Key)
	}
	slices.Sort(keys)
	if want := []string{"allow-cidr", "extra-certificates"}; !slices.Equal(keys, want) {
		t.Errorf("problems name %q; want %q", keys, want)
	}
}

// Proves: environments with different names never share a target group's
// logical ID, however their names differ (case, digits, hyphens, z).
func TestEnvironmentTargetGroupsDiffer(t *testing.T) {
	names := []string{"prod", "prod2", "prod-2", "prodz2", "prod-z2", "prod-zone", "prodzone", "eu-west-1", "euwest1", "eu-west1", "staging-eu", "stagingeu", "a-b-c", "ab-c", "a-bc"}
	seen := map[string]string{}
	for _, n := range names {
		c := inEnv(func(c *stack.Config) { c.Environment.Name = n })
		if err := c.Validate(); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		doc, err := stack.Build(c)
		if err != nil {
			t.Fatal(err)
		}
		var id string
		for logical, r := range doc["Resources"].(map[string]any) {
			if r.(map[string]any)["Type"] == "AWS::ElasticLoadBalancingV2::TargetGroup" {
				id = logical
			}
		}
		if other, ok := seen[id]; ok {
			t.Errorf("environments %s and %s share the target group %s", other, n, id)
		}
		seen[id] = n
	}
}

// Proves (review 2, F1): however many services join an environment, its
// load balancer's security group keeps the same outbound rules, within the
// 60 per address family a group may hold (VPC quotas; a rule naming a
// group counts once for IPv4 and once for IPv6): no service adds a rule to
// it, and its one rule to the services group reaches every service, whose
// tasks join that group and whose own group admits the load balancer on
// the container port.
func TestEnvironmentEgressBudget(t *testing.T) {
	const servicesGroup = "ServicesSecurityGroupId" // the output and parameter
	env := stack.Default()
	env.Environment.Name = "prod"
	envDoc, err := stack.BuildEnvironment(env)
	if err != nil {
		t.Fatal(err)
	}
	// The environment's own outbound rules on its load balancer's group.
	rules := len(at2(propsOf(envDoc, "LoadBalancerSecurityGroup"), "SecurityGroupEgress").([]any))
	var toServices map[string]any
	for id, props := range resourcesOfType(envDoc, "AWS::EC2::SecurityGroupEgress") {
		if canonical(props["GroupId"]) == canonical(getAtt("LoadBalancerSecurityGroup", "GroupId")) {
			rules++
			toServices = propsOf(envDoc, id)
		}
	}
	output := at2(envDoc, "Outputs", servicesGroup, "Value")
	if toServices == nil || output == nil || canonical(toServices["DestinationSecurityGroupId"]) != canonical(output) {
		t.Errorf("no egress rule from the load balancer's group to a group output as %s (%v): %v", servicesGroup, output, toServices)
	}

	const services = 70 // past the 60 a rule per service would reach
	for n := range services {
		c := inEnv(func(c *stack.Config) {
			c.Name = fmt.Sprintf("svc%d", n)
			c.Environment.Hosts = []string{fmt.Sprintf("svc%d.example.com", n)}
			c.Container.Port = 8000 + n
			if n%2 == 1 {
				c.Deployment.Strategy = stack.StrategyCanary
			}
		})
		doc := document(t, c)
		for _, typ := range []string{"AWS::EC2::SecurityGroupEgress", "AWS::EC2::SecurityGroupIngress"} {
			for id, props := range resourcesOfType(doc, typ) {
				if canonical(props["GroupId"]) == canonical(ref(stack.ParamLoadBalancerSecurityGroupID)) {
					rules++
					if n == 0 {
						t.Errorf("service %s adds %s %s to the environment's load balancer group", c.Name, typ, id)
					}
				}
			}
		}
		if n > 0 {
			continue // the wiring is the same for every service
		}
		groups := at2(propsOf(doc, "Service"), "NetworkConfiguration", "AwsvpcConfiguration", "SecurityGroups").([]any)
		if !slices.ContainsFunc(groups, func(g any) bool { return canonical(g) == canonical(ref(servicesGroup)) }) {
			t.Errorf("service %s's tasks do not join the services group: %v", c.Name, groups)
		}
		in := propsOf(doc, "TaskFromLoadBalancerIngress")
		port := fmt.Sprint(c.Container.Port)
		if canonical(in["SourceSecurityGroupId"]) != canonical(ref(stack.ParamLoadBalancerSecurityGroupID)) || fmt.Sprint(in["FromPort"]) != port || fmt.Sprint(in["ToPort"]) != port {
			t.Errorf("service %s's group does not admit the load balancer on port %d: %v", c.Name, c.Container.Port, in)
		}
		from, _ := intIn(toServices["FromPort"], 0, 65535)
		to, _ := intIn(toServices["ToPort"], 0, 65535)
		if c.Container.Port < from || c.Container.Port > to {
			t.Errorf("the environment's rule to the services group covers ports %d-%d, not %d", from, to, c.Container.Port)
		}
	}
	if rules > 60 {
		t.Errorf("with %d services the load balancer's group has %d outbound rules per address family; a group holds 60", services, rules)
	}
}

// Proves (review of issue 18, item 15): every resource of an environment
// that its services refer to through the environment's outputs, but the
// cluster, is one whose replacement env deploy refuses while services use
// it (SharedResourceIDs): the services security group, which every
// service's tasks join, included.
func TestSharedResourcesAreWhatServicesUse(t *testing.T) {
	cfg := stack.Default()
	cfg.Environment.Name = "prod"
	doc, err := stack.BuildEnvironment(cfg)
	if err != nil {
		t.Fatal(err)
	}
	outputs, _ := at2(doc, "Outputs").(map[string]any)
	resources, _ := at2(doc, "Resources").(map[string]any)
	used := map[string]bool{}
	for _, o := range outputs {
		found := map[string]bool{}
		collectReferences(at2(o, "Value"), found)
		for id := range found {
			if _, ok := resources[id]; ok && resources[id].(map[string]any)["Type"] != "AWS::ECS::Cluster" {
				used[id] = true
			}
		}
	}
	for id := range used {
		if !slices.Contains(stack.SharedResourceIDs(), id) {
			t.Errorf("services refer to %s through the environment's outputs, but SharedResourceIDs %v leaves it out: its replacement would not be refused", id, stack.SharedResourceIDs())
		}
	}
	if len(used) < 4 {
		t.Errorf("found %v; the environment's outputs refer to fewer resources than this test expects", used)
	}
}
