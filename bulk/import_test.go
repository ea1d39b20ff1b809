package bulk_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/bulk"
)

// TestImportRealFilesInPlace imports every Binance file of the shared
// data as it lies (no flags: symbol and interval from the names, columns
// from the headers or Binance's layout, text and ms times) and checks
// each series holds every row of its file, digit for digit.
func TestImportRealFilesInPlace(t *testing.T) {
	files := []struct {
		name   string
		symbol string
		iv     cc.Interval
		rows   int
		header bool
	}{
		{"binance-spot-BTCUSDT-1m-2024-01.csv.gz", "BTCUSDT", cc.Interval1m, 44641, true},
		{"binance-spot-ETHUSDT-1m-2024-01.csv.gz", "ETHUSDT", cc.Interval1m, 44641, true},
		{"binance-spot-BTCUSDT-1m-2021-03-26_2021-04-30.csv.gz", "BTCUSDT", cc.Interval1m, 50000, true},
		{"binance-spot-BTCUSDT-1m-2020-12-01-12col.csv", "BTCUSDT", cc.Interval1m, 1441, true},
		{"binance-spot-BTCUSDT-1h-2021-Q1.csv", "BTCUSDT", cc.Interval1h, 2158, false},
		{"binance-spot-BTCUSDT-1h-2022-01.csv", "BTCUSDT", cc.Interval1h, 744, true},
		{"binance-spot-BTCUSDT-1d-2017-08-17_2026-01-05.csv", "BTCUSDT", cc.Interval1d, 3064, true},
	}
	path := filepath.Join(t.TempDir(), "real.cassette")
	var paths []string
	for _, f := range files {
		paths = append(paths, filepath.Join(dataDir, f.name))
	}
	if _, err := os.Stat(paths[0]); err != nil {
		t.Skipf("shared data: %v", err)
	}
	res, err := importInto(t, path, "binance_spot", paths, bulk.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for i, f := range files {
		fr := res.Files[i]
		if fr.Symbol != f.symbol || fr.Interval != f.iv || fr.Candles != f.rows {
			t.Errorf("%s: got %s %s %d candles, want %s %s %d", f.name, fr.Symbol, fr.Interval, fr.Candles, f.symbol, f.iv, f.rows)
		}
		total += f.rows
	}
	if res.Report.Given != int64(total) || res.Report.Added != int64(total) {
		t.Fatalf("report %+v, want %d given and added", res.Report, total)
	}
	c := openRO(t, path, "binance_spot")
	// Every row of each file is in the index with the file's digits.
	byTime := map[cc.Interval]map[string]map[int64]cc.Candle{}
	for _, k := range []struct {
		s  string
		iv cc.Interval
	}{{"BTCUSDT", cc.Interval1m}, {"ETHUSDT", cc.Interval1m}, {"BTCUSDT", cc.Interval1h}, {"BTCUSDT", cc.Interval1d}} {
		if byTime[k.iv] == nil {
			byTime[k.iv] = map[string]map[int64]cc.Candle{}
		}
		m := map[int64]cc.Candle{}
		for _, x := range allCandles(t, c, k.s, k.iv) {
			m[x.OpenTime] = x
		}
		byTime[k.iv][k.s] = m
	}
	for _, f := range files {
		lines := readLines(t, f.name)
		if f.header {
			lines = lines[1:]
		}
		for n, fs := range fields(lines) {
			var open int64
			var ohlcv []string
			switch len(fs) {
			case 6: // time text, OHLCV
				tm, err := time.Parse("2006-01-02 15:04:05", fs[0])
				if err != nil {
					t.Fatal(err)
				}
				open, ohlcv = tm.UnixMilli(), fs[1:6]
			case 12:
				if tm, err := time.Parse("2006-01-02 15:04:05", fs[0]); err == nil {
					open = tm.UnixMilli()
				} else {
					open, _ = strconv.ParseInt(fs[0], 10, 64)
				}
				ohlcv = fs[1:6]
			case 10: // etna: symbol, timeframe, open_time, close_time, o, h, l, c, v, trades
				open, _ = strconv.ParseInt(fs[2], 10, 64)
				ohlcv = fs[4:9]
			}
			got, ok := byTime[f.iv][f.symbol][open]
			if !ok {
				t.Fatalf("%s row %d (%d): not in the index", f.name, n+1, open)
			}
			if g := candleFields(got)[1:6]; strings.Join(g, ",") != strings.Join(ohlcv, ",") {
				t.Fatalf("%s row %d: index has %v, file %v", f.name, n+1, g, ohlcv)
			}
			if len(fs) == 12 {
				want := append([]string{strconv.FormatInt(open, 10)}, fs[1:11]...)
				if g := candleFields(got); strings.Join(g, ",") != strings.Join(want, ",") {
					t.Fatalf("%s row %d: index has %v, file %v", f.name, n+1, g, want)
				}
			}
		}
	}
	// The 2018-02-08 outage row keeps its real close time.
	if got := byTime[cc.Interval1d]["BTCUSDT"][1518048000000].CloseTime; got != 1518049694788 {
		t.Errorf("2018-02-08 close time %d, want the file's 1518049694788", got)
	}
	// The cassette is the replayable kind: its meta says the exchange and
	// starts the recorded clock where the data ends.
	m := c.Meta()
	if m.Exchange != "binance_spot" || m.From.IsZero() || m.From != m.To || m.From.UnixMilli() != 1767657600000 {
		t.Errorf("meta %+v: want binance_spot, From = To = the end of the newest candle (2026-01-06)", m)
	}
}

// splitMonths cuts Binance rows (open time in field 0, ms) by calendar
// month, or by day.
func splitBy(rows []string, layout string) (keys []string, out map[string][]string) {
	out = map[string][]string{}
	for _, r := range rows {
		ms, _ := strconv.ParseInt(r[:strings.IndexByte(r, ',')], 10, 64)
		k := time.UnixMilli(ms).UTC().Format(layout)
		if _, ok := out[k]; !ok {
			keys = append(keys, k)
		}
		out[k] = append(out[k], r)
	}
	return keys, out
}

// toMicros rewrites a Binance row's open and close times in µs, as the
// spot files are from 2025 on.
func toMicros(row string) string {
	fs := strings.Split(row, ",")
	fs[0] += "000"
	fs[6] += "999"
	return strings.Join(fs, ",")
}

// coinM rewrites a spot row as a COIN-M one: volume in contracts (the
// integer part of the spot volume), quote volume in the base coin.
func coinM(row string) string {
	fs := strings.Split(row, ",")
	fs[7] = fs[5]
	fs[5], _, _ = strings.Cut(fs[5], ".")
	fs[10] = fs[9]
	fs[9], _, _ = strings.Cut(fs[9], ".")
	return strings.Join(fs, ",")
}

const futuresHeader = "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore"

// TestImportArchiveLayout builds data.binance.vision archives from the
// real headerless 1h quarter in t.TempDir(): monthly zips of spot (no
// header, ms) and the same months as plain .csv, USD-M monthly and daily
// zips (header row), COIN-M monthly and daily zips (BTCUSD_PERP, volume
// in contracts) and spot daily zips (µs times), each with a correct
// .CHECKSUM, and checks the index holds the quarter exactly, whatever
// the layout.
func TestImportArchiveLayout(t *testing.T) {
	rows := readLines(t, "binance-spot-BTCUSDT-1h-2021-Q1.csv")
	dir := t.TempDir()
	months, byMonth := splitBy(rows, "2006-01")
	cases := []struct {
		name     string
		exchange string
		symbol   string
		files    func() []string
		// want is what the index must hold of a source row (nil: the row).
		want func(row string) string
	}{
		{"spot monthly, no header, ms", "binance_spot", "BTCUSDT", func() []string {
			var out []string
			for _, m := range months {
				p := filepath.Join(dir, "spot/data/spot/monthly/klines/BTCUSDT/1h", "BTCUSDT-1h-"+m+".zip")
				writeZip(t, p, "BTCUSDT-1h-"+m+".csv", []byte(strings.Join(byMonth[m], "\n")+"\n"))
				writeChecksum(t, p, false)
				out = append(out, p, p+".CHECKSUM") // sidecars given too are skipped
			}
			return out
		}, nil},
		{"spot monthly .csv unzipped, its own CHECKSUM", "binance_spot", "BTCUSDT", func() []string {
			var out []string
			for _, m := range months {
				p := filepath.Join(dir, "csv/data/spot/monthly/klines/BTCUSDT/1h", "BTCUSDT-1h-"+m+".csv")
				os.MkdirAll(filepath.Dir(p), 0o755)
				os.WriteFile(p, []byte(strings.Join(byMonth[m], "\n")+"\n"), 0o644)
				writeChecksum(t, p, false)
				out = append(out, p)
			}
			return out
		}, nil},
		{"um monthly, header", "binance_perpetual", "BTCUSDT", func() []string {
			var out []string
			for _, m := range months {
				p := filepath.Join(dir, "um/data/futures/um/monthly/klines/BTCUSDT/1h", "BTCUSDT-1h-"+m+".zip")
				writeZip(t, p, "BTCUSDT-1h-"+m+".csv", []byte(futuresHeader+"\n"+strings.Join(byMonth[m], "\n")+"\n"))
				writeChecksum(t, p, false)
				out = append(out, p)
			}
			return out
		}, nil},
		{"um daily, header, ms", "binance_perpetual", "BTCUSDT", func() []string {
			days, byDay := splitBy(rows, "2006-01-02")
			var out []string
			for _, d := range days {
				p := filepath.Join(dir, "umd/data/futures/um/daily/klines/BTCUSDT/1h", "BTCUSDT-1h-"+d+".zip")
				writeZip(t, p, "BTCUSDT-1h-"+d+".csv", []byte(futuresHeader+"\n"+strings.Join(byDay[d], "\n")+"\n"))
				writeChecksum(t, p, false)
				out = append(out, p)
			}
			return out
		}, nil},
		// COIN-M rows count volume in contracts (an integer) and the
		// quote volume in the base coin; the symbol is BTCUSD_PERP.
		{"cm monthly and daily, header", "binance_perpetual", "BTCUSD_PERP", func() []string {
			var out []string
			for i, m := range months {
				var cm []string
				for _, r := range byMonth[m] {
					cm = append(cm, coinM(r))
				}
				if i < 2 {
					p := filepath.Join(dir, "cm/data/futures/cm/monthly/klines/BTCUSD_PERP/1h", "BTCUSD_PERP-1h-"+m+".zip")
					writeZip(t, p, "BTCUSD_PERP-1h-"+m+".csv", []byte(futuresHeader+"\n"+strings.Join(cm, "\n")+"\n"))
					writeChecksum(t, p, false)
					out = append(out, p)
					continue
				}
				// The last month as daily files.
				days, byDay := splitBy(cm, "2006-01-02")
				for _, d := range days {
					p := filepath.Join(dir, "cm/data/futures/cm/daily/klines/BTCUSD_PERP/1h", "BTCUSD_PERP-1h-"+d+".zip")
					writeZip(t, p, "BTCUSD_PERP-1h-"+d+".csv", []byte(futuresHeader+"\n"+strings.Join(byDay[d], "\n")+"\n"))
					writeChecksum(t, p, false)
					out = append(out, p)
				}
			}
			return out
		}, coinM},
		{"spot daily, µs (2025 on)", "binance_spot", "BTCUSDT", func() []string {
			days, byDay := splitBy(rows, "2006-01-02")
			var out []string
			for _, d := range days {
				var us []string
				for _, r := range byDay[d] {
					us = append(us, toMicros(r))
				}
				p := filepath.Join(dir, "daily/data/spot/daily/klines/BTCUSDT/1h", "BTCUSDT-1h-"+d+".zip")
				writeZip(t, p, "BTCUSDT-1h-"+d+".csv", []byte(strings.Join(us, "\r\n")))
				writeChecksum(t, p, false)
				out = append(out, p)
			}
			return out
		}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "a.cassette")
			files := tc.files()
			res, err := importInto(t, path, tc.exchange, files, bulk.ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Files) != len(files)-strings.Count(strings.Join(files, " "), ".CHECKSUM") {
				t.Fatalf("%d files imported of %v", len(res.Files), files)
			}
			for _, f := range res.Files {
				if !f.Checksum || f.Symbol != tc.symbol || f.Interval != cc.Interval1h {
					t.Fatalf("%+v: want checksum verified, %s 1h", f, tc.symbol)
				}
			}
			c := openRO(t, path, tc.exchange)
			got := allCandles(t, c, tc.symbol, cc.Interval1h)
			if len(got) != len(rows) {
				t.Fatalf("%d candles, want %d", len(got), len(rows))
			}
			for i, r := range rows {
				if tc.want != nil {
					r = tc.want(r)
				}
				fs := strings.Split(r, ",")
				if g := strings.Join(candleFields(got[i]), ","); g != strings.Join(fs[:11], ",") {
					t.Fatalf("row %d: index %s, file %s", i+1, g, strings.Join(fs[:11], ","))
				}
			}
		})
	}
}

// TestImportChecksumMismatchImportsNothing: one file of three with a
// wrong .CHECKSUM fails the import with a clear error, and none of the
// three files' candles (nor any of an earlier import) change.
func TestImportChecksumMismatchImportsNothing(t *testing.T) {
	rows := readLines(t, "binance-spot-BTCUSDT-1h-2021-Q1.csv")
	months, byMonth := splitBy(rows, "2006-01")
	dir := t.TempDir()
	path := filepath.Join(dir, "c.cassette")
	// Something indexed before: the 1m day.
	if _, err := importInto(t, path, "binance_spot", []string{filepath.Join(dataDir, "binance-spot-BTCUSDT-1m-2020-12-01-12col.csv")}, bulk.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	var files []string
	for i, m := range months {
		p := filepath.Join(dir, "BTCUSDT-1h-"+m+".zip")
		writeZip(t, p, "BTCUSDT-1h-"+m+".csv", []byte(strings.Join(byMonth[m], "\n")))
		writeChecksum(t, p, i == 1)
		files = append(files, p)
	}
	_, err := importInto(t, path, "binance_spot", files, bulk.ImportOptions{})
	if !errors.Is(err, bulk.ErrChecksum) || !strings.Contains(err.Error(), "BTCUSDT-1h-2021-02.zip") {
		t.Fatalf("err %v, want a checksum mismatch naming the February file", err)
	}
	c := openRO(t, path, "binance_spot")
	if got := allCandles(t, c, "BTCUSDT", cc.Interval1h); len(got) != 0 {
		t.Fatalf("%d 1h candles indexed after a failed import, want none", len(got))
	}
	if got := allCandles(t, c, "BTCUSDT", cc.Interval1m); len(got) != 1441 {
		t.Fatalf("%d 1m candles, want the 1441 imported before", len(got))
	}
}

// TestImportBadInputNamesFileAndLine: a corrupt zip, a garbage line, a
// row of the wrong width, columns that do not exist and a time off the
// interval each fail with file (and line) named, and nothing is indexed.
func TestImportBadInputNamesFileAndLine(t *testing.T) {
	rows := readLines(t, "binance-spot-BTCUSDT-1h-2022-01.csv") // header + 744 rows, CRLF
	dir := t.TempDir()
	good := filepath.Join(dir, "BTCUSDT-1h-2022-01.csv")
	os.WriteFile(good, []byte(strings.Join(rows, "\r\n")), 0o644)
	write := func(name string, lines []string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
		return p
	}
	garbage := append(append(append([]string{}, rows[:5]...), "hello,world,this,is,not,a,kline,row,at,all,!,!"), rows[5:]...)
	short := append(append(append([]string{}, rows[:8]...), strings.Join(strings.Split(rows[8], ",")[:7], ",")), rows[8:]...)
	offGrid := append([]string{}, rows...)
	fs := strings.Split(offGrid[3], ",")
	fs[0] = fs[0][:len(fs[0])-4] + "1000"
	offGrid[3] = strings.Join(fs, ",")
	// damaged puts value v in field i of row n (1 = the first after the
	// header): a row no market prints.
	damaged := func(n, i int, v string) []string {
		out := append([]string{}, rows...)
		fs := strings.Split(out[n], ",")
		fs[i] = v
		out[n] = strings.Join(fs, ",")
		return out
	}
	high := strings.Split(rows[2], ",")[2]
	zipPath := filepath.Join(dir, "BTCUSDT-1h-2022-02.zip")
	writeZip(t, zipPath, "BTCUSDT-1h-2022-02.csv", []byte(strings.Join(rows[1:], "\n")))
	raw, _ := os.ReadFile(zipPath)
	os.WriteFile(zipPath, raw[:len(raw)/2], 0o644) // cut in half: no central directory
	cases := []struct {
		name  string
		files []string
		o     bulk.ImportOptions
		want  string
	}{
		{"garbage line", []string{good, write("BTCUSDT-1h-2022-03.csv", garbage)}, bulk.ImportOptions{}, "BTCUSDT-1h-2022-03.csv:6: "},
		{"short row", []string{good, write("BTCUSDT-1h-2022-04.csv", short)}, bulk.ImportOptions{}, "BTCUSDT-1h-2022-04.csv:9: 7 fields, the file's rows have 12"},
		{"off the grid", []string{write("BTCUSDT-1h-2022-05.csv", offGrid)}, bulk.ImportOptions{}, "BTCUSDT-1h-2022-05.csv:4: open time"},
		{"corrupt zip", []string{good, zipPath}, bulk.ImportOptions{}, "BTCUSDT-1h-2022-02.zip: not a readable zip archive"},
		{"open above high", []string{write("BTCUSDT-1h-2022-06.csv", damaged(2, 1, high+"1"))}, bulk.ImportOptions{}, "BTCUSDT-1h-2022-06.csv:3: high " + high + " below open"},
		{"close below low", []string{write("BTCUSDT-1h-2022-07.csv", damaged(2, 4, "0.5"))}, bulk.ImportOptions{}, "BTCUSDT-1h-2022-07.csv:3: low "},
		{"negative volume", []string{write("BTCUSDT-1h-2022-08.csv", damaged(4, 5, "-1.5"))}, bulk.ImportOptions{}, "BTCUSDT-1h-2022-08.csv:5: "},
		{"taker part above the whole", []string{write("BTCUSDT-1h-2022-09.csv", damaged(4, 9, "99999999"))}, bulk.ImportOptions{}, "BTCUSDT-1h-2022-09.csv:5: taker_buy_base 99999999 above volume"},
		{"wrong columns", []string{good}, bulk.ImportOptions{Columns: bulk.Columns{bulk.FieldOpen: "o"}}, "BTCUSDT-1h-2022-01.csv:1: --columns open=o: no such column"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.cassette")
			_, err := importInto(t, path, "binance_spot", tc.files, tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want it to contain %q", err, tc.want)
			}
			c := openRO(t, path, "binance_spot")
			keys, err := c.Series()
			if err != nil || len(keys) != 0 {
				t.Fatalf("series %v (%v) after a failed import, want none", keys, err)
			}
		})
	}
}

// TestImportOverlapAgreesOrReports: importing the same month again finds
// every candle identical; a copy with three rows changed reports three
// conflicts (first ones as examples) and keeps the indexed values, and
// with Overwrite replaces them.
func TestImportOverlapAgreesOrReports(t *testing.T) {
	rows := readLines(t, "binance-spot-BTCUSDT-1h-2022-01.csv")[1:]
	dir := t.TempDir()
	src := filepath.Join(dir, "BTCUSDT-1h-2022-01.csv")
	os.WriteFile(src, []byte(strings.Join(rows, "\n")), 0o644)
	path := filepath.Join(dir, "o.cassette")
	if _, err := importInto(t, path, "binance_spot", []string{src}, bulk.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	res, err := importInto(t, path, "binance_spot", []string{src}, bulk.ImportOptions{})
	if err != nil || res.Report.Same != 744 || res.Report.Added != 0 || res.Report.Conflicts != 0 {
		t.Fatalf("re-import: %+v %v, want 744 identical", res.Report, err)
	}
	changed := append([]string{}, rows...)
	for _, i := range []int{10, 20, 30} {
		fs := strings.Split(changed[i], ",")
		fs[3], fs[4] = "1.00000000", "1.00000000" // low and close: another candle, still a possible one
		changed[i] = strings.Join(fs, ",")
	}
	// Two files: one is Binance's own (agrees), the other a different
	// dump of the same hours.
	other := filepath.Join(dir, "other", "BTCUSDT-1h-2022-01.csv")
	os.MkdirAll(filepath.Dir(other), 0o755)
	os.WriteFile(other, []byte(strings.Join(changed, "\n")), 0o644)
	for _, overwrite := range []bool{false, true} {
		res, err := importInto(t, path, "binance_spot", []string{other}, bulk.ImportOptions{Overwrite: overwrite})
		if err != nil {
			t.Fatal(err)
		}
		r := res.Report
		if r.Conflicts != 3 || r.Same != 741 || len(r.Examples) != 3 || r.Examples[0].New.Close.String() != "1.00000000" {
			t.Fatalf("overwrite=%v: %+v, want 3 conflicts with examples, 741 identical", overwrite, r)
		}
		c := openRO(t, path, "binance_spot")
		got := allCandles(t, c, "BTCUSDT", cc.Interval1h)
		wantClose := strings.Split(rows[20], ",")[4]
		if overwrite {
			wantClose = "1.00000000"
		}
		if got[20].Close.String() != wantClose {
			t.Fatalf("overwrite=%v: close %s, want %s", overwrite, got[20].Close, wantClose)
		}
		c.Close()
	}
}

// TestImportRepeatsInOneFileAreComparedToo: a file that gives an open
// time twice — a row repeated as it is, a row given again with another
// close further down (out of order) — has the repeats compared as
// candles already indexed are: one identical, one conflict reported
// with both values, the first kept unless Overwrite.
func TestImportRepeatsInOneFileAreComparedToo(t *testing.T) {
	rows := readLines(t, "binance-spot-BTCUSDT-1h-2022-01.csv")[1:25]
	changed := strings.Split(rows[5], ",")
	changed[3], changed[4] = "1.00000000", "1.00000000" // low and close
	lines := append(append(append([]string{}, rows[:10]...), rows[3]), rows[10:]...)
	lines = append(lines, strings.Join(changed, ","))
	src := filepath.Join(t.TempDir(), "BTCUSDT-1h-2022-01.csv")
	os.WriteFile(src, []byte(strings.Join(lines, "\n")), 0o644)
	for _, overwrite := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "r.cassette")
		res, err := importInto(t, path, "binance_spot", []string{src}, bulk.ImportOptions{Overwrite: overwrite})
		if err != nil {
			t.Fatal(err)
		}
		r := res.Report
		if r.Given != 26 || r.Added != 24 || r.Same != 1 || r.Conflicts != 1 || len(r.Examples) != 1 ||
			r.Examples[0].Old.Close.String() != strings.Split(rows[5], ",")[4] || r.Examples[0].New.Close.String() != "1.00000000" {
			t.Fatalf("overwrite=%v: report %+v, want 26 given, 24 added, 1 identical, 1 conflict at row 6", overwrite, r)
		}
		got := allCandles(t, openRO(t, path, "binance_spot"), "BTCUSDT", cc.Interval1h)
		want := strings.Split(rows[5], ",")[4]
		if overwrite {
			want = "1.00000000"
		}
		if len(got) != 24 || got[5].Close.String() != want {
			t.Fatalf("overwrite=%v: %d candles, close of the repeated hour %s; want 24 and %s", overwrite, len(got), got[5].Close, want)
		}
	}
}

// TestImportGenericCSVAndJSONL: plain files mapped with --columns (by
// name and by position), with second, RFC 3339 and ms times, and JSONL
// objects and arrays, all give the same candles.
func TestImportGenericCSVAndJSONL(t *testing.T) {
	rows := fields(readLines(t, "binance-spot-BTCUSDT-1h-2022-01.csv")[1:49])
	dir := t.TempDir()
	var csvS, csvPos, jsonObj, jsonArr strings.Builder
	csvS.WriteString("ts;o;h;l;c;v\n")
	for _, fs := range rows {
		ms, _ := strconv.ParseInt(fs[0], 10, 64)
		fmt.Fprintf(&csvS, "%d,%s,%s,%s,%s,%s\n", ms/1000, fs[1], fs[2], fs[3], fs[4], fs[5])
		fmt.Fprintf(&csvPos, "%s,x,%s,%s,%s,%s,%s\n", time.UnixMilli(ms).UTC().Format(time.RFC3339), fs[5], fs[1], fs[2], fs[3], fs[4])
		fmt.Fprintf(&jsonObj, `{"t":%s,"o":"%s","h":"%s","l":"%s","c":"%s","v":%s}`+"\n", fs[0], fs[1], fs[2], fs[3], fs[4], fs[5])
		fmt.Fprintf(&jsonArr, `[%s,"%s","%s","%s","%s","%s",%s,"%s",%s,"%s","%s","0"]`+"\n", fs[0], fs[1], fs[2], fs[3], fs[4], fs[5], fs[6], fs[7], fs[8], fs[9], fs[10])
	}
	hdr := strings.Replace(csvS.String(), "ts;o;h;l;c;v", "ts,o,h,l,c,v", 1)
	cases := []struct {
		name, file, content string
		o                   bulk.ImportOptions
	}{
		{"csv by name, seconds", "a.csv", hdr, bulk.ImportOptions{TimeUnit: bulk.TimeSeconds, Columns: bulk.Columns{bulk.FieldTime: "ts", bulk.FieldOpen: "o", bulk.FieldHigh: "h", bulk.FieldLow: "l", bulk.FieldClose: "c", bulk.FieldVolume: "v"}}},
		{"csv by position, rfc3339", "b.csv", csvPos.String(), bulk.ImportOptions{Columns: bulk.Columns{bulk.FieldTime: "1", bulk.FieldVolume: "3", bulk.FieldOpen: "4", bulk.FieldHigh: "5", bulk.FieldLow: "6", bulk.FieldClose: "7"}}},
		{"jsonl objects, header aliases", "c.jsonl", jsonObj.String(), bulk.ImportOptions{}},
		{"jsonl arrays (REST rows)", "d.jsonl", jsonArr.String(), bulk.ImportOptions{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := filepath.Join(dir, tc.file)
			os.WriteFile(src, []byte(tc.content), 0o644)
			tc.o.Symbol, tc.o.Interval = "BTCUSDT", cc.Interval1h
			path := filepath.Join(t.TempDir(), "g.cassette")
			if _, err := importInto(t, path, "binance_spot", []string{src}, tc.o); err != nil {
				t.Fatal(err)
			}
			got := allCandles(t, openRO(t, path, "binance_spot"), "BTCUSDT", cc.Interval1h)
			if len(got) != len(rows) {
				t.Fatalf("%d candles, want %d", len(got), len(rows))
			}
			for i, fs := range rows {
				g := candleFields(got[i])
				if strings.Join(g[:6], ",") != strings.Join(fs[:6], ",") || g[6] != fs[6] {
					t.Fatalf("row %d: %v, want %v", i, g, fs)
				}
			}
		})
	}
}

// TestParseNameBinanceLayouts: symbol, interval and period from the
// archive names of spot, USD-M, COIN-M, monthly and daily files.
func TestParseNameBinanceLayouts(t *testing.T) {
	for _, tc := range []struct {
		path        string
		sym, period string
		iv          cc.Interval
		ok          bool
	}{
		{"data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01.zip", "BTCUSDT", "2024-01", cc.Interval1m, true},
		{"data/spot/daily/klines/ETHUSDT/1s/ETHUSDT-1s-2025-03-09.zip", "ETHUSDT", "2025-03-09", cc.Interval1s, true},
		{"data/futures/um/monthly/klines/BTCUSDT/4h/BTCUSDT-4h-2023-12.zip", "BTCUSDT", "2023-12", cc.Interval4h, true},
		{"data/futures/cm/daily/klines/BTCUSD_PERP/1h/BTCUSD_PERP-1h-2024-02-29.zip", "BTCUSD_PERP", "2024-02-29", cc.Interval1h, true},
		{"BTCUSDT-1mo-2024-01.csv", "BTCUSDT", "2024-01", cc.Interval1M, true},
		{"binance-spot-BTCUSDT-1h-2021-Q1.csv", "BTCUSDT", "", cc.Interval1h, true},
		{"candles.csv", "", "", "", false},
	} {
		ni, ok := bulk.ParseName(tc.path)
		if ok != tc.ok || ni.Symbol != tc.sym || ni.Interval != tc.iv || ni.Period != tc.period {
			t.Errorf("%s: %+v %v, want %s %s %s %v", tc.path, ni, ok, tc.sym, tc.iv, tc.period, tc.ok)
		}
	}
}
