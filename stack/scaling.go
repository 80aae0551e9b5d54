package stack

import (
	"strconv"
	"strings"

	aas "github.com/awslabs/goformation/v7/cloudformation/applicationautoscaling"

	"github.com/cfnfargate/cfnfargate/stack/internal/cloudformation"
)

// addScaling adds target-tracking autoscaling of the service's task count,
// on CPU, on requests per task, or both.
func addScaling(t *cloudformation.Template, cfg Config) {
	s := cfg.Scaling
	if !s.Enabled() {
		return
	}
	// RoleARN is left out: Application Auto Scaling then uses its
	// service-linked role for ECS, creating it when needed.
	// The bounds are the MinCount and MaxCount parameters (see
	// addParameters); goformation's int fields cannot hold a Ref.
	// Application Auto Scaling refuses a MinCapacity above MaxCapacity
	// (RegisterScalableTarget: "MinCapacity ... must be less than or equal
	// to MaxCapacity"); parameter constraints cannot compare two values,
	// so Config.Validate and the scale command check it.
	t.Resources[idScalableTarget] = override(&aas.ScalableTarget{
		ServiceNamespace:  "ecs",
		ScalableDimension: "ecs:service:DesiredCount",
		ResourceId:        cloudformation.Sub("service/" + subValue(clusterName(cfg), clusterRefID(cfg)) + "/${" + idService + ".Name}"),
		MinCapacity:       s.MinCount,
		MaxCapacity:       s.MaxCount,
	}, map[string]any{
		"MinCapacity": cloudformation.Ref(ParamMinCount),
		"MaxCapacity": cloudformation.Ref(ParamMaxCount),
	})
	if s.CPUPercent > 0 {
		t.Resources[idCPUScaling] = scalingPolicy("cpu", float64(s.CPUPercent), s, &aas.ScalingPolicy_TargetTrackingScalingPolicyConfiguration{
			PredefinedMetricSpecification: &aas.ScalingPolicy_PredefinedMetricSpecification{
				PredefinedMetricType: "ECSServiceAverageCPUUtilization",
			},
		})
	}
	if s.RequestsPerTarget > 0 {
		t.Resources[idRequestScaling] = scalingPolicy("requests", float64(s.RequestsPerTarget), s, requestMetric(cfg))
	}
}

// requestMetric is what the request policy tracks: ALB's requests per
// target of the service's target group, or with a blue/green strategy the
// sum over both target groups.
func requestMetric(cfg Config) *aas.ScalingPolicy_TargetTrackingScalingPolicyConfiguration {
	loadBalancer := cloudformation.GetAtt(idLoadBalancer, "LoadBalancerFullName")
	if inEnvironment(cfg) {
		loadBalancer = cloudformation.Ref(ParamLoadBalancerFullName)
	}
	if !cfg.Deployment.Progressive() {
		// The label is app/LB-NAME/LB-ID/targetgroup/TG-NAME/TG-ID
		// (Application Auto Scaling API reference,
		// PredefinedMetricSpecification).
		label := "${" + idLoadBalancer + ".LoadBalancerFullName}"
		if inEnvironment(cfg) {
			label = "${" + ParamLoadBalancerFullName + "}"
		}
		return &aas.ScalingPolicy_TargetTrackingScalingPolicyConfiguration{
			PredefinedMetricSpecification: &aas.ScalingPolicy_PredefinedMetricSpecification{
				PredefinedMetricType: "ALBRequestCountPerTarget",
				ResourceLabel:        cloudformation.SubPtr(label + "/${" + targetGroupID(cfg) + ".TargetGroupFullName}"),
			},
		}
	}
	// A blue/green deployment moves the traffic to the other target group,
	// and a predefined metric names one. ALB publishes RequestCountPerTarget
	// per target group, and a group without production traffic counts 0, so
	// the sum over both is the per-task load of whichever group serves,
	// without knowing which (AWS sample "ECS Blue/Green Deployment with
	// Application Auto Scaling",
	// aws-samples/sample-amazon-ecs-blue-green-deployment-patterns,
	// ecs-bluegreen-autoscaling). CPU is no substitute: during a deployment
	// it averages over blue and green, twice the tasks, and halves. A test
	// listener rule's requests count too (the metric has no rule dimension),
	// which can scale out a little during the test; ECS does not scale in
	// during a blue/green deployment. FILL: a group without requests in a
	// minute has no data point, which would make the sum missing.
	var metrics []aas.ScalingPolicy_TargetTrackingMetricDataQuery
	var terms []string
	for i, tg := range trafficTargetGroups(cfg) {
		id := "requests" + strconv.Itoa(i+1)
		metrics = append(metrics, aas.ScalingPolicy_TargetTrackingMetricDataQuery{
			Id: cloudformation.String(id),
			MetricStat: &aas.ScalingPolicy_TargetTrackingMetricStat{
				Metric: &aas.ScalingPolicy_TargetTrackingMetric{
					Namespace:  cloudformation.String("AWS/ApplicationELB"),
					MetricName: cloudformation.String("RequestCountPerTarget"),
					Dimensions: []aas.ScalingPolicy_TargetTrackingMetricDimension{
						{Name: cloudformation.String("LoadBalancer"), Value: cloudformation.String(loadBalancer)},
						{Name: cloudformation.String("TargetGroup"), Value: cloudformation.GetAttPtr(tg, "TargetGroupFullName")},
					},
				},
				Stat: cloudformation.String("Sum"),
			},
			ReturnData: cloudformation.Bool(false),
		})
		terms = append(terms, "FILL("+id+", 0)")
	}
	metrics = append(metrics, aas.ScalingPolicy_TargetTrackingMetricDataQuery{
		Id:         cloudformation.String("requestsPerTarget"),
		Expression: cloudformation.String(strings.Join(terms, " + ")),
		Label:      cloudformation.String("Requests per task, summed over both target groups"),
		ReturnData: cloudformation.Bool(true),
	})
	return &aas.ScalingPolicy_TargetTrackingScalingPolicyConfiguration{
		CustomizedMetricSpecification: &aas.ScalingPolicy_CustomizedMetricSpecification{Metrics: metrics},
	}
}

// scalingPolicy is a target-tracking policy named name that holds metric
// (the metric part of config) at target.
func scalingPolicy(name string, target float64, s Scaling, config *aas.ScalingPolicy_TargetTrackingScalingPolicyConfiguration) *aas.ScalingPolicy {
	config.TargetValue = target
	config.ScaleInCooldown = cloudformation.Int(s.ScaleInCooldown)
	config.ScaleOutCooldown = cloudformation.Int(s.ScaleOutCooldown)
	return &aas.ScalingPolicy{
		PolicyName:                               name,
		PolicyType:                               "TargetTrackingScaling",
		ScalingTargetId:                          cloudformation.RefPtr(idScalableTarget),
		TargetTrackingScalingPolicyConfiguration: config,
	}
}

// subValue is the text that stands for a value inside a !Sub string: the
// name itself for a literal, or ${ID} for the resource it refers to.
func subValue(literal, id string) string {
	if literal == cloudformation.Ref(id) {
		return "${" + id + "}"
	}
	return literal
}

// Validation of these settings, called from Config.Validate.

func (v *validator) scaling(s Scaling) {
	if !s.Enabled() {
		return // the other settings have no effect; see Warnings
	}
	if s.MinCount > s.MaxCount {
		v.addCross(KeyMinCount, []string{KeyMaxCount}, "min-count %d is above max-count %d", s.MinCount, s.MaxCount)
	}
	if s.CPUPercent == 0 && s.RequestsPerTarget == 0 {
		v.addCross(KeyMaxCount, []string{KeyScaleCPUPercent, KeyScaleRequestsPerTarget},
			"max-count %d turns autoscaling on, which needs a target: set scale-cpu-percent, scale-requests-per-target, or both", s.MaxCount)
	}
}
