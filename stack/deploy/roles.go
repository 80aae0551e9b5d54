package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
	"gopkg.in/yaml.v3"
)

// DefaultRoleWait is how long Deploy lets IAM spread a service-linked role
// it has just created before it executes the change set; see
// Deployer.RoleWait.
const DefaultRoleWait = 10 * time.Second

// IAMAPI is the part of the IAM API Deploy uses to make sure the
// service-linked roles a stack needs exist. *iam.Client satisfies it.
type IAMAPI interface {
	GetRole(context.Context, *iam.GetRoleInput, ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	CreateServiceLinkedRole(context.Context, *iam.CreateServiceLinkedRoleInput, ...func(*iam.Options)) (*iam.CreateServiceLinkedRoleOutput, error)
}

var _ IAMAPI = (*iam.Client)(nil)

// serviceLinkedRole is a role an AWS service creates for itself on first
// use, and which a template that uses the service needs.
type serviceLinkedRole struct {
	name    string // the role name IAM gives it
	service string // the AWSServiceName to create it with
	what    string // for messages
	// needed reports whether a template with these resource types uses it.
	needed func(types map[string]bool) bool
	// onUpdate is true for a role an update can need for the first time;
	// the others are checked only before a create.
	onUpdate bool
}

var serviceLinkedRoles = []serviceLinkedRole{
	{
		// ECS CreateCluster creates AWSServiceRoleForECS when it is missing
		// and uses it at once, before IAM has spread it, so the first
		// cluster of an account fails with "Unable to assume the service
		// linked role" and the same deploy succeeds when retried
		// (cloudformation-coverage-roadmap #818). The ECS CreateCluster API
		// reference: "Amazon ECS attempts to create the Amazon ECS
		// service-linked role ... if the user that makes the call doesn't
		// have permissions to create the service-linked role, it isn't
		// created." Services use the role as well, to manage the ENIs of
		// awsvpc tasks. Only a create needs it checked: a stack that
		// exists has its cluster, so the account has the role.
		name: "AWSServiceRoleForECS", service: "ecs.amazonaws.com", what: "ECS",
		needed: func(types map[string]bool) bool {
			return types["AWS::ECS::Cluster"] || types["AWS::ECS::Service"]
		},
	},
	{
		// A scalable target without RoleARN uses Application Auto
		// Scaling's service-linked role for ECS, which it creates on first
		// use in the same way ("Service-linked roles for Application Auto
		// Scaling", Application Auto Scaling User Guide). Autoscaling
		// turned on in an update of a stack may be the account's first use
		// of it, so an update checks this role too.
		name: "AWSServiceRoleForApplicationAutoScaling_ECSService", service: "ecs.application-autoscaling.amazonaws.com",
		what: "Application Auto Scaling for ECS",
		needed: func(types map[string]bool) bool {
			return types["AWS::ApplicationAutoScaling::ScalableTarget"]
		},
		onUpdate: true,
	},
}

// ensureServiceLinkedRoles makes sure the service-linked roles the template
// needs exist, before the change set that creates (create true) or updates
// the stack; an update checks only the roles marked onUpdate. It returns
// when it created the last one (zero if it created none), for the wait
// before execution, and a warning for each role it could not make sure of:
// those do not stop the deploy, which succeeds whenever the role exists
// after all. It returns an error only when ctx ends.
func (d *Deployer) ensureServiceLinkedRoles(ctx context.Context, in Input, types map[string]bool, create bool) (created time.Time, warnings []string, steps []Step, err error) {
	if d.IAM == nil {
		return time.Time{}, nil, nil, nil
	}
	for _, role := range serviceLinkedRoles {
		if !role.needed(types) || !create && !role.onUpdate {
			continue
		}
		made, err := d.ensureRole(ctx, role)
		switch {
		case ctx.Err() != nil:
			return time.Time{}, nil, nil, stopped(ctx, stackRef{name: in.StackName}, "", in.Timeout, "nothing was changed")
		case err != nil:
			warning := fmt.Sprintf("could not check or create the %s service-linked role %s (%s); "+
				"in an account that has never used the service, the deploy can fail with "+
				"\"Unable to assume the service linked role\" until the role exists; "+
				"create it once for the %s service (the command follows)",
				role.what, role.name, briefly(err), role.service)
			warnings = append(warnings, warning)
			steps = append(steps, stackRef{name: in.StackName}.awsStep("create the "+role.name+" role",
				"iam", "create-service-linked-role", "--aws-service-name", role.service))
			d.note(in.StackName, "Warning: %s", warning)
		case made:
			created = time.Now()
			d.note(in.StackName, "Created the %s service-linked role %s", role.what, role.name)
		}
	}
	return created, warnings, steps, nil
}

// ensureRole creates role unless it exists, and reports whether it did.
func (d *Deployer) ensureRole(ctx context.Context, role serviceLinkedRole) (bool, error) {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err := d.IAM.GetRole(cctx, &iam.GetRoleInput{RoleName: aws.String(role.name)})
	switch {
	case err == nil:
		return false, nil
	case errorCode(err) != "NoSuchEntity":
		return false, readable(err)
	}
	_, err = d.IAM.CreateServiceLinkedRole(cctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String(role.service)})
	switch {
	case err == nil:
		return true, nil
	case roleTaken(err):
		// Someone else created it since GetRole: the role exists, which is
		// all that matters.
		return false, nil
	}
	return false, readable(err)
}

// roleTaken reports whether CreateServiceLinkedRole failed because the role
// exists. IAM answers InvalidInput "Service role name ... has been taken in
// this account"; EntityAlreadyExists is the code of CreateRole, which
// emulators answer with.
func roleTaken(err error) bool {
	switch errorCode(err) {
	case "EntityAlreadyExists":
		return true
	case "InvalidInput":
		var apiErr smithy.APIError
		errors.As(err, &apiErr)
		return containsFold(apiErr.ErrorMessage(), "has been taken")
	}
	return false
}

// awaitRole waits, before a change set executes, until the role created at
// created has had RoleWait to spread. IAM is eventually consistent: "changes
// that you make are not always immediately visible" (IAM User Guide,
// Troubleshooting IAM, "Changes that I make are not always immediately
// visible"), and a role that ECS cannot assume yet is the very failure the
// role was created to avoid. The change set was being made meanwhile, so
// only the rest of the time is waited.
func (d *Deployer) awaitRole(ctx context.Context, stack string, created time.Time) error {
	if created.IsZero() {
		return nil
	}
	wait := d.roleWait() - time.Since(created)
	if wait <= 0 {
		return nil
	}
	d.note(stack, "Waiting %s for IAM to make the new service-linked role visible", wait.Round(time.Second))
	if d.pause != nil {
		return d.pause(ctx, wait)
	}
	return sleep(ctx, wait)
}

func (d *Deployer) roleWait() time.Duration {
	if d.RoleWait > 0 {
		return d.RoleWait
	}
	return DefaultRoleWait
}

// resourceTypesOf returns the resource types a parsed template declares.
func resourceTypesOf(doc *yaml.Node) map[string]bool {
	types := map[string]bool{}
	if len(doc.Content) == 0 {
		return types
	}
	section := mappingValue(doc.Content[0], "Resources")
	if section == nil || section.Kind != yaml.MappingNode {
		return types
	}
	for i := 1; i < len(section.Content); i += 2 {
		if typ := mappingValue(section.Content[i], "Type"); typ != nil {
			types[strings.TrimSpace(typ.Value)] = true
		}
	}
	return types
}

// errorCode is the API error code of err, or "" for an error without one.
func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}
