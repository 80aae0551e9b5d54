// Package lazyregexp is a regular expression that is compiled the first
// time it is used, not when its package is initialized.
//
// Every package's variables are initialized when the program starts,
// whatever the command. cfnfargate's patterns validate input that most runs
// never see (role ARNs, WAF ARNs, tags...), and a pattern with a counted
// repeat such as [A-Za-z0-9_-]{1,255} compiles into a program with one
// copy of its class per count: about a millisecond each, before emit even
// reads its flags. Like Go's own cmd/go/internal/lazyregexp, a Regexp here
// keeps the pattern and compiles it once, on first use, safely from any
// goroutine.
package lazyregexp

import (
	"regexp"
	"sync"
)

// Regexp is a regexp.Regexp compiled on first use. It offers the methods
// cfnfargate uses; add others as they are needed.
type Regexp struct {
	compiled func() *regexp.Regexp
}

// New returns a Regexp for pattern. Like regexp.MustCompile it panics on a
// bad pattern, but at first use: each pattern's package tests use it.
func New(pattern string) *Regexp {
	return &Regexp{compiled: sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(pattern)
	})}
}

// Regexp returns the compiled expression.
func (r *Regexp) Regexp() *regexp.Regexp { return r.compiled() }

// String returns the source text of the expression.
func (r *Regexp) String() string { return r.compiled().String() }

// MatchString reports whether s contains any match of the expression.
func (r *Regexp) MatchString(s string) bool { return r.compiled().MatchString(s) }

// FindStringSubmatch is regexp.Regexp.FindStringSubmatch.
func (r *Regexp) FindStringSubmatch(s string) []string {
	return r.compiled().FindStringSubmatch(s)
}

// FindAllStringSubmatch is regexp.Regexp.FindAllStringSubmatch.
func (r *Regexp) FindAllStringSubmatch(s string, n int) [][]string {
	return r.compiled().FindAllStringSubmatch(s, n)
}

// ReplaceAllString is regexp.Regexp.ReplaceAllString.
func (r *Regexp) ReplaceAllString(src, repl string) string {
	return r.compiled().ReplaceAllString(src, repl)
}
