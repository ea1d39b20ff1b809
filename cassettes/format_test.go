package cassettes_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/cassettes"
)

// TestFormatOneStillReadsAndUpgrades: the committed cassette was written in
// format 1 (kind-6 blocks, plain zstd records). This build reads it as it
// is, and a writable open marks it format 2 — the blocks and records it
// appends need a format-2 reader — keeping every old record readable.
func TestFormatOneStillReadsAndUpgrades(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "binance_spot.cassette"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "v1.cassette")
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
	if f := c.Meta().Format; f != 1 {
		t.Fatalf("committed cassette is format %d; this test wants a format-1 file", f)
	}
	ixs, candles := count(c)
	c.Close()
	if ixs == 0 || candles == 0 {
		t.Fatalf("format-1 file read %d interactions, %d candles", ixs, candles)
	}

	w, err := cassettes.Open(path, 0o644, &cassettes.Options{Exchange: "binance_spot"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddInteraction(&cassettes.Interaction{Method: "GET", Path: "/api/v3/ping", Status: 200,
		Body: []byte("{}"), Start: time.Now()}); err != nil {
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
	if f := c.Meta().Format; f != cassettes.FormatVersion {
		t.Fatalf("after appending: format %d, want %d", f, cassettes.FormatVersion)
	}
	if gotIxs, gotCandles := count(c); gotIxs != ixs+1 || gotCandles != candles {
		t.Fatalf("after appending: %d interactions, %d candles; want %d, %d", gotIxs, gotCandles, ixs+1, candles)
	}
}
