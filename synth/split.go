package synth

import "math"

// Tuning of the cascade and of the volume model, set against the realism
// report (TestRealism, `make realism`).
const (
	volBeta   = 0.7                // share of each volatility shock common to all symbols
	volOwn    = 0.7141428428542850 // sqrt(1 - volBeta²)
	actVol    = 1.0                // activity ∝ (variance weight)^actVol: volume follows volatility
	actNoise  = 0.15               // log-normal noise of activity beyond volatility
	volRet    = 1.0                // extra volume per unit of |standardized return|
	volRange  = 0.5                // extra volume per unit of standardized range
	takerTilt = 0.12               // taker-buy share moves with the sign of the return
	takerSd   = 0.03               // and has some noise of its own
	tradeExp  = 0.85               // above a day: trades ∝ volume^tradeExp
	tradeBend = 0.15               // below: trades ∝ x(1+b)/(1+bx), x relative volume
)

// Seasonal tables, derived once from hourActivity and weekdayActivity:
// activity and variance multipliers by hour, by 6-hour block and by day.
var (
	hourVar        [24]float64
	sixAct, sixVar [4]float64
	weekVar        [7]float64
)

func init() {
	for h, a := range hourActivity {
		hourVar[h] = math.Pow(a, seasonVarExp)
		sixAct[h/6] += a / 6
		sixVar[h/6] += hourVar[h] / 6
	}
	for d, a := range weekdayActivity {
		weekVar[d] = math.Pow(a, seasonVarExp)
	}
}

func weekday(t int64) int {
	d := floorDiv(t, dayMs)
	return int(((d+4)%7 + 7) % 7) // 1970-01-01 was a Thursday
}

// season returns the activity and variance multipliers of the block of
// level L opening at t. Only levels whose siblings differ in hour or day
// of week carry a seasonal pattern; within an hour it would cancel out.
func season(L int, t int64) (act, vr float64) {
	switch L {
	case 3: // four days
		for j := int64(0); j < 4; j++ {
			d := weekday(t + j*dayMs)
			act += weekdayActivity[d] / 4
			vr += weekVar[d] / 4
		}
		return act, vr
	case dayLevel:
		d := weekday(t)
		return weekdayActivity[d], weekVar[d]
	case 5: // six hours
		q := int(floorDiv(t, 6*hourMs) % 4)
		if q < 0 {
			q += 4
		}
		return sixAct[q], sixVar[q]
	case 6:
		h := int(floorDiv(t, hourMs) % 24)
		if h < 0 {
			h += 24
		}
		return hourActivity[h], hourVar[h]
	}
	return 1, 1
}

// draw makes the random draws of the k children of parent pidx at level
// L (opening at t0): unnormalized variance weights w, activity act, bridge
// innovations eps (and epsSym, the same without the exchange's noise), the
// exponentials e1, e2 for highs and lows, the taker noise nb, and uH, uL,
// where the parent's extremes fall inside their children.
//
// Symbols are tied together through the market stream, whose draws are
// the same for every symbol (the draw order is fixed): normal draws mix
// market and own noise by the symbol's loading; exponential and uniform
// draws are taken from the market with probability equal to the loading
// (a mixture coupling, which keeps their laws exact).
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
	for i := 0; i < k; i++ {
		z, e := g.mkt.normClip(), g.mkt.norm()
		e1, e2 := g.mkt.expo(), g.mkt.expo()
		if !follow {
			z = volBeta*z + volOwn*g.own.normClip()
			e, e1, e2 = g.own.norm(), g.own.expo(), g.own.expo()
		}
		nv, nb := g.own.normClip(), g.own.norm()
		sa, sv := 1.0, 1.0
		if L <= 6 {
			sa, sv = season(L, t0+int64(i)*lv.dur)
		}
		f := fastExp(lv.lam * z)
		g.w[i] = sv * f
		if lv.act == 1 && actVol == 1 {
			// The same factor; the noise's exponential to second order.
			a := actNoise * nv
			g.act[i] = sa * f * (1 + a + a*a/2)
		} else {
			g.act[i] = sa * math.Exp(actVol*lv.act*lv.lam*z+actNoise*nv)
		}
		g.epsSym[i] = mix.co * e
		g.eps[i] = g.epsSym[i]
		if mix.cx != 0 {
			g.eps[i] += mix.cx * g.ex.norm()
		}
		g.e1[i], g.e2[i], g.nb[i] = e1, e2, nb
	}
	g.uH, g.uL = g.mkt.unit(), g.mkt.unit()
	if !follow {
		g.uH, g.uL = g.own.unit(), g.own.unit()
	}
	g.actKey = g.own.next()
}

// shape lays out the children's path. g.w[:k] holds the children's
// variances (log-return units; 0 for a child without trades, which stays
// flat) and p scales them to price units.
//
// A raw Brownian bridge from o to c with those variances decides where
// the parent's high and low happen: in the children where the raw path
// peaks and troughs (so a rising parent tends to make its high late). The
// path is then drawn again as a Brownian bridge pinned at o, at h inside
// that child, at l inside the other and at c, folded back into [l, h];
// the other children's highs and lows follow the bridge-extreme law
// truncated to the parent's range. The children's variances are first
// rescaled toward the variance the parent's range implies, and the
// children holding the extremes get the variance that makes their
// excursion typical. The children's extremes are then exactly the
// parent's. shape returns the children holding the parent's high and low.
func (g *gen) shape(k int, o, c, h, l, p float64) (iH, iL int) {
	var sumV float64
	for i := 0; i < k; i++ {
		sumV += g.w[i]
		g.bst[i] = 1
	}
	if sumV == 0 || h <= l {
		for j := 0; j <= k; j++ {
			g.b[j] = o
		}
		for i := 0; i < k; i++ {
			g.hr[i], g.lr[i] = o, o
		}
		return 0, 0
	}
	p2 := p * p
	iH, iL = g.extremes(k, o, c, sumV, p2)

	// The range implies a variance (Parkinson); move halfway (in logs)
	// toward it.
	rv := (h - l) * (h - l) / (4 * math.Ln2) / p2
	f := max(0.25, min(4, math.Sqrt(rv/sumV)))
	sumV = 0
	last := 0 // the last child with variance: the path reaches c at its end
	for i := 0; i < k; i++ {
		g.w[i] *= f
		sumV += g.w[i]
		if g.w[i] > 0 {
			last = i
		}
	}

	// Pins in variance time: the start, the high, the low, the end. An
	// extreme already at the open or the close needs no pin.
	type pin struct{ t, x float64 }
	var pins [4]pin
	n := 0
	pins[n] = pin{0, o}
	n++
	cum := func(i int) float64 {
		s := 0.0
		for j := 0; j < i; j++ {
			s += g.w[j]
		}
		return s
	}
	var ph, pl pin
	hasH, hasL := true, true
	switch {
	case o >= h:
		iH, hasH = 0, false
	case c >= h:
		iH, hasH = k-1, false
	default:
		ph = pin{cum(iH) + g.uH*g.w[iH], h}
	}
	switch {
	case o <= l:
		iL, hasL = 0, false
	case c <= l:
		iL, hasL = k-1, false
	default:
		pl = pin{cum(iL) + g.uL*g.w[iL], l}
	}
	switch {
	case hasH && hasL && pl.t < ph.t:
		pins[1], pins[2], n = pl, ph, 3
	case hasH && hasL:
		pins[1], pins[2], n = ph, pl, 3
	case hasH:
		pins[1], n = ph, 2
	case hasL:
		pins[1], n = pl, 2
	}
	pins[n] = pin{sumV, c}
	n++

	// Boundaries, left to right, each a bridge draw between the last point
	// and the next pin.
	g.b[0], g.b[k] = o, c
	tp, xp, next := 0.0, o, 1
	t := 0.0
	for j := 1; j < k; j++ {
		t += g.w[j-1]
		for next < n-1 && pins[next].t <= t {
			tp, xp = pins[next].t, pins[next].x
			next++
		}
		te, xe := pins[next].t, pins[next].x
		x := xp
		if span := te - tp; span > 0 && t > tp {
			u := (t - tp) / span
			x = xp + (xe-xp)*u + g.eps[j-1]*math.Sqrt((t-tp)*(te-t)/span)*p
		}
		x = fold(x, l, h)
		if j > last {
			x = c
		}
		g.b[j] = x
		tp, xp = t, x
	}

	// Highs and lows: exact at the pinned children, truncated bridge law
	// elsewhere.
	if g.w[iH] > 0 {
		g.boost(iH, h-max(g.b[iH], g.b[iH+1]), p2)
	}
	if g.w[iL] > 0 {
		g.boost(iL, min(g.b[iL], g.b[iL+1])-l, p2)
	}
	for i := 0; i < k; i++ {
		a, b := g.b[i], g.b[i+1]
		if g.w[i] == 0 {
			g.hr[i], g.lr[i] = max(a, b), min(a, b)
			continue
		}
		v := g.w[i] * p2
		g.hr[i] = truncExtreme(a, b, v, g.e1[i], h)
		g.lr[i] = -truncExtreme(-a, -b, v, g.e2[i], -l)
	}
	g.hr[iH], g.lr[iL] = h, l
	return iH, iL
}

// extremes returns the children where a raw Brownian bridge from o to c
// with the children's variances reaches its maximum and its minimum. It
// reuses the innovations in reverse order, so that it is not the same draw
// as the final path, and leaves out the exchange's noise, so that venues
// agree on where the extremes are.
func (g *gen) extremes(k int, o, c, sumV, p2 float64) (iH, iL int) {
	var sumE float64
	for i := 0; i < k; i++ {
		g.tgt[i] = g.epsSym[k-1-i] * math.Sqrt(g.w[i]) // scratch
		sumE += g.tgt[i]
	}
	sp := math.Sqrt(p2)
	x, cumV, cumE := o, 0.0, 0.0
	best, worst := math.Inf(-1), math.Inf(1)
	for i := 0; i < k; i++ {
		if g.w[i] == 0 {
			continue
		}
		cumV += g.w[i]
		cumE += g.tgt[i]
		f := cumV / sumV
		y := o + (c-o)*f + (cumE-f*sumE)*sp
		hi, lo := bridgeExtremes(x, y, g.w[i]*p2, g.e1[i], g.e2[i])
		if hi > best {
			best, iH = hi, i
		}
		if lo < worst {
			worst, iL = lo, i
		}
		x = y
	}
	return iH, iL
}

// fold reflects x into [l, h], as a path that bounced off the extremes.
func fold(x, l, h float64) float64 {
	for range 4 {
		switch {
		case x > h:
			x = 2*h - x
		case x < l:
			x = 2*l - x
		default:
			return x
		}
	}
	return max(l, min(h, x))
}

// truncExtreme draws the maximum of a Brownian bridge from a to b with
// variance v, kept at or below top, from a standard exponential e. The
// untruncated law is P(max > x) = exp(-2(x-a)(x-b)/v): the draw inverts it
// with e replaced by a soft minimum of e and the exponent at the top,
// e·c/(e+c), which is e itself far from the top and never reaches it.
func truncExtreme(a, b, v, e, top float64) float64 {
	c := 2 * (top - a) * (top - b) / v // exponent at the top
	if c <= 0 {
		return max(a, b)
	}
	e = e * c / (e + c)
	d := (b - a) * (b - a)
	return min(top, (a+b+math.Sqrt(d+2*v*e))/2)
}

// boost raises the variance of child i, if needed, so that an excursion x
// (price units) beyond its open and close is about its median: the bridge
// maximum exceeds x with probability exp(-2x(x+|b-a|)/v).
func (g *gen) boost(i int, x, p2 float64) {
	if x <= 0 || p2 == 0 {
		return
	}
	d := math.Abs(g.b[i+1] - g.b[i])
	need := 2 * x * (x + d) / math.Ln2 / p2
	if need > g.w[i] {
		g.bst[i] = need / g.w[i]
		g.w[i] = need
	}
}

// boosted is the activity multiplier of child i of level L for the
// variance boost gave it: below the hour, activity follows variance as in
// the cascade (a spike to an extreme trades heavily). Above, it would
// drown the intraday profile.
func (g *gen) boosted(L, i int) float64 {
	if L <= 6 || g.bst[i] <= 1 {
		return 1
	}
	return fastPow(g.bst[i], actVol)
}

// splitMacro splits a node above the day level into its children, in log
// prices and float budgets; the children of level dayLevel (days) are then
// fixed in ticks and lots, and everything below them is exact.
func (g *gen) splitMacro(L int, p *node, pidx int64) {
	s := g.s
	k := levels[L].fan
	dur := levels[L].dur
	g.draw(L, k, p.t0, pidx)
	var sw float64
	for i := 0; i < k; i++ {
		sw += g.w[i]
	}
	for i := 0; i < k; i++ {
		g.w[i] *= p.v / sw
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
	}
	g.kids[L][iH].lh = p.lh
	g.kids[L][iL].ll = p.ll
	if L == dayLevel {
		for i := 0; i < k; i++ {
			g.fixDay(&g.kids[L][i], g.nb[i])
		}
	}
	_ = s
}

// fixDay turns a day's log prices and float budgets into ticks and lots.
// Consecutive days share the float at their boundary, so one day's close
// is the next day's open.
func (g *gen) fixDay(n *node, share float64) {
	s := g.s
	n.o, n.c = g.ticks(n.lo), g.ticks(n.lc)
	n.h = max(g.ticks(n.lh), n.o, n.c)
	n.l = min(g.ticks(n.ll), n.o, n.c)
	n.trades = max(1, int64(math.Round(n.ftr)))
	n.vol = max(n.trades, int64(math.Round(n.fvol)))
	lo, hi := n.bandQV()
	n.qv = max(lo, min(hi, int64(math.Round(float64(n.vol)*n.typical()))))
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
	return max(0.05, min(0.95, 0.5+takerTilt*z/(1+math.Abs(z))+takerSd*noise))
}

// splitMicro splits a node of level dayLevel or below into integer
// children whose aggregate is exactly the node.
func (g *gen) splitMicro(L int, p *node, pidx int64) {
	k := levels[L].fan
	dur := levels[L].dur
	kids := g.kids[L][:k]
	if p.trades == 0 {
		for i := range kids {
			kids[i] = node{t0: p.t0 + int64(i)*dur, o: p.c, c: p.c, h: p.c, l: p.c}
		}
		return
	}
	g.draw(L, k, p.t0, pidx)
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
	for i := 0; i < k; i++ {
		g.w[i] *= p.v / sw
	}
	price := float64(p.o+p.c) / 2
	g.w0 = g.w
	iH, iL := g.shape(k, float64(p.o), float64(p.c), float64(p.h), float64(p.l), price)
	g.bt[0], g.bt[k] = p.o, p.c
	for i := 1; i < k; i++ {
		g.bt[i] = g.round(g.b[i], p)
	}
	for i := 0; i < k; i++ {
		n := &kids[i]
		*n = node{t0: p.t0 + int64(i)*dur, o: g.bt[i], c: g.bt[i+1], v: g.w[i]}
		n.h = max(g.round(g.hr[i], p), n.o, n.c)
		n.l = min(g.round(g.lr[i], p), n.o, n.c)
	}
	kids[iH].h, kids[iL].l = p.h, p.l

	// Volume: activity, more where the price moved, at least a lot in a
	// child that trades.
	for i := 0; i < k; i++ {
		z := 0.0
		if g.w[i] > 0 {
			z = (g.b[i+1] - g.b[i]) / (math.Sqrt(g.w[i]) * price)
		}
		g.tgt[i] = g.act[i] * g.boosted(L, i) * (1 + volRet*math.Abs(z))
		if g.w0[i] > 0 {
			// The range the child covers, against its share of the
			// cascade: a wide range trades heavily.
			g.tgt[i] *= 1 + volRange*(g.hr[i]-g.lr[i])/(math.Sqrt(g.w0[i])*price)
		}
		g.nb[i] = takerShare(z, g.nb[i])
		g.lo[i], g.hi[i] = 0, 0
		if g.tr[i] > 0 {
			g.lo[i], g.hi[i] = 1, inf
		}
	}
	// Tilt volume toward the children priced like the parent's VWAP, so
	// that their typical prices average to it (a linear tilt, solved in
	// closed form): VWAPs then stay near typical prices all the way down.
	vwap := float64(p.qv) / float64(p.vol)
	var sx, sxx float64
	for i := 0; i < k; i++ {
		n := &kids[i]
		x := n.typical() - vwap
		g.w0[i] = x // scratch: the boost factors are no longer needed
		if g.hi[i] > 0 {
			sx += g.tgt[i] * x
			sxx += g.tgt[i] * x * x
		}
	}
	if sxx > 0 {
		th := -sx / sxx
		for i := 0; i < k; i++ {
			g.tgt[i] *= max(0.05, 1+th*g.w0[i])
		}
	}
	alloc(p.vol, k, g.tgt[:], g.lo[:], g.hi[:], g.lo[:], g.hi[:], g.bt[:])
	for i := 0; i < k; i++ {
		kids[i].vol = g.bt[i]
	}
	// Quote volume: each child's VWAP near its typical price and inside
	// its range. The parent's VWAP must be reachable from the children's
	// ranges; where it is not, volume moves toward the child holding the
	// parent's extreme (that is where the trading was).
	g.reachVWAP(kids, p, iH, iL)
	// Aim inside the middle of each range, so that no VWAP sits on an
	// extreme its own children could not reach; fall back to narrower
	// margins, then to anything.
	for i := 0; i < k; i++ {
		n := &kids[i]
		g.tgt[i] = float64(n.vol) * n.typical()
	}
	for _, div := range [...]int64{vwapMargin, 4 * vwapMargin, 0, -1} {
		var sumLo, sumHi int64
		for i := 0; i < k; i++ {
			n := &kids[i]
			switch {
			case div > 0:
				m := n.vol * (n.h - n.l) / div
				g.lo[i], g.hi[i] = n.vol*n.l+m, n.vol*n.h-m
			case div == 0:
				g.lo[i], g.hi[i] = n.vol*n.l, n.vol*n.h
			default:
				g.lo[i], g.hi[i] = 0, 0
				if n.vol > 0 {
					g.hi[i] = inf
				}
			}
			sumLo = satAdd(sumLo, g.lo[i])
			sumHi = satAdd(sumHi, g.hi[i])
		}
		if sumLo <= p.qv && p.qv <= sumHi {
			break
		}
	}
	alloc(p.qv, k, g.tgt[:], g.lo[:], g.hi[:], g.lo[:], g.hi[:], g.bt[:])
	for i := 0; i < k; i++ {
		kids[i].qv = g.bt[i]
	}
	// Trade counts follow volume, slightly less than proportionally: big
	// blocks of volume have bigger trades. x·(1+a)/(1+a·x), with x the
	// volume relative to the mean child's, behaves like x^(1-a) near the
	// mean and saturates for the biggest blocks. At least one trade per
	// trading child, at most one per lot.
	mean := float64(p.vol) / float64(k)
	for i := 0; i < k; i++ {
		n := &kids[i]
		g.tgt[i], g.lo[i], g.hi[i] = 0, 0, 0
		if g.tr[i] > 0 {
			x := float64(n.vol) / mean
			g.tgt[i] = x * (1 + tradeBend) / (1 + tradeBend*x)
			g.lo[i], g.hi[i] = 1, n.vol
		}
	}
	alloc(p.trades, k, g.tgt[:], g.lo[:], g.hi[:], g.lo[:], g.hi[:], g.bt[:])
	for i := 0; i < k; i++ {
		kids[i].trades = g.bt[i]
	}
	// Taker buys: a share of volume that leans with the return.
	for i := 0; i < k; i++ {
		n := &kids[i]
		g.tgt[i] = float64(n.vol) * g.nb[i]
		g.lo[i], g.hi[i] = 0, n.vol
	}
	alloc(p.tbb, k, g.tgt[:], g.lo[:], g.hi[:], g.lo[:], g.hi[:], g.bt[:])
	for i := 0; i < k; i++ {
		kids[i].tbb = g.bt[i]
	}
	for i := 0; i < k; i++ {
		n := &kids[i]
		sell := n.vol - n.tbb
		g.tgt[i] = 0
		if n.vol > 0 {
			g.tgt[i] = float64(n.qv) * float64(n.tbb) / float64(n.vol)
		}
		g.lo[i] = max(n.tbb*n.l, n.qv-sell*n.h)
		g.hi[i] = min(n.tbb*n.h, n.qv-sell*n.l)
		g.olo[i], g.ohi[i] = 0, n.qv
	}
	alloc(p.tbq, k, g.tgt[:], g.lo[:], g.hi[:], g.olo[:], g.ohi[:], g.bt[:])
	for i := 0; i < k; i++ {
		kids[i].tbq = g.bt[i]
	}
}

// vwapMargin keeps every VWAP at least 1/vwapMargin of its range away
// from the range's ends. The children of a node can then always reach its
// VWAP: the child holding the node's high has a high-side bound at least
// as high as the node's own.
const vwapMargin = 5

// band is the range a node's VWAP is aimed at, per lot, in ticks.
func (n *node) band() (lo, hi float64) {
	m := float64(n.h-n.l) / vwapMargin
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
	best := 0
	for i := 0; i < k; i++ {
		g.tr[i] = 1
		if want := float64(trades) * g.act[i] / sa; want < 20 && unitOf(mix64(g.actKey+uint64(i))) < math.Exp(-want) {
			g.tr[i] = 0
		}
		n += g.tr[i]
		if g.act[i] > g.act[best] {
			best = i
		}
	}
	if n == 0 {
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

// reachVWAP shifts volume between children so that the parent's quote
// volume lies within the sum of their bands: lots move from the children
// whose bands sit farthest from the parent's VWAP to the child holding the
// parent's extreme on that side. Every trading child keeps at least one
// lot.
func (g *gen) reachVWAP(kids []node, p *node, iH, iL int) {
	var capHi, capLo int64
	for i := range kids {
		lo, hi := kids[i].bandQV()
		capHi += hi
		capLo += lo
	}
	switch {
	case p.qv > capHi:
		need := float64(p.qv - capHi)
		iH = g.receiver(kids, iH, true)
		_, top := kids[iH].band()
		for need > 0 {
			j, jhi := -1, 0.0 // the lowest band that can give lots
			for i := range kids {
				if _, hi := kids[i].band(); i != iH && kids[i].vol > 1 && hi < top && (j < 0 || hi < jhi) {
					j, jhi = i, hi
				}
			}
			if j < 0 {
				return
			}
			gain := top - jhi
			d := min(kids[j].vol-1, int64(math.Ceil(need/gain)))
			kids[j].vol -= d
			kids[iH].vol += d
			need -= float64(d) * gain
		}
	case p.qv < capLo:
		need := float64(capLo - p.qv)
		iL = g.receiver(kids, iL, false)
		bottom, _ := kids[iL].band()
		for need > 0 {
			j, jlo := -1, 0.0 // the highest band that can give lots
			for i := range kids {
				if lo, _ := kids[i].band(); i != iL && kids[i].vol > 1 && lo > bottom && (j < 0 || lo > jlo) {
					j, jlo = i, lo
				}
			}
			if j < 0 {
				return
			}
			gain := jlo - bottom
			d := min(kids[j].vol-1, int64(math.Ceil(need/gain)))
			kids[j].vol -= d
			kids[iL].vol += d
			need -= float64(d) * gain
		}
	}
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

// round converts a mapped price to ticks inside the parent's range.
func (g *gen) round(x float64, p *node) int64 {
	return max(p.l, min(p.h, int64(math.Round(x))))
}
