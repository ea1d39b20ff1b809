package bulk_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/bulk"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// monthCassette imports the real BTCUSDT 1m month and 12-field day.
func monthCassette(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "month.cassette")
	files := []string{filepath.Join(dataDir, "binance-spot-BTCUSDT-1m-2024-01.csv.gz"), filepath.Join(dataDir, "binance-spot-BTCUSDT-1m-2020-12-01-12col.csv")}
	if _, err := os.Stat(files[0]); err != nil {
		t.Skipf("shared data: %v", err)
	}
	if _, err := importInto(t, path, "binance_spot", files, bulk.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	return path
}

func textMs(t *testing.T, s string) int64 {
	t.Helper()
	tm, err := time.Parse("2006-01-02 15:04:05", s)
	if err != nil {
		t.Fatal(err)
	}
	return tm.UnixMilli()
}

// TestExportCSVAndJSONLGiveTheFileBack: the imported month comes back
// through export to CSV and JSONL with every value digit for digit as in
// the source file, and the exported CSV imports back to the same index.
func TestExportCSVAndJSONLGiveTheFileBack(t *testing.T) {
	path := monthCassette(t)
	src := fields(readLines(t, "binance-spot-BTCUSDT-1m-2024-01.csv.gz")[1:])
	start, end := textMs(t, src[0][0]), textMs(t, src[len(src)-1][0])+60_000
	// The 12-field day round-trips too (every column filled).
	var dayOut bytes.Buffer
	if _, err := bulk.Export(path, &dayOut, bulk.ExportOptions{Symbol: "BTCUSDT", Interval: cc.Interval1m, End: start, Format: bulk.FormatCSV}); err != nil {
		t.Fatal(err)
	}
	dayBack := filepath.Join(t.TempDir(), "BTCUSDT-1m-2020-12-01.csv")
	os.WriteFile(dayBack, dayOut.Bytes(), 0o644)
	dayCas := filepath.Join(t.TempDir(), "day.cassette")
	if _, err := importInto(t, dayCas, "binance_spot", []string{dayBack}, bulk.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	day := allCandles(t, openRO(t, dayCas, "binance_spot"), "BTCUSDT", cc.Interval1m)
	for i, fs := range fields(readLines(t, "binance-spot-BTCUSDT-1m-2020-12-01-12col.csv")[1:]) {
		want := append([]string{strconv.FormatInt(textMs(t, fs[0]), 10)}, fs[1:11]...)
		if got := candleFields(day[i]); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("day row %d back as %v, want %v", i, got, want)
		}
	}
	var csvOut, jsonOut bytes.Buffer
	o := bulk.ExportOptions{Symbol: "BTCUSDT", Interval: cc.Interval1m, Start: start, End: end, Format: bulk.FormatCSV}
	res, err := bulk.Export(path, &csvOut, o)
	if err != nil || res.Rows != int64(len(src)) {
		t.Fatalf("csv: %d rows, %v; want %d", res.Rows, err, len(src))
	}
	o.Format = bulk.FormatJSONL
	if _, err := bulk.Export(path, &jsonOut, o); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(csvOut.String(), "\n"), "\n")
	if lines[0] != "exchange,symbol,interval,open_time,open,high,low,close,volume,close_time,quote_volume,trades,taker_buy_base,taker_buy_quote" {
		t.Fatalf("header %q", lines[0])
	}
	jl := strings.Split(strings.TrimSuffix(jsonOut.String(), "\n"), "\n")
	if len(lines)-1 != len(src) || len(jl) != len(src) {
		t.Fatalf("%d csv rows, %d jsonl rows, want %d", len(lines)-1, len(jl), len(src))
	}
	for i, fs := range src {
		open := textMs(t, fs[0])
		want := fmt.Sprintf("binance_spot,BTCUSDT,1m,%d,%s,%s,%s,%s,%s,%d,0,0,0,0", open, fs[1], fs[2], fs[3], fs[4], fs[5], open+59_999)
		if lines[i+1] != want {
			t.Fatalf("csv row %d: %q, want %q", i+1, lines[i+1], want)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(jl[i]), &m); err != nil {
			t.Fatal(err)
		}
		if m["open"] != fs[1] || m["high"] != fs[2] || m["low"] != fs[3] || m["close"] != fs[4] || m["volume"] != fs[5] ||
			m["open_time"] != float64(open) || m["symbol"] != "BTCUSDT" {
			t.Fatalf("jsonl row %d: %s, want the values of %v", i+1, jl[i], fs)
		}
	}
	// The export imports back (no flags) to the same candles.
	back := filepath.Join(t.TempDir(), "BTCUSDT-1m-2024-01.csv")
	os.WriteFile(back, csvOut.Bytes(), 0o644)
	again := filepath.Join(t.TempDir(), "again.cassette")
	if _, err := importInto(t, again, "binance_spot", []string{back}, bulk.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	a := allCandles(t, openRO(t, path, "binance_spot"), "BTCUSDT", cc.Interval1m)
	b := allCandles(t, openRO(t, again, "binance_spot"), "BTCUSDT", cc.Interval1m)
	a = a[len(a)-len(src):] // the month (the day of 2020 is first)
	if len(a) != len(b) {
		t.Fatalf("%d candles back, want %d", len(b), len(a))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("candle %d back as %+v, want %+v", i, b[i], a[i])
		}
	}
}

// TestExportAggregatesLikeBinance: 1m candles exported as 1d equal
// Binance's own 1d candles (the real etna file) for every day of January
// 2024, and the 2021 1m run exported as 1h equals Binance's 1h file for
// the hours they share: open, high, low, close exactly, volume to 1e-6.
func TestExportAggregatesLikeBinance(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agg.cassette")
	files := []string{filepath.Join(dataDir, "binance-spot-BTCUSDT-1m-2024-01.csv.gz"), filepath.Join(dataDir, "binance-spot-BTCUSDT-1m-2021-03-26_2021-04-30.csv.gz")}
	if _, err := os.Stat(files[0]); err != nil {
		t.Skipf("shared data: %v", err)
	}
	if _, err := importInto(t, path, "binance_spot", files, bulk.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	type ref struct {
		iv       cc.Interval
		file     string
		open     func([]string) int64
		ohlcv    func([]string) []string
		from, to string
		wantRows int
	}
	refs := []ref{
		{cc.Interval1d, "binance-spot-BTCUSDT-1d-2017-08-17_2026-01-05.csv",
			func(fs []string) int64 { n, _ := strconv.ParseInt(fs[2], 10, 64); return n },
			func(fs []string) []string { return fs[4:9] }, "2024-01-01", "2024-02-01", 31},
		{cc.Interval1h, "binance-spot-BTCUSDT-1h-2021-Q1.csv",
			func(fs []string) int64 { n, _ := strconv.ParseInt(fs[0], 10, 64); return n },
			func(fs []string) []string { return fs[1:6] }, "2021-03-26", "2021-04-01", 141},
	}
	for _, r := range refs {
		t.Run(string(r.iv), func(t *testing.T) {
			from, _ := time.Parse("2006-01-02", r.from)
			to, _ := time.Parse("2006-01-02", r.to)
			var out bytes.Buffer
			res, err := bulk.Export(path, &out, bulk.ExportOptions{Symbol: "BTCUSDT", Interval: r.iv, Start: from.UnixMilli(), End: to.UnixMilli(), Format: bulk.FormatCSV})
			if err != nil || res.Rows != int64(r.wantRows) {
				t.Fatalf("%d rows, %v; want %d", res.Rows, err, r.wantRows)
			}
			want := map[int64][]string{}
			for _, l := range readLines(t, r.file) {
				fs := strings.Split(l, ",")
				if _, err := strconv.Atoi(fs[0][:1]); err != nil && len(fs) != 10 {
					continue
				}
				if len(fs) == 10 && fs[0] == "symbol" {
					continue
				}
				want[r.open(fs)] = r.ohlcv(fs)
			}
			for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n")[1:] {
				fs := strings.Split(l, ",")
				open, _ := strconv.ParseInt(fs[3], 10, 64)
				w, ok := want[open]
				if !ok {
					t.Fatalf("%s: no reference row at %d", r.file, open)
				}
				for k := 0; k < 4; k++ {
					if cc.MustDecimal(fs[4+k]).Cmp(cc.MustDecimal(w[k])) != 0 {
						t.Fatalf("%s at %s: exported %v, Binance %v", r.iv, time.UnixMilli(open).UTC(), fs[4:9], w)
					}
				}
				gv, wv := cc.MustDecimal(fs[8]).Float64(), cc.MustDecimal(w[4]).Float64()
				if math.Abs(gv-wv) > 1e-6*wv {
					t.Fatalf("%s at %s: volume %v, Binance %v", r.iv, time.UnixMilli(open).UTC(), gv, wv)
				}
			}
		})
	}
}

// TestExportBothIsWhatReplayServes: --source both over a window that
// starts before the imported month labels the candles before it
// synthetic and the month's recorded, and both are exactly what a replay
// server of the cassette (same seed) serves for that window.
func TestExportBothIsWhatReplayServes(t *testing.T) {
	path := monthCassette(t)
	start := time.Date(2023, 12, 31, 22, 0, 0, 0, time.UTC).UnixMilli()
	end := time.Date(2024, 1, 1, 2, 0, 0, 0, time.UTC).UnixMilli()
	var out bytes.Buffer
	res, err := bulk.Export(path, &out, bulk.ExportOptions{Symbol: "BTCUSDT", Interval: cc.Interval1m, Start: start, End: end, Source: bulk.SourceBoth, Seed: 7})
	if err != nil || res.Rows != 240 {
		t.Fatalf("%d rows, %v; want 240", res.Rows, err)
	}
	srv := replaytest.Replay(t, path, replay.Options{Seed: 7})
	status, body := srv.Get(t, fmt.Sprintf("/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=%d&endTime=%d&limit=1000", start, end-1))
	if status != 200 {
		t.Fatalf("replay: %d %s", status, body)
	}
	var served [][]any
	if err := json.Unmarshal(body, &served); err != nil || len(served) != 240 {
		t.Fatalf("replay served %d rows (%v)", len(served), err)
	}
	rows := strings.Split(strings.TrimSpace(out.String()), "\n")[1:]
	for i, l := range rows {
		fs := strings.Split(l, ",")
		wantSource := "synthetic"
		if i >= 120 {
			wantSource = "recorded"
		}
		if fs[14] != wantSource {
			t.Fatalf("row %d (%s): source %s, want %s", i, fs[3], fs[14], wantSource)
		}
		s := served[i]
		if fmt.Sprint(int64(s[0].(float64))) != fs[3] {
			t.Fatalf("row %d: open time %s, replay %v", i, fs[3], s[0])
		}
		for k, col := range []int{4, 5, 6, 7, 8} { // open high low close volume
			if cc.MustDecimal(s[1+k].(string)).Cmp(cc.MustDecimal(fs[col])) != 0 {
				t.Fatalf("row %d (%s): exported %v, replay served %v", i, wantSource, fs[4:9], s[1:6])
			}
		}
	}
	// --source synthetic leaves the recorded ones out.
	out.Reset()
	res, err = bulk.Export(path, &out, bulk.ExportOptions{Symbol: "BTCUSDT", Interval: cc.Interval1m, Start: start, End: end, Source: bulk.SourceSynthetic, Seed: 7})
	if err != nil || res.Rows != 120 {
		t.Fatalf("synthetic: %d rows, %v; want the 120 before the month", res.Rows, err)
	}
}
