package netsim

import (
	"context"
	"time"
)

// Link is the simulated network under one WS connection's outgoing
// messages: it decides each message's fate and holds it until it is due,
// the one place where delay, order, bandwidth and timer lateness are
// reckoned for every WS connection, whoever serves it (a plugin's
// session, the recording relay). Get one per connection from Sim.Link.
//
// A message queued at time at is due its latency after at, never before
// the previous message was due (order is kept, and delays of messages
// queued together do not add up), plus the time a bandwidth cap holds
// its bytes on the wire after the previous one (those do add up).
//
// A Link is used by one goroutine, the connection's writer.
type Link struct {
	sim  *Sim
	path string
	// last is when the previous delivered message was due.
	last  time.Time
	timer *time.Timer
	// The protocol faults' trigger state on this connection.
	gap, dup, reorder, corrupt, resync fired
}

// Link returns the link of a new WS connection to path (the path picks
// per-route conditions). The link draws from the Sim's WS fault sequence,
// shared by every connection, so a seed repeats the same faults for the
// same order of messages.
func (s *Sim) Link(path string) *Link {
	l := &Link{sim: s, path: path}
	// At moments before the connection opened are none of its business.
	now := time.Now()
	for _, f := range []*fired{&l.gap, &l.dup, &l.reorder, &l.corrupt, &l.resync} {
		f.last = now
	}
	return l
}

// Schedule decides the fate of a message of n bytes queued at time at: it
// is dropped (lost on the way), the connection is to be cut without a
// close frame instead (abort: the error rate, an outage), or it is to be
// written at due. Call it once per message, in the order they are sent.
func (l *Link) Schedule(n int, at time.Time) (due time.Time, drop, abort bool) {
	delay, hold, drop, abort := l.sim.shape(l.path, n)
	if drop || abort {
		return time.Time{}, drop, abort
	}
	due = at.Add(delay)
	if due.Before(l.last) {
		due = l.last
	}
	due = due.Add(hold)
	l.last = due
	return due, false, false
}

// Immediate reports whether a message scheduled now would be due at
// once, whatever its fate draws: no latency, jitter, bandwidth cap or
// slowdown is configured, and no message before it is held. A writer may
// then write from where the message is made instead of handing it to a
// goroutine that waits. Call it where Schedule is called (it reads the
// link's state); a configuration set meanwhile applies from the next
// message.
func (l *Link) Immediate() bool {
	return !l.sim.timed.Load() && !l.last.After(time.Now())
}

// Wait sleeps until due and reports true, or false as soon as ctx ends.
// A due time already past returns at once. A busy machine wakes timers
// late: Wait sets its timer early by the lateness the Sim has learnt
// (at most 10 ms), and learns from how late it woke, so the mean delay
// stays as asked. A caller that batches writes flushes before it waits.
func (l *Link) Wait(ctx context.Context, due time.Time) bool {
	wait := time.Until(due)
	if wait <= 0 {
		return true
	}
	wait -= l.sim.lateness.early(wait)
	if l.timer == nil {
		l.timer = time.NewTimer(wait)
	} else {
		l.timer.Reset(wait)
	}
	select {
	case <-l.timer.C:
		l.sim.lateness.learn(time.Since(due))
		return true
	case <-ctx.Done():
		l.timer.Stop()
		return false
	}
}

// shape draws the fate of one WS message of n bytes on a connection to
// path: its latency, the time a bandwidth cap holds it, or drop or abort.
func (s *Sim) shape(path string, n int) (delay, hold time.Duration, drop, abort bool) {
	s.stats.wsMessages.Add(1)
	v := s.decide(path, false)
	switch {
	case v.outage || v.fail:
		s.stats.wsAborted.Add(1)
		return 0, 0, false, true
	case v.lost:
		s.stats.wsDropped.Add(1)
		return 0, 0, true, false
	}
	if v.delay > 0 {
		s.stats.wsDelayed.Add(1)
	}
	if v.bandwidth > 0 && n > 0 {
		hold = time.Duration(float64(n) / float64(v.bandwidth) * float64(time.Second))
	}
	return v.delay, hold, false, false
}
