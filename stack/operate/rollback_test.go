package operate

import (
	"context"
	"errors"
	"testing"
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
