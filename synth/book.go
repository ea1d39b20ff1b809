package synth

import (
	"context"
	"errors"
	"fmt"
	"math"

	cc "github.com/candlecassette/candlecassette"
)

var _ cc.Books = (*Market)(nil)

// The L2 book (see doc.go, "The order book").
const (
	// BookLevels is the most levels a side the book models.
	BookLevels = 5000
	// bookSlot (µs) is the clock of the depth's refreshes: a level below
	// the touch changes only at multiples of it, and each slot is one
	// update id.
	bookSlot = 10_000
	// bookBand is the width in ticks of the first band of the depth,
	// where every tick is a candidate level; band b is 4^b times wider
	// with a candidate every 2^b ticks.
	bookBand  = 500
	bookBands = 8
	// bookPeriod is the mean refresh period, in slots, of a level of the
	// first band; it doubles with each band.
	bookPeriod = 800
	bookSalt   = 0x3c6ef372fe94f82b
	maxSteps   = 1 << 17 // steps of one Diffs call
)

// bandEdge[b] is the distance in ticks from the best price where band b
// starts.
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
	err = m.book(g, s, tg, at, n, &b)
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

// BookSeq is the update id of the book at at: two per trade (the quotes
// moving to the touch it prints against, then its print) and one per
// refresh slot, so that it is computed from the trade id alone.
func (st *touchState) seq(at int64) int64 {
	q := int64(0)
	if st.quoted {
		q = 1
	}
	return 2*st.j - 1 + q + floorDiv(at, bookSlot)
}

// book fills b with the book at at, n levels a side, reusing b's slices.
func (m *Market) book(g *gen, s *symbol, tg *tapeGen, at int64, n int, b *cc.Book) error {
	st, err := m.touchAt(g, s, tg, at)
	if err != nil {
		return err
	}
	b.Time, b.Seq = at, st.seq(at)
	slot := floorDiv(at, bookSlot)
	bids, asks := b.Bids[:0], b.Asks[:0]
	if cap(bids) < n {
		bids = make([]cc.BookLevel, 0, n+4)
	}
	if cap(asks) < n {
		asks = make([]cc.BookLevel, 0, n+4)
	}
	// The levels a sweeping order takes beyond the first are on the
	// book from the moment the quotes show its touch.
	var sweep []cc.BookLevel
	buy := false
	if st.quoted {
		sweep, buy = tg.sweep(s, st.ji, sweep)
	}
	if buy {
		asks = append(asks, sweep...)
	} else {
		bids = append(bids, sweep...)
	}
	b.Bids = s.depth(bids, false, st.bid, st.bidSz, slot, n)
	b.Asks = s.depth(asks, true, st.ask, st.askSz, slot, n)
	return nil
}

// sweep appends to dst the levels the taker order starting at print i
// takes, from its first price on, each holding what prints there plus,
// at its last price, what rests after it; buy is the order's side. The
// first level is the touch's.
func (tg *tapeGen) sweep(s *symbol, i int, dst []cc.BookLevel) ([]cc.BookLevel, bool) {
	l := tg.leaf
	f := tg.orderStart(i)
	buy := l[f].buy
	var px, sz int64
	k := f
	for ; k < len(l) && l[k].t == l[f].t; k++ {
		if l[k].px != px && k > f {
			dst = append(dst, cc.BookLevel{Price: cc.NewDecimal(px, s.tickDec), Size: cc.NewDecimal(sz, s.lotDec)})
			sz = 0
		}
		px = l[k].px
		sz += l[k].sz
	}
	sz += restSize(s, uint64(l[k-1].agg))
	dst = append(dst, cc.BookLevel{Price: cc.NewDecimal(px, s.tickDec), Size: cc.NewDecimal(sz, s.lotDec)})
	return dst, buy
}

// depth fills one side up to n levels: the levels dst holds (the touch and
// a sweep's), then the depth beyond them. Ask prices grow from best, bid
// prices fall.
func (s *symbol) depth(dst []cc.BookLevel, ask bool, best, bestSz int64, slot int64, n int) []cc.BookLevel {
	if len(dst) == 0 {
		dst = append(dst, cc.BookLevel{Price: cc.NewDecimal(best, s.tickDec), Size: cc.NewDecimal(bestSz, s.lotDec)})
	}
	last := dst[len(dst)-1].Price.Units
	if len(dst) >= n {
		return dst[:n]
	}
	dir, side := int64(-1), uint64(0)
	if ask {
		dir, side = 1, 1
	}
	key := s.exKey ^ bookSalt ^ side*0xd6e8feb86659fd93
	tickDec, lotDec := s.tickDec, s.lotDec
	// Presence falls from about 0.95 at the touch to 0.6 far from it.
	const near = bookBand / 4
	// No order rests below a fifth of the best bid or above five times
	// the best ask (as Binance's PERCENT_PRICE_BY_SIDE filters have it).
	lo, hi := max(1, (best+4)/5), best*5
	b := 0
	p := last + dir
	for len(dst) < n {
		if p < lo || p > hi {
			break
		}
		d := (p - best) * dir
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
			sz := max(1, int64(s.tradeLot*fastExp(z+0.45*float64(b))+0.5))
			dst = append(dst, cc.BookLevel{Price: cc.NewDecimal(p, tickDec), Size: cc.NewDecimal(sz, lotDec)})
		}
		p += dir * sp
	}
	return dst
}

// Diffs implements cc.Books.
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
	if err := m.book(g, s, tg, from, n, &prev); err != nil {
		return nil, err
	}
	var out []cc.BookDiff
	for e := (floorDiv(from, step) + 1) * step; prev.Time < to; e += step {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := m.book(g, s, tg, min(e, to), n, &cur); err != nil {
			return nil, err
		}
		if cur.Seq != prev.Seq {
			out = append(out, cc.BookDiff{
				Time: cur.Time, FirstSeq: prev.Seq + 1, LastSeq: cur.Seq,
				Bids: diffSide(prev.Bids, cur.Bids, false),
				Asks: diffSide(prev.Asks, cur.Asks, true),
			})
		}
		prev, cur = cur, prev
	}
	return out, nil
}

// diffSide is what changed from a to b (best first, ask prices growing):
// the levels of b whose size differs, and those of a not in b at size 0.
func diffSide(a, b []cc.BookLevel, ask bool) []cc.BookLevel {
	var out []cc.BookLevel
	i, j := 0, 0
	better := func(x, y int64) bool { // x before y
		if ask {
			return x < y
		}
		return x > y
	}
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && better(a[i].Price.Units, b[j].Price.Units)):
			out = append(out, cc.BookLevel{Price: a[i].Price, Size: cc.NewDecimal(0, int(a[i].Size.Scale))})
			i++
		case i == len(a) || better(b[j].Price.Units, a[i].Price.Units):
			out = append(out, b[j])
			j++
		default:
			if a[i].Size != b[j].Size {
				out = append(out, b[j])
			}
			i++
			j++
		}
	}
	return out
}
