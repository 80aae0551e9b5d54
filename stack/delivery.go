package stack

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/cfnfargate/cfnfargate/internal/lazyregexp"

	elb "github.com/awslabs/goformation/v7/cloudformation/elasticloadbalancingv2"
	"github.com/awslabs/goformation/v7/cloudformation/iam"
	"github.com/cfnfargate/cfnfargate/stack/internal/cloudformation"
)

// Progressive delivery: ECS's built-in blue/green, canary and linear
// deployments (the ECS deployment controller's BLUE_GREEN, CANARY and
// LINEAR strategies, 2025). Each needs a second target group, a listener
// rule whose traffic ECS moves between the two, and a role that lets ECS
// change that rule (ECS developer guide, "Amazon ECS blue/green
// deployments"). A rolling deployment has none of these, and its template
// does not change.

// Listener rule priorities of a service with a load balancer of its own. The
// test rule comes first: ELB matches rules from the lowest priority up (ELB
// user guide, "Listener rules"), and the production rule matches every path.
const (
	testRulePriority       = 1
	productionRulePriority = 2
)

// strategyValues are DeploymentConfiguration.Strategy's values (ECS API
// reference, DeploymentConfiguration: ROLLING, BLUE_GREEN, LINEAR, CANARY).
var strategyValues = map[string]string{
	StrategyBlueGreen: "BLUE_GREEN",
	StrategyCanary:    "CANARY",
	StrategyLinear:    "LINEAR",
}

// alternateTargetGroupID is the logical ID of the second target group of a
// blue/green service: the target group's, with Alternate after it, so that
// it follows the target group into a new load balancer or environment.
func alternateTargetGroupID(cfg Config) string { return targetGroupID(cfg) + "Alternate" }

// TargetGroupIDs are the logical IDs of the service's target group and, for
// a blue/green strategy, of the alternate one, which the production
// listener rule's weights are keyed by.
func TargetGroupIDs(cfg Config) (primary, alternate string) {
	return targetGroupID(cfg), alternateTargetGroupID(cfg)
}

// RuleIDs are the logical IDs the production listener rule can have: a
// service's own load balancer's, and the rule of a service in an
// environment.
func RuleIDs() []string { return []string{idProductionRule, idListenerRule} }

// AlarmIDs are the logical IDs of the rollback alarms a template creates.
func AlarmIDs() []string { return []string{idRollback5xxAlarm, idRollbackP99Alarm} }

// productionRuleID is the listener rule ECS moves production traffic on: a
// service in an environment already routes through one (addRouting).
func productionRuleID(cfg Config) string {
	if inEnvironment(cfg) {
		return idListenerRule
	}
	return idProductionRule
}

// forwardAction is how a listener rule of the service forwards: to its target
// group, or, for a blue/green strategy, to both target groups with the
// weights the deploy command read from the live rule. ECS rewrites those
// weights as it moves traffic (ECS developer guide, "Blue/green deployment
// workflow"), and CloudFormation sets whatever the template says on every
// update of the rule: literal weights equal to the live ones are what keeps
// a stack update from moving traffic back (aws-cdk #36649, containers-roadmap
// #2853).
func forwardAction(cfg Config) elb.ListenerRule_Action {
	if !cfg.Deployment.Progressive() {
		return elb.ListenerRule_Action{Type: "forward", TargetGroupArn: cloudformation.RefPtr(targetGroupID(cfg))}
	}
	w := cfg.Deployment.Weights
	if w.Primary == 0 && w.Alternate == 0 {
		w.Primary = 100
	}
	return elb.ListenerRule_Action{
		Type: "forward",
		// ELB allows weights from 0 to 999 per target group (ELB API
		// reference, TargetGroupTuple).
		ForwardConfig: &elb.ListenerRule_ForwardConfig{TargetGroups: []elb.ListenerRule_TargetGroupTuple{
			{TargetGroupArn: cloudformation.RefPtr(targetGroupID(cfg)), Weight: cloudformation.Int(w.Primary)},
			{TargetGroupArn: cloudformation.RefPtr(alternateTargetGroupID(cfg)), Weight: cloudformation.Int(w.Alternate)},
		}},
	}
}

// addDelivery adds what a blue/green strategy needs: the alternate target
// group, the production rule (in an environment, addRouting's rule is it),
// the optional test rule, the infrastructure role, and the pause gate.
// The rollback alarms are added for every strategy (addRollbackAlarms).
func addDelivery(t *cloudformation.Template, cfg Config) {
	addRollbackAlarms(t, cfg)
	if !cfg.Deployment.Progressive() {
		return
	}
	alternate := *(t.Resources[targetGroupID(cfg)].(*elb.TargetGroup))
	t.Resources[alternateTargetGroupID(cfg)] = &alternate

	if !inEnvironment(cfg) {
		// Production traffic moves from the HTTPS listener's default
		// action to a rule, as ECS shifts traffic on a listener rule, not
		// on a default action (AdvancedConfiguration.ProductionListenerRule,
		// ECS API reference). The default action stays as it was, so that
		// switching an existing stack between rolling and blue/green leaves
		// the listener alone and no request goes unrouted while the rule is
		// created or deleted; with the rule in place it is never reached.
		t.Resources[idProductionRule] = &elb.ListenerRule{
			ListenerArn: cloudformation.String(productionListener(cfg)),
			Priority:    productionRulePriority,
			Conditions: []elb.ListenerRule_RuleCondition{{
				Field:             cloudformation.String("path-pattern"),
				PathPatternConfig: &elb.ListenerRule_PathPatternConfig{Values: []string{"/*"}},
			}},
			Actions: []elb.ListenerRule_Action{forwardAction(cfg)},
		}
	}
	if name, value, ok := strings.Cut(cfg.Deployment.TestHeader, "="); ok {
		t.Resources[idTestRule] = &elb.ListenerRule{
			ListenerArn: cloudformation.String(productionListener(cfg)),
			Priority:    testRulePriority,
			Conditions: []elb.ListenerRule_RuleCondition{{
				Field:            cloudformation.String("http-header"),
				HttpHeaderConfig: &elb.ListenerRule_HttpHeaderConfig{HttpHeaderName: cloudformation.String(name), Values: []string{value}},
			}},
			Actions: []elb.ListenerRule_Action{forwardAction(cfg)},
		}
	}

	// The role ECS assumes to move traffic between the target groups:
	// trusted by ecs.amazonaws.com, with the AWS managed policy for it (ECS
	// developer guide, "Amazon ECS infrastructure IAM role for load
	// balancers").
	t.Resources[idInfrastructureRole] = &iam.Role{
		Description: cloudformation.String("Lets ECS move the load balancer traffic of " + serviceLabel(cfg) + " between its two target groups in blue/green deployments."),
		AssumeRolePolicyDocument: policyDocument(statement{
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": "ecs.amazonaws.com"},
			"Action":    "sts:AssumeRole",
		}),
		ManagedPolicyArns: []string{cloudformation.Sub("arn:${AWS::Partition}:iam::aws:policy/" + InfrastructurePolicy)},
		Tags:              resourceTags(cfg),
	}
	if cfg.Deployment.PauseBeforeProduction {
		addPauseGate(t, cfg)
	}
}

// InfrastructurePolicy is the AWS managed policy of the role ECS uses to
// move load balancer traffic in blue/green deployments.
const InfrastructurePolicy = "AmazonECSInfrastructureRolePolicyForLoadBalancers"

// deliveryOverrides are the service properties of the strategy, which
// goformation v7.14.9 predates: Strategy, BakeTimeInMinutes, the canary or
// linear steps and the lifecycle hooks. It returns the load balancer's
// AdvancedConfiguration of a blue/green strategy, or nil for rolling.
//
// Strategy and LifecycleHooks are written when off too (ROLLING, []):
// UpdateService keeps the deployment settings a request leaves out, so a
// template that drops them would leave the service on BLUE_GREEN, or with
// a hook whose function the same update deletes, which fails every later
// deployment (ECS needs "an explicit empty lifecycle hook list to clear
// existing hooks", terraform-provider-aws #47096; review 2, F7).
func deliveryOverrides(cfg Config, overrides map[string]any) (advanced map[string]any) {
	d := cfg.Deployment
	overrides["DeploymentConfiguration.Strategy"] = "ROLLING"
	overrides["DeploymentConfiguration.LifecycleHooks"] = []any{}
	if !d.Progressive() {
		return nil
	}
	overrides["DeploymentConfiguration.Strategy"] = strategyValues[d.Strategy]
	overrides["DeploymentConfiguration.BakeTimeInMinutes"] = minutes(d.Bake)
	switch d.Strategy {
	case StrategyCanary:
		overrides["DeploymentConfiguration.CanaryConfiguration"] = map[string]any{
			"CanaryPercent":           d.CanaryPercent,
			"CanaryBakeTimeInMinutes": minutes(d.CanaryWait),
		}
	case StrategyLinear:
		overrides["DeploymentConfiguration.LinearConfiguration"] = map[string]any{
			"StepPercent":           d.LinearPercent,
			"StepBakeTimeInMinutes": minutes(d.LinearInterval),
		}
	}
	if d.PauseBeforeProduction {
		overrides["DeploymentConfiguration.LifecycleHooks"] = []any{pauseHook(cfg)}
	}
	advanced = map[string]any{
		"AlternateTargetGroupArn": cloudformation.Ref(alternateTargetGroupID(cfg)),
		// A listener rule's Ref is its ARN.
		"ProductionListenerRule": cloudformation.Ref(productionRuleID(cfg)),
		"RoleArn":                cloudformation.GetAtt(idInfrastructureRole, "Arn"),
	}
	if d.TestHeader != "" {
		advanced["TestListenerRule"] = cloudformation.Ref(idTestRule)
	}
	return advanced
}

func minutes(d time.Duration) int { return int(d / time.Minute) }

// Schedule is how long a deployment of the strategy takes at least, from
// the moment green is healthy, and how long it takes at most when nobody
// answers a pause: the waits of the strategy's steps, the bake time, and
// the pause's timeout.
func (d Deployment) Schedule() (least, most time.Duration) {
	if !d.Progressive() {
		return 0, 0
	}
	least = d.Bake
	switch d.Strategy {
	case StrategyCanary:
		least += d.CanaryWait
	case StrategyLinear:
		least += time.Duration(linearSteps(d.LinearPercent)) * d.LinearInterval
	}
	most = least
	if d.PauseBeforeProduction {
		most += d.PauseTimeout
	}
	return least, most
}

// linearSteps is the number of waits of a linear deployment, as
// CloudFormation counts them: 100 / StepPercent - 1 when the step divides
// 100 evenly, else its floor, as no wait follows the last shift to 100%
// (AWS::ECS::Service LinearConfiguration, CloudFormation reference).
func linearSteps(percent float64) int {
	if percent <= 0 {
		return 0
	}
	n := 100 / percent
	if math.Abs(n-math.Round(n)) < 1e-9 {
		return int(math.Round(n)) - 1
	}
	return int(math.Floor(n))
}

// maxSchedule is CloudFormation's limit on a canary or linear deployment:
// it rejects one whose BakeTimeInMinutes plus canary bake time, or plus
// step bake time times the number of steps, exceeds 33 hours, as its
// operations time out after 36 (AWS::ECS::Service CanaryConfiguration and
// LinearConfiguration, CloudFormation reference). A pause counts as well:
// "running lifecycle hooks can extend deployment time", and CloudFormation
// still times out at 36 hours.
const maxSchedule = 33 * time.Hour

// testHeader is NAME=VALUE of an HTTP header condition: a name of up to 40
// characters that RFC 7230 allows in a token (letters, digits and
// !#$%&'*+-.^_`|~) except *, as "Wildcards are not supported" in the name,
// and a value of up to 128 characters with * and ? as wildcards (ELB API
// reference, HttpHeaderConditionConfig). The name may not be Host in any
// case: "You can't use an HTTP header condition to specify the host
// header" (same page); testHeaderName checks that.
var testHeader = lazyregexp.New("^[A-Za-z0-9!#$%&'+.^_`|~-]{1,40}=[\\x21-\\x7e]{1,128}$")

// testHeaderName is the header name of a NAME=VALUE test header.
func testHeaderName(header string) string {
	name, _, _ := strings.Cut(header, "=")
	return name
}

// alarmName is an existing CloudWatch alarm's name: 1 to 255 characters,
// printable (CloudWatch API reference, PutMetricAlarm AlarmName).
var alarmName = lazyregexp.New(`^[\x20-\x7e]{1,255}$`)

// maxRollbackAlarms: ECS takes up to 10 alarm names in DeploymentAlarms
// (ECS API reference, DeploymentAlarms).
const maxRollbackAlarms = 10

// delivery checks the strategy's settings against each other and the
// other settings.
func (v *validator) delivery(c Config) {
	d := c.Deployment
	if n := len(rollbackAlarms(c)); n > maxRollbackAlarms {
		v.addCross(KeyRollbackAlarm, []string{KeyRollbackOn5xx, KeyRollbackOnLatencyP99}, "%d rollback alarms: a service takes up to %d (with the ones rollback-on-5xx and rollback-on-latency-p99 create)", n, maxRollbackAlarms)
	}
	seen := map[string]bool{}
	for _, a := range d.RollbackAlarms {
		switch {
		case !alarmName.MatchString(a):
			v.add(KeyRollbackAlarm, "%q is not a CloudWatch alarm name: use 1 to 255 printable characters", a)
		case seen[a]:
			v.add(KeyRollbackAlarm, "%s is given twice", a)
		}
		seen[a] = true
	}
	if !d.Progressive() {
		return // the other settings have no effect; see Warnings
	}
	if _, most := d.Schedule(); d.Strategy != StrategyBlueGreen && most > maxSchedule {
		related := []string{KeyBake, KeyStrategy}
		what := "bake " + FormatDuration(d.Bake)
		switch d.Strategy {
		case StrategyCanary:
			related = append(related, KeyCanaryWait)
			what += " and canary-wait " + FormatDuration(d.CanaryWait)
		case StrategyLinear:
			related = append(related, KeyLinearInterval, KeyLinearPercent)
			what += fmt.Sprintf(" and %d steps of linear-interval %s", linearSteps(d.LinearPercent), FormatDuration(d.LinearInterval))
		}
		if d.PauseBeforeProduction {
			related = append(related, KeyPauseTimeout)
			what += " and pause-timeout " + FormatDuration(d.PauseTimeout)
		}
		v.addCross(KeyStrategy, related, "%s add up to %s: CloudFormation rejects a %s deployment longer than 33h, as its operations time out after 36h; shorten them", what, FormatDuration(most), d.Strategy)
	}
	if d.TestHeader != "" {
		switch {
		case !testHeader.MatchString(d.TestHeader):
			v.add(KeyTestHeader, "%q is not NAME=VALUE of a request header a listener rule can match: a name of up to 40 letters, digits and !#$%%&'+-.^_`|~ (an HTTP token, without the wildcard *), and a value of up to 128 printable characters without spaces, e.g. x-cfnfargate-test=1", d.TestHeader)
		case strings.EqualFold(testHeaderName(d.TestHeader), "host"):
			v.add(KeyTestHeader, "%q names the Host header, which a header condition cannot match (ELB API reference, HttpHeaderConditionConfig): use a header of your own, e.g. x-cfnfargate-test=1", d.TestHeader)
		case inEnvironment(c):
			// A second rule per service would need a second priority
			// checked against the environment's other rules.
			v.addCross(KeyTestHeader, []string{KeyEnvironment}, "a test rule is not available for a service in environment %s yet: leave out test-header", c.Environment.Name)
		}
	}
}
