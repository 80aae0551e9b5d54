package stack

// testdata/schemas/create-only.json holds the createOnlyProperties of every
// resource type the templates emit, read from the resource schemas that
// cfn-lint ships; TestUpdateSafety predicts replacements from it. Run
// go generate ./stack after a new resource type appears in testdata/ or
// after upgrading cfn-lint. ListenerRule is not emitted yet; it is listed so
// that path-based routing finds its schema ready.
//go:generate go run ../internal/schemagen -templates ../testdata/*.yaml -also AWS::ElasticLoadBalancingV2::ListenerRule -out ../testdata/schemas/create-only.json
