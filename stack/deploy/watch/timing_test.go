package watch

import (
	"context"
	"testing"
	"time"
)

func TestEstimate(t *testing.T) {
	// Proves: the budget follows its settings: a longer interval or grace
	// period makes failures slower to detect, a wider MaxPercent makes the
	// rollout no slower, and the default breaker threshold is half the
	// desired count within 3 and 200.
	base := TimingSettings{HealthCheckInterval: 10, HealthyThreshold: 2, UnhealthyThreshold: 2, GracePeriod: 30,
		DeregistrationDelay: 30, DesiredCount: 4, MinHealthyPercent: 100, MaxPercent: 200}
	b := Estimate(base)
	if b.TaskHealthy != TaskStart+10*time.Second {
		t.Errorf("TaskHealthy = %s, want TaskStart plus one interval", b.TaskHealthy)
	}
	slow := base
	slow.HealthCheckInterval = 60
	if s := Estimate(slow); s.DetectFailure <= b.DetectFailure || s.TaskHealthy <= b.TaskHealthy {
		t.Errorf("a 60 s interval is not slower: %+v vs %+v", s, b)
	}
	grace := base
	grace.GracePeriod = 600
	if g := Estimate(grace); g.DetectFailure < 600*time.Second {
		t.Errorf("DetectFailure %s is shorter than a 600 s grace period", g.DetectFailure)
	}
	narrow := base
	narrow.MaxPercent = 125 // one new task at a time
	if n := Estimate(narrow); n.Rollout <= b.Rollout {
		t.Errorf("a rollout one task at a time (%s) is not slower than all at once (%s)", n.Rollout, b.Rollout)
	}
	for _, tc := range []struct{ desired, want int }{{1, 3}, {6, 3}, {10, 5}, {1000, 200}} {
		s := base
		s.DesiredCount = tc.desired
		if got := Estimate(s).Threshold; got != tc.want {
			t.Errorf("desired %d: threshold %d, want %d", tc.desired, got, tc.want)
		}
	}
}

func TestLimiterSpreadsCalls(t *testing.T) {
	// Proves: the limiter lets its burst through at once and then one call
	// per 1/rate; a cancelled context ends the wait.
	l := NewLimiter(50, 2) // 20 ms per call after 2
	start := time.Now()
	for range 5 {
		if err := l.Wait(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	// 3 calls beyond the burst need at least 3 × 20 ms.
	if elapsed := time.Since(start); elapsed < 55*time.Millisecond {
		t.Errorf("5 calls took %s; the limiter did not wait", elapsed)
	}
	if l.Calls() != 5 {
		t.Errorf("Calls = %d", l.Calls())
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	slow := NewLimiter(0.001, 1)
	_ = slow.Wait(ctx) // the burst
	if err := slow.Wait(ctx); err == nil {
		t.Error("Wait on a cancelled context returned nil")
	}
}
