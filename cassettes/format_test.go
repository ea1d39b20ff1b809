package cassettes_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
)

// TestOlderFormatsStillReadAndStayUnsealed: copies of the example cassette
// recorded in format 1 (kind-6 blocks, plain zstd records) and format 2
// (kind-7 blocks, dictionary records), both without checksums. This build
// reads them as they are. A writable open marks a format-1 file format 2
// (the blocks and records it appends need a format-2 reader) and leaves a
// format-2 file format 2: values are not sealed after the fact, so the
// file never claims checksums some of its values lack, and every old and
// new record stays readable.
func TestOlderFormatsStillReadAndStayUnsealed(t *testing.T) {
	for _, format := range []int{1, 2} {
		t.Run(fmt.Sprintf("format %d", format), func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("testdata", fmt.Sprintf("binance_spot-format%d.cassette", format)))
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "old.cassette")
			if err := os.WriteFile(path, src, 0o644); err != nil {
				t.Fatal(err)
			}
			count := func(c *cassettes.Cassette) (ixs, candles int) {
				t.Helper()
				if err := c.Interactions(func(*cassettes.Interaction) error { ixs++; return nil }); err != nil {
					t.Fatal(err)
				}
				keys, err := c.Series()
				if err != nil {
					t.Fatal(err)
				}
				for _, k := range keys {
					cs, err := c.Candles(k.Symbol, k.Interval, 0, time.Now().Add(24*time.Hour).UnixMilli())
					if err != nil {
						t.Fatal(err)
					}
					candles += len(cs)
				}
				return ixs, candles
			}

			c, err := cassettes.Open(path, 0, &cassettes.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			if f := c.Meta().Format; f != format {
				t.Fatalf("committed cassette is format %d; this test wants a format-%d file", f, format)
			}
			ixs, candles := count(c)
			minutes, err := c.Candles("BTCUSDT", cc.Interval1m, 0, time.Now().Add(24*time.Hour).UnixMilli())
			if err != nil {
				t.Fatal(err)
			}
			c.Close()
			if ixs == 0 || candles == 0 {
				t.Fatalf("format-%d file read %d interactions, %d candles", format, ixs, candles)
			}

			w, err := cassettes.Open(path, 0o644, &cassettes.Options{Exchange: "binance_spot"})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.AddInteraction(&cassettes.Interaction{Method: "GET", Path: "/api/v3/ping", Status: 200,
				Body: []byte("{}"), Start: time.Now()}); err != nil {
				t.Fatal(err)
			}
			next := minuteCandles(time.Now().Add(48*time.Hour).Truncate(time.Minute).UnixMilli(), 3, true)
			if err := w.AddCandles(cassettes.Series{Symbol: "BTCUSDT", Interval: cc.Interval1m, Candles: next}); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			c, err = cassettes.Open(path, 0, &cassettes.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if f := c.Meta().Format; f != 2 {
				t.Fatalf("after appending: format %d, want 2 (unsealed)", f)
			}
			gotIxs, _ := count(c)
			all, err := c.Candles("BTCUSDT", cc.Interval1m, 0, time.Now().Add(72*time.Hour).UnixMilli())
			if err != nil || gotIxs != ixs+1 || len(all) != len(minutes)+3 {
				t.Fatalf("after appending: %d interactions, %d 1m candles, %v; want %d, %d", gotIxs, len(all), err, ixs+1, len(minutes)+3)
			}
			if got := all[len(all)-1]; got != next[2] {
				t.Errorf("appended candle reads back as %+v, want %+v", got, next[2])
			}
		})
	}
}
