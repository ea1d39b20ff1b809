package netsim_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/netsim"
)

// BenchmarkMiddleware is the cost the simulation adds to a request it
// lets through untouched, and to a WS message.
func BenchmarkMiddleware(b *testing.B) {
	sim, err := netsim.New(netsim.Options{Seed: 1, Config: netsim.Config{Routes: []netsim.Route{{Prefix: "/other"}}}})
	if err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	h := sim.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	r := httptest.NewRequest(http.MethodGet, "/api/v3/klines?symbol=BTCUSDT&interval=1m", nil)
	b.Run("rest", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			h.ServeHTTP(httptest.NewRecorder(), r)
		}
	})
	b.Run("ws", func(b *testing.B) {
		b.ReportAllocs()
		link := sim.Link("/ws")
		start := time.Now()
		var last time.Time
		for b.Loop() {
			last, _, _ = link.Schedule(100, start)
		}
		if !last.Equal(start) {
			b.Fatal("a perfect network delayed a message")
		}
	})
}
