package main

import (
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	cc "github.com/candlecassette/candlecassette"
)

// export --what trades writes the synthetic tape's trades of a window
// without a cassette (stdout and a Parquet file), and refuses what it
// cannot do with a message.
func TestExportTrades(t *testing.T) {
	args := []string{"export", "--what", "trades", "--exchange", "binance_spot", "--symbol", "BTCUSDT",
		"--start", "2025-03-05T15:00:00Z", "--end", "2025-03-05T15:00:10Z"}
	out, _, err := run(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if lines[0] != "exchange,symbol,time,id,agg_id,price,size,quote,buyer_maker,source" || len(lines) < 2 {
		t.Fatalf("csv: %q", out)
	}
	for _, l := range lines[1:] {
		if fs := strings.Split(l, ","); len(fs) != 10 || fs[0] != "binance_spot" || fs[1] != "BTCUSDT" || fs[9] != "synthetic" {
			t.Fatalf("row %q", l)
		}
	}
	pq := filepath.Join(t.TempDir(), "t.parquet")
	_, stderr, err := run(t, append(args, "--format", "parquet", "-o", pq)...)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(pq); err != nil || st.Size() == 0 || !strings.Contains(stderr, "trades to "+pq) {
		t.Fatalf("parquet file %v %v, stderr %q", st, err, stderr)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{append(args, "--source", "recorded"), "needs a --cassette"},
		{args[:7], "--start and --end"},
		{[]string{"export", "--what", "trades", "--start", "2025-03-05", "--end", "2025-03-06"}, "--exchange"},
		{[]string{"export"}, "--cassette is required"},
		{[]string{"export", "--what", "quotes", "--cassette", "x"}, "want candles or trades"},
	} {
		if _, _, err := run(t, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("%v: %v, want an error with %q", c.args, err, c.want)
		}
	}
}

// TestExportCandlesChoosesExchangesSymbolsIntervalsAndRanges: a cassette
// of two exchanges (the real January 2022 of BTCUSDT 1h imported into
// binance_spot and binance_perpetual, and the real 1d file into
// binance_spot) exports everything by default; --exchange, --symbol,
// --interval, --start and --end narrow it; an interval not stored (4h)
// is aggregated from the hours (open of the first, close of the last,
// highest high, lowest low, summed volume, exactly); Parquet goes to a
// file only.
func TestExportCandlesChoosesExchangesSymbolsIntervalsAndRanges(t *testing.T) {
	hours := "../../../shared/data/binance-spot-BTCUSDT-1h-2022-01.csv"
	days := "../../../shared/data/binance-spot-BTCUSDT-1d-2017-08-17_2026-01-05.csv"
	if _, err := os.Stat(hours); err != nil {
		t.Skipf("shared data: %v", err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "two.cassette")
	for _, imp := range [][]string{
		{"--exchange", "binance_spot", hours, days},
		{"--exchange", "binance_perpetual", hours},
	} {
		if _, _, err := run(t, append([]string{"import", "--cassette", path}, imp...)...); err != nil {
			t.Fatal(err)
		}
	}
	rows := func(args ...string) [][]string {
		t.Helper()
		out, _, err := run(t, append([]string{"export", "--cassette", path}, args...)...)
		if err != nil {
			t.Fatalf("export %v: %v", args, err)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if !strings.HasPrefix(lines[0], "exchange,symbol,interval,open_time,open,high,low,close,volume,") {
			t.Fatalf("header %q", lines[0])
		}
		var rs [][]string
		for _, l := range lines[1:] {
			rs = append(rs, strings.Split(l, ","))
		}
		return rs
	}
	count := func(rs [][]string) map[string]int {
		m := map[string]int{}
		for _, r := range rs {
			m[r[0]+" "+r[1]+" "+r[2]]++
		}
		return m
	}
	if got, want := count(rows()), map[string]int{"binance_spot BTCUSDT 1h": 744, "binance_spot BTCUSDT 1d": 3064, "binance_perpetual BTCUSDT 1h": 744}; !maps.Equal(got, want) {
		t.Fatalf("everything: %v, want %v", got, want)
	}
	if got, want := count(rows("--exchange", "binance_perpetual")), map[string]int{"binance_perpetual BTCUSDT 1h": 744}; !maps.Equal(got, want) {
		t.Fatalf("--exchange binance_perpetual: %v, want %v", got, want)
	}
	if got := rows("--exchange", "binance_spot", "--symbol", "BTCUSDT", "--interval", "1d", "--start", "2022-01-10", "--end", "2022-01-12"); len(got) != 2 || got[0][3] != "1641772800000" || got[1][3] != "1641859200000" {
		t.Fatalf("two days: %v", got)
	}
	// 4h from the hours, on each exchange: check every candle against
	// its four source rows.
	src := map[int64][]string{}
	raw, _ := os.ReadFile(hours)
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n")[1:] {
		fs := strings.Split(strings.TrimRight(l, "\r"), ",")
		ms, _ := strconv.ParseInt(fs[0], 10, 64)
		src[ms] = fs
	}
	fourH := rows("--interval", "4h", "--start", "2022-01-01", "--end", "2022-02-01")
	if got, want := count(fourH), map[string]int{"binance_spot BTCUSDT 4h": 186, "binance_perpetual BTCUSDT 4h": 186}; !maps.Equal(got, want) {
		t.Fatalf("4h: %v, want %v", got, want)
	}
	for _, r := range fourH {
		open, _ := strconv.ParseInt(r[3], 10, 64)
		hi, lo, vol := cc.MustDecimal(src[open][2]), cc.MustDecimal(src[open][3]), cc.Decimal{}
		for h := range int64(4) {
			fs := src[open+h*3_600_000]
			if cc.MustDecimal(fs[2]).Cmp(hi) > 0 {
				hi = cc.MustDecimal(fs[2])
			}
			if cc.MustDecimal(fs[3]).Cmp(lo) < 0 {
				lo = cc.MustDecimal(fs[3])
			}
			vol = vol.Add(cc.MustDecimal(fs[5]))
		}
		last := src[open+3*3_600_000]
		want := []cc.Decimal{cc.MustDecimal(src[open][1]), hi, lo, cc.MustDecimal(last[4]), vol}
		for k, w := range want {
			if cc.MustDecimal(r[4+k]).Cmp(w) != 0 {
				t.Fatalf("4h at %d: %v, want open %s high %s low %s close %s volume %s", open, r[4:9], want[0], want[1], want[2], want[3], want[4])
			}
		}
		if r[9] != last[6] {
			t.Fatalf("4h at %d: close time %s, want the last hour's %s", open, r[9], last[6])
		}
	}
	// Parquet: to a file, with the count on stderr; never to stdout.
	pq := filepath.Join(dir, "spot.parquet")
	_, stderr, err := run(t, "export", "--cassette", path, "--exchange", "binance_spot", "--interval", "1h", "--format", "parquet", "-o", pq)
	if err != nil || !strings.Contains(stderr, "exported 744 candles to "+pq) {
		t.Fatalf("parquet: %v, stderr %q", err, stderr)
	}
	if b, err := os.ReadFile(pq); err != nil || len(b) < 8 || string(b[:4]) != "PAR1" || string(b[len(b)-4:]) != "PAR1" {
		t.Fatalf("%s is not a Parquet file (%v)", pq, err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--format", "parquet"}, "needs -o FILE"},
		{[]string{"--interval", "7m"}, "--interval"},
		{[]string{"--start", "yesterday"}, "--start"},
		{[]string{"--format", "xml"}, "xml"},
	} {
		if _, _, err := run(t, append([]string{"export", "--cassette", path}, c.args...)...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("export %v: %v, want an error with %q", c.args, err, c.want)
		}
	}
}
