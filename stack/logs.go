package stack

import (
	"github.com/awslabs/goformation/v7/cloudformation/kms"
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
	hardenLogGroup(t, cfg, group)
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

// hardenLogGroup encrypts a log group of a hardened stack with the stack's
// KMS key (AWS Config's cloudwatch-log-group-encrypted) and keeps its logs
// for --log-retention-days, 365 unless the user gave another value
// (CloudWatch.16). Writers need no KMS permission: CloudWatch Logs uses the
// key itself, as the key policy allows.
func hardenLogGroup(t *cloudformation.Template, cfg Config, group *logs.LogGroup) {
	if !cfg.Hardened {
		return
	}
	addLogsKey(t, cfg)
	group.KmsKeyId = cloudformation.GetAttPtr(idLogsKey, "Arn")
	group.RetentionInDays = nil
	if cfg.Logs.RetentionDays > 0 {
		group.RetentionInDays = cloudformation.Int(cfg.Logs.RetentionDays)
	}
}

// addLogsKey adds the customer-managed KMS key that encrypts the stack's
// log groups, once.
func addLogsKey(t *cloudformation.Template, cfg Config) {
	if _, ok := t.Resources[idLogsKey]; ok {
		return
	}
	key := &kms.Key{
		Description: cloudformation.SubPtr("Encrypts the log groups of stack ${AWS::StackName} (cfnfargate). Kept when the stack is deleted: the logs it encrypted stay readable only with it."),
		// KMS.4. A symmetric key, the only kind CloudWatch Logs takes
		// ("CloudWatch Logs supports only symmetric KMS keys", CloudWatch
		// Logs user guide, "Encrypt log data in CloudWatch Logs using AWS
		// KMS").
		EnableKeyRotation: cloudformation.Bool(true),
		KeyPolicy: policyDocument(
			// Without a statement for the account, KMS refuses the policy
			// ("The new key policy will not allow you to update the key
			// policy in the future", CreateKey's policy lockout check), and
			// nobody could read or manage the key.
			statement{
				"Sid":       "AccountManagesTheKey",
				"Effect":    "Allow",
				"Principal": map[string]any{"AWS": cloudformation.Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")},
				"Action":    "kms:*",
				"Resource":  "*",
			},
			// CloudWatch Logs of this Region may use the key for log groups
			// of this account and Region only: the encryption context it
			// sends names the log group's ARN (CloudWatch Logs user guide,
			// "Encrypt log data in CloudWatch Logs using AWS KMS", step 2).
			// The log groups cannot be named one by one: they refer to the
			// key, so naming them here would be a circular dependency.
			statement{
				"Sid":       "CloudWatchLogsOfThisAccountAndRegion",
				"Effect":    "Allow",
				"Principal": map[string]any{"Service": cloudformation.Sub("logs.${AWS::Region}.amazonaws.com")},
				"Action":    []string{"kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"},
				"Resource":  "*",
				"Condition": map[string]any{
					"ArnLike": map[string]any{
						"kms:EncryptionContext:aws:logs:arn": cloudformation.Sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"),
					},
				},
			},
		),
		Tags: resourceTags(cfg),
	}
	// Kept when the stack is deleted, or when an update turns hardened off
	// or replaces the key: log events keep the key they were encrypted
	// with ("After the KMS key is disassociated from the log group ... All
	// previously ingested data remains encrypted", CloudWatch Logs API
	// reference, DisassociateKmsKey), and a deleted key would make a kept
	// log group unreadable for good (KMS.3). A kept key costs $1 a month
	// until it is scheduled for deletion (README).
	key.AWSCloudFormationDeletionPolicy = policies.DeletionPolicy("Retain")
	key.AWSCloudFormationUpdateReplacePolicy = policies.UpdateReplacePolicy("Retain")
	t.Resources[idLogsKey] = key
}
