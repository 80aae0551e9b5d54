package twin

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Elastic Load Balancing v2: load balancers, listeners, listener rules
// with weighted forward actions, target groups and their targets, listener
// certificates; with the call-time validation and quotas of B39-B45.

type loadBalancing struct {
	lbs       map[string]*elbLoadBalancer
	listeners map[string]*elbListener
	rules     map[string]*elbRule
	groups    map[string]*elbTargetGroup
	// history is every write of a rule's actions, for tests of the twin.
	history []RuleWrite
}

// RuleWrite is one write of a listener rule's actions.
type RuleWrite struct {
	Rule    string
	By      string // "cloudformation" or "ecs"
	Weights map[string]int
	// Healthy counts, at the time of the write, the healthy targets of
	// each group the rule forwards to, by the task definition of their
	// task: what production got from that moment on.
	Healthy map[string]map[string]int
}

func newLoadBalancing() *loadBalancing {
	return &loadBalancing{lbs: map[string]*elbLoadBalancer{}, listeners: map[string]*elbListener{},
		rules: map[string]*elbRule{}, groups: map[string]*elbTargetGroup{}}
}

type elbLoadBalancer struct {
	arn, name, dns, scheme, typ, vpc, zone string
	securityGroups, subnets                []string
	attrs                                  map[string]any
}

type elbListener struct {
	arn, lb, protocol, sslPolicy string
	port                         int
	certificates                 []string // the first is the default
	defaultActions               []any
}

type elbRule struct {
	arn, listener string
	priority      int // 0 is the default rule
	conditions    []any
	actions       []any
}

type elbTargetGroup struct {
	arn, name, protocol, vpc, targetType string
	port                                 int
	lb                                   string // the one load balancer it belongs to (B45)
	targets                              map[string]*elbTarget
	props                                map[string]any
	tags                                 [][2]string
}

type elbTarget struct {
	id     string
	port   int
	state  string // initial, healthy, unhealthy, draining
	reason string
}

func (e *loadBalancing) createLoadBalancer(tw *Twin, name string, props map[string]any) *elbLoadBalancer {
	id := tw.nextID(16)
	lb := &elbLoadBalancer{name: name, scheme: str(props["Scheme"]), typ: str(props["Type"]),
		arn: fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:loadbalancer/app/%s/%s", Region, Account, name, id),
		dns: fmt.Sprintf("%s-%s.%s.elb.amazonaws.com", name, id[:10], Region), zone: "Z35SXDOTRQ7X7K"}
	if lb.scheme == "" {
		lb.scheme = "internet-facing"
	}
	if lb.typ == "" {
		lb.typ = "application"
	}
	if lb.scheme == "internal" {
		lb.dns = "internal-" + lb.dns
	}
	for _, s := range asList(props["SecurityGroups"]) {
		lb.securityGroups = append(lb.securityGroups, str(s))
	}
	for _, s := range asList(props["Subnets"]) {
		lb.subnets = append(lb.subnets, str(s))
	}
	e.lbs[lb.arn] = lb
	return lb
}

// deleteLoadBalancer deletes a load balancer with its listeners and their
// rules; its target groups become free.
func (e *loadBalancing) deleteLoadBalancer(arn string) {
	for la, l := range e.listeners {
		if l.lb == arn {
			e.deleteListener(la)
		}
	}
	for _, g := range e.groups {
		if g.lb == arn {
			g.lb = ""
		}
	}
	delete(e.lbs, arn)
}

func (e *loadBalancing) deleteListener(arn string) {
	for ra, r := range e.rules {
		if r.listener == arn {
			delete(e.rules, ra)
		}
	}
	delete(e.listeners, arn)
	e.releaseGroups()
}

// releaseGroups frees target groups that no listener or rule uses.
func (e *loadBalancing) releaseGroups() {
	used := map[string]bool{}
	for _, l := range e.listeners {
		for _, tg := range forwardGroups(l.defaultActions) {
			used[tg] = true
		}
	}
	for _, r := range e.rules {
		for _, tg := range forwardGroups(r.actions) {
			used[tg] = true
		}
	}
	for arn, g := range e.groups {
		if !used[arn] {
			g.lb = ""
		}
	}
}

// forwardGroups lists the target groups that actions forward to.
func forwardGroups(actions []any) []string {
	var out []string
	for _, a := range actions {
		m := asMap(a)
		if tg := str(m["TargetGroupArn"]); tg != "" {
			out = append(out, tg)
		}
		for _, t := range asList(asMap(m["ForwardConfig"])["TargetGroups"]) {
			if tg := str(asMap(t)["TargetGroupArn"]); tg != "" {
				out = append(out, tg)
			}
		}
	}
	return out
}

// Weights returns the forward weights of a rule's actions by target group.
func actionWeights(actions []any) map[string]int {
	w := map[string]int{}
	for _, a := range actions {
		m := asMap(a)
		if fc := asMap(m["ForwardConfig"]); fc != nil && len(asList(fc["TargetGroups"])) > 0 {
			for _, t := range asList(fc["TargetGroups"]) {
				tm := asMap(t)
				w[str(tm["TargetGroupArn"])] = intOf(tm["Weight"], 1)
			}
			continue
		}
		if tg := str(m["TargetGroupArn"]); tg != "" {
			w[tg] = 1
		}
	}
	return w
}

func (e *loadBalancing) lbOfListener(listener string) string {
	if l := e.listeners[listener]; l != nil {
		return l.lb
	}
	return ""
}

// hostValue is the syntax of a host-header value (B42): "The maximum length
// of each string is 128 characters. ... You must include at least one "."
// character. You can include only alphabetical characters after the final
// "." character." (ELB API reference, HostHeaderConditionConfig), with the
// characters "A-Z, a-z, 0-9 - . * ?" (RuleCondition Values).
var hostValue = regexp.MustCompile(`^[A-Za-z0-9*?.-]*\.[A-Za-z]+$`)

// headerName is an RFC 7230 token without wildcards (B43): "The allowed
// characters are specified by RFC 7230. Wildcards are not supported."
// (ELB API reference, HttpHeaderConditionConfig)
var headerName = regexp.MustCompile("^[A-Za-z0-9!#$%&'+.^_`|~-]{1,40}$")

// checkRule validates a rule's priority, conditions and actions on
// listener, as CreateRule and ModifyRule do. self is the rule being
// modified, or "".
func (e *loadBalancing) checkRule(tw *Twin, listener, self string, priority int, conditions, actions []any, checkPriority bool) *apiError {
	l := e.listeners[listener]
	if l == nil {
		return errorf(http.StatusBadRequest, "ListenerNotFound", "One or more listeners not found")
	}
	if checkPriority {
		// "Valid Range: Minimum value of 1. Maximum value of 50000."
		// (ELB API reference, RulePriorityPair) (B39)
		if priority < 1 || priority > 50000 {
			return validation("Priority must be between 1 and 50000")
		}
		// "A listener can't have multiple rules with the same priority."
		// (ELB API reference, CreateRule) (B39)
		for arn, r := range e.rules {
			if arn != self && r.listener == listener && r.priority == priority {
				return errorf(http.StatusBadRequest, "PriorityInUse", "Priority '%d' is currently in use", priority)
			}
		}
	}
	if self == "" {
		// "Rules per load balancer (not counting default rules): 100", across
		// all its listeners (ALB quotas; B40).
		count := 0
		for _, r := range e.rules {
			if r.priority > 0 && e.lbOfListener(r.listener) == l.lb {
				count++
			}
		}
		if count >= tw.opts.RulesPerLoadBalancer {
			return errorf(http.StatusBadRequest, "TooManyRules", "You've reached the limit on the number of rules per load balancer")
		}
	}
	if aerr := checkConditions(tw, conditions); aerr != nil {
		return aerr
	}
	return e.checkActions(tw, l.lb, actions)
}

// checkConditions applies B41-B43.
func checkConditions(tw *Twin, conditions []any) *apiError {
	total := 0
	once := map[string]bool{}
	for _, c := range conditions {
		m := asMap(c)
		field := str(m["Field"])
		var values []string
		for _, v := range asList(m["Values"]) {
			values = append(values, str(v))
		}
		switch field {
		case "host-header":
			for _, v := range asList(asMap(m["HostHeaderConfig"])["Values"]) {
				values = append(values, str(v))
			}
			for _, v := range values {
				if len(v) > 128 || !hostValue.MatchString(v) {
					return validation("Condition value '%s' is not a valid host header: it must contain a '.' and only letters after the last '.'", v)
				}
			}
		case "path-pattern":
			for _, v := range asList(asMap(m["PathPatternConfig"])["Values"]) {
				values = append(values, str(v))
			}
		case "http-header":
			hc := asMap(m["HttpHeaderConfig"])
			name := str(hc["HttpHeaderName"])
			// "You can't use an HTTP header condition to specify the host
			// header. Instead, use a host condition." (B43)
			if !headerName.MatchString(name) || strings.EqualFold(name, "host") {
				return validation("HTTP header name '%s' is not valid: 1-40 RFC 7230 token characters, no wildcards, and not Host", name)
			}
			for _, v := range asList(hc["Values"]) {
				values = append(values, str(v))
			}
		case "http-request-method":
			for _, v := range asList(asMap(m["HttpRequestMethodConfig"])["Values"]) {
				values = append(values, str(v))
			}
		case "source-ip":
			for _, v := range asList(asMap(m["SourceIpConfig"])["Values"]) {
				values = append(values, str(v))
			}
		case "query-string":
			values = append(values, fmt.Sprint(len(asList(asMap(m["QueryStringConfig"])["Values"]))))
		default:
			return validation("Condition field '%s' is not valid", field)
		}
		// "Each rule can optionally include up to one of each of the
		// following conditions: http-request-method, host-header,
		// path-pattern, and source-ip." (ELB API reference, RuleCondition)
		if field != "http-header" && field != "query-string" {
			if once[field] {
				return validation("A rule can only have one '%s' condition", field)
			}
			once[field] = true
		}
		for _, v := range values {
			if v == "" {
				return validation("A condition value cannot be empty")
			}
		}
		// "You can specify up to three match evaluations per condition."
		// (ALB guide, condition types); whether ELB enforces it is
		// unconfirmed (B41): a switch.
		if tw.opts.Switches.ThreeValuesPerCondition && len(values) > 3 {
			return validation("A condition can only have '3' values")
		}
		total += len(values)
	}
	// "A rule can only have '5' condition values" (ELB error, HTTP 400; ALB
	// quotas, condition values per rule: 5) (B41)
	if total > 5 {
		return validation("A rule can only have '5' condition values")
	}
	return nil
}

// checkActions applies B44-B46 to the target groups actions forward to.
func (e *loadBalancing) checkActions(tw *Twin, lb string, actions []any) *apiError {
	for _, a := range actions {
		m := asMap(a)
		fc := asMap(m["ForwardConfig"])
		groups := asList(fc["TargetGroups"])
		// "Target Groups per Action per Application Load Balancer 5" (B44)
		if len(groups) > 5 {
			return validation("You can specify up to 5 target groups in a forward action")
		}
		// "If you specify both ForwardConfig and TargetGroupArn, you can
		// specify only one target group using ForwardConfig and it must be
		// the same target group specified in TargetGroupArn." (B46)
		if tg := str(m["TargetGroupArn"]); tg != "" && len(groups) > 0 && (len(groups) != 1 || str(asMap(groups[0])["TargetGroupArn"]) != tg) {
			return validation("TargetGroupArn and ForwardConfig must name the same single target group")
		}
		for _, t := range groups {
			// "The weight. The range is 0 to 999." (TargetGroupTuple) (B44)
			if w := intOf(asMap(t)["Weight"], 1); w < 0 || w > 999 {
				return validation("Target group weight %d is not between 0 and 999", w)
			}
		}
	}
	unique := map[string]bool{}
	for _, r := range e.rules {
		if e.lbOfListener(r.listener) == lb {
			for _, tg := range forwardGroups(r.actions) {
				unique[tg] = true
			}
		}
	}
	for _, l := range e.listeners {
		if l.lb == lb {
			for _, tg := range forwardGroups(l.defaultActions) {
				unique[tg] = true
			}
		}
	}
	for _, tg := range forwardGroups(actions) {
		g := e.groups[tg]
		if g == nil {
			return errorf(http.StatusBadRequest, "TargetGroupNotFound", "Target group '%s' not found", tg)
		}
		// "Load balancers per target group: 1"; TargetGroupAssociationLimit:
		// "You've reached the limit on the number of load balancers per
		// target group." (B45)
		if g.lb != "" && g.lb != lb {
			return errorf(http.StatusBadRequest, "TargetGroupAssociationLimit", "The following target groups cannot be associated with more than one load balancer: %s", tg)
		}
		unique[tg] = true
	}
	// "Target Groups per Application Load Balancer 100" (B44)
	if len(unique) > tw.opts.TargetGroupsPerLoadBalance {
		return errorf(http.StatusBadRequest, "TooManyUniqueTargetGroupsPerLoadBalancer", "You've reached the limit on the number of unique target groups per load balancer across all listeners")
	}
	return nil
}

func (e *loadBalancing) associate(lb string, actions []any) {
	for _, tg := range forwardGroups(actions) {
		if g := e.groups[tg]; g != nil {
			g.lb = lb
		}
	}
}

func (e *loadBalancing) createRule(tw *Twin, listener string, priority int, conditions, actions []any) (*elbRule, *apiError) {
	if aerr := e.checkRule(tw, listener, "", priority, conditions, actions, true); aerr != nil {
		return nil, aerr
	}
	r := &elbRule{listener: listener, priority: priority, conditions: conditions, actions: actions,
		arn: strings.Replace(listener, ":listener/", ":listener-rule/", 1) + "/" + tw.nextID(16)}
	e.rules[r.arn] = r
	e.associate(e.lbOfListener(listener), actions)
	e.record(tw, r.arn, "cloudformation", actions)
	return r, nil
}

// modifyRule is ModifyRule: "Replaces the specified properties of the
// specified rule. Any properties that you do not specify are unchanged."
// (ELB API reference, ModifyRule) (B46). by names the writer.
func (e *loadBalancing) modifyRule(tw *Twin, arn string, conditions, actions []any, by string) *apiError {
	r := e.rules[arn]
	if r == nil {
		return errorf(http.StatusBadRequest, "RuleNotFound", "One or more rules not found")
	}
	if conditions == nil {
		conditions = r.conditions
	}
	if actions == nil {
		actions = r.actions
	}
	if aerr := e.checkRule(tw, r.listener, arn, r.priority, conditions, actions, false); aerr != nil {
		return aerr
	}
	r.conditions, r.actions = conditions, actions
	e.associate(e.lbOfListener(r.listener), actions)
	e.releaseGroups()
	e.record(tw, arn, by, actions)
	return nil
}

func (e *loadBalancing) record(tw *Twin, rule, by string, actions []any) {
	w := RuleWrite{Rule: rule, By: by, Weights: actionWeights(actions), Healthy: map[string]map[string]int{}}
	for tg := range w.Weights {
		w.Healthy[tg] = map[string]int{}
		g := e.groups[tg]
		if g == nil {
			continue
		}
		for _, target := range g.targets {
			if target.state != "healthy" {
				continue
			}
			td := "unknown task"
			for _, t := range tw.ecs.tasks {
				if t.ip == target.id {
					td = t.taskDef
				}
			}
			w.Healthy[tg][td]++
		}
	}
	e.history = append(e.history, w)
}

// setWeights is what ECS writes into a production or test rule: a
// weighted ForwardConfig over both groups, without the scalar
// TargetGroupArn (B3, B46: observed, "the scalar TargetGroupArn member
// disappears").
func (e *loadBalancing) setWeights(tw *Twin, rule string, weights [][2]any) {
	var groups []any
	for _, w := range weights {
		groups = append(groups, map[string]any{"TargetGroupArn": w[0], "Weight": w[1]})
	}
	_ = e.modifyRule(tw, rule, nil, []any{map[string]any{"Type": "forward", "ForwardConfig": map[string]any{"TargetGroups": groups}}}, "ecs")
}

// RuleWeights returns a rule's forward weights by target group ARN.
func (tw *Twin) RuleWeights(rule string) map[string]int {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if r := tw.elb.rules[rule]; r != nil {
		return actionWeights(r.actions)
	}
	return nil
}

// RuleHistory returns every write of a rule's actions so far.
func (tw *Twin) RuleHistory(rule string) []RuleWrite {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	var out []RuleWrite
	for _, w := range tw.elb.history {
		if w.Rule == rule {
			out = append(out, w)
		}
	}
	return out
}

const elbNamespace = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"

// writeValue writes a generic value as query-protocol XML: maps as
// elements, lists as members.
func writeValue(w *xmlw, name string, v any) {
	switch x := v.(type) {
	case map[string]any:
		w.open(name)
		for _, k := range sortedKeys(x) {
			writeValue(w, k, x[k])
		}
		w.close(name)
	case []any:
		w.open(name)
		for _, item := range x {
			writeValue(w, "member", item)
		}
		w.close(name)
	case nil:
	default:
		w.leaf(name, str(v))
	}
}

func (tw *Twin) elbAPI(action string, p params) (func(*xmlw), *apiError) {
	e := tw.elb
	switch action {
	case "DescribeLoadBalancers":
		var list []*elbLoadBalancer
		arns, names := p.strs("LoadBalancerArns"), p.strs("Names")
		for _, lb := range e.lbs {
			if (len(arns) == 0 && len(names) == 0) || contains(arns, lb.arn) || contains(names, lb.name) {
				list = append(list, lb)
			}
		}
		if (len(arns) > 0 || len(names) > 0) && len(list) == 0 {
			return nil, errorf(http.StatusBadRequest, "LoadBalancerNotFound", "One or more load balancers not found")
		}
		sort.Slice(list, func(i, j int) bool { return list[i].arn < list[j].arn })
		return func(w *xmlw) {
			w.members("LoadBalancers", len(list), func(i int) {
				lb := list[i]
				w.leaf("LoadBalancerArn", lb.arn)
				w.leaf("LoadBalancerName", lb.name)
				w.leaf("DNSName", lb.dns)
				w.leaf("CanonicalHostedZoneId", lb.zone)
				w.leaf("Scheme", lb.scheme)
				w.leaf("Type", lb.typ)
				w.leaf("VpcId", lb.vpc)
				w.open("State")
				w.leaf("Code", "active")
				w.close("State")
				w.members("SecurityGroups", len(lb.securityGroups), func(j int) { w.b.WriteString(lb.securityGroups[j]) })
			})
		}, nil
	case "DescribeListeners":
		var list []*elbListener
		arns := p.strs("ListenerArns")
		for _, l := range e.listeners {
			if contains(arns, l.arn) || (len(arns) == 0 && l.lb == p.str("LoadBalancerArn")) {
				list = append(list, l)
			}
		}
		sort.Slice(list, func(i, j int) bool { return list[i].port < list[j].port })
		return func(w *xmlw) {
			w.members("Listeners", len(list), func(i int) {
				l := list[i]
				w.leaf("ListenerArn", l.arn)
				w.leaf("LoadBalancerArn", l.lb)
				w.leaf("Port", strconv.Itoa(l.port))
				w.leaf("Protocol", l.protocol)
				w.opt("SslPolicy", l.sslPolicy)
				w.members("Certificates", min(len(l.certificates), 1), func(j int) { w.leaf("CertificateArn", l.certificates[j]) })
				writeValue(w, "DefaultActions", l.defaultActions)
			})
		}, nil
	case "DescribeRules":
		var list []*elbRule
		arns := p.strs("RuleArns")
		for _, r := range e.rules {
			if contains(arns, r.arn) || (len(arns) == 0 && r.listener == p.str("ListenerArn")) {
				list = append(list, r)
			}
		}
		if len(arns) > 0 && len(list) < len(arns) {
			return nil, errorf(http.StatusBadRequest, "RuleNotFound", "One or more rules not found")
		}
		if len(arns) == 0 && e.listeners[p.str("ListenerArn")] == nil {
			return nil, errorf(http.StatusBadRequest, "ListenerNotFound", "One or more listeners not found")
		}
		sort.Slice(list, func(i, j int) bool { return list[i].priority < list[j].priority })
		// The default rule comes last.
		if len(list) > 0 && list[0].priority == 0 {
			list = append(list[1:], list[0])
		}
		start, _ := strconv.Atoi(p.str("Marker"))
		size := intOf(p.str("PageSize"), 400)
		end := min(start+size, len(list))
		page := list[min(start, len(list)):end]
		return func(w *xmlw) {
			w.members("Rules", len(page), func(i int) {
				r := page[i]
				w.leaf("RuleArn", r.arn)
				if r.priority == 0 {
					w.leaf("Priority", "default")
					w.leaf("IsDefault", "true")
				} else {
					w.leaf("Priority", strconv.Itoa(r.priority))
					w.leaf("IsDefault", "false")
				}
				writeValue(w, "Conditions", r.conditions)
				writeValue(w, "Actions", r.actions)
			})
			if end < len(list) {
				w.leaf("NextMarker", strconv.Itoa(end))
			}
		}, nil
	case "CreateRule":
		r, aerr := e.createRule(tw, p.str("ListenerArn"), intOf(p.str("Priority"), 0), p.list("Conditions"), p.list("Actions"))
		if aerr != nil {
			return nil, aerr
		}
		return func(w *xmlw) {
			w.members("Rules", 1, func(int) { w.leaf("RuleArn", r.arn); w.leaf("Priority", strconv.Itoa(r.priority)) })
		}, nil
	case "ModifyRule":
		if aerr := e.modifyRule(tw, p.str("RuleArn"), p.list("Conditions"), p.list("Actions"), "api"); aerr != nil {
			return nil, aerr
		}
		return nil, nil
	case "DeleteRule":
		r := e.rules[p.str("RuleArn")]
		if r == nil {
			return nil, errorf(http.StatusBadRequest, "RuleNotFound", "One or more rules not found")
		}
		if r.priority == 0 {
			return nil, errorf(http.StatusBadRequest, "OperationNotPermitted", "Default rules cannot be deleted")
		}
		delete(e.rules, r.arn)
		e.releaseGroups()
		return nil, nil
	case "SetRulePriorities":
		pairs := p.list("RulePriorities")
		final := map[string]int{}
		for _, pr := range pairs {
			m := asMap(pr)
			final[str(m["RuleArn"])] = intOf(m["Priority"], 0)
		}
		// The final order must have no conflict (B39).
		for arn, prio := range final {
			r := e.rules[arn]
			if r == nil {
				return nil, errorf(http.StatusBadRequest, "RuleNotFound", "One or more rules not found")
			}
			for other, o := range e.rules {
				op := o.priority
				if np, ok := final[other]; ok {
					op = np
				}
				if other != arn && o.listener == r.listener && op == prio {
					return nil, errorf(http.StatusBadRequest, "PriorityInUse", "Priority '%d' is currently in use", prio)
				}
			}
		}
		for arn, prio := range final {
			e.rules[arn].priority = prio
		}
		return nil, nil
	case "DescribeTargetGroups":
		var list []*elbTargetGroup
		arns, names := p.strs("TargetGroupArns"), p.strs("Names")
		for _, g := range e.groups {
			switch {
			case len(arns) > 0 || len(names) > 0:
				if contains(arns, g.arn) || contains(names, g.name) {
					list = append(list, g)
				}
			case p.str("LoadBalancerArn") != "":
				if g.lb == p.str("LoadBalancerArn") {
					list = append(list, g)
				}
			default:
				list = append(list, g)
			}
		}
		if len(arns) > 0 && len(list) < len(arns) {
			return nil, errorf(http.StatusBadRequest, "TargetGroupNotFound", "One or more target groups not found")
		}
		sort.Slice(list, func(i, j int) bool { return list[i].arn < list[j].arn })
		return func(w *xmlw) {
			w.members("TargetGroups", len(list), func(i int) {
				g := list[i]
				w.leaf("TargetGroupArn", g.arn)
				w.leaf("TargetGroupName", g.name)
				w.leaf("Protocol", g.protocol)
				w.leaf("Port", strconv.Itoa(g.port))
				w.leaf("VpcId", g.vpc)
				w.leaf("TargetType", g.targetType)
				w.leaf("HealthCheckPath", str(g.props["HealthCheckPath"]))
				w.leaf("HealthCheckIntervalSeconds", strconv.Itoa(intOf(g.props["HealthCheckIntervalSeconds"], 30)))
				w.leaf("HealthCheckTimeoutSeconds", strconv.Itoa(intOf(g.props["HealthCheckTimeoutSeconds"], 5)))
				w.leaf("HealthyThresholdCount", strconv.Itoa(intOf(g.props["HealthyThresholdCount"], 5)))
				w.leaf("UnhealthyThresholdCount", strconv.Itoa(intOf(g.props["UnhealthyThresholdCount"], 2)))
				n := 0
				if g.lb != "" {
					n = 1
				}
				w.members("LoadBalancerArns", n, func(int) { w.b.WriteString(g.lb) })
			})
		}, nil
	case "DescribeTargetHealth":
		g := e.groups[p.str("TargetGroupArn")]
		if g == nil {
			return nil, errorf(http.StatusBadRequest, "TargetGroupNotFound", "One or more target groups not found")
		}
		ids := sortedKeys(g.targets)
		return func(w *xmlw) {
			w.members("TargetHealthDescriptions", len(ids), func(i int) {
				t := g.targets[ids[i]]
				w.open("Target")
				w.leaf("Id", t.id)
				w.leaf("Port", strconv.Itoa(t.port))
				w.close("Target")
				w.leaf("HealthCheckPort", strconv.Itoa(t.port))
				w.open("TargetHealth")
				w.leaf("State", t.state)
				w.opt("Reason", t.reason)
				w.close("TargetHealth")
			})
		}, nil
	case "DescribeListenerCertificates":
		l := e.listeners[p.str("ListenerArn")]
		if l == nil {
			return nil, errorf(http.StatusBadRequest, "ListenerNotFound", "One or more listeners not found")
		}
		return func(w *xmlw) {
			w.members("Certificates", len(l.certificates), func(i int) {
				w.leaf("CertificateArn", l.certificates[i])
				w.leaf("IsDefault", strconv.FormatBool(i == 0))
			})
		}, nil
	case "DescribeTags":
		arns := p.strs("ResourceArns")
		return func(w *xmlw) {
			w.members("TagDescriptions", len(arns), func(i int) {
				w.leaf("ResourceArn", arns[i])
				var tags [][2]string
				if g := e.groups[arns[i]]; g != nil {
					tags = g.tags
				}
				w.members("Tags", len(tags), func(j int) {
					w.leaf("Key", tags[j][0])
					w.leaf("Value", tags[j][1])
				})
			})
		}, nil
	case "DescribeLoadBalancerAttributes", "DescribeTargetGroupAttributes":
		return func(w *xmlw) { w.open("Attributes"); w.close("Attributes") }, nil
	}
	return nil, errorf(http.StatusBadRequest, "InvalidAction", "the twin does not model Elastic Load Balancing %s", action)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Providers of the ELB resource types.

type loadBalancerProvider struct{}

func (loadBalancerProvider) create(tw *Twin, st *cfnStack, r *cfnResource, props map[string]any) (waitFunc, error) {
	name := str(props["Name"])
	if name == "" {
		name = physicalName(tw, st, r.logical, 32)
		name = strings.Trim(strings.ReplaceAll(name, "_", "-"), "-")
	}
	lb := tw.elb.createLoadBalancer(tw, name, props)
	r.physical = lb.arn
	_, _, id := strings.Cut(lb.arn, ":loadbalancer/")
	r.attrs = map[string]any{"DNSName": lb.dns, "LoadBalancerFullName": id, "LoadBalancerName": name,
		"CanonicalHostedZoneID": lb.zone, "LoadBalancerArn": lb.arn, "SecurityGroups": asList(props["SecurityGroups"])}
	return nil, nil
}
func (loadBalancerProvider) update(tw *Twin, st *cfnStack, r *cfnResource, old, props map[string]any, rollback bool) (waitFunc, error) {
	if lb := tw.elb.lbs[r.physical]; lb != nil {
		lb.securityGroups = nil
		for _, s := range asList(props["SecurityGroups"]) {
			lb.securityGroups = append(lb.securityGroups, str(s))
		}
	}
	return nil, nil
}
func (loadBalancerProvider) remove(tw *Twin, st *cfnStack, r *cfnResource) (waitFunc, error) {
	tw.elb.deleteLoadBalancer(r.physical)
	return nil, nil
}

type listenerProvider struct{}

func (listenerProvider) apply(tw *Twin, l *elbListener, props map[string]any) {
	l.port = intOf(props["Port"], 0)
	l.protocol = str(props["Protocol"])
	l.sslPolicy = str(props["SslPolicy"])
	l.defaultActions = asList(props["DefaultActions"])
	var certs []string
	for _, c := range asList(props["Certificates"]) {
		certs = append(certs, str(asMap(c)["CertificateArn"]))
	}
	if len(l.certificates) > len(certs) && len(certs) > 0 {
		certs = append(certs, l.certificates[1:]...)
	}
	if len(certs) > 0 {
		l.certificates = certs
	}
}

func (p listenerProvider) create(tw *Twin, st *cfnStack, r *cfnResource, props map[string]any) (waitFunc, error) {
	lbArn := str(props["LoadBalancerArn"])
	lb := tw.elb.lbs[lbArn]
	if lb == nil {
		return nil, fmt.Errorf("LoadBalancerNotFound: load balancer '%s' not found", lbArn)
	}
	if aerr := tw.elb.checkActions(tw, lbArn, asList(props["DefaultActions"])); aerr != nil {
		return nil, aerr
	}
	l := &elbListener{lb: lbArn, arn: strings.Replace(lbArn, ":loadbalancer/", ":listener/", 1) + "/" + tw.nextID(16)}
	p.apply(tw, l, props)
	tw.elb.listeners[l.arn] = l
	tw.elb.associate(lbArn, l.defaultActions)
	r.physical = l.arn
	r.attrs = map[string]any{"ListenerArn": l.arn}
	return nil, nil
}
func (p listenerProvider) update(tw *Twin, st *cfnStack, r *cfnResource, old, props map[string]any, rollback bool) (waitFunc, error) {
	l := tw.elb.listeners[r.physical]
	if l == nil {
		return nil, fmt.Errorf("ListenerNotFound: listener '%s' not found", r.physical)
	}
	p.apply(tw, l, props)
	tw.elb.associate(l.lb, l.defaultActions)
	tw.elb.releaseGroups()
	return nil, nil
}
func (listenerProvider) remove(tw *Twin, st *cfnStack, r *cfnResource) (waitFunc, error) {
	tw.elb.deleteListener(r.physical)
	return nil, nil
}

// The listener rule: CloudFormation creates it, and on every update of its
// properties sends the template's whole Conditions and Actions, weights
// included (B28, B46 inferred: "the handler sends the full desired model").
type ruleProvider struct{}

func (ruleProvider) create(tw *Twin, st *cfnStack, r *cfnResource, props map[string]any) (waitFunc, error) {
	rule, aerr := tw.elb.createRule(tw, str(props["ListenerArn"]), intOf(props["Priority"], 0), asList(props["Conditions"]), asList(props["Actions"]))
	if aerr != nil {
		return nil, aerr
	}
	r.physical = rule.arn
	r.attrs = map[string]any{"RuleArn": rule.arn, "IsDefault": false}
	return nil, nil
}
func (ruleProvider) update(tw *Twin, st *cfnStack, r *cfnResource, old, props map[string]any, rollback bool) (waitFunc, error) {
	rule := tw.elb.rules[r.physical]
	if rule == nil {
		return nil, fmt.Errorf("RuleNotFound: rule '%s' not found", r.physical)
	}
	if prio := intOf(props["Priority"], 0); prio != rule.priority {
		if aerr := tw.elb.checkRule(tw, rule.listener, rule.arn, prio, asList(props["Conditions"]), asList(props["Actions"]), true); aerr != nil {
			return nil, aerr
		}
		rule.priority = prio
	}
	if aerr := tw.elb.modifyRule(tw, r.physical, asList(props["Conditions"]), asList(props["Actions"]), "cloudformation"); aerr != nil {
		return nil, aerr
	}
	return nil, nil
}
func (ruleProvider) remove(tw *Twin, st *cfnStack, r *cfnResource) (waitFunc, error) {
	delete(tw.elb.rules, r.physical)
	tw.elb.releaseGroups()
	return nil, nil
}

type targetGroupProvider struct{}

func (targetGroupProvider) create(tw *Twin, st *cfnStack, r *cfnResource, props map[string]any) (waitFunc, error) {
	name := str(props["Name"])
	if name == "" {
		name = strings.Trim(physicalName(tw, st, r.logical, 32), "-")
	}
	id := tw.nextID(16)
	g := &elbTargetGroup{name: name, protocol: str(props["Protocol"]), port: intOf(props["Port"], 80), vpc: str(props["VpcId"]),
		targetType: str(props["TargetType"]), targets: map[string]*elbTarget{}, props: props,
		arn: fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:targetgroup/%s/%s", Region, Account, name, id)}
	g.tags = resourceTags(st, r, props)
	tw.elb.groups[g.arn] = g
	r.physical = g.arn
	r.attrs = map[string]any{"TargetGroupArn": g.arn, "TargetGroupName": name, "TargetGroupFullName": "targetgroup/" + name + "/" + id, "LoadBalancerArns": []any{}}
	return nil, nil
}
func (targetGroupProvider) update(tw *Twin, st *cfnStack, r *cfnResource, old, props map[string]any, rollback bool) (waitFunc, error) {
	if g := tw.elb.groups[r.physical]; g != nil {
		g.props = props
		g.tags = resourceTags(st, r, props)
	}
	return nil, nil
}

// resourceTags are the tags CloudFormation gives a resource: its Tags
// property, the stack's tags ("CloudFormation ... propagates these tags to
// the resources in the stack", CloudFormation User Guide, stack tags), and
// aws:cloudformation:stack-name, stack-id and logical-id.
func resourceTags(st *cfnStack, r *cfnResource, props map[string]any) [][2]string {
	tags := [][2]string{{"aws:cloudformation:logical-id", r.logical}, {"aws:cloudformation:stack-id", st.id}, {"aws:cloudformation:stack-name", st.name}}
	tags = append(tags, st.tags...)
	for _, t := range asList(props["Tags"]) {
		m := asMap(t)
		tags = append(tags, [2]string{str(m["Key"]), str(m["Value"])})
	}
	return tags
}
func (targetGroupProvider) remove(tw *Twin, st *cfnStack, r *cfnResource) (waitFunc, error) {
	for _, rule := range tw.elb.rules {
		for _, tg := range forwardGroups(rule.actions) {
			if tg == r.physical {
				return nil, fmt.Errorf("ResourceInUse: Target group '%s' is currently in use by a listener or a rule", r.physical)
			}
		}
	}
	delete(tw.elb.groups, r.physical)
	return nil, nil
}

type listenerCertificateProvider struct{}

func (listenerCertificateProvider) create(tw *Twin, st *cfnStack, r *cfnResource, props map[string]any) (waitFunc, error) {
	l := tw.elb.listeners[str(props["ListenerArn"])]
	if l == nil {
		return nil, fmt.Errorf("ListenerNotFound: listener '%s' not found", str(props["ListenerArn"]))
	}
	for _, c := range asList(props["Certificates"]) {
		l.certificates = append(l.certificates, str(asMap(c)["CertificateArn"]))
	}
	r.physical = physicalName(tw, st, r.logical, 128)
	return nil, nil
}
func (listenerCertificateProvider) update(tw *Twin, st *cfnStack, r *cfnResource, old, props map[string]any, rollback bool) (waitFunc, error) {
	return nil, nil
}
func (listenerCertificateProvider) remove(tw *Twin, st *cfnStack, r *cfnResource) (waitFunc, error) {
	l := tw.elb.listeners[str(r.props["ListenerArn"])]
	if l == nil {
		return nil, nil
	}
	drop := map[string]bool{}
	for _, c := range asList(r.props["Certificates"]) {
		drop[str(asMap(c)["CertificateArn"])] = true
	}
	kept := l.certificates[:1]
	for _, c := range l.certificates[1:] {
		if !drop[c] {
			kept = append(kept, c)
		}
	}
	l.certificates = kept
	return nil, nil
}
