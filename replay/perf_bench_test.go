package replay_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/serve"
)

const benchKlines = "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1000&startTime=1704067200000"

// benchHandler times the full serving stack (admin mux, rate limiter with
// enforcement off, perfect netsim, plugin) answering one request again and
// again, as a load test does.
func benchHandler(b *testing.B, h http.Handler) {
	r := httptest.NewRequest(http.MethodGet, benchKlines, nil)
	r.RemoteAddr = "127.0.0.1:50000"
	b.ReportAllocs()
	for b.Loop() {
		w := &countWriter{h: http.Header{}}
		h.ServeHTTP(w, r)
		if w.code != http.StatusOK || w.n < 100_000 {
			b.Fatalf("status %d, %d bytes", w.code, w.n)
		}
	}
}

// BenchmarkSynthKlines1000 serves a closed 1000-row window of the
// synthetic market.
func BenchmarkSynthKlines1000(b *testing.B) {
	srv, err := replay.New(replay.Options{Exchange: "binance_spot", Serve: serve.Options{NoRateLimit: true}})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close(context.Background())
	benchHandler(b, srv.Handler())
}

// BenchmarkRecordedKlines1000 serves the same window recorded in a
// cassette (the recorded-interaction path).
func BenchmarkRecordedKlines1000(b *testing.B) {
	syn, err := replay.New(replay.Options{Exchange: "binance_spot", Serve: serve.Options{NoRateLimit: true}})
	if err != nil {
		b.Fatal(err)
	}
	rec := httptest.NewRecorder()
	syn.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, benchKlines, nil))
	syn.Close(context.Background())
	path := filepath.Join(b.TempDir(), "k.cassette")
	c, err := cassettes.Open(path, 0o644, &cassettes.Options{Exchange: "binance_spot", NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	u := httptest.NewRequest(http.MethodGet, benchKlines, nil).URL
	if err := c.AddInteraction(&cassettes.Interaction{Method: "GET", Path: u.Path, Query: u.RawQuery, Status: 200,
		ResponseHeader: rec.Header().Clone(), Body: rec.Body.Bytes(), Start: time.Now()}); err != nil {
		b.Fatal(err)
	}
	if err := c.Close(); err != nil {
		b.Fatal(err)
	}
	srv, err := replay.New(replay.Options{Cassette: path, Serve: serve.Options{NoRateLimit: true}})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close(context.Background())
	benchHandler(b, srv.Handler())
}

// countWriter is a ResponseWriter that only counts.
type countWriter struct {
	h    http.Header
	code int
	n    int
}

func (w *countWriter) Header() http.Header { return w.h }
func (w *countWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}
func (w *countWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	w.n += len(b)
	return len(b), nil
}
