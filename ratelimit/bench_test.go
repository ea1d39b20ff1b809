package ratelimit_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/candlecassette/candlecassette/ratelimit"
)

// BenchmarkMiddleware is the cost of counting an admitted request and
// writing its used-weight header.
func BenchmarkMiddleware(b *testing.B) {
	lim := testModel().Limits()
	lim.RESTLimit = 1 << 30
	l := ratelimit.New(testModel(), ratelimit.Options{Limits: &lim})
	h := l.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	r := httptest.NewRequest(http.MethodGet, "/heavy", nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}
