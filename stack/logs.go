package stack

import (
	"github.com/awslabs/goformation/v7/cloudformation/logs"
	"github.com/awslabs/goformation/v7/cloudformation/policies"

	"github.com/cfnfargate/cfnfargate/stack/internal/cloudformation"
)

// addLogGroup adds the log group the container's awslogs driver writes to.
// The template creates it, rather than letting the driver create it on first
// write, so that it has a retention period and is deleted with the stack.
func addLogGroup(t *cloudformation.Template, cfg Config) {
	group := &logs.LogGroup{
		// The stack name keeps two stacks of the same app apart, and the
		// unique part of the stack ID keeps a stack apart from the log
		// group a deleted stack of the same name kept (with
		// --deletion-protection). The name is the same with and without
		// protection: LogGroupName is create-only, and a name that changed
		// with the setting would replace the group, deleting its logs or,
		// when the old group was kept, failing with "already exists" when
		// the setting is turned off again.
		LogGroupName: cloudformation.String(cloudformation.SubVars(logGroupPattern(cfg), map[string]any{
			"StackUUID": cloudformation.Select(2, cloudformation.Split("/", cloudformation.Ref("AWS::StackId"))),
		})),
	}
	if cfg.Logs.RetentionDays > 0 {
		group.RetentionInDays = cloudformation.Int(cfg.Logs.RetentionDays)
	}
	group.Tags = resourceTags(cfg)
	// An update that replaces the group (a new --name, or the upgrade from
	// a version that named it differently) keeps the old one, whose logs
	// then expire by its retention period, rather than deleting them.
	group.AWSCloudFormationUpdateReplacePolicy = policies.UpdateReplacePolicy("Retain")
	// Written out, so a reader sees the two policies differ on purpose
	// (cfn-lint W3011 asks for both).
	group.AWSCloudFormationDeletionPolicy = policies.DeletionPolicy("Delete")
	if cfg.DeletionProtection {
		// Keep the logs of a deleted stack for the record.
		group.AWSCloudFormationDeletionPolicy = policies.DeletionPolicy("Retain")
	}
	t.Resources[idLogGroup] = group
}

// logConfiguration is the container's log driver configuration.
func logConfiguration(cfg Config) map[string]string {
	return map[string]string{
		"awslogs-group":         cloudformation.Ref(idLogGroup),
		"awslogs-region":        cloudformation.Ref("AWS::Region"),
		"awslogs-stream-prefix": streamPrefix(cfg),
	}
}

// LogGroupID is the logical ID of the container's log group. A stack can
// hold other log groups (the pause gate's), so the day-2 commands pick the
// container's by this ID.
func LogGroupID() string { return idLogGroup }
