package format

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestYAMLWriterWritesTheGoldenFiles proves the writer handles every golden
// template itself, without falling back to yaml.v3, and writes each byte
// for byte as yaml.v3 does (and as the file holds).
func TestYAMLWriterWritesTheGoldenFiles(t *testing.T) {
	paths, err := filepath.Glob("../../testdata/*.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var root yaml.Node
		if err := yaml.Unmarshal(data, &root); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		doc := normalizeNumbers(expandTags(t, root.Content[0])).(map[string]any)
		node := yamlNode(doc, inTop, doc)
		got, ok := writeYAML(node)
		if !ok {
			t.Errorf("%s: the writer gave up", path)
			continue
		}
		want, err := encodeYAMLv3(node)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s: the writer and yaml.v3 differ:\n%s", path, firstDifference(string(got), string(want)))
		}
		if string(got) != string(data) {
			t.Errorf("%s: the writer does not reproduce the file:\n%s", path, firstDifference(string(got), string(data)))
		}
	}
}

// normalizeNumbers turns the numbers yaml.v3 decodes into json.Number, as
// in a Document.
func normalizeNumbers(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, c := range v {
			v[k] = normalizeNumbers(c)
		}
	case []any:
		for i, c := range v {
			v[i] = normalizeNumbers(c)
		}
	case int, float64:
		raw, _ := json.Marshal(v)
		return json.Number(raw)
	}
	return v
}

// TestYAMLWriterMatchesYAMLv3 proves that on random templates the writer
// either gives up or writes exactly what yaml.v3 writes, and that it gives
// up only on what it says it does not handle.
func TestYAMLWriterMatchesYAMLv3(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	runs := 2000
	if testing.Short() {
		runs = 500
	}
	handled := 0
	for i := range runs {
		doc := map[string]any{}
		for range 1 + r.IntN(4) {
			doc[randomString(r, true)] = randomValue(r, 0)
		}
		node := yamlNode(doc, inTop, doc)
		want, err := encodeYAMLv3(node)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := writeYAML(node)
		if !ok {
			continue
		}
		handled++
		if string(got) != string(want) {
			raw, _ := json.Marshal(doc)
			t.Fatalf("run %d: the writer and yaml.v3 differ for %s:\n%s", i, raw, firstDifference(string(got), string(want)))
		}
	}
	if handled < runs/3 {
		t.Errorf("the writer handled only %d of %d random templates", handled, runs)
	}
}

// randomString draws from characters that decide YAML quoting: indicators,
// quotes, spaces, line breaks, and words and numbers YAML 1.1 reads as
// something else. Now and then it draws a tab or non-ASCII text, on which
// the writer gives up.
func randomString(r *rand.Rand, key bool) string {
	words := []string{"", "a", "Ref", "yes", "no", "on", "true", "null", "~", "0", "12", "1.5", "1e3", "0x1F", "1:30",
		"2024-01-02", "-", "- a", "---", "...", "a: b", "a:b", "#c", "a #c", "'q'", `"q"`, "${AWS::StackName}", "AWS::Region",
		" lead", "trail ", "line1\nline2", "line\n", "\nlead", "two\n\n", "x\n y", "x \ny", "[a]", "{b}", "a,b", "*", "&a", "!t",
		"%", "@", "`", "|", ">", "?", "? a", ": a", "a\\b", "<<", "=", "\t", "é", strings.Repeat("k", 130)}
	if r.IntN(3) == 0 {
		return words[r.IntN(len(words))]
	}
	const alphabet = "aZ09 :-#',\"[]{}!&*?|>%@`\\\n./$_~="
	n := r.IntN(12)
	if key {
		n = 1 + r.IntN(6)
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

var randomIntrinsics = []string{"Ref", "Fn::Sub", "Fn::GetAtt", "Fn::If", "Fn::Join", "Fn::Select", "Fn::Split", "Fn::Base64", "Fn::Equals", "Fn::Not", "Fn::Transform"}

func randomValue(r *rand.Rand, depth int) any {
	choice := r.IntN(10)
	if depth > 4 {
		choice = r.IntN(4)
	}
	switch choice {
	case 0, 1:
		return randomString(r, false)
	case 2:
		return []any{json.Number("80"), json.Number("1.5"), json.Number("-3"), json.Number("1e+21"), true, false, nil}[r.IntN(7)]
	case 3:
		return map[string]any{randomIntrinsics[r.IntN(len(randomIntrinsics))]: randomString(r, false)}
	case 4, 5:
		m := map[string]any{}
		for range r.IntN(4) {
			m[randomString(r, true)] = randomValue(r, depth+1)
		}
		return m
	case 6, 7:
		l := make([]any, r.IntN(4))
		for i := range l {
			l[i] = randomValue(r, depth+1)
		}
		return l
	default:
		args := make([]any, 1+r.IntN(3))
		for i := range args {
			args[i] = randomValue(r, depth+2)
		}
		if r.IntN(2) == 0 {
			args = []any{randomString(r, false), args}
		}
		return map[string]any{randomIntrinsics[r.IntN(len(randomIntrinsics))]: args}
	}
}

func firstDifference(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	start := max(0, strings.LastIndex(got[:i], "\n")-200)
	return "got:\n" + got[start:min(len(got), i+100)] + "\n--- want:\n" + want[start:min(len(want), i+100)]
}
