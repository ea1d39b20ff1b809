package kittest

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/ratelimit"
)

// Limited serves s's plugin behind its own rate-limit model with a clock
// frozen at now, and returns the base URL.
func (s *Server) Limited(t testing.TB, now time.Time) string {
	t.Helper()
	ts := httptest.NewServer(s.LimitedHandler(t, func() time.Time { return now }))
	t.Cleanup(ts.Close)
	return ts.URL
}

// LimitedHandler is s's plugin behind its own rate-limit model with the
// limiter reading the time from now, for tests that move the clock.
func (s *Server) LimitedHandler(t testing.TB, now func() time.Time) http.Handler {
	t.Helper()
	l := ratelimit.New(s.Plugin.RateLimits(), ratelimit.Options{Now: now})
	return l.Middleware(s.Plugin.Handler(s.Env))
}

// Hammer sends req (built fresh by mk for every call) n times to base and
// returns the status and body of the last answer.
func Hammer(t testing.TB, base string, n int, mk func() *http.Request) (int, []byte) {
	t.Helper()
	var status int
	var body []byte
	for i := 0; i < n; i++ {
		status, body = send(t, base, mk())
	}
	return status, body
}

// GET makes requests for Hammer: a fresh bodiless GET of path (with
// query) on every call.
func GET(path string) func() *http.Request {
	return func() *http.Request {
		r, _ := http.NewRequest(http.MethodGet, path, nil)
		return r
	}
}
