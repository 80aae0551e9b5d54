package operate

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// Fields of ScaleOptions, the keys of the problems found with them.
const (
	FieldCount = "count"
	FieldMin   = "min"
	FieldMax   = "max"
)

// maxTasks is the most tasks a service may run (ECS service quotas, "Tasks
// per service": 5,000), the MaxValue of the count parameters.
const maxTasks = 5000

// ScaleOptions set the service's task count: Count without autoscaling,
// Min and Max with it. Nil leaves a value as it is.
type ScaleOptions struct {
	Count, Min, Max *int
	// Timeout bounds the deploy; zero means deploy.DefaultTimeout.
	Timeout time.Duration
	// ReadLive, when not nil, checks the live stack once it is ready
	// (deploy.Input.ReadLive): the blue/green checks, which refuse while
	// ECS deploys the service.
	ReadLive func(ctx context.Context, in *deploy.Input) error
}

// Validate checks the options without calling AWS.
func (o ScaleOptions) Validate() error {
	var check deploy.Check
	switch {
	case o.Count == nil && o.Min == nil && o.Max == nil:
		check.Add(FieldCount, "give a task count, or with autoscaling a min, a max or both")
	case o.Count != nil && (o.Min != nil || o.Max != nil):
		check.Add(FieldCount, "give a count, or min and max with autoscaling, not both")
	}
	inRange := func(field string, v *int, lo int) {
		if v != nil && (*v < lo || *v > maxTasks) {
			check.Add(field, "%d is out of range: allowed %d to %d (ECS: at most %d tasks per service)", *v, lo, maxTasks, maxTasks)
		}
	}
	inRange(FieldCount, o.Count, 0)
	inRange(FieldMin, o.Min, 0)
	inRange(FieldMax, o.Max, 1)
	if o.Min != nil && o.Max != nil && *o.Min > *o.Max {
		check.Add(FieldMin, "%d is above max %d", *o.Min, *o.Max)
	}
	return check.Err()
}

// Scale changes the task count through a change set on the stack's own
// template with only the count parameters changed: DesiredCount, or
// MinCount and MaxCount with autoscaling, and never a forced deployment. The stack never drifts, and the
// next deploy keeps the count (a parameter not given keeps its value).
// Count 0 pauses the service, which a note before the plan says.
func Scale(ctx context.Context, c Clients, d *deploy.Deployer, stackName string, o ScaleOptions) (*deploy.Result, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	st, body, err := currentTemplate(ctx, c, stackName)
	if err != nil {
		return nil, err
	}
	declared, err := deploy.DeclaredParameters(body)
	if err != nil {
		return nil, err
	}
	has := map[string]bool{}
	for _, p := range declared {
		has[p] = true
	}
	current := map[string]string{}
	for _, p := range st.Parameters {
		current[aws.ToString(p.ParameterKey)] = aws.ToString(p.ParameterValue)
	}
	// Every parameter keeps its value. They are sent as DescribeStacks
	// reports them rather than left to UsePreviousValue, which is the same
	// change on AWS; moto fails UsePreviousValue on a List parameter. A
	// NoEcho value, which DescribeStacks masks, is left to it.
	params := map[string]string{}
	for k, v := range current {
		if v != "****" && has[k] {
			params[k] = v
		}
	}
	var check deploy.Check
	autoscaling := has[stack.ParamMinCount] && has[stack.ParamMaxCount]
	switch {
	case o.Count != nil && !has[stack.ParamDesiredCount] && autoscaling:
		check.Add(FieldCount, "stack %s scales automatically between %s and %s tasks: give min and max instead", stackName, current[stack.ParamMinCount], current[stack.ParamMaxCount])
	case o.Count != nil && !has[stack.ParamDesiredCount]:
		check.Add(FieldCount, "stack %s has no %s parameter to set", stackName, stack.ParamDesiredCount)
	case o.Count != nil:
		params[stack.ParamDesiredCount] = strconv.Itoa(*o.Count)
	case !autoscaling:
		field := FieldMin
		if o.Min == nil {
			field = FieldMax
		}
		check.Add(field, "stack %s does not scale automatically: give a count instead (deploy with autoscaling settings to turn it on)", stackName)
	default:
		lo, hi := current[stack.ParamMinCount], current[stack.ParamMaxCount]
		if o.Min != nil {
			lo = strconv.Itoa(*o.Min)
			params[stack.ParamMinCount] = lo
		}
		if o.Max != nil {
			hi = strconv.Itoa(*o.Max)
			params[stack.ParamMaxCount] = hi
		}
		// Application Auto Scaling refuses MinCapacity above MaxCapacity
		// (RegisterScalableTarget); the update would fail and roll back.
		if l, errL := strconv.Atoi(lo); errL == nil {
			if h, errH := strconv.Atoi(hi); errH == nil && l > h {
				field := FieldMin
				if o.Min == nil {
					field = FieldMax
				}
				check.Add(field, "min %d would be above max %d", l, h)
			}
		}
	}
	if err := check.Err(); err != nil {
		return nil, err
	}
	if o.Count != nil && *o.Count == 0 {
		note(d, stackName, "Scaling to 0 pauses service %s: every task stops, and the load balancer answers 503 until the service is scaled up again", stackName)
	}
	in := stackInput(st, body, params, o.Timeout)
	// The placement does not change, so the update forces no deployment,
	// even when the stack's template says to force one on every update
	// (as templates of earlier versions did): a change of DesiredCount
	// alone starts no deployment ("This parameter doesn't trigger a new
	// service deployment", ECS API reference, UpdateService), while a
	// forced one would run a whole blue/green deployment, with its bake
	// and its gate (review 2, F6).
	in.ForcePlacement = true
	in.ReadLive = o.ReadLive
	return d.Deploy(ctx, in)
}

// currentTemplate reads the stack and the template it runs (the original,
// as deployed, not the processed one).
func currentTemplate(ctx context.Context, c Clients, stackName string) (*cftypes.Stack, string, error) {
	st, err := describeStack(ctx, c, stackName)
	if err != nil {
		return nil, "", err
	}
	tpl, err := c.CloudFormation.GetTemplate(ctx, &cloudformation.GetTemplateInput{StackName: st.StackId, TemplateStage: cftypes.TemplateStageOriginal})
	if err != nil {
		return nil, "", callError("cloudformation:GetTemplate", "read the template of stack "+stackName, err)
	}
	return st, aws.ToString(tpl.TemplateBody), nil
}

// stackInput is a deploy of body with params, keeping the stack's
// capabilities, tags and service role.
func stackInput(st *cftypes.Stack, body string, params map[string]string, timeout time.Duration) deploy.Input {
	in := deploy.Input{
		StackName:    aws.ToString(st.StackName),
		TemplateBody: body,
		Parameters:   params,
		Tags:         map[string]string{},
		RoleARN:      aws.ToString(st.RoleARN),
		Timeout:      timeout,
	}
	for _, capability := range st.Capabilities {
		in.Capabilities = append(in.Capabilities, string(capability))
	}
	for _, t := range st.Tags {
		in.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return in
}

// note reports a line through the deployer's sink, where the plan goes.
func note(d *deploy.Deployer, stackName, format string, args ...any) {
	if d.Sink != nil {
		d.Sink.Event(deploy.Note{Time: time.Now(), Stack: stackName, Text: fmt.Sprintf(format, args...)})
	}
}
