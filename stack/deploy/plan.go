package deploy

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// Plan is what a change set would do to a stack.
type Plan struct {
	Stack         string
	ChangeSetType string // "CREATE" or "UPDATE"
	Changes       []Change
}

// HasChanges reports whether executing the plan would change anything.
func (p Plan) HasChanges() bool { return len(p.Changes) > 0 }

// Change is what a change set would do to one resource.
type Change struct {
	Action       string // Add, Modify, Remove, Import, Dynamic, ...
	LogicalID    string
	PhysicalID   string // empty for a resource that does not exist yet
	ResourceType string
	// Replacement is set for modifications: "True" when CloudFormation will
	// create a new resource and delete the old one, "Conditional" when it
	// depends on a value it only learns while updating, and "False" when the
	// resource is updated in place.
	Replacement string
	// ReplacementCauses names the properties whose change requires the
	// resource to be recreated, always or conditionally.
	ReplacementCauses []string
}

// Mark is the one-character sign of the action: + add, ~ modify, - remove.
func (c Change) Mark() string {
	switch types.ChangeAction(c.Action) {
	case types.ChangeActionAdd, types.ChangeActionImport:
		return "+"
	case types.ChangeActionRemove:
		return "-"
	}
	return "~"
}

func changeFromSDK(c types.Change) (Change, bool) {
	rc := c.ResourceChange
	if rc == nil {
		return Change{}, false
	}
	out := Change{
		Action:       string(rc.Action),
		LogicalID:    aws.ToString(rc.LogicalResourceId),
		PhysicalID:   aws.ToString(rc.PhysicalResourceId),
		ResourceType: aws.ToString(rc.ResourceType),
	}
	if rc.Action == types.ChangeActionModify {
		out.Replacement = string(rc.Replacement)
	}
	seen := map[string]bool{}
	for _, d := range rc.Details {
		t := d.Target
		if t == nil || t.RequiresRecreation == "" || t.RequiresRecreation == types.RequiresRecreationNever {
			continue
		}
		name := aws.ToString(t.Name)
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		out.ReplacementCauses = append(out.ReplacementCauses, name)
	}
	return out, true
}
