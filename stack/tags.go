package stack

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/awslabs/goformation/v7/cloudformation/tags"

	"github.com/cfnfargate/cfnfargate/internal/lazyregexp"
)

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

// Validation of these settings, called from Config.Validate.

var tagChars = lazyregexp.New(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)

// tags checks the resource tags. AWS counts their lengths in Unicode
// characters, not bytes: keys 1 to 128, values up to 256 ("Tagging AWS
// resources", tag naming limits).
func (v *validator) tags(tags []Tag) {
	var keys []string
	for _, t := range tags {
		switch {
		case t.Key == "" || utf8.RuneCountInString(t.Key) > 128:
			v.add(KeyTag, "key %q must be 1 to 128 characters (KEY=VALUE)", t.Key)
		case strings.HasPrefix(strings.ToLower(t.Key), "aws:"):
			v.add(KeyTag, "key %q starts with aws:, which AWS reserves", t.Key)
		case slices.Contains(keys, t.Key):
			v.add(KeyTag, "key %q is set twice", t.Key)
		}
		if !tagChars.MatchString(t.Key) || !tagChars.MatchString(t.Value) {
			v.add(KeyTag, "%s=%s has characters AWS does not allow in tags: use letters, digits, spaces and _ . : / = + - @", t.Key, t.Value)
		}
		if n := utf8.RuneCountInString(t.Value); n > 256 {
			v.add(KeyTag, "value of %q is %d characters: allowed up to 256", t.Key, n)
		}
		keys = append(keys, t.Key)
	}
	if len(tags) > 40 {
		v.add(KeyTag, "%d tags: allowed up to 40, so that ECS can add its own managed tags within the limit of 50", len(tags))
	}
}
