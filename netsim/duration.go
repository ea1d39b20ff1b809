package netsim

import cc "github.com/candlecassette/candlecassette"

// Duration is a time.Duration that reads and writes JSON as a Go duration
// string ("1m", "500ms"); a JSON number is taken as nanoseconds. It is
// the root package's Duration, shared with ratelimit.
type Duration = cc.Duration
