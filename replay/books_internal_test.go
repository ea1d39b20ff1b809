package replay

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/synth"
)

func lvls(pairs ...string) []cc.BookLevel {
	var out []cc.BookLevel
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, cc.BookLevel{Price: cc.MustDecimal(pairs[i]), Size: cc.MustDecimal(pairs[i+1])})
	}
	return out
}

func booksOf(t *testing.T, recs ...cassettes.BookRecord) *recordedBooks {
	t.Helper()
	c, err := cassettes.Open(filepath.Join(t.TempDir(), "b.cassette"), 0o600, &cassettes.Options{Exchange: "kraken_spot", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.AddBooks(recs...); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	return newRecordedBooks(c, nil, nil)
}

func levelsAre(t *testing.T, what string, got []cc.BookLevel, want ...string) {
	t.Helper()
	w := lvls(want...)
	ok := len(got) == len(w)
	for i := 0; ok && i < len(w); i++ {
		ok = got[i].Price.Cmp(w[i].Price) == 0 && got[i].Size.Cmp(w[i].Size) == 0
	}
	if !ok {
		t.Fatalf("%s: %v, want %v", what, got, w)
	}
}

// A book without update ids (Kraken's): a snapshot stamped when it
// arrived, 30 ms after an update the exchange timed before it but which
// it does not hold, gets that update (idlessGrace); the book is kept to
// the snapshot's depth, as Kraken's client truncates.
func TestIdlessBooksRebuildByTime(t *testing.T) {
	const t0 = int64(1_780_000_000_000_000)
	rb := booksOf(t,
		cassettes.BookRecord{Symbol: "XBT/USD", Time: t0, Bids: lvls("100", "1")},
		cassettes.BookRecord{Symbol: "XBT/USD", Time: t0 + 50_000, Bids: lvls("101", "2")},
		cassettes.BookRecord{Symbol: "XBT/USD", Time: t0 + 80_000, Snapshot: true, Depth: 2, Bids: lvls("100", "1", "99", "5"), Asks: lvls("102", "1")},
		cassettes.BookRecord{Symbol: "XBT/USD", Time: t0 + 100_000, Asks: lvls("102", "0", "103", "4")},
	)
	ctx := context.Background()
	b, err := rb.Book(ctx, "XBT/USD", t0+90_000, 0)
	if err != nil {
		t.Fatal(err)
	}
	levelsAre(t, "bids at +90 ms", b.Bids, "101", "2", "100", "1")
	levelsAre(t, "asks at +90 ms", b.Asks, "102", "1")
	b2, _ := rb.Book(ctx, "XBT/USD", t0+100_000, 0)
	levelsAre(t, "asks at +100 ms", b2.Asks, "103", "4")
	if b2.Seq <= b.Seq {
		t.Fatalf("ids %d then %d: not numbered in time order", b.Seq, b2.Seq)
	}
	if _, err := rb.Book(ctx, "XBT/USD", t0+10_000, 0); err == nil {
		t.Fatal("a book before the recorded snapshot without a synthetic market")
	}
}

// A snapshot stamped on arrival that already holds the updates timed
// before it, at depth 3: 101 came in (97, the depth's last, pushed out
// unannounced), went away (97 back, announced), then 99 came in (97 out
// again). Applied once more to the snapshot [100 99 98], cut to the
// depth after each, 101's arrival would drop 98 — which no update names,
// having stayed inside the depth all along — and 97's return would take
// its place: the snapshot's last level was lost near the depth's edge
// (Kraken's replayed books, about 1 run in 7). Cut once the held ones
// are in, the book is the snapshot's.
func TestIdlessHeldUpdatesKeepTheSnapshotsLevels(t *testing.T) {
	const t0 = int64(1_780_000_000_000_000)
	rb := booksOf(t,
		cassettes.BookRecord{Symbol: "XBT/USD", Time: t0, Snapshot: true, Depth: 3, Bids: lvls("100", "1", "98", "1", "97", "1"), Asks: lvls("102", "1")},
		cassettes.BookRecord{Symbol: "XBT/USD", Time: t0 + 100_000, Bids: lvls("101", "2")},
		cassettes.BookRecord{Symbol: "XBT/USD", Time: t0 + 200_000, Bids: lvls("101", "0", "97", "1")},
		cassettes.BookRecord{Symbol: "XBT/USD", Time: t0 + 220_000, Bids: lvls("99", "4")},
		cassettes.BookRecord{Symbol: "XBT/USD", Time: t0 + 250_000, Snapshot: true, Depth: 3, Bids: lvls("100", "1", "99", "4", "98", "1"), Asks: lvls("102", "1")},
		cassettes.BookRecord{Symbol: "XBT/USD", Time: t0 + 300_000, Bids: lvls("100.5", "1")},
	)
	ctx := context.Background()
	b, err := rb.Book(ctx, "XBT/USD", t0+260_000, 0)
	if err != nil {
		t.Fatal(err)
	}
	levelsAre(t, "bids at +260 ms", b.Bids, "100", "1", "99", "4", "98", "1")
	// After the snapshot, the book is cut to its depth at every update.
	b, _ = rb.Book(ctx, "XBT/USD", t0+300_000, 0)
	levelsAre(t, "bids at +300 ms", b.Bids, "100.5", "1", "100", "1", "99", "4")
}

// A stream's snapshot the recorder pinned 1 µs before the stream's first
// diff (record's hold) is the base while it is deep enough: the diffs
// after it, each cut to the depth, are the stream's client's book. A REST
// snapshot stamped when its response came (at +120 µs, of the book at
// +60) would have the grace apply again the diffs before its stamp: the
// +1 diff that set 12, which left the depth 3 unannounced at +50 (8 and
// 9 came in, 12 went away beyond the depth), and 12 came back when 8 and
// 9 went at +100 — a level the book no longer had, where 13 came in.
func TestIdlessPinnedSnapshotIsTheBase(t *testing.T) {
	const t0 = int64(1_780_000_000_000_000)
	rb := booksOf(t,
		cassettes.BookRecord{Symbol: "XBT/USD", Time: t0, Snapshot: true, Depth: 3, Bids: lvls("5", "1"), Asks: lvls("10", "1", "11", "1", "12", "1")},
		cassettes.BookRecord{Symbol: "XBT/USD", Time: t0 + 1, Asks: lvls("12", "2")},
		cassettes.BookRecord{Symbol: "XBT/USD", Time: t0 + 50, Asks: lvls("8", "1", "9", "1")},
		cassettes.BookRecord{Symbol: "XBT/USD", Time: t0 + 100, Asks: lvls("8", "0", "9", "0", "11", "1", "13", "1")},
		cassettes.BookRecord{Symbol: "XBT/USD", Time: t0 + 120, Snapshot: true, Depth: 3, Bids: lvls("5", "1"), Asks: lvls("8", "1", "9", "1", "10", "1")},
	)
	ctx := context.Background()
	for _, at := range []int64{t0 + 100, t0 + 120} {
		b, err := rb.Book(ctx, "XBT/USD", at, 0)
		if err != nil {
			t.Fatal(err)
		}
		levelsAre(t, fmt.Sprintf("asks at +%d µs", at-t0), b.Asks, "10", "1", "11", "1", "13", "1")
	}
	b, _ := rb.Book(ctx, "XBT/USD", t0+60, 0)
	levelsAre(t, "asks at +60 µs", b.Asks, "8", "1", "9", "1", "10", "1")
	// Asked deeper than the pinned snapshot holds, the rebuild falls back
	// to the deepest base there is.
	if _, err := rb.Book(ctx, "XBT/USD", t0+120, 5); err != nil {
		t.Fatal(err)
	}
}

// A diff repeating the last id (a step's extra changes, kit.SplitDiff's)
// is applied, not refused as one the book holds; a later change at a
// price replaces an earlier one however the price is spelled; a diff of
// ids the book holds is refused.
func TestRepeatedLastIDApplies(t *testing.T) {
	const t0 = int64(1_780_000_000_000_000)
	rb := booksOf(t,
		cassettes.BookRecord{Symbol: "XBTUSDTM", Time: t0, Snapshot: true, LastSeq: 10, Bids: lvls("100", "1"), Asks: lvls("102", "1")},
		cassettes.BookRecord{Symbol: "XBTUSDTM", Time: t0 + 100_000, FirstSeq: 11, LastSeq: 11, Asks: lvls("102", "0")},
		cassettes.BookRecord{Symbol: "XBTUSDTM", Time: t0 + 100_000, FirstSeq: 11, LastSeq: 11, Asks: lvls("101", "3")},
		cassettes.BookRecord{Symbol: "XBTUSDTM", Time: t0 + 200_000, FirstSeq: 12, LastSeq: 12, Bids: lvls("100", "2")},
		// One price spelled two ways: the later change wins.
		cassettes.BookRecord{Symbol: "XBTUSDTM", Time: t0 + 200_000, FirstSeq: 13, LastSeq: 14, Bids: lvls("99.50", "7")},
		cassettes.BookRecord{Symbol: "XBTUSDTM", Time: t0 + 200_000, FirstSeq: 15, LastSeq: 15, Bids: lvls("99.5", "0")},
		// Ids the book holds already: refused.
		cassettes.BookRecord{Symbol: "XBTUSDTM", Time: t0 + 200_000, FirstSeq: 9, LastSeq: 14, Asks: lvls("150", "1")},
	)
	b, err := rb.Book(context.Background(), "XBTUSDTM", t0+200_000, 0)
	if err != nil {
		t.Fatal(err)
	}
	levelsAre(t, "asks", b.Asks, "101", "3")
	levelsAre(t, "bids", b.Bids, "100", "2")
	if b.Seq != 15 {
		t.Fatalf("seq %d", b.Seq)
	}
}

// A client that follows the stream from before a recorded span to after
// it — a synthetic book of another seed, the recording's first book held
// for bookHold before the span, the recording, the synthetic book again —
// holds the served book at every step, never a mix of two markets: the
// diffs at the seams remove what the book before held and set the book
// after, and the ids run on across them. Before the span, bookHold of the
// recorded stream: none where the recording starts with its snapshot (no
// diff comes while the first book is held), else the diffs recorded
// before the snapshot, as a client that buffers them before its REST
// snapshot recorded them (pre), on a book that is never crossed and that
// is at every instant the book served there. Depth-limited streams too,
// for a client that truncates nothing.
func TestSeamsTakeTheBookAcrossTheSpan(t *testing.T) {
	for _, c := range []struct {
		depth          int
		step, off, pre int64
	}{{0, 100_000, 50_000, 0}, {50, 20_000, 50_000, 0}, {400, 100_000, 50_000, 0}, {400, 100_000, 0, 0}, {0, 100_000, 0, 0},
		{0, 100_000, 50_000, 5_000_000}, {0, 100_000, 0, 5_000_000}, {0, 100_000, 50_000, 90_000_000}} {
		t.Run(fmt.Sprintf("depth %d step %d span from %d stream from %d before", c.depth, c.step, c.off, c.pre), func(t *testing.T) { seamsAcross(t, c.depth, c.step, c.off, c.pre) })
	}
}

// seamsAcross follows the stream of depth levels a side (0: all) in steps
// of step µs, as a client that applies every diff and truncates nothing
// does, across a recording whose snapshot is off µs after a whole second
// (0: on the step grid, as OKX's WS snapshots are; the synthetic book may
// change at that very instant) and whose stream starts pre µs before it
// (0: with it; else the stream's 100 ms diffs up to the grid instant
// before the snapshot, and the first after it straddles its id when off
// is not 0).
func seamsAcross(t *testing.T, depth int, step, off, pre int64) {
	ctx := context.Background()
	pairs := []cc.Pair{{Base: "BTC", Quote: "USDT", Symbol: "BTCUSDT"}}
	up := synth.New(synth.Options{Seed: 42, Exchange: "binance_spot", Pairs: pairs}).Books()
	mine := synth.New(synth.Options{Seed: 7, Exchange: "binance_spot", Pairs: pairs}).Books()
	const sym = "BTCUSDT"
	t0 := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC).UnixMicro() + off
	t1 := t0 + 3_000_000
	snap, err := up.Book(ctx, sym, t0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	recs := []cassettes.BookRecord{{Symbol: sym, Time: t0, Snapshot: true, Depth: 1000, LastSeq: snap.Seq, Bids: snap.Bids, Asks: snap.Asks}}
	streamFrom := t0
	if pre > 0 {
		streamFrom = t0 / 100_000 * 100_000
		before, err := up.Diffs(ctx, sym, streamFrom-pre, streamFrom, 100_000, 0)
		if err != nil || len(before) < 10 {
			t.Fatalf("upstream diffs before the snapshot: %v, %d", err, len(before))
		}
		for _, d := range before {
			recs = append(recs, cassettes.BookRecord{Symbol: sym, Time: d.Time, FirstSeq: d.FirstSeq, LastSeq: d.LastSeq, Bids: d.Bids, Asks: d.Asks})
		}
	}
	ds, err := up.Diffs(ctx, sym, streamFrom, t1, 100_000, 0)
	if err != nil || len(ds) < 20 {
		t.Fatalf("upstream diffs: %v, %d", err, len(ds))
	}
	for _, d := range ds {
		recs = append(recs, cassettes.BookRecord{Symbol: sym, Time: d.Time, FirstSeq: d.FirstSeq, LastSeq: d.LastSeq, Bids: d.Bids, Asks: d.Asks})
	}
	rb := booksOf(t, recs...)
	rb.synth = mine
	if a, b := snap.Bids[0].Price, mustBook(t, mine, sym, t0).Bids[0].Price; a.Cmp(b) == 0 {
		t.Fatal("the two seeds' books agree: the test would not tell them apart")
	}

	const top, window = 20, 300_000
	held := t0 - bookHold
	start := (held - 2_000_000) / step * step
	book, err := rb.Book(ctx, sym, start, depth)
	if err != nil {
		t.Fatal(err)
	}
	seams := 0
	lastEnd := int64(0) // the step the last diff ended in
	for at := start; at < t1+2_000_000; at += window {
		ds, err := rb.Diffs(ctx, sym, at, at+window, step, depth)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			// The ids never go back (a stream chains them: kit.DiffStream
			// reaches a diff's first id back over steps without a change).
			if d.LastSeq <= book.Seq {
				t.Fatalf("diff %d-%d at %d does not follow book %d", d.FirstSeq, d.LastSeq, d.Time, book.Seq)
			}
			d.FirstSeq = min(d.FirstSeq, book.Seq+1)
			// One diff a step, as the streams' shared steps keep it (a
			// seam's diff and the recorded one of its step are one).
			if end := (d.Time + step - 1) / step * step; end == lastEnd {
				t.Fatalf("two diffs end in the step ending at %d", end)
			} else {
				lastEnd = end
			}
			if pre == 0 && d.Time >= held && d.Time <= t0 && d.Time/step != held/step {
				t.Fatalf("a diff at %d while the recording's first book is held (%d to %d)", d.Time, held, t0)
			}
			if (d.Time < held) != (book.Time < held) || (d.Time > t1) != (book.Time > t1) {
				seams++
			}
			if err := book.ApplyDiff(d, 0); err != nil {
				t.Fatal(err)
			}
			if len(book.Bids) == 0 || len(book.Asks) == 0 || book.Bids[0].Price.Cmp(book.Asks[0].Price) >= 0 {
				t.Fatalf("after the diff at %d (span %d..%d): crossed or a side empty: %d bids, %d asks", d.Time, t0, t1, len(book.Bids), len(book.Asks))
			}
		}
		want, err := rb.Book(ctx, sym, at+window, depth)
		if err != nil {
			t.Fatal(err)
		}
		if book.Seq != want.Seq {
			t.Fatalf("at %d: the client's book is %d, the served one %d", at+window, book.Seq, want.Seq)
		}
		if book.Bids[0].Price.Cmp(book.Asks[0].Price) >= 0 {
			t.Fatalf("at %d (span %d..%d): crossed, bid %s ask %s", at+window, t0, t1, book.Bids[0].Price, book.Asks[0].Price)
		}
		for _, side := range [][2][]cc.BookLevel{{book.Bids, want.Bids}, {book.Asks, want.Asks}} {
			if depth > 0 && len(side[0]) != len(side[1]) {
				t.Fatalf("at %d (span %d..%d): the client holds %d levels a side, the served book %d", at+window, t0, t1, len(side[0]), len(side[1]))
			}
			n := top
			if depth > 0 {
				n = len(side[1]) // a depth-limited stream's client holds its whole view
			}
			for i := 0; i < n; i++ {
				if side[0][i].Price.Cmp(side[1][i].Price) != 0 || side[0][i].Size.Cmp(side[1][i].Size) != 0 {
					t.Fatalf("at %d (span %d..%d): level %d is %v, served %v", at+window, t0, t1, i, side[0][i], side[1][i])
				}
			}
		}
	}
	if seams != 2 {
		t.Fatalf("%d seams crossed, want 2", seams)
	}
}

// A client that starts inside the hold window — a replayed client that
// subscribes a few seconds before the recorded stream, its REST snapshot
// or the stream's first book taken there — gets the recorded stream's
// diffs before the first snapshot, with their recorded ids, on a book
// that is never crossed and is the book served at every step; at the end
// of the recording it holds the recorded book. Also where the snapshot
// came late (its response stamped after diffs past its id, none of the
// recorded diffs held by it).
func TestAClientInsideTheHoldWindowFollowsTheRecordedStream(t *testing.T) {
	for _, late := range []bool{false, true} {
		t.Run(fmt.Sprintf("late snapshot %v", late), func(t *testing.T) { holdWindowClients(t, late) })
	}
}

func holdWindowClients(t *testing.T, late bool) {
	ctx := context.Background()
	pairs := []cc.Pair{{Base: "BTC", Quote: "USDT", Symbol: "BTCUSDT"}}
	up := synth.New(synth.Options{Seed: 42, Exchange: "binance_spot", Pairs: pairs}).Books()
	const sym, step = "BTCUSDT", int64(100_000)
	t0 := time.Date(2024, 3, 1, 12, 0, 0, 50_000_000, time.UTC).UnixMicro() // off the grid: the next diff straddles the snapshot's id
	t1 := t0 + 3_000_000
	taken, from := t0, t0/step*step-5_000_000
	if late {
		taken, from = t0-1_000_000, t0-1_000_000 // the book of a second before, and the stream from it
	}
	snap, err := up.Book(ctx, sym, taken, 1000)
	if err != nil {
		t.Fatal(err)
	}
	recs := []cassettes.BookRecord{{Symbol: sym, Time: t0, Snapshot: true, Depth: 1000, LastSeq: snap.Seq, Bids: snap.Bids, Asks: snap.Asks}}
	ds, err := up.Diffs(ctx, sym, from, t1, step, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		recs = append(recs, cassettes.BookRecord{Symbol: sym, Time: d.Time, FirstSeq: d.FirstSeq, LastSeq: d.LastSeq, Bids: d.Bids, Asks: d.Asks})
	}
	rb := booksOf(t, recs...)
	rb.synth = synth.New(synth.Options{Seed: 7, Exchange: "binance_spot", Pairs: pairs}).Books()
	for _, start := range []int64{t0 - 30_000_000, t0 - 4_000_000, t0 - 150_000} {
		b, err := rb.Book(ctx, sym, start, 0)
		if err != nil {
			t.Fatal(err)
		}
		recorded, want := 0, 0
		for _, d := range ds {
			if d.Time > start && d.Time <= t0 {
				want++
			}
		}
		for at := start; at < t1; at += 300_000 {
			ds, err := rb.Diffs(ctx, sym, at, at+300_000, step, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range ds {
				// Windows off the recording's grid (start t0 − 30 s and
				// t0 − 4 s) group the recorded diffs into steps of their
				// own: the last before the snapshot then ends at t0.
				if d.Time <= t0 {
					recorded++
				}
				if err := b.ApplyDiff(d, 0); err != nil {
					t.Fatalf("from %d: %v", start, err)
				}
				if len(b.Bids) == 0 || len(b.Asks) == 0 || b.Bids[0].Price.Cmp(b.Asks[0].Price) >= 0 {
					t.Fatalf("from %d, after the diff at %d: crossed or a side empty", start, d.Time)
				}
			}
			want, err := rb.Book(ctx, sym, at+300_000, 0)
			if err != nil {
				t.Fatal(err)
			}
			if want.Seq != b.Seq || !slices.Equal(want.Bids[:20], b.Bids[:20]) || !slices.Equal(want.Asks[:20], b.Asks[:20]) {
				t.Fatalf("from %d, at %d: the client's book (id %d) is not the served one (id %d)", start, at+300_000, b.Seq, want.Seq)
			}
		}
		if recorded != want || want == 0 {
			t.Fatalf("from %d: %d diffs before the snapshot, %d recorded there", start, recorded, want)
		}
	}
}

func mustBook(t *testing.T, b cc.Books, sym string, at int64) cc.Book {
	t.Helper()
	bk, err := b.Book(context.Background(), sym, at, 5)
	if err != nil {
		t.Fatal(err)
	}
	return bk
}

// A shallow REST answer recorded after a deep one (ccxt's limit 5 after
// its limit 1000) does not cut the whole book to its levels: the book of
// every level is rebuilt from the deepest snapshot; a book of few levels
// from the latest deep enough.
func TestShallowSnapshotDoesNotCutTheBook(t *testing.T) {
	rb := booksOf(t,
		cassettes.BookRecord{Symbol: "X", Time: 1_000, Snapshot: true, Depth: 3, LastSeq: 10,
			Bids: lvls("99", "1", "98", "2", "97", "3"), Asks: lvls("101", "1", "102", "2", "103", "3")},
		cassettes.BookRecord{Symbol: "X", Time: 2_000, FirstSeq: 11, LastSeq: 11, Bids: lvls("99", "5")},
		cassettes.BookRecord{Symbol: "X", Time: 3_000, Snapshot: true, Depth: 1, LastSeq: 11,
			Bids: lvls("99", "5"), Asks: lvls("101", "1")},
		cassettes.BookRecord{Symbol: "X", Time: 4_000, FirstSeq: 12, LastSeq: 12, Asks: lvls("102", "0")},
	)
	b, err := rb.Book(context.Background(), "X", 4_000, 0)
	if err != nil {
		t.Fatal(err)
	}
	levelsAre(t, "bids", b.Bids, "99", "5", "98", "2", "97", "3")
	levelsAre(t, "asks", b.Asks, "101", "1", "103", "3")
	if b, _ = rb.Book(context.Background(), "X", 4_000, 1); b.Seq != 12 {
		t.Fatalf("depth 1: seq %d", b.Seq)
	}
	levelsAre(t, "depth 1 bids", b.Bids, "99", "5")
}
