package stack_test

import (
	"strings"
	"testing"

	"github.com/cfnfargate/cfnfargate/stack"
)

// Proves (issue 20): a service given no name is named after its stack,
// which the template cannot know, so it refers to AWS::StackName: the
// container, the task family and the log group, with a literal log stream
// prefix that the deployer can read; the same template then serves any
// stack. A name given is used as before. The default container has no
// environment variable the user did not ask for (it had BUILD=v0.1.0).
func TestServiceNamedAfterStack(t *testing.T) {
	unnamed := document(t, stack.Default())
	container := at(t, props(t, unnamed, "TaskDefinition"), "ContainerDefinitions", 0).(map[string]any)
	assertEqual(t, "container name", container["Name"], ref("AWS::StackName"))
	if env, ok := container["Environment"]; ok {
		t.Errorf("the default container has environment variables %v; want none", env)
	}
	assertEqual(t, "stream prefix", at(t, container, "LogConfiguration", "Options", "awslogs-stream-prefix"), "ecs")
	assertEqual(t, "family", props(t, unnamed, "TaskDefinition")["Family"], map[string]any{"Fn::Sub": "${AWS::StackName}"})
	assertEqual(t, "service's container", at(t, props(t, unnamed, "Service"), "LoadBalancers", 0, "ContainerName"), ref("AWS::StackName"))
	group := at(t, props(t, unnamed, "LogGroup"), "LogGroupName", "Fn::Sub", 0).(string)
	if group != "/ecs/${AWS::StackName}/${StackUUID}" {
		t.Errorf("log group %q; want it under the stack's name", group)
	}
	if d := unnamed["Description"].(string); !strings.HasPrefix(d, "A container on ECS Fargate") {
		t.Errorf("description %q names no service and should start with the sentence", d)
	}

	cfg := stack.Default()
	cfg.Name = "shop"
	named := document(t, cfg)
	container = at(t, props(t, named, "TaskDefinition"), "ContainerDefinitions", 0).(map[string]any)
	assertEqual(t, "container name", container["Name"], "shop")
	assertEqual(t, "stream prefix", at(t, container, "LogConfiguration", "Options", "awslogs-stream-prefix"), "shop")
	assertEqual(t, "family", props(t, named, "TaskDefinition")["Family"], map[string]any{"Fn::Sub": "${AWS::StackName}-shop"})
}
