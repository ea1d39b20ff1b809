package synth

import (
	"context"
	"math"

	cc "github.com/candlecassette/candlecassette"
)

// Touch implements cc.Quoter: the best bid and ask at the instant at
// (µs), before any trade stamped at prints. See doc.go, "Trades and the
// touch".
func (m *Market) Touch(ctx context.Context, symbol string, at int64) (cc.Touch, error) {
	if err := checkTime(at); err != nil {
		return cc.Touch{}, err
	}
	g, s, err := m.get(symbol)
	if err != nil {
		return cc.Touch{}, err
	}
	defer m.pool.Put(g)
	tg := m.tapeGen()
	defer m.tapes.pool.Put(tg)
	st, err := m.touchAt(g, s, tg, at)
	if err != nil {
		return cc.Touch{}, err
	}
	return s.touch(st, at), nil
}

// touchState is the touch at an instant in the tree's integers (ticks,
// lots), and where it comes from.
type touchState struct {
	bid, bidSz, ask, askSz int64
	j                      int64 // the first trade at or after the instant
	// quoted: the quotes have moved to trade j's touch (before); tg.leaf
	// then holds j's leaf, j at index ji.
	quoted bool
	ji     int
}

// touchAt is the touch at at: the one the last trade before at left, or,
// from the quote instant on, the one the next trade prints against.
func (m *Market) touchAt(g *gen, s *symbol, tg *tapeGen, at int64) (touchState, error) {
	j, err := m.next(g, m.firstID(g, tg, at))
	if err != nil {
		return touchState{}, err
	}
	// The last trade before at, and the touch it left.
	var post touchState
	tp := int64(math.MinInt64)
	if p, err := m.back(g, j, 1); err == nil {
		if leaf, first, ok := m.locate(g, p); ok {
			m.gen(g, tg, leaf, first)
			i := int(p - first)
			tp = tg.leaf[i].t
			post = tg.after(s, i)
		}
	}
	leaf, first, ok := m.locate(g, j)
	if !ok {
		return touchState{}, errRange
	}
	m.gen(g, tg, leaf, first)
	i := int(j - first)
	tj := tg.leaf[i].t
	st := post
	if tp == math.MinInt64 || at >= quoteInstant(s, j, tp, tj) {
		st = tg.before(s, i)
		st.quoted, st.ji = true, i
	}
	st.j = j
	return st, nil
}

// quoteInstant is when the quotes move from the touch trade j-1 left
// (printed at tp) to the one trade j (at tj > tp) prints against: soon
// after the last trade, more often than not, but not in the same
// microsecond, so the touch a trade left can always be seen (unless the
// next trade follows within 1µs).
func quoteInstant(s *symbol, j, tp, tj int64) int64 {
	u := unitOf(mix64(s.exKey ^ uint64(j)*0x94d049bb133111eb))
	return min(tj, tp+2+int64(u*u*float64(max(0, tj-tp-2))))
}

// orderStart is the index of the first print of the taker order holding
// print i of the leaf (its prints share the time).
func (tg *tapeGen) orderStart(i int) int {
	for i > 0 && tg.leaf[i-1].t == tg.leaf[i].t {
		i--
	}
	return i
}

// before is the touch print i (the first of its taker order) met: the
// taker's side at its price, holding the level's printed size plus what
// rests there after the order (nothing when the order sweeps on), and
// the other side a spread away.
func (tg *tapeGen) before(s *symbol, i int) touchState {
	l := tg.leaf
	f := tg.orderStart(i)
	tr := &l[f]
	var lvl int64
	k := f
	for ; k < len(l) && l[k].t == tr.t && l[k].px == tr.px; k++ {
		lvl += l[k].sz
	}
	if k == len(l) || l[k].t != tr.t {
		lvl += restSize(s, uint64(l[k-1].agg))
	}
	other, otherSz := tg.otherSide(s, f)
	return sides(tr.buy, tr.px, lvl, other, otherSz)
}

// after is the touch left after print i, the last of its taker order:
// the taker's side at the last level it reached, with what rests there,
// the other side unchanged.
func (tg *tapeGen) after(s *symbol, i int) touchState {
	l := tg.leaf
	f := tg.orderStart(i)
	other, otherSz := tg.otherSide(s, f)
	return sides(l[i].buy, l[i].px, restSize(s, uint64(l[i].agg)), other, otherSz)
}

// otherSide is the price and size of the side an order starting at print
// f did not take: a spread away from its first print.
func (tg *tapeGen) otherSide(s *symbol, f int) (px, sz int64) {
	tr := &tg.leaf[f]
	sp := spreadTicks(s, &tg.nd, uint64(tr.id))
	if tr.buy {
		return max(1, tr.px-sp), restSize(s, uint64(tr.id)^0x5bd1e995)
	}
	return tr.px + sp, restSize(s, uint64(tr.id)^0x5bd1e995)
}

// sides is the touch whose taker's side (the ask for a buy) is at px
// holding sz, the other side at other holding otherSz.
func sides(buy bool, px, sz, other, otherSz int64) touchState {
	if buy {
		return touchState{bid: other, bidSz: otherSz, ask: px, askSz: sz}
	}
	return touchState{bid: px, bidSz: sz, ask: other, askSz: otherSz}
}

func (s *symbol) touch(st touchState, at int64) cc.Touch {
	return cc.Touch{
		Time: at,
		Bid:  cc.NewDecimal(st.bid, s.tickDec), BidSize: cc.NewDecimal(st.bidSz, s.lotDec),
		Ask: cc.NewDecimal(st.ask, s.tickDec), AskSize: cc.NewDecimal(st.askSz, s.lotDec),
	}
}

// spreadTicks is the spread, in ticks, the order with first print id met:
// one tick plus an exponential excess whose mean grows as the pair trades
// less, shrinks when the tick is already coarse (a tick of a basis point
// or more), and grows a little with the leaf's range per trade
// (volatility).
func spreadTicks(s *symbol, nd *node, id uint64) int64 {
	perDay := s.dayLots / s.tradeLot
	mu := max(0.02, min(3, 2e5/perDay-0.1))
	if s.tick/s.price >= 5e-5 {
		mu *= 0.5
	}
	if nd.trades > 0 {
		mu += 0.1 * math.Log1p(float64(nd.h-nd.l)/float64(nd.trades)/10)
	}
	u := unitOf(mix64(s.exKey ^ id*0xbf58476d1ce4e5b9))
	return 1 + min(50, int64(-math.Log1p(-u)*mu))
}

// restSize is the lots resting at a level beside what printed there: at
// least a lot, about a trade's worth, log-normal.
func restSize(s *symbol, key uint64) int64 {
	u := mix64(s.exKey ^ key*0x9e3779b97f4a7c15)
	a, b := smallOf(u)
	return max(1, int64(s.tradeLot*math.Exp(0.8*(a+b)/math.Sqrt2)+0.5))
}

// Tape is m as a cc.Tape; nil for a nil m (so that an unset Env field
// stays a nil interface).
func (m *Market) Tape() cc.Tape {
	if m == nil {
		return nil
	}
	return m
}

// Quoter is m as a cc.Quoter; nil for a nil m.
func (m *Market) Quoter() cc.Quoter {
	if m == nil {
		return nil
	}
	return m
}

// Books is m as a cc.Books; nil for a nil m.
func (m *Market) Books() cc.Books {
	if m == nil {
		return nil
	}
	return m
}
