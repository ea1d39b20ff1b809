package candlecassette

import (
	"context"
	"fmt"
)

// BookLevel is one price level of an L2 order book: the total size resting
// at Price. In a BookDiff a zero Size removes the level.
type BookLevel struct {
	Price Decimal
	Size  Decimal
}

// Book is an L2 order book of one symbol at an instant: the state after
// every update up to and including the one numbered Seq.
type Book struct {
	Time int64 // Unix microseconds of the instant
	// Seq is the update id of the last change the book includes (Binance
	// lastUpdateId, OKX seqId, Bybit u, KuCoin sequence, ...). Update ids
	// increase by one per change of the book, per symbol, and never
	// repeat, so a diff stream continues any snapshot: the first diff to
	// apply is the one whose FirstSeq <= Seq+1 <= LastSeq.
	Seq  int64
	Bids []BookLevel // best (highest) first, prices strictly decreasing
	Asks []BookLevel // best (lowest) first, prices strictly increasing
}

// BookDiff is what changed in a book between two instants: the levels
// updated in between, with their size at Time (zero: removed), within the
// depth the diff was taken at. As in an exchange's diff stream, a level
// that changed and came back may be listed, so that applying a BookDiff
// to the book at any update it covers (a snapshot with Seq in
// [FirstSeq-1, LastSeq]), kept to the same depth, gives the book at Time
// exactly.
type BookDiff struct {
	Time int64 // Unix microseconds of the later instant
	// FirstSeq and LastSeq are the update ids the diff covers (Binance U
	// and u): FirstSeq is the previous book's Seq+1, LastSeq the new
	// book's Seq. A diff that covers no update is never produced.
	FirstSeq int64
	LastSeq  int64
	Bids     []BookLevel // best first
	Asks     []BookLevel // best first
}

// Books gives the L2 order book of a market at any instant, consistent with
// its Tape and Quoter: the best bid and ask of Book(at) are the Touch at
// at, trades print at the touch, and the update ids never go backwards.
// Implementations must be safe for concurrent use and deterministic.
type Books interface {
	// Book is the book at at (Unix µs), at most depth levels a side; depth
	// 0 means all the levels the market models.
	Book(ctx context.Context, symbol string, at int64, depth int) (Book, error)
	// Diffs are the changes in (from, to] in steps of step µs: one diff per
	// step in which the book was updated (its Seq moved), listing the
	// levels updated in the step with their size at its end, the books
	// taken at depth levels a side (levels that leave the top depth are
	// removed, those that enter are added, as exchanges' depth-limited
	// streams do). A diff's
	// levels are empty when its updates all lay beyond depth: keeping it
	// makes every diff continue the one before (FirstSeq = previous
	// LastSeq+1), within a call and across calls over adjacent windows; a
	// stream that drops empty diffs carries their ids into the next one.
	// Steps end at from + k·step (the last at to): a stream whose
	// windows start on a beat of its own (from a multiple of step plus a
	// phase) gets its steps on that beat.
	Diffs(ctx context.Context, symbol string, from, to, step int64, depth int) ([]BookDiff, error)
}

// RecordedBooks is implemented by Books that replay a recording (and by
// wrappers around them): RecordedFrom is the first instant (Unix µs) of
// symbol's recorded books, ok false when none are recorded. A plugin that
// numbers a stream's messages itself (KuCoin futures) anchors its count
// there, so that the recording keeps the numbers it was recorded with.
type RecordedBooks interface {
	RecordedFrom(ctx context.Context, symbol string) (from int64, ok bool)
}

// ApplyDiff applies d to b as a client keeping depth levels a side does
// (0: all): each level of d replaces b's at its price, a zero size
// removes it, and levels past depth are dropped; b's Seq and Time become
// d's. A diff that does not follow b (its LastSeq not after b.Seq) is
// refused and b left alone. The plugins' streams and replay's recorded
// books share it.
func (b *Book) ApplyDiff(d BookDiff, depth int) error {
	if d.LastSeq <= b.Seq || d.FirstSeq > d.LastSeq {
		return fmt.Errorf("candlecassette: diff %d-%d does not follow book %d", d.FirstSeq, d.LastSeq, b.Seq)
	}
	b.Bids = applyBookSide(b.Bids, d.Bids, true, depth)
	b.Asks = applyBookSide(b.Asks, d.Asks, false, depth)
	b.Seq = d.LastSeq
	b.Time = d.Time
	return nil
}

// applyBookSide merges the changes ch (best first) into the side s (best
// first) into a new slice; desc is true for bids.
func applyBookSide(s, ch []BookLevel, desc bool, depth int) []BookLevel {
	out := make([]BookLevel, 0, len(s)+len(ch))
	i, j := 0, 0
	for i < len(s) || j < len(ch) {
		var c int
		switch {
		case i == len(s):
			c = 1
		case j == len(ch):
			c = -1
		default:
			c = s[i].Price.Cmp(ch[j].Price)
			if desc {
				c = -c
			}
		}
		switch {
		case c < 0: // s[i] is better: untouched
			out = append(out, s[i])
			i++
		case c > 0: // a new level
			if !ch[j].Size.IsZero() {
				out = append(out, ch[j])
			}
			j++
		default:
			if !ch[j].Size.IsZero() {
				out = append(out, ch[j])
			}
			i++
			j++
		}
	}
	if depth > 0 && len(out) > depth {
		out = out[:depth]
	}
	return out
}
