package operate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"gopkg.in/yaml.v3"

	"github.com/cfnfargate/cfnfargate/internal/testenv"
	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// Proves rollback --in-flight (CloudFormation simulated by cfnFake, ECS by
// the simulator: moto holds no stack mid-update and has no service
// deployments): a stack that is updating has its update cancelled and ECS
// is left alone; a settled stack has its service's deployment in progress
// stopped with rollback; with neither, nothing is in flight.
func TestStopInFlight(t *testing.T) {
	sim := newJSONSim(t)
	c := sim.clients()
	cfn := &cfnFake{stack: fakeStack("UPDATE_IN_PROGRESS", nil), resources: serviceResources()}
	c.CloudFormation = cfn
	res, err := StopInFlight(context.Background(), c, "shop")
	if err != nil || !res.CloudFormation || cfn.cancelled != 1 || len(sim.sent("StopServiceDeployment")) != 0 {
		t.Errorf("updating stack: %+v, %v, %d cancels", res, err, cfn.cancelled)
	}

	cfn.stack = fakeStack("UPDATE_COMPLETE", nil)
	sim.on("DescribeServices", simAnswer{body: map[string]any{"services": []any{map[string]any{
		"serviceName": "shop-service", "taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/shop:3"}}}})
	sim.on("DescribeTaskDefinition", simAnswer{body: map[string]any{"taskDefinition": map[string]any{
		"containerDefinitions": []any{map[string]any{"name": "app"}}}}})
	const deployment = "arn:aws:ecs:us-east-1:123456789012:service-deployment/shop-cluster/shop-service/abc"
	sim.on("ListServiceDeployments", simAnswer{body: map[string]any{"serviceDeployments": []any{map[string]any{"serviceDeploymentArn": deployment, "status": "IN_PROGRESS"}}}})
	sim.on("StopServiceDeployment", simAnswer{body: map[string]any{"serviceDeploymentArn": deployment}})
	res, err = StopInFlight(context.Background(), c, "shop")
	stops := sim.sent("StopServiceDeployment")
	if err != nil || res.Deployment != deployment || len(stops) != 1 || stops[0]["stopType"] != "ROLLBACK" || stops[0]["serviceDeploymentArn"] != deployment {
		t.Errorf("settled stack with a deployment: %+v, %v, %v", res, err, stops)
	}
	listed := sim.sent("ListServiceDeployments")
	if len(listed) != 1 || listed[0]["cluster"] != "shop-cluster" || listed[0]["service"] != "shop-service" {
		t.Errorf("ListServiceDeployments = %v", listed)
	}

	sim.on("ListServiceDeployments", simAnswer{body: map[string]any{"serviceDeployments": []any{}}})
	if _, err := StopInFlight(context.Background(), c, "shop"); !errors.Is(err, ErrNothingInFlight) {
		t.Errorf("nothing in flight: %v", err)
	}
}

// Proves (F11; CloudFormation by cfnFake, ECS by the simulator): while
// CloudFormation rolls the stack back, creates or deletes it, rollback
// --in-flight stops nothing, neither the stack operation nor the ECS
// deployment (which during a rollback is the rollback's own), and says
// to wait; only UPDATE_IN_PROGRESS is cancelled.
func TestStopInFlightWaitsForCloudFormation(t *testing.T) {
	for _, status := range []string{"UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
		"CREATE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS", "DELETE_IN_PROGRESS", "REVIEW_IN_PROGRESS"} {
		sim := newJSONSim(t)
		const deployment = "arn:aws:ecs:us-east-1:123456789012:service-deployment/shop-cluster/shop-service/rollback"
		sim.on("DescribeServices", simAnswer{body: map[string]any{"services": []any{map[string]any{
			"serviceName": "shop-service", "taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/shop:3"}}}})
		sim.on("DescribeTaskDefinition", simAnswer{body: map[string]any{"taskDefinition": map[string]any{
			"containerDefinitions": []any{map[string]any{"name": "app"}}}}})
		sim.on("ListServiceDeployments", simAnswer{body: map[string]any{"serviceDeployments": []any{map[string]any{"serviceDeploymentArn": deployment, "status": "IN_PROGRESS"}}}})
		sim.on("StopServiceDeployment", simAnswer{body: map[string]any{"serviceDeploymentArn": deployment}})
		c := sim.clients()
		cfn := &cfnFake{stack: fakeStack(status, nil), resources: serviceResources()}
		c.CloudFormation = cfn
		_, err := StopInFlight(context.Background(), c, "shop")
		if err == nil || !strings.Contains(err.Error(), "is "+status) || !strings.Contains(err.Error(), "wait until the stack settles") {
			t.Errorf("%s: %v; want a refusal that names the status and says to wait", status, err)
		}
		if n := len(sim.sent("StopServiceDeployment")); n != 0 || cfn.cancelled != 0 {
			t.Errorf("%s: %d deployments stopped, %d updates cancelled; want none", status, n, cfn.cancelled)
		}
	}
}

// Proves (F4 and F6 for rollback --to; history in moto's SSM,
// CloudFormation simulated by cfnFake, which shows the change set asked
// for and refuses it): a rollback to a release of a canary service sends
// the release's template with the live weights instead of those of its
// time, which ECS has swapped since, and without the forced deployment
// that templates of earlier versions asked for on every update.
func TestRollbackKeepsLiveWeights(t *testing.T) {
	t.Parallel()
	m := testenv.SharedMoto(t)
	c := Clients{SSM: ssm.New(ssm.Options{Region: m.Region, BaseEndpoint: aws.String(m.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})}
	ctx := context.Background()
	const stackName = "rollback-live-weights"
	canary := golden(t, "canary.yaml")
	// Release 1's template: the weights of its time (100/0), and a forced
	// deployment on every update, as templates were.
	old := strings.Replace(canary, "EnableForceNewDeployment: false", "EnableForceNewDeployment: true", 1)
	if old == canary {
		t.Fatal("canary.yaml does not write EnableForceNewDeployment: false")
	}
	// The stack's own template already carries the live weights: the
	// rollback's change set is the only one.
	swapped := strings.ReplaceAll(strings.ReplaceAll(canary, "Weight: 100", "Weight: 999"), "Weight: 0", "Weight: 100")
	live := strings.ReplaceAll(swapped, "Weight: 999", "Weight: 0")
	cfn := twoReleases(t, &c, stackName, live, old, canary)
	_, err := Rollback(ctx, c, deploy.New(cfn, nil), stackName, RollbackOptions{To: 1, ReadLive: keepWeights(map[string]int{"TargetGroup": 0, "TargetGroupAlternate": 100})})
	if !errors.Is(err, errChangeSetRefused) || len(cfn.changeSets) != 1 {
		t.Fatalf("rollback: %v, %d change sets", err, len(cfn.changeSets))
	}
	sent := aws.ToString(cfn.changeSets[0].TemplateBody)
	if normalYAML(t, sent) != normalYAML(t, live) {
		t.Errorf("the rollback sent a template other than release 1's with the live weights and no forced deployment:\n%s", sent)
	}
}

// keepWeights is a RollbackOptions.ReadLive that reads weights as the live
// ones.
func keepWeights(weights map[string]int) func(context.Context, *deploy.Input) error {
	return func(_ context.Context, in *deploy.Input) error {
		in.KeepWeights = weights
		return nil
	}
}

// Proves (review of issue 18, item 1; CloudFormation simulated by
// cfnFake): rollback --in-flight does not cancel the update by which a
// deploy writes the live traffic into the stack's template, which it
// knows by the token on the operation's events: cancelled, that update's
// rollback would set the production rule back to stale weights. The
// deploy's own update is cancelled as before.
func TestStopInFlightLeavesTrafficSync(t *testing.T) {
	for _, tc := range []struct {
		token   string
		refused bool
	}{
		{token: deploy.TrafficSyncToken + "-20261201-101010-abcd", refused: true},
		{token: "cfnfargate-exec-20261201-101010-abcd", refused: false},
	} {
		cfn := &cfnFake{stack: fakeStack("UPDATE_IN_PROGRESS", nil), resources: serviceResources(), events: []cftypes.StackEvent{
			{LogicalResourceId: aws.String("ProductionListenerRule"), ResourceType: aws.String("AWS::ElasticLoadBalancingV2::ListenerRule"),
				ResourceStatus: cftypes.ResourceStatusUpdateInProgress, ClientRequestToken: aws.String(tc.token)},
			{LogicalResourceId: aws.String("shop"), ResourceType: aws.String("AWS::CloudFormation::Stack"),
				ResourceStatus: cftypes.ResourceStatusUpdateInProgress, ClientRequestToken: aws.String(tc.token)},
			{LogicalResourceId: aws.String("shop"), ResourceType: aws.String("AWS::CloudFormation::Stack"),
				ResourceStatus: cftypes.ResourceStatusUpdateComplete, ClientRequestToken: aws.String("cfnfargate-exec-20261130-090909-ef01")},
		}}
		_, err := StopInFlight(context.Background(), Clients{CloudFormation: cfn}, "shop")
		var busy *StackBusyError
		switch {
		case tc.refused && (!errors.As(err, &busy) || !busy.TrafficSync || cfn.cancelled != 0):
			t.Errorf("%s: %v, %d cancels; want a StackBusyError about the traffic and no cancel", tc.token, err, cfn.cancelled)
		case tc.refused && !strings.Contains(err.Error(), "would set the traffic back"):
			t.Errorf("%s: %v does not say why it waits", tc.token, err)
		case !tc.refused && (err != nil || cfn.cancelled != 1):
			t.Errorf("%s: %v, %d cancels; want the update cancelled", tc.token, err, cfn.cancelled)
		}
	}
}

// Proves (review of issue 18, item 5; history in moto's SSM,
// CloudFormation simulated by cfnFake): a rollback to a release whose
// template an earlier cfnfargate wrote without the off state of the
// settings that were off (no LifecycleHooks, Alarms or Strategy) sends it
// with LifecycleHooks [], the alarms off and Strategy ROLLING, so that the
// later release's gate, alarms and blue/green strategy do not stay on the
// service, which UpdateService would keep.
func TestRollbackWritesOffStates(t *testing.T) {
	t.Parallel()
	m := testenv.SharedMoto(t)
	c := Clients{SSM: ssm.New(ssm.Options{Region: m.Region, BaseEndpoint: aws.String(m.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})}
	ctx := context.Background()
	const stackName = "rollback-off-states"
	current := golden(t, "default.yaml")
	off := "        Alarms:\n          AlarmNames: []\n          Enable: false\n          Rollback: false\n"
	old := strings.Replace(strings.Replace(strings.Replace(current, off, "", 1), "        LifecycleHooks: []\n", "", 1), "        Strategy: ROLLING\n", "", 1)
	if strings.Count(old, "\n") != strings.Count(current, "\n")-6 {
		t.Fatal("default.yaml does not write the three off states as this test expects")
	}
	cfn := twoReleases(t, &c, stackName, current, old, current)
	_, err := Rollback(ctx, c, deploy.New(cfn, nil), stackName, RollbackOptions{To: 1})
	if !errors.Is(err, errChangeSetRefused) || len(cfn.changeSets) != 1 {
		t.Fatalf("rollback: %v, %d change sets", err, len(cfn.changeSets))
	}
	sent := normalYAML(t, aws.ToString(cfn.changeSets[0].TemplateBody))
	var doc struct {
		Resources struct {
			Service struct {
				Properties struct {
					DeploymentConfiguration map[string]any `yaml:"DeploymentConfiguration"`
				} `yaml:"Properties"`
			} `yaml:"Service"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal([]byte(sent), &doc); err != nil {
		t.Fatal(err)
	}
	dc := doc.Resources.Service.Properties.DeploymentConfiguration
	want := map[string]string{
		"LifecycleHooks": "[]",
		"Alarms":         "map[AlarmNames:[] Enable:false Rollback:false]",
		"Strategy":       "ROLLING",
	}
	for key, value := range want {
		if got := fmt.Sprint(dc[key]); got != value {
			t.Errorf("the release's template is sent with %s %s, want %s", key, got, value)
		}
	}
	if got := fmt.Sprint(dc["MaximumPercent"]); got != "200" {
		t.Errorf("MaximumPercent %s: the rest of the configuration must stay", got)
	}
}

// twoReleases makes stackName a stack whose template is now live
// (simulated by cfnFake, which c then uses) with two releases in c's
// history: release 1 of template first (image nginx:1.27), release 2 of
// template second (nginx:1.28).
func twoReleases(t *testing.T, c *Clients, stackName, live, first, second string) *cfnFake {
	t.Helper()
	ctx := context.Background()
	cfn := &cfnFake{stack: fakeStack("UPDATE_COMPLETE", map[string]string{"ContainerImage": "nginx:1.28", "VpcId": "vpc-1",
		"PublicSubnetIds": "subnet-a,subnet-b", "PrivateSubnetIds": "subnet-c", "CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x"}), template: live}
	cfn.stack.StackName = aws.String(stackName)
	cfn.stack.StackId = aws.String(stackID(stackName, "1"))
	c.CloudFormation = cfn
	for i, body := range []string{first, second} {
		image := fmt.Sprintf("nginx:1.%d", 27+i)
		r := &Release{StackID: stackID(stackName, "1"), Action: "deploy", Image: image, TemplateSHA256: sha256Hex(body), Parameters: map[string]string{"ContainerImage": image}}
		var err error
		if r.TemplateParts, err = storeParts(ctx, *c, templatePath(r.root(stackName), r.TemplateSHA256), []byte(body), "the template"); err != nil {
			t.Fatal(err)
		}
		existing, err := History(ctx, *c, stackName)
		if err != nil {
			t.Fatal(err)
		}
		if err := putRecord(ctx, *c, stackName, r, existing); err != nil {
			t.Fatal(err)
		}
	}
	return cfn
}
