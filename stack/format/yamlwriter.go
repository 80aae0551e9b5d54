package format

import (
	"bytes"

	"gopkg.in/yaml.v3"
)

// yamlWriter writes the node trees that yamlNode builds exactly as yaml.v3's
// encoder (with two-space indentation) writes them, without its cost:
// yaml.v3 keeps every event of a document in a slice that only grows,
// about half a megabyte for one of our templates, and enough garbage to
// start the collector in a process that runs for milliseconds.
//
// It is a transcription of the parts of yaml.v3's emitter (emitterc.go)
// that such trees reach, with the same state: column, indent, and the
// whitespace and indention flags. It handles printable ASCII and line
// breaks in block scalars; for anything else (tabs, other control
// characters, non-ASCII text, leading spaces in block scalars, keys over
// 128 bytes, and tags it does not know) it gives up, and YAML falls back to
// yaml.v3. TestYAMLWriterMatchesYAMLv3 compares the two on random trees.
type yamlWriter struct {
	buf        bytes.Buffer
	column     int
	indent     int
	indents    []int
	whitespace bool
	indention  bool
	flowLevel  int
}

// parent says what holds a node, which decides its indentation.
type parent int

const (
	parentRoot parent = iota
	parentBlockSequence
	parentBlockMappingKey   // the node is a value; yaml.v3's BLOCK_MAPPING_KEY state
	parentBlockMappingValue // the node is a simple key
	parentFlowSequence
)

// writeYAML returns the document root as yaml.v3 writes it, or false if
// root holds something yamlWriter does not handle.
func writeYAML(root *yaml.Node) ([]byte, bool) {
	w := &yamlWriter{indent: -1, whitespace: true, indention: true}
	w.buf.Grow(16 << 10)
	if !w.node(root, parentRoot, false) {
		return nil, false
	}
	// Document end: yaml.v3 ends the last line.
	w.writeIndent()
	return w.buf.Bytes(), true
}

func (w *yamlWriter) put(c byte) {
	w.buf.WriteByte(c)
	w.column++
}

func (w *yamlWriter) putBreak() {
	w.buf.WriteByte('\n')
	w.column = 0
	w.indention = true
}

func (w *yamlWriter) writeString(s string) {
	w.buf.WriteString(s)
	w.column += len(s)
}

func (w *yamlWriter) writeIndent() {
	indent := max(w.indent, 0)
	if !w.indention || w.column > indent || (w.column == indent && !w.whitespace) {
		w.putBreak()
	}
	for w.column < indent {
		w.put(' ')
	}
	w.whitespace = true
}

func (w *yamlWriter) writeIndicator(indicator string, needWhitespace, isWhitespace, isIndention bool) {
	if needWhitespace && !w.whitespace {
		w.put(' ')
	}
	w.writeString(indicator)
	w.whitespace = isWhitespace
	w.indention = w.indention && isIndention
}

func (w *yamlWriter) increaseIndent(flow bool, p parent) {
	w.indents = append(w.indents, w.indent)
	switch {
	case w.indent < 0 && flow:
		w.indent = 2
	case w.indent < 0:
		w.indent = 0
	case p == parentBlockSequence:
		w.indent += 2
	default:
		w.indent = 2 * ((w.indent + 2) / 2)
	}
}

func (w *yamlWriter) popIndent() {
	w.indent = w.indents[len(w.indents)-1]
	w.indents = w.indents[:len(w.indents)-1]
}

// tag returns the tag yaml.v3 writes for n ("" for none), and whether a
// !!str scalar must be double-quoted because it would read back as
// something else; ok is false for a tag this writer does not handle.
func tag(n *yaml.Node) (written string, forceQuoting, ok bool) {
	t := n.Tag
	switch {
	case t == "":
		return "", false, true
	case len(t) > 2 && t[0] == '!' && t[1] == '!':
		if n.Kind != yaml.ScalarNode {
			return "", false, (t == "!!map" && n.Kind == yaml.MappingNode) || (t == "!!seq" && n.Kind == yaml.SequenceNode)
		}
		if t == "!!str" && n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			return "", false, true
		}
		resolved := (&yaml.Node{Kind: yaml.ScalarNode, Value: n.Value}).ShortTag()
		if resolved == t {
			return "", false, true
		}
		if t == "!!str" {
			return "", true, true
		}
		return "", false, false
	case t[0] == '!':
		for i := 1; i < len(t); i++ {
			if c := t[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
				return "", false, false
			}
		}
		return t, false, len(t) > 1
	}
	return "", false, false
}

// writeTag writes a tag such as !Ref, as yaml.v3's handle "!" and suffix.
func (w *yamlWriter) writeTag(t string) {
	if t == "" {
		return
	}
	if !w.whitespace {
		w.put(' ')
	}
	w.writeString(t)
	w.whitespace = false
	w.indention = false
}

func (w *yamlWriter) node(n *yaml.Node, p parent, simpleKey bool) bool {
	t, forceQuoting, ok := tag(n)
	if !ok || n.Anchor != "" || n.HeadComment != "" || n.LineComment != "" || n.FootComment != "" {
		return false
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return w.scalar(n, t, forceQuoting, p, simpleKey)
	case yaml.SequenceNode:
		if simpleKey && len(n.Content) > 0 {
			return false
		}
		w.writeTag(t)
		if w.flowLevel > 0 || n.Style&yaml.FlowStyle != 0 || len(n.Content) == 0 {
			return w.flowSequence(n, p)
		}
		return w.blockSequence(n, p)
	case yaml.MappingNode:
		if simpleKey && len(n.Content) > 0 || n.Style&yaml.FlowStyle != 0 || w.flowLevel > 0 {
			return false
		}
		w.writeTag(t)
		if len(n.Content) == 0 {
			w.writeIndicator("{", true, true, false)
			w.increaseIndent(true, p)
			w.popIndent()
			w.writeIndicator("}", false, false, false)
			return true
		}
		return w.blockMapping(n, p)
	}
	return false
}

func (w *yamlWriter) flowSequence(n *yaml.Node, p parent) bool {
	w.writeIndicator("[", true, true, false)
	w.increaseIndent(true, p)
	w.flowLevel++
	for i, item := range n.Content {
		if i > 0 {
			w.writeIndicator(",", false, false, false)
		}
		if !w.node(item, parentFlowSequence, false) {
			return false
		}
	}
	w.flowLevel--
	w.popIndent()
	w.writeIndicator("]", false, false, false)
	return true
}

func (w *yamlWriter) blockSequence(n *yaml.Node, p parent) bool {
	w.increaseIndent(false, p)
	for _, item := range n.Content {
		w.writeIndent()
		w.writeIndicator("-", true, false, true)
		if !w.node(item, parentBlockSequence, false) {
			return false
		}
	}
	w.popIndent()
	return true
}

func (w *yamlWriter) blockMapping(n *yaml.Node, p parent) bool {
	if len(n.Content)%2 != 0 {
		return false
	}
	w.increaseIndent(false, p)
	for i := 0; i < len(n.Content); i += 2 {
		key, value := n.Content[i], n.Content[i+1]
		w.writeIndent()
		// yaml.v3 writes a key after "? " unless it is a one-line scalar
		// of at most 128 bytes with its tag.
		if key.Kind != yaml.ScalarNode {
			return false
		}
		if t, _, _ := tag(key); len(t)+len(key.Value) > 128 {
			return false
		}
		if !w.node(key, parentBlockMappingValue, true) {
			return false
		}
		w.writeIndicator(":", false, false, false)
		if !w.node(value, parentBlockMappingKey, false) {
			return false
		}
	}
	w.popIndent()
	return true
}

// scalarStyle is a yaml.v3 scalar style.
type scalarStyle int

const (
	plainStyle scalarStyle = iota
	singleQuotedStyle
	doubleQuotedStyle
	literalStyle
)

// scalarAnalysis is yaml.v3's yaml_emitter_analyze_scalar, for printable
// ASCII and line feeds.
type scalarAnalysis struct {
	multiline, flowPlain, blockPlain, singleQuoted, block bool
}

func analyze(v string) (a scalarAnalysis, ok bool) {
	if v == "" {
		return scalarAnalysis{blockPlain: true, singleQuoted: true}, true
	}
	var blockIndicators, flowIndicators, lineBreaks bool
	var leadingSpace, leadingBreak, trailingSpace, trailingBreak, breakSpace, spaceBreak bool
	if len(v) >= 3 && (v[:3] == "---" || v[:3] == "...") {
		blockIndicators, flowIndicators = true, true
	}
	precededByWhitespace := true
	previousSpace, previousBreak := false, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != '\n' && (c < 0x20 || c > 0x7E) {
			return a, false
		}
		followedByWhitespace := i+1 >= len(v) || v[i+1] == ' ' || v[i+1] == '\t'
		if i == 0 {
			switch c {
			case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
				flowIndicators, blockIndicators = true, true
			case '?', ':':
				flowIndicators = true
				if followedByWhitespace {
					blockIndicators = true
				}
			case '-':
				if followedByWhitespace {
					flowIndicators, blockIndicators = true, true
				}
			}
		} else {
			switch c {
			case ',', '?', '[', ']', '{', '}':
				flowIndicators = true
			case ':':
				flowIndicators = true
				if followedByWhitespace {
					blockIndicators = true
				}
			case '#':
				if precededByWhitespace {
					flowIndicators, blockIndicators = true, true
				}
			}
		}
		switch c {
		case ' ':
			if i == 0 {
				leadingSpace = true
			}
			if i+1 == len(v) {
				trailingSpace = true
			}
			if previousBreak {
				breakSpace = true
			}
			previousSpace, previousBreak = true, false
		case '\n':
			lineBreaks = true
			if i == 0 {
				leadingBreak = true
			}
			if i+1 == len(v) {
				trailingBreak = true
			}
			if previousSpace {
				spaceBreak = true
			}
			previousSpace, previousBreak = false, true
		default:
			previousSpace, previousBreak = false, false
		}
		precededByWhitespace = c == ' ' || c == '\n'
	}
	a = scalarAnalysis{multiline: lineBreaks, flowPlain: true, blockPlain: true, singleQuoted: true, block: true}
	if leadingSpace || leadingBreak || trailingSpace || trailingBreak {
		a.flowPlain, a.blockPlain = false, false
	}
	if trailingSpace {
		a.block = false
	}
	if breakSpace {
		a.flowPlain, a.blockPlain, a.singleQuoted = false, false, false
	}
	if spaceBreak {
		a.flowPlain, a.blockPlain, a.singleQuoted, a.block = false, false, false, false
	}
	if lineBreaks {
		a.flowPlain, a.blockPlain = false, false
	}
	if flowIndicators {
		a.flowPlain = false
	}
	if blockIndicators {
		a.blockPlain = false
	}
	return a, true
}

func (w *yamlWriter) scalar(n *yaml.Node, t string, forceQuoting bool, p parent, simpleKey bool) bool {
	v := n.Value
	a, ok := analyze(v)
	if !ok {
		return false
	}
	// The style yaml.v3's encoder asks for (encode.go), then the one its
	// emitter picks (yaml_emitter_select_scalar_style).
	style := plainStyle
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		style = doubleQuotedStyle
	case n.Style&yaml.SingleQuotedStyle != 0:
		style = singleQuotedStyle
	case n.Style&yaml.LiteralStyle != 0:
		style = literalStyle
	case n.Style&yaml.FoldedStyle != 0:
		return false
	case a.multiline:
		style = literalStyle
	case forceQuoting:
		style = doubleQuotedStyle
	}
	if simpleKey && a.multiline {
		return false // yaml.v3 would not take it as a simple key
	}
	if style == plainStyle {
		if w.flowLevel > 0 && !a.flowPlain || w.flowLevel == 0 && !a.blockPlain {
			style = singleQuotedStyle
		}
		if v == "" && (w.flowLevel > 0 || simpleKey) {
			style = singleQuotedStyle
		}
	}
	if style == singleQuotedStyle && !a.singleQuoted {
		style = doubleQuotedStyle
	}
	if style == literalStyle && (!a.block || w.flowLevel > 0 || simpleKey) {
		style = doubleQuotedStyle
	}

	w.writeTag(t)
	w.increaseIndent(true, p)
	defer w.popIndent()
	switch style {
	case plainStyle:
		if v != "" && !w.whitespace {
			w.put(' ')
		}
		w.writeString(v)
		if v != "" {
			w.whitespace = false
		}
		w.indention = false
	case singleQuotedStyle:
		if bytesIndex(v, '\n') {
			return false
		}
		w.writeIndicator("'", true, false, false)
		for i := 0; i < len(v); i++ {
			if v[i] == '\'' {
				w.put('\'')
			}
			w.put(v[i])
		}
		w.writeIndicator("'", false, false, false)
		w.whitespace = false
		w.indention = false
	case doubleQuotedStyle:
		w.writeIndicator(`"`, true, false, false)
		for i := 0; i < len(v); i++ {
			switch c := v[i]; c {
			case '\n':
				w.writeString(`\n`)
			case '"', '\\':
				w.put('\\')
				w.put(c)
			default:
				w.put(c)
			}
		}
		w.writeIndicator(`"`, false, false, false)
		w.whitespace = false
		w.indention = false
	case literalStyle:
		// Leading spaces or breaks need an indentation indicator, and
		// more than one trailing break the keep indicator, which ends
		// the document open; yaml.v3 handles those.
		if v == "" || v[0] == ' ' || v[0] == '\n' || v == "\n" || len(v) >= 2 && v[len(v)-1] == '\n' && v[len(v)-2] == '\n' {
			return false
		}
		w.writeIndicator("|", true, false, false)
		if v[len(v)-1] != '\n' {
			w.writeIndicator("-", false, false, false)
		}
		w.whitespace = true
		breaks := true
		for i := 0; i < len(v); i++ {
			if v[i] == '\n' {
				w.putBreak()
				breaks = true
				continue
			}
			if breaks {
				w.writeIndent()
			}
			w.put(v[i])
			w.indention = false
			breaks = false
		}
	}
	return true
}

func bytesIndex(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}
