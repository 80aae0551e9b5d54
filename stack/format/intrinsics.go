package format

// intrinsic is what the formatter knows of one intrinsic function.
type intrinsic struct {
	// tag is the short form YAML writes the function in, such as "!Ref";
	// empty keeps the long form.
	tag string
	// conditional functions take condition expressions as arguments, where
	// {"Condition": "X"} refers to another condition.
	conditional bool
}

// intrinsics are the intrinsic functions, with Ref and Condition, and how
// YAML writes each.
var intrinsics = map[string]intrinsic{
	"Ref":             {tag: "!Ref"},
	"Condition":       {tag: "!Condition"},
	"Fn::Base64":      {tag: "!Base64"},
	"Fn::And":         {tag: "!And", conditional: true},
	"Fn::Equals":      {tag: "!Equals"},
	"Fn::If":          {tag: "!If"},
	"Fn::Not":         {tag: "!Not", conditional: true},
	"Fn::Or":          {tag: "!Or", conditional: true},
	"Fn::FindInMap":   {tag: "!FindInMap"},
	"Fn::GetAtt":      {tag: "!GetAtt"},
	"Fn::GetAZs":      {tag: "!GetAZs"},
	"Fn::ImportValue": {tag: "!ImportValue"},
	"Fn::Join":        {tag: "!Join"},
	"Fn::Select":      {tag: "!Select"},
	"Fn::Split":       {tag: "!Split"},
	"Fn::Sub":         {tag: "!Sub"},
	"Fn::Cidr":        {tag: "!Cidr"},
	// These keep their long form, as they always have here: cfnfargate's
	// templates use none of them, and no golden file shows their short
	// forms. Fn::Length and Fn::ToJsonString need the
	// AWS::LanguageExtensions transform.
	"Fn::Transform":    {},
	"Fn::Length":       {},
	"Fn::ToJsonString": {},
}
