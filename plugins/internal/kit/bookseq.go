package kit

import (
	"context"
	"slices"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// Diff streams synced with REST snapshots (KuCoin level2, Gate
// order_book_update, MEXC depth, AscendEX depth): the client buffers the
// stream, fetches a snapshot and applies the diffs that continue it, so
// every snapshot must be continued by some diff and the diffs must chain
// id to id.

// BookGrid is the instant grid (µs) the books of synced streams lie on:
// REST snapshots are the book at the last grid instant (BookTime), and
// diff streams start on one, so a snapshot's update id is always the end
// of some diff of any stream whose step divides BookGrid (10, 20, 50 and
// 100 ms all do).
const BookGrid = 100_000

// BookTime is the grid instant (µs) of the book a REST snapshot at now
// (Unix ms) serves: the newest one at or before now.
func BookTime(now int64) int64 { return now * 1000 / BookGrid * BookGrid }

// DiffStream is a BookCursor started on the grid whose diffs chain: each
// one's FirstSeq is the previous one's LastSeq+1 (a step whose book did
// not change within the depth yields no diff, and the next diff's
// FirstSeq reaches back over it, as it covers those ids too).
type DiffStream struct {
	cur   *BookCursor
	first cc.Book
	last  int64 // LastSeq handed out (the snapshot's Seq at first)
}

// NewDiffStream starts at the grid instant at or before start (Unix µs):
// the first diff continues the book there.
func NewDiffStream(ctx context.Context, books cc.Books, symbol string, depth int, step time.Duration, start int64) (*DiffStream, error) {
	cur := NewBookCursor(symbol, depth, step)
	b, err := cur.Snapshot(ctx, books, start/BookGrid*BookGrid)
	if err != nil {
		return nil, err
	}
	return &DiffStream{cur: cur, first: b, last: b.Seq}, nil
}

// Start is the book the first diff continues (the stream's own copy).
func (s *DiffStream) Start() cc.Book { return s.first }

// Next calls each with the diffs of the steps ended by upTo (Unix µs),
// oldest first.
func (s *DiffStream) Next(ctx context.Context, books cc.Books, upTo int64, each func(cc.BookDiff)) error {
	return s.cur.Next(ctx, books, upTo, func(d cc.BookDiff, _ *cc.Book) bool {
		if d.FirstSeq > s.last+1 {
			d.FirstSeq = s.last + 1
		}
		s.last = d.LastSeq
		each(d)
		return true
	})
}

// SubscribeBookDiffs pushes symbol's chained book diffs (step every, depth
// levels a side, 0 all) under key as virtual time passes, from the grid
// instant at or before the subscription; push sends its own frames. first,
// when not nil, gets that instant's book before the first diff (Gate's
// full=true push).
func SubscribeBookDiffs(sess *plugins.Session, key, symbol string, depth int, every time.Duration, first func(cc.Book), push func(cc.BookDiff)) error {
	env := sess.Env()
	if env.Books == nil {
		return ErrNoBooks
	}
	ds, err := NewDiffStream(sess.Context(), env.Books, symbol, depth, every, env.Clock.NowMillis()*1000)
	if err != nil {
		return err
	}
	var live streamLive
	err = sess.SubscribeTicks(key, symbol, every, func(u cc.Update) []byte {
		if !live.ok() {
			return nil
		}
		if first != nil {
			first(ds.Start())
			first = nil
		}
		ctx, cancel := context.WithCancel(sess.Context())
		defer cancel()
		_ = ds.Next(ctx, env.Books, u.EventTime*1000, func(d cc.BookDiff) {
			if !live.ok() {
				cancel() // the stream ended: the rest of the batch is not pushed
				return
			}
			push(d)
		})
		return nil
	})
	live.set(sess, key, err)
	return err
}

// SubscribeBookSnapshots pushes symbol's book (depth levels a side) under
// key every every of virtual time when its levels changed: push gets the
// book at the step instant and sends its own frames.
func SubscribeBookSnapshots(sess *plugins.Session, key, symbol string, depth int, every time.Duration, push func(cc.Book)) error {
	env := sess.Env()
	if env.Books == nil {
		return ErrNoBooks
	}
	step := every.Microseconds()
	var last cc.Book
	return sess.SubscribeTicks(key, symbol, every, func(u cc.Update) []byte {
		at := u.EventTime * 1000 / step * step
		if last.Time != 0 && at <= last.Time {
			return nil
		}
		b, err := env.Books.Book(sess.Context(), symbol, at, depth)
		if err != nil || (last.Time != 0 && sameLevels(b.Bids, last.Bids) && sameLevels(b.Asks, last.Asks)) {
			return nil
		}
		last = b
		push(b)
		return nil
	})
}

func sameLevels(a, b []cc.BookLevel) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Price.Cmp(b[i].Price) != 0 || a[i].Size.Cmp(b[i].Size) != 0 {
			return false
		}
	}
	return true
}

// BookChange is one level of a diff with its side.
type BookChange struct {
	Bid bool
	cc.BookLevel
}

// Changes lists d's levels, bids first, each side best first.
func Changes(d cc.BookDiff) []BookChange {
	out := make([]BookChange, 0, len(d.Bids)+len(d.Asks))
	for _, l := range d.Bids {
		out = append(out, BookChange{Bid: true, BookLevel: l})
	}
	for _, l := range d.Asks {
		out = append(out, BookChange{BookLevel: l})
	}
	return out
}

// SplitDiff spreads d over one diff per update id, for protocols whose
// messages carry a single id each that must grow by one (MEXC contract's
// version, AscendEX's seqnum; KuCoin futures numbers its changes itself,
// one sequence each): the i-th change (in ShownOrder) goes to
// FirstSeq+i, the changes beyond the last id all go to LastSeq, and ids
// left without a change get an empty diff, so the diffs applied in order
// give d's book and their ids run unbroken, and a client showing the
// book after every message never sees it crossed or a side empty.
func SplitDiff(d cc.BookDiff) []cc.BookDiff {
	n := int(d.LastSeq - d.FirstSeq + 1)
	out := make([]cc.BookDiff, n)
	for i := range out {
		seq := d.FirstSeq + int64(i)
		out[i] = cc.BookDiff{Time: d.Time, FirstSeq: seq, LastSeq: seq}
	}
	chs := ShownOrder(d)
	for i, ch := range chs {
		p := &out[min(i, n-1)]
		if ch.Bid {
			p.Bids = append(p.Bids, ch.BookLevel)
		} else {
			p.Asks = append(p.Asks, ch.BookLevel)
		}
	}
	return out
}

// BookContracts is a level's size in whole contracts of size contract
// (Contracts' rounding), at least one for a level that holds anything:
// a book level never reads as removed because it is under half a
// contract.
func BookContracts(size, contract cc.Decimal) int64 {
	n := Contracts(size, contract)
	if n <= 0 && !size.IsZero() {
		return 1
	}
	return n
}

// ShownOrder is d's changes in the order messages of one change each
// send them, for a client that shows the book after every message: the
// book it shows is never crossed and never has a side emptied, as long
// as the books before and after d are neither. d alone says enough:
//
//  1. the levels set that nothing in d stands in the way of: a bid is in
//     the way of a level set on the ask side at its price or below only
//     if d removes it (the book after d is not crossed), and so on;
//  2. the removals that stand in the way of the rest (an ask at or
//     below a bid to be set, a bid at or above an ask to be set);
//  3. the rest of the levels set;
//  4. the other removals.
//
// The side a removal in 2 leaves is not empty: what is set on it came in
// 1 (when bids must wait for asks to go — the market moved up — no ask
// waits for a bid, as that would need it to move down as well). A bid
// moving up to where an ask was waits for that ask to go; a seam between
// two markets far apart (replay's way into or out of a recording) sets
// the new book's leading side, clears the old one's, then the other
// side: removing everything first showed a side empty in between. Each
// group keeps Changes' order (bids first, each side best first).
func ShownOrder(d cc.BookDiff) []BookChange {
	chs := Changes(d)
	// The lowest ask removed and the highest bid removed (values: chs is
	// sorted below).
	var lowAsk, highBid cc.Decimal
	hasLowAsk, hasHighBid := false, false
	for _, c := range chs {
		switch {
		case !c.Size.IsZero():
		case c.Bid && (!hasHighBid || c.Price.Cmp(highBid) > 0):
			highBid, hasHighBid = c.Price, true
		case !c.Bid && (!hasLowAsk || c.Price.Cmp(lowAsk) < 0):
			lowAsk, hasLowAsk = c.Price, true
		}
	}
	// blocked: a level set that a removal stands in the way of.
	blocked := func(c BookChange) bool {
		if c.Bid {
			return hasLowAsk && lowAsk.Cmp(c.Price) <= 0
		}
		return hasHighBid && highBid.Cmp(c.Price) >= 0
	}
	// The highest bid and the lowest ask that wait.
	var waitBid, waitAsk cc.Decimal
	hasWaitBid, hasWaitAsk := false, false
	for _, c := range chs {
		switch {
		case c.Size.IsZero() || !blocked(c):
		case c.Bid && (!hasWaitBid || c.Price.Cmp(waitBid) > 0):
			waitBid, hasWaitBid = c.Price, true
		case !c.Bid && (!hasWaitAsk || c.Price.Cmp(waitAsk) < 0):
			waitAsk, hasWaitAsk = c.Price, true
		}
	}
	group := func(c BookChange) int {
		switch {
		case !c.Size.IsZero() && !blocked(c):
			return 1
		case c.Size.IsZero() && c.Bid && hasWaitAsk && c.Price.Cmp(waitAsk) >= 0,
			c.Size.IsZero() && !c.Bid && hasWaitBid && c.Price.Cmp(waitBid) <= 0:
			return 2
		case !c.Size.IsZero():
			return 3
		}
		return 4
	}
	slices.SortStableFunc(chs, func(a, b BookChange) int { return group(a) - group(b) })
	return chs
}
