package netsim

import "time"

// schedule runs the Disconnects and the starts of Outages until Close. It
// sleeps until the next event and wakes early when the Config changes.
func (s *Sim) schedule() {
	defer close(s.exited)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	// Events strictly after last are still to come; an event set for the
	// very moment a schedule changed (offset 0) is one of them.
	var seen time.Time
	var last time.Time
	for {
		s.mu.Lock()
		if s.rescheduled != seen {
			seen = s.rescheduled
			last = seen.Add(-time.Nanosecond)
		}
		at, code, ok := nextEvent(s.cfg, s.epochD, s.epochO, last)
		s.mu.Unlock()
		wait := time.Hour
		if ok {
			wait = max(time.Until(at), 0)
		}
		timer.Reset(wait)
		select {
		case <-s.done:
			return
		case <-s.kick:
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
		case <-timer.C:
			if ok {
				reason := "scheduled disconnect"
				if code == 1006 {
					reason = "scheduled outage"
				}
				s.DisconnectAll(code, reason)
				last = at
			}
		}
	}
}

// nextEvent finds the first scheduled event strictly after after: its time
// and the close code to disconnect with.
func nextEvent(c Config, epochD, epochO, after time.Time) (at time.Time, code int, ok bool) {
	consider := func(first time.Time, every time.Duration, cc int) {
		t := first
		if !t.After(after) {
			if every <= 0 {
				return
			}
			k := after.Sub(first)/every + 1
			t = first.Add(k * every)
		}
		if !ok || t.Before(at) {
			at, code, ok = t, cc, true
		}
	}
	for _, d := range c.Disconnects {
		cc := d.Code
		if cc == 0 {
			cc = 1006
		}
		consider(d.At.resolve(epochD), time.Duration(d.Every), cc)
	}
	for _, o := range c.Outages {
		consider(o.At.resolve(epochO), time.Duration(o.Every), 1006)
	}
	return at, code, ok
}
