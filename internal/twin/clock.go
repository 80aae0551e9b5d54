package twin

import (
	"sync"
	"time"
)

// Clock is the twin's virtual time. AWS's durations (bake times, canary
// steps, hook callback delays, the 24-hour stage limit) run on it, while
// the real cfnfargate binary polls on real time, every 2 s (stack waits)
// or 5 s (the pause gate), with no test hook to shorten that. So virtual
// time runs Scale times faster than real time, and a test can also jump it
// forward with Advance. It never runs backwards, and it starts at the real
// time, so that it is never behind the binary's clock (the binary ignores
// stack events older than its own start).
type Clock struct {
	mu     sync.Mutex
	start  time.Time // real time at the start
	scale  float64
	offset time.Duration // sum of every Advance
	now    func() time.Time
}

// NewClock starts a virtual clock running scale times faster than real
// time.
func NewClock(scale float64) *Clock {
	if scale < 1 {
		scale = 1
	}
	return &Clock{start: time.Now(), scale: scale, now: time.Now}
}

// Now is the virtual time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	real := c.now().Sub(c.start)
	return c.start.Add(time.Duration(float64(real)*c.scale) + c.offset)
}

// Advance jumps virtual time forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.offset += d
	}
}

// Real is how long virtual duration d takes in real time.
func (c *Clock) Real(d time.Duration) time.Duration {
	return time.Duration(float64(d) / c.scale)
}
