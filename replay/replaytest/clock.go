package replaytest

import (
	"time"

	cc "github.com/candlecassette/candlecassette"
)

// Clock is the virtual clock of a test: it reads base now and runs at
// speed times real time. Speed 0 stops it: it reads base, exactly, for
// ever (a fixed instant, mid-candle, makes golden answers stable); a tiny
// speed (1e-9) keeps "now" put for the length of a test while WS pushes
// stay paced by real time; 60 makes a minute candle close every second.
func Clock(base time.Time, speed float64) *cc.Clock {
	if speed == 0 {
		return &cc.Clock{Base: base, Start: base, Real: func() time.Time { return base }}
	}
	return &cc.Clock{Base: base, Start: time.Now(), Speed: speed}
}
