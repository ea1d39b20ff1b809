package netsim

import (
	"net/http"
	"strings"
	"time"
)

// Middleware applies the conditions to every request before next serves
// it: latency, then loss (drop or hang), an injected error, or next's
// answer (its body throttled to the bandwidth cap). WS handshakes pass
// through untouched except during an outage, when they are cut; their
// messages cross a Link.
func (s *Sim) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			s.mu.Lock()
			out := s.inOutageLocked(time.Now())
			s.mu.Unlock()
			if out {
				s.stats.wsRefused.Add(1)
				cut(w)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		s.stats.requests.Add(1)
		v := s.decide(r.URL.Path, true)
		if v.delay > 0 {
			s.stats.delayed.Add(1)
			s.fault(r, FaultLatency)
			if !s.sleep(r, v.delay) {
				// The client went away, or the Sim is closing: no answer.
				// Returning without one would have the server send an
				// empty 200, and a client that only half-closed its side
				// (its EOF cancels the context) would read that as the
				// answer.
				cut(w)
				return
			}
		}
		if v.outage {
			s.stats.outage.Add(1)
			s.fault(r, FaultOutage)
		}
		switch {
		case v.lost && v.lossMode == LossHang:
			s.stats.hung.Add(1)
			if !v.outage {
				s.fault(r, FaultHang)
			}
			select {
			case <-r.Context().Done():
			case <-s.done:
			}
			cut(w)
		case v.lost:
			s.stats.dropped.Add(1)
			if !v.outage {
				s.fault(r, FaultDrop)
			}
			cut(w)
		case v.fail:
			s.stats.errors.Add(1)
			s.fault(r, FaultError)
			s.writeError(w, r)
		case v.bandwidth > 0:
			s.stats.bandwidth.Add(1)
			s.fault(r, FaultThrottle)
			tw := &throttled{ResponseWriter: w, bps: v.bandwidth, r: r, done: s.done}
			next.ServeHTTP(tw, r)
			if tw.stopped {
				cut(w) // a body cut short must not end as if whole
			}
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// sleep waits d unless the client gives up or the Sim closes first; it
// reports whether the wait ran its course.
//
// A busy machine wakes timers late; the Sim learns by how much on average
// and sets its timers that much early, so the mean added latency stays
// what was asked for.
func (s *Sim) sleep(r *http.Request, d time.Duration) bool {
	deadline := time.Now().Add(d)
	t := time.NewTimer(d - s.lateness.early(d))
	defer t.Stop()
	select {
	case <-t.C:
		s.lateness.learn(time.Since(deadline))
		return true
	case <-r.Context().Done():
		return false
	case <-s.done:
		return false
	}
}

// cut drops the client's connection without a response, or, once the
// response has started, aborts it (the server then closes the connection
// without ending the body).
func cut(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		conn.Close()
		return
	}
	// Not hijackable (HTTP/2): abort the handler, which makes
	// the server reset the stream or connection without a response.
	panic(http.ErrAbortHandler)
}

func (s *Sim) writeError(w http.ResponseWriter, r *http.Request) {
	resp := Response{Status: http.StatusServiceUnavailable, Body: []byte(`{"error":"service unavailable"}`)}
	if s.opts.Error != nil {
		resp = s.opts.Error(r)
	}
	h := w.Header()
	for k, v := range resp.Header {
		h[k] = v
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	status := resp.Status
	if status == 0 {
		status = http.StatusServiceUnavailable
	}
	w.WriteHeader(status)
	w.Write(resp.Body)
}

// throttled writes a body at most bps bytes per second, in chunks of about
// a twentieth of a second.
type throttled struct {
	http.ResponseWriter
	bps     int64
	r       *http.Request
	done    <-chan struct{}
	stopped bool // the client or the Sim went away mid-body
}

// Write sends p in chunks, pausing after each for the time it takes at
// the cap; it stops early when the client or the Sim goes away.
func (t *throttled) Write(p []byte) (int, error) {
	chunk := int(max(t.bps/20, 1))
	written := 0
	for len(p) > 0 {
		n := min(chunk, len(p))
		m, err := t.ResponseWriter.Write(p[:n])
		written += m
		if err != nil {
			return written, err
		}
		http.NewResponseController(t.ResponseWriter).Flush()
		p = p[n:]
		timer := time.NewTimer(time.Duration(float64(n) / float64(t.bps) * float64(time.Second)))
		select {
		case <-timer.C:
		case <-t.r.Context().Done():
			timer.Stop()
			t.stopped = true
			return written, t.r.Context().Err()
		case <-t.done:
			timer.Stop()
			t.stopped = true
			return written, http.ErrServerClosed
		}
	}
	return written, nil
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (t *throttled) Unwrap() http.ResponseWriter { return t.ResponseWriter }
