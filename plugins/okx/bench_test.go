package okx_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/okx"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

func benchHandler(b *testing.B) http.Handler {
	s := replaytest.Start(b, okx.Spot.Name(), []cc.Pair{{Base: "BTC", Quote: "USDT", Price: 50000}}, replaytest.Clock(t0, 0))
	p, env := s.Plugin, s.Env
	return p.Handler(env)
}

func benchCandles(b *testing.B, query string, rows int) {
	h := benchHandler(b)
	req := httptest.NewRequest(http.MethodGet, "/api/v5/market/"+query, nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK || w.Body.Len() < rows*50 {
			b.Fatalf("%d %.200s", w.Code, w.Body.Bytes())
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(rows), "ns/row")
}

// BenchmarkCandles300 serves OKX's largest page, 300 1m candles.
func BenchmarkCandles300(b *testing.B) {
	benchCandles(b, "candles?instId=BTC-USDT&bar=1m&limit=300", 300)
}

// BenchmarkCandlesHongKongDays100 serves 100 Hong Kong-aligned day bars,
// each aggregated from 24 hourly candles.
func BenchmarkCandlesHongKongDays100(b *testing.B) {
	benchCandles(b, "history-candles?instId=BTC-USDT&bar=1D&limit=100", 100)
}
