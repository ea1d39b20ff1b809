package kittest_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/replay"
)

// BenchmarkCandles measures each id's candles endpoint in process at its
// largest page, through the whole serving stack with rate limits off, and
// reports candles per second.
func BenchmarkCandles(b *testing.B) {
	pair := cc.Pair{Base: "BTC", Quote: "USDT", Price: 50000}
	for _, id := range []string{"gate_io_spot", "gate_io_perpetual", "mexc_spot", "mexc_perpetual", "hyperliquid_spot", "hyperliquid_perpetual", "ascend_ex_spot"} {
		b.Run(id, func(b *testing.B) {
			p, err := plugins.Lookup(id)
			if err != nil {
				b.Fatal(err)
			}
			now := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
			srv, err := replay.New(replay.Options{
				Exchange: id, Pairs: []cc.Pair{pair}, NoRateLimit: true,
				Clock: &cc.Clock{Base: now, Start: time.Now(), Speed: 1e-9},
			})
			if err != nil {
				b.Fatal(err)
			}
			rows := min(p.Defaults().MaxLimit, 1000)
			iv := cc.Interval1m
			q := plugins.Query{Symbol: p.Symbol(pair), Interval: iv, Start: iv.Truncate(now.UnixMilli()) - int64(rows+5)*iv.Millis(), Limit: rows}
			h := srv.Handler()
			serve := func() *httptest.ResponseRecorder {
				req, err := p.CandlesRequest(q)
				if err != nil {
					b.Fatal(err)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				return rec
			}
			if rec := serve(); rec.Code != http.StatusOK {
				b.Fatalf("%d %.200s", rec.Code, rec.Body)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				serve()
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "candles/s")
		})
	}
}
