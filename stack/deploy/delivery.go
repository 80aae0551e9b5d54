package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/cfnfargate/cfnfargate/stack"
)

// Progressive delivery on a live stack: the checks a deploy of a
// blue/green service needs before its change set, and what status shows.
//
// ECS moves a blue/green service's traffic by rewriting the production
// listener rule's forward weights, and CloudFormation resets the rule to
// what the template says on the next stack update, which can send traffic
// back to a target group without tasks (aws-cdk #36649, containers-roadmap
// #2853, terraform-aws-alb #409). So before a change set the deploy reads
// the rule's live weights and the template carries them as literals.

// RulesAPI is the Elastic Load Balancing call that reads listener rules.
// *elasticloadbalancingv2.Client satisfies it.
type RulesAPI interface {
	DescribeRules(context.Context, *elbv2.DescribeRulesInput, ...func(*elbv2.Options)) (*elbv2.DescribeRulesOutput, error)
}

// ServiceDeploymentsAPI is the ECS calls that read a service's deployments.
// *ecs.Client satisfies it.
type ServiceDeploymentsAPI interface {
	ListServiceDeployments(context.Context, *ecs.ListServiceDeploymentsInput, ...func(*ecs.Options)) (*ecs.ListServiceDeploymentsOutput, error)
	DescribeServiceDeployments(context.Context, *ecs.DescribeServiceDeploymentsInput, ...func(*ecs.Options)) (*ecs.DescribeServiceDeploymentsOutput, error)
}

// AlarmsAPI is the CloudWatch call that reads alarm states.
// *cloudwatch.Client satisfies it.
type AlarmsAPI interface {
	DescribeAlarms(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
}

// ParameterAPI is the SSM calls of the pause gate. *ssm.Client satisfies it.
type ParameterAPI interface {
	GetParameter(context.Context, *ssm.GetParameterInput, ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	PutParameter(context.Context, *ssm.PutParameterInput, ...func(*ssm.Options)) (*ssm.PutParameterOutput, error)
}

var (
	_ RulesAPI              = (*elbv2.Client)(nil)
	_ ServiceDeploymentsAPI = (*ecs.Client)(nil)
	_ AlarmsAPI             = (*cloudwatch.Client)(nil)
	_ ParameterAPI          = (*ssm.Client)(nil)
)

// Delivery reads and acts on the blue/green state of live stacks.
type Delivery struct {
	CloudFormation API
	ELB            RulesAPI
	ECS            ServiceDeploymentsAPI
	CloudWatch     AlarmsAPI
	SSM            ParameterAPI
}

// Delivery returns the blue/green reader of these clients.
func (c *Clients) Delivery() Delivery {
	return Delivery{CloudFormation: c.CloudFormation, ELB: c.ELB, ECS: c.ECS, CloudWatch: c.CloudWatch, SSM: c.SSM}
}

// TargetWeight is one target group of the production rule and its forward
// weight.
type TargetWeight struct {
	LogicalID string `json:"logicalId"`
	ARN       string `json:"arn"`
	Weight    int    `json:"weight"`
}

// Traffic is the live state of a stack's production listener rule.
type Traffic struct {
	RuleARN string         `json:"ruleArn"`
	Targets []TargetWeight `json:"targets"`
}

// Split describes the traffic as people read it: "TargetGroup 95% /
// TargetGroupAlternate 5%". ELB weights are relative (ELB API reference,
// TargetGroupTuple), so each is shown as its share of their sum.
func (t Traffic) Split() string {
	total := 0
	for _, g := range t.Targets {
		total += g.Weight
	}
	parts := make([]string, len(t.Targets))
	for i, g := range t.Targets {
		percent := 0.0
		if total > 0 {
			percent = float64(g.Weight) * 100 / float64(total)
		}
		parts[i] = g.LogicalID + " " + strconv.FormatFloat(percent, 'f', -1, 64) + "%"
	}
	return strings.Join(parts, " / ")
}

// weight is the weight of target group logicalID, and whether the rule
// forwards to it.
func (t Traffic) weight(logicalID string) (int, bool) {
	for _, g := range t.Targets {
		if g.LogicalID == logicalID {
			return g.Weight, true
		}
	}
	return 0, false
}

// Live is what a deploy needs to know about a stack before its change set.
type Live struct {
	// Exists is false for a stack not created yet; the rest is then empty.
	Exists bool
	// Traffic is the production rule's state; nil when the stack has no
	// production rule (a rolling service of its own load balancer).
	Traffic *Traffic
	// ServiceARN and Cluster name the stack's service.
	ServiceARN string
	Cluster    string
	// Alarms are the physical names of the rollback alarms the stack made.
	Alarms []string
	// targetGroups maps the stack's target groups' logical IDs to ARNs.
	targetGroups map[string]string
}

// Inspect reads the stack's resources and its production rule's weights.
func (d Delivery) Inspect(ctx context.Context, stackName string) (Live, error) {
	live := Live{targetGroups: map[string]string{}}
	var ruleARN string
	var token *string
	for {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		out, err := d.CloudFormation.ListStackResources(cctx, &cloudformation.ListStackResourcesInput{StackName: aws.String(stackName), NextToken: token})
		cancel()
		if err != nil {
			if isNotFound(err) {
				return live, nil
			}
			return live, fmt.Errorf("list the resources of stack %s: %w", stackName, readable(err))
		}
		live.Exists = true
		for _, r := range out.StackResourceSummaries {
			id, logical := aws.ToString(r.PhysicalResourceId), aws.ToString(r.LogicalResourceId)
			if id == "" || r.ResourceStatus == cftypes.ResourceStatusDeleteComplete {
				continue
			}
			switch {
			case aws.ToString(r.ResourceType) == targetGroupType:
				live.targetGroups[logical] = id
			case aws.ToString(r.ResourceType) == ruleType && slices.Contains(stack.RuleIDs(), logical):
				ruleARN = id
			case aws.ToString(r.ResourceType) == serviceType:
				live.ServiceARN = id
				live.Cluster, _ = clusterAndServiceFromARN(id)
			case slices.Contains(stack.AlarmIDs(), logical):
				live.Alarms = append(live.Alarms, id)
			}
		}
		if out.NextToken == nil {
			break
		}
		token = out.NextToken
	}
	if ruleARN == "" || d.ELB == nil {
		return live, nil
	}
	traffic, err := d.readRule(ctx, ruleARN, live.targetGroups)
	if err != nil {
		return live, err
	}
	live.Traffic = traffic
	return live, nil
}

// readRule reads the forward weights of rule; a plain forward to one target
// group is all of the traffic on it.
func (d Delivery) readRule(ctx context.Context, ruleARN string, targetGroups map[string]string) (*Traffic, error) {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	out, err := d.ELB.DescribeRules(cctx, &elbv2.DescribeRulesInput{RuleArns: []string{ruleARN}})
	cancel()
	if err != nil {
		return nil, fmt.Errorf("read the production listener rule %s: %w", ruleARN, readable(err))
	}
	logicalOf := map[string]string{}
	for logical, arn := range targetGroups {
		logicalOf[arn] = logical
	}
	traffic := &Traffic{RuleARN: ruleARN}
	for _, rule := range out.Rules {
		for _, a := range rule.Actions {
			if a.Type != "forward" {
				continue
			}
			if a.ForwardConfig != nil && len(a.ForwardConfig.TargetGroups) > 0 {
				for _, tg := range a.ForwardConfig.TargetGroups {
					arn := aws.ToString(tg.TargetGroupArn)
					// A weight left out is 1 (ELB API reference,
					// TargetGroupTuple).
					weight := 1
					if tg.Weight != nil {
						weight = int(*tg.Weight)
					}
					traffic.Targets = append(traffic.Targets, TargetWeight{LogicalID: logicalOf[arn], ARN: arn, Weight: weight})
				}
			} else if arn := aws.ToString(a.TargetGroupArn); arn != "" {
				traffic.Targets = append(traffic.Targets, TargetWeight{LogicalID: logicalOf[arn], ARN: arn, Weight: 100})
			}
		}
	}
	return traffic, nil
}

// DeploymentsInProgress lists the service's deployments that ECS has not
// finished: pending, in progress, or rolling back.
func (d Delivery) DeploymentsInProgress(ctx context.Context, live Live) ([]string, error) {
	if live.ServiceARN == "" || d.ECS == nil {
		return nil, nil
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	out, err := d.ECS.ListServiceDeployments(cctx, &ecs.ListServiceDeploymentsInput{
		Service: aws.String(live.ServiceARN),
		Cluster: optional(live.Cluster),
		Status: []ecstypes.ServiceDeploymentStatus{ecstypes.ServiceDeploymentStatusPending, ecstypes.ServiceDeploymentStatusInProgress,
			ecstypes.ServiceDeploymentStatusRollbackRequested, ecstypes.ServiceDeploymentStatusRollbackInProgress, ecstypes.ServiceDeploymentStatusStopRequested},
	})
	cancel()
	if err != nil {
		return nil, fmt.Errorf("list the deployments of service %s: %w", live.ServiceARN, readable(err))
	}
	var arns []string
	for _, s := range out.ServiceDeployments {
		arns = append(arns, aws.ToString(s.ServiceDeploymentArn))
	}
	return arns, nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

// RoutingBusyError refuses a deploy of a blue/green service while ECS is
// moving its traffic: a stack update would set the production rule's
// weights under ECS's feet. Exit code 1.
type RoutingBusyError struct {
	Stack       string
	Deployments []string
	Split       string
}

func (e *RoutingBusyError) Error() string {
	return fmt.Sprintf("stack %s: ECS is deploying the service (%s), with traffic at %s; a stack update now would set the production listener rule's weights while ECS moves them. Wait until the deployment finishes or rolls back, then deploy again",
		e.Stack, strings.Join(e.Deployments, ", "), e.Split)
}

// ExitCode is ExitFailure.
func (e *RoutingBusyError) ExitCode() int { return ExitFailure }

// StrategySwitchError refuses to take a service back to rolling while its
// traffic is on the alternate target group, which the rolling template
// deletes. Exit code 1.
type StrategySwitchError struct {
	Stack string
	Split string
}

func (e *StrategySwitchError) Error() string {
	return fmt.Sprintf("stack %s: the traffic is at %s, and a rolling deployment would delete the alternate target group that serves it. Deploy once more with the blue/green strategy, which moves the traffic back to the first target group, then switch to rolling", e.Stack, e.Split)
}

// ExitCode is ExitFailure.
func (e *StrategySwitchError) ExitCode() int { return ExitFailure }

// FiringAlarm is a rollback alarm in the ALARM state.
type FiringAlarm struct {
	Name string `json:"name"`
	// Condition is what the alarm watches: "HTTPCode_Target_5XX_Count >
	// 1", or its description for a metric-math alarm.
	Condition string `json:"condition"`
	Reason    string `json:"reason"`
}

func (a FiringAlarm) String() string {
	s := a.Name
	if a.Condition != "" {
		s += " (" + a.Condition + ")"
	}
	return s
}

// AlarmFiringError refuses a deploy whose rollback alarms are already in
// ALARM: ECS ignores an alarm that is in ALARM when a deployment starts, so
// it would not roll back on it (ECS developer guide, "How CloudWatch alarms
// detect Amazon ECS deployment failures"). Exit code 1.
type AlarmFiringError struct {
	Stack  string
	Alarms []FiringAlarm
}

func (e *AlarmFiringError) Error() string {
	names := make([]string, len(e.Alarms))
	for i, a := range e.Alarms {
		names[i] = a.String()
	}
	return fmt.Sprintf("stack %s: rollback alarm(s) already in ALARM: %s; ECS ignores an alarm that is in ALARM when a deployment starts, so this deployment would not roll back on it", e.Stack, strings.Join(names, ", "))
}

// ExitCode is ExitFailure.
func (e *AlarmFiringError) ExitCode() int { return ExitFailure }

// FiringAlarms returns the alarms among names that are in ALARM.
func (d Delivery) FiringAlarms(ctx context.Context, names []string) ([]FiringAlarm, error) {
	if len(names) == 0 || d.CloudWatch == nil {
		return nil, nil
	}
	var firing []FiringAlarm
	// DescribeAlarms takes up to 100 names (CloudWatch API reference).
	for chunk := range slices.Chunk(names, 100) {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		out, err := d.CloudWatch.DescribeAlarms(cctx, &cloudwatch.DescribeAlarmsInput{
			AlarmNames: chunk,
			StateValue: cwtypes.StateValueAlarm,
			AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm},
		})
		cancel()
		if err != nil {
			return nil, fmt.Errorf("read the rollback alarms: %w", readable(err))
		}
		// The state is checked again: the filter is a request, and an
		// emulator may ignore it.
		for _, a := range out.MetricAlarms {
			if a.StateValue != cwtypes.StateValueAlarm {
				continue
			}
			firing = append(firing, FiringAlarm{Name: aws.ToString(a.AlarmName), Condition: alarmCondition(a), Reason: aws.ToString(a.StateReason)})
		}
		for _, a := range out.CompositeAlarms {
			if a.StateValue != cwtypes.StateValueAlarm {
				continue
			}
			firing = append(firing, FiringAlarm{Name: aws.ToString(a.AlarmName), Condition: aws.ToString(a.AlarmRule), Reason: aws.ToString(a.StateReason)})
		}
	}
	return firing, nil
}

// alarmCondition is "METRIC > THRESHOLD" for an alarm on one metric, and
// its description for one on metric math, whose description cfnfargate
// writes with the threshold.
func alarmCondition(a cwtypes.MetricAlarm) string {
	op := map[cwtypes.ComparisonOperator]string{
		cwtypes.ComparisonOperatorGreaterThanThreshold:          ">",
		cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold: ">=",
		cwtypes.ComparisonOperatorLessThanThreshold:             "<",
		cwtypes.ComparisonOperatorLessThanOrEqualToThreshold:    "<=",
	}[a.ComparisonOperator]
	threshold := strconv.FormatFloat(aws.ToFloat64(a.Threshold), 'f', -1, 64)
	if a.MetricName != nil && op != "" {
		return aws.ToString(a.MetricName) + " " + op + " " + threshold
	}
	if a.AlarmDescription != nil {
		return aws.ToString(a.AlarmDescription)
	}
	if op != "" {
		return op + " " + threshold
	}
	return ""
}

// Preflight are the checks of a deploy of cfg to stackName, before its
// change set, and the weights its template must carry.
type Preflight struct {
	// Weights are the live production weights, to build the template with
	// (stack.Deployment.Weights); zero when there are none to keep.
	Weights stack.Weights
	// KeepWeights are the same by target group logical ID, for
	// Input.KeepWeights; nil when there are none to keep.
	KeepWeights map[string]int
	// Traffic is the live split, when the stack has a production rule.
	Traffic *Traffic
	// Warnings are what --force let through.
	Warnings []string
}

// Check runs the checks of a deploy of cfg to stackName: it refuses while
// ECS is deploying a blue/green service (RoutingBusyError), a switch to
// rolling while the traffic is on the alternate target group
// (StrategySwitchError), and, unless force, a deploy whose rollback alarms
// are in ALARM (AlarmFiringError; with force, a warning). It returns the
// live weights to keep.
func (d Delivery) Check(ctx context.Context, stackName string, cfg stack.Config, force bool) (Preflight, error) {
	var pre Preflight
	live, err := d.Inspect(ctx, stackName)
	if err != nil {
		return pre, err
	}
	pre.Traffic = live.Traffic
	primary, alternate := stack.TargetGroupIDs(cfg)
	if t := live.Traffic; t != nil {
		_, wasBlueGreen := t.weight(alternate)
		if wasBlueGreen || cfg.Deployment.Progressive() {
			busy, err := d.DeploymentsInProgress(ctx, live)
			if err != nil {
				return pre, err
			}
			if len(busy) > 0 {
				return pre, &RoutingBusyError{Stack: stackName, Deployments: busy, Split: t.Split()}
			}
		}
		altWeight, _ := t.weight(alternate)
		if !cfg.Deployment.Progressive() && altWeight > 0 {
			return pre, &StrategySwitchError{Stack: stackName, Split: t.Split()}
		}
		if p, ok := t.weight(primary); ok {
			// Keyed by logical ID: a target group the new template renames
			// is a new one, which starts without traffic.
			if cfg.Deployment.Progressive() {
				pre.Weights = stack.Weights{Primary: p, Alternate: altWeight}
			}
			// Back to rolling too: the stored template's weights may be
			// stale, and a failed switch would put them back.
			if cfg.Deployment.Progressive() || wasBlueGreen {
				pre.KeepWeights = map[string]int{primary: p, alternate: altWeight}
			}
		}
	}
	names := slices.Concat(live.Alarms, cfg.Deployment.RollbackAlarms)
	firing, err := d.FiringAlarms(ctx, names)
	if err != nil {
		return pre, err
	}
	if len(firing) > 0 {
		e := &AlarmFiringError{Stack: stackName, Alarms: firing}
		if !force {
			return pre, e
		}
		pre.Warnings = append(pre.Warnings, e.Error())
	}
	return pre, nil
}

// CheckLive runs the checks of an update that keeps the stack's strategy
// and deploys no template of the user's (scale, rollback): it refuses
// while ECS deploys a blue/green service (RoutingBusyError), and returns
// the live weights of its rule to keep (Preflight.KeepWeights). Rollback
// alarms in ALARM are warnings, not a refusal: a scale or a rollback is
// often the answer to them, and the warning says that ECS ignores such an
// alarm for a deployment that starts meanwhile.
func (d Delivery) CheckLive(ctx context.Context, stackName string) (Preflight, error) {
	live, err := d.Inspect(ctx, stackName)
	if err != nil {
		return Preflight{}, err
	}
	pre := Preflight{Traffic: live.Traffic}
	if t := live.Traffic; t != nil && len(t.Targets) > 1 {
		busy, err := d.DeploymentsInProgress(ctx, live)
		if err != nil {
			return pre, err
		}
		if len(busy) > 0 {
			return pre, &RoutingBusyError{Stack: stackName, Deployments: busy, Split: t.Split()}
		}
		pre.KeepWeights = map[string]int{}
		for _, g := range t.Targets {
			if g.LogicalID != "" {
				pre.KeepWeights[g.LogicalID] = g.Weight
			}
		}
	}
	firing, err := d.FiringAlarms(ctx, live.Alarms)
	if err != nil {
		return pre, err
	}
	if len(firing) > 0 {
		pre.Warnings = append(pre.Warnings, (&AlarmFiringError{Stack: stackName, Alarms: firing}).Error())
	}
	return pre, nil
}

// DeploymentState is what status shows of a blue/green service's latest
// deployment.
type DeploymentState struct {
	ARN    string `json:"arn"`
	Status string `json:"status"`
	// Stage is the lifecycle stage: SCALE_UP, TEST_TRAFFIC_SHIFT,
	// PRODUCTION_TRAFFIC_SHIFT, BAKE_TIME, ...
	Stage  string `json:"stage,omitempty"`
	Reason string `json:"reason,omitempty"`
	// TriggeredAlarms are the rollback alarms that stopped it.
	TriggeredAlarms []string `json:"triggeredAlarms,omitempty"`
}

// LatestDeployment describes the service's most recent deployment, or
// returns nil when ECS lists none. The most recent is the one created
// last: ListServiceDeployments does not document the order of what it
// returns (twin specification, B11), so every page is read.
func (d Delivery) LatestDeployment(ctx context.Context, live Live) (*DeploymentState, error) {
	if live.ServiceARN == "" || d.ECS == nil {
		return nil, nil
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var newest *ecstypes.ServiceDeploymentBrief
	var token *string
	for {
		list, err := d.ECS.ListServiceDeployments(cctx, &ecs.ListServiceDeploymentsInput{Service: aws.String(live.ServiceARN), Cluster: optional(live.Cluster),
			MaxResults: aws.Int32(100), NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("list the deployments of service %s: %w", live.ServiceARN, readable(err))
		}
		for i := range list.ServiceDeployments {
			b := &list.ServiceDeployments[i]
			if newest == nil || aws.ToTime(b.CreatedAt).After(aws.ToTime(newest.CreatedAt)) {
				newest = b
			}
		}
		if token = list.NextToken; token == nil {
			break
		}
	}
	if newest == nil {
		return nil, nil
	}
	arn := aws.ToString(newest.ServiceDeploymentArn)
	out, err := d.ECS.DescribeServiceDeployments(cctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{arn}})
	if err != nil {
		return nil, fmt.Errorf("describe deployment %s: %w", arn, readable(err))
	}
	if len(out.ServiceDeployments) == 0 {
		return nil, errors.New("ECS did not describe deployment " + arn)
	}
	sd := out.ServiceDeployments[0]
	state := &DeploymentState{ARN: arn, Status: string(sd.Status), Stage: string(sd.LifecycleStage), Reason: aws.ToString(sd.StatusReason)}
	if sd.Alarms != nil {
		state.TriggeredAlarms = sd.Alarms.TriggeredAlarmNames
	}
	return state, nil
}

// DeploymentProgress is one change in a blue/green deployment, as
// WatchDeployment reports it.
type DeploymentProgress struct {
	Deployment DeploymentState
	// Split is the production rule's traffic, as Traffic.Split writes it.
	Split string
	// Firing are the rollback alarms in ALARM.
	Firing []FiringAlarm
}

// String is one line: "PRODUCTION_TRAFFIC_SHIFT, traffic TargetGroup 90% /
// TargetGroupAlternate 10%, alarm x (y > 1) in ALARM".
func (p DeploymentProgress) String() string {
	parts := []string{p.Deployment.Status}
	if p.Deployment.Stage != "" {
		parts[0] += " at " + p.Deployment.Stage
	}
	if p.Split != "" {
		parts = append(parts, "traffic "+p.Split)
	}
	for _, a := range p.Firing {
		parts = append(parts, "alarm "+a.String()+" in ALARM")
	}
	return strings.Join(parts, ", ")
}

// WatchDeployment polls the service's newest ECS deployment, the production
// rule's split and the rollback alarms every interval until ctx ends, and
// reports each change of them. A deployment that was already the newest
// when the watch started is not reported: it is not this deploy's. Errors
// end the watch; they do not concern the stack operation, which the
// Deployer follows.
func (d Delivery) WatchDeployment(ctx context.Context, stackName string, alarms []string, interval time.Duration, report func(DeploymentProgress)) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var before, last string
	first := true
	for {
		live, err := d.Inspect(ctx, stackName)
		if err != nil {
			return ignoreCancel(ctx, err)
		}
		if live.ServiceARN != "" {
			state, err := d.LatestDeployment(ctx, live)
			if err != nil {
				return ignoreCancel(ctx, err)
			}
			switch {
			case state == nil:
			case first:
				before = state.ARN
			case state.ARN != before:
				p := DeploymentProgress{Deployment: *state}
				if live.Traffic != nil {
					p.Split = live.Traffic.Split()
				}
				if p.Firing, err = d.FiringAlarms(ctx, slices.Concat(live.Alarms, alarms)); err != nil {
					return ignoreCancel(ctx, err)
				}
				if line := p.String(); line != last {
					last = line
					report(p)
				}
			}
		}
		first = false
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

func ignoreCancel(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}
