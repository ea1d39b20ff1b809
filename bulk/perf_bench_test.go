package bulk_test

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/bulk"
)

// BenchmarkImport imports 1M real-valued 1m candles in Binance's
// headerless 12-field CSV layout into a new cassette (target ≥ 1M
// candles/s; reported as candles/s).
func BenchmarkImport(b *testing.B) {
	const n = 1_000_000
	dir := b.TempDir()
	src := filepath.Join(dir, "BTCUSDT-1m-2023-01.csv")
	if err := os.WriteFile(src, binanceRows(b, n, 1_600_000_000_000-1_600_000_000_000%60_000), 0o644); err != nil {
		b.Fatal(err)
	}
	cpu0 := cpuTime()
	for b.Loop() {
		path := filepath.Join(dir, "out.cassette")
		os.Remove(path)
		res, err := importInto(b, path, "binance_spot", []string{src}, bulk.ImportOptions{})
		if err != nil || res.Report.Added != n {
			b.Fatal(err, res.Report)
		}
	}
	reportRates(b, n, cpu0)
}

// exportFixture is a cassette holding n real-valued 1m candles.
func exportFixture(b *testing.B, n int) string {
	dir := b.TempDir()
	src := filepath.Join(dir, "BTCUSDT-1m-2023-01.csv")
	if err := os.WriteFile(src, binanceRows(b, n, 1_600_000_000_000-1_600_000_000_000%60_000), 0o644); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, "x.cassette")
	if _, err := importInto(b, path, "binance_spot", []string{src}, bulk.ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	os.Remove(src)
	return path
}

// BenchmarkExportParquet writes 1M indexed 1m candles to Parquet (target
// ≥ 2M candles/s; reported as candles/s).
func BenchmarkExportParquet(b *testing.B) {
	const n = 1_000_000
	path := exportFixture(b, n)
	cpu0 := cpuTime()
	for b.Loop() {
		res, err := bulk.Export(path, io.Discard, bulk.ExportOptions{Format: bulk.FormatParquet})
		if err != nil || res.Rows != n {
			b.Fatal(err, res.Rows)
		}
	}
	reportRates(b, n, cpu0)
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportRates reports candles per second of wall time and per second of
// CPU time (the second is steadier on a loaded machine).
func reportRates(b *testing.B, n int, cpu0 time.Duration) {
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "candles/s")
	b.ReportMetric(float64(n)*float64(b.N)/(cpuTime()-cpu0).Seconds(), "candles/cpu-s")
}

// BenchmarkExportTradesParquet writes a day of the synthetic tape's
// BTCUSDT trades on binance_spot (seed 7, 2025-03-05: about 1.9M trades)
// to Parquet (target ≥ 2M trades/s; reported as trades/s), generating
// them included: the synthetic tape is Ticked, so it is read once.
func BenchmarkExportTradesParquet(b *testing.B) {
	start := time.Date(2025, 3, 5, 0, 0, 0, 0, time.UTC).UnixMilli()
	o := bulk.ExportOptions{What: bulk.WhatTrades, Exchange: "binance_spot", Symbol: "BTCUSDT", Seed: 7,
		Start: start, End: start + 86_400_000, Format: bulk.FormatParquet}
	var n int64
	cpu0 := cpuTime()
	for b.Loop() {
		res, err := bulk.Export("", io.Discard, o)
		if err != nil || res.Rows < 1_000_000 {
			b.Fatal(err, res.Rows)
		}
		n = res.Rows
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "trades/s")
	b.ReportMetric(float64(n)*float64(b.N)/(cpuTime()-cpu0).Seconds(), "trades/cpu-s")
}
