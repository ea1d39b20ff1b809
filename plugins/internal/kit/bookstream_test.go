package kit_test

import (
	"context"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/booktest"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

func fakeBooks() *booktest.Fake {
	return &booktest.Fake{Mid: cc.MustDecimal("50000.00"), Tick: cc.MustDecimal("0.10"), SizeScale: 4, Levels: 300}
}

// A cursor walked in uneven steps keeps the book the market has at every
// diff it hands out, at its depth, and never hands out a diff twice or
// past the step's end.
func TestBookCursorKeepsTheMarketsBook(t *testing.T) {
	f := fakeBooks()
	ctx := context.Background()
	start := time.Date(2026, 2, 3, 4, 5, 0, 0, time.UTC).UnixMicro() + 12_345
	for _, depth := range []int{0, 1, 5, 50} {
		cur := kit.NewBookCursor("X", depth, 20*time.Millisecond)
		snap, err := cur.Snapshot(ctx, f, start)
		if err != nil {
			t.Fatal(err)
		}
		if snap.Time%20_000 != 0 || snap.Time > start || start-snap.Time >= 20_000 {
			t.Fatalf("snapshot at %d for %d: not the step boundary before", snap.Time, start)
		}
		at, last, diffs := start, snap.Seq, 0
		for _, step := range []int64{5_000, 1_000_000, 3, 7_000_000, 1, 333_333} {
			at += step
			err := cur.Next(ctx, f, at, func(d cc.BookDiff, after *cc.Book) bool {
				diffs++
				if d.Time > at || d.LastSeq <= last || d.Time%20_000 != 0 {
					t.Fatalf("depth %d: diff %d-%d at %d handed out at %d after seq %d", depth, d.FirstSeq, d.LastSeq, d.Time, at, last)
				}
				last = d.LastSeq
				want, _ := f.Book(ctx, "X", d.Time, depth)
				if err := booktest.Same(*after, want); err != nil {
					t.Fatalf("depth %d at %d: %v", depth, d.Time, err)
				}
				if err := booktest.Check(*after); err != nil {
					t.Fatal(err)
				}
				return true
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if diffs < 100 {
			t.Fatalf("depth %d: only %d diffs in 8 s", depth, diffs)
		}
	}
}

// A stale or malformed diff is refused and leaves the book as it was.
func TestApplyBookDiffRefusesStaleDiffs(t *testing.T) {
	b := cc.Book{Seq: 10, Bids: []cc.BookLevel{{Price: cc.MustDecimal("9"), Size: cc.MustDecimal("1")}}}
	for _, d := range []cc.BookDiff{{FirstSeq: 5, LastSeq: 10}, {FirstSeq: 12, LastSeq: 11}} {
		d.Bids = []cc.BookLevel{{Price: cc.MustDecimal("9"), Size: cc.MustDecimal("0")}}
		if err := kit.ApplyBookDiff(&b, d, 0); err == nil || len(b.Bids) != 1 || b.Seq != 10 {
			t.Fatalf("diff %d-%d applied: %v, book %+v", d.FirstSeq, d.LastSeq, err, b)
		}
	}
	d := cc.BookDiff{FirstSeq: 11, LastSeq: 11, Bids: []cc.BookLevel{
		{Price: cc.MustDecimal("10"), Size: cc.MustDecimal("2")},
		{Price: cc.MustDecimal("9"), Size: cc.MustDecimal("0")},
		{Price: cc.MustDecimal("8"), Size: cc.MustDecimal("3")},
	}}
	if err := kit.ApplyBookDiff(&b, d, 1); err != nil || len(b.Bids) != 1 || b.Bids[0].Price.String() != "10" || b.Seq != 11 {
		t.Fatalf("diff applied to %+v, %v", b, err)
	}
}
