package stack

import (
	"github.com/cfnfargate/cfnfargate/stack/internal/cloudformation"
)

// override returns r with some of its properties replaced when the template
// becomes a document, like the CDK's addPropertyOverride. goformation's
// generated structs cannot hold every valid value: `Subnets []string` turns
// `!Ref PrivateSubnetIds` into a list nested inside a list (goformation
// issues #282 and #306), and `DesiredCount *int` cannot hold
// `!Ref DesiredCount`. A key is a property path with dots between the
// levels, such as "NetworkConfiguration.AwsvpcConfiguration.Subnets".
func override(r cloudformation.Resource, properties map[string]any) cloudformation.Resource {
	return cloudformation.Override(r, properties)
}
