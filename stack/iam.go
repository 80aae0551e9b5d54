package stack

import (
	"slices"

	"github.com/awslabs/goformation/v7/cloudformation/iam"

	"github.com/cfnfargate/cfnfargate/stack/internal/cloudformation"
)

// addRoles adds the task role, which the application's own code uses, and
// the execution role, which ECS uses to pull the image and ship logs. Both
// trust only ECS tasks, and neither gets more than it needs: the task role
// has no permissions at all.
func addRoles(t *cloudformation.Template, cfg Config) {
	taskRole := &iam.Role{
		Description:              cloudformation.String("Role of the application's own code in " + serviceOwner(cfg) + " tasks. Attach the permissions the application needs."),
		AssumeRolePolicyDocument: trustECSTasks(),
		Tags:                     resourceTags(cfg),
	}
	var task cloudformation.Resource = taskRole
	if cfg.Service.EnableExec {
		task = attachPolicy(t, cfg, taskRole, idTaskPolicy, "ecs-exec", policyDocument(statement{
			"Sid":    "ExecSessions",
			"Effect": "Allow",
			"Action": []string{"ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
				"ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"},
			// The one wildcard resource we write: these Session Manager
			// channel actions support no resource-level permissions
			// ("Actions defined by Amazon Message Gateway Service" in
			// the Service Authorization Reference).
			"Resource": "*",
		}))
	}
	t.Resources[idTaskRole] = task
	t.Resources[idExecutionRole] = attachPolicy(t, cfg, &iam.Role{
		Description:              cloudformation.String("Lets ECS pull " + serviceOwner(cfg) + " image and write its logs."),
		AssumeRolePolicyDocument: trustECSTasks(),
		Tags:                     resourceTags(cfg),
	}, idExecutionPolicy, "pull-image-and-write-logs", executionPolicy(cfg))
}

// attachPolicy gives role the permissions of document, named name: as an
// inline policy, or with hardened as a customer managed policy of its own
// (logical ID id), as AWS Config's iam-no-inline-policy-check asks and as
// Security Hub's IAM.1, IAM.21 and KMS.1 audit (they read customer managed
// policies only). It returns the role to put in the template.
//
// The role lists the policy in ManagedPolicyArns, rather than the policy
// naming the role in Roles: the role is then complete only with its
// permissions attached, and everything that refers to the role (the task
// definition, the service, a Lambda function) waits for them, as it waits
// for an inline policy. A policy that named the role would be attached in
// parallel, and ECS could start a task whose role cannot yet write its
// logs.
func attachPolicy(t *cloudformation.Template, cfg Config, role *iam.Role, id, name string, document map[string]any) cloudformation.Resource {
	if !cfg.Hardened {
		role.Policies = append(role.Policies, iam.Role_Policy{PolicyName: name, PolicyDocument: document})
		return role
	}
	t.Resources[id] = &iam.ManagedPolicy{
		// Description is create-only: it names the policy's job, not the
		// application, so that a new --name does not replace it.
		Description:    cloudformation.SubPtr("The " + name + " permissions of a role of stack ${AWS::StackName}, managed by cfnfargate."),
		PolicyDocument: document,
	}
	role.ManagedPolicyArns = append(role.ManagedPolicyArns, cloudformation.Ref(id))
	// Written empty, so that an update that turns hardened on removes the
	// inline policy the role had.
	return override(role, map[string]any{"Policies": []any{}})
}

// trustECSTasks is the trust policy of both roles. The aws:SourceAccount
// condition stops a task of another account from assuming them (the
// confused-deputy guidance in the ECS developer guide).
func trustECSTasks() map[string]any {
	return policyDocument(statement{
		"Effect":    "Allow",
		"Principal": map[string]any{"Service": "ecs-tasks.amazonaws.com"},
		"Action":    "sts:AssumeRole",
		"Condition": map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": cloudformation.Ref("AWS::AccountId")},
		},
	})
}

// executionPolicy grants log writes to the stack's own log group and, for
// an ECR image, pulls from that one repository.
func executionPolicy(cfg Config) map[string]any {
	statements := []statement{{
		"Sid":    "WriteLogs",
		"Effect": "Allow",
		"Action": []string{"logs:CreateLogStream", "logs:PutLogEvents"},
		// The log group's Arn attribute ends in ":*", which covers its streams.
		"Resource": cloudformation.GetAtt(idLogGroup, "Arn"),
	}}
	if ecr, ok := parseECRImage(cfg.Container.Image); ok {
		statements = append(statements,
			statement{
				"Sid":    "PullImage",
				"Effect": "Allow",
				// BatchImportUpstreamImage and CreateRepository let the first
				// pull of a pull-through-cache image fetch it from upstream
				// and create its repository (ECR user guide, "IAM
				// permissions required to sync an upstream registry with a
				// pull through cache"); on any other repository they do
				// nothing.
				"Action": []string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
					"ecr:BatchImportUpstreamImage", "ecr:CreateRepository"},
				"Resource": cloudformation.Sub("arn:${AWS::Partition}:ecr:" + ecr.Region + ":" + ecr.Account +
					":repository/" + ecr.Repository),
			},
			statement{
				"Sid":    "GetRegistryToken",
				"Effect": "Allow",
				"Action": "ecr:GetAuthorizationToken",
				// GetAuthorizationToken acts on the registry, not a repository,
				// and supports no resource-level permissions.
				"Resource": "*",
			})
	}
	statements = append(statements, secretStatements(cfg.Container.Secrets)...)
	return policyDocument(statements...)
}

func appendUnique(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

type statement = map[string]any

func policyDocument(statements ...statement) map[string]any {
	list := make([]any, len(statements))
	for i, s := range statements {
		list[i] = s
	}
	return map[string]any{
		"Version":   "2012-10-17",
		"Statement": list,
	}
}
