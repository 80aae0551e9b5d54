// Package copilot reads an AWS Copilot "Load Balanced Web Service" manifest
// (copilot/<service>/manifest.yml) and maps it onto cfnfargate's settings.
//
// Import returns the settings, keyed by cfnfargate's setting keys (the
// stack.Key* constants), each with the manifest key and line it came from,
// and a report of every manifest key that cfnfargate does not take, that
// Copilot itself ignores, or whose behaviour changes after the move. It
// reads nothing from AWS and prints nothing: the caller words and writes.
//
// Copilot's manifest reference is the source of every default and format
// cited here: https://aws.github.io/copilot-cli/docs/manifest/lb-web-service/
// (site/content/docs/include/*.en.md in aws/copilot-cli).
package copilot

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/cfnfargate/cfnfargate/internal/lazyregexp"

	"gopkg.in/yaml.v3"
)

// LBWS is the manifest type this package imports.
const LBWS = "Load Balanced Web Service"

// otherTypes are Copilot's other manifest types, with what each means for
// a move to cfnfargate.
var otherTypes = map[string]string{
	"Backend Service":            "it has no internet-facing load balancer, and cfnfargate always puts the service behind an Application Load Balancer of its own or a shared environment's; --internal, reached only from the networks allow-cidr gives, is the nearest",
	"Worker Service":             "it reads from SQS queues and serves no HTTP, and cfnfargate runs a web service behind an HTTPS load balancer",
	"Scheduled Job":              "it is a task run on a schedule, and cfnfargate runs a long-lived web service",
	"Request-Driven Web Service": "it runs on AWS App Runner, not ECS; cfnfargate can run the same image on Fargate: change the type to \"Load Balanced Web Service\" and add image.port",
	"Static Site":                "it serves files from S3 and CloudFront, not a container",
	"Environment":                "it describes a Copilot environment (VPC, load balancer, certificates), not a service: import the service's manifest, copilot/<service>/manifest.yml",
}

// node is a manifest node with the dotted key that leads to it, for
// messages.
type node struct {
	*yaml.Node
	key string
}

func (n node) line() int { return n.Line }

// get returns the value of key in the mapping n.
func (n node) get(key string) (node, bool) {
	if n.Node == nil || n.Kind != yaml.MappingNode {
		return node{}, false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return node{n.Content[i+1], join(n.key, key)}, true
		}
	}
	return node{}, false
}

// keyLine is the line of key in the mapping n, or n's own line.
func (n node) keyLine(key string) int {
	if n.Node != nil && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i].Line
			}
		}
	}
	if n.Node == nil {
		return 0
	}
	return n.Line
}

// entries are the keys and values of the mapping n, in the file's order.
func (n node) entries() []entry {
	if n.Node == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	out := make([]entry, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		out = append(out, entry{name: k.Value, line: k.Line, value: node{n.Content[i+1], join(n.key, k.Value)}})
	}
	return out
}

type entry struct {
	name  string
	line  int
	value node
}

func join(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func (n node) isNull() bool {
	return n.Node == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

func (n node) isMap() bool { return n.Node != nil && n.Kind == yaml.MappingNode }
func (n node) isSeq() bool { return n.Node != nil && n.Kind == yaml.SequenceNode }
func (n node) isScalar() bool {
	return n.Node != nil && n.Kind == yaml.ScalarNode && n.Tag != "!!null"
}

// kind names what n is, for "expected ..., got ..." messages.
func (n node) kind() string {
	switch {
	case n.isNull():
		return "nothing"
	case n.isMap():
		return "a map"
	case n.isSeq():
		return "a list"
	case n.Tag == "!!int":
		return "the number " + n.Value
	case n.Tag == "!!bool":
		return n.Value
	}
	return strconv.Quote(n.Value)
}

// decodeError is a value of the wrong type at a key.
func (n node) wrongType(expected string) Problem {
	return Problem{Key: n.key, Line: n.line(), Message: fmt.Sprintf("expected %s, got %s", expected, n.kind())}
}

// str decodes a scalar as Copilot does: yaml.v3 into a string, so that
// port: 8080 reads as "8080".
func (n node) str() (string, *Problem) {
	if !n.isScalar() {
		p := n.wrongType("a string")
		return "", &p
	}
	return n.Value, nil
}

// integer decodes a whole number the way Copilot's yaml.v3 decoding does:
// "512" in quotes is a string, not a number.
func (n node) integer() (int, *Problem) {
	var v int
	if !n.isScalar() || n.Decode(&v) != nil {
		p := n.wrongType("a whole number")
		return 0, &p
	}
	return v, nil
}

func (n node) boolean() (bool, *Problem) {
	var v bool
	if !n.isScalar() || n.Decode(&v) != nil {
		p := n.wrongType("true or false")
		return false, &p
	}
	return v, nil
}

// strings decodes a string or a list of strings.
func (n node) strings() ([]string, *Problem) {
	if n.isScalar() {
		return []string{n.Value}, nil
	}
	if !n.isSeq() {
		p := n.wrongType("a list of strings")
		return nil, &p
	}
	out := make([]string, 0, len(n.Content))
	for _, item := range n.Content {
		if item.Kind != yaml.ScalarNode || item.Tag == "!!null" {
			p := node{item, n.key}.wrongType("a list of strings")
			return nil, &p
		}
		out = append(out, item.Value)
	}
	return out, nil
}

// seconds decodes a Copilot duration into whole seconds. Copilot writes
// durations as Go durations (30s, 1m30s, 100ms); the manifests in the wild
// also hold bare numbers, which mean seconds. A duration that is not a
// whole number of seconds is rounded up, and rounded reports it, because
// the AWS fields it lands in take whole seconds.
func (n node) seconds() (secs int, rounded bool, problem *Problem) {
	if !n.isScalar() {
		p := n.wrongType("a duration such as 30s or 2m")
		return 0, false, &p
	}
	if n.Tag == "!!int" {
		v, p := n.integer()
		if p == nil && v < 0 {
			pr := Problem{Key: n.key, Line: n.line(), Message: fmt.Sprintf("%d is negative: expected a duration such as 30s", v)}
			return 0, false, &pr
		}
		return v, false, p
	}
	d, err := time.ParseDuration(strings.TrimSpace(n.Value))
	if err != nil {
		if v, convErr := strconv.Atoi(strings.TrimSpace(n.Value)); convErr == nil && v >= 0 {
			return v, false, nil
		}
		p := Problem{Key: n.key, Line: n.line(), Message: fmt.Sprintf("%q is not a duration: use a number and a unit, such as 30s, 2m or 500ms", n.Value)}
		return 0, false, &p
	}
	if d < 0 {
		p := Problem{Key: n.key, Line: n.line(), Message: fmt.Sprintf("%q is negative: expected a duration such as 30s", n.Value)}
		return 0, false, &p
	}
	if d > time.Duration(math.MaxInt32)*time.Second {
		p := Problem{Key: n.key, Line: n.line(), Message: fmt.Sprintf("%q is too long", n.Value)}
		return 0, false, &p
	}
	s := d / time.Second
	if d%time.Second != 0 {
		return int(s) + 1, true, nil
	}
	return int(s), false, nil
}

// parse reads a manifest into its root mapping, with aliases and merge
// keys resolved so that the rest of the package sees plain trees.
func parse(data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the file is empty: expected a Copilot manifest with name, type, image and http")
		}
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		line := doc.Line
		if len(doc.Content) > 0 {
			line = doc.Content[0].Line
		}
		return nil, fmt.Errorf("line %d: not a Copilot manifest: expected a mapping with name, type, image and http", line)
	}
	return resolve(doc.Content[0], 0)
}

// maxDepth bounds alias expansion: a "billion laughs" document of aliases
// would otherwise expand without end.
const maxDepth = 64

// resolve copies n with every alias replaced by what it names and every
// merge key (<<) folded into its mapping; keys given in the mapping itself
// win over merged ones, as YAML's merge key specifies.
func resolve(n *yaml.Node, depth int) (*yaml.Node, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("line %d: nested deeper than %d levels (aliases that refer to each other?)", n.Line, maxDepth)
	}
	if n.Kind == yaml.AliasNode {
		return resolve(n.Alias, depth+1)
	}
	c := *n
	c.Content = nil
	if n.Kind == yaml.SequenceNode {
		for _, item := range n.Content {
			r, err := resolve(item, depth+1)
			if err != nil {
				return nil, err
			}
			c.Content = append(c.Content, r)
		}
		return &c, nil
	}
	if n.Kind != yaml.MappingNode {
		return &c, nil
	}
	own := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Tag != "!!merge" {
			own[n.Content[i].Value] = true
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Tag != "!!merge" {
			r, err := resolve(v, depth+1)
			if err != nil {
				return nil, err
			}
			c.Content = append(c.Content, k, r)
			continue
		}
		merged, err := resolve(v, depth+1)
		if err != nil {
			return nil, err
		}
		sources := []*yaml.Node{merged}
		if merged.Kind == yaml.SequenceNode {
			sources = merged.Content
		}
		for _, src := range sources {
			if src.Kind != yaml.MappingNode {
				return nil, fmt.Errorf("line %d: a merge key (<<) needs a mapping", k.Line)
			}
			for j := 0; j+1 < len(src.Content); j += 2 {
				if name := src.Content[j].Value; !own[name] {
					own[name] = true
					c.Content = append(c.Content, src.Content[j], src.Content[j+1])
				}
			}
		}
	}
	return &c, nil
}

// overlay merges the override mapping into base, as Copilot applies an
// environments.<env> block: maps merge key by key, and anything else
// (a scalar, a list, or a map over a scalar) replaces what was there.
func overlay(base, override *yaml.Node) *yaml.Node {
	if base == nil || base.Kind != yaml.MappingNode || override.Kind != yaml.MappingNode {
		return override
	}
	c := *base
	c.Content = append([]*yaml.Node(nil), base.Content...)
	for i := 0; i+1 < len(override.Content); i += 2 {
		k, v := override.Content[i], override.Content[i+1]
		found := false
		for j := 0; j+1 < len(c.Content); j += 2 {
			if c.Content[j].Value == k.Value {
				c.Content[j+1] = overlay(c.Content[j+1], v)
				found = true
				break
			}
		}
		if !found {
			c.Content = append(c.Content, k, v)
		}
	}
	return &c
}

// placeholder is ${NAME} in a manifest value. Copilot fills
// ${COPILOT_APPLICATION_NAME} and ${COPILOT_ENVIRONMENT_NAME} itself and
// every other ${NAME} from the shell's environment when it reads the
// manifest (Copilot docs, "Manifest: environment variable interpolation").
var placeholder = lazyregexp.New(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// Copilot's own placeholders.
const (
	AppPlaceholder = "COPILOT_APPLICATION_NAME"
	EnvPlaceholder = "COPILOT_ENVIRONMENT_NAME"
)

// interpolate fills the placeholders of every scalar under n, in place.
// It reports each placeholder it cannot fill, with the node that holds it.
func interpolate(n node, fill func(name string) (string, bool), missing func(n node, name string)) {
	switch {
	case n.isMap():
		for _, e := range n.entries() {
			interpolate(e.value, fill, missing)
		}
	case n.isSeq():
		for _, item := range n.Content {
			interpolate(node{item, n.key}, fill, missing)
		}
	case n.isScalar() && strings.Contains(n.Value, "${"):
		n.Value = placeholder.Regexp().ReplaceAllStringFunc(n.Value, func(m string) string {
			name := m[2 : len(m)-1]
			v, ok := fill(name)
			if !ok {
				missing(n, name)
				return m
			}
			return v
		})
	}
}
