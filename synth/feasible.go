package synth

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
// and exactLeaves and quietBlocks give small leaves the quote volumes
// their natural tapes reach (tapegen.go).

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
func fixTakers(kids []node, p *node, bands bool) {
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
	if !bands {
		return
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

// exactLeaves gives the leaves (1s children of a 10s node, after every
// split) quote volumes their tapes can reach exactly (tapegen.go): the
// leaves of few trades (natural) take their natural draws' Σ price×size
// per side, and the differences, per side, go to absorbers, leaves of more
// trades that solve their orders for them: most trades first, each taking
// what keeps its VWAPs an eighth of its range off its extremes. What is
// left goes to the leaf of most trades inside its prices (its tape then
// misses), else leaves return to their split one by one. The parent's
// totals do not change.
func (g *gen) exactLeaves(kids []node) {
	const absorbMargin = 8
	if g.tg == nil {
		g.tg = &tapeGen{}
	}
	tg := g.tg
	var rB, rS int64 // what the natural draws left over, buys and sells
	for i := range kids {
		n := &kids[i]
		g.olo[i], g.ohi[i] = n.qv, n.tbq
		if n.natural() {
			qv, tbq := tg.naturalQuote(g.s, floorDiv(n.t0, secMs), n, false)
			rB += n.tbq - tbq
			rS += (n.qv - n.tbq) - (qv - tbq)
			n.qv, n.tbq = qv, tbq
		}
	}
	done, top := uint32(0), -1
	for range kids {
		if rB == 0 && rS == 0 {
			return
		}
		a := -1
		for i := range kids {
			// (A small leaf's solver misses too often to absorb.)
			if done&(1<<i) == 0 && kids[i].absorbs() && (a < 0 || kids[i].trades > kids[a].trades) {
				a = i
			}
		}
		if a < 0 {
			break
		}
		if top < 0 {
			top = a
		}
		done |= 1 << a
		A := &kids[a]
		S := A.vol - A.tbb
		b0, s0 := A.tbq, A.qv-A.tbq
		// It takes only what keeps its VWAPs off its extremes (where the
		// solver may miss).
		mb, ms := A.tbb*(A.h-A.l)/absorbMargin, S*(A.h-A.l)/absorbMargin
		b := max(A.tbb*A.l+mb, min(A.tbb*A.h-mb, b0+rB))
		s := max(S*A.l+ms, min(S*A.h-ms, s0+rS))
		b = min(max(b, min(b0, b0+rB)), max(b0, b0+rB)) // never away from the target
		s = min(max(s, min(s0, s0+rS)), max(s0, s0+rS))
		A.qv, A.tbq = b+s, b
		rB -= A.tbq - b0
		rS -= A.qv - A.tbq - s0
	}
	// What is left goes to the leaf of most trades, as far as its prices
	// allow (its tape then misses); where they do not, leaves go back to
	// their split one by one (their tapes then solve for it) until they do.
	if top < 0 {
		for i := range kids {
			if kids[i].trades > 0 && (top < 0 || kids[i].trades > kids[top].trades) {
				top = i
			}
		}
	}
	n := &kids[top]
	S := n.vol - n.tbb
	for i := 0; ; i++ {
		b, s := n.tbq+rB, n.qv-n.tbq+rS
		if b >= n.tbb*n.l && b <= n.tbb*n.h && s >= S*n.l && s <= S*n.h {
			n.qv, n.tbq = b+s, b
			return
		}
		if i == len(kids) {
			break
		}
		if c := &kids[i]; i != top {
			rB += c.tbq - g.ohi[i]
			rS += (c.qv - c.tbq) - (g.olo[i] - g.ohi[i])
			c.qv, c.tbq = g.olo[i], g.ohi[i]
		}
	}
	for i := range kids {
		kids[i].qv, kids[i].tbq = g.olo[i], g.ohi[i]
	}
}

// quietMax is the most trades of a quiet 10s block: its leaves do not
// depend on its quote volumes, which quietBlocks sets from them.
const quietMax = naturalMax

// quietBlocks gives each quiet 10s block (children of a minute) whose
// trading leaves can all take their natural draws the quote volumes of
// those draws, so that every one of its leaves is exact (a block of few
// trades often has no leaf that can absorb the others' differences); the
// differences go to the other blocks, most trades first, each as far as
// its prices allow with its VWAPs an eighth of its range off its
// extremes (its own leaves then absorb them). If they cannot take it
// all, the blocks keep their split. The minute's totals do not change.
func (g *gen) quietBlocks(kids []node, pidx int64) {
	var q0, t0 [maxFan]int64
	var rB, rS int64
	quiet := uint32(0)
	g.qmask = 0
	for i := range kids {
		c := &kids[i]
		q0[i], t0[i] = c.qv, c.tbq
		if c.trades == 0 || c.trades > quietMax || i >= qFan {
			continue
		}
		q, t, ok := g.naturalBlock(c, pidx*int64(len(kids))+int64(i), &g.qleaf[i])
		if !ok {
			continue
		}
		quiet |= 1 << i
		rB += c.tbq - t
		rS += (c.qv - c.tbq) - (q - t)
		c.qv, c.tbq = q, t
	}
	if quiet != 0 {
		g.count[leafLevel] = 0 // the nested splits overwrote the leaves
	}
	done := quiet
	for range kids {
		if rB == 0 && rS == 0 {
			g.qmask, g.qbase = quiet, pidx*int64(len(kids))
			return
		}
		a := -1
		for i := range kids {
			if done&(1<<i) == 0 && kids[i].trades > 1 && (a < 0 || kids[i].trades > kids[a].trades) {
				a = i
			}
		}
		if a < 0 {
			break
		}
		done |= 1 << a
		A := &kids[a]
		S := A.vol - A.tbb
		b0, s0 := A.tbq, A.qv-A.tbq
		mb, ms := A.tbb*(A.h-A.l)/8, S*(A.h-A.l)/8
		b := max(A.tbb*A.l+mb, min(A.tbb*A.h-mb, b0+rB))
		s := max(S*A.l+ms, min(S*A.h-ms, s0+rS))
		b = min(max(b, min(b0, b0+rB)), max(b0, b0+rB))
		s = min(max(s, min(s0, s0+rS)), max(s0, s0+rS))
		A.qv, A.tbq = b+s, b
		rB -= b - b0
		rS -= s - s0
	}
	for i := range kids {
		kids[i].qv, kids[i].tbq = q0[i], t0[i]
	}
}

// naturalBlock splits quiet block c (10s node idx) into its leaves and
// returns the sum of their natural draws' quote volumes, all and the
// buys', if every trading leaf can take its natural draw; the leaves,
// with those quote volumes, go to out. It overwrites the cached leaves
// (the caller forgets them) and the split scratch.
func (g *gen) naturalBlock(c *node, idx int64, out *[maxFan]node) (qv, tbq int64, ok bool) {
	g.nested, g.moved = true, false
	g.splitMicro(leafLevel, c, idx)
	g.nested = false
	if g.moved {
		return 0, 0, false
	}
	if g.tg == nil {
		g.tg = &tapeGen{}
	}
	kids := g.kids[leafLevel][:levels[leafLevel].fan]
	for i := range kids {
		n := &kids[i]
		if n.trades == 0 {
			continue
		}
		if !n.natural() {
			return 0, 0, false
		}
		q, t := g.tg.naturalQuote(g.s, floorDiv(n.t0, secMs), n, false)
		n.qv, n.tbq = q, t
		qv += q
		tbq += t
	}
	copy(out[:], kids)
	return qv, tbq, true
}

// outsideRanges reports whether p's VWAP is outside what its children's
// volumes allow between their lows and highs (and records it in g.moved).
func (g *gen) outsideRanges(kids []node, p *node) bool {
	var lo, hi int64
	for i := range kids {
		lo += kids[i].vol * kids[i].l
		hi += kids[i].vol * kids[i].h
	}
	out := p.qv < lo || p.qv > hi
	g.moved = g.moved || out
	return out
}

// absorbs reports whether leaf n can absorb its siblings' differences:
// two free prints per side (tapegen.go, repair).
func (n *node) absorbs() bool { return n.trades >= n.pins()+naturalFree }
