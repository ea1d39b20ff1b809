package synth_test

import (
	"context"
	"testing"

	cc "github.com/candlecassette/candlecassette"
)

// BenchmarkCandles1m100 generates 100-candle 1m windows at successive
// places, a klines request with limit=100 that misses the answer cache.
func BenchmarkCandles1m100(b *testing.B) { benchSmallWindows(b, cc.Interval1m, 100) }

// BenchmarkCandles1d100 is BenchmarkCandles1m100 for 1d windows, each
// starting 37 days after the last.
func BenchmarkCandles1d100(b *testing.B) { benchSmallWindows(b, cc.Interval1d, 100) }

// benchSmallWindows generates n-candle windows of iv and reports the CPU
// time each costs (user and system time of the process, so GC counts).
func benchSmallWindows(b *testing.B, iv cc.Interval, n int) {
	m := benchMarket()
	ctx := context.Background()
	span := int64(n) * iv.Millis()
	step := span
	if iv == cc.Interval1d {
		step = 37 * iv.Millis()
	}
	start := int64(1735689600000) // 2025-01-01
	if iv == cc.Interval1d {
		start = int64(1600000000000) / iv.Millis() * iv.Millis()
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		s := start + int64(i)*step
		if iv == cc.Interval1d {
			s = start + int64(i%50)*step
		}
		cs, err := m.Candles(ctx, "BTCUSDT", iv, s, s+span, s+span)
		if err != nil || len(cs) != n {
			b.Fatalf("got %d candles, %v", len(cs), err)
		}
	}
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/window")
	}
}

// BenchmarkCandles1h is BenchmarkCandles1m for 1h windows (1000 hours,
// about six weeks, each window after the last).
func BenchmarkCandles1h(b *testing.B) { benchWindows(b, cc.Interval1h) }

// BenchmarkCandles1d is BenchmarkCandles1m for 1d windows: each window's
// days are new (BenchmarkCandles1d1000 returns to 50 windows of
// overlapping days, which a Market's day cache keeps).
func BenchmarkCandles1d(b *testing.B) { benchWindows(b, cc.Interval1d) }
