package synth

import (
	"cmp"
	"slices"
)

// Feasibility of the children's counts and taker split, so that nodes,
// down to each second, can be traded (tapegen.go): the trade tape needs,
// in every trading node, a trade for each of its distinct open, high, low
// and close, one taker side only when it has a single trade, and a
// taker-buy quote volume its taker-buy volume can reach between its low
// and high (and the sells theirs). splitMicro calls these after each
// allocation; they move counts between siblings, so the parent stays
// exactly the aggregate. tiltTakers does most of the work (before it,
// the taker split's fallback left over eight in ten of BTCUSDT's trading
// seconds with a taker-buy quote volume no tape can reach; after it,
// 0.2–1.2% across BTC, XRP and a default altcoin); the others repair
// what is left where siblings allow. fitPins gives every trading child a
// trade per price (flattening the path where the parent has too few),
// and minuteLeaves gives every leaf quote volumes its tape reaches
// (tapegen.go).

// pins is the number of trades node n needs for its prices: one when it
// is flat, else the open and the close plus the high and the low where
// they differ from both.
func (n *node) pins() int64 { return pinsOf(n.o, n.h, n.l, n.c) }

func pinsOf(o, h, l, c int64) int64 {
	if h == l {
		return 1
	}
	k := int64(2)
	if h != o && h != c {
		k++
	}
	if l != o && l != c {
		k++
	}
	return k
}

// fitPins sets g.pn[i] to the trades child i needs for its prices (0 for
// a child without trades) and makes the children's path tradeable with
// the parent's trades: consecutive children share close and open, so a
// child can move the price only with trades of its own, and when the
// trading children's moves need more trades than the parent has (a quiet
// block whose few trades are spread over children that all moved), the
// path is flattened: the whole move of the parent (o, h, l, c) goes into
// one child, the trading child with the largest variance, the children
// before it hold the open and those after it the close, and trading
// children beyond what the parent's remaining trades allow stop trading
// (the least active first; their variance goes to the carrier). Called
// by splitMicro after the path is drawn (g.bt, g.hr, g.lr) and before
// volumes are split; updates iH and iL.
func (g *gen) fitPins(k int, p *node, iH, iL *int) {
	var sum int64
	for i := 0; i < k; i++ {
		o, c := g.bt[i], g.bt[i+1]
		h := max(g.round(g.hr[i], p), o, c)
		l := min(g.round(g.lr[i], p), o, c)
		if i == *iH {
			h = p.h
		}
		if i == *iL {
			l = p.l
		}
		g.pn[i] = pinsOf(o, h, l, c)
		if g.tr[i] == 0 {
			if g.pn[i] > 1 { // a child without trades must be flat
				sum = inf
			}
			g.pn[i] = 0
		}
		sum = satAdd(sum, g.pn[i])
	}
	need := p.pins()
	if sum <= p.trades || need > p.trades {
		return
	}
	j, n := -1, int64(0) // the carrier; trading children
	for i := 0; i < k; i++ {
		if g.tr[i] > 0 {
			n++
			if j < 0 || g.w[i] > g.w[j] {
				j = i
			}
		}
	}
	for ; n-1 > p.trades-need; n-- { // stop the least active other
		d := -1
		for i := 0; i < k; i++ {
			if i != j && g.tr[i] > 0 && (d < 0 || g.act[i] < g.act[d]) {
				d = i
			}
		}
		g.tr[d] = 0
		g.w[j] += g.w[d]
		g.w[d] = 0
	}
	g.w0 = g.w
	for i := 0; i <= k; i++ {
		x, b := p.o, float64(p.o)
		if i > j {
			x, b = p.c, float64(p.c)
		}
		g.bt[i], g.b[i] = x, b
		if i < k {
			g.hr[i], g.lr[i] = b, b
			if i > j {
				g.hr[i], g.lr[i] = float64(p.c), float64(p.c)
			}
			g.pn[i] = g.tr[i]
		}
	}
	g.bt[k], g.b[k] = p.c, float64(p.c)
	g.hr[j], g.lr[j] = float64(p.h), float64(p.l)
	g.pn[j] = need
	*iH, *iL = j, j
}

// fixTrades gives each trading child at least a trade per pinned price,
// taking trades from siblings that have more than they need (most to
// spare first). A child keeps at most a trade per lot.
func fixTrades(kids []node) {
	for i := range kids {
		n := &kids[i]
		need := min(n.pins(), n.vol) - n.trades
		for n.trades > 0 && need > 0 {
			j, spare := -1, int64(0)
			for d := range kids {
				if d == i {
					continue
				}
				if s := kids[d].trades - max(1, kids[d].pins()); s > spare {
					j, spare = d, s
				}
			}
			if j < 0 {
				break
			}
			x := min(need, spare)
			kids[j].trades -= x
			n.trades += x
			need -= x
		}
	}
}

// bandHi and bandLo bound the taker-buy quote volume of node n when t of
// its lots are taker buys: the buys at the high (low) as far as the sells
// can then be at the low (high).
func (n *node) bandHi(t int64) int64 { return min(t*n.h, n.qv-(n.vol-t)*n.l) }
func (n *node) bandLo(t int64) int64 { return max(t*n.l, n.qv-(n.vol-t)*n.h) }

// fixTakers adjusts the children's taker-buy volumes (n.tbb) before their
// quote volumes are split: a child with one trade takes one side only
// (all its volume or none), and then, if the parent's taker-buy quote
// volume lies outside the sum of the children's bands, taker-buy lots
// move from the children where they reach least toward it to those where
// they reach most, until it lies inside.
func fixTakers(kids []node, p *node) {
	for i := range kids {
		n := &kids[i]
		if n.trades != 1 || n.tbb == 0 || n.tbb == n.vol {
			continue
		}
		// The nearer side first, else the other.
		for _, to := range [2]int64{n.vol * boolInt(2*n.tbb >= n.vol), n.vol * boolInt(2*n.tbb < n.vol)} {
			if shiftTakers(kids, i, to-n.tbb) {
				n.tbb = to
				break
			}
		}
	}
	var sLo, sHi int64
	for i := range kids {
		sLo += kids[i].bandLo(kids[i].tbb)
		sHi += kids[i].bandHi(kids[i].tbb)
	}
	up := p.tbq > sHi
	if !up && p.tbq >= sLo {
		return
	}
	for range 64 {
		need := p.tbq - sHi // > 0 when up
		if !up {
			need = sLo - p.tbq
		}
		if need <= 0 {
			return
		}
		// The receiver gains most band (up: hi) per lot, the donor
		// loses least.
		r, d := -1, -1
		var gain, loss int64
		for i := range kids {
			n := &kids[i]
			if n.trades < 2 {
				continue
			}
			if n.tbb < n.vol {
				g := n.bandHi(n.tbb+1) - n.bandHi(n.tbb)
				if !up {
					g = n.bandLo(n.tbb) - n.bandLo(n.tbb+1)
				}
				if r < 0 || g > gain {
					r, gain = i, g
				}
			}
		}
		for i := range kids {
			n := &kids[i]
			if i == r || n.trades < 2 || n.tbb == 0 {
				continue
			}
			l := n.bandHi(n.tbb) - n.bandHi(n.tbb-1)
			if !up {
				l = n.bandLo(n.tbb-1) - n.bandLo(n.tbb)
			}
			if d < 0 || l < loss {
				d, loss = i, l
			}
		}
		if r < 0 || d < 0 || gain <= loss {
			return
		}
		a, b := &kids[r], &kids[d]
		k := min((need+gain-loss-1)/(gain-loss), a.vol-a.tbb, b.tbb)
		sLo -= a.bandLo(a.tbb) + b.bandLo(b.tbb)
		sHi -= a.bandHi(a.tbb) + b.bandHi(b.tbb)
		a.tbb += k
		b.tbb -= k
		sLo += a.bandLo(a.tbb) + b.bandLo(b.tbb)
		sHi += a.bandHi(a.tbb) + b.bandHi(b.tbb)
	}
}

// shiftTakers moves d taker-buy lots out of the children other than i
// (d < 0: into them) among those with two trades or more, and reports
// whether they could hold it (nothing moves if not).
func shiftTakers(kids []node, i int, d int64) bool {
	var room int64
	for j := range kids {
		n := &kids[j]
		if j == i || n.trades < 2 {
			continue
		}
		if d > 0 {
			room += n.tbb
		} else {
			room += n.vol - n.tbb
		}
	}
	if room < abs64(d) {
		return false
	}
	for j := range kids {
		n := &kids[j]
		if j == i || n.trades < 2 || d == 0 {
			continue
		}
		if d > 0 {
			x := min(d, n.tbb)
			n.tbb -= x
			d -= x
		} else {
			x := min(-d, n.vol-n.tbb)
			n.tbb += x
			d += x
		}
	}
	return true
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// tiltTakers tilts the children's taker-buy targets (g.tgt, lots) so that
// their taker-buy lots, each at its child's VWAP, sum to the parent's
// taker-buy quote volume: a linear tilt toward the children priced like
// the parent's buys, solved in closed form and spread over all children
// (so shares move a little everywhere rather than saturating a few). The
// children's taker-buy quote volumes then sit near the middle of what
// their own taker-buy volumes allow, all the way down.
func (g *gen) tiltTakers(kids []node, p *node, k int) {
	if p.vol == 0 || p.tbb == 0 {
		return
	}
	var st float64
	for i := 0; i < k; i++ {
		st += g.tgt[i]
	}
	if st <= 0 {
		return
	}
	vbar := float64(p.qv) / float64(p.vol)
	var sa, sbb float64
	for i := 0; i < k; i++ {
		n := &kids[i]
		g.tgt[i] *= float64(p.tbb) / st // a: the parent's taker-buy lots, shared
		if n.vol == 0 {
			continue
		}
		v := float64(n.qv) / float64(n.vol)
		sa += g.tgt[i] * v
		d := v - vbar
		sbb += float64(n.vol) * d * d
	}
	if sbb <= 0 {
		return
	}
	th := (float64(p.tbq) - sa) / sbb
	for i := 0; i < k; i++ {
		n := &kids[i]
		if n.vol == 0 {
			continue
		}
		x := g.tgt[i] + th*float64(n.vol)*(float64(n.qv)/float64(n.vol)-vbar)
		g.tgt[i] = max(0, min(float64(n.vol), x))
	}
}

// absorbMargin keeps the VWAPs of the leaves that absorb their minute's
// differences an eighth of their range off their extremes, where it can.
const absorbMargin = 8

// minuteLeaves splits every 10s block of a minute (kids, the children of
// minute pidx) into its leaves ahead, keeps them (g.qleaf) and sets their
// quote volumes so that every leaf's tape adds up exactly (tapegen.go): a
// block's leaves do not depend on its quote volumes, so the minute's go
// to its leaves directly, and each block's are then the sum of its
// leaves'. A leaf of few free prints (natural) takes its natural draw's
// quote volumes, per side; the rest of the minute's, per side, goes to
// the leaves that absorb (two free prints per side: the repair solves
// them), each starting from its split and moving in proportion to its
// room toward the target, with its VWAPs an eighth of its range off its
// extremes, then up to its band's (absorbBand); the natural leaves then
// move within their draws' room (adjust), and what even that cannot hold
// makes lots move between the leaves (shiftLots) and the quote volumes
// shared again, up to maxShifts rounds. What is left is the minute's
// lift, which its block gave a sibling (carry.go), and not placed; what
// is left beyond it (g.miss: carry.go asks for it) goes to the other
// leaves up to their extremes (their tapes then miss), past them with
// their ranges widened inside the minute's (widenFor), and last to the
// leaf of most lots of the side, widened as far. The minute's totals,
// its lift aside, do not change; its blocks' volumes and quote volumes
// are their leaves' sums.
//
// A quiet minute (quiet.go) takes its quote volumes from below: every
// leaf that does not absorb takes its natural draw, those that absorb
// their split's, and the minute's quote volumes are their sums (want
// nil: quietQuote asking what they are) or, given, what the leaves reach
// as above (its 15-minute block could not hold the sums).
func (g *gen) minuteLeaves(kids []node, pidx int64, quiet bool, want *node, lift [2]int64) {
	if g.tg == nil {
		g.tg = &tapeGen{}
	}
	k := len(kids)
	fan := levels[leafLevel].fan
	g.nested = true
	for i := range kids {
		g.splitMicro(leafLevel, &kids[i], pidx*int64(k)+int64(i))
		copy(g.qleaf[i][:fan], g.kids[leafLevel][:fan])
	}
	g.nested = false
	g.count[leafLevel] = 0 // the nested splits overwrote the leaves
	g.qmask, g.qbase = 1<<k-1, pidx*int64(k)
	g.oneSided(k, fan)
	var p node // the minute's totals, from its blocks
	for i := range kids {
		p.qv += kids[i].qv
		p.tbq += kids[i].tbq
	}
	if want != nil {
		p.qv, p.tbq = want.qv, want.tbq
	}
	// The quote volumes, then, where the leaves cannot hold them, lots
	// moving between leaves (shiftLots) and the quote volumes again.
	for i := range g.lstale {
		g.lstale[i] = true
	}
	rest := g.leafQuotes(kids, &p, quiet, want == nil)
	var prev [2][2]int64
	wide := false
	for try := 0; try < 2*maxShifts && rest != [2]int64{}; try++ {
		// Where the moves run out, go back and forth or take maxShifts
		// tries, the donors whose lots make up the most (wide) carry on,
		// to 2·maxShifts tries in all.
		if !wide && try == maxShifts {
			wide, prev = true, [2][2]int64{}
		}
		if (prev != [2][2]int64{} && rest == prev[0]) || !g.shiftLots(kids, rest, wide) {
			if wide {
				break
			}
			wide, prev = true, [2][2]int64{}
			continue
		}
		prev[0], prev[1] = prev[1], rest
		rest = g.leafQuotes(kids, &p, quiet, want == nil)
	}
	// Last, leaves that absorb widen their range inside the minute's
	// toward the miss (widenLeaf), and the quote volumes are shared again.
	for w := 0; w < 4 && rest != [2]int64{} && g.widenLeaf(kids, rest); w++ {
		rest = g.leafQuotes(kids, &p, quiet, want == nil)
	}
	H, L := kids[0].h, kids[0].l // the minute's extremes
	for i := range kids {
		H, L = max(H, kids[i].h), min(L, kids[i].l)
	}
	var hit [qFan * maxFan]bool // the leaves the rest went to
	// What the block carried to a sibling is not placed (carry.go); what
	// is left is the leaves' miss.
	rest[0] -= lift[0]
	rest[1] -= lift[1]
	g.miss = rest
	for side := 0; side < 2; side++ {
		// What they cannot hold goes to the other leaves, most room
		// first, as far as leaves each a lot for each of its pinned
		// prices (their tapes may then miss).
		g.placeRest(kids, side, &rest[side], true, &hit, false)
		// What that cannot hold: the ranges of those leaves widen
		// inside the minute's, so that the side's VWAP of each stays
		// inside its range, most room first. (Not other leaves, whose
		// tapes add up: widening any leaf made twice as many seconds
		// miss on the wide tape samples.)
		for rest[side] != 0 {
			if !g.widenFor(kids, side, &rest[side], H, L, &hit) {
				break
			}
		}
		// What they cannot hold goes to the leaf of most lots of the
		// side among those that can widen to hold it all inside the
		// minute's range: its VWAP moves least, and one leaf misses.
		// Else to the leaves it went to up to their extremes, and last
		// to the leaf of most lots of all: a side without lots keeps no
		// quote volume. (The leaf of most trades took it once: a second
		// of a few one-lot buys was served a negative sells' quote
		// volume. Measured at 98df311: every leaf up to its extremes
		// before any widened left 310 seconds of the wide tape samples
		// with no lot for a pinned price and 430 of the 2024 sample not
		// exact, this order 90 and 209, any leaf up to its extremes in
		// the second pass 246 and 371.)
		for pass := 0; pass < 2 && rest[side] != 0; pass++ {
			if pass == 1 {
				g.placeRest(kids, side, &rest[side], false, &hit, true)
			}
			if top := g.mostLots(kids, side, rest[side], H, L, pass == 0); rest[side] != 0 && top >= 0 {
				n := &g.qleaf[top/maxFan][top%maxFan]
				n.addQuote(side, rest[side])
				n.widenToVWAP(&kids[top/maxFan], side, H, L)
				rest[side] = 0
			}
		}
	}
	for i := range kids {
		c := &kids[i]
		c.vol, c.qv, c.tbq, c.tbb = 0, 0, 0, 0
		for j := 0; j < fan; j++ {
			c.vol += g.qleaf[i][j].vol
			c.qv += g.qleaf[i][j].qv
			c.tbq += g.qleaf[i][j].tbq
			c.tbb += g.qleaf[i][j].tbb
		}
	}
}

// mostLots is the leaf (i·maxFan+j) of the most lots of side among the
// minute's (kids), with wide only among those that can widen to hold rest
// inside the minute's range (H, L): -1 if none.
func (g *gen) mostLots(kids []node, side int, rest, H, L int64, wide bool) int {
	up := rest > 0
	top, most := -1, int64(0)
	for i := range kids {
		for j := 0; j < levels[leafLevel].fan; j++ {
			n := &g.qleaf[i][j]
			z, _ := n.sideOf(side)
			if z <= most {
				continue
			}
			if wide && (!n.canWiden(up) || n.reach(side, up, H, L) < abs64(rest)) {
				continue
			}
			top, most = i*maxFan+j, z
		}
	}
	return top
}

// placeRest moves rest (one side's quote volume, 0 buys, 1 sells, that
// the minute's leaves kids could not hold) onto the leaves that do not
// absorb (with onlyHit, those marked in hit), most room first (sideRoom,
// with pins or not), marking them in hit, until it is placed or no leaf
// has room.
func (g *gen) placeRest(kids []node, side int, rest *int64, pins bool, hit *[qFan * maxFan]bool, onlyHit bool) {
	fan := levels[leafLevel].fan
	for *rest != 0 {
		best, room := -1, int64(0)
		for i := range kids {
			for j := 0; j < fan; j++ {
				n := &g.qleaf[i][j]
				if n.trades == 0 || n.absorbs() || onlyHit && !hit[i*maxFan+j] {
					continue
				}
				if r := sideRoom(n, side == 0, *rest > 0, pins); r > room {
					best, room = i*maxFan+j, r
				}
			}
		}
		if best < 0 {
			return
		}
		x := min(room, abs64(*rest))
		if *rest < 0 {
			x = -x
		}
		g.qleaf[best/maxFan][best%maxFan].addQuote(side, x)
		*rest -= x
		hit[best] = true
	}
}

// widenFor moves as much of rest (one side's quote volume, 0 buys, 1
// sells, that the minute's leaves could not hold at their extremes) as
// fits onto the leaf among hit whose side reaches farthest toward the
// minute's extreme (H if rest > 0, else L) and whose trades can print a
// new extreme (canWiden), and widens that leaf's range (and its block's)
// to hold the side's new VWAP. It reports whether it moved any.
func (g *gen) widenFor(kids []node, side int, rest *int64, H, L int64, hit *[qFan * maxFan]bool) bool {
	fan := levels[leafLevel].fan
	up := *rest > 0
	best, room := -1, int64(0)
	for i := range kids {
		for j := 0; j < fan; j++ {
			if !hit[i*maxFan+j] {
				continue
			}
			n := &g.qleaf[i][j]
			if !n.canWiden(up) {
				continue
			}
			if z, _ := n.sideOf(side); z > 0 {
				if r := n.reach(side, up, H, L); r > room {
					best, room = i*maxFan+j, r
				}
			}
		}
	}
	if best < 0 {
		return false
	}
	x := min(room, abs64(*rest))
	if !up {
		x = -x
	}
	n := &g.qleaf[best/maxFan][best%maxFan]
	n.addQuote(side, x)
	*rest -= x
	n.widenToVWAP(&kids[best/maxFan], side, H, L)
	return true
}

// addQuote adds x to leaf n's quote volume of one side (0 buys, 1
// sells).
func (n *node) addQuote(side int, x int64) {
	if side == 0 {
		n.tbq += x
	}
	n.qv += x
}

// reach is how far leaf n's side (0 buys, 1 sells) can move its quote
// volume up to the minute's high H (up), else down to its low L, with the
// leaf's range widened that far.
func (n *node) reach(side int, up bool, H, L int64) int64 {
	z, q := n.sideOf(side)
	if up {
		return z*H - q
	}
	return q - z*L
}

// widenToVWAP widens leaf n's range (and its block b's) to hold its
// side's VWAP, inside the minute's [L, H], where its trades can print the
// new extreme (canWiden).
func (n *node) widenToVWAP(b *node, side int, H, L int64) {
	z, q := n.sideOf(side)
	if n.canWiden(true) {
		n.h = max(n.h, min(H, ceilDiv(q, z)))
		// And far enough that the whole leaves a lot at each pinned
		// price below (its VWAP on its high would leave none).
		for _, hi := n.pinnedQV(); n.h < H && n.qv > hi; _, hi = n.pinnedQV() {
			n.h++
		}
	}
	if n.canWiden(false) {
		n.l = min(n.l, max(L, floorDiv(q, z)))
		for lo, _ := n.pinnedQV(); n.l > L && n.qv < lo; lo, _ = n.pinnedQV() {
			n.l--
		}
	}
	b.h, b.l = max(b.h, n.h), min(b.l, n.l)
}

// canWiden reports whether leaf n's trades can print a new high (up) or
// low beyond its range: one trade a distinct price of open, high, low and
// close (a second of one trade is flat).
func (n *node) canWiden(up bool) bool {
	if up {
		return pinsOf(n.o, n.h+1, n.l, n.c) <= n.trades
	}
	return pinsOf(n.o, n.h, n.l-1, n.c) <= n.trades
}

// widenLeaf widens the range of one leaf that absorbs, inside the
// minute's (its blocks' extremes), toward the side that misses most (rest:
// buys, sells): its high up or its low down by as many ticks as that
// side's lots there would need, so that its band reaches the rest. The
// leaf keeps enough free trades to absorb (one of them now prints the new
// extreme); its block's extreme follows. It reports whether it widened one.
func (g *gen) widenLeaf(kids []node, rest [2]int64) bool {
	fan := levels[leafLevel].fan
	H, L := kids[0].h, kids[0].l
	for i := range kids {
		H, L = max(H, kids[i].h), min(L, kids[i].l)
	}
	side := 0
	if abs64(rest[1]) > abs64(rest[0]) {
		side = 1
	}
	for range 2 {
		r := rest[side]
		if r != 0 {
			up := r > 0
			best, bi := int64(0), -1
			for i := range kids {
				for j := 0; j < fan; j++ {
					n := &g.qleaf[i][j]
					x := i*maxFan + j
					if n.trades == 0 || g.lkind[x] != leafAbsorbs {
						continue
					}
					z, _ := n.sideOf(side)
					h, l, d := n.h, n.l, H-n.h
					if up {
						h = H
					} else {
						l, d = L, n.l-L
					}
					if z < 3 || d <= 0 || n.trades < pinsOf(n.o, h, l, n.c)+naturalFree {
						continue
					}
					if gain := z * d; gain > best {
						best, bi = gain, x
					}
				}
			}
			if bi >= 0 {
				n := &g.qleaf[bi/maxFan][bi%maxFan]
				z, _ := n.sideOf(side)
				d := ceilDiv(abs64(r), z) + 1
				b := &kids[bi/maxFan]
				if up {
					n.h = min(H, n.h+d)
					b.h = max(b.h, n.h)
				} else {
					n.l = max(L, n.l-d)
					b.l = min(b.l, n.l)
				}
				g.lstale[bi] = true
				return true
			}
		}
		side = 1 - side
	}
	return false
}

// leafQuotes sets the quote volumes of the minute's leaves (g.qleaf, the
// blocks of kids) so that they sum to p's, per side, as far as they can
// (minuteLeaves), and returns what they could not hold (buys, sells).
// With own set (a quiet minute's own sums asked for), p takes the
// leaves' sums.
func (g *gen) leafQuotes(kids []node, p *node, quiet, own bool) (rest [2]int64) {
	fan := levels[leafLevel].fan
	// The leaves that absorb (g.ab: block*maxFan+leaf); the others fixed.
	var fixB, fixS int64
	na := 0
	for i := range kids {
		for j := 0; j < fan; j++ {
			n := &g.qleaf[i][j]
			x := i*maxFan + j
			if g.lstale[x] {
				g.lstale[x] = false
				g.lkind[x] = 0
				g.nroom0[x] = [4]int64{}
				n.nat = false
				switch {
				case n.trades == 0:
				case n.natural() || (quiet && !n.absorbs()):
					g.lkind[x] = leafNatural
					n.nat = !n.natural() // (a quiet minute's)
					g.nq[x][0], g.nq[x][1] = g.tg.naturalQuote(g.s, floorDiv(n.t0, secMs), n, false)
					if n.h != n.l {
						r := &g.nroom0[x]
						r[0], r[1] = g.tg.adjustRoom(true, n)
						r[2], r[3] = g.tg.adjustRoom(false, n)
					}
				case n.absorbs():
					g.lkind[x] = leafAbsorbs
				}
			}
			g.nroom[x] = g.nroom0[x]
			switch {
			case n.trades == 0:
				continue
			case g.lkind[x] == leafNatural:
				n.qv, n.tbq = g.nq[x][0], g.nq[x][1]
			case g.lkind[x] == leafAbsorbs:
				g.ab[na] = x
				na++
				continue
			}
			fixB += n.tbq
			fixS += n.qv - n.tbq
		}
	}
	if quiet && own {
		// The leaves that absorb keep their split's, inside the band
		// absorb first holds them in.
		p.qv, p.tbq = fixB+fixS, fixB
		for a := 0; a < na; a++ {
			n := &g.qleaf[g.ab[a]/maxFan][g.ab[a]%maxFan]
			for side, q := range [2]int64{n.tbq, n.qv - n.tbq} {
				lo, hi := absorbBand(n, side == 0, absorbMargin)
				q = max(lo, min(hi, q))
				p.qv += q
				if side == 0 {
					p.tbq += q
				}
			}
		}
	}
	for side := 0; side < 2; side++ {
		target := p.tbq - fixB
		if side == 1 {
			target = p.qv - p.tbq - fixS
		}
		r := target
		for _, div := range [2]int64{absorbMargin, 0} {
			if r = g.absorb(na, side == 0, target, div); r == 0 {
				break
			}
		}
		// What they cannot hold goes to the natural leaves, exactly
		// (adjust).
		rest[side] = r - g.natAdjust(kids, side, r)
	}
	return rest
}

// Leaf kinds (gen.lkind).
const (
	leafNatural = 1 + iota
	leafAbsorbs
)

// maxShifts bounds the rounds of shiftLots in a minute.
const maxShifts = 64

// shiftLots moves lots between the leaves of a minute whose quote
// volumes missed by rest (buys, sells) so that the sides can reach
// further toward their targets, and reports whether it moved any: where
// the sides miss in opposite directions, buy lots trade places with sell
// lots (moveLots, swap: the leaves' volumes stay); else, where two
// natural leaves that trade a side at one price each make up its miss
// exactly, that (exactLots); else lots of the side missing most (then of
// the other) move from the leaf where they reach least toward its target
// to the one where they reach most, as many as that would take (moveLots;
// wide: from the leaf whose lots make up most of the miss). A leaf that absorbs can
// take its lots up to its extremes, a natural one near its side's VWAP.
// Leaves keep a lot per trade and a single trade one side; the minute's
// volumes do not change.
func (g *gen) shiftLots(kids []node, rest [2]int64, wide bool) bool {
	big := 0
	if abs64(rest[1]) > abs64(rest[0]) {
		big = 1
	}
	if rest[0] != 0 && rest[1] != 0 && (rest[0] > 0) != (rest[1] > 0) && g.moveLots(kids, rest, 0, true, false) {
		return true
	}
	if g.exactLots(kids, rest, big) || g.exactLots(kids, rest, 1-big) {
		return true
	}
	return (rest[big] != 0 && g.moveLots(kids, rest, big, false, wide)) || (rest[1-big] != 0 && g.moveLots(kids, rest, 1-big, false, wide))
}

// exactLots makes up one side's miss exactly where two natural leaves
// trade all their lots of that side at one price each (sidePrice): k lots
// from the one at price p to the one at p + rest/k, the fewest lots that
// do. It reports whether it moved any.
func (g *gen) exactLots(kids []node, rest [2]int64, side int) bool {
	r := rest[side]
	if r == 0 {
		return false
	}
	fan := levels[leafLevel].fan
	d, t := -1, -1
	var best int64
	for i := 0; i < len(kids)*maxFan; i++ {
		D := &g.qleaf[i/maxFan][i%maxFan]
		if i%maxFan >= fan || g.lkind[i] != leafNatural {
			continue
		}
		pD, keep := sidePrice(D, side)
		if keep == 0 {
			continue
		}
		z, _ := D.sideOf(side)
		spare := min(z-keep, D.vol-D.trades) // lots D can give
		for j := 0; j < len(kids)*maxFan && spare > 0; j++ {
			R := &g.qleaf[j/maxFan][j%maxFan]
			if j%maxFan >= fan || j == i || g.lkind[j] != leafNatural {
				continue
			}
			pR, ok := sidePrice(R, side)
			if ok == 0 || pR == pD || r%(pR-pD) != 0 {
				continue
			}
			if k := r / (pR - pD); k >= 1 && k <= spare && (d < 0 || k < best) {
				d, t, best = i, j, k
			}
		}
	}
	if d < 0 {
		return false
	}
	D, R := &g.qleaf[d/maxFan][d%maxFan], &g.qleaf[t/maxFan][t%maxFan]
	D.vol -= best
	R.vol += best
	if side == 0 {
		D.tbb -= best
		R.tbb += best
	}
	g.lstale[d], g.lstale[t] = true, true
	return true
}

// sideOf is n's lots and quote volume of one side (0 buys, 1 sells).
func (n *node) sideOf(side int) (lots, quote int64) {
	if side == 0 {
		return n.tbb, n.tbq
	}
	return n.vol - n.tbb, n.qv - n.tbq
}

// sidePrice is the one price at which natural leaf n trades every lot of
// a side (0 buys), whatever their number, and the lots of the side it
// must keep (0: none such). A leaf of one trade on that side trades at
// its open; a flat leaf at its price; a leaf of two trades, one a side, at
// the price of that side's print (its natural draw's quote volume over
// its lots), which a change of lots does not move while both sides keep
// one.
func sidePrice(n *node, side int) (p, keep int64) {
	z, q := n.sideOf(side)
	switch {
	case z <= 0:
		return 0, 0
	case n.trades == 1 && z == n.vol:
		return n.o, 1
	case n.h == n.l && n.trades > 1:
		return n.o, n.trades
	case n.trades == 2 && z < n.vol && q%z == 0 && (q/z == n.o || q/z == n.c):
		return q / z, 1
	}
	return 0, 0
}

// moveLots is one move of shiftLots: lots of one side (side 0: buys)
// from one leaf to another, or (swap) buy lots against sell lots.
func (g *gen) moveLots(kids []node, rest [2]int64, side int, swap, wide bool) bool {
	up := rest[side] > 0
	buy := side == 0
	fan := levels[leafLevel].fan
	// The price a side's lot of leaf n reaches (up: as high as).
	reach := func(n *node, x int) int64 {
		if g.lkind[x] == leafAbsorbs {
			if up {
				return n.h
			}
			return n.l
		}
		z, q := n.tbb, n.tbq
		if !buy {
			z, q = n.vol-n.tbb, n.qv-n.tbq
		}
		if z == 0 {
			return (n.h + n.l) / 2
		}
		return q / z
	}
	better := func(a, b int64) bool { return (up && a > b) || (!up && a < b) }
	d, r := -1, -1
	var dv, rv int64
	for i := range kids {
		for j := 0; j < fan; j++ {
			n := &g.qleaf[i][j]
			x := i*maxFan + j
			if n.trades == 0 || g.lkind[x] == 0 {
				continue
			}
			z, _ := n.sideOf(side)
			v := reach(n, x)
			// The donor gives a lot of the side; the receiver takes it
			// (swap: and gives a lot of the other side).
			give := z > 0 && n.vol > n.trades
			take := n.trades > 1 || z == n.vol
			if swap {
				give = z > 0 && n.trades > 1
				take = n.vol-z > 0 && n.trades > 1
			}
			if give && (d < 0 || better(dv, v)) {
				d, dv = x, v
			}
			if take && (r < 0 || better(v, rv)) {
				r, rv = x, v
			}
		}
	}
	if wide && r >= 0 && !swap {
		// The donor whose lots make up most of the rest at the
		// receiver's price, not merely the farthest.
		d = -1
		var most int64
		for i := range kids {
			for j := 0; j < fan; j++ {
				n := &g.qleaf[i][j]
				x := i*maxFan + j
				if n.trades == 0 || g.lkind[x] == 0 || x == r {
					continue
				}
				z, _ := n.sideOf(side)
				v := reach(n, x)
				if z <= 0 || n.vol <= n.trades || !better(rv, v) {
					continue
				}
				if m := min(abs64(v-rv)*min(z, n.vol-n.trades), abs64(rest[side])); m > most {
					d, dv, most = x, v, m
				}
			}
		}
	}
	if d < 0 || r < 0 || d == r || dv == rv {
		return false
	}
	D, R := &g.qleaf[d/maxFan][d%maxFan], &g.qleaf[r/maxFan][r%maxFan]
	gain := abs64(rv - dv)
	z, _ := D.sideOf(side)
	k := min((abs64(rest[side])+gain-1)/gain, z)
	if swap {
		k = min(k, R.vol-R.tbb)
	} else {
		k = min(k, D.vol-D.trades)
		D.vol -= k
		R.vol += k
	}
	if buy {
		D.tbb -= k
		R.tbb += k
	}
	g.lstale[d], g.lstale[r] = true, true
	return true
}

// oneSided makes every leaf of a single trade (of the k blocks' leaves
// g.qleaf) a buy or a sell: its taker-buy lots move to the minute's
// leaves of two trades or more (the nearer side first), where its block
// could not move them (fixTakers). The minute's taker-buy volume does not
// change; the blocks' are their leaves' sums again (minuteLeaves). Where
// the others cannot take them either way (a trade of most of the
// minute's volume, and more of it than its buys or its sells), the
// leaf's lesser side itself moves to the leaf of most trades that can
// trade it: the leaf's volume shrinks to its trade, the minute's stays.
// (13 seconds of one trade on the wide tape samples were both a buy and
// a sell.)
func (g *gen) oneSided(k, fan int) {
	for i := 0; i < k; i++ {
		for j := 0; j < fan; j++ {
			n := &g.qleaf[i][j]
			if n.trades != 1 || n.tbb == 0 || n.tbb == n.vol {
				continue
			}
			for _, to := range [2]int64{n.vol * boolInt(2*n.tbb >= n.vol), n.vol * boolInt(2*n.tbb < n.vol)} {
				if g.shiftMinute(k, fan, n.tbb-to) {
					n.tbb = to
					break
				}
			}
			if n.tbb != 0 && n.tbb != n.vol {
				g.shedSide(k, fan, n)
			}
		}
	}
	g.partOneTrades(k, fan)
}

// partOneTrades is oneSided's last resort, for a minute whose leaves of
// a single trade are all it has to take their sides (no leaf of two
// trades or more, none of one trade of the side to shed): those leaves
// are parted into buys and sells, lots moving between them so that the
// buys hold the minute's taker-buy lots, each leaf a lot at least. (Seen
// once in 3.7M seconds: a minute of three one-trade seconds of 88, 40 and
// 19 lots and 60 taker-buy lots, whose seconds stayed both buys and
// sells.)
func (g *gen) partOneTrades(k, fan int) {
	var ones [qFan * maxFan]*node
	n, split := 0, false
	var buys int64
	for i := 0; i < k; i++ {
		for j := 0; j < fan; j++ {
			l := &g.qleaf[i][j]
			if l.trades != 1 {
				continue
			}
			ones[n] = l
			n++
			buys += l.tbb
			split = split || l.tbb != 0 && l.tbb != l.vol
		}
	}
	if !split || n < 2 {
		return
	}
	ls := ones[:n]
	slices.SortFunc(ls, func(a, b *node) int { return cmp.Compare(b.vol, a.vol) })
	// The largest that fit are buys, the rest sells.
	rest := buys
	var buyer, seller *node
	for _, l := range ls {
		if l.vol <= rest {
			l.tbb = l.vol
			rest -= l.vol
			buyer = l
		} else {
			l.tbb = 0
			if seller == nil || l.vol > seller.vol {
				seller = l
			}
		}
	}
	if rest == 0 {
		return
	}
	// The buys left over: into a buy from the largest sell, which keeps
	// a lot; else the smallest sell turns buy and gives what it has
	// beyond them to the largest other sell.
	if buyer != nil && seller != nil && seller.vol > rest {
		seller.vol -= rest
		buyer.vol += rest
		buyer.tbb += rest
		return
	}
	small := ls[n-1]
	if small.tbb != 0 || small.vol <= rest {
		return // (no part found: the leaves keep their sides as they are)
	}
	var big *node
	for _, l := range ls {
		if l != small && l.tbb == 0 && (big == nil || l.vol > big.vol) {
			big = l
		}
	}
	if big == nil {
		return
	}
	big.vol += small.vol - rest
	small.vol, small.tbb = rest, rest
}

// shedSide moves the lesser side of one-trade leaf n (buys or sells) to
// the leaf of most trades among the k blocks' leaves that can trade it
// (two trades or more, or one of that side), so that n trades one side.
func (g *gen) shedSide(k, fan int, n *node) {
	buys := 2*n.tbb < n.vol // the side that goes
	x := n.vol - n.tbb
	if buys {
		x = n.tbb
	}
	var to *node
	for i := 0; i < k; i++ {
		for j := 0; j < fan; j++ {
			r := &g.qleaf[i][j]
			ok := r.trades >= 2 || r.trades == 1 && (buys && r.tbb == r.vol || !buys && r.tbb == 0)
			if r != n && ok && (to == nil || r.trades > to.trades) {
				to = r
			}
		}
	}
	if to == nil {
		return
	}
	n.vol -= x
	to.vol += x
	if buys {
		n.tbb -= x
		to.tbb += x
	}
}

// shiftMinute moves d taker-buy lots into the minute's leaves of two
// trades or more (d < 0: out of them), if they can hold them all.
func (g *gen) shiftMinute(k, fan int, d int64) bool {
	var room int64
	for i := 0; i < k; i++ {
		for j := 0; j < fan; j++ {
			n := &g.qleaf[i][j]
			if n.trades < 2 {
				continue
			}
			if d > 0 {
				room += n.vol - n.tbb
			} else {
				room += n.tbb
			}
		}
	}
	if room < abs64(d) {
		return false
	}
	for i := 0; i < k && d != 0; i++ {
		for j := 0; j < fan && d != 0; j++ {
			n := &g.qleaf[i][j]
			if n.trades < 2 {
				continue
			}
			if d > 0 {
				x := min(d, n.vol-n.tbb)
				n.tbb += x
				d -= x
			} else {
				x := min(-d, n.tbb)
				n.tbb -= x
				d += x
			}
		}
	}
	return true
}

// natAdjust moves one side's quote volumes (buys: side 0) of the
// natural leaves of a minute by up to want in all, within what each
// one's draw can move (g.nroom, then reduced by what it took), most
// room first, and returns how far it moved them.
func (g *gen) natAdjust(kids []node, side int, want int64) int64 {
	fan := levels[leafLevel].fan
	rest := want
	for rest != 0 {
		best, room := -1, int64(0)
		for i := range kids {
			for j := 0; j < fan; j++ {
				r := &g.nroom[i*maxFan+j]
				x := r[2*side+1]
				if rest < 0 {
					x = -r[2*side]
				}
				if x > room {
					best, room = i*maxFan+j, x
				}
			}
		}
		if best < 0 {
			break
		}
		x := min(room, abs64(rest))
		if rest < 0 {
			x = -x
		}
		r := &g.nroom[best]
		r[2*side] -= x // its room from where it now is
		r[2*side+1] -= x
		n := &g.qleaf[best/maxFan][best%maxFan]
		if side == 0 {
			n.tbq += x
		}
		n.qv += x
		rest -= x
	}
	return want - rest
}

// absorb moves one side's quote volumes (buys, else sells) of the na
// absorbing leaves g.ab so that they sum to target: each moves in
// proportion to its room toward it, within its band (VWAP 1/div of its
// range off its extremes; div 0: up to them). It returns what they
// could not hold; the first call (div > 0) starts them from their
// split's.
func (g *gen) absorb(na int, buy bool, target int64, div int64) int64 {
	var cur, room int64
	for a := 0; a < na; a++ {
		n := &g.qleaf[g.ab[a]/maxFan][g.ab[a]%maxFan]
		q := n.tbq
		if !buy {
			q = n.qv - n.tbq
		}
		lo, hi := absorbBand(n, buy, div)
		q = max(lo, min(hi, q)) // its own split's, inside the band
		g.aq[a], g.alo[a], g.ahi[a] = q, lo, hi
		cur += q
	}
	r := target - cur
	for a := 0; a < na; a++ {
		if r > 0 {
			room += g.ahi[a] - g.aq[a]
		} else {
			room += g.aq[a] - g.alo[a]
		}
	}
	give := max(-room, min(room, r)) // what the leaves take
	var cum, given int64
	for a := 0; a < na && room > 0; a++ {
		x := g.ahi[a] - g.aq[a]
		if r < 0 {
			x = g.aq[a] - g.alo[a]
		}
		cum += x
		y := mulDiv(cum, abs64(give), room) - given
		given += y
		if r < 0 {
			y = -y
		}
		n := &g.qleaf[g.ab[a]/maxFan][g.ab[a]%maxFan]
		q := g.aq[a] + y
		if buy {
			n.qv += q - n.tbq
			n.tbq = q
		} else {
			n.qv = n.tbq + q
		}
	}
	if room == 0 {
		for a := 0; a < na; a++ {
			n := &g.qleaf[g.ab[a]/maxFan][g.ab[a]%maxFan]
			if buy {
				n.qv += g.aq[a] - n.tbq
				n.tbq = g.aq[a]
			} else {
				n.qv = n.tbq + g.aq[a]
			}
		}
	}
	return r - give
}

// absorbBand is the band absorb moves one side's quote volume of leaf n
// in (buys, else sells): what the side reaches whichever of the leaf's
// pinned prints (pins: the first and the last, h and l) it holds,
// each pin a lot and the side's other lots anywhere in [l, h]; with div
// > 0, its VWAP also 1/div of the range off the extremes where that
// leaves a band.
func absorbBand(n *node, buy bool, div int64) (lo, hi int64) {
	z := n.tbb
	if !buy {
		z = n.vol - n.tbb
	}
	lo, hi = z*n.l+pinExcess(n, z, true), z*n.h-pinExcess(n, z, false)
	if div > 0 {
		m := z * (n.h - n.l) / div
		if l, h := max(lo, z*n.l+m), min(hi, z*n.h-m); l <= h {
			lo, hi = l, h
		}
	}
	return lo, hi
}

// pinnedQV is the quote volume leaf n's trades sum to at least and at
// most with a lot at each of its pinned prices and the rest at its low
// (its high).
func (n *node) pinnedQV() (lo, hi int64) {
	return n.vol*n.l + pinExcess(n, n.vol, true), n.vol*n.h - pinExcess(n, n.vol, false)
}

// pinExcess is the most that k of leaf n's pinned prints (the first at
// o, the last at c, and one at h and at l where they differ from both)
// add above its low (up: else below its high) over k
// lots at the low (the high).
func pinExcess(n *node, k int64, up bool) int64 {
	if n.h == n.l || k <= 0 {
		return 0
	}
	ref, sg := n.l, int64(1) // excess of p: (p - ref)·sg
	if !up {
		ref, sg = n.h, -1
	}
	x0, x1, x2, x3 := (n.o-ref)*sg, (n.c-ref)*sg, int64(0), int64(0)
	if n.h != n.o && n.h != n.c {
		x2 = (n.h - ref) * sg
	}
	if n.l != n.o && n.l != n.c {
		x3 = (n.l - ref) * sg
	}
	if k >= 4 {
		return x0 + x1 + x2 + x3
	}
	// The k largest of four (a sorting network, descending).
	if x0 < x1 {
		x0, x1 = x1, x0
	}
	if x2 < x3 {
		x2, x3 = x3, x2
	}
	if x0 < x2 {
		x0, x2 = x2, x0
	}
	if x1 < x3 {
		x1, x3 = x3, x1
	}
	if x1 < x2 {
		x1, x2 = x2, x1
	}
	switch k {
	case 1:
		return x0
	case 2:
		return x0 + x1
	}
	return x0 + x1 + x2
}

// absorbs reports whether leaf n can absorb its siblings' differences:
// two free prints per side (tapegen.go, repair), and each side a band
// whichever pins it holds (absorbBand).
func (n *node) absorbs() bool {
	B, S := n.tbb, n.vol-n.tbb
	if n.trades < n.pins()+naturalFree || (B != 0 && B < 3) || (S != 0 && S < 3) {
		return false
	}
	if B != 3 && S != 3 {
		return true // (four lots or more hold every pin: a band)
	}
	bl, bh := absorbBand(n, true, 0)
	sl, sh := absorbBand(n, false, 0)
	return bl <= bh && sl <= sh
}

// sideRoom is how far one side's quote volume of leaf n (buys, else
// sells) can move up (else down) inside its range; with pins, only as far
// as leaves the whole of it a lot at each of its pinned prices (a VWAP on
// its high leaves no trade to print its low).
func sideRoom(n *node, buy, up, pins bool) int64 {
	z, q := n.tbb, n.tbq
	if !buy {
		z, q = n.vol-n.tbb, n.qv-n.tbq
	}
	r := q - z*n.l
	if up {
		r = z*n.h - q
	}
	if pins {
		lo, hi := n.pinnedQV()
		all := n.qv - lo
		if up {
			all = hi - n.qv
		}
		r = min(r, all)
	}
	return max(0, r)
}
