package cloudformation

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strings"
)

// goformation's typed resources hold strings where a template may hold an
// intrinsic function (VpcId string, Image string, ...). Like goformation,
// the helpers below return the function encoded in a string, which
// Template.Document turns back into {"Ref": ...}, {"Fn::Sub": ...} and so
// on. goformation encodes in base64, so a setting whose text happens to be
// the base64 of {"Ref":"X"} would turn into a reference. Here an encoding
// starts with intrinsicMarker: a NUL byte and a random number drawn when
// the program starts, which no setting can spell. The marker never reaches
// the output, which stays the same from run to run.
var intrinsicMarker = newIntrinsicMarker()

func newIntrinsicMarker() string {
	var nonce [12]byte
	rand.Read(nonce[:]) // never fails (crypto/rand)
	return "\x00cfn-intrinsic-" + hex.EncodeToString(nonce[:]) + ":"
}

// encode returns the string that stands for {name: arg}. A value that
// encoding/json cannot write (a channel, NaN) is kept as an error, which
// Document returns: the helpers have goformation's signatures, without an
// error result.
func encode(name string, arg any) string {
	raw, err := json.Marshal(arg)
	if err != nil {
		return intrinsicMarker + "!" + name + ": " + err.Error()
	}
	var b strings.Builder
	b.Grow(len(intrinsicMarker) + len(name) + len(raw) + 5)
	b.WriteString(intrinsicMarker)
	b.WriteString(`{"`)
	b.WriteString(name)
	b.WriteString(`":`)
	b.Write(raw)
	b.WriteString("}")
	return b.String()
}

// Ref returns a reference to a parameter, a resource or a pseudo parameter
// such as AWS::Region.
func Ref(logicalName any) string { return encode("Ref", logicalName) }

// RefPtr is Ref for an optional field.
func RefPtr(logicalName any) *string { return String(Ref(logicalName)) }

// GetAtt returns an attribute of a resource.
func GetAtt(logicalName, attribute string) string {
	return encode("Fn::GetAtt", []string{logicalName, attribute})
}

// GetAttPtr is GetAtt for an optional field.
func GetAttPtr(logicalName, attribute string) *string {
	return String(GetAtt(logicalName, attribute))
}

// Sub substitutes ${Name} and ${Resource.Attribute} in value.
func Sub(value any) string { return encode("Fn::Sub", value) }

// SubPtr is Sub for an optional field.
func SubPtr(value any) *string { return String(Sub(value)) }

// SubVars is Sub with variables of its own.
func SubVars(value any, variables map[string]any) string {
	return encode("Fn::Sub", []any{value, variables})
}

// SubVarsPtr is SubVars for an optional field.
func SubVarsPtr(value any, variables map[string]any) *string {
	return String(SubVars(value, variables))
}

// Join joins values, a list or a reference to one, with delimiter.
func Join(delimiter, values any) string { return encode("Fn::Join", []any{delimiter, values}) }

// Select returns the item at index of list.
func Select(index, list any) string { return encode("Fn::Select", []any{index, list}) }

// Split splits source at each delimiter.
func Split(delimiter, source any) string { return encode("Fn::Split", []any{delimiter, source}) }

// If returns ifTrue when the condition named condition holds, else ifFalse.
func If(condition, ifTrue, ifFalse any) string {
	return encode("Fn::If", []any{condition, ifTrue, ifFalse})
}

// IfPtr is If for an optional field.
func IfPtr(condition, ifTrue, ifFalse any) *string { return String(If(condition, ifTrue, ifFalse)) }

// Equals is a condition: whether value1 and value2 are equal.
func Equals(value1, value2 any) string { return encode("Fn::Equals", []any{value1, value2}) }

// Not is a condition: the negation of its one condition.
func Not(conditions []string) string { return encode("Fn::Not", conditions) }

// And is a condition: all of conditions hold.
func And(conditions []string) string { return encode("Fn::And", conditions) }

// Or is a condition: any of conditions holds.
func Or(conditions []string) string { return encode("Fn::Or", conditions) }
