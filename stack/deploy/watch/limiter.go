package watch

import (
	"context"
	"sync"
	"time"
)

// Limiter spreads API calls out: a token bucket that allows Burst calls at
// once and Rate calls per second on average. A Limiter may be shared by
// several Watchers (and is safe for that); its zero value allows nothing
// and must not be used: see NewLimiter.
type Limiter struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
	calls  int
}

// DefaultRate is the Watcher's share of the deploy's calls: CloudFormation's
// poll makes 1 call per second on average (DescribeStacks and
// DescribeStackEvents every 2 s), and the whole deploy stays within 2.
const DefaultRate = 1.0

// DefaultBurst lets the first rounds (ListStackResources, DescribeServices,
// ListTasks and a DescribeTasks of the tasks already stopped) and then a
// round that finds a stopped task (DescribeTasks, its log lines) go at
// once, so that a cause is shown within one round.
const DefaultBurst = 6

// NewLimiter returns a full Limiter of rate calls per second and burst calls
// at once.
func NewLimiter(rate float64, burst int) *Limiter {
	return &Limiter{rate: rate, burst: float64(burst), tokens: float64(burst)}
}

// Wait takes one call from the budget, waiting for it if need be, or
// returns the cause of ctx when ctx ends first.
func (b *Limiter) Wait(ctx context.Context) error {
	for {
		b.mu.Lock()
		now := time.Now()
		if !b.last.IsZero() {
			b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
		}
		b.last = now
		if b.tokens >= 1 {
			b.tokens--
			b.calls++
			b.mu.Unlock()
			return nil
		}
		need := time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
		b.mu.Unlock()
		t := time.NewTimer(need)
		select {
		case <-ctx.Done():
			t.Stop()
			return context.Cause(ctx)
		case <-t.C:
		}
	}
}

// Calls is how many calls the budget has allowed.
func (b *Limiter) Calls() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls
}
