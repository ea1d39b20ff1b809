package ratelimit

import (
	"fmt"
	"time"

	cc "github.com/candlecassette/candlecassette"
)

// Duration is a time.Duration that reads and writes JSON as a Go duration
// string ("1m", "500ms"); a JSON number is taken as nanoseconds. It is
// the root package's Duration, shared with netsim.
type Duration = cc.Duration

// IntervalTag spells a period the way Binance's headers do: intervalNum
// followed by S, M, H or D ("1M" for one minute, "10S", "1D").
func IntervalTag(p time.Duration) string {
	switch {
	case p >= 24*time.Hour && p%(24*time.Hour) == 0:
		return fmt.Sprintf("%dD", p/(24*time.Hour))
	case p >= time.Hour && p%time.Hour == 0:
		return fmt.Sprintf("%dH", p/time.Hour)
	case p >= time.Minute && p%time.Minute == 0:
		return fmt.Sprintf("%dM", p/time.Minute)
	default:
		s := (p + time.Second - 1) / time.Second
		if s < 1 {
			s = 1
		}
		return fmt.Sprintf("%dS", s)
	}
}
