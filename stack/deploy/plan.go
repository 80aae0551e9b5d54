package deploy

import (
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// Plan is what a change set would do to a stack.
type Plan struct {
	Stack         string
	ChangeSetType string // "CREATE" or "UPDATE"
	// Changes are the resources added, modified or removed.
	Changes []Change
	// Parameters are the parameters of an update whose value changes, in
	// name order. A create sets them all and lists none.
	Parameters []ParameterChange
	// OtherChanges is set when an update changes neither a resource nor a
	// parameter and still changes the stack: its outputs, metadata or
	// another section of the template. CloudFormation makes a change set
	// with no changes listed for it.
	OtherChanges bool
	// Settings are the caller's settings that the deploy changes, and
	// those it keeps that the caller chose to show: the change set knows
	// only their effect on resources. The Deployer leaves it empty.
	Settings []SettingChange
}

// HasChanges reports whether executing the plan would change anything,
// a setting included.
func (p Plan) HasChanges() bool {
	return len(p.Changes) > 0 || len(p.Parameters) > 0 || p.OtherChanges || p.SettingChanges() > 0
}

// SettingChanges counts the settings that change.
func (p Plan) SettingChanges() int {
	n := 0
	for _, s := range p.Settings {
		if !s.Kept {
			n++
		}
	}
	return n
}

// SettingChange is one setting of a deploy, in the caller's words: its
// value before and after, and where the new one came from.
type SettingChange struct {
	Key string
	// Old and New are the values as a user would write them. Old is
	// empty for a new stack (Added).
	Old, New string
	// Source says where New came from, such as "flag" or "kept from
	// release 3".
	Source string
	// Added is a setting of a new stack; Kept one whose value does not
	// change.
	Added, Kept bool
}

// Mark is the one-character sign of the setting: + new, ~ changed,
// = kept.
func (c SettingChange) Mark() string {
	switch {
	case c.Kept:
		return "="
	case c.Added:
		return "+"
	}
	return "~"
}

// String is "key: old → new (source)", or the one value of a setting
// added or kept.
func (c SettingChange) String() string {
	s := fmt.Sprintf("%s: %s → %s", c.Key, c.Old, c.New)
	if c.Added || c.Kept {
		s = fmt.Sprintf("%s: %s", c.Key, c.New)
	}
	if c.Source != "" {
		s += " (" + c.Source + ")"
	}
	return s
}

// ParameterChange is a parameter whose value an update changes, such as the
// container image.
type ParameterChange struct {
	Key string
	// Old and New are the values before and after. A NoEcho parameter's
	// are both ****.
	Old, New string
	// Added is a parameter the stack did not have; Removed one the new
	// template no longer declares.
	Added, Removed bool
	NoEcho         bool
}

// Mark is the one-character sign of the change: + added, - removed,
// ~ changed.
func (c ParameterChange) Mark() string {
	switch {
	case c.Added:
		return "+"
	case c.Removed:
		return "-"
	}
	return "~"
}

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

// Replaces lists the resources among ids that the plan replaces: a Modify
// whose Replacement is True or Conditional, or a Remove (a changed logical
// ID, or a resource the new template drops).
func (p Plan) Replaces(ids []string) []string {
	var out []string
	for _, c := range p.Changes {
		if !slices.Contains(ids, c.LogicalID) || slices.Contains(out, c.LogicalID) {
			continue
		}
		switch types.ChangeAction(c.Action) {
		case types.ChangeActionRemove:
			out = append(out, c.LogicalID)
		case types.ChangeActionModify:
			if c.Replacement == string(types.ReplacementTrue) || c.Replacement == string(types.ReplacementConditional) {
				out = append(out, c.LogicalID)
			}
		}
	}
	return out
}
