package main

import (
	"context"
	"fmt"
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
	t.atMost(sec, fmt.Sprintf("cassette size / raw traffic (%s candles)", fmtNum(r["candles"])), r["size/raw"], 0.10, "")
	res, out, err = goBench(ctx, root, "./record", []string{"BenchmarkProxyLatency"}, lat)
	if err != nil {
		return fmt.Errorf("%v: %s", err, oneLine(out))
	}
	r = res["BenchmarkProxyLatency"]
	t.lessThan(sec, "proxy added latency p50 (1000-row page)", r["added-p50-ms"], 0.3, "ms")
	t.info(sec, "proxy added latency p99 | direct p50", fmtNum(r["added-p99-ms"])+" ms | "+fmtNum(r["direct-p50-ms"])+" ms")
	return nil
}
