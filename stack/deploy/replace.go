package deploy

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// Replacement is a resource a plan replaces whose replacement the user
// should decide on, because a new one is not the old one: another DNS name,
// dropped connections, lost logs.
type Replacement struct {
	LogicalID    string
	ResourceType string
	// Previous is the logical ID of the resource this one replaces when the
	// plan removes one and adds another of the same type (a logical ID that
	// changed); empty when CloudFormation replaces the resource in place.
	Previous string
	// Conditional is true when CloudFormation replaces it only if a value
	// it learns while updating requires it (Replacement "Conditional").
	Conditional bool
	// Causes are the properties whose change requires the replacement.
	Causes []string
	// Meaning says what replacing a resource of this type does.
	Meaning string
}

// replacementMeanings are the resource types whose replacement needs a
// decision, and what it means. CloudFormation creates the new resource,
// points the stack at it and deletes the old one ("Update behaviors of stack
// resources", CloudFormation User Guide).
var replacementMeanings = map[string]string{
	"AWS::ElasticLoadBalancingV2::LoadBalancer": "a new load balancer has a new DNS name, so DNS records and clients that point at the old name stop working, " +
		"and open connections are dropped when the old one is deleted",
	// The listener and the service both refer to the target group, and the
	// service DependsOn the HTTPS listener (ECS rejects a service whose
	// target group has no load balancer), so CloudFormation points the
	// listener at the new group first and only then updates the service,
	// whose new deployment starts the tasks that register with it.
	"AWS::ElasticLoadBalancingV2::TargetGroup": "the listener forwards to a new, empty target group before the service has any task in it, " +
		"so the application answers HTTP 503 for every request until the new deployment has a healthy task in the new group, usually minutes",
	"AWS::EC2::SecurityGroup": "a new security group has a new ID; expect a short window of errors while traffic moves, " +
		"and rules elsewhere that allow the old group (a database's, say) no longer match",
	"AWS::ECS::Cluster": "the service is created again in a new cluster and every task restarts",
	// Cluster is create-only on AWS::ECS::Service, so moving the stack to
	// or from an existing cluster replaces the service. The new one is
	// created first and the old one deleted in the cleanup at the end of
	// the update. Without DesiredCount (autoscaling) a new service starts
	// one task ("AWS::ECS::Service", CloudFormation User Guide), and its
	// scalable target, whose ResourceId names the service, is new too.
	"AWS::ECS::Service": "a new service is created and starts all its tasks from scratch, " +
		"and the old service is deleted with its tasks when the update finishes; " +
		"behind the same target group requests keep being served, but every task restarts, " +
		"and with autoscaling the new service starts from one task, not the count the old one had scaled to",
	"AWS::Logs::LogGroup": "a new, empty log group is made and the old one is deleted with all its logs, " +
		"unless the template keeps it with a Retain DeletionPolicy or UpdateReplacePolicy",
}

// Replacements lists the changes that replace a load balancer, a target
// group, a security group, the ECS cluster, the ECS service or the log
// group: a Modify with
// Replacement True or Conditional, and a Remove paired with an Add of the
// same type, because a changed logical ID replaces a resource too.
func (p Plan) Replacements() []Replacement {
	var out []Replacement
	added := map[string][]Change{} // by type, in plan order
	for _, c := range p.Changes {
		if _, guarded := replacementMeanings[c.ResourceType]; guarded && types.ChangeAction(c.Action) == types.ChangeActionAdd {
			added[c.ResourceType] = append(added[c.ResourceType], c)
		}
	}
	for _, c := range p.Changes {
		meaning, guarded := replacementMeanings[c.ResourceType]
		if !guarded {
			continue
		}
		switch types.ChangeAction(c.Action) {
		case types.ChangeActionModify:
			if c.Replacement != string(types.ReplacementTrue) && c.Replacement != string(types.ReplacementConditional) {
				continue
			}
			out = append(out, Replacement{
				LogicalID: c.LogicalID, ResourceType: c.ResourceType, Causes: c.ReplacementCauses, Meaning: meaning,
				Conditional: c.Replacement == string(types.ReplacementConditional),
			})
		case types.ChangeActionRemove:
			adds := added[c.ResourceType]
			if len(adds) == 0 {
				continue // removed and not replaced
			}
			added[c.ResourceType] = adds[1:]
			out = append(out, Replacement{LogicalID: adds[0].LogicalID, ResourceType: c.ResourceType, Previous: c.LogicalID, Meaning: meaning})
		}
	}
	return out
}

// String is one line about the replacement: what is replaced, why, and what
// that means.
func (r Replacement) String() string {
	var b strings.Builder
	switch {
	case r.Previous != "":
		fmt.Fprintf(&b, "%s (%s) replaces %s, whose logical ID is gone", r.LogicalID, r.ResourceType, r.Previous)
	case r.Conditional:
		fmt.Fprintf(&b, "%s (%s) may be replaced", r.LogicalID, r.ResourceType)
	default:
		fmt.Fprintf(&b, "%s (%s) is replaced", r.LogicalID, r.ResourceType)
	}
	if len(r.Causes) > 0 {
		fmt.Fprintf(&b, " because %s changes", strings.Join(r.Causes, ", "))
	}
	b.WriteString(": ")
	b.WriteString(r.Meaning)
	return b.String()
}

// ReplacementError reports a change set that Deploy did not execute because
// it replaces resources (see Plan.Replacements) and Input.AllowReplacement
// was not set nor the replacement confirmed. The change set was deleted;
// nothing was changed. Exit code 1.
type ReplacementError struct {
	Stack        string
	Replacements []Replacement
}

func (e *ReplacementError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the change set for stack %s replaces resources, and the replacement was not allowed:", e.Stack)
	for _, r := range e.Replacements {
		b.WriteString("\n  ")
		b.WriteString(r.String())
	}
	b.WriteString("\nThe change set was deleted; nothing was changed")
	return b.String()
}

func (e *ReplacementError) ExitCode() int { return ExitFailure }

// guardReplacements decides whether a change set that replaces resources
// may run: always with AllowReplacement, else only when ConfirmReplacement
// says yes.
func (d *Deployer) guardReplacements(ctx context.Context, in Input, plan Plan) error {
	risky := plan.Replacements()
	if len(risky) == 0 || in.AllowReplacement {
		return nil
	}
	if in.ConfirmReplacement != nil {
		ok, err := in.ConfirmReplacement(ctx, risky)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
	return &ReplacementError{Stack: in.StackName, Replacements: risky}
}
