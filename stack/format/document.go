// Package format writes CloudFormation templates the way people write them
// by hand: sections and keys in their conventional order, two-space YAML
// with short-form intrinsics (!Ref, !GetAtt, !Sub, !If, ...), and indented
// JSON without HTML escapes. It works on any template, not only ours.
//
// A template is handled as a Document: the plain tree that encoding/json
// produces, with numbers kept as json.Number. Parse (and stack.Build) make
// one; YAML and JSON write one.
package format

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Document is a template as a tree of map[string]any, []any, string,
// json.Number, bool and nil.
type Document = map[string]any

// Parse reads a JSON template.
func Parse(data []byte) (Document, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc Document
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	return doc, nil
}
