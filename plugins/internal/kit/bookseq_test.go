package kit_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/booktest"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// A diff stream walked in uneven steps hands out diffs that chain id to
// id from the book at the grid instant before its start and, applied by
// a client, give the market's book at every diff, at any depth.
func TestDiffStreamChainsIdsFromTheGrid(t *testing.T) {
	ctx := context.Background()
	f := fakeBooks()
	start := time.Date(2026, 2, 3, 4, 5, 3, 0, time.UTC).UnixMicro() + 42_345
	for _, depth := range []int{0, 1, 5} {
		ds, err := kit.NewDiffStream(ctx, f, "X", depth, 20*time.Millisecond, start)
		if err != nil {
			t.Fatal(err)
		}
		grid := start / kit.BookGrid * kit.BookGrid
		if kit.BookTime(start/1000) != grid {
			t.Fatalf("BookTime %d, want %d", kit.BookTime(start/1000), grid)
		}
		b0, _ := f.Book(ctx, "X", grid, depth)
		local := booktest.NewLocal(b0)
		at, n := start, 0
		for _, step := range []int64{7_000, 100_000, 1, 2_500_000, 33_333, 9_000_000} {
			at += step
			err := ds.Next(ctx, f, at, func(d cc.BookDiff) {
				if d.FirstSeq != local.Seq+1 || d.LastSeq < d.FirstSeq || d.Time > at {
					t.Fatalf("depth %d: diff %d..%d at %d after %d", depth, d.FirstSeq, d.LastSeq, d.Time, local.Seq)
				}
				for _, c := range kit.Changes(d) {
					local.Set(c.Bid, c.Price, c.Size)
				}
				local.Seq = d.LastSeq
				if depth > 0 {
					local.Truncate(depth)
				}
				want, _ := f.Book(ctx, "X", d.Time, depth)
				if err := local.Equal(want, depth); err != nil {
					t.Fatalf("depth %d: %v", depth, err)
				}
				if err := local.Check(); err != nil {
					t.Fatal(err)
				}
				n++
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if n < 100 {
			t.Fatalf("depth %d: only %d diffs in 11.6 s of 20 ms steps", depth, n)
		}
	}
}

// SplitDiff gives one diff per id, in order, that together make the
// original, whether it has fewer changes than ids or more.
// TestSplitDiffNeverShowsACrossedBook: the bid moves up to the price the
// ask held; a client that shows the book after each message must see the
// ask go before the bid comes.
func TestSplitDiffNeverShowsACrossedBook(t *testing.T) {
	lv := func(p, s int64) cc.BookLevel {
		return cc.BookLevel{Price: cc.NewDecimal(p, 0), Size: cc.NewDecimal(s, 0)}
	}
	book := cc.Book{Seq: 9, Bids: []cc.BookLevel{lv(100, 1)}, Asks: []cc.BookLevel{lv(101, 1), lv(102, 1)}}
	d := cc.BookDiff{FirstSeq: 10, LastSeq: 11, Bids: []cc.BookLevel{lv(101, 2)}, Asks: []cc.BookLevel{lv(101, 0)}}
	for _, part := range kit.SplitDiff(d) {
		kit.ApplyBookDiff(&book, part, 0)
		if len(book.Bids) > 0 && len(book.Asks) > 0 && book.Bids[0].Price.Cmp(book.Asks[0].Price) >= 0 {
			t.Fatalf("after seq %d the book is crossed: bid %s, ask %s", part.LastSeq, book.Bids[0].Price, book.Asks[0].Price)
		}
	}
	if book.Bids[0].Price.Cmp(cc.NewDecimal(101, 0)) != 0 || book.Asks[0].Price.Cmp(cc.NewDecimal(102, 0)) != 0 {
		t.Fatalf("final book %+v", book)
	}
}

func TestSplitDiffSpreadsChangesOverIds(t *testing.T) {
	lv := func(p, s int64) cc.BookLevel {
		return cc.BookLevel{Price: cc.NewDecimal(p, 0), Size: cc.NewDecimal(s, 0)}
	}
	for _, d := range []cc.BookDiff{
		{FirstSeq: 10, LastSeq: 14, Bids: []cc.BookLevel{lv(9, 1)}, Asks: []cc.BookLevel{lv(11, 0)}},
		{FirstSeq: 10, LastSeq: 11, Bids: []cc.BookLevel{lv(9, 1), lv(8, 2)}, Asks: []cc.BookLevel{lv(11, 0), lv(12, 3)}},
		{FirstSeq: 7, LastSeq: 7, Asks: []cc.BookLevel{lv(11, 0), lv(12, 3)}},
	} {
		parts := kit.SplitDiff(d)
		if len(parts) != int(d.LastSeq-d.FirstSeq+1) {
			t.Fatalf("%d parts for %d..%d", len(parts), d.FirstSeq, d.LastSeq)
		}
		var got []kit.BookChange
		for i, p := range parts {
			if p.FirstSeq != d.FirstSeq+int64(i) || p.LastSeq != p.FirstSeq {
				t.Fatalf("part %d: %d..%d", i, p.FirstSeq, p.LastSeq)
			}
			got = append(got, kit.Changes(p)...)
		}
		// Every change of d once, in ShownOrder.
		want := kit.ShownOrder(d)
		if len(got) != len(want) || len(want) != len(kit.Changes(d)) {
			t.Fatalf("%d changes, want %d", len(got), len(want))
		}
		for i := range got {
			if got[i].Bid != want[i].Bid || got[i].Price.Cmp(want[i].Price) != 0 || got[i].Size.Cmp(want[i].Size) != 0 {
				t.Fatalf("change %d: %+v, want %+v", i, got[i], want[i])
			}
		}
	}
}

// A client that shows the book after every change of ShownOrder never
// sees it crossed or a side empty, and ends on the book after: random
// books before and after, from a tick's move to a seam between two
// markets far apart (up and down), overlapping or not, with levels kept,
// resized, removed and added on both sides.
func TestShownOrderNeverShowsABrokenBook(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	lv := func(p, s int64) cc.BookLevel {
		return cc.BookLevel{Price: cc.NewDecimal(p, 0), Size: cc.NewDecimal(s, 0)}
	}
	// book: n levels a side around mid with gaps, spread >= 1.
	book := func(mid int64, n int) cc.Book {
		var b cc.Book
		p := mid - 1 - rng.Int64N(2)
		for range n {
			b.Bids = append(b.Bids, lv(p, 1+rng.Int64N(3)))
			p -= 1 + rng.Int64N(3)
		}
		p = mid + rng.Int64N(2)
		for range n {
			b.Asks = append(b.Asks, lv(p, 1+rng.Int64N(3)))
			p += 1 + rng.Int64N(3)
		}
		return b
	}
	diff := func(a, b []cc.BookLevel, desc bool) []cc.BookLevel {
		at := map[int64]cc.BookLevel{}
		for _, l := range a {
			at[l.Price.Units] = lv(l.Price.Units, 0)
		}
		for _, l := range b {
			if o, ok := at[l.Price.Units]; !ok || o.Size.Units == 0 {
				at[l.Price.Units] = l
			}
		}
		for _, l := range a {
			for _, m := range b {
				if m.Price == l.Price && m.Size == l.Size {
					delete(at, l.Price.Units) // unchanged
				}
			}
		}
		var out []cc.BookLevel
		for _, l := range at {
			out = append(out, l)
		}
		return kit.BestFirst(out, desc)
	}
	for i := range 3000 {
		mid := int64(1000)
		move := []int64{0, 1, -1, 3, -3, 15, -15, 500, -500}[i%9]
		before, after := book(mid, 1+rng.IntN(8)), book(mid+move, 1+rng.IntN(8))
		if i%4 == 0 { // some levels of before kept as they were
			after.Bids = kit.BestFirst(append(after.Bids, before.Bids[len(before.Bids)-1:]...), true)
		}
		if after.Bids[0].Price.Cmp(after.Asks[0].Price) >= 0 {
			continue
		}
		d := cc.BookDiff{FirstSeq: 1, LastSeq: 1, Bids: diff(before.Bids, after.Bids, true), Asks: diff(before.Asks, after.Asks, false)}
		b := before
		for k, c := range kit.ShownOrder(d) {
			one := cc.BookDiff{FirstSeq: b.Seq + 1, LastSeq: b.Seq + 1}
			if c.Bid {
				one.Bids = []cc.BookLevel{c.BookLevel}
			} else {
				one.Asks = []cc.BookLevel{c.BookLevel}
			}
			if err := kit.ApplyBookDiff(&b, one, 0); err != nil {
				t.Fatal(err)
			}
			if len(b.Bids) == 0 || len(b.Asks) == 0 || b.Bids[0].Price.Cmp(b.Asks[0].Price) >= 0 {
				t.Fatalf("case %d (move %d), after change %d of %d (%+v): %d bids, %d asks, top %v / %v", i, move, k+1, len(d.Bids)+len(d.Asks), c, len(b.Bids), len(b.Asks), b.Bids, b.Asks)
			}
		}
		if !sameSide(b.Bids, after.Bids) || !sameSide(b.Asks, after.Asks) {
			t.Fatalf("case %d: ends on %v / %v, want %v / %v", i, b.Bids, b.Asks, after.Bids, after.Asks)
		}
	}
}

// sameSide reports whether two sides hold the same levels.
func sameSide(a, b []cc.BookLevel) bool {
	return slices.EqualFunc(a, b, func(x, y cc.BookLevel) bool { return x.Price.Cmp(y.Price) == 0 && x.Size.Cmp(y.Size) == 0 })
}
