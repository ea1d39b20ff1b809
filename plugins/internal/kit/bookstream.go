package kit

import (
	"context"
	"errors"
	"sync"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// ErrNoBooks is SubscribeBook's error in a mode without order books.
var ErrNoBooks = errors.New("no order books in this mode")

// bookBatch bounds the steps of one Diffs query of a book stream, so a
// stream that fell behind catches up in bounded queries.
const bookBatch = 1000

// BookCursor is where a book stream goes on from: a snapshot taken at a
// step boundary, then the diffs of each later step, applied to the book
// it keeps, so an encoder has both the change and the book after it (for
// the exchange's checksum). Steps are the exchange's update cadence in
// virtual time: the snapshot is taken at a multiple of Step, and the
// diffs, which Books.Diffs steps from the window's start, at the later
// ones.
type BookCursor struct {
	Symbol string
	Depth  int   // levels a side; 0 means all the market models
	Step   int64 // µs between the instants books are compared at
	book   cc.Book
	at     int64 // µs: the instant book is at; 0 before Snapshot
}

// NewBookCursor is a cursor for symbol's book at depth levels a side,
// changing every step of virtual time (at least 1 µs).
func NewBookCursor(symbol string, depth int, step time.Duration) *BookCursor {
	s := step.Microseconds()
	if s <= 0 {
		s = 1
	}
	return &BookCursor{Symbol: symbol, Depth: depth, Step: s}
}

// Snapshot returns the book at the last step boundary at or before at
// (Unix µs) and moves the cursor there: the diffs Next hands out continue
// it. The returned book is the caller's; the cursor keeps its own copy.
func (c *BookCursor) Snapshot(ctx context.Context, books cc.Books, at int64) (cc.Book, error) {
	at -= at % c.Step
	b, err := books.Book(ctx, c.Symbol, at, c.Depth)
	if err != nil {
		return cc.Book{}, err
	}
	c.book = cloneBook(b)
	c.at = at
	return b, nil
}

// Started reports whether Snapshot has been taken.
func (c *BookCursor) Started() bool { return c.at != 0 }

// Book is the book after the last diff handed out (or the snapshot). It
// belongs to the cursor and changes with the next Next.
func (c *BookCursor) Book() *cc.Book { return &c.book }

// Next applies, in order, the diffs of the steps after the cursor up to
// upTo (Unix µs) and calls each with the diff and the book after it (the
// cursor's, valid during the call). each returns false to stop; the
// cursor has then moved past that diff only.
func (c *BookCursor) Next(ctx context.Context, books cc.Books, upTo int64, each func(d cc.BookDiff, after *cc.Book) bool) error {
	if c.at == 0 {
		return errors.New("kit: BookCursor.Next before Snapshot")
	}
	end := upTo - upTo%c.Step
	for c.at < end {
		if err := ctx.Err(); err != nil {
			return err
		}
		to := min(end, c.at+bookBatch*c.Step)
		ds, err := books.Diffs(ctx, c.Symbol, c.at, to, c.Step, c.Depth)
		if err != nil {
			return err
		}
		for _, d := range ds {
			if err := ApplyBookDiff(&c.book, d, c.Depth); err != nil {
				return err
			}
			c.at = d.Time
			if !each(d, &c.book) {
				return nil
			}
		}
		c.at = to
	}
	return nil
}

// ApplyBookDiff applies d to b as a client keeping depth levels a side
// does (0: all): cc.Book.ApplyDiff.
func ApplyBookDiff(b *cc.Book, d cc.BookDiff, depth int) error { return b.ApplyDiff(d, depth) }

func trim(s []cc.BookLevel, depth int) []cc.BookLevel {
	if depth > 0 && len(s) > depth {
		return s[:depth]
	}
	return s
}

func cloneBook(b cc.Book) cc.Book {
	b.Bids = append([]cc.BookLevel(nil), b.Bids...)
	b.Asks = append([]cc.BookLevel(nil), b.Asks...)
	return b
}

// BookStream is what SubscribeBook calls: Snapshot once with the first
// book, then Diff for each change with the book after it (both owned by
// the stream and valid during the call). Either returns false to stop
// early (the stream unsubscribed, the connection gone); each sends its
// own frames.
type BookStream struct {
	Snapshot func(b *cc.Book) bool
	Diff     func(d cc.BookDiff, after *cc.Book) bool
	// Idle, when set, is called after each look with its instant (Unix
	// µs) and the book then, for pushes that repeat an unchanged book.
	Idle func(at int64, b *cc.Book) bool
}

// SubscribeBook pushes symbol's book under key as virtual time passes: the
// snapshot at the first push, then one Diff per step of the exchange's
// cadence whose book changed within depth levels a side (0 all; a diff
// whose updates all lay deeper is not pushed, so a protocol's ids may
// skip), looking every every (a multiple of step).
func SubscribeBook(sess *plugins.Session, key, symbol string, depth int, step, every time.Duration, out BookStream) error {
	env := sess.Env()
	if env.Books == nil {
		return ErrNoBooks
	}
	cur := NewBookCursor(symbol, depth, step)
	stopped := false
	var live streamLive
	err := sess.SubscribeTicks(key, symbol, every, func(u cc.Update) []byte {
		if stopped || !live.ok() {
			return nil
		}
		at := u.EventTime * 1000
		if !cur.Started() {
			if _, err := cur.Snapshot(sess.Context(), env.Books, at); err != nil {
				return nil
			}
			stopped = !out.Snapshot(cur.Book())
			return nil
		}
		_ = cur.Next(sess.Context(), env.Books, at, func(d cc.BookDiff, after *cc.Book) bool {
			if len(d.Bids)+len(d.Asks) == 0 {
				// Updates beyond the depth only: nothing to push.
				return true
			}
			stopped = !live.ok() || !out.Diff(d, after)
			return !stopped
		})
		if !stopped && out.Idle != nil {
			stopped = !out.Idle(at, cur.Book())
		}
		return nil
	})
	live.set(sess, key, err)
	return err
}

// streamLive tells a push whether its stream is still the one subscribed
// (plugins.Session.StreamContext, taken once Subscribe returned: a push
// catching up sends many frames in one call, and one of a stream started
// again under the same key must stop at once, not go out after the new
// stream's start).
type streamLive struct {
	mu  sync.Mutex
	ctx context.Context
}

func (l *streamLive) set(sess *plugins.Session, key string, err error) {
	if err != nil {
		return
	}
	l.mu.Lock()
	l.ctx = sess.StreamContext(key)
	l.mu.Unlock()
}

func (l *streamLive) ok() bool {
	l.mu.Lock()
	ctx := l.ctx
	l.mu.Unlock()
	return ctx == nil || ctx.Err() == nil
}
