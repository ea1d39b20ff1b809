package bulk_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/bulk"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// pad8 is how Binance spot writes a decimal the file wrote with fewer
// places: at least 8 fractional digits ("42320.0" → "42320.00000000");
// digits the file has are never changed.
func pad8(s string) string {
	dot := strings.IndexByte(s, '.')
	if dot < 0 {
		s += "."
		dot = len(s) - 1
	}
	if places := len(s) - dot - 1; places < 8 {
		s += strings.Repeat("0", 8-places)
	}
	return s
}

// klineRows fetches [start, end) of BTCUSDT 1m from a replay server in
// pages of 1000 and returns the raw rows of every body, in order.
func klineRows(t *testing.T, srv *replaytest.Server, start, end int64) [][]byte {
	t.Helper()
	var rows [][]byte
	for s := start; s < end; s += 1000 * 60_000 {
		status, body := srv.Get(t, fmt.Sprintf("/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=%d&endTime=%d&limit=1000", s, min(end, s+1000*60_000)-1))
		if status != 200 {
			t.Fatalf("GET klines from %d: %d %s", s, status, body)
		}
		body = bytes.TrimSuffix(bytes.TrimPrefix(body, []byte("[[")), []byte("]]"))
		for _, r := range bytes.Split(body, []byte("],[")) {
			rows = append(rows, r)
		}
	}
	return rows
}

// TestReplayServesImportedMonthByteExact imports the real month of
// BTCUSDT 1m (January 2024, 44,641 candles, read in place) and the real
// 12-field day of 2020-12-01, replays the cassette and reads every candle
// back through GET /api/v3/klines, comparing each row byte for byte with
// the source file's values.
//
// The rule for the 12 fields of a Binance kline row: open time is the
// file's (ms); open, high, low, close, volume are the file's digits, with
// at least 8 fractional digits as Binance spot writes them (a file value
// with fewer places, "42320.0", is served zero-padded "42320.00000000";
// the 12-field files have 8 and are served verbatim); close time is the
// file's, or open + interval − 1 if the file has none; quote volume,
// trades and taker-buy volumes are the file's, or 0 when the file does
// not have them (served "0.00000000" and 0); the last field, "ignore",
// is always "0" (Binance's own value).
func TestReplayServesImportedMonthByteExact(t *testing.T) {
	month := "binance-spot-BTCUSDT-1m-2024-01.csv.gz"
	day := "binance-spot-BTCUSDT-1m-2020-12-01-12col.csv"
	monthLines := readLines(t, month)[1:]
	dayLines := readLines(t, day)[1:]
	path := filepath.Join(t.TempDir(), "month.cassette")
	if _, err := importInto(t, path, "binance_spot", []string{filepath.Join(dataDir, month), filepath.Join(dataDir, day)}, bulk.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	srv := replaytest.Replay(t, path, replay.Options{})

	check := func(name string, lines []string, want func(fs []string) string) {
		first, _ := time.Parse("2006-01-02 15:04:05", strings.Split(lines[0], ",")[0])
		start := first.UnixMilli()
		rows := klineRows(t, srv, start, start+int64(len(lines))*60_000)
		if len(rows) != len(lines) {
			t.Fatalf("%s: replay served %d rows, the file has %d", name, len(rows), len(lines))
		}
		for i, l := range lines {
			if w := want(strings.Split(l, ",")); string(rows[i]) != w {
				t.Fatalf("%s line %d: replay served\n  %s\nwant\n  %s", name, i+2, rows[i], w)
			}
		}
	}
	ms := func(text string) int64 {
		tm, err := time.Parse("2006-01-02 15:04:05", text)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixMilli()
	}
	check(month, monthLines, func(fs []string) string {
		open := ms(fs[0])
		return fmt.Sprintf(`%d,"%s","%s","%s","%s","%s",%d,"0.00000000",0,"0.00000000","0.00000000","0"`,
			open, pad8(fs[1]), pad8(fs[2]), pad8(fs[3]), pad8(fs[4]), pad8(fs[5]), open+59_999)
	})
	check(day, dayLines, func(fs []string) string {
		return fmt.Sprintf(`%d,"%s","%s","%s","%s","%s",%s,"%s",%s,"%s","%s","%s"`,
			ms(fs[0]), fs[1], fs[2], fs[3], fs[4], fs[5], fs[6], fs[7], fs[8], fs[9], fs[10], fs[11])
	})
}
