package stack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation"
)

// overridden wraps a goformation resource and replaces some of its
// properties when the resource is marshalled, like the CDK's
// addPropertyOverride. goformation's generated structs cannot hold every
// valid value: `Subnets []string` turns `!Ref PrivateSubnetIds` into a list
// nested inside a list (goformation issues #282 and #306), and `DesiredCount
// *int` cannot hold `!Ref DesiredCount`.
type overridden struct {
	cloudformation.Resource
	properties map[string]any
}

// override returns r with the given properties replaced. A key is a
// property path with dots between the levels, such as
// "NetworkConfiguration.AwsvpcConfiguration.Subnets".
func override(r cloudformation.Resource, properties map[string]any) overridden {
	return overridden{Resource: r, properties: properties}
}

// Unwrap returns the goformation resource without the overrides.
func (o overridden) Unwrap() cloudformation.Resource { return o.Resource }

// MarshalJSON marshals the wrapped resource, then sets the overrides.
func (o overridden) MarshalJSON() ([]byte, error) {
	raw, err := json.Marshal(o.Resource)
	if err != nil {
		return nil, err
	}
	var resource map[string]json.RawMessage
	if err := json.Unmarshal(raw, &resource); err != nil {
		return nil, fmt.Errorf("override %s: %w", o.AWSCloudFormationType(), err)
	}
	properties := map[string]any{}
	if p, ok := resource["Properties"]; ok {
		dec := json.NewDecoder(bytes.NewReader(p))
		dec.UseNumber()
		if err := dec.Decode(&properties); err != nil {
			return nil, fmt.Errorf("override %s: %w", o.AWSCloudFormationType(), err)
		}
	}
	for path, v := range o.properties {
		if err := setPath(properties, strings.Split(path, "."), v); err != nil {
			return nil, fmt.Errorf("override %s property %s: %w", o.AWSCloudFormationType(), path, err)
		}
	}
	if resource["Properties"], err = json.Marshal(properties); err != nil {
		return nil, err
	}
	return json.Marshal(resource)
}

func setPath(m map[string]any, path []string, v any) error {
	if len(path) == 1 {
		m[path[0]] = v
		return nil
	}
	next, ok := m[path[0]].(map[string]any)
	if !ok {
		return fmt.Errorf("%s is not an object", path[0])
	}
	return setPath(next, path[1:], v)
}
