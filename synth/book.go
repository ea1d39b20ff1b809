package synth

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	cc "github.com/candlecassette/candlecassette"
)

var _ cc.Books = (*Market)(nil)

// The L2 book (see doc.go, "The order book").
const (
	// BookLevels is the most levels a side the book models below the
	// touch.
	BookLevels = 5000
	// bookSlot (µs) is the clock of the depth: the levels below the touch
	// change at multiples of it (refreshes, and the reference they are
	// laid out from), and each slot is one update id.
	bookSlot = 100_000
	// bookBand is the width in ticks of the first band of the depth,
	// where every tick is a candidate level; band b is 4^b times wider
	// with a candidate every 2^b ticks.
	bookBand  = 500
	bookBands = 8
	// bookPeriod is the mean refresh period, in slots, of a level of the
	// first band (8 s); it doubles with each band.
	bookPeriod = 80
	bookSalt   = 0x3c6ef372fe94f82b
	maxSteps   = 1 << 17 // steps of one Diffs call
	maxChanges = 1 << 20 // book states inside one Diffs call
)

// bandEdge[b] is the distance in ticks from the reference price where
// band b starts.
var bandEdge = func() (e [bookBands + 1]int64) {
	w := int64(bookBand)
	for b := 1; b <= bookBands; b++ {
		e[b] = e[b-1] + w
		w *= 4
	}
	return e
}()

// Book implements cc.Books.
func (m *Market) Book(ctx context.Context, symbol string, at int64, depth int) (cc.Book, error) {
	if err := checkTime(at); err != nil {
		return cc.Book{}, err
	}
	n, err := bookDepth(depth)
	if err != nil {
		return cc.Book{}, err
	}
	g, s, err := m.get(symbol)
	if err != nil {
		return cc.Book{}, err
	}
	defer m.pool.Put(g)
	tg := m.tapeGen()
	defer m.tapes.pool.Put(tg)
	var b cc.Book
	var dk deepBook
	err = m.book(g, s, tg, at, n, &b, &dk)
	return b, err
}

// allLevels is the depth that means all of them: the deep levels and the
// touch's, a sweep's included.
const allLevels = BookLevels + 8

func bookDepth(depth int) (int, error) {
	switch {
	case depth < 0:
		return 0, fmt.Errorf("synth: negative book depth %d", depth)
	case depth == 0 || depth > BookLevels:
		return allLevels, nil
	}
	return depth, nil
}

// seq is the update id of the book at at: two per trade (the quotes
// moving to the touch it prints against, then its print) and one per
// slot, so that it is computed from the trade id alone.
func (st *touchState) seq(at int64) int64 {
	q := int64(0)
	if st.quoted {
		q = 1
	}
	return 2*st.j - 1 + q + floorDiv(at, bookSlot)
}

// rawLevel is a level in ticks and lots.
type rawLevel struct{ px, sz int64 }

// deepBook is the depth of a slot: the levels laid out below the touch at
// the slot's start (the reference), nearest first, n a side at most.
type deepBook struct {
	ok       bool
	slot     int64
	n        int
	bid, ask []rawLevel
	full     [2]bool // a side holds all the levels it has (fewer than n)
}

// deep makes dk the depth of slot with at least n levels a side.
func (m *Market) deep(g *gen, s *symbol, tg *tapeGen, slot int64, n int, dk *deepBook) error {
	if dk.ok && dk.slot == slot && dk.n >= n {
		return nil
	}
	ref, err := m.touchAt(g, s, tg, slot*bookSlot)
	if err != nil {
		return err
	}
	n = min(max(n, 64), BookLevels)
	dk.bid = s.deepSide(dk.bid[:0], false, ref.bid, slot, n)
	dk.ask = s.deepSide(dk.ask[:0], true, ref.ask, slot, n)
	dk.full = [2]bool{len(dk.bid) < n || n == BookLevels, len(dk.ask) < n || n == BookLevels}
	dk.ok, dk.slot, dk.n = true, slot, n
	return nil
}

// book fills b with the book at at, n levels a side, reusing b's slices
// and dk (the depth of at's slot, when it holds it).
func (m *Market) book(g *gen, s *symbol, tg *tapeGen, at int64, n int, b *cc.Book, dk *deepBook) error {
	st, err := m.touchAt(g, s, tg, at)
	if err != nil {
		return err
	}
	b.Time, b.Seq = at, st.seq(at)
	slot := floorDiv(at, bookSlot)
	// The levels a sweeping order takes beyond the first are on the
	// book from the moment the quotes show its touch.
	var buf [8]rawLevel
	top := [2][]rawLevel{{{st.bid, st.bidSz}}, {{st.ask, st.askSz}}}
	if st.quoted {
		sw, buy := tg.sweep(s, st.ji, buf[:0])
		if buy {
			top[1] = sw
		} else {
			top[0] = sw
		}
	}
	want := n
	for {
		if err := m.deep(g, s, tg, slot, want, dk); err != nil {
			return err
		}
		var short [2]bool
		b.Bids, short[0] = s.compose(b.Bids[:0], top[0], dk.bid, dk.full[0], false, n)
		b.Asks, short[1] = s.compose(b.Asks[:0], top[1], dk.ask, dk.full[1], true, n)
		if !short[0] && !short[1] {
			return nil
		}
		want = 2*dk.n + n
	}
}

// compose fills dst with a side: the touch's levels top (and a sweep's),
// then the deep levels beyond the last of them, n at most. short reports
// that deep ran out before n levels while it may hold more.
func (s *symbol) compose(dst []cc.BookLevel, top, deep []rawLevel, full, ask bool, n int) ([]cc.BookLevel, bool) {
	if cap(dst) < min(n, len(top)+len(deep)) {
		dst = make([]cc.BookLevel, 0, min(n, len(top)+len(deep)))
	}
	for _, l := range top {
		if len(dst) == n {
			return dst, false
		}
		dst = append(dst, cc.BookLevel{Price: cc.NewDecimal(l.px, s.tickDec), Size: cc.NewDecimal(l.sz, s.lotDec)})
	}
	cut := top[len(top)-1].px
	i := 0
	if ask {
		for i < len(deep) && deep[i].px <= cut {
			i++
		}
	} else {
		for i < len(deep) && deep[i].px >= cut {
			i++
		}
	}
	for ; i < len(deep) && len(dst) < n; i++ {
		dst = append(dst, cc.BookLevel{Price: cc.NewDecimal(deep[i].px, s.tickDec), Size: cc.NewDecimal(deep[i].sz, s.lotDec)})
	}
	return dst, len(dst) < n && !full
}

// sweep appends to dst the levels the taker order starting at print i
// takes, from its first price on, each holding what prints there plus,
// at its last price, what rests after it; buy is the order's side. The
// first level is the touch's.
func (tg *tapeGen) sweep(s *symbol, i int, dst []rawLevel) ([]rawLevel, bool) {
	l := tg.leaf
	f := tg.orderStart(i)
	buy := l[f].buy
	var px, sz int64
	k := f
	for ; k < len(l) && l[k].t == l[f].t; k++ {
		if l[k].px != px && k > f {
			dst = append(dst, rawLevel{px, sz})
			sz = 0
		}
		px = l[k].px
		sz += l[k].sz
	}
	return append(dst, rawLevel{px, sz + restSize(s, uint64(l[k-1].agg))}), buy
}

// deepSide appends the depth of one side laid out from ref (the touch at
// the slot's start), nearest first, n levels at most. Ask prices grow
// from ref, bid prices fall.
func (s *symbol) deepSide(dst []rawLevel, ask bool, ref int64, slot int64, n int) []rawLevel {
	dir, side := int64(-1), uint64(0)
	if ask {
		dir, side = 1, 1
	}
	key := s.exKey ^ bookSalt ^ side*0xd6e8feb86659fd93
	// Presence falls from about 0.95 at the touch to 0.6 far from it.
	const near = bookBand / 4
	// No order rests below a fifth of the best bid or above five times
	// the best ask (as Binance's PERCENT_PRICE_BY_SIDE filters have it).
	lo, hi := max(1, (ref+4)/5), ref*5
	b := 0
	p := ref + dir
	for len(dst) < n {
		if p < lo || p > hi {
			break
		}
		d := (p - ref) * dir
		for d >= bandEdge[b+1] {
			b++
			if b == bookBands {
				return dst
			}
		}
		sp := int64(1) << b
		if r := p & (sp - 1); r != 0 { // a candidate every 2^b ticks
			if ask {
				p += sp - r
			} else {
				p -= r
			}
			continue
		}
		h := mix64(key ^ uint64(p)*0x9e3779b97f4a7c15)
		per := int64(bookPeriod)<<b/2 + int64((h>>40)*(uint64(bookPeriod)<<b)>>24)
		e := floorDiv(slot+int64((h&0xffffff)*uint64(per)>>24), per)
		h2 := mix64(h ^ uint64(e)*0xbf58476d1ce4e5b9 ^ uint64(b))
		if unitOf(h2) < 0.6+0.35*near/float64(near+d) {
			x, y := smallOf(mix64(h2 ^ 0x94d049bb133111eb))
			z := 0.9 * (x + y) / math.Sqrt2
			if h2&0xff < 3 { // a wall, now and then
				z += 2
			}
			dst = append(dst, rawLevel{p, max(1, int64(s.tradeLot*fastExp(z+0.45*float64(b))+0.5))})
		}
		p += dir * sp
	}
	return dst
}

// changes appends to out the instants in (a, b] at which the book may
// change, ascending, b last: the slots' starts, and for each trade the
// quote instant and the microsecond after its print.
func (m *Market) changes(g *gen, s *symbol, tg *tapeGen, a, b int64, out []int64) ([]int64, error) {
	for k := floorDiv(a, bookSlot) + 1; k*bookSlot <= b; k++ {
		out = append(out, k*bookSlot)
	}
	j, err := m.next(g, m.firstID(g, tg, a))
	if err != nil {
		return out, err
	}
	tp := int64(math.MinInt64)
	if p, err := m.back(g, j, 1); err == nil {
		if leaf, first, ok := m.locate(g, p); ok {
			m.gen(g, tg, leaf, first)
			tp = tg.leaf[p-first].t
		}
	}
	for len(out) < maxChanges {
		leaf, first, ok := m.locate(g, j)
		if !ok {
			break
		}
		m.gen(g, tg, leaf, first)
		i := int(j - first)
		for ; i < len(tg.leaf); i++ {
			tj := tg.leaf[i].t
			q := tj
			if tp != math.MinInt64 {
				q = quoteInstant(s, tg.leaf[i].id, tp, tj)
			}
			if q > a && q <= b {
				out = append(out, q)
			}
			if tj > b {
				break
			}
			if tj >= a && tj < b {
				out = append(out, tj+1)
			}
			tp = tj
		}
		if i < len(tg.leaf) {
			break
		}
		if j, err = m.next(g, first+int64(len(tg.leaf))); err != nil {
			break
		}
	}
	if len(out) >= maxChanges {
		return out, errors.New("synth: too many book changes in one Diffs call")
	}
	out = append(out, b)
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Diffs implements cc.Books. A step's diff lists every level that changed
// at some update inside the step, with its size at the step's end (zero
// when it is gone), as an exchange's diff stream does: a level that
// changed and came back is listed too, so that the diff brings a
// snapshot taken at any instant inside the step to the step's end.
func (m *Market) Diffs(ctx context.Context, symbol string, from, to, step int64, depth int) ([]cc.BookDiff, error) {
	for _, t := range [...]int64{from, to} {
		if err := checkTime(t); err != nil {
			return nil, err
		}
	}
	switch {
	case step <= 0:
		return nil, fmt.Errorf("synth: book diff step %d", step)
	case to < from:
		return nil, errors.New("synth: book diffs end before they start")
	case (to-from)/step > maxSteps:
		return nil, fmt.Errorf("synth: more than %d book diff steps", maxSteps)
	}
	n, err := bookDepth(depth)
	if err != nil {
		return nil, err
	}
	g, s, err := m.get(symbol)
	if err != nil {
		return nil, err
	}
	defer m.pool.Put(g)
	tg := m.tapeGen()
	defer m.tapes.pool.Put(tg)
	var prev, cur cc.Book
	var dk deepBook
	if err := m.book(g, s, tg, from, n, &prev, &dk); err != nil {
		return nil, err
	}
	var out []cc.BookDiff
	var at []int64
	touched := [2]map[int64]bool{{}, {}}
	for e := (floorDiv(from, step) + 1) * step; prev.Time < to; e += step {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		e = min(e, to)
		if at, err = m.changes(g, s, tg, prev.Time, e, at[:0]); err != nil {
			return nil, err
		}
		seq := prev.Seq
		for _, x := range at {
			if err := m.book(g, s, tg, x, n, &cur, &dk); err != nil {
				return nil, err
			}
			if cur.Seq != prev.Seq {
				changed(prev.Bids, cur.Bids, false, touched[0])
				changed(prev.Asks, cur.Asks, true, touched[1])
			}
			prev, cur = cur, prev
		}
		if prev.Seq != seq {
			out = append(out, cc.BookDiff{
				Time: prev.Time, FirstSeq: seq + 1, LastSeq: prev.Seq,
				Bids: s.final(prev.Bids, touched[0], false),
				Asks: s.final(prev.Asks, touched[1], true),
			})
		}
	}
	return out, nil
}

// better reports whether price x comes before y on its side.
func better(x, y int64, ask bool) bool {
	if ask {
		return x < y
	}
	return x > y
}

// changed adds to set the prices whose level differs between a and b.
func changed(a, b []cc.BookLevel, ask bool, set map[int64]bool) {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && better(a[i].Price.Units, b[j].Price.Units, ask)):
			set[a[i].Price.Units] = true
			i++
		case i == len(a) || better(b[j].Price.Units, a[i].Price.Units, ask):
			set[b[j].Price.Units] = true
			j++
		default:
			if a[i].Size != b[j].Size {
				set[a[i].Price.Units] = true
			}
			i++
			j++
		}
	}
}

// final lists the levels of set as side (best first) has them, size zero
// for those it has not, and empties set.
func (s *symbol) final(side []cc.BookLevel, set map[int64]bool, ask bool) []cc.BookLevel {
	if len(set) == 0 {
		return nil
	}
	out := make([]cc.BookLevel, 0, len(set))
	for _, l := range side {
		if set[l.Price.Units] {
			out = append(out, l)
			delete(set, l.Price.Units)
		}
	}
	for px := range set {
		out = append(out, cc.BookLevel{Price: cc.NewDecimal(px, s.tickDec), Size: cc.NewDecimal(0, s.lotDec)})
	}
	clear(set)
	slices.SortFunc(out, func(x, y cc.BookLevel) int {
		switch {
		case x.Price.Units == y.Price.Units:
			return 0
		case better(x.Price.Units, y.Price.Units, ask):
			return -1
		}
		return 1
	})
	return out
}
