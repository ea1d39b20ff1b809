package synth

import "math"

// The trades of one 1s leaf, generated from the leaf node alone (see
// doc.go, "Trades and the touch").

// rawTrade is a trade in the tree's integers: price in ticks, size in
// lots, time in Unix microseconds.
type rawTrade struct {
	id, agg, t, px, sz int64
	buy                bool
}

// taker is one taker order of a leaf: its prints tg.pr[first:first+n] at
// levels 0..levels-1 from base, upward for a buy, downward for a sell.
type taker struct {
	buy    bool
	pin    bool // holds o, c, h or l: its price is fixed
	levels int
	first  int
	n      int
	base   int64
	size   int64 // lots, the sum of its prints'
	off    int64 // Σ level×size of its prints
	t      int64
}

// print is a print being generated: its level in its taker order and its
// size.
type print struct {
	lvl int64
	sz  int64
	w   float64
}

// tapeGen is the scratch of leaf generation, pooled per Market.
type tapeGen struct {
	rng  stream
	ord  []taker
	pr   []print
	gap  []float64
	leaf []rawTrade // the trades of the last leaf generated
	// The leaf the scratch holds (idx, ok), and its node.
	idx int64
	ok  bool
	nd  node
}

const tapeSalt = 0x7a9e5c3b1d2f4e61

// genLeaf fills tg.leaf with the trades of leaf idx, node n, numbered
// from first.
func (tg *tapeGen) genLeaf(s *symbol, idx int64, n *node, first int64) {
	tg.leaf = tg.leaf[:0]
	tg.idx, tg.ok, tg.nd = idx, true, *n
	if n.trades <= 0 {
		return
	}
	tg.lay(s, idx, n, true)
	tg.emit(first)
}

// naturalMax is the most trades of a leaf whose tape may be its natural
// draw: its orders, prices and sizes laid out from its prices, volumes and
// taker-buy volume alone, with no solving for the quote volumes. The split
// that makes leaves (exactLeaves, feasible.go) gives such a leaf the
// natural draw's quote volumes, so that its tape adds up exactly. Every
// such leaf costs 1s candles a layout: 4 keeps them within ~6% of their
// speed without (5: 88% of seconds exact instead of 86%, for 10-20%; 8:
// 90% for ~25%).
const naturalMax = 4

// natural reports whether leaf n may take its natural draw: few trades,
// a trade per price, one side only for a single trade.
func (n *node) natural() bool {
	N := n.trades
	return N >= 1 && N <= naturalMax && N >= n.pins() && (N >= 2 || n.tbb == 0 || n.tbb == n.vol)
}

// lay lays out the orders of leaf idx (node n, at least a trade) and
// reports whether they aggregate exactly to n. The natural draw comes
// first where the leaf allows it, and is kept when its quote volumes are
// the leaf's; otherwise the orders are solved for the leaf's quote
// volumes, small leaves trying other draws (sides, pins, sizes) in a fixed
// order until one adds up. Times are laid out unless times is false.
func (tg *tapeGen) lay(s *symbol, idx int64, n *node, times bool) bool {
	N := int(n.trades)
	if n.natural() {
		qv, tbq := tg.naturalQuote(s, idx, n, times)
		if qv == n.qv && tbq == n.tbq {
			return true
		}
	}
	tries := 1
	if N <= 8 && int64(N) >= n.pins() && (N >= 2 || n.tbb == 0 || n.tbb == n.vol) {
		tries = 4 // (hopeless leaves are not retried)
	}
	for a := 0; a < tries; a++ {
		if tg.build(s, idx, n, a, false, times) {
			return true
		}
	}
	return false
}

// naturalQuote lays out leaf n's natural draw and returns its Σ
// price×size, and the buys'.
func (tg *tapeGen) naturalQuote(s *symbol, idx int64, n *node, times bool) (qv, tbq int64) {
	if n.trades == 1 && !times && n.h == n.l {
		// What build lays out: one print of every lot at the price, on
		// the side that has them.
		qv = n.o * n.vol
		if 2*n.tbb >= n.vol {
			tbq = qv
		}
		return qv, tbq
	}
	tg.build(s, idx, n, 0, true, times)
	for j := range tg.ord {
		o := &tg.ord[j]
		q := o.quote()
		qv += q
		if o.buy {
			tbq += q
		}
	}
	return qv, tbq
}

// build lays out the orders of leaf idx from the draws of attempt a and
// reports whether they aggregate exactly to n. The natural draw (natural
// set) reads neither n.qv nor n.tbq and leaves the prices as drawn; times
// false leaves the times out (they are drawn last).
func (tg *tapeGen) build(s *symbol, idx int64, n *node, a int, natural, times bool) bool {
	N := int(n.trades)
	r := &tg.rng
	r.reset(nodeKey(s.exKey^tapeSalt, nLevels, idx) + uint64(a)*0x9e3779b97f4a7c15)
	V, B := n.vol, n.tbb
	S := V - B

	// Prints per side: the buy prints hold B lots, the sells S, each at
	// least one lot.
	nb := int64(N)
	switch {
	case N == 1:
		if 2*B < V {
			nb = 0
		}
	default:
		nb = int64(math.Round(float64(N) * float64(B) / float64(max(V, 1))))
		lo, hi := int64(0), min(B, int64(N))
		if B > 0 {
			lo = 1
		}
		lo = max(lo, int64(N)-S)
		if S > 0 {
			hi = min(hi, int64(N)-1)
		}
		nb = max(lo, min(hi, nb))
	}
	ns := int64(N) - nb

	// Pins: the prints that must carry o, c, h and l.
	flat := n.h == n.l
	needH := !flat && n.h != n.o && n.h != n.c
	needL := !flat && n.l != n.o && n.l != n.c

	// Taker orders. Small leaves: one print per order. Otherwise most
	// orders fill at one level against one or two makers; some sweep two
	// or three levels.
	tg.ord, tg.pr = tg.ord[:0], tg.pr[:0]
	rem := N
	remB, remS := nb, ns
	prevBuy := r.unit() < float64(nb)/float64(N)
	simple := N <= 8
	// A side whose VWAP is within two ticks of the high or the low has
	// (nearly) all its prints there: no sweeps.
	var flatSide [2]bool // sells, buys
	for k, z := range [2][2]int64{{S, n.qv - n.tbq}, {B, n.tbq}} {
		flatSide[k] = !natural && z[0] > 0 && (z[1]-z[0]*n.l < 2*z[0] || z[0]*n.h-z[1] < 2*z[0])
	}
	for rem > 0 {
		buy := false
		switch {
		case remB == 0:
		case remS == 0:
			buy = true
		default:
			// Order flow is autocorrelated: the last side is likelier.
			pb := float64(remB) / float64(remB+remS)
			if prevBuy {
				pb = 1 - (1-pb)*0.6
			} else {
				pb *= 0.6
			}
			buy = r.unit() < pb
		}
		prevBuy = buy
		side := &remS
		if buy {
			side = &remB
		}
		k, levels := 1, 1
		if !simple {
			u := r.next()
			// Prints: 1 + a geometric count; levels 1 (85%), 2 or 3.
			k = 1 + geoCount(unitOf(u), 0.35)
			switch lv := u & 0xff; {
			case lv < 218:
			case lv < 248:
				levels = 2
			default:
				levels = 3
			}
		}
		k = min(k, int(*side))
		first := len(tg.ord) == 0
		last := k == rem
		if first || last || (buy && flatSide[1]) || (!buy && flatSide[0]) {
			levels = 1
		}
		levels = min(levels, k, int(min(n.h-n.l+1, 3)))
		*side -= int64(k)
		o := taker{buy: buy, levels: levels, first: len(tg.pr), n: k, pin: first || last}
		for i := 0; i < k; i++ {
			// Each level gets a print, the rest go to random levels
			// (in order: a sweep fills its levels in turn).
			lvl := int64(0)
			if i < levels {
				lvl = int64(i)
			} else {
				lvl = int64(r.next() % uint64(levels))
			}
			tg.pr = append(tg.pr, print{lvl: lvl})
		}
		sortLevels(tg.pr[o.first : o.first+k])
		tg.ord = append(tg.ord, o)
		rem -= k
	}
	M := len(tg.ord)

	// The orders pinned at h and l: single-level orders inside the leaf,
	// the low first more often when the price rose.
	jH, jL := -1, -1
	if needH || needL {
		lowFirst := r.unit() < 0.5+0.15*sign(n.c-n.o)
		a, b := tg.pickPins(r, needH && needL)
		if needH && needL {
			if lowFirst {
				jL, jH = a, b
			} else {
				jH, jL = a, b
			}
		} else if needH {
			jH = a
		} else {
			jL = a
		}
	}

	// Base prices: a bridge through the pins over the orders, folded into
	// [l, h], sweeps fitted below h (above l for sells).
	tg.path(r, n, jH, jL)

	// A pinned order takes the side whose VWAP is nearer its price (it
	// swaps sides with a free order of as many prints): the generator's
	// taker-buy quote volume often puts one side's VWAP at an extreme.
	if !natural {
		tg.sidePins(n)
	}

	// Sizes: heavy tailed per print, each at least a lot, per side
	// summing to B and S exactly.
	tg.sizes(r, B, S)

	// Quote volumes per side, exactly: n.tbq for the buys, the rest for
	// the sells.
	okB, okS := true, true
	if !natural {
		okB = tg.fixQuote(true, n.tbq, n)
		okS = tg.fixQuote(false, n.qv-n.tbq, n)
	}

	// Times: distinct microseconds inside the second, in bursts.
	if times {
		tg.times(r, idx*1_000_000, M)
	}
	return okB && okS && int64(N) >= n.pins() && (N >= 2 || B == 0 || S == 0)
}

// emit writes the orders' prints as trades numbered from first.
func (tg *tapeGen) emit(first int64) {
	// The trades, aggregated by order and price.
	id := first
	for j := range tg.ord {
		o := &tg.ord[j]
		for i := o.first; i < o.first+o.n; i++ {
			p := &tg.pr[i]
			px := o.base + p.lvl
			if !o.buy {
				px = o.base - p.lvl
			}
			agg := id
			if i > o.first {
				if prev := &tg.leaf[len(tg.leaf)-1]; prev.px == px {
					agg = prev.agg
				}
			}
			tg.leaf = append(tg.leaf, rawTrade{id: id, agg: agg, t: o.t, px: px, sz: p.sz, buy: o.buy})
			id++
		}
	}
}

func sign(x int64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// geoCount is a geometric count (0, 1, ...) with continuation
// probability q, from a uniform u.
func geoCount(u, q float64) int {
	k := 0
	for p := q; u < p && k < 8; p *= q {
		k++
	}
	return k
}

// sortLevels orders a sweep's prints by level (few prints: insertion).
func sortLevels(ps []print) {
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && ps[j].lvl < ps[j-1].lvl; j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
}

// pickPins picks one or two distinct single-level orders strictly inside
// the leaf (not the first, not the last), in time order, and marks them
// pinned. With too few orders it picks what there is (the leaf is then
// not exact; leafFeasible excludes it).
func (tg *tapeGen) pickPins(r *stream, two bool) (a, b int) {
	M := len(tg.ord)
	pick := func(avoid int) int {
		if M <= 2 {
			return M - 1
		}
		start := 1 + int(r.next()%uint64(M-2))
		for d := 0; d < M-2; d++ {
			j := 1 + (start-1+d)%(M-2)
			if j != avoid && tg.ord[j].levels == 1 && !tg.ord[j].pin {
				return j
			}
		}
		return start
	}
	a = pick(-1)
	tg.pin(a)
	if two {
		b = pick(a)
		tg.pin(b)
		if b < a {
			a, b = b, a
		}
	}
	return a, b
}

// pin marks order j pinned, folding a sweep into one level (a pinned
// price is the order's only price).
func (tg *tapeGen) pin(j int) {
	o := &tg.ord[j]
	o.pin = true
	if o.levels > 1 {
		o.levels = 1
		for i := o.first; i < o.first+o.n; i++ {
			tg.pr[i].lvl = 0
		}
	}
}

// path sets each order's base price.
func (tg *tapeGen) path(r *stream, n *node, jH, jL int) {
	M := len(tg.ord)
	ord := tg.ord
	type pin struct {
		j int
		x int64
	}
	var pins [4]pin
	np := 0
	pins[np] = pin{0, n.o}
	np++
	switch {
	case jH >= 0 && jL >= 0 && jL < jH:
		pins[np], pins[np+1] = pin{jL, n.l}, pin{jH, n.h}
		np += 2
	case jH >= 0 && jL >= 0:
		pins[np], pins[np+1] = pin{jH, n.h}, pin{jL, n.l}
		np += 2
	case jH >= 0:
		pins[np] = pin{jH, n.h}
		np++
	case jL >= 0:
		pins[np] = pin{jL, n.l}
		np++
	}
	if M > 1 {
		pins[np] = pin{M - 1, n.c}
		np++
	}
	rng := float64(n.h - n.l)
	sd := 0.0
	if M > 1 {
		sd = 0.5 * rng / math.Sqrt(float64(M))
	}
	lo, hi := float64(n.l), float64(n.h)
	for k := 0; k < np; k++ {
		ord[pins[k].j].base = pins[k].x
	}
	for k := 0; k+1 < np; k++ {
		a, b := pins[k], pins[k+1]
		span := b.j - a.j
		if span < 2 {
			continue
		}
		// A random walk from a, made a bridge to b.
		w := 0.0
		for j := a.j + 1; j < b.j; j++ {
			w += sd * r.norm()
			tg.gapAt(j, w)
		}
		wEnd := w + sd*r.norm()
		for j := a.j + 1; j < b.j; j++ {
			f := float64(j-a.j) / float64(span)
			x := float64(a.x) + f*float64(b.x-a.x) + tg.gap[j] - f*wEnd
			x = fold(x, lo, hi)
			base := int64(x + 0.5)
			o := &ord[j]
			// A sweep's levels stay inside [l, h].
			if o.buy {
				base = max(n.l, min(base, n.h-int64(o.levels-1)))
			} else {
				base = min(n.h, max(base, n.l+int64(o.levels-1)))
			}
			o.base = base
		}
	}
}

// gapAt stores x in tg.gap[j], growing it.
func (tg *tapeGen) gapAt(j int, x float64) {
	for len(tg.gap) <= j {
		tg.gap = append(tg.gap, 0)
	}
	tg.gap[j] = x
}

// sizeWeight is a heavy-tailed size weight: log-normal, and one time in
// twelve a Pareto (alpha 1.3) block trade.
func sizeWeight(r *stream) float64 {
	u := r.next()
	if u&0xff < 21 {
		v := unitOf(mix64(u)) + 0x1p-20
		return 3 * fastExp(-math.Log(v)/1.3)
	}
	return fastExp(1.1 * r.normClip())
}

// sizes gives every print a heavy-tailed size, at least a lot, the buy
// prints' summing to B and the sells' to S exactly (cumulative rounding
// of the weights' shares, per side), and every order its size and the
// quote of its levels above (below, for a sell) its base.
func (tg *tapeGen) sizes(r *stream, B, S int64) {
	var sw [2]float64
	var cnt [2]int64
	for j := range tg.ord {
		o := &tg.ord[j]
		side := 0
		if o.buy {
			side = 1
		}
		cnt[side] += int64(o.n)
		for i := o.first; i < o.first+o.n; i++ {
			w := sizeWeight(r)
			tg.pr[i].w = w
			sw[side] += w
		}
	}
	extra := [2]int64{max(0, S-cnt[0]), max(0, B-cnt[1])}
	left := cnt
	var scale [2]float64
	for k := range scale {
		if sw[k] > 0 {
			scale[k] = float64(extra[k]) / sw[k]
		}
	}
	var cum [2]float64
	var given [2]int64
	for j := range tg.ord {
		o := &tg.ord[j]
		k := 0
		if o.buy {
			k = 1
		}
		var size, off int64
		for i := o.first; i < o.first+o.n; i++ {
			left[k]--
			cum[k] += tg.pr[i].w * scale[k]
			x := int64(cum[k]+0.5) - given[k]
			if left[k] == 0 {
				x = extra[k] - given[k]
			}
			x = max(0, min(x, extra[k]-given[k]))
			given[k] += x
			sz := 1 + x
			tg.pr[i].sz = sz
			size += sz
			off += tg.pr[i].lvl * sz
		}
		o.size, o.off = size, off
	}
}

// quote is order o's Σ price×size.
func (o *taker) quote() int64 {
	if o.buy {
		return o.base*o.size + o.off
	}
	return o.base*o.size - o.off
}

// room is how far order o's base may move down (dn <= 0) and up while its
// levels stay inside [l, h].
func (o *taker) room(n *node) (dn, up int64) {
	top, bot := o.base+int64(o.levels-1), o.base
	if !o.buy {
		top, bot = o.base, o.base-int64(o.levels-1)
	}
	return n.l - bot, n.h - top
}

// fixQuote moves the free (unpinned) orders of one side so that the
// side's Σ price×size is exactly target: first all by one shift, then
// each in turn, then the last lots through two single-level orders whose
// prices and sizes are solved exactly. It reports whether it got there.
func (tg *tapeGen) fixQuote(buy bool, target int64, n *node) bool {
	// Each round starts from where the last left the orders.
	for range 3 {
		if tg.fixQuoteOnce(buy, target, n) {
			return true
		}
	}
	return false
}

func (tg *tapeGen) fixQuoteOnce(buy bool, target int64, n *node) bool {
	var cur, zFree int64
	any := false
	for j := range tg.ord {
		o := &tg.ord[j]
		if o.buy != buy {
			continue
		}
		any = true
		cur += o.quote()
		if !o.pin {
			zFree += o.size
		}
	}
	if !any {
		return target == 0
	}
	E := target - cur
	if E == 0 {
		return true
	}
	// One shift for all, twice (clamping leaves some over).
	for pass := 0; pass < 2 && E != 0 && zFree > 0; pass++ {
		d := int64(math.Round(float64(E) / float64(zFree)))
		if d == 0 {
			break
		}
		for j := range tg.ord {
			o := &tg.ord[j]
			if o.buy != buy || o.pin {
				continue
			}
			dn, up := o.room(n)
			x := max(dn, min(up, d))
			o.base += x
			E -= x * o.size
		}
	}
	// Each in turn.
	for j := range tg.ord {
		if E == 0 {
			return true
		}
		o := &tg.ord[j]
		if o.buy != buy || o.pin {
			continue
		}
		dn, up := o.room(n)
		x := max(dn, min(up, E/o.size))
		o.base += x
		E -= x * o.size
	}
	if E == 0 {
		return true
	}
	// The last few lots: two single-level free orders a and b share their
	// lots between two adjacent prices. a must have room toward E.
	if tg.filler(buy, E, n) {
		return true
	}
	// Otherwise lots move between single-level orders (pinned or not)
	// from a low price to a high one (or back): k lots from b to a add
	// k·(pa-pb).
	for pass := 0; pass < 3 && E != 0; pass++ {
		a, b := -1, -1 // a receives: the highest (E > 0) or lowest price
		for j := range tg.ord {
			o := &tg.ord[j]
			if o.buy != buy || o.levels != 1 {
				continue
			}
			if a < 0 || (E > 0) == (o.base > tg.ord[a].base) {
				a = j
			}
			if o.size > int64(o.n) && (b < 0 || (E > 0) == (o.base < tg.ord[b].base)) {
				b = j
			}
		}
		if a < 0 || b < 0 || a == b {
			return false
		}
		oa, ob := &tg.ord[a], &tg.ord[b]
		d := oa.base - ob.base
		if d == 0 {
			return false
		}
		// Whole steps of d, then one more past E (so that the free
		// orders, saturated toward E, can take back the overshoot).
		k := E / d
		last := k == 0
		if last {
			k = 1
		}
		k = min(k, ob.size-int64(ob.n))
		if k <= 0 {
			break
		}
		tg.resize(oa, oa.size+k)
		tg.resize(ob, ob.size-k)
		E -= k * d
		if last {
			break
		}
	}
	return E == 0 || tg.filler(buy, E, n)
}

// filler makes up a residual E of one side's Σ price×size with two
// single-level free orders: their lots are shared between two adjacent
// prices. One of them must have room toward E.
func (tg *tapeGen) filler(buy bool, E int64, n *node) bool {
	// One free order of two prints or more can absorb E alone, as a
	// sweep of two adjacent levels.
	for a := range tg.ord {
		if o := &tg.ord[a]; o.buy == buy && !o.pin && o.n >= 2 && tg.fill1(o, E, n) {
			return true
		}
	}
	if tg.fillPin(buy, E, n) {
		return true
	}
	tries := 0
	for a := range tg.ord {
		oa := &tg.ord[a]
		if oa.buy != buy || oa.pin || oa.levels != 1 || (E > 0 && oa.base >= n.h) || (E < 0 && oa.base <= n.l) {
			continue
		}
		for b := range tg.ord {
			ob := &tg.ord[b]
			if b == a || ob.buy != buy || ob.pin || ob.levels != 1 {
				continue
			}
			if tg.fill2(oa, ob, E, n) {
				return true
			}
			if tries++; tries > 12 {
				return false
			}
		}
	}
	return false
}

// fillPin makes up E with a pinned single-level order and a free one of
// one print (small leaves): their lots are shared anew, the free one at a
// price p with z lots such that z·(p - pin) is what the pair must add
// over the pin's price: a divisor search over the range, for few prints.
func (tg *tapeGen) fillPin(buy bool, E int64, n *node) bool {
	if len(tg.pr) > 16 || n.h-n.l > 256 {
		return false
	}
	for a := range tg.ord {
		pa := &tg.ord[a]
		if pa.buy != buy || !pa.pin || pa.levels != 1 {
			continue
		}
		for b := range tg.ord {
			f := &tg.ord[b]
			if f.buy != buy || f.pin || f.levels != 1 || f.n != 1 {
				continue
			}
			Z := pa.size + f.size
			R := f.base*f.size + pa.base*pa.size + E - pa.base*Z // = z·(p - pin)
			for p := n.l; p <= n.h; p++ {
				d := p - pa.base
				if d == 0 || R%d != 0 {
					continue
				}
				z := R / d
				if z >= 1 && Z-z >= int64(pa.n) {
					f.base = p
					tg.resize(f, z)
					tg.resize(pa, Z-z)
					return true
				}
			}
		}
	}
	return false
}

// fill1 re-prices order o so that its Σ price×size grows by E: its
// prints at a base price, the last one level further (up for a buy, down
// for a sell) holding the remainder.
func (tg *tapeGen) fill1(o *taker, E int64, n *node) bool {
	Z := o.size
	T := o.quote() + E
	k := int64(o.n)
	var base, x int64 // x lots one level beyond base
	if o.buy {
		base = floorDiv(T, Z)
		x = T - base*Z
		if base < n.l || base > n.h || (x > 0 && base+1 > n.h) {
			return false
		}
	} else {
		base = -floorDiv(-T, Z) // ceil
		x = base*Z - T
		if base < n.l || base > n.h || (x > 0 && base-1 < n.l) {
			return false
		}
	}
	if x > 0 && (x < 1 || Z-x < k-1) {
		return false
	}
	ps := tg.pr[o.first : o.first+o.n]
	if x == 0 {
		for i := range ps {
			ps[i].lvl = 0
		}
		o.base, o.levels, o.off = base, 1, 0
		return true
	}
	// The first k-1 prints share Z-x lots at base (keeping their
	// proportions), the last takes x one level on.
	o.levels = 1
	o.size = Z - x
	old := Z - ps[k-1].sz
	rest := Z - x - (k - 1)
	var given int64
	for i := 0; i < int(k)-1; i++ {
		y := int64(0)
		if i == int(k)-2 {
			y = rest - given
		} else if old > k-1 {
			y = min(mulDiv(ps[i].sz-1, rest, old-(k-1)), rest-given)
		}
		given += y
		ps[i].sz, ps[i].lvl = 1+y, 0
	}
	ps[k-1].sz, ps[k-1].lvl = x, 1
	o.base, o.levels, o.size, o.off = base, 2, Z, x
	return true
}

// fill2 re-prices orders oa and ob (single level, free) at two adjacent
// prices and shares their lots so that their Σ price×size grows by E.
func (tg *tapeGen) fill2(oa, ob *taker, E int64, n *node) bool {
	Z := oa.size + ob.size
	T := oa.base*oa.size + ob.base*ob.size + E
	plo := floorDiv(T, Z)
	x := T - plo*Z // lots at plo+1
	if plo < n.l || plo > n.h || (x > 0 && plo+1 > n.h) {
		return false
	}
	if x == 0 {
		oa.base, ob.base = plo, plo
		return true
	}
	hiO, loO := oa, ob
	if x < int64(hiO.n) || Z-x < int64(loO.n) {
		hiO, loO = ob, oa
	}
	if x < int64(hiO.n) || Z-x < int64(loO.n) {
		return false
	}
	hiO.base, loO.base = plo+1, plo
	tg.resize(hiO, x)
	tg.resize(loO, Z-x)
	return true
}

// resize sets order o's total size to z (>= its print count), keeping its
// prints' proportions roughly.
func (tg *tapeGen) resize(o *taker, z int64) {
	ps := tg.pr[o.first : o.first+o.n]
	extra := z - int64(len(ps))
	old := o.size - int64(len(ps))
	var given int64
	for i := range ps {
		x := int64(0)
		if i == len(ps)-1 {
			x = extra - given
		} else if old > 0 {
			x = mulDiv(ps[i].sz-1, extra, old)
			x = min(x, extra-given)
		}
		given += x
		ps[i].sz = 1 + x
	}
	o.size = z
}

// times gives the M orders distinct, increasing microseconds strictly
// inside the second starting at t0: gaps are exponential, a tenth as long
// inside a burst, and bursts persist.
func (tg *tapeGen) times(r *stream, t0 int64, M int) {
	const span = 1_000_000
	if M >= span-1 {
		for j := range tg.ord {
			tg.ord[j].t = t0 + 1 + int64(j)*(span-2)/int64(M)
		}
		return
	}
	for len(tg.gap) < M+1 {
		tg.gap = append(tg.gap, 0)
	}
	burst := r.unit() < 0.5
	var sum float64
	for j := 0; j <= M; j++ {
		u := r.next()
		if burst {
			burst = u&0xff < 200
		} else {
			burst = u&0xff < 40
		}
		g := r.expo()
		if burst {
			g *= 0.08
		}
		tg.gap[j] = g
		sum += g
	}
	// Orders j gets t0 + j + 1 + the scaled sum of the first j+1 gaps:
	// strictly increasing, and below t0 + span.
	free := float64(span - M - 1)
	var cum float64
	for j := 0; j < M; j++ {
		cum += tg.gap[j]
		tg.ord[j].t = t0 + int64(j) + 1 + int64(cum/sum*free)
	}
}

// sidePins swaps the sides of pinned orders with free single-level ones
// so that each pinned price sits on the side whose target VWAP it is
// nearer; a side whose VWAP is the high (or the low) can hold no print
// below (above) it, so a pin elsewhere goes to the other side. Print
// counts per side move with the swaps and stay within the side's lots.
func (tg *tapeGen) sidePins(n *node) {
	S := n.vol - n.tbb
	if n.tbb == 0 || S == 0 {
		return
	}
	vb := float64(n.tbq) / float64(n.tbb)
	vs := float64(n.qv-n.tbq) / float64(S)
	var cnt [2]int64 // prints per side: sells, buys
	for j := range tg.ord {
		o := &tg.ord[j]
		if o.buy {
			cnt[1] += int64(o.n)
		} else {
			cnt[0] += int64(o.n)
		}
	}
	lots := [2]int64{S, n.tbb}
	for j := range tg.ord {
		o := &tg.ord[j]
		if !o.pin {
			continue
		}
		p := float64(o.base)
		db, ds := math.Abs(p-vb), math.Abs(p-vs)
		wantBuy := db < ds
		switch {
		case (n.tbq == n.tbb*n.h || n.tbq == n.tbb*n.l) && o.base*n.tbb != n.tbq:
			wantBuy = false // the buys are all at one extreme
		case (n.qv-n.tbq == S*n.h || n.qv-n.tbq == S*n.l) && o.base*S != n.qv-n.tbq:
			wantBuy = true
		case db == ds:
			continue
		}
		if o.buy == wantBuy {
			continue
		}
		to, from := 0, 1 // the pin moves from side "from" to side "to"
		if wantBuy {
			to, from = 1, 0
		}
		best := -1
		for k := range tg.ord {
			f := &tg.ord[k]
			if f.pin || f.buy != wantBuy || f.levels != 1 {
				continue
			}
			// After the swap: side to loses f.n prints and gains o.n.
			nt := cnt[to] - int64(f.n) + int64(o.n)
			nf := cnt[from] - int64(o.n) + int64(f.n)
			if nt > lots[to] || nf > lots[from] || nf < 1 || nt < 1 {
				continue
			}
			best = k
			if f.n == o.n {
				break
			}
		}
		if best < 0 {
			continue
		}
		f := &tg.ord[best]
		cnt[to] += int64(o.n - f.n)
		cnt[from] += int64(f.n - o.n)
		f.buy, o.buy = o.buy, f.buy
	}
}
