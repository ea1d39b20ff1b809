package replaytest

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/serve"
)

// BenchCandles measures one exchange's candles endpoint in process (no
// sockets): rows candles of iv per request through the plugin's
// CandlesRequest (built once; a POST body is rewound for each request),
// with rate limits off. It reports candles per second.
func BenchCandles(b *testing.B, exchange string, pair cc.Pair, iv cc.Interval, rows int) {
	b.Helper()
	p, err := plugins.Lookup(exchange)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	srv, err := replay.New(replay.Options{
		Exchange: exchange,
		Pairs:    []cc.Pair{pair},
		Clock:    Clock(now, 0),
		Serve:    serve.Options{NoRateLimit: true},
	})
	if err != nil {
		b.Fatal(err)
	}
	pair.Symbol = p.Symbol(pair)
	start := iv.Truncate(now.UnixMilli()) - int64(rows+5)*iv.Millis()
	req, err := p.CandlesRequest(plugins.Query{Symbol: pair.Symbol, Interval: iv, Start: start, Limit: rows})
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	serve := func() *httptest.ResponseRecorder {
		if req.GetBody != nil { // a POST query's body is read once: rewind it
			body, err := req.GetBody()
			if err != nil {
				b.Fatal(err)
			}
			req.Body = body
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	if rec := serve(); rec.Code != http.StatusOK {
		b.Fatalf("%s: %d %s", req.URL, rec.Code, rec.Body)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		serve()
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "candles/s")
}
