package stack

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation/cloudwatch"
	"github.com/cfnfargate/cfnfargate/stack/internal/cloudformation"
)

// Rollback alarms: CloudWatch alarms that ECS watches during a deployment
// and that roll it back when they go to ALARM (ECS developer guide, "How
// CloudWatch alarms detect Amazon ECS deployment failures"). They work with
// every strategy. An alarm that is already in ALARM when a deployment
// starts is ignored for that deployment; the deploy command checks for it.

// The alarms' evaluation: one-minute periods, and two breaching minutes out
// of three, so that one noisy minute does not roll a deployment back.
// Minutes without requests are not breaching: a quiet service, or a target
// group without traffic, is not a failure.
const (
	alarmPeriod            = 60
	alarmEvaluationPeriods = 3
	alarmDatapoints        = 2
)

// rollbackAlarms are the names of the alarms ECS watches: the ones created
// for rollback-on-5xx and rollback-on-latency-p99 (as a Ref, which is an
// alarm's name), then the user's own.
func rollbackAlarms(cfg Config) []string {
	var names []string
	if cfg.Deployment.Rollback5xxPercent > 0 {
		names = append(names, cloudformation.Ref(idRollback5xxAlarm))
	}
	if cfg.Deployment.RollbackLatencyP99 > 0 {
		names = append(names, cloudformation.Ref(idRollbackP99Alarm))
	}
	return append(names, cfg.Deployment.RollbackAlarms...)
}

// builtInAlarms reports whether the template creates alarms on the target
// groups' metrics.
func builtInAlarms(cfg Config) bool {
	return cfg.Deployment.Rollback5xxPercent > 0 || cfg.Deployment.RollbackLatencyP99 > 0
}

// trafficTargetGroups are the target groups that carry the service's
// traffic, whose metrics the alarms and the request scaling read: both of
// a blue/green service, as traffic moves between them.
func trafficTargetGroups(cfg Config) []string {
	if cfg.Deployment.Progressive() {
		return []string{targetGroupID(cfg), alternateTargetGroupID(cfg)}
	}
	return []string{targetGroupID(cfg)}
}

// targetGroupMetric is one metric of a target group, queried for the alarm
// expression. ALB publishes target group metrics with the dimensions
// LoadBalancer and TargetGroup (ELB user guide, "CloudWatch metrics for
// your Application Load Balancer").
func targetGroupMetric(cfg Config, id, metric, stat, targetGroup string) cloudwatch.Alarm_MetricDataQuery {
	loadBalancer := cloudformation.GetAtt(idLoadBalancer, "LoadBalancerFullName")
	if inEnvironment(cfg) {
		loadBalancer = cloudformation.Ref(ParamLoadBalancerFullName)
	}
	return cloudwatch.Alarm_MetricDataQuery{
		Id: id,
		MetricStat: &cloudwatch.Alarm_MetricStat{
			Metric: &cloudwatch.Alarm_Metric{
				Namespace:  cloudformation.String("AWS/ApplicationELB"),
				MetricName: cloudformation.String(metric),
				Dimensions: []cloudwatch.Alarm_Dimension{
					{Name: "LoadBalancer", Value: loadBalancer},
					{Name: "TargetGroup", Value: cloudformation.GetAtt(targetGroup, "TargetGroupFullName")},
				},
			},
			Period: alarmPeriod,
			Stat:   stat,
		},
		ReturnData: cloudformation.Bool(false),
	}
}

// addRollbackAlarms adds the alarms of rollback-on-5xx and
// rollback-on-latency-p99. Each reads every target group of the service
// through metric math: an alarm may have up to 10 metrics in Metrics, and
// exactly one of them returns data (CloudWatch API reference,
// PutMetricAlarm and MetricDataQuery).
func addRollbackAlarms(t *cloudformation.Template, cfg Config) {
	d := cfg.Deployment
	groups := trafficTargetGroups(cfg)
	if d.Rollback5xxPercent > 0 {
		var queries []cloudwatch.Alarm_MetricDataQuery
		var errors, requests []string
		for i, tg := range groups {
			e, r := "errors"+strconv.Itoa(i+1), "requests"+strconv.Itoa(i+1)
			queries = append(queries,
				targetGroupMetric(cfg, e, "HTTPCode_Target_5XX_Count", "Sum", tg),
				targetGroupMetric(cfg, r, "RequestCount", "Sum", tg))
			// FILL: a target group without traffic in a minute has no data
			// points, which would make the whole sum missing.
			errors = append(errors, "FILL("+e+", 0)")
			requests = append(requests, "FILL("+r+", 0)")
		}
		percent := strconv.FormatFloat(d.Rollback5xxPercent, 'f', -1, 64)
		queries = append(queries, cloudwatch.Alarm_MetricDataQuery{
			Id: "rate",
			// A minute without requests divides by zero, which gives no
			// data point, and TreatMissingData makes that not breaching.
			Expression: cloudformation.String("100 * (" + strings.Join(errors, " + ") + ") / (" + strings.Join(requests, " + ") + ")"),
			Label:      cloudformation.String("Target 5xx responses, percent of requests"),
			ReturnData: cloudformation.Bool(true),
		})
		t.Resources[idRollback5xxAlarm] = &cloudwatch.Alarm{
			AlarmDescription: cloudformation.String(fmt.Sprintf(
				"Rolls back a deployment of %s: more than %s%% of requests answered with 5xx by the targets, in 2 of 3 one-minute periods (rollback-on-5xx).", serviceLabel(cfg), percent)),
			Metrics:            queries,
			ComparisonOperator: "GreaterThanThreshold",
			Threshold:          cloudformation.Float64(d.Rollback5xxPercent),
			EvaluationPeriods:  alarmEvaluationPeriods,
			DatapointsToAlarm:  cloudformation.Int(alarmDatapoints),
			TreatMissingData:   cloudformation.String("notBreaching"),
			Tags:               resourceTags(cfg),
		}
	}
	if d.RollbackLatencyP99 > 0 {
		var queries []cloudwatch.Alarm_MetricDataQuery
		var ids []string
		for i, tg := range groups {
			id := "latency" + strconv.Itoa(i+1)
			queries = append(queries, targetGroupMetric(cfg, id, "TargetResponseTime", "p99", tg))
			ids = append(ids, id)
		}
		// The slower target group counts: during a canary, that is the new
		// version with its share of the traffic.
		expression := "MAX([" + strings.Join(ids, ", ") + "])"
		if len(ids) == 1 {
			expression = "FILL(" + ids[0] + ", 0)"
		}
		queries = append(queries, cloudwatch.Alarm_MetricDataQuery{
			Id:         "p99",
			Expression: cloudformation.String(expression),
			Label:      cloudformation.String("Target response time p99, seconds"),
			ReturnData: cloudformation.Bool(true),
		})
		seconds := d.RollbackLatencyP99.Seconds()
		t.Resources[idRollbackP99Alarm] = &cloudwatch.Alarm{
			AlarmDescription: cloudformation.String(fmt.Sprintf(
				"Rolls back a deployment of %s: the targets' p99 response time over %s in 2 of 3 one-minute periods (rollback-on-latency-p99).", serviceLabel(cfg), FormatDuration(d.RollbackLatencyP99))),
			Metrics:            queries,
			ComparisonOperator: "GreaterThanThreshold",
			// TargetResponseTime is in seconds.
			Threshold:         cloudformation.Float64(seconds),
			EvaluationPeriods: alarmEvaluationPeriods,
			DatapointsToAlarm: cloudformation.Int(alarmDatapoints),
			TreatMissingData:  cloudformation.String("notBreaching"),
			Tags:              resourceTags(cfg),
		}
	}
}
