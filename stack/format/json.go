package format

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// JSON writes doc as JSON indented by two spaces, with keys in the same
// order as YAML and without HTML escapes such as \u003c.
func JSON(doc Document) ([]byte, error) {
	var buf bytes.Buffer
	if err := writeJSON(&buf, doc, inTop, doc, 0); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

func writeJSON(buf *bytes.Buffer, v any, s section, root Document, depth int) error {
	indent := strings.Repeat("  ", depth+1)
	closing := strings.Repeat("  ", depth)
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			buf.WriteString("{}")
			return nil
		}
		buf.WriteString("{\n")
		for i, k := range orderedKeys(s, v, root) {
			if i > 0 {
				buf.WriteString(",\n")
			}
			buf.WriteString(indent)
			if err := writeScalar(buf, k); err != nil {
				return err
			}
			buf.WriteString(": ")
			if err := writeJSON(buf, v[k], s.child(k), root, depth+1); err != nil {
				return err
			}
		}
		buf.WriteString("\n" + closing + "}")
	case []any:
		if len(v) == 0 {
			buf.WriteString("[]")
			return nil
		}
		buf.WriteString("[\n")
		for i, item := range v {
			if i > 0 {
				buf.WriteString(",\n")
			}
			buf.WriteString(indent)
			if err := writeJSON(buf, item, s.itemSection(), root, depth+1); err != nil {
				return err
			}
		}
		buf.WriteString("\n" + closing + "]")
	default:
		return writeScalar(buf, v)
	}
	return nil
}

func writeScalar(buf *bytes.Buffer, v any) error {
	// The common cases directly, as encoding/json writes them; the rest
	// (escapes, non-ASCII text) through encoding/json.
	switch v := v.(type) {
	case string:
		if plainJSONString(v) {
			buf.WriteByte('"')
			buf.WriteString(v)
			buf.WriteByte('"')
			return nil
		}
	case bool:
		buf.WriteString(strconv.FormatBool(v))
		return nil
	case nil:
		buf.WriteString("null")
		return nil
	}
	var scalar bytes.Buffer
	enc := json.NewEncoder(&scalar)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	buf.Write(bytes.TrimSuffix(scalar.Bytes(), []byte("\n")))
	return nil
}

// plainJSONString reports whether s needs no escape in JSON: printable
// ASCII without quotes or backslashes.
func plainJSONString(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7E || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
