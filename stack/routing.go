package stack

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	"github.com/cfnfargate/cfnfargate/internal/lazyregexp"

	elb "github.com/awslabs/goformation/v7/cloudformation/elasticloadbalancingv2"
	"github.com/cfnfargate/cfnfargate/stack/internal/cloudformation"
)

// TagServiceStack tags the target group of a service in an environment
// with its stack's name, so that the environment can name the services
// that still route through its listener.
const TagServiceStack = "cfnfargate:service-stack"

// ServiceRuleID is the logical ID of the listener rule of a service in an
// environment, the rule that is the service's on the shared listener.
func ServiceRuleID() string { return idListenerRule }

// inEnvironment reports whether cfg is a service in a shared environment.
func inEnvironment(cfg Config) bool { return cfg.Environment.Shared() }

// addRouting adds what a service in an environment has instead of a load
// balancer: its target group and the listener rule that forwards its hosts
// and paths to it. The environment's load balancer reaches its tasks
// through the environment's services group, which they join (addTasks): a
// service adds no rule to the environment's groups.
func addRouting(t *cloudformation.Template, cfg Config) {
	addTargetGroup(t, cfg)

	var conditions []elb.ListenerRule_RuleCondition
	if hosts := ruleHosts(cfg); len(hosts) > 0 {
		conditions = append(conditions, elb.ListenerRule_RuleCondition{
			Field:            cloudformation.String("host-header"),
			HostHeaderConfig: &elb.ListenerRule_HostHeaderConfig{Values: hosts},
		})
	}
	if paths := cfg.Environment.Paths; len(paths) > 0 {
		conditions = append(conditions, elb.ListenerRule_RuleCondition{
			Field:             cloudformation.String("path-pattern"),
			PathPatternConfig: &elb.ListenerRule_PathPatternConfig{Values: paths},
		})
	}
	t.Resources[idListenerRule] = &elb.ListenerRule{
		ListenerArn: cloudformation.RefPtr(ParamListenerArn),
		Priority:    RulePriority(cfg),
		Conditions:  conditions,
		// With a blue/green strategy this rule is the production rule, on
		// which ECS moves traffic between the two target groups.
		Actions: []elb.ListenerRule_Action{forwardAction(cfg)},
	}
}

// ruleHosts are the host names the listener rule matches: the given ones,
// or the custom domain when none are given and no path is either.
func ruleHosts(cfg Config) []string {
	if len(cfg.Environment.Hosts) > 0 {
		return cfg.Environment.Hosts
	}
	if cfg.Domain.Name != "" && len(cfg.Environment.Paths) == 0 {
		return []string{strings.TrimSuffix(cfg.Domain.Name, ".")}
	}
	return nil
}

// Priority bands of listener rules. ELB matches a listener's rules from
// the lowest priority up (ELB user guide, "Listener rules"), so the more
// specific a rule, the lower its band: a rule with a host and a path comes
// before one with a path only, which comes before one with a host only. A
// service's priority within its band comes from a hash of its name (of its
// hosts and paths when it has its stack's), so that each deploy of it gets
// the same one.
const (
	maxRulePriority = 50000 // ELB API reference, CreateRule: 1 to 50000
	bandSize        = 15000
	bandHostAndPath = 1000
	bandPathOnly    = bandHostAndPath + bandSize
	bandHostOnly    = bandPathOnly + bandSize
)

// RulePriority is the listener rule's priority of a service in an
// environment as the template writes it: Environment.Priority when given,
// or RulePriorityFor the service's name. The deploy command sets
// Environment.Priority to the one it chose for the service's stack, which
// is its identity in the environment (RulePriorityFor the stack, or a free
// one after it, or the one its rule already has).
func RulePriority(cfg Config) int {
	if cfg.Environment.Priority != 0 {
		return cfg.Environment.Priority
	}
	key := cfg.Name
	if key == "" {
		// A service named after its stack: the template cannot know the
		// stack's name, and its hosts and paths tell it apart from the
		// environment's other services.
		key = strings.Join(slices.Concat(ruleHosts(cfg), []string{"|"}, cfg.Environment.Paths), ",")
	}
	return RulePriorityFor(cfg, key)
}

// RuleBand is the band of listener rule priorities of cfg's conditions:
// 1000-15999 for a host and a path, 16000-30999 for a path only,
// 31000-45999 for a host only.
func RuleBand(cfg Config) (lo, hi int) {
	band := bandHostOnly
	switch hosts := ruleHosts(cfg); {
	case len(hosts) > 0 && len(cfg.Environment.Paths) > 0:
		band = bandHostAndPath
	case len(cfg.Environment.Paths) > 0:
		band = bandPathOnly
	}
	return band, band + bandSize - 1
}

// RulePriorityFor is the priority in cfg's band that key hashes to, so
// that a key always draws the same one. Two keys can still draw the same
// number; the deploy then takes the next free one.
func RulePriorityFor(cfg Config, key string) int {
	lo, _ := RuleBand(cfg)
	h := fnv.New32a()
	h.Write([]byte(key))
	return lo + int(h.Sum32()%bandSize)
}

// SharedResourceIDs are the logical IDs of the environment's resources that
// its services' stacks refer to: the load balancer (its DNS name), the
// HTTPS listener (their rules), the load balancer's security group (their
// tasks' ingress rules) and the services' security group, which their
// tasks join (F1). An update of the environment that replaces one leaves
// the services pointing at the old one. The cluster is not among them: ECS
// refuses to delete a cluster that services run in
// (ClusterContainsServicesException), so the old one stays.
func SharedResourceIDs() []string {
	return []string{idLoadBalancer, idHTTPSListener, idLoadBalancerSG, idServicesSG}
}

// Validation of a service in an environment, called from Config.Validate.

const (
	maxEnvironmentName = 32
	// "Condition values per rule: 5" and "Wildcards per rule: 5" (ALB
	// quotas); host-header and path-pattern values count alike. The error
	// AWS returns past it is "A rule can only have '5' condition values"
	// (cfn-lint #3833, aws-cdk #10065).
	maxConditionValues = 5
	maxRuleWildcards   = 5
	// The ALB guide also says "up to three match evaluations per
	// condition" ("Condition types for listener rules"), but the error
	// seen on AWS is the five-per-rule one: cfn-lint's schema allows 5
	// values in one path-pattern condition (cfn-lint #3835), the CDK checks
	// 5 (aws-cdk #10066), and Copilot ships up to 5 aliases in one host
	// condition (copilot-cli #4961). So more than three is a warning, not
	// an error (conditionWarnings); no test on an account has settled it.
	maxConditionValuesDocumented = 3
	maxHostLength                = 128
)

// validHost reports whether h is a host condition value ELB accepts.
func validHost(h string) bool { return len(h) <= maxHostLength && hostCondition.MatchString(h) }

// hostAllowed says what validHost allows, for messages.
const hostAllowed = "use letters, digits, hyphens and dots, with * or ? as wildcards, up to 128 characters, with at least one dot and only letters after the last one (ELB API reference, HostHeaderConditionConfig)"

var (
	// Single hyphens between parts, so that environmentID is one to one.
	environmentName = lazyregexp.New(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	// A host condition value: A-Z, a-z, 0-9, - . * ?, up to 128
	// characters, with "at least one "." character" and "only alphabetical
	// characters after the final "." character" (ELB API reference,
	// HostHeaderConditionConfig): localhost or api.internal.123 fail
	// CreateRule, and the stack rolls back. The length is checked apart.
	hostCondition = lazyregexp.New(`^[A-Za-z0-9*?.-]*\.[A-Za-z]+$`)
	// A path pattern: A-Z, a-z, 0-9, _ - . $ / ~ " ' @ : + & * ?, up to 128
	// characters, starting with / (ELB API reference,
	// PathPatternConditionConfig).
	pathCondition = lazyregexp.New(`^/[A-Za-z0-9_\-.$/~"'@:+&*?]{0,127}$`)
)

func (v *validator) environmentName(name string) {
	if name == "" {
		v.add(KeyEnvironment, "is required: the environment's name, such as staging")
		return
	}
	if !environmentName.MatchString(name) || len(name) > maxEnvironmentName {
		v.add(KeyEnvironment, "%q is not an environment name: use lowercase letters and digits, with single hyphens between them, starting with a letter, up to %d characters", name, maxEnvironmentName)
	}
}

// routing checks a service in an environment: its conditions, and the
// settings that belong to the environment instead.
func (v *validator) routing(c Config) {
	e := c.Environment
	if e.Name != "" {
		v.environmentName(e.Name)
	}
	if e.Name == "" {
		// A host or a path routes a shared environment's listener rule;
		// without an environment the service would get a whole load
		// balancer of its own, which is almost never what was meant.
		for _, r := range []struct {
			key   string
			given bool
		}{{KeyHost, len(e.Hosts) > 0}, {KeyPath, len(e.Paths) > 0}} {
			if key := r.key; r.given {
				v.addNeeds(key, []string{KeyEnvironment}, "routes a listener rule of a shared environment, and no environment is given: a service without one has a load balancer of its own and no rule")
			}
		}
	}
	if !e.Shared() {
		return // host, path and priority have no effect; see Warnings
	}
	hosts := ruleHosts(c)
	if len(hosts) == 0 && len(e.Paths) == 0 {
		v.addCross(KeyHost, []string{KeyEnvironment, KeyPath}, "environment %s shares one listener among its services, so each needs a host or a path to route by: give host, path or domain-name", e.Name)
	}
	for _, h := range e.Hosts {
		if !validHost(h) {
			v.add(KeyHost, "%q is not a host name a listener rule can match: %s", h, hostAllowed)
		}
	}
	if len(e.Hosts) == 0 && len(hosts) > 0 && !validHost(hosts[0]) {
		// ruleHosts made the domain the rule's host: ELB checks it alike.
		v.addCross(KeyDomainName, []string{KeyHost, KeyEnvironment}, "%s is the listener rule's host (no host is given), and ELB rejects it as one: %s; or give a host", c.Domain.Name, hostAllowed)
	}
	for _, p := range e.Paths {
		if !pathCondition.MatchString(p) {
			v.add(KeyPath, "%q is not a path pattern a listener rule can match: start with /, and use letters, digits and _ - . $ / ~ \" ' @ : + &, with * or ? as wildcards, up to 128 characters", p)
		}
	}
	values := slices.Concat(hosts, e.Paths)
	if len(values) > maxConditionValues {
		v.addCross(KeyHost, []string{KeyPath}, "%d hosts and paths: a listener rule matches up to %d values in all, hosts and paths together (ALB quotas, condition values per rule)", len(values), maxConditionValues)
	}
	wildcards := 0
	for _, value := range values {
		wildcards += strings.Count(value, "*") + strings.Count(value, "?")
	}
	if wildcards > maxRuleWildcards {
		v.addCross(KeyPath, []string{KeyHost}, "%d wildcards in the hosts and paths: a listener rule allows up to %d (ALB quotas)", wildcards, maxRuleWildcards)
	}
	if c.Service.Cluster != "" {
		v.addCross(KeyCluster, []string{KeyEnvironment}, "the service runs in environment %s's cluster: leave out cluster", e.Name)
	}
	// The load balancer and the cluster are the environment's: a service
	// that set their settings would expect an effect it cannot have.
	d := Default()
	for _, s := range settings {
		if s.Place != PlaceEnvironment {
			continue
		}
		if !slices.Equal(s.Value(c), s.Value(d)) {
			v.addCross(s.Key, []string{KeyEnvironment}, "belongs to environment %s's load balancer or cluster, which its services share: set it on the environment's stack instead", e.Name)
		}
	}
}

// conditionWarnings warns about a condition with more values than the ALB
// guide documents per condition (see maxConditionValuesDocumented).
func conditionWarnings(c Config) []Problem {
	if !c.Environment.Shared() {
		return nil
	}
	var w []Problem
	for _, cond := range []struct {
		key string
		n   int
	}{{KeyHost, len(ruleHosts(c))}, {KeyPath, len(c.Environment.Paths)}} {
		key, n := cond.key, cond.n
		if n > maxConditionValuesDocumented && n <= maxConditionValues {
			w = append(w, Problem{Key: key, Message: fmt.Sprintf(
				"%d values in one listener rule condition: the ALB guide documents up to %d per condition (and %d per rule); ELB is known to accept up to %d, but if the deploy fails on this rule, use fewer or a wildcard", n, maxConditionValuesDocumented, maxConditionValues, maxConditionValues)})
		}
	}
	return w
}
