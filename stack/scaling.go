package stack

import (
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
		t.Resources[idCPUScaling] = scalingPolicy("cpu", float64(s.CPUPercent), &aas.ScalingPolicy_PredefinedMetricSpecification{
			PredefinedMetricType: "ECSServiceAverageCPUUtilization",
		}, s)
	}
	if s.RequestsPerTarget > 0 {
		// The label is app/LB-NAME/LB-ID/targetgroup/TG-NAME/TG-ID
		// (Application Auto Scaling API reference,
		// PredefinedMetricSpecification).
		loadBalancer := "${" + idLoadBalancer + ".LoadBalancerFullName}"
		if inEnvironment(cfg) {
			loadBalancer = "${" + ParamLoadBalancerFullName + "}"
		}
		t.Resources[idRequestScaling] = scalingPolicy("requests", float64(s.RequestsPerTarget), &aas.ScalingPolicy_PredefinedMetricSpecification{
			PredefinedMetricType: "ALBRequestCountPerTarget",
			ResourceLabel:        cloudformation.SubPtr(loadBalancer + "/${" + targetGroupID(cfg) + ".TargetGroupFullName}"),
		}, s)
	}
}

func scalingPolicy(name string, target float64, metric *aas.ScalingPolicy_PredefinedMetricSpecification, s Scaling) *aas.ScalingPolicy {
	return &aas.ScalingPolicy{
		PolicyName:      name,
		PolicyType:      "TargetTrackingScaling",
		ScalingTargetId: cloudformation.RefPtr(idScalableTarget),
		TargetTrackingScalingPolicyConfiguration: &aas.ScalingPolicy_TargetTrackingScalingPolicyConfiguration{
			TargetValue:                   target,
			PredefinedMetricSpecification: metric,
			ScaleInCooldown:               cloudformation.Int(s.ScaleInCooldown),
			ScaleOutCooldown:              cloudformation.Int(s.ScaleOutCooldown),
		},
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
