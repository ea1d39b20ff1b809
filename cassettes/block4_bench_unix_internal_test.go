//go:build unix

package cassettes

import (
	"syscall"
	"testing"
	"time"
)

// BenchmarkEncodeBlock4 encodes blocks of real 1m Binance candles,
// reported per candle in wall and in CPU time (the second is steadier on
// a loaded machine).
func BenchmarkEncodeBlock4(b *testing.B) {
	cs := realSeries(&testing.T{}, "binance-spot-BTCUSDT-1m-2020-12-01-12col.csv", 60_000)
	if cs == nil {
		b.Skip("shared data is absent")
	}
	cs = cs[:blockLen]
	cpu0 := cpuTime()
	for b.Loop() {
		encodeBlock4(cs)
	}
	n := float64(b.N * len(cs))
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/candle")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/n, "cpu-ns/candle")
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
