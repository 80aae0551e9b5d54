// Package progress prints what package deploy reports: plans, notes, stack
// events and what the ECS watcher finds (the rollout, stopped tasks with
// their causes and log lines, target health), as plain lines for logs and
// CI, one per new fact, or on a terminal with colour and a live view below
// the lines: a summary, the rollout and the latest causes with their
// counts.
//
// A command picks the renderer once and passes it to the Deployer:
//
//	sink := progress.New(os.Stderr, progress.Detect(os.Stderr, os.Getenv))
//	d := deploy.New(client, sink)
package progress

import (
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// Options choose how events are printed.
type Options struct {
	// Live redraws a one-line summary (resources done, in progress,
	// failed, elapsed) below the event lines. Only for a terminal.
	Live bool
	// Color marks statuses and plan actions with ANSI colours. Only used
	// with Live.
	Color bool
	// Width returns the terminal's width in columns, to fit lines to it
	// (shorter resource types, wrapped reasons). Only used with Live; nil
	// leaves lines as they are.
	Width func() int
	// Setting words a setting key or template parameter name that the
	// ECS watcher's causes name (watch.Cause.Settings): a CLI passes its
	// flag names. Nil words it as "the KEY setting".
	Setting func(key string) string
}

// Detect chooses Options for output to f: live only on a terminal when CI
// is not set to true, colour only on a terminal when NO_COLOR is unset or
// empty (https://no-color.org), and lines fitted to the terminal's width.
// getenv is os.Getenv outside tests.
func Detect(f *os.File, getenv func(string) string) Options {
	o := detect(IsTerminal(f), getenv)
	if o.Live {
		o.Width = func() int {
			w, _, err := term.GetSize(int(f.Fd()))
			if err != nil {
				return 0
			}
			return w
		}
	}
	return o
}

func detect(tty bool, getenv func(string) string) Options {
	ci := getenv("CI")
	inCI := strings.EqualFold(ci, "true") || ci == "1"
	return Options{
		Live:  tty && !inCI,
		Color: tty && !inCI && getenv("NO_COLOR") == "",
	}
}

// IsTerminal reports whether f is a terminal. It asks the terminal driver
// (an ioctl), so /dev/null and other character devices do not count.
func IsTerminal(f *os.File) bool {
	return f != nil && term.IsTerminal(int(f.Fd()))
}

// New returns the renderer Options ask for, writing to w.
func New(w io.Writer, o Options) deploy.Sink {
	if o.Live {
		t := NewTTY(w, o.Color)
		t.Width, t.Setting = o.Width, o.Setting
		return t
	}
	p := NewPlain(w)
	p.Setting = o.Setting
	return p
}
