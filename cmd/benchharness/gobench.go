package main

import (
	"bufio"
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// benchSpec is one `go test -bench` benchmark of a hot path and its
// target on one of the figures it reports.
type benchSpec struct {
	pkg    string // package path relative to the module root
	name   string // benchmark name as printed, without the -N suffix
	label  string // what it measures, for the table
	unit   string // the figure checked: ns/op or a ReportMetric unit
	less   bool   // target is an upper bound (else a lower one)
	limit  float64
	scale  float64 // shown value = figure × scale
	show   string  // unit shown in the table
	extras bool    // append B/op and allocs/op
}

// hotPaths are the micro-benchmarks of the serving hot paths, with targets
// derived from the end-to-end budgets: at nginx-like rates (~10k
// 1000-row responses/s on two cores) a request can spend well under
// 100 µs, and at 500,000 WS messages/s a message about 2 µs in total.
var hotPaths = []benchSpec{
	{pkg: ".", name: "BenchmarkDecimalAppend", label: "decimal: append one price", unit: "ns/op", less: true, limit: 50, scale: 1, show: "ns", extras: true},
	{pkg: "./plugins/binance", name: "BenchmarkKlinesRequestParse", label: "binance: parse+validate a klines request", unit: "ns/op", less: true, limit: 2000, scale: 1, show: "ns", extras: true},
	{pkg: "./plugins/binance", name: "BenchmarkKlinesEncode1000", label: "binance: encode 1000 kline rows (JSON)", unit: "ns/op", less: true, limit: 150, scale: 1e-3, show: "µs", extras: true},
	{pkg: "./plugins/binance", name: "BenchmarkKlineEventEncode", label: "binance: encode one WS kline event", unit: "ns/op", less: true, limit: 1000, scale: 1, show: "ns", extras: true},
	{pkg: "./plugins/binance", name: "BenchmarkDepth5000", label: "binance: a 5,000-level depth snapshot at any instant, generated + encoded", unit: "ns/op", less: true, limit: 1000, scale: 1e-3, show: "µs", extras: true},
	{pkg: "./plugins/binance", name: "BenchmarkDepthStreamStep/subs=1000", label: "binance: one @depth@100ms step for 1,000 subscribers, per subscriber (diff shared, event encoded once)", unit: "ns/subscriber", less: true, limit: 20, scale: 1e-3, show: "µs"},
	{pkg: "./plugins/binance", name: "BenchmarkKlinesHandler1000", label: "binance: klines handler, 1000 rows, closed window", unit: "ns/op", less: true, limit: 30, scale: 1e-3, show: "µs", extras: true},
	{pkg: "./internal/h1", name: "BenchmarkParseHead", label: "h1: parse a request head and target", unit: "ns/op", less: true, limit: 2000, scale: 1, show: "ns", extras: true},
	{pkg: "./cassettes", name: "BenchmarkMatchKey", label: "cassettes: normalize a request (match key)", unit: "ns/op", less: true, limit: 2000, scale: 1, show: "ns", extras: true},
	{pkg: "./cassettes", name: "BenchmarkIndexWindow1000", label: "cassettes: random 1000-candle index read", unit: "ns/op", less: true, limit: 200, scale: 1e-3, show: "µs", extras: true},
	{pkg: "./bulk", name: "BenchmarkImport", label: "bulk: import 1M Binance kline rows (CSV) into a cassette", unit: "candles/s", less: false, limit: 1, scale: 1e-6, show: "M candles/s"},
	{pkg: "./bulk", name: "BenchmarkExportParquet", label: "bulk: export 1M indexed candles to Parquet", unit: "candles/s", less: false, limit: 2, scale: 1e-6, show: "M candles/s"},
	{pkg: "./bulk", name: "BenchmarkExportTradesParquet", label: "bulk: export a day of synthetic trades (1.9M) to Parquet", unit: "trades/s", less: false, limit: 2, scale: 1e-6, show: "M trades/s"},
	{pkg: "./synth", name: "BenchmarkCandles1m", label: "synth: generate 1000 1m candles", unit: "ns/op", less: true, limit: 1000, scale: 1e-3, show: "µs", extras: true},
	{pkg: "./synth", name: "BenchmarkCandles1mThin", label: "synth: generate 1000 1m candles of a thin pair (quiet minutes priced from their tapes)", unit: "ns/op", less: true, limit: 30000, scale: 1e-3, show: "µs", extras: true},
	{pkg: "./synth", name: "BenchmarkCandles1d1000", label: "synth: generate 1000 1d candles", unit: "ns/op", less: true, limit: 2000, scale: 1e-3, show: "µs", extras: true},
	{pkg: "./synth", name: "BenchmarkTrades", label: "synth: trades generated per CPU-second (one core)", unit: "trades/cpu-s", less: false, limit: 5, scale: 1e-6, show: "M/s", extras: true},
	{pkg: "./synth", name: "BenchmarkDiffsStep", label: "synth: one 100 ms diff of the 5,000-level book (BTCUSDT, busy hour), CPU", unit: "cpu-µs/op", less: true, limit: 2000, scale: 1, show: "µs", extras: true},
	{pkg: "./synth", name: "BenchmarkTradeWindow1000", label: "synth: a 1000-trade window anywhere in time", unit: "cpu-ms/window", less: true, limit: 1, scale: 1, show: "ms", extras: true},
	{pkg: "./replay", name: "BenchmarkRecordedKlines1000", label: "replay: recorded 1000-row answer, full stack", unit: "ns/op", less: true, limit: 30, scale: 1e-3, show: "µs", extras: true},
	{pkg: "./replay", name: "BenchmarkSynthKlines1000", label: "replay: synthetic 1000-row answer, full stack", unit: "ns/op", less: true, limit: 30, scale: 1e-3, show: "µs", extras: true},
	{pkg: "./netsim", name: "BenchmarkMiddleware/rest", label: "netsim: middleware, perfect network", unit: "ns/op", less: true, limit: 1000, scale: 1, show: "ns", extras: true},
	{pkg: "./ratelimit", name: "BenchmarkMiddleware", label: "ratelimit: middleware, admitted request", unit: "ns/op", less: true, limit: 2000, scale: 1, show: "ns", extras: true},
}

// benchResult is one parsed benchmark line: figure unit → value.
type benchResult map[string]float64

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.*)$`)

// parseBench reads `go test -bench` output into name → figures.
func parseBench(out string) map[string]benchResult {
	res := map[string]benchResult{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		r := benchResult{}
		f := strings.Fields(m[3])
		for i := 0; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				r[f[i+1]] = v
			}
		}
		res[m[1]] = r
	}
	return res
}

// goBench runs the named benchmarks of one package.
func goBench(ctx context.Context, root, pkg string, names []string, benchtime string) (map[string]benchResult, string, error) {
	var pats []string
	for _, n := range names {
		top, sub, _ := strings.Cut(n, "/")
		p := "^" + top + "$"
		if sub != "" {
			p += "/^" + sub + "$"
		}
		pats = append(pats, p)
	}
	// One run per benchmark keeps sub-benchmark patterns simple.
	all := map[string]benchResult{}
	var outs strings.Builder
	for _, p := range pats {
		out, err := run(ctx, root, "go", "test", "-run", "^$", "-bench", p, "-benchmem", "-benchtime", benchtime, "-count", "1", pkg)
		outs.WriteString(out)
		if err != nil {
			return all, outs.String(), fmt.Errorf("go test -bench %s %s: %v", p, pkg, err)
		}
		for k, v := range parseBench(out) {
			all[k] = v
		}
	}
	return all, outs.String(), nil
}

func goBenchmarks(ctx context.Context, cfg *config, root string, t *table) error {
	byPkg := map[string][]string{}
	var order []string
	for _, s := range hotPaths {
		if _, ok := byPkg[s.pkg]; !ok {
			order = append(order, s.pkg)
		}
		byPkg[s.pkg] = append(byPkg[s.pkg], s.name)
	}
	results := map[string]benchResult{}
	for _, pkg := range order {
		logf("go test -bench %s", pkg)
		res, out, err := goBench(ctx, root, pkg, byPkg[pkg], cfg.benchTime)
		if err != nil {
			logf("%v\n%s", err, out)
		}
		for k, v := range res {
			results[pkg+" "+k] = v
		}
	}
	for _, s := range hotPaths {
		r, ok := results[s.pkg+" "+s.name]
		if !ok {
			t.add("go bench", s.label, "did not run", "", miss)
			continue
		}
		v := r[s.unit] * s.scale
		val := fmtNum(v) + " " + s.show
		if s.extras {
			val += fmt.Sprintf(" (%s B, %s allocs)", fmtNum(r["B/op"]), fmtNum(r["allocs/op"]))
		}
		target := "< " + fmtNum(s.limit) + " " + s.show
		ok = v < s.limit
		if !s.less {
			target, ok = "≥ "+fmtNum(s.limit)+" "+s.show, v >= s.limit
		}
		t.add("go bench", s.label, val, target, mark(ok))
	}
	return nil
}
