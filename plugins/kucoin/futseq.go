package kucoin

import (
	"context"
	"reflect"
	"sync"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// Futures level2 sequences. KuCoin Futures numbers every change of a
// book: each /contractMarket/level2 message carries one change and its
// own sequence, one more than the message before, and a REST snapshot's
// sequence is that of the last change it holds. A client buffers the
// stream, fetches a snapshot, drops the changes up to its sequence and
// applies the rest, each the last + 1. The market's update ids count
// updates, not changes (one 100 ms step of a 5,000-level book changes
// dozens to thousands of levels over a few ids), so the plugin numbers
// the messages itself: the sequence at a grid instant is the sequence at
// an anchor plus the messages of every step since. A step sends as many
// messages as it changes levels or advances ids, whichever is more (the
// extra ones repeat the last change, which leaves the book as it is):
// counting the ids keeps a replayed recording of the stream, one id a
// message, at its recorded sequences.
//
// Counting needs every step's diff of the whole book (about a
// millisecond each), so it is not a function of the instant alone: a
// contract's counter is anchored at the first instant it is asked about,
// counts forward and back from
// there, keeps a checkpoint every seqEvery steps and the last seqRecent
// steps' diffs, which every level2 stream on the contract shares (the
// streams, the REST snapshots and the depth topics of one server agree;
// another server process numbers from its own anchor, as another
// matching engine would). The sequence at the anchor is the market's id
// there when that is below the anchor's Unix milliseconds, as KuCoin's
// are (a replayed recording of KuCoin then keeps its sequences), else
// the 100 ms steps since 1970 (the synthetic market's ids are larger:
// ccxt's kucoinfutures takes a change whose sequence is not below its
// timestamp in ms for one its book already holds). A stretch of more than seqGap steps that
// nobody asked about while no level2 stream ran on the contract is
// skipped, not counted: the sequence jumps seqJump a step over it, so
// sequences still grow with time, and no stream saw the jump. While a stream runs, everything
// is counted, however far behind the stream fell.
// snapAhead is how many steps a REST snapshot may be ahead of the newest
// step a running stream has asked for: one, the step boundary a request
// and a stream reach in either order.
const snapAhead = 1

const (
	seqEvery  = 64
	seqRecent = 256
	seqGap    = 1200
	seqJump   = 64
	seqStep   = int64(kit.BookGrid) // µs, bookStep
)

// futSeqs holds a counter a contract.
type futSeqs struct {
	mu sync.Mutex
	m  map[string]*seqCounter
}

func (f *futSeqs) counter(native string) *seqCounter {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[string]*seqCounter{}
	}
	c := f.m[native]
	if c == nil {
		c = &seqCounter{sym: native}
		f.m[native] = c
	}
	return c
}

// seqEntry is one step: its end (µs), the sequence after it, its
// messages and its diff (no levels for a step that changed nothing).
type seqEntry struct {
	end, seq, n int64
	d           cc.BookDiff
}

// seqCounter numbers one contract's level2 messages: the sequence is
// known at every grid instant of [lo, hi].
type seqCounter struct {
	mu           sync.Mutex
	sym          string
	books        cc.Books
	started      bool
	lo, hi       int64
	loSeq, hiSeq int64
	checks       map[int64]int64 // at multiples of seqEvery steps in [lo, hi]
	streams      int             // level2 streams running
	ring         [seqRecent]seqEntry
}

// messages is how many level2 messages a step's diff sends.
func messages(d cc.BookDiff) int64 {
	return max(int64(len(d.Bids)+len(d.Asks)), d.LastSeq-d.FirstSeq+1, 0)
}

// start anchors c at t on first use (and again when the Books changed).
// Books replaying a recording (cc.RecordedBooks) whose recorded books
// begin after t, within seqGap steps, anchor it at the recording's first
// grid instant instead, counting back from there: the recording keeps its
// recorded sequences (which are message numbers, one a change, as the
// count's), and the way in from the synthetic books before it, a diff
// of thousands of changes, takes the sequences below them. Anchored at t
// before it, the count reached the recording that many messages ahead of
// the recorded sequences, and a recorded REST snapshot, replayed verbatim,
// did not chain with the stream.
func (c *seqCounter) start(ctx context.Context, books cc.Books, t int64) error {
	if c.started && sameBooks(c.books, books) {
		return nil
	}
	if r, ok := books.(cc.RecordedBooks); ok {
		if from, ok := r.RecordedFrom(ctx, c.sym); ok && from > t && from-t <= seqGap*seqStep {
			t = floorStep(from + seqStep - 1)
		}
	}
	b, err := books.Book(ctx, c.sym, t, 1)
	if err != nil {
		return err
	}
	seq := b.Seq
	if seq <= 0 || seq >= t/1000 {
		seq = t / seqStep
	}
	c.started, c.books = true, books
	c.lo, c.hi, c.loSeq, c.hiSeq = t, t, seq, seq
	c.checks = map[int64]int64{}
	c.ring = [seqRecent]seqEntry{}
	c.check(t, seq)
	return nil
}

// sameBooks reports whether a and b are the same Books. A map of them
// (replay's union of exchanges) cannot be compared with ==, which panics:
// it is the same when it is the same map.
func sameBooks(a, b cc.Books) bool {
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	switch {
	case ta != tb:
		return false
	case ta == nil || ta.Comparable():
		return a == b
	case ta.Kind() == reflect.Map:
		return reflect.ValueOf(a).Pointer() == reflect.ValueOf(b).Pointer()
	}
	return true
}

func (c *seqCounter) check(t, seq int64) {
	if t%(seqEvery*seqStep) == 0 {
		c.checks[t] = seq
	}
}

// At is the sequence of the book at grid instant t (Unix µs): that of
// the last message of the steps up to t.
func (c *seqCounter) At(ctx context.Context, books cc.Books, t int64) (int64, error) {
	t = floorStep(t)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.start(ctx, books, t); err != nil {
		return 0, err
	}
	return c.at(ctx, t)
}

// Snapshot is the grid instant a REST book asked for at t is served at,
// and its sequence: t, unless a level2 stream runs more than snapAhead
// steps behind it, when it is the newest instant counted — the book the
// streams have reached. A stream falls behind on a machine too slow for
// the clock's speed (one change a message: a busy step is thousands), and
// a snapshot ahead of it hands a client changes older than its book
// after it: ccxt's kucoinfutures, which applies every change once synced,
// then showed crossed books and an empty side until the stream caught up
// (fresh-clone CI, speed 5). The request does not wait for the stream
// either.
func (c *seqCounter) Snapshot(ctx context.Context, books cc.Books, t int64) (int64, int64, error) {
	t = floorStep(t)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.start(ctx, books, t); err != nil {
		return 0, 0, err
	}
	if c.streams > 0 && t-c.hi > snapAhead*seqStep {
		t = c.hi
	}
	seq, err := c.at(ctx, t)
	return t, seq, err
}

func floorStep(t int64) int64 {
	if t < 0 {
		return (t - seqStep + 1) / seqStep * seqStep
	}
	return t / seqStep * seqStep
}

func (c *seqCounter) at(ctx context.Context, t int64) (int64, error) {
	switch {
	case t > c.hi:
		if err := c.extend(ctx, t); err != nil {
			return 0, err
		}
	case t < c.lo-seqGap*seqStep:
		// Far before anything counted: not counted either.
		return max(1, c.loSeq-(c.lo-t)/seqStep*seqJump), nil
	case t < c.lo:
		if err := c.extendBack(ctx, t); err != nil {
			return 0, err
		}
	}
	switch t {
	case c.hi:
		return c.hiSeq, nil
	case c.lo:
		return c.loSeq, nil
	}
	if e := &c.ring[(t/seqStep)%seqRecent]; e.end == t && t > c.lo {
		return e.seq, nil
	}
	from := t / (seqEvery * seqStep) * (seqEvery * seqStep)
	seq, ok := c.checks[from]
	if from < c.lo || !ok {
		from, seq = c.lo, c.loSeq
	}
	ds, err := c.books.Diffs(ctx, c.sym, from, t, seqStep, 0)
	if err != nil {
		return 0, err
	}
	for _, d := range ds {
		seq += messages(d)
	}
	return seq, nil
}

// Streaming counts a level2 stream starting (+1) or ending (-1).
func (c *seqCounter) Streaming(n int) {
	c.mu.Lock()
	c.streams += n
	c.mu.Unlock()
}

// extend counts the steps up to t > hi (or skips them, past seqGap with
// no stream running).
func (c *seqCounter) extend(ctx context.Context, t int64) error {
	for t-c.hi > seqGap*seqStep && c.streams > 0 {
		if err := c.extend(ctx, c.hi+seqGap*seqStep); err != nil {
			return err
		}
	}
	if t-c.hi > seqGap*seqStep {
		seq := c.hiSeq + (t-c.hi)/seqStep*seqJump
		c.lo, c.hi, c.loSeq, c.hiSeq = t, t, seq, seq
		c.checks = map[int64]int64{}
		c.ring = [seqRecent]seqEntry{}
		c.check(t, seq)
		return nil
	}
	ds, err := c.books.Diffs(ctx, c.sym, c.hi, t, seqStep, 0)
	if err != nil {
		return err
	}
	seq := c.hiSeq
	for e := c.hi + seqStep; e <= t; e += seqStep {
		en := seqEntry{end: e}
		if len(ds) > 0 && ds[0].Time <= e {
			en.d, en.n = ds[0], messages(ds[0])
			ds = ds[1:]
		}
		seq += en.n
		en.seq = seq
		c.ring[(e/seqStep)%seqRecent] = en
		c.check(e, seq)
	}
	c.hi, c.hiSeq = t, seq
	return nil
}

// extendBack counts the steps from t < lo, within seqGap of it.
func (c *seqCounter) extendBack(ctx context.Context, t int64) error {
	ds, err := c.books.Diffs(ctx, c.sym, t, c.lo, seqStep, 0)
	if err != nil {
		return err
	}
	seq := c.loSeq
	n := map[int64]int64{} // by the end of its step (a diff's time lies in it)
	for _, d := range ds {
		n[floorStep(d.Time+seqStep-1)] += messages(d)
	}
	for e := c.lo; e > t; e -= seqStep {
		seq -= n[e]
		c.check(e-seqStep, seq)
	}
	c.lo, c.loSeq = t, seq
	return nil
}

// Steps lists the steps in (a, b] (grid instants) that send messages,
// oldest first, with the sequence after each: from the shared recent
// steps, or counted for the caller when it is further behind.
func (c *seqCounter) Steps(ctx context.Context, books cc.Books, a, b int64) ([]seqEntry, error) {
	a, b = floorStep(a), floorStep(b)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.start(ctx, books, a); err != nil {
		return nil, err
	}
	if b > c.hi {
		if err := c.extend(ctx, b); err != nil {
			return nil, err
		}
	}
	if a < c.lo {
		a = c.lo // skipped over
	}
	var out []seqEntry
	if b <= c.hi && c.ringHolds(a, b) {
		for e := a + seqStep; e <= b; e += seqStep {
			if en := c.ring[(e/seqStep)%seqRecent]; en.n > 0 {
				out = append(out, en)
			}
		}
		return out, nil
	}
	seq, err := c.at(ctx, a)
	if err != nil {
		return nil, err
	}
	ds, err := c.books.Diffs(ctx, c.sym, a, b, seqStep, 0)
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		en := seqEntry{end: d.Time, n: messages(d), d: d}
		seq += en.n
		en.seq = seq
		if en.n > 0 {
			out = append(out, en)
		}
	}
	return out, nil
}

// ringHolds reports whether the ring has every step of (a, b].
func (c *seqCounter) ringHolds(a, b int64) bool {
	if b-a > seqRecent*seqStep {
		return false
	}
	for e := a + seqStep; e <= b; e += seqStep {
		if c.ring[(e/seqStep)%seqRecent].end != e {
			return false
		}
	}
	return true
}

// stepChanges is a step's changes as its messages send them, one each
// (kit.ShownOrder: a client shows the book after every message, and
// never sees it crossed or a side empty).
func stepChanges(d cc.BookDiff) []kit.BookChange { return kit.ShownOrder(d) }
