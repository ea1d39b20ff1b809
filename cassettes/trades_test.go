package cassettes_test

import (
	"path/filepath"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
)

func tradeAt(id, t int64, price string, size string, bm bool) cc.Trade {
	return cc.Trade{ID: id, AggID: id, Time: t, Price: cc.MustDecimal(price), Size: cc.MustDecimal(size), BuyerMaker: bm}
}

// TestTradesIndexMergesAndDedups records overlapping pages, a print that
// replaces one expanded from an aggregate, and reads them back by time and
// in the summary, after a reopen.
func TestTradesIndexMergesAndDedups(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.cassette")
	c, err := cassettes.Open(path, 0o600, &cassettes.Options{Exchange: "binance_spot", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	const t0 = int64(1_780_000_000_000_000) // µs
	page1 := []cc.Trade{
		tradeAt(100, t0, "65000.10", "0.001", false),
		tradeAt(101, t0+10, "65000.20", "0.002", true),
		tradeAt(102, t0+61_000_000, "65000.30", "0.003", false), // the next minute's block
	}
	page2 := []cc.Trade{ // overlaps page1 and goes on
		tradeAt(101, t0+10, "99999", "9", false), // a later copy: the first recorded stays
		tradeAt(102, t0+61_000_000, "65000.30", "0.003", false),
		tradeAt(103, t0+62_000_000, "65000.40", "0.004", true),
		tradeAt(0, t0+62_000_001, "1", "1", true), // no id: not indexed
	}
	// An aggregate of ids 104..106 (size 0.01 split 0.003, 0.003, 0.004),
	// then the real print 105.
	agg := cassettes.TradeSeries{Symbol: "BTCUSDT", Trades: []cc.Trade{{ID: 104, AggID: 77, Time: t0 + 63_000_000, Price: cc.MustDecimal("65001"), Size: cc.MustDecimal("0.01"), BuyerMaker: true}}, Last: []int64{106}}
	real105 := tradeAt(105, t0+63_000_000, "65001", "0.005", true)
	if err := c.AddTrades(cassettes.TradeSeries{Symbol: "BTCUSDT", Trades: page1}); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(); err != nil { // page2 merges with a stored block
		t.Fatal(err)
	}
	if err := c.AddTrades(cassettes.TradeSeries{Symbol: "BTCUSDT", Trades: page2}, agg, cassettes.TradeSeries{Symbol: "ETHUSDT", Trades: page1[:1]}); err != nil {
		t.Fatal(err)
	}
	if err := c.AddTrades(cassettes.TradeSeries{Symbol: "BTCUSDT", Trades: []cc.Trade{real105}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c, err = cassettes.Open(path, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got, err := c.IndexedTrades("BTCUSDT", 0, 1<<62)
	if err != nil {
		t.Fatal(err)
	}
	want := []cc.Trade{
		page1[0], page1[1], page1[2], page2[2],
		{ID: 104, AggID: 77, Time: t0 + 63_000_000, Price: cc.MustDecimal("65001"), Size: cc.MustDecimal("0.003"), BuyerMaker: true},
		{ID: 105, AggID: 77, Time: t0 + 63_000_000, Price: cc.MustDecimal("65001"), Size: cc.MustDecimal("0.005"), BuyerMaker: true},
		{ID: 106, AggID: 77, Time: t0 + 63_000_000, Price: cc.MustDecimal("65001"), Size: cc.MustDecimal("0.004"), BuyerMaker: true},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d trades, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("trade %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	// A window.
	if w, _ := c.IndexedTrades("BTCUSDT", t0+10, t0+62_000_001); len(w) != 3 || w[0].ID != 101 || w[2].ID != 103 {
		t.Errorf("window: %+v", w)
	}
	spans, err := c.TradeSpans()
	if err != nil {
		t.Fatal(err)
	}
	if v, err := c.Verify(); err != nil || v.Trades != 8 || v.TradeBlocks != 3 {
		t.Errorf("verify: %v %+v", err, v)
	}
	if len(spans) != 2 || spans[0].Symbol != "BTCUSDT" || spans[0].Count != 7 || spans[0].FirstID != 100 || spans[0].LastID != 106 ||
		spans[0].First != t0 || spans[0].Last != t0+63_000_000 || spans[1].Symbol != "ETHUSDT" || spans[1].Count != 1 {
		t.Errorf("spans: %+v", spans)
	}
}

// TestTradesIndexAbsentInOldFiles: a cassette without a trades bucket has
// no trades, and its summary is empty.
func TestTradesIndexAbsentInOldFiles(t *testing.T) {
	c, _ := mustCreate(t, nil)
	spans, err := c.TradeSpans()
	if err != nil || len(spans) != 0 {
		t.Fatalf("%v %+v", err, spans)
	}
	ts, err := c.IndexedTrades("BTCUSDT", 0, 1<<62)
	if err != nil || ts != nil {
		t.Fatalf("%v %+v", err, ts)
	}
	if _, err := c.TradeBlocks("BTCUSDT"); err != nil {
		t.Fatal(err)
	}
}
