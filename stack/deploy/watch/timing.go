package watch

import (
	"fmt"
	"time"
)

// TimingSettings are the settings that decide how long a deploy takes, in
// seconds and percent, as the template sets them.
type TimingSettings struct {
	HealthCheckInterval int // the target group's, seconds
	HealthyThreshold    int
	UnhealthyThreshold  int
	GracePeriod         int // ECS ignores failing ELB checks this long, seconds
	DeregistrationDelay int // draining of a stopped task, seconds
	DesiredCount        int
	MinHealthyPercent   int
	MaxPercent          int
	// BreakerThreshold is the number of failed tasks that trips the
	// circuit breaker; 0 means ECS's default for DesiredCount.
	BreakerThreshold int
}

// TaskStart is the time a Fargate task takes from launch to its app
// listening: provisioning, the image pull and the app's own start. It is
// an assumption (a small image and a quick app), not a measurement.
const TaskStart = 45 * time.Second

// Timing is a deploy-time budget computed from the settings alone.
type Timing struct {
	// TaskHealthy is the expected time for a new task to be healthy:
	// TaskStart, then the first health check, which a newly registered
	// target must pass once (ECS developer guide, "Optimize load balancer
	// health check parameters").
	TaskHealthy time.Duration `json:"taskHealthy"`
	// DetectFailure is the worst-case time until ECS stops a task that
	// never answers its health check: TaskStart, then the grace period or
	// UnhealthyThreshold failed checks, whichever is longer, plus one
	// interval for the first check, plus the draining of the target.
	DetectFailure time.Duration `json:"detectFailure"`
	// Rollout is the expected time to replace every task, in batches of
	// what MinHealthyPercent and MaxPercent allow, each batch taking
	// TaskHealthy plus the draining of the tasks it replaces.
	Rollout time.Duration `json:"rollout"`
	// CircuitBreaker is the worst-case time until the circuit breaker
	// fails a deployment whose tasks all fail health checks: its
	// threshold of failed tasks, in batches, each DetectFailure long.
	CircuitBreaker time.Duration `json:"circuitBreaker"`
	// Threshold is the circuit breaker's threshold used.
	Threshold int `json:"threshold"`
}

// Estimate computes the Timing of s.
func Estimate(s TimingSettings) Timing {
	interval := seconds(s.HealthCheckInterval)
	drain := seconds(s.DeregistrationDelay)
	desired := max(s.DesiredCount, 1)
	t := Timing{TaskHealthy: TaskStart + interval}
	t.DetectFailure = TaskStart + max(seconds(s.GracePeriod), time.Duration(max(s.UnhealthyThreshold, 1))*interval) + interval + drain
	batch := batchSize(desired, s.MinHealthyPercent, s.MaxPercent)
	t.Rollout = time.Duration(ceilDiv(desired, batch)) * (t.TaskHealthy + drain)
	t.Threshold = s.BreakerThreshold
	if t.Threshold <= 0 {
		// The default threshold: half the desired count, at least 3 and
		// at most 200 (ECS developer guide, "deployment circuit breaker").
		t.Threshold = min(200, max(3, ceilDiv(desired, 2)))
	}
	t.CircuitBreaker = time.Duration(ceilDiv(t.Threshold, batch)) * t.DetectFailure
	return t
}

// String is the budget in one line, as deploy and diff print it.
func (t Timing) String() string {
	return fmt.Sprintf("a new task is healthy in about %s; a failing one is stopped within %s; the rollout takes about %s; "+
		"the circuit breaker (%d failed tasks) fails a broken deploy within %s",
		t.TaskHealthy, t.DetectFailure, t.Rollout, t.Threshold, t.CircuitBreaker)
}

// batchSize is how many new tasks ECS starts at once: the room above
// desired that MaxPercent gives, plus what MinHealthyPercent lets it stop
// first (ECS developer guide, "Rolling update deployments").
func batchSize(desired, minHealthy, maxPercent int) int {
	if maxPercent <= 0 {
		maxPercent = 200
	}
	above := desired*maxPercent/100 - desired
	below := desired - ceilDiv(desired*minHealthy, 100)
	return max(1, above+below)
}

func seconds(n int) time.Duration { return time.Duration(n) * time.Second }

func ceilDiv(a, b int) int {
	if b <= 0 {
		return a
	}
	return (a + b - 1) / b
}
