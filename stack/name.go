package stack

import (
	"github.com/cfnfargate/cfnfargate/stack/internal/cloudformation"
)

// The service's name. An empty Config.Name is the stack's own: the
// template names the container, the task family and the log group after
// AWS::StackName, so that one template serves whatever stack it is
// deployed as (emit knows no stack, and a console upload names it). The
// log stream prefix stays a literal, which the deployer reads from the
// template to find a stopped container's last lines.

// defaultStreamPrefix is the awslogs-stream-prefix of a service without a
// name of its own: streams are ecs/CONTAINER/TASK-ID, as in the examples of
// the ECS developer guide ("Using the awslogs log driver").
const defaultStreamPrefix = "ecs"

// containerName is the container's name in the task definition.
func containerName(cfg Config) string {
	if cfg.Name == "" {
		return cloudformation.Ref("AWS::StackName")
	}
	return cfg.Name
}

// taskFamily is the task definition's family. The stack name keeps two
// stacks of the same app in separate families; a service named after its
// stack needs it once (a family holds up to 255 characters, and a stack
// name up to 128).
func taskFamily(cfg Config) *string {
	if cfg.Name == "" {
		return cloudformation.SubPtr("${AWS::StackName}")
	}
	return cloudformation.SubPtr("${AWS::StackName}-" + cfg.Name)
}

// logGroupPattern is the log group's name as a Sub pattern, before the
// unique part of the stack ID (${StackUUID}).
func logGroupPattern(cfg Config) string {
	if cfg.Name == "" {
		return "/ecs/${AWS::StackName}/${StackUUID}"
	}
	return "/ecs/${AWS::StackName}/" + cfg.Name + "-${StackUUID}"
}

// streamPrefix is the container's awslogs-stream-prefix.
func streamPrefix(cfg Config) string {
	if cfg.Name == "" {
		return defaultStreamPrefix
	}
	return cfg.Name
}

// serviceLabel names the service in descriptions: its name, or "the
// service" when it has the stack's.
func serviceLabel(cfg Config) string {
	if cfg.Name == "" {
		return "the service"
	}
	return cfg.Name
}

// serviceOwner names the service as an owner in descriptions: "the shop"
// as in "the shop image", or "the service's".
func serviceOwner(cfg Config) string {
	if cfg.Name == "" {
		return "the service's"
	}
	return "the " + cfg.Name
}
