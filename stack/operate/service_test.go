package operate

import (
	"context"
	"testing"
)

// Proves the container and its log stream prefix are read from the
// stack's template when ECS does not name them (as moto registers a task
// definition): a literal name as written, and a service named after its
// stack (!Ref AWS::StackName, in YAML or JSON) as the stack's name.
func TestTemplateContainer(t *testing.T) {
	for _, tt := range []struct{ template, name, prefix string }{
		{"Resources:\n  TaskDefinition:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      ContainerDefinitions:\n        - Name: shop\n          LogConfiguration:\n            Options: {awslogs-stream-prefix: shop}\n", "shop", "shop"},
		{"Resources:\n  TaskDefinition:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      ContainerDefinitions:\n        - Name: !Ref AWS::StackName\n          LogConfiguration:\n            Options: {awslogs-stream-prefix: ecs}\n", "web", "ecs"},
		{`{"Resources": {"TaskDefinition": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"ContainerDefinitions": [{"Name": {"Ref": "AWS::StackName"}}]}}}}`, "web", ""},
		{"Resources:\n  TaskDefinition:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      ContainerDefinitions:\n        - Name: !Ref Other\n", "", ""},
	} {
		c := Clients{CloudFormation: &cfnFake{template: tt.template}}
		name, prefix := templateContainer(context.Background(), c, "arn:aws:cloudformation:us-east-1:123456789012:stack/web/1")
		if name != tt.name || prefix != tt.prefix {
			t.Errorf("container %q, prefix %q; want %q, %q, of\n%s", name, prefix, tt.name, tt.prefix, tt.template)
		}
	}
}
