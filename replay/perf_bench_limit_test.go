//go:build unix

package replay_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/serve"
)

// BenchmarkKlinesCPU serves the benchmark harness's two klines windows
// (limit=1000 and limit=100, cmd/benchharness rest.go) from the synthetic
// market (a settled window: the answer cache after the first request)
// and recorded in a cassette (the recorded interaction), as
// BenchmarkSynthKlines1000 does, and reports the process's CPU time per
// request beside the wall time: on a shared machine the fairer figure.
func BenchmarkKlinesCPU(b *testing.B) {
	for _, limit := range []int{1000, 100} {
		target := fmt.Sprintf("/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=%d&startTime=1704067200000", limit)
		b.Run(fmt.Sprintf("synth/limit=%d", limit), func(b *testing.B) {
			srv, err := replay.New(replay.Options{Exchange: "binance_spot", Serve: serve.Options{NoRateLimit: true}})
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close(context.Background())
			benchTarget(b, srv.Handler(), target, limit*100)
		})
		b.Run(fmt.Sprintf("recorded/limit=%d", limit), func(b *testing.B) {
			srv := recordedServer(b, target)
			defer srv.Close(context.Background())
			benchTarget(b, srv.Handler(), target, limit*100)
		})
	}
}

// recordedServer replays a cassette holding the synthetic market's
// answer to target as a recorded interaction.
func recordedServer(b *testing.B, target string) *replay.Server {
	syn, err := replay.New(replay.Options{Exchange: "binance_spot", Serve: serve.Options{NoRateLimit: true}})
	if err != nil {
		b.Fatal(err)
	}
	rec := httptest.NewRecorder()
	syn.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	syn.Close(context.Background())
	path := filepath.Join(b.TempDir(), "k.cassette")
	c, err := cassettes.Open(path, 0o644, &cassettes.Options{Exchange: "binance_spot", NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	u := httptest.NewRequest(http.MethodGet, target, nil).URL
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
	return srv
}

// benchTarget is benchHandler for any target whose answer is at least
// minBytes long.
func benchTarget(b *testing.B, h http.Handler, target string, minBytes int) {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	r.RemoteAddr = "127.0.0.1:50000"
	w := &countWriter{h: http.Header{}}
	serve := func() {
		clear(w.h)
		w.code, w.n = 0, 0
		h.ServeHTTP(w, r)
		if w.code != http.StatusOK || w.n < minBytes {
			b.Fatalf("status %d, %d bytes", w.code, w.n)
		}
	}
	for range warmRequests {
		serve()
	}
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		serve()
	}
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// cpuTime is the CPU time this process has used (user and system, all
// threads).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
