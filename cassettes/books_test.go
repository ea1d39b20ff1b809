package cassettes_test

import (
	"path/filepath"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
)

func lv(px, sz string) cc.BookLevel {
	return cc.BookLevel{Price: cc.MustDecimal(px), Size: cc.MustDecimal(sz)}
}

// TestBooksIndexRoundTrip records snapshots and diffs across two minutes,
// one diff twice (two connections), and reads them back in time order
// after a reopen, by window and in the summary.
func TestBooksIndexRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.cassette")
	c, err := cassettes.Open(path, 0o600, &cassettes.Options{Exchange: "binance_spot", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	const t0 = int64(1_780_000_000_000_000)
	snap := cassettes.BookRecord{Symbol: "BTCUSDT", Time: t0, Snapshot: true, Depth: 100, LastSeq: 500,
		Bids: []cc.BookLevel{lv("65000.10", "0.5"), lv("65000.00", "1.25"), lv("64999", "3")},
		Asks: []cc.BookLevel{lv("65000.20", "0.001"), lv("65001", "2")}}
	d1 := cassettes.BookRecord{Symbol: "BTCUSDT", Time: t0 + 100_000, FirstSeq: 501, LastSeq: 503,
		Bids: []cc.BookLevel{lv("65000.10", "0")}, Asks: []cc.BookLevel{lv("65000.15", "0.7")}}
	d2 := cassettes.BookRecord{Symbol: "BTCUSDT", Time: t0 + 61_000_000, FirstSeq: 504, LastSeq: 504,
		Bids: []cc.BookLevel{lv("64998", "9.99")}}
	other := cassettes.BookRecord{Symbol: "ETHUSDT", Time: t0 + 5, Snapshot: true, LastSeq: 7, Bids: []cc.BookLevel{lv("3000", "1")}}
	if err := c.AddBooks(d2, snap, d1, other); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := c.AddBooks(d1); err != nil { // again: kept once
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
	got, err := c.BookRecords("BTCUSDT", t0, t0+120_000_000)
	if err != nil || len(got) != 3 {
		t.Fatalf("%v %d records", err, len(got))
	}
	for i, want := range []cassettes.BookRecord{snap, d1, d2} {
		g := got[i]
		if g.Time != want.Time || g.Snapshot != want.Snapshot || g.Depth != want.Depth || g.FirstSeq != want.FirstSeq || g.LastSeq != want.LastSeq ||
			len(g.Bids) != len(want.Bids) || len(g.Asks) != len(want.Asks) {
			t.Fatalf("record %d: %+v, want %+v", i, g, want)
		}
		for k := range want.Bids {
			if g.Bids[k].Price.Cmp(want.Bids[k].Price) != 0 || g.Bids[k].Size.Cmp(want.Bids[k].Size) != 0 {
				t.Fatalf("record %d bid %d: %v", i, k, g.Bids[k])
			}
		}
		for k := range want.Asks {
			if g.Asks[k].Price.Cmp(want.Asks[k].Price) != 0 || g.Asks[k].Size.Cmp(want.Asks[k].Size) != 0 {
				t.Fatalf("record %d ask %d: %v", i, k, g.Asks[k])
			}
		}
	}
	if w, _ := c.BookRecords("BTCUSDT", t0+1, t0+61_000_000); len(w) != 1 || w[0].LastSeq != 503 {
		t.Fatalf("window: %+v", w)
	}
	if v, err := c.Verify(); err != nil || v.BookRecords != 4 {
		t.Fatalf("verify: %v, %d book records", err, v.BookRecords)
	}
	sp, err := c.BookSpans()
	if err != nil || len(sp) != 2 || sp[0].Symbol != "BTCUSDT" || sp[0].Count != 3 || sp[0].First != t0 || sp[0].Last != t0+61_000_000 || sp[1].Count != 1 {
		t.Fatalf("spans %v %+v", err, sp)
	}
}
