package replay_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/serve"
)

const benchKlines = "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1000&startTime=1704067200000"

// benchHandler times the full serving stack (admin mux, rate limiter with
// enforcement off, perfect netsim, plugin) answering one request again and
// again, as a load test does.
//
// Its allocs/op are the stack's in the steady state, and the same figure
// testing.AllocsPerRun gives for one warmed-up request:
//   - one writer serves every request, its header cleared (the groups of
//     the map stay), so the benchmark's own countWriter, header map and
//     the map's first group are not counted;
//   - warmRequests go before the timer: the first request's one-off
//     allocations, and Binance's used-weight header, which the rate
//     limiter formats with strconv.Itoa: below 100 (the first 49 requests
//     of a minute at weight 2) Itoa returns a constant string, from 100 on
//     it allocates, so a cold window's requests cost one allocation less.
//
// A minute boundary crossed while the benchmark runs starts a cold window
// again: 49 requests one allocation short, which can make the printed
// figure (truncated to an integer) one lower.
func benchHandler(b *testing.B, h http.Handler) {
	benchTarget(b, h, benchKlines, 100_000)
}

// warmRequests is more than one minute window's requests whose used
// weight is below 100.
const warmRequests = 64

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
	srv := recordedServer(b, benchKlines)
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
