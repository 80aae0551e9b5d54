package stack_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cfnfargate/cfnfargate/stack"
)

// Proves: the blue/green settings are checked against each other and the
// rest: CloudFormation's 33-hour limit on canary and linear schedules
// (pause included), the test header's form, the alarm count and names, and
// the combinations that cannot work; each problem names its setting and
// the settings it involves.
func TestDeliveryValidation(t *testing.T) {
	canary := func(edit func(*stack.Config)) func() stack.Config {
		return func() stack.Config {
			c := stack.Default()
			c.Deployment.Strategy = stack.StrategyCanary
			edit(&c)
			return c
		}
	}
	tests := []struct {
		name    string
		cfg     func() stack.Config
		key     string
		related string
		want    string
	}{
		{"canary over 33 hours", canary(func(c *stack.Config) {
			c.Deployment.Bake = 24 * time.Hour
			c.Deployment.CanaryWait = 9*time.Hour + time.Minute
		}),
			stack.KeyStrategy, stack.KeyCanaryWait, "add up to 33h1m: CloudFormation rejects a canary deployment longer than 33h"},
		{"pause counts", canary(func(c *stack.Config) {
			c.Deployment.Bake = 20 * time.Hour
			c.Deployment.PauseBeforeProduction = true
			c.Deployment.PauseTimeout = 13 * time.Hour
		}), stack.KeyStrategy, stack.KeyPauseTimeout, "pause-timeout 13h"},
		{"linear steps over 33 hours", func() stack.Config {
			c := stack.Default()
			c.Deployment.Strategy = stack.StrategyLinear
			c.Deployment.LinearPercent = 10 // 9 waits
			c.Deployment.LinearInterval = 3*time.Hour + 41*time.Minute
			c.Deployment.Bake = 0
			return c
		}, stack.KeyStrategy, stack.KeyLinearInterval, "9 steps of linear-interval 3h41m add up to 33h9m"},
		{"test header without value", canary(func(c *stack.Config) { c.Deployment.TestHeader = "x-test" }), stack.KeyTestHeader, "", "not NAME=VALUE"},
		{"test header with space", canary(func(c *stack.Config) { c.Deployment.TestHeader = "x test=1" }), stack.KeyTestHeader, "", "not NAME=VALUE"},
		// ELB API reference, HttpHeaderConditionConfig: RFC 7230 token
		// characters, no wildcards, up to 40, and never the host header.
		{"test header name with a wildcard", canary(func(c *stack.Config) { c.Deployment.TestHeader = "x-canary*=1" }), stack.KeyTestHeader, "", "without the wildcard *"},
		{"test header name over 40", canary(func(c *stack.Config) { c.Deployment.TestHeader = strings.Repeat("x", 41) + "=1" }), stack.KeyTestHeader, "", "up to 40"},
		{"test header Host", canary(func(c *stack.Config) { c.Deployment.TestHeader = "Host=green.example.com" }), stack.KeyTestHeader, "", "names the Host header"},
		{"test header HOST", canary(func(c *stack.Config) { c.Deployment.TestHeader = "HOST=x" }), stack.KeyTestHeader, "", "names the Host header"},
		{"test header in an environment", canary(func(c *stack.Config) {
			c.Deployment.TestHeader = "x-test=1"
			c.Environment = stack.Environment{Name: "prod", Hosts: []string{"a.example.com"}}
		}), stack.KeyTestHeader, stack.KeyEnvironment, "not available for a service in environment prod"},
		{"too many alarms", func() stack.Config {
			c := stack.Default()
			c.Deployment.Rollback5xxPercent = 1
			for i := range 10 {
				c.Deployment.RollbackAlarms = append(c.Deployment.RollbackAlarms, "alarm-"+string(rune('a'+i)))
			}
			return c
		}, stack.KeyRollbackAlarm, stack.KeyRollbackOn5xx, "11 rollback alarms: a service takes up to 10"},
		{"alarm twice", func() stack.Config {
			c := stack.Default()
			c.Deployment.RollbackAlarms = []string{"a", "a"}
			return c
		}, stack.KeyRollbackAlarm, "", "a is given twice"},
		{"alarm name with newline", func() stack.Config {
			c := stack.Default()
			c.Deployment.RollbackAlarms = []string{"a\nb"}
			return c
		}, stack.KeyRollbackAlarm, "", "not a CloudWatch alarm name"},
		{"canary percent off step", canary(func(c *stack.Config) { c.Deployment.CanaryPercent = 2.55 }), stack.KeyCanaryPercent, "", "0.1 to 100 in steps of 0.1"},
		{"bake in seconds", canary(func(c *stack.Config) { c.Deployment.Bake = 90 * time.Second }), stack.KeyBake, "", "in whole minutes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg().Validate()
			var verr *stack.ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Validate() = %v, want a problem with %s", err, tt.key)
			}
			for _, p := range verr.Problems {
				if p.Key == tt.key && strings.Contains(p.Message, tt.want) {
					if tt.related != "" && !strings.Contains(strings.Join(p.Related, " "), tt.related) {
						t.Errorf("problem %q does not name %s among %v", p.Message, tt.related, p.Related)
					}
					return
				}
			}
			t.Errorf("problems %v, want %s: ...%s...", verr.Problems, tt.key, tt.want)
		})
	}
}

// Proves: schedules just under CloudFormation's 33-hour limit are accepted,
// so the check does not refuse what AWS allows.
func TestDeliveryValidationAccepts(t *testing.T) {
	for name, edit := range map[string]func(*stack.Config){
		"canary at 33h": func(c *stack.Config) {
			c.Deployment.Strategy = stack.StrategyCanary
			c.Deployment.Bake, c.Deployment.CanaryWait = 24*time.Hour, 9*time.Hour
		},
		// 11% is 9 steps (CloudFormation's example), 9 × 3h40m = 33h.
		"linear 11% at 33h": func(c *stack.Config) {
			c.Deployment.Strategy = stack.StrategyLinear
			c.Deployment.LinearPercent, c.Deployment.LinearInterval, c.Deployment.Bake = 11, 3*time.Hour+40*time.Minute, 0
		},
		// 3% does not divide 100: floor(33.3) = 33 steps of 1h.
		"linear 3% at 33h": func(c *stack.Config) {
			c.Deployment.Strategy = stack.StrategyLinear
			c.Deployment.LinearPercent, c.Deployment.LinearInterval, c.Deployment.Bake = 3, time.Hour, 0
		},
		"a test header of every token character but *": func(c *stack.Config) {
			c.Deployment.Strategy = stack.StrategyCanary
			c.Deployment.TestHeader = "x-Test_1.~!#$%&'+^`|=a*?"
		},
		"scaling on requests with a blue/green strategy": func(c *stack.Config) {
			c.Deployment.Strategy = stack.StrategyBlueGreen
			c.Scaling = stack.Scaling{MinCount: 1, MaxCount: 4, RequestsPerTarget: 100, ScaleInCooldown: 300, ScaleOutCooldown: 60}
		},
		"a test header named like Host but longer": func(c *stack.Config) {
			c.Deployment.Strategy = stack.StrategyCanary
			c.Deployment.TestHeader = "x-host=1"
		},
		// Blue/green has no steps: its bake is bounded by the 24h range.
		"blue-green with a day's bake and pause": func(c *stack.Config) {
			c.Deployment.Strategy = stack.StrategyBlueGreen
			c.Deployment.Bake, c.Deployment.PauseBeforeProduction, c.Deployment.PauseTimeout = 24*time.Hour, true, time.Hour
		},
	} {
		c := stack.Default()
		edit(&c)
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// Proves: Schedule adds the waits as CloudFormation's 33-hour rule counts
// them, with the documented step counts (StepPercent 11 gives 9 steps, 20
// gives 4: no wait follows the last shift), and the pause only to the
// longest case.
func TestSchedule(t *testing.T) {
	tests := []struct {
		d           stack.Deployment
		least, most time.Duration
	}{
		{stack.Deployment{Strategy: stack.StrategyRolling, Bake: time.Hour}, 0, 0},
		{stack.Deployment{Strategy: stack.StrategyBlueGreen, Bake: 10 * time.Minute}, 10 * time.Minute, 10 * time.Minute},
		{stack.Deployment{Strategy: stack.StrategyCanary, Bake: 10 * time.Minute, CanaryWait: 5 * time.Minute, PauseBeforeProduction: true, PauseTimeout: time.Hour}, 15 * time.Minute, 75 * time.Minute},
		{stack.Deployment{Strategy: stack.StrategyLinear, LinearPercent: 11, LinearInterval: time.Minute}, 9 * time.Minute, 9 * time.Minute},
		{stack.Deployment{Strategy: stack.StrategyLinear, LinearPercent: 20, LinearInterval: time.Minute}, 4 * time.Minute, 4 * time.Minute},
		{stack.Deployment{Strategy: stack.StrategyLinear, LinearPercent: 100, LinearInterval: time.Minute}, 0, 0},
	}
	for _, tt := range tests {
		least, most := tt.d.Schedule()
		if least != tt.least || most != tt.most {
			t.Errorf("%+v: Schedule() = %s, %s; want %s, %s", tt.d, least, most, tt.least, tt.most)
		}
	}
}

// Proves: blue/green settings that the chosen strategy ignores are
// warnings naming the setting that would use them, and a configuration
// that uses them has none.
func TestDeliveryNoEffectWarnings(t *testing.T) {
	c := stack.Default()
	c.Deployment.Bake = time.Hour
	c.Deployment.PauseBeforeProduction = true
	c.Deployment.CanaryPercent = 5
	c.Deployment.LinearInterval = time.Minute
	got := map[string]string{}
	for _, w := range c.Warnings() {
		got[w.Key] = strings.Join(w.Related, ",")
	}
	for key, related := range map[string]string{
		stack.KeyBake: stack.KeyStrategy, stack.KeyPauseBeforeProduction: stack.KeyStrategy,
		stack.KeyCanaryPercent: stack.KeyStrategy, stack.KeyLinearInterval: stack.KeyStrategy,
	} {
		if got[key] != related {
			t.Errorf("warning of %s names %q, want %q (all: %v)", key, got[key], related, got)
		}
	}
	c.Deployment.Strategy = stack.StrategyCanary
	c.Deployment.LinearInterval = stack.Default().Deployment.LinearInterval
	if w := c.Warnings(); len(w) != 0 {
		t.Errorf("canary with its own settings warns: %v", w)
	}
}

// Proves: the deployment circuit breaker follows the service's setting with
// every strategy, blue/green ones included (review 2, F12: the developer
// guide says it works with blue/green; the README says why this reading).
func TestCircuitBreakerEveryStrategy(t *testing.T) {
	for _, strategy := range []string{stack.StrategyRolling, stack.StrategyBlueGreen, stack.StrategyCanary, stack.StrategyLinear} {
		for _, on := range []bool{true, false} {
			c := stack.Default()
			c.Deployment.Strategy = strategy
			c.Service.CircuitBreaker = on
			doc, err := stack.Build(c)
			if err != nil {
				t.Fatal(err)
			}
			breaker := at2(propsOf(doc, "Service"), "DeploymentConfiguration", "DeploymentCircuitBreaker")
			if want := map[string]any{"Enable": on, "Rollback": on}; canonical(breaker) != canonical(want) {
				t.Errorf("%s with the circuit breaker %v: DeploymentCircuitBreaker = %v, want %v", strategy, on, breaker, want)
			}
		}
	}
}

// Proves: a template forces a new ECS deployment only when its config says
// so (the deploy command sets it for a placement change; emit never does),
// with the placement in the nonce either way (decisions.md #2; review 2,
// F6: a forced update of DesiredCount alone is a full blue/green run).
func TestForceNewDeployment(t *testing.T) {
	var nonces []any
	for _, force := range []bool{false, true} {
		c := stack.Default()
		c.Deployment.Strategy = stack.StrategyCanary
		c.Service.Spot = stack.Spot{Enabled: true, Base: 1, Weight: 3}
		c.Deployment.ForceNewDeployment = force
		doc, err := stack.Build(c)
		if err != nil {
			t.Fatal(err)
		}
		got := propsOf(doc, "Service")["ForceNewDeployment"].(map[string]any)
		if got["EnableForceNewDeployment"] != force || !strings.Contains(fmt.Sprint(got["ForceNewDeploymentNonce"]), "FARGATE_SPOT weight 3") {
			t.Errorf("ForceNewDeployment %v: template has %v, want the flag as given and the Spot placement in the nonce", force, got)
		}
		nonces = append(nonces, got["ForceNewDeploymentNonce"])
	}
	if nonces[0] != nonces[1] {
		t.Errorf("the nonce depends on the flag: %v", nonces)
	}
}

// Proves (review 2, H1): with a blue/green strategy the request policy
// tracks RequestCountPerTarget summed over both target groups, each
// dimensioned by its load balancer, as AWS's blue/green autoscaling sample
// does, so it follows the traffic wherever ECS moved it; rolling keeps the
// predefined metric of its one target group.
func TestRequestScalingFollowsBothTargetGroups(t *testing.T) {
	for _, tt := range []struct {
		name         string
		cfg          stack.Config
		loadBalancer any
	}{
		{"own load balancer", stack.Default(), getAtt("LoadBalancer", "LoadBalancerFullName")},
		{"environment", inEnv(func(*stack.Config) {}), ref(stack.ParamLoadBalancerFullName)},
	} {
		c := tt.cfg
		c.Scaling = stack.Scaling{MinCount: 1, MaxCount: 4, RequestsPerTarget: 100, ScaleInCooldown: 300, ScaleOutCooldown: 60}
		rolling := document(t, c)
		if at2(propsOf(rolling, "RequestCountScalingPolicy"), "TargetTrackingScalingPolicyConfiguration", "PredefinedMetricSpecification", "PredefinedMetricType") != "ALBRequestCountPerTarget" {
			t.Errorf("%s, rolling: not the predefined ALBRequestCountPerTarget", tt.name)
		}
		c.Deployment.Strategy = stack.StrategyCanary
		doc := document(t, c)
		config := at2(propsOf(doc, "RequestCountScalingPolicy"), "TargetTrackingScalingPolicyConfiguration").(map[string]any)
		if config["PredefinedMetricSpecification"] != nil {
			t.Errorf("%s, canary: a predefined metric, which names one target group", tt.name)
		}
		primary, alternate := stack.TargetGroupIDs(c)
		var groups, ids []string
		var expression string
		for _, q := range at2(config, "CustomizedMetricSpecification", "Metrics").([]any) {
			query := q.(map[string]any)
			if e, ok := query["Expression"].(string); ok {
				if query["ReturnData"] == true {
					expression = e
				}
				continue
			}
			if at2(query, "MetricStat", "Metric", "MetricName") != "RequestCountPerTarget" || at2(query, "MetricStat", "Stat") != "Sum" {
				t.Errorf("%s: query %v is not the sum of RequestCountPerTarget", tt.name, query)
			}
			for _, d := range at2(query, "MetricStat", "Metric", "Dimensions").([]any) {
				switch at2(d, "Name") {
				case "TargetGroup":
					groups = append(groups, refOrGetAtt(at2(d, "Value")))
				case "LoadBalancer":
					if canonical(at2(d, "Value")) != canonical(tt.loadBalancer) {
						t.Errorf("%s: dimension LoadBalancer is %v, want %v", tt.name, at2(d, "Value"), tt.loadBalancer)
					}
				}
			}
			ids = append(ids, fmt.Sprint(query["Id"]))
		}
		if fmt.Sprint(groups) != fmt.Sprint([]string{primary, alternate}) {
			t.Errorf("%s: the metrics read target groups %v, want %s and %s", tt.name, groups, primary, alternate)
		}
		for _, id := range ids {
			if !strings.Contains(expression, id) || !strings.Contains(expression, "+") {
				t.Errorf("%s: the returned expression %q does not add %v", tt.name, expression, ids)
			}
		}
	}
}

// refOrGetAtt is the logical ID a Ref or Fn::GetAtt names.
func refOrGetAtt(v any) string {
	if id := refTarget(v); id != "" {
		return id
	}
	list, _ := at2(v, "Fn::GetAtt").([]any)
	if len(list) == 0 {
		return ""
	}
	return fmt.Sprint(list[0])
}
