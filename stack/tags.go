package stack

import "github.com/awslabs/goformation/v7/cloudformation/tags"

// resourceTags are the tags of every taggable resource; nil when the config
// has none, so that the property is left out.
func resourceTags(cfg Config) []tags.Tag {
	if len(cfg.Tags) == 0 {
		return nil
	}
	out := make([]tags.Tag, len(cfg.Tags))
	for i, t := range cfg.Tags {
		out[i] = tags.Tag{Key: t.Key, Value: t.Value}
	}
	return out
}
