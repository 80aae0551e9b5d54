package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// exitError gives an error of the command line's own its exit status, one
// of package deploy's Exit codes: the command line has no codes of its own,
// and package deploy's errors carry theirs.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }
func (e *exitError) ExitCode() int { return e.code }

// badInput marks err as invalid input: exit status 2.
func badInput(err error) error { return &exitError{code: deploy.ExitInput, err: err} }

// errQuiet is an exit status with nothing more to say, such as
// diff --exit-code finding changes.
var errQuiet = errors.New("")

// report prints err to stderr and returns the exit status for it
// (deploy.ExitCode).
func report(stderr io.Writer, err error) int {
	if err != nil && !errors.Is(err, errQuiet) {
		fmt.Fprintf(stderr, "cfnfargate: %v\n", err)
	}
	return deploy.ExitCode(err)
}
