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
	// fold lets repair fold free sweeps into one level (its last try).
	fold bool
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

// naturalFree is the number of free prints (beyond a print per distinct
// open, high, low and close) from which a leaf's tape is solved for its
// quote volumes: with two free prints per side the exact repair reaches
// any quote volume its prices allow (repair). A leaf of fewer takes its
// natural draw: its orders, prices and sizes laid out from its prices,
// volumes and taker-buy volume alone, with no solving for the quote
// volumes; the split that makes leaves (minuteLeaves, feasible.go) gives
// such a leaf the natural draw's quote volumes, so that its tape adds up
// exactly, and its differences to the leaves that absorb (absorbs).
const naturalFree = 4

// natural reports whether leaf n takes its natural draw: fewer than
// naturalFree trades beyond a trade per price, one side only for a single
// trade.
func (n *node) natural() bool {
	N := n.trades
	return N >= 1 && N >= n.pins() && (N >= 2 || n.tbb == 0 || n.tbb == n.vol) && !n.absorbs()
}

// lay lays out the orders of leaf idx (node n, at least a trade) and
// reports whether they aggregate exactly to n. The natural draw comes
// first where the leaf allows it, and is kept when its quote volumes are
// the leaf's; otherwise the orders are solved for the leaf's quote
// volumes, small leaves trying other draws (sides, pins, sizes) in a fixed
// order until one adds up. Times are laid out unless times is false.
func (tg *tapeGen) lay(s *symbol, idx int64, n *node, times bool) bool {
	N := int(n.trades)
	if n.nat || n.natural() {
		qv, tbq := tg.naturalQuote(s, idx, n, times)
		if qv == n.qv && tbq == n.tbq {
			return true
		}
		// (A flat leaf's draw is laid out whenever times are: with
		// times false, naturalQuote may skip it, and a flat draw cannot
		// move.)
		if n.h != n.l && tg.adjust(true, n.tbq-tbq, n) && tg.adjust(false, n.qv-n.tbq-(qv-tbq), n) {
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
	// Last, the natural draw moved exactly, where its free orders reach.
	if int64(N) >= n.pins() && (N >= 2 || n.tbb == 0 || n.tbb == n.vol) && n.h != n.l {
		qv, tbq := tg.naturalQuote(s, idx, n, times)
		return tg.adjust(true, n.tbq-tbq, n) && tg.adjust(false, n.qv-n.tbq-(qv-tbq), n)
	}
	return false
}

// naturalQuote lays out leaf n's natural draw and returns its Σ
// price×size, and the buys'.
func (tg *tapeGen) naturalQuote(s *symbol, idx int64, n *node, times bool) (qv, tbq int64) {
	if !times && n.h == n.l {
		// What build lays out: every print at the price, the buys
		// holding the taker-buy lots (a single print: every lot, on the
		// side that has them).
		qv, tbq = n.o*n.vol, n.o*n.tbb
		if n.trades == 1 {
			tbq = 0
			if 2*n.tbb >= n.vol {
				tbq = qv
			}
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

	// The orders pinned at h and l: single-level orders inside the leaf,
	// the low first more often when the price rose.
	jH, jL := -1, -1
	if needH || needL {
		// As many orders inside the leaf as it has inner pins (prints
		// become orders of their own), else two pins share an order and
		// the high or the low is not printed.
		tg.innerOrders(int(boolInt(needH) + boolInt(needL)))
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
		if !okB || !okS {
			// The exact repair, with two free prints per side where the
			// leaf has them.
			tg.spread()
			okB = tg.sideQuote(true) == n.tbq || tg.repair(true, n.tbq, n)
			okS = tg.sideQuote(false) == n.qv-n.tbq || tg.repair(false, n.qv-n.tbq, n)
			// A side whose pinned prices keep it out of reach hands a pin
			// to the other side for a free print, and both sides repair
			// again.
			for try := 0; try < 4 && (!okB || !okS); try++ {
				buy := !okB
				if !tg.tradePin(buy, n) {
					break
				}
				okB = tg.sideQuote(true) == n.tbq || tg.repair(true, n.tbq, n)
				okS = tg.sideQuote(false) == n.qv-n.tbq || tg.repair(false, n.qv-n.tbq, n)
			}
			// Last, the pins' sides chosen among all, and the free sweeps
			// folded where the target is at the side's extreme.
			if (!okB || !okS) && tg.pinSides(n) {
				okB = tg.sideQuote(true) == n.tbq || tg.repair(true, n.tbq, n)
				okS = tg.sideQuote(false) == n.qv-n.tbq || tg.repair(false, n.qv-n.tbq, n)
			}
			if !okB || !okS {
				tg.fold = true
				okB = okB || tg.repair(true, n.tbq, n)
				okS = okS || tg.repair(false, n.qv-n.tbq, n)
				tg.fold = false
			}
		}
	}

	// Times: distinct microseconds inside the second, in bursts.
	if times {
		tg.times(r, idx*1_000_000, len(tg.ord)) // (repair may have added orders)
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

// pickPins picks one or two distinct orders strictly inside the leaf
// (not the first, not the last), single-level ones where it can (a sweep
// is folded), in time order, and marks them pinned. With too few orders
// (fewer trades than pins: leafFeasible excludes it; build makes the
// orders otherwise, innerOrders) it picks what there is.
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
		for d := 0; d < M-2; d++ { // a sweep then (pin folds it)
			j := 1 + (start-1+d)%(M-2)
			if j != avoid && !tg.ord[j].pin {
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

// innerOrders splits orders until the leaf has k orders besides its
// first and its last: the order of most prints (the earliest on a tie)
// gives its last print (the last order its first, so that it stays
// last) to a new single-level order of its side beside it. A sweep split
// so is folded into one level first.
func (tg *tapeGen) innerOrders(k int) {
	for len(tg.ord)-2 < k {
		j := -1
		for i := range tg.ord {
			if tg.ord[i].n >= 2 && (j < 0 || tg.ord[i].n > tg.ord[j].n) {
				j = i
			}
		}
		if j < 0 {
			return // (fewer prints than pins: the leaf has no exact tape)
		}
		o := &tg.ord[j]
		if o.levels > 1 {
			o.levels = 1
			for i := o.first; i < o.first+o.n; i++ {
				tg.pr[i].lvl = 0
			}
		}
		nw := taker{buy: o.buy, levels: 1, n: 1}
		at := j + 1
		if j == len(tg.ord)-1 {
			nw.first, at = o.first, j
			o.first++
		} else {
			nw.first = o.first + o.n - 1
		}
		o.n--
		tg.ord = append(tg.ord, taker{})
		copy(tg.ord[at+1:], tg.ord[at:])
		tg.ord[at] = nw
	}
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

// repair makes one side's Σ price×size exactly target where fixQuote
// missed, in integers: a group of free orders (the free order of most
// lots with two prints or more, else the two free orders of most lots)
// takes the side's residual at two adjacent prices p and p+1, its prints
// split between them (an order holding both is a sweep of two levels)
// and its lots shared so that the group's Σ price×size is what the side
// needs. First the other free orders move toward the target and lots move
// into the group from the orders priced farthest from where it must go,
// as far as needed for the group's need to lie within [l, h]; where they
// cannot, the pinned orders' extra prints become free orders, and on
// build's last try (tg.fold) the free sweeps fold into one level (a side
// aimed at an extreme has every free lot there). It succeeds whenever the
// side can reach target at all with its pinned prices (each pinned order
// keeping a lot per print) and at least two free prints; it reports
// whether it did.
func (tg *tapeGen) repair(buy bool, target int64, n *node) bool {
	for {
		ok, short := tg.repairOnce(buy, target, n)
		if ok || !short {
			return ok
		}
		// Out of reach: the pinned orders' extra prints (a lot each at a
		// pinned price) become free orders, and the repair runs again.
		d := -1
		for j := range tg.ord {
			o := &tg.ord[j]
			if o.buy == buy && o.pin && o.levels == 1 && o.n >= 2 {
				d = j
				break
			}
		}
		if d < 0 {
			// Then a free sweep folds into one level, so that its
			// lots can move to an extreme and into the group.
			for j := range tg.ord {
				o := &tg.ord[j]
				if o.buy == buy && !o.pin && o.levels > 1 {
					d = j
					break
				}
			}
			if d < 0 || !tg.fold {
				return false
			}
			o := &tg.ord[d]
			o.levels, o.off = 1, 0
			for i := o.first; i < o.first+o.n; i++ {
				tg.pr[i].lvl = 0
			}
			continue
		}
		for tg.ord[d].n >= 2 {
			last := d == len(tg.ord)-1
			tg.detach(d, last)
			if last {
				d++
			}
		}
	}
}

// repairOnce is one pass of repair; short reports that the group could
// not reach the target (the others' pinned lots in the way).
func (tg *tapeGen) repairOnce(buy bool, target int64, n *node) (ok, short bool) {
	// The group: indices a (and b, or -1).
	a, b := -1, -1
	for j := range tg.ord {
		o := &tg.ord[j]
		if o.buy != buy || o.pin {
			continue
		}
		switch {
		case a < 0 || o.size > tg.ord[a].size:
			a, b = j, a
		case b < 0 || o.size > tg.ord[b].size:
			b = j
		}
	}
	if a < 0 {
		return false, false
	}
	if tg.ord[a].n < 2 {
		// Two orders, unless a single one of several prints will do.
		if b < 0 {
			return false, false
		}
	} else {
		b = -1
	}
	inG := func(j int) bool { return j == a || j == b }
	var R, Z int64 // the others' Σ price×size; the group's lots
	for j := range tg.ord {
		o := &tg.ord[j]
		if o.buy != buy {
			continue
		}
		if inG(j) {
			Z += o.size
		} else {
			R += o.quote()
		}
	}
	// Too high: the others move up, then give the group their cheapest
	// lots; too low, the reverse.
	for step := 0; step < 2; step++ {
		for guard := 0; guard < 4*len(tg.ord)+8; guard++ {
			T := target - R
			up := T > Z*n.h // the group cannot go high enough
			if !up && T >= Z*n.l {
				break
			}
			D := T - Z*n.h
			if !up {
				D = Z*n.l - T
			}
			// The order of the side (not in the group) that helps most.
			best, bestGain := -1, int64(0)
			for j := range tg.ord {
				o := &tg.ord[j]
				if o.buy != buy || inG(j) {
					continue
				}
				var g int64
				if step == 0 {
					if o.pin {
						continue
					}
					dn, upr := o.room(n)
					g = upr * o.size
					if !up {
						g = -dn * o.size
					}
				} else {
					if o.levels != 1 || o.size <= int64(o.n) {
						continue
					}
					g = (n.h - o.base) * (o.size - int64(o.n))
					if !up {
						g = (o.base - n.l) * (o.size - int64(o.n))
					}
				}
				if g > bestGain {
					best, bestGain = j, g
				}
			}
			if best < 0 {
				break
			}
			o := &tg.ord[best]
			R -= o.quote()
			if step == 0 {
				dn, upr := o.room(n)
				if up {
					o.base += min(upr, ceilDiv(D, o.size))
				} else {
					o.base -= min(-dn, ceilDiv(D, o.size))
				}
			} else {
				per := n.h - o.base
				if !up {
					per = o.base - n.l
				}
				k := min(ceilDiv(D, per), o.size-int64(o.n))
				tg.resize(o, o.size-k)
				tg.resize(&tg.ord[a], tg.ord[a].size+k)
				Z += k
			}
			R += o.quote()
		}
	}
	T := target - R
	if T < Z*n.l || T > Z*n.h {
		return false, true
	}
	p := floorDiv(T, Z)
	x := T - p*Z // lots at p+1
	nG := tg.ord[a].n
	if b >= 0 {
		nG += tg.ord[b].n
	}
	// H prints at p+1 (the last of the group for a buy, the first for a
	// sell, so that each order's levels run the right way), the rest at p.
	H := 0
	if x > 0 {
		H = int(max(1, min(x, int64(nG)-(Z-x))))
	}
	g := [2]int{a, b}
	if b >= 0 && b < a {
		g = [2]int{b, a}
	}
	// The prints of the group in time order, and their old sizes as
	// weights: H of them share x lots, the rest Z-x.
	var wH, wL int64
	idx := 0
	for _, j := range g {
		if j < 0 {
			continue
		}
		o := &tg.ord[j]
		for i := o.first; i < o.first+o.n; i++ {
			if tg.atHigh(idx, nG, H, buy) {
				wH += tg.pr[i].sz - 1
			} else {
				wL += tg.pr[i].sz - 1
			}
			idx++
		}
	}
	var cH, cL, gH, gL int64 // cumulative weights and lots given, beyond a lot per print
	eH, eL := x-int64(H), Z-x-int64(nG-H)
	leftH, leftL := H, nG-H
	idx = 0
	for _, j := range g {
		if j < 0 {
			continue
		}
		o := &tg.ord[j]
		hi := 0
		var size, off int64
		for i := o.first; i < o.first+o.n; i++ {
			pr := &tg.pr[i]
			w := pr.sz - 1
			var y int64
			if tg.atHigh(idx, nG, H, buy) {
				hi++
				leftH--
				cH += w
				y = mulDiv(cH, eH, max(wH, 1)) - gH
				if wH == 0 {
					y = 0
				}
				if leftH == 0 {
					y = eH - gH
				}
				gH += y
				pr.lvl = 1 // for a buy: base p; fixed below for a sell
			} else {
				leftL--
				cL += w
				y = mulDiv(cL, eL, max(wL, 1)) - gL
				if wL == 0 {
					y = 0
				}
				if leftL == 0 {
					y = eL - gL
				}
				gL += y
				pr.lvl = 0
			}
			pr.sz = 1 + y
			size += pr.sz
			idx++
		}
		o.size = size
		switch {
		case hi == 0:
			o.base, o.levels = p, 1
		case hi == o.n:
			o.base, o.levels = p+1, 1
		default:
			o.base, o.levels = p, 2
			if !buy {
				o.base = p + 1
			}
		}
		for i := o.first; i < o.first+o.n; i++ {
			pr := &tg.pr[i]
			switch {
			case o.levels == 1:
				pr.lvl = 0
			case !buy:
				pr.lvl = 1 - pr.lvl // a sell sweeps down from p+1
			}
			off += pr.lvl * pr.sz
		}
		o.off = off
	}
	var q int64
	for j := range tg.ord {
		if o := &tg.ord[j]; o.buy == buy {
			q += o.quote()
		}
	}
	return q == target, false
}

// atHigh reports whether the idx-th of the group's nG prints is one of
// the H at the higher price: the last H for a buy, the first H for a
// sell.
func (tg *tapeGen) atHigh(idx, nG, H int, buy bool) bool {
	if buy {
		return idx >= nG-H
	}
	return idx < H
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }

// detach splits one print off pinned single-level order j into a free
// order of its own at the same price and time place: its first print
// (lead, for the order holding the close: the close stays its last
// print) going just before it, else its last just after it.
func (tg *tapeGen) detach(j int, lead bool) {
	o := tg.ord[j]
	i := o.first + o.n - 1
	at := j + 1
	if lead {
		i, at = o.first, j
	}
	sz := tg.pr[i].sz
	nw := taker{buy: o.buy, levels: 1, first: i, n: 1, base: o.base, size: sz, t: o.t}
	tg.pr[i].lvl = 0
	tg.ord = append(tg.ord, taker{})
	copy(tg.ord[at+1:], tg.ord[at:])
	tg.ord[at] = nw
	k := j
	if lead {
		k = j + 1
		tg.ord[k].first++
	}
	tg.ord[k].n--
	tg.ord[k].size -= sz
}

// sideQuote is the Σ price×size of one side's orders.
func (tg *tapeGen) sideQuote(buy bool) int64 {
	var q int64
	for j := range tg.ord {
		if o := &tg.ord[j]; o.buy == buy {
			q += o.quote()
		}
	}
	return q
}

// freePrints counts the prints of one side's free orders, and those
// its pinned single-level orders could give up (all but one each).
func (tg *tapeGen) freePrints(buy bool) (free, spare int) {
	for j := range tg.ord {
		o := &tg.ord[j]
		switch {
		case o.buy != buy:
		case !o.pin:
			free += o.n
		case o.levels == 1:
			spare += o.n - 1
		}
	}
	return free, spare
}

// spread gives each side two free prints where the leaf has enough: a
// pinned order gives up prints (detach), else a pinned order of one
// print trades sides with a free order of one print of the other side
// (and its size: each side keeps its lots), if that side keeps two free
// prints.
func (tg *tapeGen) spread() {
	for _, buy := range [2]bool{true, false} {
		for guard := 0; guard < 16; guard++ {
			free, spare := tg.freePrints(buy)
			if free >= 2 {
				break
			}
			if spare > 0 {
				d := -1
				for j := range tg.ord {
					o := &tg.ord[j]
					if o.buy == buy && o.pin && o.levels == 1 && o.n >= 2 && (d < 0 || o.n > tg.ord[d].n) {
						d = j
					}
				}
				tg.detach(d, d == len(tg.ord)-1)
				continue
			}
			of, os := tg.freePrints(!buy)
			if of+os < 3 {
				break
			}
			if of < 3 {
				// The other side frees a print first.
				d := -1
				for j := range tg.ord {
					o := &tg.ord[j]
					if o.buy != buy && o.pin && o.levels == 1 && o.n >= 2 && (d < 0 || o.n > tg.ord[d].n) {
						d = j
					}
				}
				tg.detach(d, d == len(tg.ord)-1)
				continue
			}
			P, F := -1, -1
			for j := range tg.ord {
				o := &tg.ord[j]
				if o.n != 1 || o.levels != 1 {
					continue
				}
				if o.buy == buy && o.pin && P < 0 {
					P = j
				}
				if o.buy != buy && !o.pin && F < 0 {
					F = j
				}
			}
			if F < 0 {
				// A free order of several prints on the other side gives
				// one up (a sweep folds to one level first).
				d := -1
				for j := range tg.ord {
					o := &tg.ord[j]
					if o.buy != buy && !o.pin && o.n >= 2 && (d < 0 || o.n > tg.ord[d].n) {
						d = j
					}
				}
				if d < 0 {
					break
				}
				if o := &tg.ord[d]; o.levels > 1 {
					for i := o.first; i < o.first+o.n; i++ {
						tg.pr[i].lvl = 0
					}
					o.levels, o.off = 1, 0
				}
				tg.detach(d, false)
				continue
			}
			if P < 0 {
				// F moves over with a lot of this side's largest order, and
				// its lots go to the other side's largest.
				if !tg.move(F, buy) {
					break
				}
				continue
			}
			p, f := &tg.ord[P], &tg.ord[F]
			p.buy, f.buy = f.buy, p.buy
			p.size, f.size = f.size, p.size
			tg.pr[p.first].sz, tg.pr[f.first].sz = p.size, f.size
		}
	}
}

// move turns free single-print order F to side buy with one lot, taken
// from that side's largest order; its lots go to its old side's largest
// order. It reports false (nothing moved) if the side has no lot to
// spare.
func (tg *tapeGen) move(F int, buy bool) bool {
	g, o := -1, -1 // the givers of lots: this side's, the other side's
	for j := range tg.ord {
		x := &tg.ord[j]
		if j == F {
			continue
		}
		if x.buy == buy && x.size > int64(x.n) && (g < 0 || x.size > tg.ord[g].size) {
			g = j
		}
		if x.buy != buy && (o < 0 || x.size > tg.ord[o].size) {
			o = j
		}
	}
	if g < 0 || o < 0 {
		return false
	}
	f := &tg.ord[F]
	tg.resize(&tg.ord[g], tg.ord[g].size-1)
	tg.reoff(&tg.ord[g])
	tg.resize(&tg.ord[o], tg.ord[o].size+f.size)
	tg.reoff(&tg.ord[o])
	f.buy, f.size = buy, 1
	tg.pr[f.first].sz = 1
	return true
}

// reoff recomputes order o's Σ level×size.
func (tg *tapeGen) reoff(o *taker) {
	var off int64
	for i := o.first; i < o.first+o.n; i++ {
		off += tg.pr[i].lvl * tg.pr[i].sz
	}
	o.off = off
}

// tradePin swaps one side's pinned single-print order farthest from that
// side's target VWAP with a free single-print order of the other side
// (each side keeps its lots: the two swap sizes too). It reports whether
// it found a pair.
func (tg *tapeGen) tradePin(buy bool, n *node) bool {
	z, q := n.tbb, n.tbq
	if !buy {
		z, q = n.vol-n.tbb, n.qv-n.tbq
	}
	if z == 0 {
		return false
	}
	P, F := -1, -1
	var far int64
	for j := range tg.ord {
		o := &tg.ord[j]
		if o.n != 1 || o.levels != 1 {
			continue
		}
		if o.buy == buy && o.pin {
			if d := abs64(o.base*z - q); P < 0 || d > far {
				P, far = j, d
			}
		}
		if o.buy != buy && !o.pin && F < 0 {
			F = j
		}
	}
	if P < 0 || F < 0 {
		return false
	}
	p, f := &tg.ord[P], &tg.ord[F]
	p.buy, f.buy = f.buy, p.buy
	p.size, f.size = f.size, p.size
	tg.pr[p.first].sz, tg.pr[f.first].sz = p.size, f.size
	return true
}

// pinSides gives the pinned orders of one print the sides with which
// both sides' quote volumes are within reach (each pinned print holding a
// lot, the rest of a side's lots on two free prints or more, anywhere in
// [l, h]): of every choice of sides, the one that moves fewest pins. A
// pin that moves trades sides and sizes with a free order of one print
// of the other side, as tradePin's. It reports whether it moved any.
func (tg *tapeGen) pinSides(n *node) bool {
	var pins [6]int
	np := 0
	var fixP, fixC, prints, partners [2]int64 // per side (sells, buys)
	for j := range tg.ord {
		o := &tg.ord[j]
		b := boolInt(o.buy)
		prints[b] += int64(o.n)
		single := o.n == 1 && o.levels == 1
		switch {
		case o.pin && single && np < len(pins):
			pins[np] = j
			np++
		case o.pin:
			fixP[b] += o.base * int64(o.n)
			fixC[b] += int64(o.n)
		case single:
			partners[b]++
		}
	}
	T := [2]int64{n.qv - n.tbq, n.tbq}
	Z := [2]int64{n.vol - n.tbb, n.tbb}
	reach := func(s int, psum, c int64) bool {
		f := Z[s] - c // the free lots
		switch {
		case f < 0:
			return false
		case f == 0:
			return T[s] == psum
		}
		return prints[s]-c >= 2 && T[s]-psum >= f*n.l && T[s]-psum <= f*n.h
	}
	best, flips := -1, np+1
	for mask := 0; mask < 1<<np; mask++ { // bit i set: pin i buys
		p, c := fixP, fixC
		var moves [2]int64 // pins moving to each side
		for i := 0; i < np; i++ {
			o := &tg.ord[pins[i]]
			b := int64(mask >> i & 1)
			p[b] += o.base
			c[b]++
			if b != boolInt(o.buy) {
				moves[b]++
			}
		}
		if m := int(moves[0] + moves[1]); m < flips && moves[0] <= partners[0] && moves[1] <= partners[1] &&
			reach(0, p[0], c[0]) && reach(1, p[1], c[1]) {
			best, flips = mask, m
		}
	}
	if best < 0 || flips == 0 {
		return false
	}
	for i := 0; i < np; i++ {
		po := &tg.ord[pins[i]]
		buy := best>>i&1 == 1
		if po.buy == buy {
			continue
		}
		for k := range tg.ord { // a free order of one print on the side it joins
			f := &tg.ord[k]
			if f.pin || f.buy != buy || f.n != 1 || f.levels != 1 {
				continue
			}
			po.buy, f.buy = f.buy, po.buy
			po.size, f.size = f.size, po.size
			tg.pr[po.first].sz, tg.pr[f.first].sz = po.size, f.size
			break
		}
	}
	return true
}
