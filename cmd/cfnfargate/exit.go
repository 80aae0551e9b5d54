package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// Exit codes, documented in the README.
const (
	exitOK          = 0
	exitFailed      = 1   // the deploy (or another AWS operation) failed
	exitBadInput    = 2   // invalid flags, environment or config file
	exitInterrupted = 130 // stopped by Ctrl-C
)

// exitError is an error that carries the process's exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// badInput marks err as invalid input: exit status 2.
func badInput(err error) error { return &exitError{code: exitBadInput, err: err} }

// errQuiet is an exit status with nothing more to say, such as
// diff --exit-code finding changes.
var errQuiet = errors.New("")

// report prints err to stderr and returns the exit status for it. Errors of
// package deploy carry their own status (deploy.ExitCode).
func report(stderr io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	if !errors.Is(err, errQuiet) {
		fmt.Fprintf(stderr, "cfnfargate: %v\n", err)
	}
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	return deploy.ExitCode(err)
}

// problemsError lists every problem found in the input, one a line.
type problemsError struct {
	title    string
	problems []string
}

func (e *problemsError) Error() string {
	return e.title + ":\n  " + strings.Join(e.problems, "\n  ")
}
