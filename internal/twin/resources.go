package twin

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Resource providers: what CloudFormation does to create, update and
// delete each resource type that cfnfargate's templates use. ELB, ECS,
// security groups and Lambda functions live in the twin; log groups, SSM
// parameters and CloudWatch alarms in moto, so that the binary and the
// tests read and change them through the usual APIs; the rest (IAM roles,
// DNS records, certificates, WAF associations, scaling policies) the twin
// only names.

// waitFunc reports whether a resource has stabilized, or why it failed.
type waitFunc func() (bool, error)

type provider interface {
	create(tw *Twin, st *cfnStack, r *cfnResource, props map[string]any) (waitFunc, error)
	update(tw *Twin, st *cfnStack, r *cfnResource, old, props map[string]any, rollback bool) (waitFunc, error)
	remove(tw *Twin, st *cfnStack, r *cfnResource) (waitFunc, error)
}

func providerFor(typ string) provider {
	switch typ {
	case "AWS::ECS::Cluster":
		return clusterProvider{}
	case "AWS::ECS::TaskDefinition":
		return taskDefinitionProvider{}
	case "AWS::ECS::Service":
		return serviceProvider{}
	case "AWS::ElasticLoadBalancingV2::LoadBalancer":
		return loadBalancerProvider{}
	case "AWS::ElasticLoadBalancingV2::Listener":
		return listenerProvider{}
	case "AWS::ElasticLoadBalancingV2::ListenerRule":
		return ruleProvider{}
	case "AWS::ElasticLoadBalancingV2::TargetGroup":
		return targetGroupProvider{}
	case "AWS::ElasticLoadBalancingV2::ListenerCertificate":
		return listenerCertificateProvider{}
	case "AWS::EC2::SecurityGroup":
		return securityGroupProvider{}
	case "AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress":
		return securityGroupRuleProvider{}
	case "AWS::Lambda::Function":
		return functionProvider{}
	case "AWS::Logs::LogGroup":
		return logGroupProvider{}
	case "AWS::SSM::Parameter":
		return parameterProvider{}
	case "AWS::CloudWatch::Alarm":
		return alarmProvider{}
	case "AWS::IAM::Role", "AWS::Route53::RecordSet", "AWS::CertificateManager::Certificate",
		"AWS::WAFv2::WebACLAssociation", "AWS::ApplicationAutoScaling::ScalableTarget",
		"AWS::ApplicationAutoScaling::ScalingPolicy", "AWS::ECS::ClusterCapacityProviderAssociations":
		return namedProvider{}
	}
	return unknownProvider{}
}

// physicalName is the name CloudFormation generates for a resource that
// names none: stack name, logical ID and a random suffix.
func physicalName(tw *Twin, st *cfnStack, logical string, limit int) string {
	suffix := strings.ToUpper(tw.nextID(12))
	name := st.name + "-" + logical
	if max := limit - len(suffix) - 1; len(name) > max {
		name = name[:max]
	}
	return name + "-" + suffix
}

type unknownProvider struct{}

func (unknownProvider) create(tw *Twin, st *cfnStack, r *cfnResource, props map[string]any) (waitFunc, error) {
	return nil, fmt.Errorf("the twin does not model %s", r.typ)
}
func (unknownProvider) update(tw *Twin, st *cfnStack, r *cfnResource, old, props map[string]any, rollback bool) (waitFunc, error) {
	return nil, fmt.Errorf("the twin does not model %s", r.typ)
}
func (unknownProvider) remove(*Twin, *cfnStack, *cfnResource) (waitFunc, error) { return nil, nil }

// fakeResource is a resource the twin only names.
type fakeResource struct{ props map[string]any }

type namedProvider struct{}

func (namedProvider) create(tw *Twin, st *cfnStack, r *cfnResource, props map[string]any) (waitFunc, error) {
	switch r.typ {
	case "AWS::IAM::Role":
		name := str(props["RoleName"])
		if name == "" {
			name = physicalName(tw, st, r.logical, 64)
		}
		r.physical = name
		r.attrs = map[string]any{"Arn": "arn:aws:iam::" + Account + ":role/" + name, "RoleId": "AROA" + strings.ToUpper(tw.nextID(17))}
	case "AWS::CertificateManager::Certificate":
		r.physical = fmt.Sprintf("arn:aws:acm:%s:%s:certificate/%s", Region, Account, uuidLike(tw))
	case "AWS::ECS::ClusterCapacityProviderAssociations":
		r.physical = str(props["Cluster"])
	case "AWS::Route53::RecordSet":
		r.physical = str(props["Name"])
	default:
		r.physical = physicalName(tw, st, r.logical, 128)
	}
	tw.other[r.physical] = &fakeResource{props: props}
	return nil, nil
}
func (namedProvider) update(tw *Twin, st *cfnStack, r *cfnResource, old, props map[string]any, rollback bool) (waitFunc, error) {
	tw.other[r.physical] = &fakeResource{props: props}
	return nil, nil
}
func (namedProvider) remove(tw *Twin, st *cfnStack, r *cfnResource) (waitFunc, error) {
	delete(tw.other, r.physical)
	return nil, nil
}

// Log groups live in moto, where the containers' lines go and `logs` reads
// them.
type logGroupProvider struct{}

func (logGroupProvider) create(tw *Twin, st *cfnStack, r *cfnResource, props map[string]any) (waitFunc, error) {
	name := str(props["LogGroupName"])
	if name == "" {
		name = physicalName(tw, st, r.logical, 512)
	}
	if err := tw.Moto.CallJSON("logs", "CreateLogGroup", map[string]any{"logGroupName": name}, nil); err != nil {
		return nil, err
	}
	r.physical = name
	r.attrs = map[string]any{"Arn": fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s:*", Region, Account, name)}
	return nil, nil
}
func (logGroupProvider) update(tw *Twin, st *cfnStack, r *cfnResource, old, props map[string]any, rollback bool) (waitFunc, error) {
	return nil, nil
}
func (logGroupProvider) remove(tw *Twin, st *cfnStack, r *cfnResource) (waitFunc, error) {
	_ = tw.Moto.CallJSON("logs", "DeleteLogGroup", map[string]any{"logGroupName": r.physical}, nil)
	return nil, nil
}

// SSM parameters live in moto, where the pause gate and the binary read
// and write them.
type parameterProvider struct{}

func (parameterProvider) put(tw *Twin, name string, props map[string]any, overwrite bool) error {
	in := map[string]any{"Name": name, "Value": str(props["Value"]), "Type": str(props["Type"]), "Overwrite": overwrite}
	if d := str(props["Description"]); d != "" {
		in["Description"] = d
	}
	return tw.Moto.CallJSON("ssm", "PutParameter", in, nil)
}

func (p parameterProvider) create(tw *Twin, st *cfnStack, r *cfnResource, props map[string]any) (waitFunc, error) {
	name := str(props["Name"])
	if name == "" {
		name = physicalName(tw, st, r.logical, 1011)
	}
	if err := p.put(tw, name, props, false); err != nil {
		return nil, err
	}
	r.physical = name
	r.attrs = map[string]any{"Type": str(props["Type"]), "Value": str(props["Value"])}
	return nil, nil
}
func (p parameterProvider) update(tw *Twin, st *cfnStack, r *cfnResource, old, props map[string]any, rollback bool) (waitFunc, error) {
	return nil, p.put(tw, r.physical, props, true)
}
func (parameterProvider) remove(tw *Twin, st *cfnStack, r *cfnResource) (waitFunc, error) {
	_ = tw.Moto.CallJSON("ssm", "DeleteParameter", map[string]any{"Name": r.physical}, nil)
	return nil, nil
}

// Alarms live in moto, where ECS's poll reads their states (B23) and a test
// sets them with SetAlarmState. moto does not evaluate metrics, so the
// alarm's metric is a placeholder: only its name and state matter here.
type alarmProvider struct{}

func (alarmProvider) put(tw *Twin, name string, props map[string]any) error {
	form := url.Values{"AlarmName": {name}, "ComparisonOperator": {str(props["ComparisonOperator"])},
		"EvaluationPeriods": {str(props["EvaluationPeriods"])}, "Threshold": {str(props["Threshold"])},
		"MetricName": {"twin-placeholder"}, "Namespace": {"Twin"}, "Period": {"60"}, "Statistic": {"Sum"}}
	if form.Get("ComparisonOperator") == "" {
		form.Set("ComparisonOperator", "GreaterThanThreshold")
	}
	if form.Get("EvaluationPeriods") == "" {
		form.Set("EvaluationPeriods", "1")
	}
	if form.Get("Threshold") == "" {
		form.Set("Threshold", "0")
	}
	if _, err := tw.Moto.Call("monitoring", "PutMetricAlarm", form); err != nil {
		return err
	}
	// A new alarm has no data yet; with TreatMissingData notBreaching it
	// settles in OK, which is where a deployment may start.
	_, err := tw.Moto.Call("monitoring", "SetAlarmState", url.Values{"AlarmName": {name}, "StateValue": {"OK"}, "StateReason": {"twin: created"}})
	return err
}

func (a alarmProvider) create(tw *Twin, st *cfnStack, r *cfnResource, props map[string]any) (waitFunc, error) {
	name := str(props["AlarmName"])
	if name == "" {
		name = physicalName(tw, st, r.logical, 255)
	}
	if err := a.put(tw, name, props); err != nil {
		return nil, err
	}
	r.physical = name
	r.attrs = map[string]any{"Arn": fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", Region, Account, name)}
	return nil, nil
}
func (a alarmProvider) update(tw *Twin, st *cfnStack, r *cfnResource, old, props map[string]any, rollback bool) (waitFunc, error) {
	return nil, nil
}
func (alarmProvider) remove(tw *Twin, st *cfnStack, r *cfnResource) (waitFunc, error) {
	_, _ = tw.Moto.Call("monitoring", "DeleteAlarms", url.Values{"AlarmNames.member.1": {r.physical}})
	return nil, nil
}

// Lambda functions live in the twin: ECS invokes them as hooks by running
// their inline code with python3 (hooks.go).
type functionProvider struct{}

func (functionProvider) create(tw *Twin, st *cfnStack, r *cfnResource, props map[string]any) (waitFunc, error) {
	name := str(props["FunctionName"])
	if name == "" {
		name = physicalName(tw, st, r.logical, 64)
	}
	arn := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", Region, Account, name)
	if err := tw.lambda.put(arn, props); err != nil {
		return nil, err
	}
	r.physical = name
	r.attrs = map[string]any{"Arn": arn}
	return nil, nil
}
func (functionProvider) update(tw *Twin, st *cfnStack, r *cfnResource, old, props map[string]any, rollback bool) (waitFunc, error) {
	return nil, tw.lambda.put(str(r.attrs["Arn"]), props)
}
func (functionProvider) remove(tw *Twin, st *cfnStack, r *cfnResource) (waitFunc, error) {
	tw.lambda.remove(str(r.attrs["Arn"]))
	return nil, nil
}

// intOf reads a number that a template may give as a string.
func intOf(v any, def int) int {
	switch x := v.(type) {
	case int:
		return x
	case float64:
		return int(x)
	case string:
		if n, err := strconv.Atoi(x); err == nil {
			return n
		}
		if f, err := strconv.ParseFloat(x, 64); err == nil {
			return int(f)
		}
	case json.Number:
		n, _ := x.Int64()
		return int(n)
	}
	return def
}

func floatOf(v any, def float64) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case float64:
		return x
	case string:
		if f, err := strconv.ParseFloat(x, 64); err == nil {
			return f
		}
	}
	return def
}

func boolOf(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(x, "true")
	}
	return false
}

// afterDelay is a waitFunc that is done at a virtual time.
func afterDelay(tw *Twin, d time.Duration) waitFunc {
	at := tw.Clock.Now().Add(d)
	return func() (bool, error) { return !tw.Clock.Now().Before(at), nil }
}
