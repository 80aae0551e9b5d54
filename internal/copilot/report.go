package copilot

import (
	"fmt"
	"strings"
)

// Problem is a manifest value the import cannot use: the wrong type, a
// value out of range, a placeholder with nothing to fill it. Key is the
// manifest's dotted key (http.healthcheck.interval).
type Problem struct {
	Key     string
	Line    int
	Message string
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("line %d: %s: %s", p.Line, p.Key, p.Message)
	}
	if p.Key == "" {
		return p.Message
	}
	return p.Key + ": " + p.Message
}

// Error lists every problem of a manifest at once.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return "cannot import the manifest:\n  " + strings.Join(lines, "\n  ")
}

// Kind sorts the findings of an import.
type Kind int

const (
	// Unsupported is a manifest key cfnfargate has no setting for. The
	// import leaves it out; the caller may refuse instead (--strict).
	Unsupported Kind = iota
	// Ignored is a key Copilot itself ignores (a typo, a misplaced field, a
	// key of another service type): the service runs today without it.
	Ignored
	// Changed is a key that is imported, but behaves differently after the
	// move, or a default that the import made explicit.
	Changed
)

func (k Kind) String() string {
	switch k {
	case Unsupported:
		return "not imported"
	case Ignored:
		return "ignored by Copilot"
	}
	return "changed"
}

// Finding is one entry of the import's report.
type Finding struct {
	Kind    Kind
	Key     string
	Line    int
	Message string
}

func (f Finding) String() string {
	where := f.Key
	if f.Line > 0 {
		where = fmt.Sprintf("line %d: %s", f.Line, f.Key)
	}
	return where + ": " + f.Message
}
