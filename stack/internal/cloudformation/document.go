package cloudformation

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// converter turns Go values into the tree encoding/json would decode from
// their JSON (map[string]any, []any, string, json.Number, bool, nil),
// following encoding/json's rules for field names, omitempty and nil, but
// without writing and parsing JSON. It knows goformation's resources, whose
// MarshalJSON wraps the properties in {"Type": ..., "Properties": ...}.
// Other values with a MarshalJSON method go through encoding/json.
type converter struct {
	fields map[reflect.Type][]field // per conversion: no global state
}

type field struct {
	index     int
	name      string
	omitEmpty bool
}

func newConverter() *converter {
	return &converter{fields: map[reflect.Type][]field{}}
}

func reflectValueOf(v any) reflect.Value { return reflect.ValueOf(v) }

var (
	resourceType  = reflect.TypeFor[Resource]()
	marshalerType = reflect.TypeFor[json.Marshaler]()
	textType      = reflect.TypeFor[encoding.TextMarshaler]()
	numberType    = reflect.TypeFor[json.Number]()
)

// value converts v; where names the value in errors.
func (c *converter) value(v reflect.Value, where string) (any, error) {
	if !v.IsValid() {
		return nil, nil
	}
	t := v.Type()
	switch {
	case t == numberType:
		return json.Number(v.String()), nil
	case t.Implements(resourceType) && t.Kind() == reflect.Pointer:
		if v.IsNil() {
			return nil, nil
		}
		return c.resource(v.Interface().(Resource), where)
	case t.Kind() == reflect.Struct && reflect.PointerTo(t).Implements(resourceType) && t.Implements(marshalerType):
		// A goformation resource held by value.
		p := reflect.New(t)
		p.Elem().Set(v)
		return c.resource(p.Interface().(Resource), where)
	case t.Kind() == reflect.Struct && t.Implements(resourceType):
		return c.resource(v.Interface().(Resource), where)
	case t.Implements(marshalerType) || t.Implements(textType):
		if t.Kind() == reflect.Pointer && v.IsNil() {
			return nil, nil
		}
		return c.viaJSON(v.Interface(), where)
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil, nil
		}
		return c.value(v.Elem(), where)
	case reflect.String:
		return c.text(v.String(), where)
	case reflect.Bool:
		return v.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return json.Number(strconv.FormatInt(v.Int(), 10)), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return json.Number(strconv.FormatUint(v.Uint(), 10)), nil
	case reflect.Float32, reflect.Float64:
		return floatNumber(v.Float(), t.Bits(), where)
	case reflect.Map:
		return c.object(v, where)
	case reflect.Slice:
		if v.IsNil() {
			return nil, nil
		}
		if t.Elem().Kind() == reflect.Uint8 {
			return c.viaJSON(v.Interface(), where) // base64, as encoding/json writes it
		}
		fallthrough
	case reflect.Array:
		list := make([]any, v.Len())
		for i := range list {
			item, err := c.value(v.Index(i), where)
			if err != nil {
				return nil, err
			}
			list[i] = item
		}
		return list, nil
	case reflect.Struct:
		return c.structure(v, where)
	}
	return nil, fmt.Errorf("%s: a %s cannot be part of a template", where, t)
}

func (c *converter) object(v reflect.Value, where string) (any, error) {
	if v.IsNil() {
		return nil, nil
	}
	if v.Type().Key().Kind() != reflect.String {
		return c.viaJSON(v.Interface(), where)
	}
	m := make(map[string]any, v.Len())
	iter := v.MapRange()
	for iter.Next() {
		k := iter.Key().String()
		item, err := c.value(iter.Value(), where+"."+k)
		if err != nil {
			return nil, err
		}
		m[k] = item
	}
	return m, nil
}

func (c *converter) structure(v reflect.Value, where string) (map[string]any, error) {
	fields, ok := c.fields[v.Type()]
	if !ok {
		var err error
		if fields, err = structFields(v.Type()); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		c.fields[v.Type()] = fields
	}
	m := make(map[string]any, len(fields))
	for _, f := range fields {
		fv := v.Field(f.index)
		if f.omitEmpty && isEmpty(fv) {
			continue
		}
		item, err := c.value(fv, where+"."+f.name)
		if err != nil {
			return nil, err
		}
		m[f.name] = item
	}
	return m, nil
}

// structFields lists the fields encoding/json writes, with their names.
// Embedded structs, which goformation does not use, are not supported.
func structFields(t reflect.Type) ([]field, error) {
	var fields []field
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		if sf.Anonymous {
			return nil, fmt.Errorf("%s embeds %s, which this converter does not support", t, sf.Type)
		}
		if !sf.IsExported() {
			continue
		}
		name, options, _ := strings.Cut(tag, ",")
		if name == "" {
			name = sf.Name
		}
		f := field{index: i, name: name}
		for _, o := range strings.Split(options, ",") {
			switch o {
			case "omitempty":
				f.omitEmpty = true
			case "string", "omitzero":
				return nil, fmt.Errorf("%s.%s: the json option %q is not supported", t, sf.Name, o)
			}
		}
		fields = append(fields, f)
	}
	return fields, nil
}

// isEmpty is encoding/json's test for omitempty.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// resourceAttributes are the fields of a goformation resource that its
// MarshalJSON writes beside Type and Properties, with their template names.
var resourceAttributes = []struct{ field, key string }{
	{"AWSCloudFormationDependsOn", "DependsOn"},
	{"AWSCloudFormationMetadata", "Metadata"},
	{"AWSCloudFormationDeletionPolicy", "DeletionPolicy"},
	{"AWSCloudFormationUpdateReplacePolicy", "UpdateReplacePolicy"},
	{"AWSCloudFormationCondition", "Condition"},
	{"AWSCloudFormationCreationPolicy", "CreationPolicy"},
	{"AWSCloudFormationUpdatePolicy", "UpdatePolicy"},
}

// resource converts a goformation resource the way its generated
// MarshalJSON writes it: {"Type", "Properties", and the attributes that are
// set}. A resource of another shape goes through its own MarshalJSON.
func (c *converter) resource(r Resource, where string) (any, error) {
	if o, ok := r.(overridden); ok {
		return c.overridden(o, where)
	}
	v := reflect.ValueOf(r)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct || !v.Type().Implements(marshalerType) {
		return c.viaJSON(r, where)
	}
	properties, err := c.structure(v, where+".Properties")
	if err != nil {
		return nil, err
	}
	m := map[string]any{"Type": r.AWSCloudFormationType(), "Properties": properties}
	for _, a := range resourceAttributes {
		fv := v.FieldByName(a.field)
		if !fv.IsValid() || isEmpty(fv) {
			continue
		}
		item, err := c.value(fv, where+"."+a.key)
		if err != nil {
			return nil, err
		}
		m[a.key] = item
	}
	return m, nil
}

// viaJSON converts v through encoding/json, then decodes the intrinsics in
// the result.
func (c *converter) viaJSON(v any, where string) (any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	decoded, err := decodeJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	return c.decoded(decoded, where)
}

// decoded walks a tree from encoding/json and turns the encoded intrinsics
// in its strings into functions.
func (c *converter) decoded(v any, where string) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		for k, item := range v {
			d, err := c.decoded(item, where)
			if err != nil {
				return nil, err
			}
			v[k] = d
		}
		return v, nil
	case []any:
		for i, item := range v {
			d, err := c.decoded(item, where)
			if err != nil {
				return nil, err
			}
			v[i] = d
		}
		return v, nil
	case string:
		return c.text(v, where)
	}
	return v, nil
}

// text returns s, or the intrinsic function s stands for.
func (c *converter) text(s, where string) (any, error) {
	encoded, ok := strings.CutPrefix(s, intrinsicMarker)
	if !ok {
		return s, nil
	}
	if problem, failed := strings.CutPrefix(encoded, "!"); failed {
		return nil, fmt.Errorf("%s: intrinsic function %s", where, problem)
	}
	fn, err := decodeJSON([]byte(encoded))
	if err != nil {
		return nil, fmt.Errorf("%s: an encoded intrinsic function does not decode: %w", where, err)
	}
	return c.decoded(fn, where)
}

func decodeJSON(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// floatNumber writes f as encoding/json does: like ES6, with an exponent
// only for very small and very large numbers.
func floatNumber(f float64, bits int, where string) (any, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, fmt.Errorf("%s: %v is not a number JSON can hold", where, f)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b := strconv.AppendFloat(nil, f, format, -1, bits)
	if format == 'e' {
		// clean up e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return json.Number(b), nil
}
