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
	return n.trades > 0 && (n.trades < quietTrades || n.qt)
}

// A block whose minutes are quiet but for at most lonelyBusy of under
// 2·quietTrades trades takes those as quiet too: they alone would have to
// absorb what the quiet ones' natural sums differ from the block's, and
// their few leaves that absorb cannot. (Measured at 529f538: two left 487
// seconds of the wide 2024 tape sample not exact, four 431, all fifteen
// 441.)
const lonelyBusy = 4

// provisional is the quote volume and taker-buy quote volume a quiet
// minute's split works with: its volume at its typical price, inside its
// band, the buys at the same VWAP.
func (n *node) provisional() (qv, tbq int64) {
	lo, hi := n.bandQV()
	qv = max(lo, min(hi, int64(math.Round(float64(n.vol)*n.typical()))))
	return qv, mulDiv(qv, n.tbb, n.vol)
}

// quietQuote splits quiet minute n (index idx, every field but its quote
// volumes final) and returns its leaves' quote volumes' sums, how far
// adjust can move its natural leaves' buys' and sells' (down, up, down,
// up), and where its leaves' buys and sells reach at their extremes (low,
// high, low, high).
func (g *gen) quietQuote(n *node, idx int64) (qv, tbq int64, room, ext [4]int64) {
	sub := g.subGen()
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
		if l := &sub.qleaf[i/maxFan][i%maxFan]; l.trades > 0 {
			B, S := l.tbb, l.vol-l.tbb
			ext[0] += B * l.l
			ext[1] += B * l.h
			ext[2] += S * l.l
			ext[3] += S * l.h
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
	return qv, tbq, room, ext
}

// subGen is g's gen for splitting a minute ahead (quietQuote, leftOver),
// on g's symbol; its caller drops it after.
func (g *gen) subGen() *gen {
	if g.sub == nil {
		g.sub = newGen()
	}
	g.sub.use(g.m, g.s)
	g.sub.solo = g.solo
	return g.sub
}

// quietMinutes gives the quiet minutes among kids (the children of
// 15-minute block pidx, every field but the taker-buy quote volumes
// final) their leaves' quote volumes, and the other minutes the rest of
// the block's, split as splitMicro splits it (bands narrowing to none).
// It returns the quiet minutes as a bit mask.
func (g *gen) quietMinutes(kids []node, p *node, pidx int64) uint32 {
	k := len(kids)
	busy, weak := 0, true
	for i := range kids {
		if n := &kids[i]; n.trades >= quietTrades {
			busy++
			weak = weak && n.trades < 2*quietTrades
		}
	}
	if busy <= lonelyBusy && weak && busy < k {
		for i := range kids {
			kids[i].qt = kids[i].trades >= quietTrades
		}
	}
	var mask uint32
	for i := range kids {
		n := &kids[i]
		if n.quiet() {
			mask |= 1 << i
			n.qv, n.tbq, g.qroom[i], g.qext[i] = g.quietQuote(n, pidx*int64(k)+int64(i))
			g.qnat[i] = [2]int64{n.qv, n.tbq}
			g.qbuy[i] = float64(n.tbq)
		}
	}
	if mask == 0 {
		return 0
	}
	allQuiet := g.moveQuietVolume(kids, p, pidx, mask)
	if allQuiet {
		g.spreadQuiet(kids, p, mask)
	}
	// The others' bands narrowing, the quiet ones moving within their
	// room (adjust) while the others stay inside their ranges' middles,
	// volume moving between the others (shiftBusy), the others' bands
	// widening to their ranges, then (every minute quiet, or the others
	// too far off) the quiet ones moving further: to their leaves'
	// extremes, inside their ranges (their tapes then miss, but every
	// VWAP stays inside its range), and only last the others anywhere.
	shifted := false
	for si := 0; si < len(quietStages); si++ {
		sumLo, sumHi := g.quietBands(kids, mask, quietStages[si])
		if sumLo <= p.qv && p.qv <= sumHi {
			break
		}
		if si == shiftStage && !shifted {
			// Before the others go to their ranges' ends (where their
			// leaves cannot follow), volume moves between them.
			shifted = true
			if g.shiftBusy(kids, p, mask, sumLo, sumHi) {
				si--
			}
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

// quietStages are the bands quietMinutes tries in turn: the quiet
// minutes' (quiet: < 0 held to their own sums, 0 within their room, 1
// within their room or their leaves' extremes, qext, 2 or their range:
// the leaves then widen to hold it, minuteLeaves) and the others' (a
// qvBand div). Moving within their room costs the quiet minutes nothing
// (adjust reaches it exactly), so they do before the others leave the
// middle of their ranges: a busy minute given its low as its VWAP had
// seconds whose tapes could not reach theirs.
var quietStages = [...]quietStage{
	{-1, vwapMargin}, {-1, 4 * vwapMargin}, {0, vwapMargin}, {0, 4 * vwapMargin}, {-1, 0},
	{0, 0}, {1, 0}, {2, 0}, {2, -1},
}

// quietStage is one of quietStages.
type quietStage struct{ quiet, others int64 }

// shiftStage is the stage after which quietMinutes moves volume between
// the other minutes (shiftBusy): the last with the others' VWAPs inside
// their ranges' middles.
const shiftStage = 3

// quietBands sets the alloc bands and targets of the minutes of a block
// with quiet minutes (mask) for stage st of quietStages and returns their
// sums.
func (g *gen) quietBands(kids []node, mask uint32, st quietStage) (sumLo, sumHi int64) {
	for i := range kids {
		n := &kids[i]
		if mask&(1<<i) != 0 {
			// (Aimed at its natural sum or spreadQuiet's, held to
			// either, or anywhere its room reaches, or its range.)
			r, q := &g.qroom[i], g.qnat[i][0]
			g.tgt[i] = float64(n.qv)
			g.lo[i], g.hi[i] = n.qv, n.qv
			if st.quiet >= 0 {
				g.lo[i], g.hi[i] = q+r[0]+r[2], q+r[1]+r[3]
			}
			if st.quiet > 0 {
				e := &g.qext[i]
				g.lo[i], g.hi[i] = min(g.lo[i], e[0]+e[2]), max(g.hi[i], e[1]+e[3])
			}
			if st.quiet > 1 {
				lo, hi := n.qvBand(0)
				g.lo[i], g.hi[i] = min(g.lo[i], lo), max(g.hi[i], hi)
			}
		} else {
			g.tgt[i] = float64(n.vol) * g.typ[i]
			g.lo[i], g.hi[i] = n.qvBand(st.others)
		}
		sumLo = satAdd(sumLo, g.lo[i])
		sumHi = satAdd(sumHi, g.hi[i])
	}
	return sumLo, sumHi
}

// shiftBusy moves volume between the minutes of a block that are not
// quiet (not in mask) when the block's quote volume lies outside what its
// minutes hold at shiftStage (sumLo, sumHi, with g.lo and g.hi that
// stage's bands): the quiet minutes' quote volumes are their leaves', and
// what is left can put the others' VWAPs on their lows (or highs), which
// the prices of their seconds cannot all reach. Lots move to the other
// minute whose band lies lowest (highest) from those whose bands lie
// highest (lowest), with their share of taker buys, each giver keeping
// half its lots, then a 1/keepLast, and two lots a trade. Trade counts
// stay. It reports whether any lot moved.
func (g *gen) shiftBusy(kids []node, p *node, mask uint32, sumLo, sumHi int64) (moved bool) {
	const div = 4 * vwapMargin
	down := p.qv < sumLo
	need := float64(p.qv - sumHi)
	if down {
		need = float64(sumLo - p.qv)
	}
	// A minute's band edge the block's VWAP is pushing on, a lot.
	edge := func(n *node) float64 {
		lo, hi := n.qvBand(div)
		if down {
			return float64(lo) / float64(n.vol)
		}
		return float64(hi) / float64(n.vol)
	}
	busy := func(i int) bool { return mask&(1<<i) == 0 && kids[i].vol > 0 }
	r := -1 // the receiver: the band farthest the way the block needs
	for i := range kids {
		if busy(i) && (r < 0 || (edge(&kids[i]) < edge(&kids[r])) == down) {
			r = i
		}
	}
	if r < 0 {
		return false
	}
	for pass := 0; pass < 2 && need > 0; pass++ {
		f := int64(2)
		if pass == 1 {
			f = keepLast
		}
		for need > 0 {
			j, gain := -1, 0.0 // the giver whose band lies farthest the other way
			for i := range kids {
				if !busy(i) || i == r {
					continue
				}
				n := &kids[i]
				if n.vol <= max(2*n.trades, n.vol/f) {
					continue
				}
				gi := edge(n) - edge(&kids[r])
				if !down {
					gi = -gi
				}
				if gi > gain {
					j, gain = i, gi
				}
			}
			if j < 0 || gain < 0.5 {
				break
			}
			n, t := &kids[j], &kids[r]
			d := min(n.vol-max(2*n.trades, n.vol/f), int64(math.Ceil(need/gain)))
			// Its share of taker buys goes with it, keeping the giver's
			// buys and sells within its lots.
			db := max(mulDiv(d, n.tbb, n.vol), d-(n.vol-n.tbb))
			db = min(db, n.tbb, d)
			n.vol -= d
			n.tbb -= db
			t.vol += d
			t.tbb += db
			need -= float64(d) * gain
			moved = true
		}
	}
	return moved
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

// moveQuietVolume: a block whose trading minutes are all quiet has
// nothing to absorb what its quote volumes (set by its hour) differ from
// its minutes' natural sums beyond their room, and the first minute took
// all of it (its tapes then missed). Instead lots of that side move from
// the minutes whose natural trades of the side are priced lowest to those
// priced highest (or back), as many as it takes at their price gaps to
// bring the side within half its room, and the minutes are split again.
// Their natural draws move with their lots, so it takes up to six rounds
// and keeps the best. Trade counts stay, so trade ids do; a minute keeps
// at least half its side's lots and two lots a trade and at most doubles
// them (from the third round a quarter and fourfold), and a one-sided
// minute stays one-sided. It reports whether the block's trading minutes
// are all quiet.
func (g *gen) moveQuietVolume(kids []node, p *node, pidx int64, mask uint32) bool {
	k := len(kids)
	var orig [maxFan][2]int64 // each minute's buys and sells before
	for i := 0; i < k; i++ {
		if kids[i].trades > 0 && mask&(1<<i) == 0 {
			return false // a minute that absorbs
		}
		orig[i] = [2]int64{kids[i].tbb, kids[i].vol - kids[i].tbb}
	}
	want := [2]int64{p.tbq, p.qv - p.tbq}
	// The rounds move toward the room, but the minutes' natural draws
	// move too: the best round is kept.
	type state struct {
		vol, tbb, qv, tbq int64
		nat               [2]int64
		room, ext         [4]int64
	}
	var best [maxFan]state
	bestMiss := int64(-1)
	for round := 0; ; round++ {
		nat, lo, hi := g.quietSums(k, mask)
		d := [2]int64{want[0] - nat[0], want[1] - nat[1]} // buys, sells
		var miss int64
		for side := 0; side < 2; side++ {
			miss += max(lo[side]-d[side], d[side]-hi[side], 0)
		}
		if bestMiss < 0 || miss < bestMiss {
			bestMiss = miss
			for i := 0; i < k; i++ {
				n := &kids[i]
				best[i] = state{n.vol, n.tbb, n.qv, n.tbq, g.qnat[i], g.qroom[i], g.qext[i]}
			}
		}
		if miss == 0 || round == 6 {
			break
		}
		var moved uint32
		for side := 0; side < 2; side++ {
			if d[side] >= lo[side] && d[side] <= hi[side] {
				continue
			}
			need := d[side] - hi[side]/2
			if d[side] < 0 {
				need = d[side] - lo[side]/2
			}
			f := int64(2) // (then 4: a minute keeps a quarter, grows at most fourfold)
			if round >= 2 {
				f = 4
			}
			moved |= g.moveSide(kids, side, need, f, &orig, mask)
		}
		if moved == 0 {
			break
		}
		for i := 0; i < k; i++ {
			if moved&(1<<i) != 0 {
				m := &kids[i]
				m.qv, m.tbq, g.qroom[i], g.qext[i] = g.quietQuote(m, pidx*int64(k)+int64(i))
				g.qnat[i] = [2]int64{m.qv, m.tbq}
			}
		}
	}
	for i := 0; i < k; i++ {
		b, n := &best[i], &kids[i]
		n.vol, n.tbb, n.qv, n.tbq = b.vol, b.tbb, b.qv, b.tbq
		g.qnat[i], g.qroom[i], g.qext[i] = b.nat, b.room, b.ext
	}
	return true
}

// moveSide moves lots of one side (0 buys, 1 sells) between the quiet
// minutes among kids (mask) to change its natural quote volume by about
// need, dearest from cheapest (need > 0) or back, widest price gap first,
// each minute keeping a 1/f of its side's lots (orig) and growing at most
// f-fold (moveQuietVolume). It returns the minutes it changed.
func (g *gen) moveSide(kids []node, side int, need, f int64, orig *[maxFan][2]int64, mask uint32) (moved uint32) {
	// The minutes holding the side, by its natural price, the donors
	// first (need > 0: the cheapest).
	var ord [maxFan]int
	var px [maxFan]float64
	nm := 0
	for i := range kids {
		v, _ := kids[i].sideOf(side)
		if mask&(1<<i) == 0 || orig[i][side] <= 0 || v <= 0 {
			continue
		}
		q := g.qnat[i][1]
		if side == 1 {
			q = g.qnat[i][0] - q
		}
		px[i] = float64(q) / float64(v)
		if need < 0 {
			px[i] = -px[i]
		}
		j := nm
		for ; j > 0 && px[ord[j-1]] > px[i]; j-- {
			ord[j] = ord[j-1]
		}
		ord[j] = i
		nm++
	}
	left := float64(abs64(need))
	for d, r := 0, nm-1; d < r && left > 0; {
		from, to := ord[d], ord[r]
		gap := px[to] - px[from]
		if gap < 0.5 {
			break
		}
		D, t := &kids[from], &kids[to]
		dv, _ := D.sideOf(side)
		tv, _ := t.sideOf(side)
		give := min(dv-(orig[from][side]+f-1)/f, D.vol-2*D.trades)
		take := f*orig[to][side] - tv
		x := min(give, take, int64(math.Ceil(left/gap)))
		if x > 0 {
			D.vol -= x
			t.vol += x
			if side == 0 {
				D.tbb -= x
				t.tbb += x
			}
			left -= float64(x) * gap
			moved |= 1<<from | 1<<to
		}
		if x == give || give <= 0 {
			d++
		} else {
			r--
		}
	}
	return moved
}

// spreadQuiet aims the minutes of a block of quiet minutes (mask) at
// quote volumes that sum to the block's: what its buys' and sells' differ
// from their natural sums is shared among the minutes in proportion to
// how far each can move that way (its room), not taken by the first
// minute up to the whole of its room. What is beyond their room is
// shared in proportion to how much further each side's lots reach at its
// leaves' extremes (qext), as far as they reach: their tapes then miss,
// but no VWAP leaves its range (shared by room alone, a minute's went 9
// ranges above its high). It sets the minutes' quote volumes
// (quietMinutes then aims the split at them) and g.qbuy.
func (g *gen) spreadQuiet(kids []node, p *node, mask uint32) {
	k := len(kids)
	nat, lo, up := g.quietSums(k, mask)
	down := [2]int64{-lo[0], -lo[1]}
	d := [2]int64{p.tbq - nat[0], p.qv - p.tbq - nat[1]}
	// Beyond the room: each minute's reach past it, and the part of the
	// difference each side still has to place (as a share of that reach).
	var far [2]float64
	for s := 0; s < 2; s++ {
		var reach int64
		for i := 0; i < k; i++ {
			if mask&(1<<i) != 0 {
				reach += g.pastRoom(i, s, d[s] > 0)
			}
		}
		rest := max(d[s]-up[s], -d[s]-down[s], 0)
		if rest > 0 && reach > 0 {
			far[s] = min(1, float64(rest)/float64(reach))
		}
	}
	for i := 0; i < k; i++ {
		if mask&(1<<i) == 0 {
			continue
		}
		q, r := &g.qnat[i], &g.qroom[i]
		var x [2]float64
		for s := 0; s < 2; s++ {
			switch {
			case d[s] > 0 && up[s] > 0:
				x[s] = float64(min(d[s], up[s])) * float64(r[2*s+1]) / float64(up[s])
			case d[s] < 0 && down[s] > 0:
				x[s] = float64(max(d[s], -down[s])) * float64(-r[2*s]) / float64(down[s])
			}
			if far[s] > 0 {
				past := far[s] * float64(g.pastRoom(i, s, d[s] > 0))
				if d[s] < 0 {
					past = -past
				}
				x[s] += past
			}
		}
		g.qbuy[i] = float64(q[1]) + x[0]
		kids[i].qv = q[0] + int64(math.Round(x[0]+x[1]))
	}
}

// pastRoom is how much further than its room quiet minute i's side s
// (0 buys, 1 sells) can move up (else down) with its leaves' lots at
// their extremes.
func (g *gen) pastRoom(i, s int, up bool) int64 {
	q, r, e := &g.qnat[i], &g.qroom[i], &g.qext[i]
	nat := q[1]
	if s == 1 {
		nat = q[0] - q[1]
	}
	if up {
		return max(0, e[2*s+1]-(nat+r[2*s+1]))
	}
	return max(0, nat+r[2*s]-e[2*s])
}

// quietSums is the natural quote volumes of the quiet minutes among the
// first k (mask), buys and sells, and how far their room moves each down
// (lo, at most 0) and up (hi).
func (g *gen) quietSums(k int, mask uint32) (nat, lo, hi [2]int64) {
	for i := 0; i < k; i++ {
		if mask&(1<<i) == 0 {
			continue
		}
		q, r := &g.qnat[i], &g.qroom[i]
		nat[0] += q[1]
		nat[1] += q[0] - q[1]
		for s := 0; s < 2; s++ {
			lo[s] += r[2*s]
			hi[s] += r[2*s+1]
		}
	}
	return nat, lo, hi
}
