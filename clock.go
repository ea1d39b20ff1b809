package candlecassette

import (
	"math"
	"time"
)

// Clock is the virtual clock every time-dependent answer reads: time
// endpoints, "latest" candles, the in-progress candle and WS pushes.
//
// Virtual time is Base + (real elapsed since Start) × Speed. The zero value
// is the real clock. A Clock is immutable and safe to share.
type Clock struct {
	// Base is the virtual instant at Start; zero means real time.
	Base time.Time
	// Start is the real instant Base corresponds to.
	Start time.Time
	// Speed scales elapsed real time; 0 means 1. Math.Inf(1) means "as fast
	// as possible" for replayed streams (Now then stays at Base).
	Speed float64
	// Real is the real-time source; nil means time.Now. Tests inject it.
	Real func() time.Time
	// Skew, if set, is read at every Now and added to it: how far the
	// served exchange's clock runs ahead of (behind, if negative) true
	// time — the network simulation's clock_skew (see WithSkew).
	Skew func() time.Duration
}

// WithSkew returns a copy of c whose Now is offset by what skew returns
// at each reading; c itself is unchanged (a nil c reads real time).
func (c *Clock) WithSkew(skew func() time.Duration) *Clock {
	var out Clock
	if c != nil {
		out = *c
	}
	out.Skew = skew
	return &out
}

// NewClock returns a clock reading base now and running at speed.
func NewClock(base time.Time, speed float64) *Clock {
	return &Clock{Base: base, Start: time.Now(), Speed: speed}
}

func (c *Clock) real() time.Time {
	if c == nil || c.Real == nil {
		return time.Now()
	}
	return c.Real()
}

func (c *Clock) speed() float64 {
	if c == nil || c.Speed == 0 {
		return 1
	}
	return c.Speed
}

// Now returns the current virtual time.
func (c *Clock) Now() time.Time {
	if c != nil && c.Skew != nil {
		return c.now().Add(c.Skew())
	}
	return c.now()
}

func (c *Clock) now() time.Time {
	now := c.real()
	if c == nil || c.Base.IsZero() {
		return now
	}
	s := c.speed()
	if math.IsInf(s, 1) {
		return c.Base
	}
	return c.Base.Add(time.Duration(float64(now.Sub(c.Start)) * s))
}

// NowMillis is Now as Unix milliseconds.
func (c *Clock) NowMillis() int64 { return c.Now().UnixMilli() }

// RealDuration converts a span of virtual time to the real time it takes.
func (c *Clock) RealDuration(virtual time.Duration) time.Duration {
	s := c.speed()
	if math.IsInf(s, 1) {
		return 0
	}
	return time.Duration(float64(virtual) / s)
}
