// Package format writes CloudFormation templates the way people write them
// by hand: sections and keys in their conventional order, two-space YAML
// with short-form intrinsics (!Ref, !GetAtt, !Sub, !If, ...), and indented
// JSON without HTML escapes. It works on any template, not only ours.
//
// A template is handled as a Document: the plain tree that encoding/json
// produces, with numbers kept as json.Number. FromGoformation and Parse make
// one; YAML and JSON write one.
package format

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/awslabs/goformation/v7/cloudformation"
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

// FromGoformation turns a goformation template into a Document.
//
// goformation's intrinsic helpers (cloudformation.Ref, GetAtt, Sub, If, ...)
// return base64-encoded JSON strings, which its own YAML() and JSON() decode
// and then evaluate: a literal {"Ref": "AWS::Region"} comes out as
// "us-east-1". This decodes the helpers' strings into intrinsic maps and
// evaluates nothing.
func FromGoformation(t *cloudformation.Template) (Document, error) {
	raw, err := json.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("marshal template: %w", err)
	}
	doc, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	return decodeIntrinsics(doc).(Document), nil
}

func decodeIntrinsics(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			v[k] = decodeIntrinsics(child)
		}
		return v
	case []any:
		for i, child := range v {
			v[i] = decodeIntrinsics(child)
		}
		return v
	case string:
		if fn, ok := decodeEncodedIntrinsic(v); ok {
			return decodeIntrinsics(fn)
		}
		return v
	default:
		return v
	}
}

// decodeEncodedIntrinsic reports whether s is one of goformation's encoded
// intrinsics, and returns it decoded.
func decodeEncodedIntrinsic(s string) (map[string]any, bool) {
	// Every encoding of `{"X": ...}` starts with "ey" ("{" then a quote or
	// a space); a quick test that spares decoding ordinary strings.
	if len(s) < 8 || len(s)%4 != 0 || s[0] != 'e' {
		return nil, false
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var fn map[string]any
	if err := dec.Decode(&fn); err != nil || len(fn) != 1 {
		return nil, false
	}
	for name := range fn {
		if _, ok := intrinsics[name]; !ok {
			return nil, false
		}
	}
	return fn, true
}
