package serve

import (
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Overdue requests. A REST request still unanswered OverdueAfter after it
// arrived, with no fault of the network simulation or the rate limits on
// it to explain the wait (latency, a hang, a throttled body, ...), is
// logged at warn level as it happens — not only once it ends, which a
// handler that never returns would never reach — and counted (Status
// Overdue, candlecassette_http_requests_overdue_total). Its client sees a
// timeout; without this the server said nothing of it. When it is
// answered at last, that is logged too, with how long it took.
//
// Each connection's slot keeps one timer for the requests it serves in
// turn. A request arms it only if it is not armed already; when it fires
// it sets itself again for the request then in flight, if that one is not
// overdue yet, and else rests until the next request. So watching costs a
// request no allocation and, on a busy kept-alive connection, no timer
// operation either: two uncontended locks (BenchmarkObservation).

// DefaultOverdueAfter is Options.OverdueAfter's default.
const DefaultOverdueAfter = 5 * time.Second

// watch is what a slot's timer knows of the request in flight.
type watch struct {
	mu    sync.Mutex
	timer *time.Timer
	// The request's, copied as it starts (the handler owns the request).
	method, path, query, client string
	start                       time.Time
	faulted                     bool // a fault was noted on it
	active                      bool
	told                        bool // logged as overdue
	armed                       bool // the timer will fire
}

// start arms sl's timer for r, which arrived at start.
func (st *Stack) watchStart(sl *obsSlot, r *http.Request, start time.Time) {
	if st.obs.overdueAfter <= 0 {
		return
	}
	w := &sl.watch
	w.mu.Lock()
	w.method, w.path, w.query, w.client = r.Method, r.URL.Path, r.URL.RawQuery, r.RemoteAddr
	w.start, w.faulted, w.active, w.told = start, false, true, false
	if !w.armed {
		w.armed = true
		if w.timer == nil {
			w.timer = time.AfterFunc(st.obs.overdueAfter, func() { st.overdue(sl) })
		} else {
			w.timer.Reset(st.obs.overdueAfter)
		}
	}
	w.mu.Unlock()
}

// noteFault notes that a fault was put on the request w watches.
func (w *watch) noteFault() {
	w.mu.Lock()
	w.faulted = w.faulted || w.active
	w.mu.Unlock()
}

// stop ends the watch of the request in flight (it may be called again)
// and reports whether it was logged as overdue.
func (w *watch) stop() (told bool) {
	w.mu.Lock()
	told = w.active && w.told
	w.active = false
	w.mu.Unlock()
	return told
}

// overdue is sl's timer firing: the request in flight, if it is overdue
// and no fault explains it, is logged and counted.
func (st *Stack) overdue(sl *obsSlot) {
	w := &sl.watch
	w.mu.Lock()
	late := time.Since(w.start)
	if w.active && late < st.obs.overdueAfter {
		// Armed by an earlier request: due when this one would be.
		w.timer.Reset(st.obs.overdueAfter - late)
		w.mu.Unlock()
		return
	}
	w.armed = false
	if !w.active || w.told || w.faulted {
		w.mu.Unlock()
		return
	}
	w.told = true
	method, path, query, client := w.method, w.path, w.query, w.client
	w.mu.Unlock()
	st.obs.overdue.Add(1)
	st.obs.logger.Warn("request unanswered", "exchange", st.plugin.Name(), "method", method, "path", path,
		"query", st.obs.redact(query), "client", client, "after", late.Round(time.Millisecond))
}

// answeredLate logs the end of a request logged as overdue.
func (st *Stack) answeredLate(r *http.Request, o *obs, start time.Time) {
	st.obs.logger.Warn("overdue request answered", "exchange", st.plugin.Name(), "method", r.Method,
		"path", r.URL.Path, "status", o.status, "took", time.Since(start).Round(time.Millisecond))
}

// discardLogger is the logger of a Server or Stack given none.
var discardLogger = slog.New(slog.DiscardHandler)
