package synth_test

import (
	"context"
	"os"
	"slices"
	"testing"
)

// A client keeps a book for a long run: 100 ms diffs across a day's end
// (the hour and day boundaries of every candle level the tape is split
// on), from one snapshot, at a client's depth and at a deep one, for a
// major and a thin pair. The ids chain without a gap from the snapshot to
// the end, and the kept book is the market's book at every minute, never
// crossed, every level on the tick and lot. make test runs 10 minutes
// (23:55 to 00:05 UTC) of one venue's books (6,000 diffs a book);
// CC_LONG_BOOKS=1 runs two hours (23:00 to 01:00) of four venues'
// (72,000 diffs a book, 16 books: 5.7 minutes, no fault, when written).
func TestBookKeptForALongRunAcrossADay(t *testing.T) {
	if testing.Short() {
		t.Skip("a long run")
	}
	ctx := context.Background()
	const step = int64(100_000)
	from, to := ms("2025-05-06T23:55:00Z")*us, ms("2025-05-07T00:05:00Z")*us
	venues := []string{"binance_spot"}
	if os.Getenv("CC_LONG_BOOKS") != "" {
		from, to = ms("2025-05-06T23:00:00Z")*us, ms("2025-05-07T01:00:00Z")*us
		venues = []string{"binance_spot", "okx_perpetual", "kraken_spot", "hyperliquid_perpetual"}
	}
	for _, ex := range venues {
		for _, depth := range []int{20, 1000} {
			m := tapeMarket(21, ex)
			for _, sym := range []string{"BTCUSDT", "FOOUSDT"} {
				b := book(t, m, sym, from, depth)
				checkBook(t, m, sym, b, depth)
				seq, diffs, levels := b.Seq, 0, 0
				for at := from; at < to; at += 60e6 {
					ds, err := m.Diffs(ctx, sym, at, at+60e6, step, depth)
					if err != nil {
						t.Fatal(err)
					}
					for _, d := range ds {
						if d.FirstSeq != seq+1 || d.LastSeq < d.FirstSeq {
							t.Fatalf("%s %s depth %d: diff [%d, %d] at %d after id %d", ex, sym, depth, d.FirstSeq, d.LastSeq, d.Time, seq)
						}
						b.Bids, b.Asks = apply(b.Bids, d.Bids, false), apply(b.Asks, d.Asks, true)
						b.Time, seq = d.Time, d.LastSeq
						diffs++
						levels += len(d.Bids) + len(d.Asks)
					}
					want := book(t, m, sym, at+60e6, depth)
					if want.Seq != seq || !slices.Equal(b.Bids, want.Bids) || !slices.Equal(b.Asks, want.Asks) {
						t.Fatalf("%s %s depth %d: the kept book at %d (id %d) is not the market's (id %d)", ex, sym, depth, at+60e6, seq, want.Seq)
					}
					checkBook(t, m, sym, b, depth)
				}
				t.Logf("%s %s depth %d: %d diffs, %.1f levels each, ids %d apart", ex, sym, depth, diffs, float64(levels)/float64(max(diffs, 1)), seq-book(t, m, sym, from, depth).Seq)
			}
		}
	}
}
