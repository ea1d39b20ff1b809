package netsim

import (
	"maps"
	"net/http"
	"time"
)

// protoKey counts a protocol fault of a kind on a route.
type protoKey struct{ kind, route string }

// protocolOf is the protocol-fault part of c: defaults and routes.
func protocolOf(c Config) []ProtocolFaults {
	out := []ProtocolFaults{c.ProtocolFaults}
	for _, r := range c.Routes {
		out = append(out, r.apply(Conditions{}).ProtocolFaults)
	}
	return out
}

// setProtoLocked refreshes what is read without the lock from s.cfg.
func (s *Sim) setProtoLocked() {
	on := false
	for _, p := range protocolOf(s.cfg) {
		on = on || p.any()
	}
	s.protoOn.Store(on)
	s.skew.Store(int64(s.cfg.ClockSkew))
	timed := len(s.cfg.Slowdowns) > 0
	for _, c := range append([]Conditions{s.cfg.Conditions}, routeConditions(s.cfg)...) {
		timed = timed || c.Latency > 0 || c.Jitter > 0 || c.Bandwidth > 0
	}
	s.timed.Store(timed)
}

// routeConditions are the conditions of c's routes.
func routeConditions(c Config) []Conditions {
	out := make([]Conditions, 0, len(c.Routes))
	for _, r := range c.Routes {
		out = append(out, r.apply(c.Conditions))
	}
	return out
}

// protoLocked returns the protocol faults for path and the label of the
// route that set them.
func (s *Sim) protoLocked(path string) (ProtocolFaults, string) {
	for _, r := range s.cfg.Routes {
		if r.matches(path) {
			return r.apply(s.cfg.Conditions).ProtocolFaults, r.label()
		}
	}
	return s.cfg.ProtocolFaults, "default"
}

func (s *Sim) countLocked(kind, route string) { s.protoCounts[protoKey{kind, route}]++ }

func (s *Sim) protocolStats() map[string]map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]map[string]int64{}
	for k, n := range s.protoCounts {
		if out[k.kind] == nil {
			out[k.kind] = map[string]int64{}
		}
		out[k.kind][k.route] = n
	}
	return out
}

// ProtocolTotals sums Stats.Protocol over routes: faults injected by kind.
func (st Stats) ProtocolTotals() map[string]int64 {
	out := map[string]int64{}
	for kind, byRoute := range st.Protocol {
		for n := range maps.Values(byRoute) {
			out[kind] += n
		}
	}
	return out
}

// ClockSkew is the exchange clock's offset from true time
// (Config.ClockSkew).
func (s *Sim) ClockSkew() time.Duration { return time.Duration(s.skew.Load()) }

// SnapshotAge decides whether the REST book snapshot answering r is
// stale: it returns how much older than now it is to be (the
// stale_snapshot age when the fault fires, counted and told to
// Options.Fault), or 0. Call it once per snapshot served. Its draws come
// from a stream of their own, one per call while a protocol fault is set.
func (s *Sim) SnapshotAge(r *http.Request) time.Duration {
	if !s.protoOn.Load() {
		return 0
	}
	now := time.Now()
	s.mu.Lock()
	p, route := s.protoLocked(r.URL.Path)
	u := s.protoREST.Float64()
	st := s.snapFired[route]
	if st == nil {
		st = &fired{last: s.epochP.Add(-time.Nanosecond)}
		s.snapFired[route] = st
	}
	fire := p.StaleSnapshot.fires().fire(st, u, now, s.epochP)
	if fire {
		s.countLocked(FaultStaleSnapshot, route)
	}
	s.mu.Unlock()
	if !fire {
		return 0
	}
	s.fault(r, FaultStaleSnapshot)
	return time.Duration(p.StaleSnapshot.Age)
}

// BookDiff decides the protocol faults of the connection's next book
// diff: dropped (gap; the others are then false), sent twice, held back
// until after the next diff of its book (reorder), its checksum made
// wrong. corruptible says the message has a checksum to corrupt and
// reorderable that no diff of its book is already held back; a fault
// that cannot apply is not drawn for, so never counted. Every call takes
// four draws from the Sim's protocol stream (shared by the connections,
// as the WS stream is) while a protocol fault is set.
func (l *Link) BookDiff(corruptible, reorderable bool) (gap, duplicate, reorder, corrupt bool) {
	s := l.sim
	if !s.protoOn.Load() {
		return false, false, false, false
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	p, route := s.protoLocked(l.path)
	u := [4]float64{s.protoWS.Float64(), s.protoWS.Float64(), s.protoWS.Float64(), s.protoWS.Float64()}
	gap = p.BookGap.fire(&l.gap, u[0], now, s.epochP)
	duplicate = p.BookDuplicate.fire(&l.dup, u[1], now, s.epochP)
	if reorderable {
		reorder = p.BookReorder.fire(&l.reorder, u[2], now, s.epochP)
	}
	if corruptible {
		corrupt = p.BookCorrupt.fire(&l.corrupt, u[3], now, s.epochP)
	}
	if gap {
		s.countLocked(FaultBookGap, route)
		return true, false, false, false
	}
	for _, f := range []struct {
		on   bool
		kind string
	}{{duplicate, FaultBookDuplicate}, {reorder, FaultBookReorder}, {corrupt, FaultBookCorrupt}} {
		if f.on {
			s.countLocked(f.kind, route)
		}
	}
	return false, duplicate, reorder, corrupt
}

// Resync decides whether the connection is to be forced to resync
// instead of sending its next data message (counted when it fires). It
// takes one draw from the Sim's protocol stream per call while a
// protocol fault is set.
func (l *Link) Resync() bool {
	s := l.sim
	if !s.protoOn.Load() {
		return false
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	p, route := s.protoLocked(l.path)
	fire := p.Resync.fire(&l.resync, s.protoWS.Float64(), now, s.epochP)
	if fire {
		s.countLocked(FaultResync, route)
	}
	return fire
}
