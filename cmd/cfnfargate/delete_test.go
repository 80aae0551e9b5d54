package main

import (
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// TestDeletePrompt proves that delete's confirmation prompt on a terminal
// ends at once on Ctrl-C or SIGTERM, with exit 130 and nothing deleted,
// instead of waiting for a line that then becomes the answer; and that a
// wrong answer deletes nothing either (exit 1).
func TestDeletePrompt(t *testing.T) {
	const prompt = "Delete stack shop and every resource in it? Type the stack name to confirm: "
	tests := []struct {
		name   string
		sig    syscall.Signal // sent once the prompt is shown, or
		answer string         // typed
		code   int
		want   string
	}{
		{name: "Ctrl-C", sig: syscall.SIGINT, code: deploy.ExitInterrupted, want: "\ncfnfargate: interrupted; nothing was deleted\n"},
		{name: "SIGTERM", sig: syscall.SIGTERM, code: deploy.ExitInterrupted, want: "\ncfnfargate: interrupted; nothing was deleted\n"},
		{name: "wrong answer", answer: "shoe\n", code: deploy.ExitFailure, want: "cfnfargate: not confirmed; nothing was deleted\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			isolateAWS(t, "eu-west-1")
			cf := newFakeCloudFormation(t)
			terminal, keyboard := openTerminal(t)
			if tt.sig != 0 {
				// Should the command not take the signal, this keeps it
				// from ending the test binary.
				safety := make(chan os.Signal, 1)
				signal.Notify(safety, tt.sig)
				defer signal.Stop(safety)
			}

			stderr := &promptWatcher{prompt: prompt, shown: make(chan struct{})}
			app := newApp(&syncBuffer{}, stderr)
			app.Reader = terminal
			result := make(chan int, 1)
			go func() {
				result <- report(stderr, app.Run([]string{"cfnfargate", "delete", "--stack", "shop", "--endpoint-url", cf.URL}))
			}()
			select {
			case <-stderr.shown:
			case code := <-result:
				t.Fatalf("exit %d without a prompt; stderr:\n%s", code, stderr)
			case <-time.After(10 * time.Second):
				t.Fatalf("no prompt; stderr:\n%s", stderr)
			}
			if tt.sig != 0 {
				must(t, syscall.Kill(os.Getpid(), tt.sig))
			} else {
				_, err := keyboard.WriteString(tt.answer)
				must(t, err)
			}
			select {
			case code := <-result:
				if code != tt.code {
					t.Errorf("exit %d, want %d", code, tt.code)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the prompt is still waiting")
			}
			if got := stderr.String(); !strings.HasSuffix(got, prompt+tt.want) || strings.Contains(got, "press Ctrl-C again") {
				t.Errorf("stderr = %q, want it to end with the prompt and %q", got, tt.want)
			}
			if requests := cf.Requests(); slices.ContainsFunc(requests, func(r string) bool { return strings.HasPrefix(r, "DeleteStack") }) {
				t.Errorf("the stack was deleted: %v", requests)
			}
		})
	}
}

// promptWatcher is stderr, shared with the command, that says when the
// prompt has been written.
type promptWatcher struct {
	syncBuffer
	prompt string
	shown  chan struct{}
	once   sync.Once
}

func (p *promptWatcher) Write(b []byte) (int, error) {
	n, err := p.syncBuffer.Write(b)
	if strings.Contains(p.syncBuffer.String(), p.prompt) {
		p.once.Do(func() { close(p.shown) })
	}
	return n, err
}
