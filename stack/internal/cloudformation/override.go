package cloudformation

import (
	"fmt"
	"strings"
)

// overridden is a resource with some properties replaced, like the CDK's
// addPropertyOverride.
type overridden struct {
	Resource
	properties map[string]any
}

// Override returns r with the given properties replaced when the template
// becomes a document. A key is a property path with dots between the
// levels, such as "NetworkConfiguration.AwsvpcConfiguration.Subnets"; a
// value may hold intrinsic helpers' strings.
func Override(r Resource, properties map[string]any) Resource {
	return overridden{Resource: r, properties: properties}
}

func (c *converter) overridden(o overridden, where string) (any, error) {
	converted, err := c.resource(o.Resource, where)
	if err != nil {
		return nil, err
	}
	resource, ok := converted.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: not an object", where)
	}
	properties, _ := resource["Properties"].(map[string]any)
	if properties == nil {
		properties = map[string]any{}
		resource["Properties"] = properties
	}
	for path, v := range o.properties {
		value, err := c.value(reflectValueOf(v), where+"."+path)
		if err != nil {
			return nil, err
		}
		if err := setPath(properties, strings.Split(path, "."), value); err != nil {
			return nil, fmt.Errorf("override %s property %s: %w", o.AWSCloudFormationType(), path, err)
		}
	}
	return resource, nil
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
