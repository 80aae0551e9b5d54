package format

import (
	"math/rand/v2"
	"regexp"
	"testing"

	"gopkg.in/yaml.v3"
)

// yaml11Reference is the regular expression yaml11Implicit replaces, kept
// as the reference it must agree with.
var yaml11Reference = regexp.MustCompile(`^(?:` +
	`y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|` +
	`~|null|Null|NULL|<<|=|` +
	`[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+|` +
	`[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|` +
	`[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*` +
	`)$`)

// scalarSamples are strings near the edges of each YAML 1.1 type.
var scalarSamples = []string{
	"", "y", "yes", "YES", "Yes", "yES", "on", "oN", "~", "<<", "=", "==", "null", "nULL",
	"0", "00", "08", "0_7", "-0", "+", "-", "0b", "0b102", "0b1_0", "0x", "0xfF_", "0xg", "1_000", "_1",
	"1:30", "1:60", "1:5:9", "190:20:30", "0:30", "1:", "1:3a", "1:30.", "1:30.5_", "0:30.5", "1:300.1",
	".", "._", "1.", ".5", "1.5e", "1.5e+3", "1.5E-03", "1e3", "-.inf", ".Inf", "+.nan", ".nan", ".NaN",
	"2024-01-02", "2024-1-2", "2024-1-2T10:00", "2024-1-", "2024-123-1", "2024-1-2\nx", "202-01-02",
	"80", "443", "tcp", "HTTP", "ENABLED", "true ", "arm64", "x86_64", "1.4.0", "LATEST", "/health", "200-399",
}

// TestYAML11ImplicitMatchesTheRegexp proves the hand-written matcher
// agrees with the regular expression, on the samples, on every string of
// up to four characters from the characters that matter, and on random
// longer ones.
func TestYAML11ImplicitMatchesTheRegexp(t *testing.T) {
	check := func(s string) {
		if got, want := yaml11Implicit(s), yaml11Reference.MatchString(s); got != want {
			t.Errorf("yaml11Implicit(%q) = %v, the regexp says %v", s, got, want)
		}
	}
	for _, s := range scalarSamples {
		check(s)
	}
	const alphabet = "0159_:.-+eExb~a"
	var build func(prefix string, n int)
	build = func(prefix string, n int) {
		check(prefix)
		if n == 0 {
			return
		}
		for i := 0; i < len(alphabet); i++ {
			build(prefix+alphabet[i:i+1], n-1)
		}
	}
	n := 4
	if testing.Short() {
		n = 3
	}
	build("", n)
	r := rand.New(rand.NewPCG(1, 2))
	const longAlphabet = "0123456789_:.-+eEx~TZ \n"
	for range 20000 {
		b := make([]byte, 5+r.IntN(10))
		for i := range b {
			b[i] = longAlphabet[r.IntN(len(longAlphabet))]
		}
		if r.IntN(3) == 0 && len(b) > 8 { // steer towards timestamps
			copy(b, "2024-1")
		}
		check(string(b))
	}
}

// FuzzYAML11Implicit checks the same on any input.
func FuzzYAML11Implicit(f *testing.F) {
	for _, s := range scalarSamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := yaml11Implicit(s), yaml11Reference.MatchString(s); got != want {
			t.Errorf("yaml11Implicit(%q) = %v, the regexp says %v", s, got, want)
		}
	})
}

// TestPlainStringReadsBack proves what the quick test in needsQuotes
// accepts, yaml.v3 reads back as the same string: it never skips a value
// that the full check would quote.
func TestPlainStringReadsBack(t *testing.T) {
	samples := append([]string{
		"LoadBalancer", "AWS::Region", "${AWS::StackName}-app", "/ecs/${AWS::StackName}", "a: b", "a:",
		"Ref ", "arn:${AWS::Partition}:s3:::bucket/*", "$", "/", "a #b", "a,b", "f(x)=y", "true", "Null", "on",
		"service/${Cluster}/${Service.Name}", "dualstack.${LoadBalancer.DNSName}", "{a}", "a{b}", "a - b",
	}, scalarSamples...)
	r := rand.New(rand.NewPCG(3, 4))
	const alphabet = "aZ0_.-/${}:@,+=() #!&*'\"[]?|>%`~"
	for range 20000 {
		b := make([]byte, 1+r.IntN(8))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		samples = append(samples, string(b))
	}
	accepted := 0
	for _, s := range samples {
		if !plainString(s) {
			continue
		}
		accepted++
		var out map[string]any
		if err := yaml.Unmarshal([]byte("k: "+s), &out); err != nil {
			t.Errorf("plainString(%q) is true, but k: %s does not parse: %v", s, s, err)
			continue
		}
		if got, ok := out["k"].(string); !ok || got != s {
			t.Errorf("plainString(%q) is true, but it reads back as %#v", s, out["k"])
		}
	}
	if accepted < 100 {
		t.Errorf("only %d samples were plain strings: the test proves little", accepted)
	}
}
