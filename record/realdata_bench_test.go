package record_test

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/record"
)

// realDataDir holds real exchange candles (see its SOURCES.md), read in
// place: it is not part of the repository.
const realDataDir = "../../shared/data"

// realKlines is one real candle file served as Binance klines.
type realKlines struct {
	file, symbol, interval string
	ohlcvOnly              bool // the file has no quote volume, trades or taker columns
}

var realFiles = []realKlines{
	{"binance-spot-BTCUSDT-1m-2020-12-01-12col.csv", "BTCUSDT", "1m", false},
	{"binance-spot-BTCUSDT-1h-2021-Q1.csv", "BTCUSDT", "1h", false},
	{"binance-spot-BTCUSDT-1h-2022-01.csv", "BTCUSDT", "1h", false},
	{"binance-spot-BTCUSDT-1m-2024-01.csv.gz", "BTCUSDT", "1m", true},
	{"binance-spot-ETHUSDT-1m-2024-01.csv.gz", "ETHUSDT", "1m", true},
	{"binance-spot-BTCUSDT-1m-2021-03-26_2021-04-30.csv.gz", "BTCUSDT", "1m", true},
}

// loadKlines reads a file into Binance kline rows (12 JSON values each).
// Decimals get Binance's 8 places where the file trimmed them; a file
// without the quote, trade and taker columns gets zeros there.
func loadKlines(tb testing.TB, path string, step int64) [][]any {
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		if r, err = gzip.NewReader(f); err != nil {
			tb.Fatal(err)
		}
	}
	dec8 := func(s string) string {
		i := strings.IndexByte(s, '.')
		if i < 0 {
			return s + ".00000000"
		}
		return s + strings.Repeat("0", max(0, 8-(len(s)-i-1)))
	}
	var rows [][]any
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Split(strings.TrimSpace(sc.Text()), ",")
		if len(f) < 6 {
			continue
		}
		open, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			t, err := time.Parse("2006-01-02 15:04:05", f[0])
			if err != nil {
				continue // a header
			}
			open = t.UnixMilli()
		}
		row := []any{open, dec8(f[1]), dec8(f[2]), dec8(f[3]), dec8(f[4]), dec8(f[5]), open + step - 1, "0.00000000", 0, "0.00000000", "0.00000000", "0"}
		if len(f) >= 12 {
			trades, _ := strconv.ParseInt(f[8], 10, 64)
			row[7], row[8], row[9], row[10] = f[7], trades, f[9], f[10]
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i][0].(int64) < rows[j][0].(int64) })
	return rows
}

// BenchmarkRecordRealKlines records real Binance candles, served by a
// local upstream as GET /api/v3/klines pages of 1000, through the proxy,
// and reports the cassette's size over the raw traffic (target ≤ 0.10)
// and the index's bytes per candle. Files without the quote, trade and
// taker columns are marked ohlcv-only: those fields are served as zeros,
// which cost the index nothing and make each row shorter. Skipped when
// the data directory is absent.
func BenchmarkRecordRealKlines(b *testing.B) {
	if _, err := os.Stat(realDataDir); err != nil {
		b.Skipf("no real candle data in %s: %v", realDataDir, err)
	}
	for _, rf := range realFiles {
		name := strings.TrimSuffix(strings.TrimSuffix(rf.file, ".gz"), ".csv")
		if rf.ohlcvOnly {
			name += "-ohlcv-only"
		}
		b.Run(name, func(b *testing.B) {
			step := int64(60_000)
			if rf.interval == "1h" {
				step = 3_600_000
			}
			rows := loadKlines(b, filepath.Join(realDataDir, rf.file), step)
			if len(rows) == 0 {
				b.Fatalf("no candles in %s", rf.file)
			}
			up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				q := r.URL.Query()
				start, _ := strconv.ParseInt(q.Get("startTime"), 10, 64)
				limit, _ := strconv.Atoi(q.Get("limit"))
				i := sort.Search(len(rows), func(i int) bool { return rows[i][0].(int64) >= start })
				page := rows[i:min(len(rows), i+limit)]
				w.Header().Set("Content-Type", "application/json;charset=UTF-8")
				json.NewEncoder(w).Encode(page)
			}))
			defer up.Close()
			var size, raw, index float64
			var candles int
			for b.Loop() {
				path := filepath.Join(b.TempDir(), "real.cassette")
				srv, err := record.Start(record.Options{Exchange: "binance_spot", Cassette: path, UpstreamREST: up.URL, CassetteOptions: cassettes.Options{NoSync: true}}, "127.0.0.1:0")
				if err != nil {
					b.Fatal(err)
				}
				client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
				for start := rows[0][0].(int64); ; {
					u := srv.URL() + "/api/v3/klines?symbol=" + rf.symbol + "&interval=" + rf.interval + "&limit=1000&startTime=" + strconv.FormatInt(start, 10)
					resp, err := client.Get(u)
					if err != nil {
						b.Fatal(err)
					}
					var page [][]json.RawMessage
					err = json.NewDecoder(resp.Body).Decode(&page)
					resp.Body.Close()
					if err != nil || resp.StatusCode != 200 {
						b.Fatalf("GET %s: %d, %v", u, resp.StatusCode, err)
					}
					if len(page) == 0 {
						break
					}
					last, _ := strconv.ParseInt(string(page[len(page)-1][0]), 10, 64)
					start = last + 1
				}
				client.CloseIdleConnections()
				if err := srv.Close(context.Background()); err != nil {
					b.Fatal(err)
				}
				size, raw, index, candles = cassetteFigures(b, path, rf.symbol, rf.interval)
			}
			if candles != len(rows) {
				b.Fatalf("%d candles indexed, want %d", candles, len(rows))
			}
			b.ReportMetric(size/raw, "size/raw")
			b.ReportMetric(index/float64(candles), "index-B/candle")
			b.ReportMetric(raw/float64(candles), "raw-B/candle")
			b.ReportMetric(float64(candles), "candles")
		})
	}
}

// cassetteFigures opens a recorded cassette and returns its file size, the
// raw traffic it recorded, the bytes of its candle index and the candles
// of (symbol, iv) in it.
func cassetteFigures(b *testing.B, path, symbol, iv string) (size, raw, index float64, candles int) {
	c, err := cassettes.Open(path, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	cv, err := c.Coverage(symbol, cc.Interval(iv))
	if err != nil {
		b.Fatal(err)
	}
	raw = float64(c.Meta().RawBytes)
	c.Close()
	db, err := bolt.Open(path, 0, &bolt.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	n := 0
	db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("candles")).ForEachBucket(func(k []byte) error {
			return tx.Bucket([]byte("candles")).Bucket(k).ForEach(func(_, v []byte) error { n += len(v); return nil })
		})
	})
	return float64(fi.Size()), raw, float64(n), cv.Total()
}
