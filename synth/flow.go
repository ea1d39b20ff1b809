package synth

import "math"

// vwapMargin keeps every VWAP at least 1/vwapMargin of its range away
// from the range's ends. The children of a node can then always reach its
// VWAP: the child holding the node's high has a high-side bound at least
// as high as the node's own. (A fifth left a 15-minute block's VWAP where
// its minutes, their volume on a few leaves, could not all follow: on the
// wide tape samples 207 seconds of the 2024 one did not aggregate
// exactly, 94 with a quarter; a third, 83, but 48 of the 2025 one and
// VWAPs up to 18 ticks outside their seconds' ranges.)
const vwapMargin = 4

// keepLast: reachVWAP leaves every child at least 1/keepLast of its lots
// (down to its pins' lots it drained blocks to a lot a trade).
const keepLast = 4

// band is the range a node's VWAP is aimed at, per lot, in ticks.
func (n *node) band() (lo, hi float64) {
	m := float64(n.h-n.l) / vwapMargin
	return float64(n.l) + m, float64(n.h) - m
}

// aimMargin: the VWAP a split aims a child at is its typical price,
// at least 1/aimMargin of its range off its extremes (inside band): a
// VWAP on the band's edge left the child's own children an edge to
// reach, and so on down, draining volume toward it at every level.
const aimMargin = 3

// aim is the range of VWAPs a split aims a node at, per lot, in ticks.
func (n *node) aim() (lo, hi float64) {
	m := float64(n.h-n.l) / aimMargin
	return float64(n.l) + m, float64(n.h) - m
}

// bandQV is band as quote volume: the range of n.qv it aims at.
func (n *node) bandQV() (lo, hi int64) {
	m := n.vol * (n.h - n.l) / vwapMargin
	return n.vol*n.l + m, n.vol*n.h - m
}

// activate sets g.tr[i] to 1 for the children that trade, 0 for the
// others.
func (g *gen) activate(k int, trades int64) {
	var sa float64
	for i := 0; i < k; i++ {
		sa += g.act[i]
	}
	n := int64(0)
	for i := 0; i < k; i++ {
		g.tr[i] = 1
		// want >= 20 for sure (no division needed) when the product is
		// at least 21·sa.
		if a := float64(trades) * g.act[i]; a < 21*sa {
			if want := a / sa; want < 20 && poissonZero(unitOf(mix64(g.actKey+uint64(i))), want) {
				g.tr[i] = 0
			}
		}
		n += g.tr[i]
	}
	if n == 0 { // the most active child trades
		best := 0
		for i := 0; i < k; i++ {
			if g.act[i] > g.act[best] {
				best = i
			}
		}
		g.tr[best], n = 1, 1
	}
	for n > trades { // drop the least active
		j := -1
		for i := 0; i < k; i++ {
			if g.tr[i] == 1 && (j < 0 || g.act[i] < g.act[j]) {
				j = i
			}
		}
		g.tr[j] = 0
		n--
	}
}

// poissonZero reports u < math.Exp(-want), for 0 <= want < 20, deciding
// with fastExp (relative error below 3e-6 there: the Taylor remainder
// 2·ln2^8/8!) unless u is within 1e-5 of the bound.
func poissonZero(u, want float64) bool {
	e := fastExp(-want)
	switch {
	case u < e*(1-1e-5):
		return true
	case u > e*(1+1e-5):
		return false
	}
	return u < math.Exp(-want)
}

// reachVWAP shifts volume between children so that the parent's quote
// volume lies within the sum of their bands: lots move from the children
// whose bands sit farthest from the parent's VWAP to the child holding the
// parent's extreme on that side, each donor first down to half its lots
// (so that the move spreads over donors rather than draining the first
// to its pins' lots), then down to a quarter (keepLast; where that is not
// enough, the quote volumes' bands widen instead). Every trading child
// keeps at least a lot per price. It reports whether any volume moved; if none did, g.lo and g.hi
// hold the children's bands (bandQV).
func (g *gen) reachVWAP(kids []node, p *node, iH, iL int) (moved bool) {
	var capHi, capLo int64
	for i := range kids {
		lo, hi := kids[i].bandQV()
		g.lo[i], g.hi[i] = lo, hi
		capHi += hi
		capLo += lo
	}
	switch {
	case p.qv > capHi:
		moved = true // (conservatively: the bands are recomputed)
		need := float64(p.qv - capHi)
		iH = g.receiver(kids, iH, true)
		_, top := kids[iH].band()
		// Each child first keeps half its lots, then all but its pins'.
		for i := range kids {
			g.keep[i] = max(g.pn[i], kids[i].vol/2)
		}
		for pass := 0; need > 0 && pass < 2; pass++ {
			if pass == 1 {
				for i := range kids {
					g.keep[i] = max(g.pn[i], kids[i].vol/keepLast)
				}
			}
			for need > 0 {
				j, jhi := -1, 0.0 // the lowest band that can give lots
				for i := range kids {
					if _, hi := kids[i].band(); i != iH && kids[i].vol > g.keep[i] && hi < top && (j < 0 || hi < jhi) {
						j, jhi = i, hi
					}
				}
				if j < 0 {
					break
				}
				gain := top - jhi
				d := min(kids[j].vol-g.keep[j], int64(math.Ceil(need/gain)))
				kids[j].vol -= d
				kids[iH].vol += d
				need -= float64(d) * gain
			}
		}
	case p.qv < capLo:
		moved = true
		need := float64(capLo - p.qv)
		iL = g.receiver(kids, iL, false)
		bottom, _ := kids[iL].band()
		for i := range kids {
			g.keep[i] = max(g.pn[i], kids[i].vol/2)
		}
		for pass := 0; need > 0 && pass < 2; pass++ {
			if pass == 1 {
				for i := range kids {
					g.keep[i] = max(g.pn[i], kids[i].vol/keepLast)
				}
			}
			for need > 0 {
				j, jlo := -1, 0.0 // the highest band that can give lots
				for i := range kids {
					if lo, _ := kids[i].band(); i != iL && kids[i].vol > g.keep[i] && lo > bottom && (j < 0 || lo > jlo) {
						j, jlo = i, lo
					}
				}
				if j < 0 {
					break
				}
				gain := jlo - bottom
				d := min(kids[j].vol-g.keep[j], int64(math.Ceil(need/gain)))
				kids[j].vol -= d
				kids[iL].vol += d
				need -= float64(d) * gain
			}
		}
	}
	return moved
}

// receiver is the child that takes volume to raise (up) or lower the
// children's VWAP: i, the holder of the parent's extreme, if it trades,
// else the trading child whose band reaches farthest that way.
func (g *gen) receiver(kids []node, i int, up bool) int {
	if kids[i].vol > 0 {
		return i
	}
	best := -1
	for j := range kids {
		if kids[j].vol == 0 {
			continue
		}
		lo, hi := kids[j].band()
		if best < 0 {
			best = j
			continue
		}
		blo, bhi := kids[best].band()
		if (up && hi > bhi) || (!up && lo < blo) {
			best = j
		}
	}
	return best
}

// typical is where a node's trading is expected to average, in ticks:
// the time average of a bridge from open to close, pulled a little toward
// the extremes it touched.
func (n *node) typical() float64 {
	return 0.375*float64(n.o+n.c) + 0.125*float64(n.h+n.l)
}
