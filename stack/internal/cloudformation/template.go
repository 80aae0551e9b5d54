// Package cloudformation is the part of goformation's root package that
// stack uses: the template skeleton (Template, Parameter, Output), the
// intrinsic function helpers (Ref, GetAtt, Sub, If, ...) and the pointer
// helpers (String, Int, Bool, Float64), with the same names and signatures.
//
// It exists for the size and start-up time of the binary. goformation's root
// package imports all of its 242 resource packages (its generated all.go),
// so importing it links every resource type. The resource packages, such as
// goformation/v7/cloudformation/ecs, do not import the root, so with this
// package stack links only the resource packages it uses.
//
// A Template turns into a format.Document directly (Template.Document),
// without a JSON round trip.
package cloudformation

import "github.com/cfnfargate/cfnfargate/stack/format"

// Template is a CloudFormation template under construction. The JSON tags
// are goformation's, which are the template anatomy's section names.
type Template struct {
	AWSTemplateFormatVersion string         `json:"AWSTemplateFormatVersion,omitempty"`
	Description              string         `json:"Description,omitempty"`
	Metadata                 map[string]any `json:"Metadata,omitempty"`
	Parameters               Parameters     `json:"Parameters,omitempty"`
	Mappings                 map[string]any `json:"Mappings,omitempty"`
	Conditions               map[string]any `json:"Conditions,omitempty"`
	Resources                Resources      `json:"Resources,omitempty"`
	Outputs                  Outputs        `json:"Outputs,omitempty"`
}

// Parameter is one entry of the Parameters section.
type Parameter struct {
	Type                  string   `json:"Type"`
	Description           *string  `json:"Description,omitempty"`
	Default               any      `json:"Default,omitempty"`
	AllowedPattern        *string  `json:"AllowedPattern,omitempty"`
	AllowedValues         []any    `json:"AllowedValues,omitempty"`
	ConstraintDescription *string  `json:"ConstraintDescription,omitempty"`
	MaxLength             *int     `json:"MaxLength,omitempty"`
	MinLength             *int     `json:"MinLength,omitempty"`
	MaxValue              *float64 `json:"MaxValue,omitempty"`
	MinValue              *float64 `json:"MinValue,omitempty"`
	NoEcho                *bool    `json:"NoEcho,omitempty"`
}

// Output is one entry of the Outputs section.
type Output struct {
	Value       any     `json:"Value"`
	Description *string `json:"Description,omitempty"`
	Export      *Export `json:"Export,omitempty"`
	Condition   *string `json:"Condition,omitempty"`
}

// Export names an output for Fn::ImportValue in other stacks.
type Export struct {
	Name string `json:"Name,omitempty"`
}

// Resource is any goformation resource, such as *ecs.Service.
type Resource interface {
	AWSCloudFormationType() string
}

// Parameters, Resources and Outputs are the template's sections, keyed by
// logical ID.
type (
	Parameters map[string]Parameter
	Resources  map[string]Resource
	Outputs    map[string]Output
)

// NewTemplate returns an empty template with every section ready to fill,
// like goformation's NewTemplate.
func NewTemplate() *Template {
	return &Template{
		AWSTemplateFormatVersion: "2010-09-09",
		Metadata:                 map[string]any{},
		Parameters:               Parameters{},
		Mappings:                 map[string]any{},
		Conditions:               map[string]any{},
		Resources:                Resources{},
		Outputs:                  Outputs{},
	}
}

// Document returns the template as a format.Document: the tree that
// encoding/json would produce from goformation's JSON, with numbers as
// json.Number and every intrinsic helper's string turned back into the
// intrinsic function it stands for. Nothing is evaluated: !Ref AWS::Region
// stays a reference.
func (t *Template) Document() (format.Document, error) {
	c := newConverter()
	v, err := c.value(reflectValueOf(t), "template")
	if err != nil {
		return nil, err
	}
	doc, _ := v.(map[string]any)
	return doc, nil
}
