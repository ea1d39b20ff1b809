package replaytest_test

import (
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// BenchmarkCandles measures each id's candles endpoint in process at its
// largest page (at most 1000), through the whole serving stack with rate
// limits off, and reports candles per second.
func BenchmarkCandles(b *testing.B) {
	pair := cc.Pair{Base: "BTC", Quote: "USDT", Price: 50000}
	for _, id := range []string{"gate_io_spot", "gate_io_perpetual", "mexc_spot", "mexc_perpetual", "hyperliquid_spot", "hyperliquid_perpetual", "ascend_ex_spot"} {
		b.Run(id, func(b *testing.B) {
			p, err := plugins.Lookup(id)
			if err != nil {
				b.Fatal(err)
			}
			replaytest.BenchCandles(b, id, pair, cc.Interval1m, min(p.Defaults().MaxLimit, 1000))
		})
	}
}
