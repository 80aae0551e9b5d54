package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
	"github.com/cfnfargate/cfnfargate/stack/deploy/progress"
)

// interruptSignals stop a command the way Ctrl-C does. SIGTERM is how CI
// systems cancel a job, and it needs the same clean-up: the change set
// deleted, an update cancelled.
var interruptSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}

// interruptible returns a context that the first Ctrl-C or SIGTERM
// cancels, so that the deployer can cancel an update and show the
// rollback; a second one exits at once with status 130.
func interruptible(parent context.Context, out *console) (context.Context, func()) {
	prompt := &promptState{}
	ctx, cancel := context.WithCancel(context.WithValue(parent, promptKey{}, prompt))
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, interruptSignals...)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-signals:
			// A prompt says itself what the interruption did.
			if !prompt.waiting.Load() {
				if sig == os.Interrupt {
					out.message("interrupted; press Ctrl-C again to exit at once")
				} else {
					out.message("%v; stopping as for Ctrl-C (a second signal exits at once)", sig)
				}
			}
			cancel()
		case <-done:
			return
		}
		select {
		case <-signals:
			out.message("interrupted again, exiting")
			os.Exit(deploy.ExitInterrupted)
		case <-done:
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			signal.Stop(signals)
			close(done)
			cancel()
		})
	}
}

type promptKey struct{}

type promptState struct{ waiting atomic.Bool }

// prompting tells the interruptible context ctx that a prompt is waiting
// for an answer, which a Ctrl-C ends at once; the returned function says
// that it no longer waits.
func prompting(ctx context.Context) func() {
	p, ok := ctx.Value(promptKey{}).(*promptState)
	if !ok {
		return func() {}
	}
	p.waiting.Store(true)
	return func() { p.waiting.Store(false) }
}

// console is a command's stdout, which may end in a live status line, and
// its stderr, as messages that interrupt them need them.
type console struct {
	stdout         *lineWriter
	stderr         io.Writer
	stderrTerminal bool
}

func newConsole(stdout, stderr io.Writer) *console {
	f, ok := stderr.(*os.File)
	return &console{stdout: &lineWriter{w: stdout}, stderr: stderr, stderrTerminal: ok && progress.IsTerminal(f)}
}

// message prints a line on stderr that starts a line of its own: after a
// live status line on stdout, or after the "^C" a terminal echoes.
func (o *console) message(format string, args ...any) {
	if !o.stdout.endLine() && o.stderrTerminal {
		fmt.Fprintln(o.stderr)
	}
	fmt.Fprintf(o.stderr, "cfnfargate: "+format+"\n", args...)
}

// lineWriter passes writes on and remembers whether the output stopped in
// the middle of a line, as a live status line does.
type lineWriter struct {
	mu      sync.Mutex
	w       io.Writer
	midLine bool
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, err := l.w.Write(p)
	if n > 0 {
		l.midLine = p[n-1] != '\n'
	}
	return n, err
}

// endLine ends a line the output stopped in, and reports whether it did.
func (l *lineWriter) endLine() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.midLine {
		return false
	}
	l.midLine = false
	io.WriteString(l.w, "\n")
	return true
}
