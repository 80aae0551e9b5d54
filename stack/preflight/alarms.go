package preflight

import (
	"context"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/cfnfargate/cfnfargate/stack"
)

// CloudWatchAPI is the CloudWatch call the rollback alarms' check reads.
// *cloudwatch.Client implements it.
type CloudWatchAPI interface {
	DescribeAlarms(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
}

// FieldRollbackAlarm is the field of a finding about a rollback alarm: the
// setting's key.
const FieldRollbackAlarm = stack.KeyRollbackAlarm

// checkAlarms checks that each rollback alarm of names exists in region,
// the stack's. ECS takes any name in the service's DeploymentAlarms; an alarm
// that does not exist never goes into ALARM, so a typo leaves every
// deployment without the rollback it was meant to have.
func checkAlarms(ctx context.Context, api CloudWatchAPI, region string, names []string, rep *Report) {
	found := map[string]bool{}
	// DescribeAlarms takes up to 100 names (CloudWatch API reference,
	// DescribeAlarms, AlarmNames), and without AlarmTypes it returns
	// metric alarms only, "even if composite alarms exist in the account".
	for chunk := range slices.Chunk(names, 100) {
		in := &cloudwatch.DescribeAlarmsInput{
			AlarmNames: chunk,
			AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm},
		}
		for {
			out, err := api.DescribeAlarms(ctx, in)
			if err != nil {
				rep.unread("the rollback alarms", err)
				return
			}
			for _, a := range out.MetricAlarms {
				found[aws.ToString(a.AlarmName)] = true
			}
			for _, a := range out.CompositeAlarms {
				found[aws.ToString(a.AlarmName)] = true
			}
			if aws.ToString(out.NextToken) == "" {
				break
			}
			in.NextToken = out.NextToken
		}
	}
	var missing []string
	for _, name := range names {
		if !found[name] && !slices.Contains(missing, name) {
			missing = append(missing, name)
		}
	}
	switch len(missing) {
	case 0:
	case 1:
		rep.problem(FieldRollbackAlarm, nil, "alarm %s does not exist in CloudWatch in %s: ECS would never see it go into ALARM, and deployments would not roll back on it; give the name of an existing alarm (aws cloudwatch describe-alarms lists them)", missing[0], region)
	default:
		rep.problem(FieldRollbackAlarm, nil, "alarms %s do not exist in CloudWatch in %s: ECS would never see them go into ALARM, and deployments would not roll back on them; give the names of existing alarms (aws cloudwatch describe-alarms lists them)", strings.Join(missing, ", "), region)
	}
}
