package stack

import (
	"strings"

	"github.com/cfnfargate/cfnfargate/stack/format"
)

// Capabilities returns the capabilities CloudFormation needs to create the
// template's resources: CAPABILITY_IAM for IAM resources, and
// CAPABILITY_NAMED_IAM only when one of them has a fixed name. Our own
// templates never name IAM resources, so they need CAPABILITY_IAM only.
func Capabilities(doc format.Document) []string {
	resources, _ := doc["Resources"].(map[string]any)
	iam, named := false, false
	for _, r := range resources {
		resource, _ := r.(map[string]any)
		typ, _ := resource["Type"].(string)
		if !strings.HasPrefix(typ, "AWS::IAM::") {
			continue
		}
		iam = true
		properties, _ := resource["Properties"].(map[string]any)
		for _, key := range []string{"RoleName", "UserName", "GroupName", "ManagedPolicyName", "InstanceProfileName"} {
			if _, ok := properties[key]; ok {
				named = true
			}
		}
	}
	switch {
	case named:
		return []string{"CAPABILITY_NAMED_IAM"}
	case iam:
		return []string{"CAPABILITY_IAM"}
	}
	return nil
}
