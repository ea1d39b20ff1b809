package replaytest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/ratelimit"
)

// Req makes requests for Exhaust: a fresh request of method to url, with
// body as JSON unless it is empty, on every call.
func Req(method, url, body string) func() *http.Request {
	return func() *http.Request {
		var r io.Reader
		if body != "" {
			r = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, url, r)
		if err != nil {
			panic(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		return req
	}
}

// Exhaust sends n requests built by req, failing the test unless ok (nil:
// 200 OK) accepts every answer, then sends one more and returns its status
// and body: a rate-limit test's "n pass, the next is refused".
func Exhaust(t testing.TB, n int, req func() *http.Request, ok func(status int, body []byte) bool) (int, []byte) {
	t.Helper()
	if ok == nil {
		ok = func(status int, _ []byte) bool { return status == http.StatusOK }
	}
	for i := 1; i <= n; i++ {
		r := req()
		if st, b := roundTrip(t, r); !ok(st, b) {
			t.Fatalf("%s %s: request %d of %d: %d %.300s", r.Method, r.URL, i, n, st, b)
		}
	}
	return roundTrip(t, req())
}

// Limited serves s's plugin behind its own rate-limit model with the
// limiter's clock stopped at now, until the test ends, and returns the
// base URL.
func (s *Server) Limited(t testing.TB, now time.Time) string {
	t.Helper()
	ts := httptest.NewServer(s.LimitedHandler(t, func() time.Time { return now }))
	t.Cleanup(ts.Close)
	return ts.URL
}

// LimitedHandler is s's plugin over s's Env behind its own rate-limit
// model — the layer serve.Stack puts there — with the limiter reading the
// time from now, for tests that move the limiter's clock.
func (s *Server) LimitedHandler(t testing.TB, now func() time.Time) http.Handler {
	t.Helper()
	l := ratelimit.New(s.Plugin.RateLimits(), ratelimit.Options{Now: now})
	return l.Middleware(s.Plugin.Handler(s.Env))
}

// ManualNow is the time source of a rate limiter (not a virtual clock:
// see Clock) that moves only when told to; it is safe for concurrent use.
type ManualNow struct {
	mu sync.Mutex
	t  time.Time
}

// NewManualNow is a ManualNow reading at.
func NewManualNow(at time.Time) *ManualNow { return &ManualNow{t: at} }

// Now reads the time.
func (m *ManualNow) Now() time.Time { m.mu.Lock(); defer m.mu.Unlock(); return m.t }

// Add moves the time by d.
func (m *ManualNow) Add(d time.Duration) {
	m.mu.Lock()
	m.t = m.t.Add(d)
	m.mu.Unlock()
}
