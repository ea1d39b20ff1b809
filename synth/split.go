package synth

import "math"

// Tuning of the cascade and of the volume model, set against the realism
// report (TestRealism, `make realism`).
const (
	volBeta      = 0.7                // share of each volatility shock common to all symbols
	volOwn       = 0.7141428428542850 // sqrt(1 - volBeta²)
	actVol       = 1.0                // activity ∝ (variance weight)^actVol: volume follows volatility
	actNoise     = 0.15               // log-normal noise of activity beyond volatility
	volRet       = 1.0                // extra volume per unit of |standardized return|
	volRange     = 0.5                // extra volume per unit of standardized range
	volRetMinute = 3.0                // volRet for the minutes: a minute's volume follows its move
	takerTilt    = 0.12               // taker-buy share moves with the sign of the return
	takerSd      = 0.03               // and has some noise of its own
	tradeExp     = 0.85               // above a day: trades ∝ volume^tradeExp
	tradeBend    = 0.15               // below: trades ∝ x(1+b)/(1+bx), x relative volume
	tradeDamp    = 0.35               // down to the minutes the x of tradeBend is activity^tradeDamp
	tiltFloor    = 0.2                // the VWAP tilt leaves a child at least this share of its volume target

	// Jumps (gen.jump): in a split of jumpLevel, with probability
	// jumpRate (about four a month), one child gets an excess variance of
	// J² typical minutes,
	// J Pareto-distributed from jumpMin (tail exponent 2) up to jumpMax,
	// carried down to one minute; activity rises as the variance^jumpAct.
	jumpLevel = dayLevel // days, in the split of a 4-day node
	jumpLast  = minLevel
	jumpRate  = 0.5
	jumpMin   = 20.0
	jumpMax   = 60.0
	jumpAct   = 0.3
)

// draw makes the random draws of the k children of parent pidx at level
// L (opening at t0): unnormalized variance weights w, activity act, bridge
// innovations eps (and epsSym, the same without the exchange's noise), the
// exponentials e1, e2 for highs and lows, the taker noise nb, and uH, uL,
// where the parent's extremes fall inside their children.
//
// Symbols are tied together through the market stream, whose draws are
// the same for every symbol (the draw order is fixed): with probability
// equal to the symbol's loading a split takes all the draws that shape its
// path from the market (a mixture coupling, which keeps every law exact),
// otherwise its own, its volatility shocks still mixed with the market's.
// Activity noise and taker noise are always the symbol's own; the
// exchange's basis noise is added below basisLevel.
func (g *gen) draw(L, k int, t0, pidx int64) {
	s := g.s
	lv := &levels[L]
	mix := s.lvl[L]
	g.own.reset(nodeKey(s.key, L, pidx))
	g.mkt.reset(nodeKey(g.m.mktKey, L, pidx))
	g.ex.reset(nodeKey(s.exKey, L, pidx))
	// With probability beta the split takes the market's draws for the
	// shape of the path, otherwise its own (volatility still co-moves).
	follow := g.own.unit() < s.beta
	// The streams are independent, so each is drawn in one pass (the
	// order of the draws within a stream is what fixes the values).
	g.mkt.shapeDraws(k, &g.z, &g.e, &g.e1, &g.e2)
	if follow {
		g.uH, g.uL = g.mkt.unit(), g.mkt.unit()
	} else {
		for i := 0; i < k; i++ {
			g.z[i] = volBeta*g.z[i] + volOwn*g.own.normClip()
			g.e[i], g.e1[i], g.e2[i] = g.own.norm(), g.own.expo(), g.own.expo()
			g.nv[i], g.nb[i] = g.own.small()
		}
		g.uH, g.uL = g.own.unit(), g.own.unit()
	}
	if follow {
		g.own.smalls(k, &g.nv, &g.nb)
	}
	g.actKey = g.own.next()
	if mix.cx != 0 {
		g.ex.norms(k, &g.exn)
		if s.exRho != 0 {
			// A venue following another's noise (the index follows the
			// perpetual's venue): its own noise is the rest.
			g.ex.reset(nodeKey(s.exOwn, L, pidx))
			g.ex.norms(k, &g.nz)
			c := math.Sqrt(1 - s.exRho*s.exRho)
			for i := 0; i < k; i++ {
				g.exn[i] = s.exRho*g.exn[i] + c*g.nz[i]
			}
		}
	}
	for i := 0; i < k; i++ {
		z := g.z[i]
		sa, sv := 1.0, 1.0
		if L <= 6 {
			sa, sv = season(L, t0+int64(i)*lv.dur)
		}
		f := fastExp(lv.lam * z)
		g.w[i] = sv * f
		if lv.act == 1 && actVol == 1 {
			// The same factor; the noise's exponential to second order.
			a := actNoise * g.nv[i]
			g.act[i] = sa * f * (1 + a + a*a/2)
		} else {
			g.act[i] = sa * math.Exp(actVol*lv.act*lv.lam*z+actNoise*g.nv[i])
		}
		g.epsSym[i] = mix.co * g.e[i]
		g.eps[i] = g.epsSym[i]
		if mix.cx != 0 {
			g.eps[i] += mix.cx * g.exn[i]
		}
	}
	g.jumpKid, g.jumpE = -1, 0
	if L == jumpLevel || (g.pjx > 0 && L <= jumpLast) {
		g.jump(L, k)
	}
}

// jump starts a jump (with probability jumpRate, in a split of
// jumpLevel) or passes one on (in a split of a node carrying one): child
// jumpKid gets the excess variance jumpE on top of its share of the rest,
// and its own split does the same, down to a minute. Its siblings are as
// calm as they would be. A crash or a squeeze in one minute: rare extreme
// 1m returns, which give the returns their kurtosis without widening the
// bulk of the distribution (the cascade's log-normal weights cannot do
// one without the other). The activity of the child carrying the jump
// rises with its variance.
func (g *gen) jump(L, k int) {
	u := g.own.next()
	e := g.pjx
	if e == 0 {
		if unitOf(u) >= jumpRate {
			return
		}
		j := min(jumpMax, jumpMin/math.Sqrt(unitOf(mix64(u))+0x1p-53))
		minutes := float64(levels[L-1].dur / minMs)
		e = j * j * g.pv / minutes
	}
	j := int(u&0xffff) % k
	var sw float64
	for i := 0; i < k; i++ {
		sw += g.w[i]
	}
	// The child's normal share of what the parent has without the jump.
	share := g.w[j] / sw * max(0, g.pv-e)
	if share <= 0 {
		return
	}
	g.act[j] *= math.Pow((share+e)/share, jumpAct)
	g.jumpKid, g.jumpE = j, e
}

// splitMacro splits a node above the day level into its children, in log
// prices and float budgets; the children of level dayLevel (days) are then
// fixed in ticks and lots, and everything below them is exact.
func (g *gen) splitMacro(L int, p *node, pidx int64) {
	s := g.s
	k := levels[L].fan
	dur := levels[L].dur
	g.pjx, g.pv = p.jx, p.v
	g.draw(L, k, p.t0, pidx)
	var sw float64
	for i := 0; i < k; i++ {
		sw += g.w[i]
	}
	base := p.v - g.jumpE // what the children share; the jump goes on top
	for i := 0; i < k; i++ {
		g.w[i] *= base / sw
	}
	if g.jumpKid >= 0 {
		g.w[g.jumpKid] += g.jumpE
	}
	g.w0 = g.w
	iH, iL := g.shape(k, p.lo, p.lc, p.lh, p.ll, 1)
	var sa, st float64
	for i := 0; i < k; i++ {
		z := (g.b[i+1] - g.b[i]) / math.Sqrt(g.w[i])
		g.tgt[i] = g.act[i] * (1 + volRet*math.Abs(z))
		g.nb[i] = takerShare(z, g.nb[i])
		sa += fastPow(g.tgt[i], tradeExp)
		st += g.tgt[i]
	}
	for i := 0; i < k; i++ {
		n := &g.kids[L][i]
		*n = node{t0: p.t0 + int64(i)*dur, lo: g.b[i], lc: g.b[i+1], v: g.w[i]}
		n.lh = max(g.hr[i], n.lo, n.lc)
		n.ll = min(g.lr[i], n.lo, n.lc)
		n.fvol = p.fvol * g.tgt[i] / st
		n.ftr = p.ftr * fastPow(g.tgt[i], tradeExp) / sa
		if i == g.jumpKid {
			n.jx = g.jumpE
		}
	}
	g.kids[L][iH].lh = p.lh
	g.kids[L][iL].ll = p.ll
	if L == dayLevel {
		for i := 0; i < k; i++ {
			g.fixDay(&g.kids[L][i], g.nb[i], pidx*int64(k)+int64(i))
		}
	}
	_ = s
}

// fixDay turns a day's log prices and float budgets into ticks and lots.
// Consecutive days share the float at their boundary, so one day's close
// is the next day's open.
func (g *gen) fixDay(n *node, share float64, idx int64) {
	s := g.s
	n.o, n.c = g.ticks(n.lo), g.ticks(n.lc)
	n.h = max(g.ticks(n.lh), n.o, n.c)
	n.l = min(g.ticks(n.ll), n.o, n.c)
	n.trades = max(n.pins(), int64(math.Round(n.ftr)))
	n.vol = max(n.trades, int64(math.Round(n.fvol)))
	lo, hi := n.aim()
	n.qv = int64(math.Round(float64(n.vol) * max(lo, min(hi, g.pathVWAP(dayLevel, n, idx)))))
	n.tbb = int64(math.Round(float64(n.vol) * share))
	n.tbq = mulDiv(n.qv, n.tbb, n.vol)
	_ = s
}

func (g *gen) ticks(x float64) int64 {
	return max(1, int64(math.Round(math.Exp(x+g.s.shift))))
}

// takerShare is the taker-buy share of a block whose standardized return
// is z: above one half when the price rose.
func takerShare(z, noise float64) float64 {
	// Clamped to [0.05, 0.95] by comparisons: the same as max and min for
	// every input (NaN stays NaN, a zero becomes 0.05), shorter.
	s := 0.5 + takerTilt*z/(1+math.Abs(z)) + takerSd*noise
	if s > 0.95 {
		s = 0.95
	}
	if s < 0.05 {
		s = 0.05
	}
	return s
}

// splitMicro splits a node of level dayLevel or below into integer
// children whose aggregate is exactly the node.
func (g *gen) splitMicro(L int, p *node, pidx int64) {
	k := levels[L].fan
	dur := levels[L].dur
	kids := g.kids[L][:k]
	if L == leafLevel && !g.nested && p.trades > 0 {
		// The leaves minuteLeaves split ahead. (They are there whenever
		// the block came from its minute's split, as nodeSlow's do;
		// otherwise the minute is split again, to the same blocks.)
		j := pidx - g.qbase
		if g.qmask == 0 || uint64(j) >= qFan || g.qmask&(1<<j) == 0 {
			mi := floorDiv(pidx, qFan)
			g.splitMicro(leafLevel-1, g.node(leafLevel-2, mi), mi)
			j = pidx - g.qbase
		}
		copy(kids, g.qleaf[j][:k])
		return
	}
	if p.trades == 0 {
		for i := range kids {
			kids[i] = node{t0: p.t0 + int64(i)*dur, o: p.c, c: p.c, h: p.c, l: p.c}
		}
		return
	}
	lift := p.lift
	if L == leafLevel-1 && lift != [2]int64{} {
		// A minute whose block gave a sibling what its leaves could not
		// hold is split as its block split it ahead: with that, which
		// minuteLeaves then leaves over exactly (carry.go).
		g.pl = *p
		g.pl.qv += lift[0] + lift[1]
		g.pl.tbq += lift[0]
		p = &g.pl
	}
	var want *node // a quiet minute's quote volumes, where known
	if L == leafLevel-1 && p.quiet() {
		// A quiet minute's quote volumes are its leaves' natural
		// draws' (quietQuote): its split must not depend on them.
		if p.qv >= 0 {
			want = p
		}
		g.pq = *p
		g.pq.qv, g.pq.tbq = p.provisional()
		p = &g.pq
	}
	g.pjx, g.pv = p.jx, p.v
	memo := g.memoFor(L, p, pidx) // its dry split's draws and path (memo.go)
	if memo != nil {
		memo.loadDraw(g, k)
	} else {
		g.draw(L, k, p.t0, pidx)
		if g.rec != nil {
			g.rec.saveDraw(g, L, k, p, pidx)
		}
	}
	// Which children trade at all comes first: a child without trades
	// must be flat and empty. A child expecting n trades has none with
	// probability e^-n (Poisson); at least one child trades, and no more
	// children than there are trades. (The counts themselves are set
	// last, from the volumes.)
	g.activate(k, p.trades)
	var sw float64
	for i := 0; i < k; i++ {
		if g.tr[i] == 0 {
			g.w[i] = 0
		}
		sw += g.w[i]
	}
	if g.jumpKid >= 0 && g.tr[g.jumpKid] == 0 {
		g.jumpKid, g.jumpE = -1, 0 // a child that does not trade cannot jump
	}
	share := (p.v - g.jumpE) / sw
	for i := 0; i < k; i++ {
		g.w[i] *= share
	}
	if g.jumpKid >= 0 {
		g.w[g.jumpKid] += g.jumpE
	}
	price := float64(p.o+p.c) / 2
	g.w0 = g.w
	var iH, iL int
	if ok := false; memo != nil {
		iH, iL, ok = memo.loadShape(g, k)
		if !ok {
			memo = nil
		}
	}
	if memo == nil {
		iH, iL = g.shape(k, float64(p.o), float64(p.c), float64(p.h), float64(p.l), price)
		if g.rec != nil {
			g.rec.saveShape(g, k, iH, iL)
		}
	}
	g.bt[0], g.bt[k] = p.o, p.c
	for i := 1; i < k; i++ {
		g.bt[i] = g.round(g.b[i], p)
	}
	g.fitPins(k, p, &iH, &iL) // feasible.go: a trade per price, or a flatter path
	// One pass per child: its prices (the children holding the parent's
	// extremes get them exactly), its volume target and the sums of the
	// VWAP tilt below.
	//
	// Volume: activity, more where the price moved, at least a lot in a
	// child that trades. Moves are measured against each child's share of
	// the cascade: a big move or a wide range trades heavily.
	//
	// Tilt volume toward the children priced like the parent's VWAP, so
	// that their typical prices average to it (a linear tilt, solved in
	// closed form): VWAPs then stay near typical prices all the way down.
	vwap := float64(p.qv) / float64(p.vol)
	isdP := 0.0 // 1 / a typical minute's sd in the parent, price units
	if L == minLevel {
		isdP = 1 / (math.Sqrt(p.v/float64(k)) * price)
	}
	var sx, sxx float64
	for i := 0; i < k; i++ {
		// Field by field: the log-price and float-budget fields of nodes
		// below the day level are never written or read (they stay 0).
		n := &kids[i]
		n.t0, n.o, n.c, n.v = p.t0+int64(i)*dur, g.bt[i], g.bt[i+1], g.w[i]
		n.jx, n.nat, n.qt, n.lift = 0, false, false, [2]int64{}
		if i == g.jumpKid {
			n.jx = g.jumpE
		}
		n.h = max(g.round(g.hr[i], p), n.o, n.c)
		n.l = min(g.round(g.lr[i], p), n.o, n.c)
		if i == iH {
			n.h = p.h
		}
		if i == iL {
			n.l = p.l
		}

		z, rz := 0.0, 0.0
		if g.w0[i] > 0 {
			isd := 1 / (g.sq[i] * price) // sq: shape's sqrt(w0)
			z = (g.b[i+1] - g.b[i]) * isd
			rz = (g.hr[i] - g.lr[i]) * isd
		}
		mv := volRet * math.Abs(z)
		if L == minLevel {
			// A minute's volume follows its move against the typical
			// minute of its parent, not only against its own variance: the
			// biggest moves trade the most.
			mv = volRetMinute * math.Abs(g.b[i+1]-g.b[i]) * isdP
		}
		g.tgt[i] = g.act[i] * g.boosted(L, i) * (1 + mv) * (1 + volRange*rz)
		g.nb[i] = takerShare(z, g.nb[i])
		g.lo[i], g.hi[i] = 0, 0
		if g.tr[i] > 0 {
			g.lo[i], g.hi[i] = g.pn[i], inf
		}

		// Prices are final: kept for the quote volumes, inside the
		// band the quote volumes are split in (a typical price outside
		// it left a debt that pushed the next children to their edges).
		bl, bh := n.aim()
		typ := n.typical()
		if L < pathLevel && !g.dry {
			typ = g.pathVWAP(L, n, pidx*int64(k)+int64(i))
		}
		g.typ[i] = max(bl, min(bh, typ))
		x := g.typ[i] - vwap
		g.w0[i] = x // scratch: the boost factors are no longer needed
		if g.hi[i] > 0 {
			sx += g.tgt[i] * x
			sxx += g.tgt[i] * x * x
		}
	}
	if g.dry {
		return // pathVWAP: the children's prices and volume targets
	}
	// The volume targets before the tilt: the children's activity, which
	// their trade counts follow (the tilt moves volume to balance the
	// VWAP; counting trades on it drained quiet children to a handful).
	var sa float64
	for i := 0; i < k; i++ {
		g.ta[i] = 0
		if g.hi[i] > 0 {
			g.ta[i] = g.tgt[i]
			sa += g.tgt[i]
		}
	}
	if sxx > 0 {
		th := -sx / sxx
		for i := 0; i < k; i++ {
			f := 1 + th*g.w0[i]
			if f < tiltFloor { // max(tiltFloor, f), without the NaN and zero fix-ups
				f = tiltFloor
			}
			g.tgt[i] *= f
		}
	}
	g.alloc(p.vol, k, false)
	for i := 0; i < k; i++ {
		kids[i].vol = g.bt[i]
	}
	// Quote volume: each child's VWAP near its typical price and inside
	// its range. The parent's VWAP must be reachable from the children's
	// ranges; where it is not, volume moves toward the child holding the
	// parent's extreme (that is where the trading was).
	moved := g.reachVWAP(kids, p, iH, iL)
	// Aim inside the middle of each range, so that no VWAP sits on an
	// extreme its own children could not reach; fall back to narrower
	// margins, then to anything. (Unless volume moved, reachVWAP left the
	// bands in g.lo and g.hi.)
	var sumLo, sumHi int64
	for i := 0; i < k; i++ {
		n := &kids[i]
		g.tgt[i] = float64(n.vol) * g.typ[i]
		if moved {
			g.lo[i], g.hi[i] = n.bandQV()
		}
		sumLo = satAdd(sumLo, g.lo[i])
		sumHi = satAdd(sumHi, g.hi[i])
	}
	for _, div := range [...]int64{4 * vwapMargin, 0, -1} {
		if sumLo <= p.qv && p.qv <= sumHi {
			break
		}
		sumLo, sumHi = 0, 0
		for i := 0; i < k; i++ {
			g.lo[i], g.hi[i] = kids[i].qvBand(div)
			sumLo = satAdd(sumLo, g.lo[i])
			sumHi = satAdd(sumHi, g.hi[i])
		}
	}
	g.alloc(p.qv, k, false)
	// Trade counts follow activity (the volume targets before the VWAP
	// tilt), slightly less than proportionally: busy blocks have bigger
	// trades. x·(1+a)/(1+a·x), with x the activity relative to the mean
	// child's, behaves like x^(1-a) near the mean and saturates for the
	// busiest blocks. At least one trade per trading child, at most one
	// per lot.
	mean := float64(p.vol) / float64(k)
	for i := 0; i < k; i++ {
		n := &kids[i]
		n.qv = g.bt[i]
		g.tgt[i], g.lo[i], g.hi[i] = 0, 0, 0
		if g.tr[i] > 0 {
			x := float64(n.vol) / mean
			if sa > 0 {
				x = g.ta[i] / sa * float64(k)
			}
			if L <= minLevel {
				// Down to the minutes counts vary far less than
				// volume (real BTCUSDT: q1% of a day's 1m counts 0.40
				// of the median): activity to a power.
				x = fastPow(x, tradeDamp)
			}
			g.tgt[i] = x * (1 + tradeBend) / (1 + tradeBend*x)
			g.lo[i], g.hi[i] = g.pn[i], n.vol
		}
	}
	g.alloc(p.trades, k, false)
	// Taker buys: a share of volume that leans with the return.
	for i := 0; i < k; i++ {
		n := &kids[i]
		n.trades = g.bt[i]
		g.tgt[i] = float64(n.vol) * g.nb[i]
		g.lo[i], g.hi[i] = 0, n.vol
	}
	fixTrades(kids)          // feasible.go: a trade per pinned price
	g.tiltTakers(kids, p, k) // feasible.go: buys priced like the parent's
	g.alloc(p.tbb, k, false)
	for i := 0; i < k; i++ {
		kids[i].tbb = g.bt[i]
	}
	fixTakers(kids, p) // feasible.go: a taker split every child can trade
	var quiet uint32
	if L == minLevel {
		quiet = g.quietMinutes(kids, p, pidx) // quiet.go: their leaves' quote volumes
	}
	for i := 0; i < k; i++ {
		n := &kids[i]
		if quiet&(1<<i) != 0 {
			// Its leaves' buys, or as near as adjust reaches with its
			// sells' within theirs (quietMinutes); else (its quote
			// volume beyond its room) within what its leaves' lots
			// reach at their extremes.
			q, r, e := &g.qnat[i], &g.qroom[i], &g.qext[i]
			lo := max(q[1]+r[0], n.qv-(q[0]-q[1]+r[3]))
			hi := min(q[1]+r[1], n.qv-(q[0]-q[1]+r[2]))
			g.tgt[i] = g.qbuy[i]
			g.lo[i], g.hi[i] = lo, hi
			g.olo[i], g.ohi[i] = max(e[0], n.qv-e[3]), min(e[1], n.qv-e[2])
			if lo <= hi {
				g.olo[i], g.ohi[i] = min(lo, g.olo[i]), max(hi, g.ohi[i])
			}
			continue
		}
		g.tgt[i] = 0
		if n.vol > 0 {
			g.tgt[i] = float64(n.qv) * float64(n.tbb) / float64(n.vol)
		}
		g.lo[i], g.hi[i] = n.bandLo(n.tbb), n.bandHi(n.tbb)
		g.olo[i], g.ohi[i] = 0, n.qv
	}
	if quiet != 0 {
		g.quietTakerBands(kids, p, quiet)
	}
	g.alloc(p.tbq, k, true)
	for i := 0; i < k; i++ {
		kids[i].tbq = g.bt[i]
	}
	if L == minLevel {
		g.carry(kids, pidx) // carry.go: what a minute's leaves cannot hold, to a sibling
	}
	if L == leafLevel-1 {
		g.minuteLeaves(kids, pidx, p == &g.pq, want, lift) // feasible.go: quote volumes the tapes reach
	}
}

// quietTakerBands sets the fallback bands of the taker-buy split of a
// 15-minute block with quiet minutes (kids, the quiet ones in mask, whose
// fallback bands, their reach (qext), are set; the bands in g.lo and
// g.hi): the others' bands are their own fallback. Where even those miss (the quiet minutes' quote
// volumes, set by their leaves, left the block's buys out of their
// reach), taker-buy lots move between the minutes as fixTakers moves
// them, and the buys of each take a VWAP inside its range; else anything
// within each one's quote volume.
func (g *gen) quietTakerBands(kids []node, p *node, mask uint32) {
	k := len(kids)
	for i := 0; i < k; i++ {
		if mask&(1<<i) == 0 {
			g.olo[i], g.ohi[i] = g.lo[i], g.hi[i]
		}
	}
	if g.fits(k, &g.olo, &g.ohi, p.tbq) {
		return
	}
	fixTakers(kids, p)
	for i := 0; i < k; i++ {
		n := &kids[i]
		g.tgt[i] = float64(mulDiv(n.qv, n.tbb, n.vol))
		g.lo[i], g.hi[i] = n.bandLo(n.tbb), n.bandHi(n.tbb)
		g.olo[i], g.ohi[i] = g.lo[i], g.hi[i]
	}
	if !g.fits(k, &g.olo, &g.ohi, p.tbq) {
		for i := 0; i < k; i++ {
			g.olo[i], g.ohi[i] = 0, kids[i].qv
		}
	}
}

// round converts a mapped price to ticks inside the parent's range.
func (g *gen) round(x float64, p *node) int64 {
	return max(p.l, min(p.h, int64(x+0.5))) // x > 0: rounds half up
}

// qvBand is the quote volume n's trades can sum to with its VWAP held a
// 1/div of its range inside each extreme (div > 0), anywhere in its range
// that leaves a lot to print each extreme (div == 0), or anything (div <
// 0: none if n has no volume).
func (n *node) qvBand(div int64) (lo, hi int64) {
	switch {
	case div > 0:
		m := n.vol * (n.h - n.l) / div
		return n.vol*n.l + m, n.vol*n.h - m
	case div == 0:
		// A lot at each extreme: a VWAP on one would leave no trade
		// to print the other.
		m := int64(0)
		if n.vol >= 2 {
			m = n.h - n.l
		}
		return n.vol*n.l + m, n.vol*n.h - m
	case n.vol > 0:
		return 0, inf
	}
	return 0, 0
}
