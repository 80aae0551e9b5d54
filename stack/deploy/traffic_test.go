package deploy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/cfnfargate/cfnfargate/internal/testenv"
	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/format"
)

// modified lists the logical IDs a plan modifies.
func modified(p Plan) []string {
	var ids []string
	for _, c := range p.Changes {
		if c.Action == "Modify" {
			ids = append(ids, c.LogicalID)
		}
	}
	slices.Sort(ids)
	return ids
}

// storedWeights reads the weights of the production rule in the stack's
// template, as CloudFormation stores it (and sets back on a rollback).
func (e *blueGreenEnv) storedWeights(t *testing.T, stackName string) string {
	t.Helper()
	out, err := e.cfn.GetTemplate(context.Background(), &cloudformation.GetTemplateInput{StackName: aws.String(stackName), TemplateStage: cftypes.TemplateStageOriginal})
	if err != nil {
		t.Fatal(err)
	}
	tree, err := parseTree(aws.ToString(out.TemplateBody))
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for tg, tuples := range weightedTargets(tree.resource("ProductionListenerRule")) {
		parts = append(parts, fmt.Sprintf("%s %s", tg, mappingValue(tuples[0], "Weight").Value))
	}
	slices.Sort(parts)
	return strings.Join(parts, " / ")
}

// Proves (F4; simulated ECS moving the weights, real moto CloudFormation
// computing the change sets and keeping the templates): after ECS moved a
// canary's traffic to the alternate group, a deploy that changes the
// service first writes the live weights into the stack's stored template,
// in an update that modifies the production rule alone, and then runs a
// change set that modifies the service and not the rule (review 2,
// section 7, item 7), even though the new template was built with the
// template's old weights: a rollback of it cannot set stale weights. The
// live split is what ECS left, and the stored template says it too.
func TestDeployWritesLiveWeightsFirst(t *testing.T) {
	e := newBlueGreenEnv(t)
	const name = "bg-live-weights"
	cfg := canary()
	e.deploy(t, name, cfg)
	e.shift(t, e.inspect(t, name), 0, 100) // a deployment ECS finished

	next := cfg
	next.Deployment.CanaryPercent = 20 // a change of the service
	doc, err := stack.Build(next)
	if err != nil {
		t.Fatal(err)
	}
	body, err := format.JSON(doc)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	d := &Deployer{API: e.cfn, Sink: rec, PollInterval: 100 * time.Millisecond}
	_, err = d.Deploy(context.Background(), Input{StackName: name, TemplateBody: string(body), Parameters: e.params, Timeout: time.Minute,
		KeepWeights: map[string]int{"TargetGroup": 0, "TargetGroupAlternate": 100}, ForcePlacement: true})
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	plans := rec.plans()
	if len(plans) != 2 {
		t.Fatalf("%d plans, want the update of the rule's weights, then the deploy's", len(plans))
	}
	if got := modified(plans[0]); !slices.Equal(got, []string{"ProductionListenerRule"}) || len(plans[0].Changes) != 1 {
		t.Errorf("the first update changes %+v, want only the production rule modified", plans[0].Changes)
	}
	if got := modified(plans[1]); !slices.Contains(got, "Service") || slices.Contains(got, "ProductionListenerRule") {
		t.Errorf("the deploy's change set modifies %v, want the service and never the production rule with it", got)
	}
	if risk := TrafficRisk(plans[1], []string{"ProductionListenerRule"}); risk != nil {
		t.Errorf("TrafficRisk(the deploy's plan) = %v", risk)
	}
	if got := e.inspect(t, name).Traffic.Split(); got != "TargetGroup 0% / TargetGroupAlternate 100%" {
		t.Errorf("live split %s, want what ECS left", got)
	}
	if got := e.storedWeights(t, name); got != "TargetGroup 0 / TargetGroupAlternate 100" {
		t.Errorf("the stored template says %s, want the live weights", got)
	}

	// Once the template carries them, a deploy updates once.
	rec2 := &recorder{}
	d.Sink = rec2
	next.Deployment.CanaryPercent = 30
	doc, _ = stack.Build(next)
	body, _ = format.JSON(doc)
	if _, err := d.Deploy(context.Background(), Input{StackName: name, TemplateBody: string(body), Parameters: e.params, Timeout: time.Minute,
		KeepWeights: map[string]int{"TargetGroup": 0, "TargetGroupAlternate": 100}}); err != nil {
		t.Fatal(err)
	}
	if plans := rec2.plans(); len(plans) != 1 || slices.Contains(modified(plans[0]), "ProductionListenerRule") {
		t.Errorf("plans %+v; want one, without the rule", plans)
	}
}

// Proves (F4, the plan check of review 2, section 7, item 7): a plan of a
// blue/green stack that modifies a production or test rule and the
// service together is refused, naming the rule; the rule alone, the
// service alone, and a plan that replaces a target group (which the rule
// must follow, and the replacement guard asks about) pass.
func TestTrafficRisk(t *testing.T) {
	rules := []string{"ProductionListenerRule", "TestListenerRule"}
	change := func(action, id, typ, replacement string) Change {
		return Change{Action: action, LogicalID: id, ResourceType: typ, Replacement: replacement}
	}
	rule := change("Modify", "ProductionListenerRule", ruleType, "False")
	testRule := change("Modify", "TestListenerRule", ruleType, "False")
	service := change("Modify", "Service", serviceType, "False")
	for _, tc := range []struct {
		name    string
		changes []Change
		refused string
	}{
		{"rule and service", []Change{rule, service}, "ProductionListenerRule"},
		{"test rule and service", []Change{testRule, service}, "TestListenerRule"},
		{"rule alone", []Change{rule}, ""},
		{"service alone", []Change{service, change("Modify", "TaskDefinition", taskDefType, "True")}, ""},
		{"another rule", []Change{change("Modify", "OtherRule", ruleType, "False"), service}, ""},
		{"target group replaced", []Change{rule, service, change("Modify", "TargetGroup", targetGroupType, "True")}, ""},
	} {
		err := TrafficRisk(Plan{Stack: "shop", Changes: tc.changes}, rules)
		switch {
		case tc.refused == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.name, err)
		case tc.refused != "" && (err == nil || !strings.Contains(err.Error(), tc.refused)):
			t.Errorf("%s: %v, want a refusal naming %s", tc.name, err, tc.refused)
		}
	}
	var refused *TrafficRuleError
	if err := error(TrafficRisk(Plan{Stack: "shop", Changes: []Change{rule, service}}, rules)); !errors.As(err, &refused) || refused.ExitCode() != ExitFailure {
		t.Errorf("the refusal %v is not a TrafficRuleError with exit code 1", err)
	}
}

// Proves (F6, against moto): with ForcePlacement, an update forces a new
// ECS deployment exactly when the placement (ForceNewDeploymentNonce)
// changes: moving the service to Fargate Spot forces one, as ECS
// requires; a later update that changes the task count alone forces none,
// although the template it sends was built to force one.
func TestDeployForcesOnlyPlacementChanges(t *testing.T) {
	t.Parallel()
	m := testenv.SharedMoto(t)
	n := m.Seed(t)
	d, _ := motoDeployer(m)
	ctx := context.Background()
	params := map[string]string{"VpcId": n.VpcID, "PublicSubnetIds": strings.Join(n.PublicSubnets, ","),
		"PrivateSubnetIds": strings.Join(n.PrivateSubnets, ","), "CertificateArn": n.CertificateArn}
	const name = "force-placement"
	deployCfg := func(cfg stack.Config) string {
		t.Helper()
		doc, err := stack.Build(cfg)
		if err != nil {
			t.Fatal(err)
		}
		body, err := format.YAML(doc)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Deploy(ctx, Input{StackName: name, TemplateBody: string(body), Parameters: params, Timeout: time.Minute, ForcePlacement: true}); err != nil {
			t.Fatalf("Deploy: %v", err)
		}
		out, err := d.API.GetTemplate(ctx, &cloudformation.GetTemplateInput{StackName: aws.String(name), TemplateStage: cftypes.TemplateStageOriginal})
		if err != nil {
			t.Fatal(err)
		}
		tree, err := parseTree(aws.ToString(out.TemplateBody))
		if err != nil {
			t.Fatal(err)
		}
		return mappingValue(mappingValue(mappingValue(tree.resource("Service"), "Properties"), "ForceNewDeployment"), "EnableForceNewDeployment").Value
	}
	cfg := stack.Default()
	if got := deployCfg(cfg); got != "false" {
		t.Errorf("create: EnableForceNewDeployment %s, want false", got)
	}
	cfg.Service.Spot.Enabled = true
	if got := deployCfg(cfg); got != "true" {
		t.Errorf("the move to Fargate Spot: EnableForceNewDeployment %s, want true (the placement changes)", got)
	}
	cfg.Service.DesiredCount = 3
	cfg.Deployment.ForceNewDeployment = true // as a template that forces on every update
	if got := deployCfg(cfg); got != "false" {
		t.Errorf("a count change: EnableForceNewDeployment %s, want false (the placement is the same)", got)
	}
}

// Proves (review of issue 18, item 14; simulated ECS moving the weights,
// real moto CloudFormation): diff warns about a plan that deploy would
// refuse because the rule-only updates before it can write only the
// weights of a rule whose listener a condition picks (!If), so that the
// deploy's own change set still modifies the rule with the service.
// Before, diff said nothing whenever such an update was planned.
func TestDiffWarnsWhenTheRuleStillChanges(t *testing.T) {
	e := newBlueGreenEnv(t)
	const name = "bg-diff-residual"
	cfg := canary()
	e.deploy(t, name, cfg)
	e.shift(t, e.inspect(t, name), 0, 100)

	next := cfg
	next.Deployment.CanaryPercent = 20 // a change of the service
	doc, err := stack.Build(next)
	if err != nil {
		t.Fatal(err)
	}
	body, err := format.YAML(doc)
	if err != nil {
		t.Fatal(err)
	}
	// A rule condition that the update changes: the rule of a service of
	// its own load balancer names its listener with !If, so only its
	// weights can go first.
	changed := strings.Replace(string(body), "              - /*\n", "              - /api/*\n", 1)
	if changed == string(body) {
		t.Fatal("the canary template's production rule has no path /* to change")
	}
	rec := &recorder{}
	d := &Deployer{API: e.cfn, Sink: rec, PollInterval: 100 * time.Millisecond}
	if _, err := d.Diff(context.Background(), Input{StackName: name, TemplateBody: changed, Parameters: e.params, Timeout: time.Minute,
		KeepWeights: map[string]int{"TargetGroup": 0, "TargetGroupAlternate": 100}, ForcePlacement: true}); err != nil {
		t.Fatalf("Diff: %v", err)
	}
	if notes := rec.notes(); !strings.Contains(notes, "deploy would refuse this plan") || !strings.Contains(notes, "ProductionListenerRule") {
		t.Errorf("diff did not warn that deploy would refuse the plan; notes:\n%s", notes)
	}

	// Without a change of the rule beyond its weights, nothing to warn of.
	rec2 := &recorder{}
	d.Sink = rec2
	if _, err := d.Diff(context.Background(), Input{StackName: name, TemplateBody: string(body), Parameters: e.params, Timeout: time.Minute,
		KeepWeights: map[string]int{"TargetGroup": 0, "TargetGroupAlternate": 100}, ForcePlacement: true}); err != nil {
		t.Fatalf("Diff: %v", err)
	}
	if notes := rec2.notes(); strings.Contains(notes, "deploy would refuse") {
		t.Errorf("diff warns about a plan deploy runs; notes:\n%s", notes)
	}
}

// Proves (review of issue 18, items 1 and 14): the rule-only updates
// before a deploy write the live weights first, alone, then the rule's new
// conditions when the rule refers only to what stays (the environment's
// listener, a parameter kept); a rule whose listener a condition picks
// takes only its weights, and the deploy's own change set still modifies
// it (residual).
func TestPlanSync(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, tc := range []struct {
		golden, rule, from, to string
		weights                map[string]int
		steps                  []bool // weightsOnly of each step
		residual               bool
	}{
		{golden: "env-service-canary.yaml", rule: "ListenerRule", from: "- checkout.example.com\n", to: "- shop.example.com\n",
			weights: map[string]int{"TargetGroupProd": 0, "TargetGroupProdAlternate": 100}, steps: []bool{true, false}},
		{golden: "canary.yaml", rule: "ProductionListenerRule", from: "              - /*\n", to: "              - /api/*\n",
			weights: map[string]int{"TargetGroup": 0, "TargetGroupAlternate": 100}, steps: []bool{true}, residual: true},
	} {
		body := read(tc.golden)
		nextBody := strings.Replace(body, tc.from, tc.to, 1)
		if nextBody == body {
			t.Fatalf("%s: no %q to change", tc.golden, tc.from)
		}
		deployed, err := parseTree(body)
		if err != nil {
			t.Fatal(err)
		}
		next, err := parseTree(nextBody)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := tc.weights[weightedRulesOf(t, deployed, tc.rule)]; !ok {
			t.Fatalf("%s: the rule does not weigh %v", tc.golden, tc.weights)
		}
		next.setWeights(tc.weights)
		st := &cftypes.Stack{}
		var params []cftypes.Parameter
		for _, p := range []string{"ListenerArn", "VpcId"} {
			st.Parameters = append(st.Parameters, cftypes.Parameter{ParameterKey: aws.String(p), ParameterValue: aws.String("x")})
			params = append(params, cftypes.Parameter{ParameterKey: aws.String(p), UsePreviousValue: aws.Bool(true)})
		}
		steps, a, err := planSync(deployed, next, deployed.weightedRules(tc.weights), tc.weights, st, params)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []bool
		for _, s := range steps {
			kinds = append(kinds, s.weightsOnly)
			tree, err := parseTree(s.body)
			if err != nil {
				t.Fatal(err)
			}
			text := nodeText(tree.resource(tc.rule))
			if s.weightsOnly == strings.Contains(text, strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(tc.to), "- "))) {
				t.Errorf("%s: step (weights only %v) has the rule %s", tc.golden, s.weightsOnly, text)
			}
		}
		if fmt.Sprint(kinds) != fmt.Sprint(tc.steps) {
			t.Errorf("%s: steps %v (weights only), want %v", tc.golden, kinds, tc.steps)
		}
		if got := len(a.residual) > 0; got != tc.residual {
			t.Errorf("%s: residual %v, want %v", tc.golden, a.residual, tc.residual)
		}
	}
}

// weightedRulesOf returns a target group that rule weighs.
func weightedRulesOf(t *testing.T, tree *templateTree, rule string) string {
	t.Helper()
	for tg := range weightedTargets(tree.resource(rule)) {
		return tg
	}
	t.Fatalf("rule %s weighs no target group", rule)
	return ""
}
