package bybit_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/bybit"
	"github.com/candlecassette/candlecassette/plugins/internal/kittest"
)

// BenchmarkKline1000 serves Bybit's largest page, 1000 1m klines, through
// the plugin's handler (market reads included, no network).
func BenchmarkKline1000(b *testing.B) {
	p, env := kittest.NewEnv(b, bybit.Spot.Name(), []cc.Pair{{Base: "BTC", Quote: "USDT", Price: 50000}}, kittest.Frozen(t0))
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
