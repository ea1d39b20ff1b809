package synth

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"

	cc "github.com/candlecassette/candlecassette"
)

var _ cc.Books = (*Market)(nil)

// The L2 book (see doc.go, "The order book").
const (
	// BookLevels is the most levels a side the book models.
	BookLevels = 5000
	// maxDeep bounds the depth laid out below a slot's reference: the
	// touch may have moved past some of it.
	maxDeep = 4 * BookLevels
	// bookSlot (µs) is the clock of the depth: the levels below the touch
	// change at multiples of it (refreshes, and the reference they are
	// laid out from), and each slot is one update id.
	bookSlot = 100_000
	// bookBand is the width in grid steps (bookUnit) of the first band
	// of the depth, where every step is a candidate level; band b is 4^b
	// times wider with a candidate every 2^b steps.
	bookBand   = 500
	bookBands  = 8
	bookSalt   = 0x3c6ef372fe94f82b
	maxSteps   = 1 << 17 // steps of one Diffs call
	maxChanges = 1 << 20 // book states inside one Diffs call
)

// A level's size is a trade's worth times a log-normal factor (σ 0.9,
// as 256 quantiles), growing by e^0.6 a band, now and then e^2 more.
var (
	sizeQuantile = func() (q [256]float64) {
		for i := range q {
			q[i] = math.Exp(0.9 * math.Sqrt2 * math.Erfinv(2*(float64(i)+0.5)/256-1))
		}
		return q
	}()
	bandSize = func() (f [bookBands]float64) {
		for b := range f {
			f[b] = math.Exp(0.6 * float64(b))
		}
		return f
	}()
	wallSize = math.Exp(2)
)

// bandEdge[b] is the distance in grid steps from the reference price
// where band b starts.
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
	dk, _ := m.deeps.Get().(*deepBook)
	if dk == nil {
		dk = new(deepBook)
	}
	defer m.deeps.Put(dk)
	var b cc.Book
	err = m.book(g, s, tg, at, n, &b, dk)
	return b, err
}

func bookDepth(depth int) (int, error) {
	switch {
	case depth < 0:
		return 0, fmt.Errorf("synth: negative book depth %d", depth)
	case depth == 0 || depth > BookLevels:
		return BookLevels, nil
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
	ok   bool
	sym  *symbol
	slot int64
	n    int
	buf  [2][]cc.BookLevel // bids, asks: the deepBook's own
	full [2]bool           // a side holds all the levels it has (fewer than n)
}

// copyFrom makes dk a copy of e in dk's own buffers.
func (dk *deepBook) copyFrom(e *deepBook) {
	for k := range 2 {
		dk.buf[k] = append(dk.buf[k][:0], e.buf[k]...)
	}
	dk.ok, dk.sym, dk.slot, dk.n, dk.full = e.ok, e.sym, e.slot, e.n, e.full
}

// deepCache keeps the depths of the last slots laid out: the diff
// streams of a symbol ask for one step after another, and each step's
// first book is in the slot the previous step ended in. The ring's
// buffers are its own, copied in and out (a 5,000-level depth is a
// 330 kB copy, a tenth of laying it out), so that a depth laid out a
// step (a slot every 100 ms on each symbol a stream follows) allocates
// nothing once the buffers are grown: at 40 steps a second the fresh
// buffers were most of the garbage of a server of depth streams, and
// its collections its slowest pushes.
type deepCache struct {
	mu   sync.Mutex
	ring [8]deepBook
	next int
}

// get copies the cached depth of (s, slot) with n levels a side at least
// into dk, if there is one.
func (c *deepCache) get(s *symbol, slot int64, n int, dk *deepBook) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.ring {
		if e := &c.ring[i]; e.ok && e.sym == s && e.slot == slot && e.n >= n {
			dk.copyFrom(e)
			return true
		}
	}
	return false
}

// put caches a copy of dk's depth.
func (c *deepCache) put(dk *deepBook) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.ring {
		if e := &c.ring[i]; e.ok && e.sym == dk.sym && e.slot == dk.slot {
			if e.n < dk.n {
				e.copyFrom(dk)
			}
			return
		}
	}
	c.ring[c.next].copyFrom(dk)
	c.next = (c.next + 1) % len(c.ring)
}

func (dk *deepBook) side(k int) []cc.BookLevel { return dk.buf[k] }

// deep makes dk the depth of slot with at least n levels a side, from
// the cache of recent depths if it has it; keep caches a depth laid out
// here (Diffs' steps, which the next step starts from; not the random
// instants of Book, which would only churn it).
func (m *Market) deep(g *gen, s *symbol, tg *tapeGen, slot int64, n int, dk *deepBook, keep bool) error {
	if dk.ok && dk.sym == s && dk.slot == slot && dk.n >= n {
		return nil
	}
	if m.recent.get(s, slot, n, dk) {
		return nil
	}
	ref, err := m.touchAt(g, s, tg, slot*bookSlot)
	if err != nil {
		return err
	}
	// A few more than asked: the touch may have moved past some.
	n = min(max(n+n/32+8, 64), maxDeep)
	for k, ref := range [2]int64{ref.bid, ref.ask} {
		if cap(dk.buf[k]) < n {
			dk.buf[k] = make([]cc.BookLevel, 0, n)
		}
		dk.buf[k] = s.deepSide(dk.buf[k][:0], k == 1, ref, slot, n)
		dk.full[k] = len(dk.buf[k]) < n || n == maxDeep
	}
	dk.ok, dk.sym, dk.slot, dk.n = true, s, slot, n
	if keep {
		m.recent.put(dk)
	}
	return nil
}

// book fills b with the book at at, n levels a side, reusing b's slices
// and dk (the depth of at's slot, when it holds it).
func (m *Market) book(g *gen, s *symbol, tg *tapeGen, at int64, n int, b *cc.Book, dk *deepBook) error {
	var buf [8]rawLevel
	top, seq, err := m.top(g, s, tg, at, buf[:0])
	if err != nil {
		return err
	}
	b.Time, b.Seq = at, seq
	slot := floorDiv(at, bookSlot)
	want := n
	for {
		if err := m.deep(g, s, tg, slot, want, dk, false); err != nil {
			return err
		}
		var short [2]bool
		b.Bids, short[0] = s.compose(b.Bids[:0], top[0], dk, 0, n)
		b.Asks, short[1] = s.compose(b.Asks[:0], top[1], dk, 1, n)
		if !short[0] && !short[1] {
			return nil
		}
		want = 2*dk.n + n
	}
}

// top is the touch's levels of each side at at (with the levels a
// sweeping order takes beyond the first, which are on the book from the
// moment the quotes show its touch), in buf if they fit, and the book's
// update id there.
func (m *Market) top(g *gen, s *symbol, tg *tapeGen, at int64, buf []rawLevel) ([2][]rawLevel, int64, error) {
	st, err := m.touchAt(g, s, tg, at)
	if err != nil {
		return [2][]rawLevel{}, 0, err
	}
	buf = append(buf, rawLevel{st.bid, st.bidSz}, rawLevel{st.ask, st.askSz})
	top := [2][]rawLevel{buf[0:1:1], buf[1:2:2]}
	if st.quoted {
		sw, buy := tg.sweep(s, st.ji, buf[2:2])
		if buy {
			top[1] = sw
		} else {
			top[0] = sw
		}
	}
	return top, st.seq(at), nil
}

// bookView is a book as Diffs walks it, without copying its depth: each
// side is the touch's levels top, then deep[i:end], deep the whole side
// of its slot's depth.
type bookView struct {
	time, seq, slot int64
	top             [2][]cc.BookLevel
	deep            [2][]cc.BookLevel
	i, end          [2]int
}

// view makes v the book at at, n levels a side, with dk the depth of
// at's slot (laid out there unless it holds it).
func (m *Market) view(g *gen, s *symbol, tg *tapeGen, at int64, n int, v *bookView, dk *deepBook) error {
	var buf [8]rawLevel
	top, seq, err := m.top(g, s, tg, at, buf[:0])
	if err != nil {
		return err
	}
	v.time, v.seq, v.slot = at, seq, floorDiv(at, bookSlot)
	want := n
	for {
		if err := m.deep(g, s, tg, v.slot, want, dk, true); err != nil {
			return err
		}
		short := false
		for k := range 2 {
			nt, i, nd, sh := cut(top[k], dk, k, n)
			v.top[k] = s.appendTop(v.top[k][:0], top[k][:nt])
			v.deep[k], v.i[k], v.end[k] = dk.side(k), i, i+nd
			short = short || sh
		}
		if !short {
			return nil
		}
		want = 2*dk.n + n
	}
}

// appendSide appends side k of v to dst, best first, leaving out
// deep[lo:hi] (lo ≥ hi leaves out nothing).
func (v *bookView) appendSide(dst []cc.BookLevel, k, lo, hi int) []cc.BookLevel {
	dst = append(dst, v.top[k]...)
	if lo >= hi {
		return append(dst, v.deep[k][v.i[k]:v.end[k]]...)
	}
	dst = append(dst, v.deep[k][v.i[k]:lo]...)
	return append(dst, v.deep[k][hi:v.end[k]]...)
}

// level is the level of side k of v at price px, if it has one.
func (v *bookView) level(k int, px int64) (cc.BookLevel, bool) {
	for _, l := range v.top[k] {
		if l.Price.Units == px {
			return l, true
		}
	}
	deep := v.deep[k][v.i[k]:v.end[k]]
	j := sort.Search(len(deep), func(j int) bool {
		if k == 1 {
			return deep[j].Price.Units >= px
		}
		return deep[j].Price.Units <= px
	})
	if j < len(deep) && deep[j].Price.Units == px {
		return deep[j], true
	}
	return cc.BookLevel{}, false
}

// compose makes side k (0 bids, 1 asks) in dst: the touch's levels top
// (and a sweep's), then dk's levels beyond the last of them, n at most.
// short reports that dk ran out before n levels while it may hold more.
func (s *symbol) compose(dst []cc.BookLevel, top []rawLevel, dk *deepBook, k, n int) ([]cc.BookLevel, bool) {
	nt, i, nd, short := cut(top, dk, k, n)
	deep := dk.side(k)
	if cap(dst) < nt+nd {
		dst = make([]cc.BookLevel, 0, nt+nd)
	}
	dst = s.appendTop(dst, top[:nt])
	return append(dst, deep[i:i+nd]...), short
}

// cut says how side k of a book of n levels a side is made of the
// touch's levels top and dk's: the first nt of top, then dk's levels
// i to i+nd (those beyond the last of top); short reports that dk ran
// out before n levels while it may hold more.
func cut(top []rawLevel, dk *deepBook, k, n int) (nt, i, nd int, short bool) {
	deep := dk.side(k)
	px := top[len(top)-1].px
	// The first deep level beyond px (prices fall along the bids).
	i = sort.Search(len(deep), func(i int) bool {
		if k == 1 {
			return deep[i].Price.Units > px
		}
		return deep[i].Price.Units < px
	})
	nt = min(len(top), n)
	nd = min(len(deep)-i, n-nt)
	return nt, i, nd, nt+nd < n && !dk.full[k]
}

func (s *symbol) appendTop(dst []cc.BookLevel, top []rawLevel) []cc.BookLevel {
	for _, l := range top {
		dst = append(dst, cc.BookLevel{Price: cc.NewDecimal(l.px, s.tickDec), Size: cc.NewDecimal(l.sz, s.lotDec)})
	}
	return dst
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

// bookUnitTicks is the price in units of the depth's grid at which a
// symbol's grid is one tick: a symbol with a finer tick (BTC's cent at
// six figures) lays its depth out on a coarser grid, a power of two of
// ticks (see bookUnit), so that a move of the touch by a given fraction
// of the price crosses about as many levels on every symbol.
const bookUnitTicks = 1 << 17

// bookUnit is log2 of the ticks of s's depth grid: the largest power of
// two u with s.price/(u·tick) at least bookUnitTicks, 1 tick at least.
func (s *symbol) bookUnit() uint {
	k := uint(0)
	for k < 20 && s.price/(s.tick*float64(int64(2)<<k)) >= bookUnitTicks {
		k++
	}
	return k
}

// bandShift is log2 of the slots a level of the first band keeps its
// draw (12.8 s); a level of band b keeps it 8^b times longer (102 s,
// 13.6 min, 1.8 h, …), halved or doubled one time in four, with a
// random phase of its own.
const bandShift = 7

// deepSide appends the depth of one side laid out from ref (the touch at
// the slot's start), nearest first, n levels at most. Ask prices grow
// from ref, bid prices fall.
func (s *symbol) deepSide(dst []cc.BookLevel, ask bool, ref int64, slot int64, n int) []cc.BookLevel {
	dir, side := int64(-1), uint64(0)
	if ask {
		dir, side = 1, 1
	}
	key := s.exKey ^ bookSalt ^ side*0xd6e8feb86659fd93
	tickDec, lotDec := s.tickDec, s.lotDec
	us := s.unit
	// Presence falls from about 0.95 at the touch to 0.6 far from it.
	const near = bookBand / 4
	// No order rests below a fifth of the best bid or above five times
	// the best ask (as Binance's PERCENT_PRICE_BY_SIDE filters have it).
	lo, hi := max(1, (ref+4)/5), ref*5
	b := 0
	p := ref + dir
	var thr uint64
	nextD := int64(0)
	for len(dst) < n {
		if p < lo || p > hi {
			break
		}
		d := ((p - ref) * dir) >> us // in grid units
		for d >= bandEdge[b+1] {
			b++
			if b == bookBands {
				return dst
			}
		}
		sp := int64(1) << (uint(b) + us)
		if r := p & (sp - 1); r != 0 { // a candidate every 2^b units
			if ask {
				p += sp - r
			} else {
				p -= r
			}
			continue
		}
		h := mix64(key ^ uint64(p)*0x9e3779b97f4a7c15)
		// The level's period, its phase a random part of it.
		sh := uint(bandShift + 3*b)
		switch h >> 62 {
		case 0:
			sh--
		case 3:
			sh++
		}
		e := (slot + int64(h&(1<<sh-1))) >> sh
		h2 := mix64(h ^ uint64(e)*0xbf58476d1ce4e5b9 ^ uint64(b))
		if d >= nextD { // presence, by 16 units of distance
			thr = uint64((0.6 + 0.35*near/float64(near+d)) * (1 << 63))
			nextD = d + 16
		}
		if h2>>1 < thr {
			f := sizeQuantile[h2>>56] * bandSize[b]
			if h2&0xff < 3 { // a wall, now and then
				f *= wallSize
			}
			dst = append(dst, cc.BookLevel{Price: cc.NewDecimal(p, tickDec), Size: cc.NewDecimal(max(1, int64(s.tradeLot*f+0.5)), lotDec)})
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
	sc, _ := m.scratch.Get().(*diffScratch)
	if sc == nil {
		sc = &diffScratch{touched: [2]map[int64]bool{{}, {}}}
	}
	defer m.scratch.Put(sc)
	// Two depths: the slot of the book before, and the next one's.
	dks, prev, cur := &sc.dks, &sc.prev, &sc.cur
	at, sa, sb, touched := sc.at[:0], sc.sa[:0], sc.sb[:0], sc.touched
	defer func() { sc.at, sc.sa, sc.sb = at, sa, sb }()
	for k := range 2 {
		clear(touched[k])
	}
	pk := 0
	if err := m.view(g, s, tg, from, n, prev, &dks[pk]); err != nil {
		return nil, err
	}
	var out []cc.BookDiff
	for e := from + step; prev.time < to; e += step {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		e = min(e, to)
		if at, err = m.changes(g, s, tg, prev.time, e, at[:0]); err != nil {
			return nil, err
		}
		seq := prev.seq
		for _, x := range at {
			ck := pk
			if floorDiv(x, bookSlot) != prev.slot {
				ck = 1 - pk
			}
			if err := m.view(g, s, tg, x, n, cur, &dks[ck]); err != nil {
				return nil, err
			}
			if cur.seq != prev.seq {
				for k := range 2 {
					// In one slot the two books share their depth but
					// for the ends the touch cut differently.
					lo, hi := 0, 0
					if cur.slot == prev.slot {
						lo, hi = max(prev.i[k], cur.i[k]), min(prev.end[k], cur.end[k])
					}
					sa, sb = prev.appendSide(sa[:0], k, lo, hi), cur.appendSide(sb[:0], k, lo, hi)
					changed(sa, sb, k == 1, touched[k])
				}
			}
			prev, cur, pk = cur, prev, ck
		}
		if prev.seq != seq {
			out = append(out, cc.BookDiff{
				Time: prev.time, FirstSeq: seq + 1, LastSeq: prev.seq,
				Bids: s.final(prev, 0, touched[0]),
				Asks: s.final(prev, 1, touched[1]),
			})
		}
	}
	return out, nil
}

// diffScratch is what a Diffs call works in, pooled: the two depths
// (5,000 levels a side each), the sides compared and the changed prices.
type diffScratch struct {
	dks       [2]deepBook
	prev, cur bookView
	at        []int64
	sa, sb    []cc.BookLevel
	touched   [2]map[int64]bool
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

// final lists the levels of set as side k of v (best first) has them,
// size zero for those it has not, and empties set.
func (s *symbol) final(v *bookView, k int, set map[int64]bool) []cc.BookLevel {
	if len(set) == 0 {
		return nil
	}
	out := make([]cc.BookLevel, 0, len(set))
	for px := range set {
		l, ok := v.level(k, px)
		if !ok {
			l = cc.BookLevel{Price: cc.NewDecimal(px, s.tickDec), Size: cc.NewDecimal(0, s.lotDec)}
		}
		out = append(out, l)
	}
	clear(set)
	ask := k == 1
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
