package synth_test

import (
	"context"
	"runtime"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/synth"
)

func benchMarket() *synth.Market {
	return synth.New(synth.Options{Seed: 7, Exchange: "binance_spot",
		Pairs: []cc.Pair{{Base: "BTC", Quote: "USDT", Price: 50000, Symbol: "BTCUSDT"}}})
}

// BenchmarkCandles1m generates 1m windows of 1000 candles at successive
// places (so nothing is cached between iterations) and reports candles
// per second of wall-clock time and of process CPU time.
func BenchmarkCandles1m(b *testing.B) { benchWindows(b, cc.Interval1m) }

// BenchmarkCandles1s is BenchmarkCandles1m for 1s windows.
func BenchmarkCandles1s(b *testing.B) { benchWindows(b, cc.Interval1s) }

// BenchmarkCandles1mThin is BenchmarkCandles1m for a thin pair (a
// default altcoin at 100, lots of a dollar): most of its minutes are quiet
// (under 80 trades) and take their quote volumes from their leaves' tapes,
// so each costs a split down to the seconds (quiet.go).
func BenchmarkCandles1mThin(b *testing.B) {
	m := synth.New(synth.Options{Seed: 7, Exchange: "binance_spot",
		Pairs: []cc.Pair{{Base: "FOO", Quote: "USDT", Symbol: "FOOUSDT"}}})
	benchWindowsOf(b, m, "FOOUSDT", cc.Interval1m)
}

// benchWindows generates 1000-candle windows of iv, each starting where
// the last ended, and reports candles per second of wall-clock and CPU time.
func benchWindows(b *testing.B, iv cc.Interval) {
	benchWindowsOf(b, benchMarket(), "BTCUSDT", iv)
}

// benchWindowsOf is benchWindows for symbol sym of market m.
func benchWindowsOf(b *testing.B, m *synth.Market, sym string, iv cc.Interval) {
	ctx := context.Background()
	const n = 1000
	span := n * iv.Millis()
	start := int64(1735689600000) // 2025-01-01
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	total := 0
	for i := 0; i < b.N; i++ {
		s := start + int64(i)*span
		cs, err := m.Candles(ctx, sym, iv, s, s+span, s+span)
		if err != nil || len(cs) != n {
			b.Fatalf("got %d candles, %v", len(cs), err)
		}
		total += len(cs)
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "candles/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(total)/cpu.Seconds(), "candles/cpu-s")
	}
}

// BenchmarkCandles1d1000 serves a 1000-row 1d window, the largest a
// Binance klines request returns.
func BenchmarkCandles1d1000(b *testing.B) {
	m := benchMarket()
	ctx := context.Background()
	const n = 1000
	day := int64(86_400_000)
	start := int64(1600000000000) / day * day
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		s := start + int64(i%50)*day*37
		cs, err := m.Candles(ctx, "BTCUSDT", cc.Interval1d, s, s+n*day, s+n*day)
		if err != nil || len(cs) != n {
			b.Fatalf("got %d candles, %v", len(cs), err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/window")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(cpu.Seconds()*1e3/float64(b.N), "cpu-ms/window")
	}
}

// BenchmarkTrades generates the BTCUSDT tape in successive windows of a
// minute (sequential generation) and reports trades per second of
// wall-clock and CPU time, on one core: with a second one idle the GC's
// idle mark workers burn it and the process's CPU time counts that too
// (4.0-5.1M trades/cpu-s at GOMAXPROCS 2 against 5.6-6.0M at 1, same
// minutes).
func BenchmarkTrades(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	m := benchMarket()
	ctx := context.Background()
	start := int64(1735689600000) * 1000 // 2025-01-01, µs
	const span = int64(60_000_000)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	total := 0
	for i := 0; i < b.N; i++ {
		s := start + int64(i)*span
		ts, err := m.Trades(ctx, cc.TradeQuery{Symbol: "BTCUSDT", Start: s, End: s + span})
		if err != nil {
			b.Fatal(err)
		}
		total += len(ts)
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "trades/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(total)/cpu.Seconds(), "trades/cpu-s")
	}
}

// BenchmarkTradeWindow1000 asks for 1000 trades from a time anywhere in
// a century (nothing cached between iterations but the day tables of
// the 4096-day blocks it visits), as a trades endpoint with startTime
// and limit does.
func BenchmarkTradeWindow1000(b *testing.B) {
	m := benchMarket()
	ctx := context.Background()
	lo := int64(946684800000) * 1000 // 2000-01-01, µs
	span := int64(100*365*86_400) * 1_000_000
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		s := lo + int64(uint64(i)*0x9e3779b97f4a7c15%uint64(span))
		ts, err := m.Trades(ctx, cc.TradeQuery{Symbol: "BTCUSDT", Start: s, Limit: 1000})
		if err != nil || len(ts) != 1000 {
			b.Fatalf("got %d trades, %v", len(ts), err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/window")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(cpu.Seconds()*1e3/float64(b.N), "cpu-ms/window")
	}
}
