package bybit_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/bybit"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// BenchmarkKline1000 serves Bybit's largest page, 1000 1m klines, through
// the plugin's handler (market reads included, no network).
func BenchmarkKline1000(b *testing.B) {
	s := replaytest.Start(b, bybit.Spot.Name(), []cc.Pair{{Base: "BTC", Quote: "USDT", Price: 50000}}, replaytest.Clock(t0, 0))
	p, env := s.Plugin, s.Env
	h := p.Handler(env)
	req := httptest.NewRequest(http.MethodGet, "/v5/market/kline?category=spot&symbol=BTCUSDT&interval=1&limit=1000", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK || w.Body.Len() < 1000*50 {
			b.Fatalf("%d %.200s", w.Code, w.Body.Bytes())
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/row")
}
