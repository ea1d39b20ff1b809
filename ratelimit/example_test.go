package ratelimit_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/candlecassette/candlecassette/ratelimit"
)

// An exchange that allows 5 weight per minute, where /klines weighs 2.
func ExampleModel() {
	model := ratelimit.Model{
		REST:   []ratelimit.Window{{Name: "REQUEST_WEIGHT", Limit: 5, Period: time.Minute, Aligned: true}},
		Weight: ratelimit.ByPath(map[string]int{"/klines": 2}, 1),
		UsedHeaders: func(p time.Duration) []string {
			return []string{"X-Used-Weight-" + ratelimit.IntervalTag(p)}
		},
		Refuse: func(f ratelimit.Refusal) ratelimit.Response {
			return ratelimit.Response{Body: fmt.Appendf(nil, `{"error":"over %d per %s"}`, f.Window.Limit, f.Window.Period)}
		},
	}
	now := time.Date(2026, 1, 1, 12, 0, 45, 0, time.UTC)
	l := ratelimit.New(model, ratelimit.Options{Now: func() time.Time { return now }})
	h := l.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for range 3 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/klines", nil))
		fmt.Printf("%d used=%s retry-after=%q body=%s\n", rec.Code, rec.Header().Get("X-Used-Weight-1M"), rec.Header().Get("Retry-After"), rec.Body)
	}
	// Output:
	// 200 used=2 retry-after="" body=
	// 200 used=4 retry-after="" body=
	// 429 used=6 retry-after="15" body={"error":"over 5 per 1m0s"}
}
