package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// recordSection runs record's own benchmarks (record/bench_test.go):
// BenchmarkRecordKlines records ~1M 1m candles in 1000-row pages from a
// synthetic upstream and reports cassette size / raw traffic;
// BenchmarkProxyLatency reports the latency the proxy adds at the median.
func recordSection(ctx context.Context, cfg *config, root string, t *table) error {
	const sec = "recording"
	pages, lat := "1000x", "2000x"
	if cfg.quick {
		pages, lat = "200x", "500x"
	}
	res, out, err := goBench(ctx, root, "./record", []string{"BenchmarkRecordKlines"}, pages)
	if err != nil {
		return fmt.Errorf("%v: %s", err, oneLine(out))
	}
	r := res["BenchmarkRecordKlines"]
	t.atMost(sec, fmt.Sprintf("cassette size / raw traffic (%s synthetic candles)", fmtNum(r["candles"])), r["size/raw"], 0.10, "")
	// The same for real Binance candles from ../shared/data, when it is
	// there (the benchmark skips otherwise): context, not a target.
	res, out, err = goBench(ctx, root, "./record", []string{"BenchmarkRecordRealKlines"}, "1x")
	if err != nil {
		return fmt.Errorf("%v: %s", err, oneLine(out))
	}
	names := slices.Sorted(maps.Keys(res))
	for _, name := range names {
		r := res[name]
		file := strings.TrimPrefix(name, "BenchmarkRecordRealKlines/")
		t.info(sec, "real candles "+file+": size / raw", fmt.Sprintf("%s (index %s of %s raw B/candle, %s candles)",
			fmtNum(r["size/raw"]), fmtNum(r["index-B/candle"]), fmtNum(r["raw-B/candle"]), fmtNum(r["candles"])))
	}
	if len(names) == 0 {
		t.info(sec, "real candles", "skipped: no ../shared/data")
	}
	res, out, err = goBench(ctx, root, "./record", []string{"BenchmarkProxyLatency"}, lat)
	if err != nil {
		return fmt.Errorf("%v: %s", err, oneLine(out))
	}
	r = res["BenchmarkProxyLatency"]
	t.lessThan(sec, "proxy added latency p50 (1000-row page)", r["added-p50-ms"], 0.3, "ms")
	t.info(sec, "proxy added latency p99 | direct p50", fmtNum(r["added-p99-ms"])+" ms | "+fmtNum(r["direct-p50-ms"])+" ms")
	return nil
}
