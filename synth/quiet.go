package synth

import "math"

// Quiet minutes. A minute of few trades has too few leaves whose tapes can be solved for their quote volumes
// (minuteLeaves) to take whatever its split hands them: its natural
// draws' differences would be left over. So its quote volumes come from
// below instead: the minute is split ahead with provisional quote
// volumes (which its split then uses, so that it does not depend on its
// own), every leaf takes its natural draw's (one that absorbs, its
// split's), and the minute's are their sum. The 15-minute split does
// that for its quiet minutes as it makes them, and its other minutes
// share the rest of its quote volume; where they cannot, the quiet ones
// move within their leaves' room (adjust, and the bands of those that
// absorb) before the others go outside their ranges.

// quietTrades: a minute of fewer trades is quiet. (Also calling quiet a
// minute of under 8 lots per trade, which its volume split can leave,
// made a few percent of BTCUSDT's minutes quiet for ~0.03% more exact
// seconds.)
const quietTrades = 80

// quiet reports whether minute n takes its quote volumes from its leaves.
func (n *node) quiet() bool {
	return n.trades > 0 && n.trades < quietTrades
}

// provisional is the quote volume and taker-buy quote volume a quiet
// minute's split works with: its volume at its typical price, inside its
// band, the buys at the same VWAP.
func (n *node) provisional() (qv, tbq int64) {
	lo, hi := n.bandQV()
	qv = max(lo, min(hi, int64(math.Round(float64(n.vol)*n.typical()))))
	return qv, mulDiv(qv, n.tbb, n.vol)
}

// quietQuote splits quiet minute n (index idx, every field but its quote
// volumes final) and returns its leaves' quote volumes' sums, and how far
// adjust can move its natural leaves' buys' and sells' (down, up, down,
// up).
func (g *gen) quietQuote(n *node, idx int64) (qv, tbq int64, room [4]int64) {
	if g.sub == nil {
		g.sub = newGen()
	}
	sub := g.sub
	sub.use(g.m, g.s)
	sub.solo = g.solo
	c := *n
	c.qv = -1 // its leaves' sums: the quote volumes are not known yet
	sub.splitMicro(leafLevel-1, &c, idx)
	for i := 0; i < levels[leafLevel-1].fan; i++ {
		qv += sub.kids[leafLevel-1][i].qv
		tbq += sub.kids[leafLevel-1][i].tbq
	}
	for i := range sub.nroom {
		for j := range room {
			room[j] += sub.nroom[i][j]
		}
		if sub.lkind[i] == leafAbsorbs {
			// (Its band as absorb moves it, from where it is.)
			n := &sub.qleaf[i/maxFan][i%maxFan]
			for side, q := range [2]int64{n.tbq, n.qv - n.tbq} {
				lo, hi := absorbBand(n, side == 0, 0)
				room[2*side] += min(0, lo-q)
				room[2*side+1] += max(0, hi-q)
			}
		}
	}
	sub.drop()
	return qv, tbq, room
}

// quietMinutes gives the quiet minutes among kids (the children of
// 15-minute block pidx, every field but the taker-buy quote volumes
// final) their leaves' quote volumes, and the other minutes the rest of
// the block's, split as splitMicro splits it (bands narrowing to none).
// It returns the quiet minutes as a bit mask.
func (g *gen) quietMinutes(kids []node, p *node, pidx int64) uint32 {
	k := len(kids)
	var mask uint32
	for i := range kids {
		n := &kids[i]
		if n.quiet() {
			mask |= 1 << i
			n.qv, n.tbq, g.qroom[i] = g.quietQuote(n, pidx*int64(k)+int64(i))
			g.qnat[i] = [2]int64{n.qv, n.tbq}
		}
	}
	if mask == 0 {
		return 0
	}
	// The others' bands narrowing to none, then (every minute quiet, or
	// the others too far off) the quiet ones moving too, by adjust.
	for _, div := range [...]int64{vwapMargin, 4 * vwapMargin, 0, -2, -3} {
		var sumLo, sumHi int64
		for i := 0; i < k; i++ {
			n := &kids[i]
			if mask&(1<<i) != 0 {
				r := &g.qroom[i]
				g.tgt[i] = float64(n.qv)
				g.lo[i], g.hi[i] = n.qv, n.qv
				if div < -1 {
					g.lo[i], g.hi[i] = n.qv+r[0]+r[2], n.qv+r[1]+r[3]
				}
			} else {
				g.tgt[i] = float64(n.vol) * g.typ[i]
				d := div
				if div < -1 {
					d = div + 2 // (in its range, then anything)
				}
				g.lo[i], g.hi[i] = n.qvBand(d)
			}
			sumLo = satAdd(sumLo, g.lo[i])
			sumHi = satAdd(sumHi, g.hi[i])
		}
		if sumLo <= p.qv && p.qv <= sumHi {
			break
		}
	}
	g.alloc(p.qv, k, false)
	for i := 0; i < k; i++ {
		// (A quiet minute's own when the others' bands can hold the
		// rest, else whatever keeps the block exactly their sum.)
		kids[i].qv = g.bt[i]
	}
	return mask
}

// pathLevel: nodes above it (days and 6-hour blocks) aim their VWAP at
// their path's (pathVWAP), not at their typical price. (Hours too, one
// level further, took 99.90% of trading seconds exact to 99.92% and made
// hourly candles about five times slower.)
const pathLevel = 6

// pathVWAP is where node n of level L (idx; prices, variance and jump
// final) can be expected to trade on average, given the path inside it:
// its children's typical prices weighted by their volume targets, from a
// split of n that stops there (its trade count taken as what it needs to
// move freely). A day that doubles in its last hours then trades mostly
// near its open: aiming it at its typical price drained the volume of
// its first hours to reach it, level after level.
func (g *gen) pathVWAP(L int, n *node, idx int64) float64 {
	if g.sub == nil {
		g.sub = newGen()
	}
	sub := g.sub
	sub.use(g.m, g.s)
	sub.solo = g.solo
	c := *n
	c.trades = 1 << 20
	c.vol, c.qv, c.tbb, c.tbq = 1<<40, 1<<40*c.o, 1<<39, 1<<39*c.o
	sub.dry = true
	sub.rec = g.memoSlot(L+1, idx) // kept for n's own split (memo.go)
	sub.splitMicro(L+1, &c, idx)
	sub.dry, sub.rec = false, nil
	var sw, sx float64
	for i := 0; i < levels[L+1].fan; i++ {
		if sub.hi[i] > 0 {
			sw += sub.tgt[i]
			sx += sub.tgt[i] * sub.typ[i]
		}
	}
	sub.drop()
	if sw <= 0 {
		return n.typical()
	}
	return sx / sw
}
