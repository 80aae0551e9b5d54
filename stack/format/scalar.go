package format

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// The tests keep the regular expression that yaml11Implicit replaces and
// check the two agree. A regular expression with counted repeats costs
// half a millisecond to compile, at every start of the program.

// yaml11Implicit reports whether a YAML 1.1 reader, such as PyYAML in
// cfn-lint, takes plain s for something other than a string: yes, on and
// off are booleans there, and 1:30 is a number. yaml.v3 follows YAML 1.2
// and would leave them unquoted. It matches the YAML 1.1 type regexps for
// bool, null, int, float and timestamp (yaml.org/type), plus << and =.
func yaml11Implicit(s string) bool {
	switch s {
	case "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
		"true", "True", "TRUE", "false", "False", "FALSE",
		"on", "On", "ON", "off", "Off", "OFF",
		"~", "null", "Null", "NULL", "<<", "=",
		".nan", ".NaN", ".NAN":
		return true
	}
	if timestampPrefix(s) {
		return true
	}
	t := s
	if t != "" && (t[0] == '-' || t[0] == '+') {
		t = t[1:]
	}
	switch {
	case t == "":
		return false
	case t == ".inf" || t == ".Inf" || t == ".INF":
		return true
	case strings.HasPrefix(t, "0b"):
		return len(t) > 2 && only(t[2:], "01_")
	case strings.HasPrefix(t, "0x"):
		return len(t) > 2 && only(t[2:], "0123456789abcdefABCDEF_")
	case t == "0", t[0] == '0' && only(t[1:], "01234567_"):
		return true // 0, or octal
	case t[0] >= '1' && t[0] <= '9' && only(t[1:], "0123456789_"):
		return true // decimal
	}
	return sexagesimalInt(t) || decimalFloat(t) || sexagesimalFloat(t)
}

// only reports whether every byte of s is in set.
func only(s, set string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(set, s[i]) < 0 {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// digitsAndUnderscores returns the length of the run of [0-9_] at the
// start of s.
func digitsAndUnderscores(s string) int {
	i := 0
	for i < len(s) && (isDigit(s[i]) || s[i] == '_') {
		i++
	}
	return i
}

// timestampPrefix matches [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.* (no newline).
func timestampPrefix(s string) bool {
	if len(s) < 8 || !only(s[:4], "0123456789") || s[4] != '-' || !isDigit(s[5]) {
		return false
	}
	i := 6
	if isDigit(s[i]) {
		i++
	}
	if i+1 >= len(s) || s[i] != '-' || !isDigit(s[i+1]) {
		return false
	}
	return !strings.Contains(s[i+1:], "\n")
}

// sixtieths matches (?::[0-5]?[0-9])+ at the start of s and returns its
// length, or 0.
func sixtieths(s string) int {
	i := 0
	for i < len(s) && s[i] == ':' {
		j := i + 1
		n := 0
		for j+n < len(s) && isDigit(s[j+n]) {
			n++
		}
		if n == 0 || n > 2 || n == 2 && s[j] > '5' {
			break
		}
		i = j + n
	}
	return i
}

// sexagesimalInt matches [1-9][0-9_]*(?::[0-5]?[0-9])+ (1:30 is 90).
func sexagesimalInt(t string) bool {
	if t[0] < '1' || t[0] > '9' {
		return false
	}
	i := 1 + digitsAndUnderscores(t[1:])
	n := sixtieths(t[i:])
	return n > 0 && i+n == len(t)
}

// sexagesimalFloat matches [0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*.
func sexagesimalFloat(t string) bool {
	if !isDigit(t[0]) {
		return false
	}
	i := 1 + digitsAndUnderscores(t[1:])
	n := sixtieths(t[i:])
	if n == 0 {
		return false
	}
	i += n
	if i >= len(t) || t[i] != '.' {
		return false
	}
	i++
	return i+digitsAndUnderscores(t[i:]) == len(t)
}

// decimalFloat matches (?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?.
func decimalFloat(t string) bool {
	i := 0
	if isDigit(t[0]) {
		i = 1 + digitsAndUnderscores(t[1:])
	}
	if i >= len(t) || t[i] != '.' {
		return false
	}
	i++
	i += digitsAndUnderscores(t[i:])
	if i < len(t) && (t[i] == 'e' || t[i] == 'E') {
		i++
		if i < len(t) && (t[i] == '-' || t[i] == '+') {
			i++
		}
		start := i
		for i < len(t) && isDigit(t[i]) {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == len(t)
}

// needsQuotes reports whether a tagged plain scalar would be read back as
// something other than the same string ("!Ref 80" is fine, but "!Sub" of an
// empty string or one with a leading special character is not).
//
// Most values (logical IDs, ${...} substitutions, paths) are plainly
// strings; only the others are checked by reading "k: s" back with yaml.v3.
func needsQuotes(s string) bool {
	if plainString(s) {
		return false
	}
	if s == "" {
		return true
	}
	var out any
	probe := "k: " + s
	if err := yaml.Unmarshal([]byte(probe), &out); err != nil {
		return true
	}
	m, ok := out.(map[string]any)
	if !ok {
		return true
	}
	got, ok := m["k"].(string)
	return !ok || got != s
}

// plainString reports whether "k: s" certainly reads back as the string s:
// it starts with a letter, $ or /, so it is neither a number nor an
// indicator; it holds only letters, digits, spaces and _.-/${}:@,+=() so
// there is no comment, anchor, alias or quote; no ": " or trailing colon
// or space makes it a mapping or changes it; and it is not one of the
// words that read as a boolean or null.
func plainString(s string) bool {
	if s == "" {
		return false
	}
	c := s[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '$' || c == '/') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', isDigit(c):
		case strings.IndexByte(" _.-/${}:@,+=()", c) >= 0:
		default:
			return false
		}
	}
	if last := s[len(s)-1]; last == ':' || last == ' ' || strings.Contains(s, ": ") {
		return false
	}
	return !yaml11Implicit(s)
}
