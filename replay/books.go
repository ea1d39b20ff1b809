package replay

import (
	"context"
	"errors"
	"math"
	"sort"
	"sync"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
)

// recordedBooks serves a cassette's books index joined to the synthetic
// books, in recorded time (shiftedBooks moves it for --clock now), as
// recordedTape does for trades. It is Env.Books.
//
// Per symbol, the recorded span is [first, last]: from the first recorded
// snapshot that names an update id (a snapshot without one, OKX's REST
// books, takes the id of the latest recorded diff at or before it) to
// the last recorded record; a snapshot is timed by its update id where
// the recorded stream runs past it. Inside it, Book(at) is the latest recorded
// snapshot at or before at — the latest deep enough for depth, else the
// latest — with every recorded diff after it up to at applied in update
// id order, its Seq the recorded update id: a REST snapshot served there
// chains with the replayed stream exactly as on the exchange. Levels
// beyond the snapshot's depth are known only as diffs report them. Diffs
// are the recorded diffs, grouped into steps, with their recorded ids; a
// step without a recorded diff has none.
//
// An exchange that names no update ids (Kraken, Coinbase, Hyperliquid)
// has its records numbered in time order (numberIdless), and Book(at) is
// the latest snapshot pinned by its stream (deep enough) with the diffs
// after it up to at applied in time order, each cut to its depth; else
// the latest snapshot with every diff from idlessGrace before it up to at
// applied, kept to the snapshot's depth from the first diff timed at or
// after the snapshot on (see rebuild).
//
// For bookHold before the span (from held) the recording's own stream is
// served: the diffs recorded before the first snapshot (a client buffers
// them before it asks for a REST snapshot, as Binance, KuCoin and MEXC
// document) as recorded, with their ids, and the book they make
// (holdBook): the first snapshot without the levels the recorded stream
// changes up to the snapshot's id, each then set as the diffs set it —
// the book of the market then without the levels whose size then is
// not recorded, so never crossed when the market was not. A client that
// subscribes a little before the recorded stream — a replayed client
// whose markets load faster from the cassette than they did through the
// recorder — gets the recorded stream and snapshots from the start, as
// the recording's client did. With the synthetic seam at first
// instead, a replayed client buffered synthetic diffs and met a seam of
// two whole books: KuCoin futures, one change a message, sent ~20,000
// messages there, and ccxt's kucoinfutures applied the rest of them onto
// the recorded snapshot it took after the first five.
//
// Outside that the synthetic books are served with their update ids
// moved so that they never go backwards across the span: after it, the
// synthetic Seq at last is lastSeq+1 (the first id after the recorded
// ones); before it, the synthetic Seq at held is one below the id of the
// book served there, holdSeq(held) (ids may then be zero or negative far
// back).
// The synthetic book is another seed's book, so a stream crossing a seam
// gets one diff there (seamDiff) that removes the levels of the book
// before and sets those of the book after: a client following the stream
// holds the served book on both sides, never a mix of the two.
//
// The index is read when a symbol is first asked for.
// errNoBooks answers for books outside a recording without a synthetic
// market to fill them.
var errNoBooks = errors.New("replay: no order book outside the recording")

// bookHold is how long before a recorded span's first snapshot the
// recorded stream is served (see recordedBooks).
const bookHold = 60_000_000

type recordedBooks struct {
	c     *cassettes.Cassette
	synth cc.Books
	d     *damage

	mu   sync.Mutex
	syms map[string]*bookSpan
}

type bookSpan struct {
	snaps               []cassettes.BookRecord // by time, ids resolved
	diffs               []cassettes.BookRecord // by time
	first, last         int64
	held                int64 // first − bookHold (first without synth): the recorded stream is served from here
	pre                 int   // diffs[:pre] are timed at or before first (held by the first snapshot)
	offBefore, offAfter int64
	ok                  bool // a span: at least one snapshot with an id
	// idless: the exchange names no update ids (Kraken, Coinbase,
	// Hyperliquid): the records are numbered in time order, and a book
	// is rebuilt by time alone (see rebuild).
	idless bool
	// pinned[i]: snaps[i] of an id-less span is a stream's timeless
	// snapshot the recorder stamped 1 µs before the first diff the
	// stream sent after it (record's hold): it holds every diff timed
	// before it and none after.
	pinned []bool
}

// idlessGrace is how far before an id-less snapshot's recorded time the
// diffs after it are taken from: a snapshot without a time of its own is
// stamped when it arrived, after updates the exchange timed earlier but
// which it may not hold. Applying, in order, updates it already holds
// leaves it as it is (each sets a level's size) as long as the book is
// not cut to its depth in between, so the window only has to reach back
// past the network's delay and the clocks' skew.
const idlessGrace = 1_000_000

// numberIdless gives records that carry no update id at all (an id-less
// exchange's) ids in time order: each record the next one, a snapshot
// the id after the diffs before it. It reports whether it did.
func numberIdless(recs []cassettes.BookRecord) bool {
	for _, r := range recs {
		if r.FirstSeq != 0 || r.LastSeq != 0 {
			return false
		}
	}
	for i := range recs {
		n := int64(i) + 1
		recs[i].LastSeq = n
		if !recs[i].Snapshot {
			recs[i].FirstSeq = n
		}
	}
	return len(recs) > 0
}

func newRecordedBooks(c *cassettes.Cassette, synth cc.Books, d *damage) *recordedBooks {
	return &recordedBooks{c: c, synth: synth, d: d, syms: map[string]*bookSpan{}}
}

func (rb *recordedBooks) span(ctx context.Context, symbol string) (*bookSpan, error) {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	if sp, ok := rb.syms[symbol]; ok {
		return sp, nil
	}
	recs, err := rb.c.BookRecords(symbol, math.MinInt64, math.MaxInt64)
	if err != nil {
		rb.d.report(ctx, err)
		return nil, err
	}
	sp := &bookSpan{idless: numberIdless(recs)}
	lastDiff := int64(0)
	for _, r := range recs {
		if !r.Snapshot {
			if r.LastSeq > 0 {
				if r.FirstSeq <= 0 || r.FirstSeq > r.LastSeq { // Bybit names no first id
					r.FirstSeq = min(lastDiff+1, r.LastSeq)
					if lastDiff == 0 {
						r.FirstSeq = r.LastSeq
					}
				}
				sp.diffs = append(sp.diffs, r)
				lastDiff = max(lastDiff, r.LastSeq)
			}
			continue
		}
		if r.LastSeq == 0 {
			r.LastSeq = lastDiff
		}
		if r.LastSeq > 0 {
			sp.snaps = append(sp.snaps, r)
		}
	}
	// A snapshot is timed by its id where the recorded stream runs past
	// it: between the last diff it holds and the next one (a REST body
	// without a time is stamped when its response came, which the
	// recorded stream's times need not agree with).
	for i, s := range sp.snaps {
		k := sort.Search(len(sp.diffs), func(j int) bool { return sp.diffs[j].LastSeq > s.LastSeq })
		if k > 0 && k < len(sp.diffs) {
			sp.snaps[i].Time = min(max(s.Time, sp.diffs[k-1].Time), sp.diffs[k].Time-1)
		}
	}
	sort.SliceStable(sp.snaps, func(i, j int) bool { return sp.snaps[i].Time < sp.snaps[j].Time })
	if sp.idless {
		sp.pinned = make([]bool, len(sp.snaps))
		for i, s := range sp.snaps {
			k := sort.Search(len(sp.diffs), func(j int) bool { return sp.diffs[j].Time > s.Time })
			sp.pinned[i] = k < len(sp.diffs) && sp.diffs[k].Time == s.Time+1
		}
	}
	if len(sp.snaps) > 0 {
		sp.ok = true
		sp.first = sp.snaps[0].Time
		sp.pre = sort.Search(len(sp.diffs), func(i int) bool { return sp.diffs[i].Time > sp.first })
		sp.held = sp.first
		if rb.synth != nil {
			// Without a synthetic market, nothing is served outside the
			// recording: no hold either.
			sp.held -= bookHold
		}
		sp.last = sp.snaps[len(sp.snaps)-1].Time
		if n := len(sp.diffs); n > 0 {
			sp.last = max(sp.last, sp.diffs[n-1].Time)
		}
		lastSeq := sp.snaps[len(sp.snaps)-1].LastSeq
		if n := len(sp.diffs); n > 0 {
			lastSeq = max(lastSeq, sp.diffs[n-1].LastSeq)
		}
		if rb.synth != nil {
			if b, err := rb.synth.Book(ctx, symbol, sp.last, 1); err == nil {
				sp.offAfter = lastSeq + 1 - b.Seq // the seam diff takes lastSeq+1 on
			}
			if b, err := rb.synth.Book(ctx, symbol, sp.held, 1); err == nil {
				sp.offBefore = sp.holdSeq(sp.held) - 1 - b.Seq
			}
		}
	}
	rb.syms[symbol] = sp
	return sp, nil
}

// synthBook is the synthetic book at at with its id moved by off.
func (rb *recordedBooks) synthBook(ctx context.Context, symbol string, at int64, depth int, off int64) (cc.Book, error) {
	if rb.synth == nil {
		return cc.Book{}, errNoBooks
	}
	b, err := rb.synth.Book(ctx, symbol, at, depth)
	b.Seq += off
	return b, err
}

// Book implements cc.Books.
func (rb *recordedBooks) Book(ctx context.Context, symbol string, at int64, depth int) (cc.Book, error) {
	sp, err := rb.span(ctx, symbol)
	if err != nil {
		return cc.Book{}, err
	}
	switch {
	case !sp.ok:
		return rb.synthBook(ctx, symbol, at, depth, 0)
	case at < sp.held:
		return rb.synthBook(ctx, symbol, at, depth, sp.offBefore)
	case at > sp.last:
		return rb.synthBook(ctx, symbol, at, depth, sp.offAfter)
	}
	if at < sp.first {
		return sp.holdBook(at, depth), nil
	}
	b := sp.rebuild(at, depth)
	b.Time = at
	return b, nil
}

// holdBook is the book served at at, from held up to first: the first
// snapshot's levels less those that the diffs recorded from held up to
// its id change (those timed up to first, and the one after that
// straddles its id), then those diffs timed up to at applied; its id is
// holdSeq(at).
func (sp *bookSpan) holdBook(at int64, depth int) cc.Book {
	s := sp.rebuild(sp.first, 0)
	pre := sp.heldDiffs()
	touched := changesOf(pre)
	if sp.pre < len(sp.diffs) && sp.diffs[sp.pre].FirstSeq <= s.Seq {
		touched.add(sp.diffs[sp.pre].Bids, sp.diffs[sp.pre].Asks)
	}
	keep := func(ls []cc.BookLevel, set map[priceKey]cc.BookLevel) []cc.BookLevel {
		out := make([]cc.BookLevel, 0, len(ls))
		for _, l := range ls {
			if _, ok := set[keyOf(l.Price)]; !ok {
				out = append(out, l)
			}
		}
		return out
	}
	b := cc.Book{Bids: keep(s.Bids, touched.bids), Asks: keep(s.Asks, touched.asks)}
	if ch := changesOf(pre[:sort.Search(len(pre), func(i int) bool { return pre[i].Time > at })]); ch.n > 0 {
		bids, asks := ch.sides()
		_ = b.ApplyDiff(cc.BookDiff{FirstSeq: 1, LastSeq: 1, Bids: bids, Asks: asks}, 0)
	}
	b.Time, b.Seq = at, sp.holdSeq(at)
	if depth > 0 {
		b.Bids, b.Asks = trimSide(b.Bids, depth), trimSide(b.Asks, depth)
	}
	return b
}

// heldDiffs are the recorded diffs served from held up to first: those
// timed after held and at or before first.
func (sp *bookSpan) heldDiffs() []cassettes.BookRecord {
	return sp.diffs[sort.Search(sp.pre, func(i int) bool { return sp.diffs[i].Time > sp.held }):sp.pre]
}

// holdSeq is the id of the book served at at, from held up to first: the
// last id of the recorded diffs before the first snapshot timed at or
// before at, else the id before the first of them (the snapshot's when
// there are none).
func (sp *bookSpan) holdSeq(at int64) int64 {
	pre := sp.diffs[:sp.pre]
	if len(pre) == 0 {
		return sp.snaps[0].LastSeq
	}
	k := sort.Search(len(pre), func(i int) bool { return pre[i].Time > at })
	if k == 0 {
		return pre[0].FirstSeq - 1
	}
	// Not capped at the snapshot's id: where no recorded diff is held by
	// the first snapshot, it keeps the time it came at, and diffs past its
	// id that came before it are among these (rebuild applies them too).
	return pre[k-1].LastSeq
}

// rebuild is the recorded book at at (inside the span), depth levels a
// side (0: all it holds).
func (sp *bookSpan) rebuild(at int64, depth int) cc.Book {
	// The base: the latest snapshot deep enough (of the whole book, or of
	// depth levels at least), else the deepest (a REST answer of limit 5
	// recorded after one of limit 1000 must not cut the book to 5).
	n := sort.Search(len(sp.snaps), func(i int) bool { return sp.snaps[i].Time > at })
	base, deepest := -1, n-1
	for i := n - 1; i >= 0; i-- {
		d := sp.snaps[i].Depth
		if d == 0 || (depth > 0 && d >= depth) {
			base = i
			break
		}
		if d > sp.snaps[deepest].Depth {
			deepest = i
		}
	}
	if base < 0 {
		base = deepest
	}
	if sp.idless {
		// A pinned snapshot as deep as that base, or as asked, comes
		// first: it needs no grace (fromPinned).
		want := sp.snaps[base].Depth
		for i := n - 1; i >= 0; i-- {
			if d := sp.snaps[i].Depth; sp.pinned[i] && (d == 0 || (want > 0 && d >= want) || (depth > 0 && d >= depth)) {
				return sp.fromPinned(i, at, depth)
			}
		}
	}
	s := sp.snaps[base]
	b := cc.Book{Time: s.Time, Seq: s.LastSeq}
	b.Bids = append(b.Bids, s.Bids...)
	b.Asks = append(b.Asks, s.Asks...)
	if sp.idless {
		// By time: every diff from idlessGrace before the snapshot up to
		// at, in order, the book kept to the snapshot's depth (an
		// id-less stream, Kraken's, does not announce the levels that
		// leave its depth). Those timed before the snapshot's stamp may
		// be held by it already and are applied without cutting the
		// book to the depth, which is cut once they are in: applied
		// again, a held diff that brought a level in (pushing the
		// depth's last one out) and a held one that took it away again
		// (bringing that one back) would, cut in between, drop the
		// snapshot's last level for good.
		seq := s.LastSeq
		cut := false
		for _, d := range sp.diffs[sort.Search(len(sp.diffs), func(i int) bool { return sp.diffs[i].Time >= s.Time-idlessGrace }):] {
			if d.Time > at {
				break
			}
			if d.Time >= s.Time && !cut {
				b.Bids, b.Asks, cut = trimSide(b.Bids, s.Depth), trimSide(b.Asks, s.Depth), true
			}
			dd := d.Diff()
			b.Seq, dd.FirstSeq, dd.LastSeq = 0, 1, 1
			if cut {
				_ = b.ApplyDiff(dd, s.Depth)
			} else {
				_ = b.ApplyDiff(dd, 0)
			}
			seq = max(seq, d.LastSeq)
		}
		if !cut {
			b.Bids, b.Asks = trimSide(b.Bids, s.Depth), trimSide(b.Asks, s.Depth)
		}
		b.Seq = seq
		if depth > 0 {
			b.Bids, b.Asks = b.Bids[:min(depth, len(b.Bids))], b.Asks[:min(depth, len(b.Asks))]
		}
		return b
	}
	// Diffs are applied in time order from a minute before the snapshot
	// (a REST snapshot is timed when its response came, after diffs it
	// may not hold); those it already holds are refused by their ids. A
	// diff repeating the last id (the extra changes of a step that
	// kit.SplitDiff gives MEXC contract and AscendEX) is applied, as the
	// exchange's client does; one the book holds already leaves it as it
	// is. The changes are gathered (a later size
	// at a price replacing an earlier one) and applied at once: applying
	// them one by one, each a copy of the book, is quadratic on a stream
	// of one change a message.
	var ch changeSet
	seq, last := b.Seq, b.Time
	for _, d := range sp.diffs[sort.Search(len(sp.diffs), func(i int) bool { return sp.diffs[i].Time >= s.Time-60_000_000 }):] {
		if d.Time > at {
			break
		}
		if d.LastSeq < seq || (d.LastSeq == seq && d.FirstSeq != d.LastSeq) || d.FirstSeq > d.LastSeq {
			continue
		}
		ch.add(d.Bids, d.Asks)
		seq, last = d.LastSeq, d.Time
	}
	if ch.n > 0 {
		bids, asks := ch.sides()
		b.Seq = min(b.Seq, seq-1)
		_ = b.ApplyDiff(cc.BookDiff{Time: last, FirstSeq: b.Seq + 1, LastSeq: seq, Bids: bids, Asks: asks}, 0)
	}
	if depth > 0 {
		b.Bids, b.Asks = b.Bids[:min(depth, len(b.Bids))], b.Asks[:min(depth, len(b.Asks))]
	}
	return b
}

// fromPinned rebuilds an id-less book at at from the pinned snapshot
// snaps[i]: the diffs timed after it, in order, each cut to the
// snapshot's depth as the stream's client does. Nothing is applied
// twice: the grace the other snapshots need (rebuild) would apply again
// the diffs the snapshot holds, and a level one of them brought in that
// later left the stream's depth unannounced (Kraken sends no removal for
// it) came back as a level the book never had.
func (sp *bookSpan) fromPinned(i int, at int64, depth int) cc.Book {
	s := sp.snaps[i]
	b := cc.Book{Time: s.Time, Seq: s.LastSeq}
	b.Bids = append(b.Bids, s.Bids...)
	b.Asks = append(b.Asks, s.Asks...)
	seq := s.LastSeq
	for _, d := range sp.diffs[sort.Search(len(sp.diffs), func(j int) bool { return sp.diffs[j].Time > s.Time }):] {
		if d.Time > at {
			break
		}
		dd := d.Diff()
		b.Seq, dd.FirstSeq, dd.LastSeq = 0, 1, 1
		_ = b.ApplyDiff(dd, s.Depth)
		seq = max(seq, d.LastSeq)
	}
	b.Seq = seq
	if depth > 0 {
		b.Bids, b.Asks = b.Bids[:min(depth, len(b.Bids))], b.Asks[:min(depth, len(b.Asks))]
	}
	return b
}

// trimSide is side ls kept to depth levels (0: all).
func trimSide(ls []cc.BookLevel, depth int) []cc.BookLevel {
	if depth > 0 && len(ls) > depth {
		return ls[:depth]
	}
	return ls
}

// Diffs implements cc.Books: the synthetic diffs before and after the
// span (ids moved), the recorded ones inside it.
func (rb *recordedBooks) Diffs(ctx context.Context, symbol string, from, to, step int64, depth int) ([]cc.BookDiff, error) {
	sp, err := rb.span(ctx, symbol)
	if err != nil {
		return nil, err
	}
	if !sp.ok {
		if rb.synth == nil {
			return nil, errNoBooks
		}
		return rb.synth.Diffs(ctx, symbol, from, to, step, depth)
	}
	var out []cc.BookDiff
	synthPart := func(a, b, off int64) error {
		if a >= b {
			return nil
		}
		if rb.synth == nil {
			return errNoBooks
		}
		ds, err := rb.synth.Diffs(ctx, symbol, a, b, step, depth)
		for _, d := range ds {
			d.FirstSeq += off
			d.LastSeq += off
			out = append(out, d)
		}
		return err
	}
	if err := synthPart(from, min(to, sp.held-1), sp.offBefore); err != nil {
		return nil, err
	}
	// The seams: where the stream passes from the synthetic books into
	// the recording (at held), and out of it, a diff takes a book kept
	// from the stream before to the book after (seamDiff), so that a
	// client's book is never a mix of two markets. From held to first,
	// the diffs recorded before the first snapshot, as they came (a
	// client that takes a snapshot drops them; each of the levels they
	// set ends at the first snapshot's size, whatever the depth).
	if rb.synth != nil && from < sp.held && sp.held <= to {
		d, err := rb.seamDiff(ctx, symbol, sp, sp.held, depth, true)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	if a, b := max(from, sp.held), min(to, sp.first); a < b {
		out = append(out, sp.recordedDiffs(a, b, from, step, 0)...)
	}
	if a, b := max(from, sp.first), min(to, sp.last); a < b {
		out = append(out, sp.recordedDiffs(a, b, from, step, depth)...)
	}
	if to > sp.last {
		if rb.synth == nil {
			return nil, errNoBooks
		}
		// The first step end after the recording, on the window's beat.
		seam := sp.last + 1
		if step > 0 {
			seam = stepEnd(sp.last+1, from, step)
		}
		if from < seam && seam <= to {
			d, err := rb.seamDiff(ctx, symbol, sp, seam, depth, false)
			if err != nil {
				return nil, err
			}
			out = append(out, d)
		}
		if err := synthPart(max(from, seam), to, sp.offAfter); err != nil {
			return nil, err
		}
	}
	return oneAStep(out, from, step), nil
}

// stepEnd is the end of the step of step µs that t is in, the steps
// ending at origin + k·step: the first of those at or after t.
func stepEnd(t, origin, step int64) int64 {
	d := t - origin
	k := d / step
	if d%step > 0 {
		k++
	}
	return origin + k*step
}

// oneAStep merges the diffs that end in one step of step µs ((e−step, e],
// the steps ending at origin + k·step,
// a seam's and the recorded ones of its step) into one, as Diffs gives one
// diff a step (kit.DiffShare keeps a step's one diff, and a second would
// be lost): the changes in order, a later size at a price replacing an
// earlier one, the ids of both, the later time.
func oneAStep(ds []cc.BookDiff, origin, step int64) []cc.BookDiff {
	if step <= 0 || len(ds) < 2 {
		return ds
	}
	end := func(t int64) int64 { return stepEnd(t, origin, step) }
	out := ds[:1]
	for _, d := range ds[1:] {
		p := &out[len(out)-1]
		if end(p.Time) != end(d.Time) {
			out = append(out, d)
			continue
		}
		p.Bids = mergeChanges(p.Bids, d.Bids, true)
		p.Asks = mergeChanges(p.Asks, d.Asks, false)
		p.FirstSeq, p.LastSeq, p.Time = min(p.FirstSeq, d.FirstSeq), max(p.LastSeq, d.LastSeq), max(p.Time, d.Time)
	}
	return out
}

// seamDiff is the diff at at that takes a client's book across a seam of
// the span: into the recording (in: at is sp.held; the synthetic book
// there, ids up to holdSeq(held) minus one, becomes the book served
// there, holdBook, its id holdSeq(held)) or out of it (at is the first step end after
// sp.last; the recorded book, ids up to lastSeq, becomes the synthetic
// book at at, from lastSeq+1 on). It removes every level the book before
// could hold that the book after lacks and sets every level of the book
// after, kept to depth (0: all): leaving the recording, the book before
// is any a client could hold by then — the recorded book at sp.last, or
// a synthetic snapshot taken after it, so the synthetic levels at sp.last
// and those the synthetic diffs touched up to at are removed too.
func (rb *recordedBooks) seamDiff(ctx context.Context, symbol string, sp *bookSpan, at int64, depth int, in bool) (cc.BookDiff, error) {
	// The book before is kept to the stream's depth, as its client holds
	// it: a depth-limited stream announces the levels that leave its view
	// (the whole book would make the seam a diff of every level of the
	// market, thousands, for a client that holds 10).
	var before, after cc.Book
	var touched []cc.BookDiff
	var err error
	if in {
		// The synthetic stream ends at sp.held−1µs (Diffs): its book
		// then, and the levels of its book at sp.held (an update at that
		// very instant) in case a client took a snapshot there.
		if before, err = rb.synthBook(ctx, symbol, sp.held-1, depth, sp.offBefore); err != nil {
			return cc.BookDiff{}, err
		}
		then, err := rb.synthBook(ctx, symbol, sp.held, depth, sp.offBefore)
		if err != nil {
			return cc.BookDiff{}, err
		}
		touched = append(touched, cc.BookDiff{Bids: then.Bids, Asks: then.Asks})
		after = sp.holdBook(at, depth)
	} else {
		before = sp.rebuild(sp.last, depth)
		if after, err = rb.synthBook(ctx, symbol, at, depth, sp.offAfter); err != nil {
			return cc.BookDiff{}, err
		}
		then, err := rb.synthBook(ctx, symbol, sp.last, depth, sp.offAfter)
		if err != nil {
			return cc.BookDiff{}, err
		}
		touched = append(touched, cc.BookDiff{Bids: then.Bids, Asks: then.Asks})
		ds, err := rb.synth.Diffs(ctx, symbol, sp.last, at, at-sp.last, depth)
		if err != nil {
			return cc.BookDiff{}, err
		}
		touched = append(touched, ds...)
		// A client that followed the stream from before the first
		// snapshot holds the levels the diffs before it set beyond the
		// snapshot's depth too.
		if held := changesOf(sp.heldDiffs()); held.n > 0 {
			bids, asks := held.sides()
			touched = append(touched, cc.BookDiff{Bids: bids, Asks: asks})
		}
	}
	bids, asks := before.Bids, before.Asks
	for _, d := range touched {
		bids = mergeChanges(unknownSizes(d.Bids), bids, true)
		asks = mergeChanges(unknownSizes(d.Asks), asks, false)
	}
	d := cc.BookDiff{Time: at, Bids: levelChanges(bids, after.Bids, true), Asks: levelChanges(asks, after.Asks, false)}
	if in {
		d.FirstSeq, d.LastSeq = after.Seq, after.Seq
	} else {
		d.FirstSeq, d.LastSeq = before.Seq+1, max(after.Seq, before.Seq+1)
	}
	return d, nil
}

// unknownSizes is levels' prices with a size no level has (-1): a level a
// book may hold at an unknown size, which levelChanges then always sets
// or removes.
func unknownSizes(levels []cc.BookLevel) []cc.BookLevel {
	out := make([]cc.BookLevel, len(levels))
	for i, l := range levels {
		out[i] = cc.BookLevel{Price: l.Price, Size: cc.Decimal{Units: -1}}
	}
	return out
}

// recordedDiffs groups the recorded diffs in (from, to] into steps of
// step µs ending at origin + k·step (the last at to): each step
// with a diff gives one, covering the recorded ids, listing the levels
// they changed with their size at the step's end — for depth > 0 the
// changes of the book kept to depth.
func (sp *bookSpan) recordedDiffs(from, to, origin, step int64, depth int) []cc.BookDiff {
	if step <= 0 {
		step, origin = to-from, from
	}
	var out []cc.BookDiff
	var prev cc.Book
	if depth > 0 {
		prev = sp.rebuild(from, 0)
	}
	i := sort.Search(len(sp.diffs), func(i int) bool { return sp.diffs[i].Time > from })
	for i < len(sp.diffs) && sp.diffs[i].Time <= to {
		end := min(to, stepEnd(sp.diffs[i].Time, origin, step))
		d := cc.BookDiff{Time: end, FirstSeq: sp.diffs[i].FirstSeq}
		var acc cc.Book
		for ; i < len(sp.diffs) && sp.diffs[i].Time <= end; i++ {
			r := sp.diffs[i]
			acc.Bids = mergeChanges(acc.Bids, r.Bids, true)
			acc.Asks = mergeChanges(acc.Asks, r.Asks, false)
			d.LastSeq = r.LastSeq
		}
		if depth > 0 {
			next := prev
			next.Seq = d.FirstSeq - 1
			_ = next.ApplyDiff(cc.BookDiff{Time: end, FirstSeq: d.FirstSeq, LastSeq: d.LastSeq, Bids: acc.Bids, Asks: acc.Asks}, 0)
			a, b := trimBook(prev, depth), trimBook(next, depth)
			acc.Bids, acc.Asks = levelChanges(a.Bids, b.Bids, true), levelChanges(a.Asks, b.Asks, false)
			prev = next
		}
		d.Bids, d.Asks = acc.Bids, acc.Asks
		out = append(out, d)
	}
	return out
}

func trimBook(b cc.Book, depth int) cc.Book {
	b.Bids, b.Asks = b.Bids[:min(depth, len(b.Bids))], b.Asks[:min(depth, len(b.Asks))]
	return b
}

// mergeChanges merges later changes ch into acc (both best first), a
// later size replacing an earlier one at the same price, zeros kept.
func mergeChanges(acc, ch []cc.BookLevel, desc bool) []cc.BookLevel {
	out := make([]cc.BookLevel, 0, len(acc)+len(ch))
	i, j := 0, 0
	for i < len(acc) || j < len(ch) {
		c := 1
		switch {
		case i == len(acc):
		case j == len(ch):
			c = -1
		default:
			c = acc[i].Price.Cmp(ch[j].Price)
			if desc {
				c = -c
			}
		}
		switch {
		case c < 0:
			out = append(out, acc[i])
			i++
		case c > 0:
			out = append(out, ch[j])
			j++
		default:
			out = append(out, ch[j])
			i++
			j++
		}
	}
	return out
}

// levelChanges lists the levels of b that differ from a (new or resized)
// and those of a gone from b (size 0), best first.
func levelChanges(a, b []cc.BookLevel, desc bool) []cc.BookLevel {
	var out []cc.BookLevel
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		c := 1
		switch {
		case i == len(a):
		case j == len(b):
			c = -1
		default:
			c = a[i].Price.Cmp(b[j].Price)
			if desc {
				c = -c
			}
		}
		switch {
		case c < 0:
			out = append(out, cc.BookLevel{Price: a[i].Price})
			i++
		case c > 0:
			out = append(out, b[j])
			j++
		default:
			if a[i].Size.Cmp(b[j].Size) != 0 {
				out = append(out, b[j])
			}
			i++
			j++
		}
	}
	return out
}

// RecordedFrom implements cc.RecordedBooks.
func (rb *recordedBooks) RecordedFrom(ctx context.Context, symbol string) (int64, bool) {
	sp, err := rb.span(ctx, symbol)
	if err != nil || !sp.ok {
		return 0, false
	}
	return sp.first, true
}

// RecordedFrom implements cc.RecordedBooks, in the shifted time.
func (s shiftedBooks) RecordedFrom(ctx context.Context, symbol string) (int64, bool) {
	r, ok := s.inner.(cc.RecordedBooks)
	if !ok {
		return 0, false
	}
	from, ok := r.RecordedFrom(ctx, symbol)
	return from + s.shift, ok
}

// shiftedBooks is books moved forward in time by shift µs (--clock now).
type shiftedBooks struct {
	inner cc.Books
	shift int64
}

func (s shiftedBooks) Book(ctx context.Context, symbol string, at int64, depth int) (cc.Book, error) {
	b, err := s.inner.Book(ctx, symbol, at-s.shift, depth)
	b.Time += s.shift
	return b, err
}

func (s shiftedBooks) Diffs(ctx context.Context, symbol string, from, to, step int64, depth int) ([]cc.BookDiff, error) {
	ds, err := s.inner.Diffs(ctx, symbol, from-s.shift, to-s.shift, step, depth)
	for i := range ds {
		ds[i].Time += s.shift
	}
	return ds, err
}

// movedOn reports whether symbol's book at at (Unix µs, recorded time) is
// no longer snap, a recorded REST snapshot of it: at is past the
// recording (the synthetic book is served there, its ids after the
// recorded ones), or inside it and a recorded diff has changed the book
// since snap — the latest diff by then is past snap's update id, or (a
// snapshot without one, or an exchange without ids) later than snap's
// time. Before the recording snap stands (a client syncing with it drops
// the synthetic diffs, whose ids are below it, and the seam's).
func (rb *recordedBooks) movedOn(ctx context.Context, snap recordedSnapshot, at int64) bool {
	sp, err := rb.span(ctx, snap.symbol)
	if err != nil || !sp.ok || at < sp.first {
		return false
	}
	if at > sp.last {
		return rb.synth != nil
	}
	k := sort.Search(len(sp.diffs), func(i int) bool { return sp.diffs[i].Time > at })
	if k == 0 {
		return false
	}
	d := sp.diffs[k-1]
	if snap.seq > 0 && !sp.idless {
		return d.LastSeq > snap.seq
	}
	return d.Time > snap.at
}

// bookMovedOn is movedOn at now, the served exchange's clock; inside
// reports whether now is inside the recording (the book then comes from
// the index, else from the synthetic market).
func (t *tape) bookMovedOn(ctx context.Context, snap recordedSnapshot) (moved, inside bool) {
	if t.books == nil || t.bookNow == nil {
		return false, false
	}
	at := (t.bookNow() - t.shift) * 1000
	return t.books.movedOn(ctx, snap, at), t.books.covers(ctx, snap.symbol, at)
}

// covers reports whether at (Unix µs, recorded time) is inside symbol's
// recorded span.
func (rb *recordedBooks) covers(ctx context.Context, symbol string, at int64) bool {
	sp, err := rb.span(ctx, symbol)
	return err == nil && sp.ok && sp.first <= at && at <= sp.last
}

// bookSource is the Books replay serves: the recorded books joined to
// the synthetic ones, shifted for --clock now. now is the served
// exchange's clock (bookLive).
func (t *tape) bookSource(synth cc.Books, now func() int64) cc.Books {
	t.books, t.bookNow = newRecordedBooks(t.c, synth, t.d), now
	var b cc.Books = t.books
	if t.shift != 0 {
		b = shiftedBooks{inner: b, shift: t.shift * 1000}
	}
	return b
}

// changeSet gathers book changes by price, a later one replacing an
// earlier one at the same price.
type changeSet struct {
	bids, asks map[priceKey]cc.BookLevel
	n          int
}

// priceKey is a price without trailing zeros (31079.90 is 31079.9).
type priceKey struct {
	units int64
	scale int8
}

func keyOf(p cc.Decimal) priceKey {
	for p.Scale > 0 && p.Units%10 == 0 {
		p.Units /= 10
		p.Scale--
	}
	return priceKey{p.Units, p.Scale}
}

// changesOf gathers the changes of ds, in order.
func changesOf(ds []cassettes.BookRecord) changeSet {
	var c changeSet
	for _, d := range ds {
		c.add(d.Bids, d.Asks)
	}
	return c
}

func (c *changeSet) add(bids, asks []cc.BookLevel) {
	if c.bids == nil {
		c.bids, c.asks = map[priceKey]cc.BookLevel{}, map[priceKey]cc.BookLevel{}
	}
	for _, l := range bids {
		c.bids[keyOf(l.Price)] = l
	}
	for _, l := range asks {
		c.asks[keyOf(l.Price)] = l
	}
	c.n++
}

// sides are the gathered changes best first.
func (c *changeSet) sides() (bids, asks []cc.BookLevel) {
	list := func(m map[priceKey]cc.BookLevel, desc bool) []cc.BookLevel {
		out := make([]cc.BookLevel, 0, len(m))
		for _, l := range m {
			out = append(out, l)
		}
		sort.Slice(out, func(i, j int) bool {
			if desc {
				return out[i].Price.Cmp(out[j].Price) > 0
			}
			return out[i].Price.Cmp(out[j].Price) < 0
		})
		return out
	}
	return list(c.bids, true), list(c.asks, false)
}
