package main

import (
	"errors"
	"fmt"
	"io"
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

// exitCode returns the status for err and prints it to stderr.
func report(stderr io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "cfnfargate: %v\n", err)
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	return exitFailed
}
