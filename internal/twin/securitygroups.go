package twin

import (
	"fmt"
	"net/http"
)

// Security groups live in the twin, which counts their rules against the
// VPC quota (B47): "You can have 60 inbound and 60 outbound rules per
// security group ... This quota is enforced separately for IPv4 rules and
// IPv6 rules ... A rule that references a security group or AWS-managed
// prefix list ID counts as one rule for IPv4 and one rule for IPv6."
// (Amazon VPC quotas, https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html)

type securityGroups struct {
	groups map[string]*securityGroup
	rules  map[string]*sgRule // by rule ID, for the stand-alone rule resources
}

type securityGroup struct {
	id, vpc string
	rules   []*sgRule
}

type sgRule struct {
	id      string
	group   string
	egress  bool
	v4, v6  bool // which budgets it counts against
	inline  bool // from the group's own SecurityGroupIngress/Egress
	details map[string]any
}

func newSecurityGroups() *securityGroups {
	return &securityGroups{groups: map[string]*securityGroup{}, rules: map[string]*sgRule{}}
}

// family is which IP budgets a rule counts against.
func family(rule map[string]any) (v4, v6 bool) {
	switch {
	case str(rule["CidrIp"]) != "":
		return true, false
	case str(rule["CidrIpv6"]) != "":
		return false, true
	}
	// A security-group or prefix-list peer counts in both.
	return true, true
}

// add appends a rule, or refuses it with EC2's error once the direction's
// budget for its family is full.
func (s *securityGroups) add(tw *Twin, g *securityGroup, r *sgRule) *apiError {
	var n4, n6 int
	for _, x := range g.rules {
		if x.egress == r.egress {
			if x.v4 {
				n4++
			}
			if x.v6 {
				n6++
			}
		}
	}
	quota := tw.opts.RulesPerSecurityGroup
	if (r.v4 && n4 >= quota) || (r.v6 && n6 >= quota) {
		return errorf(http.StatusBadRequest, "RulesPerSecurityGroupLimitExceeded", "The maximum number of rules per security group has been reached.")
	}
	g.rules = append(g.rules, r)
	return nil
}

func (s *securityGroups) removeRule(id string) {
	r := s.rules[id]
	if r == nil {
		return
	}
	delete(s.rules, id)
	if g := s.groups[r.group]; g != nil {
		for i, x := range g.rules {
			if x == r {
				g.rules = append(g.rules[:i], g.rules[i+1:]...)
				break
			}
		}
	}
}

// RuleCount is the number of egress (or ingress) rules on a group counted
// against its IPv4 budget.
func (tw *Twin) RuleCount(group string, egress bool) int {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	g := tw.ec2.groups[group]
	if g == nil {
		return 0
	}
	n := 0
	for _, r := range g.rules {
		if r.egress == egress && r.v4 {
			n++
		}
	}
	return n
}

type securityGroupProvider struct{}

func (securityGroupProvider) inline(tw *Twin, g *securityGroup, props map[string]any) *apiError {
	var kept []*sgRule
	for _, r := range g.rules {
		if !r.inline {
			kept = append(kept, r)
		}
	}
	g.rules = kept
	egress := asList(props["SecurityGroupEgress"])
	if props["SecurityGroupEgress"] == nil {
		// Without egress rules a group allows all IPv4 traffic out.
		egress = []any{map[string]any{"CidrIp": "0.0.0.0/0", "IpProtocol": "-1"}}
	}
	for _, dir := range []struct {
		list   []any
		egress bool
	}{{asList(props["SecurityGroupIngress"]), false}, {egress, true}} {
		for _, x := range dir.list {
			m := asMap(x)
			v4, v6 := family(m)
			if aerr := tw.ec2.add(tw, g, &sgRule{group: g.id, egress: dir.egress, v4: v4, v6: v6, inline: true, details: m}); aerr != nil {
				return aerr
			}
		}
	}
	return nil
}

func (p securityGroupProvider) create(tw *Twin, st *cfnStack, r *cfnResource, props map[string]any) (waitFunc, error) {
	g := &securityGroup{id: "sg-" + tw.nextID(17), vpc: str(props["VpcId"])}
	if aerr := p.inline(tw, g, props); aerr != nil {
		return nil, aerr
	}
	tw.ec2.groups[g.id] = g
	r.physical = g.id
	r.attrs = map[string]any{"GroupId": g.id, "VpcId": g.vpc}
	return nil, nil
}
func (p securityGroupProvider) update(tw *Twin, st *cfnStack, r *cfnResource, old, props map[string]any, rollback bool) (waitFunc, error) {
	g := tw.ec2.groups[r.physical]
	if g == nil {
		return nil, fmt.Errorf("InvalidGroup.NotFound: the security group '%s' does not exist", r.physical)
	}
	if aerr := p.inline(tw, g, props); aerr != nil {
		return nil, aerr
	}
	return nil, nil
}
func (securityGroupProvider) remove(tw *Twin, st *cfnStack, r *cfnResource) (waitFunc, error) {
	delete(tw.ec2.groups, r.physical)
	return nil, nil
}

type securityGroupRuleProvider struct{}

func (securityGroupRuleProvider) create(tw *Twin, st *cfnStack, r *cfnResource, props map[string]any) (waitFunc, error) {
	g := tw.ec2.groups[str(props["GroupId"])]
	if g == nil {
		return nil, fmt.Errorf("InvalidGroup.NotFound: the security group '%s' does not exist", str(props["GroupId"]))
	}
	v4, v6 := family(props)
	rule := &sgRule{id: "sgr-" + tw.nextID(17), group: g.id, egress: r.typ == "AWS::EC2::SecurityGroupEgress", v4: v4, v6: v6, details: props}
	if aerr := tw.ec2.add(tw, g, rule); aerr != nil {
		return nil, aerr
	}
	tw.ec2.rules[rule.id] = rule
	r.physical = rule.id
	r.attrs = map[string]any{"Id": rule.id}
	return nil, nil
}
func (securityGroupRuleProvider) update(tw *Twin, st *cfnStack, r *cfnResource, old, props map[string]any, rollback bool) (waitFunc, error) {
	if rule := tw.ec2.rules[r.physical]; rule != nil {
		rule.details = props
	}
	return nil, nil
}
func (securityGroupRuleProvider) remove(tw *Twin, st *cfnStack, r *cfnResource) (waitFunc, error) {
	tw.ec2.removeRule(r.physical)
	return nil, nil
}
