package netsim

import "time"

// Shape decides the fate of one server WS message on a connection to path:
// how long to hold it, whether to drop it, and whether to cut the
// connection (error rate or outage) instead. It has the signature of the WS
// framework's shaper (plugins.WSShaper).
func (s *Sim) Shape(path string) (delay time.Duration, drop, abort bool) {
	delay, _, drop, abort = s.ShapeSize(path, 0)
	return delay, drop, abort
}

// ShapeSize is Shape for a message of n bytes: hold is the time the message
// occupies a bandwidth-capped link, which the caller adds after the
// previous message of the same connection.
func (s *Sim) ShapeSize(path string, n int) (delay, hold time.Duration, drop, abort bool) {
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
