package netsim

import (
	"sync/atomic"
	"time"
)

// maxEarly bounds the timer-lateness compensation.
const maxEarly = 10 * time.Millisecond

// lateness learns how late timers fire on average on this machine, so
// that a wait can be set that much early and the mean delay a client
// sees stays what was asked for. A Sim keeps one for its REST delays
// (Middleware) and its WS links (Link.Wait) alike. The zero value has
// learnt nothing yet.
type lateness struct{ ns atomic.Int64 }

// early is how much sooner than wait to set a timer: the lateness learnt
// so far, never more than wait itself or maxEarly.
func (l *lateness) early(wait time.Duration) time.Duration {
	return min(time.Duration(l.ns.Load()), wait, maxEarly)
}

// learn moves the estimate an eighth of the way to err, how late (> 0) or
// early (< 0) a wait just ended (integral control), kept within
// [0, maxEarly].
func (l *lateness) learn(err time.Duration) {
	est := time.Duration(l.ns.Load()) + err/8
	l.ns.Store(int64(min(max(est, 0), maxEarly)))
}
