package synth

// A natural draw's quote volumes, moved exactly. A leaf that takes its
// natural draw (natural) can still take a given quote volume per side
// when the side has free single-print orders (not holding o, h, l or c):
// adjust moves their prices, and shares the lots of the two largest, so
// that the side's Σ price×size moves by exactly d. Every d in the
// interval adjustRoom reports is reached: minuteLeaves hands natural
// leaves differences inside it, and lay makes the same moves from the
// same natural draw, so their tapes add up exactly.

// adjustPair is the index (into tg.ord) of the two largest free
// single-print orders of one side, the larger first (the earlier on a
// tie), and the number of such orders.
func (tg *tapeGen) adjustPair(buy bool) (a, b, m int) {
	a, b = -1, -1
	for j := range tg.ord {
		o := &tg.ord[j]
		if o.buy != buy || o.pin || o.n != 1 || o.levels != 1 {
			continue
		}
		m++
		switch {
		case a < 0 || o.size > tg.ord[a].size:
			a, b = j, a
		case b < 0 || o.size > tg.ord[b].size:
			b = j
		}
	}
	return a, b, m
}

// adjustRoom is how far adjust can move one side's Σ price×size of the
// draw in tg (dn <= 0 <= up): each free single-print order up to the
// leaf's extremes when the side has two (their lots in units of the
// pair's), a lone one only when it holds a single lot, none otherwise.
func (tg *tapeGen) adjustRoom(buy bool, n *node) (dn, up int64) {
	a, _, m := tg.adjustPair(buy)
	if m == 1 && tg.ord[a].size != 1 {
		if lo, hi, q, ok := tg.adjustLone(a, n); ok {
			return lo - q, hi - q
		}
	}
	if m == 0 || (m == 1 && tg.ord[a].size != 1) {
		return 0, 0
	}
	for j := range tg.ord {
		o := &tg.ord[j]
		if o.buy != buy || o.pin || o.n != 1 || o.levels != 1 {
			continue
		}
		dn -= o.size * (o.base - n.l)
		up += o.size * (n.h - o.base)
	}
	return dn, up
}

// adjust moves one side's Σ price×size of the draw in tg by d, exactly,
// and reports whether it could (always, for d within adjustRoom). The
// orders other than the pair move first, each by whole ticks, until what
// is left lies within what the pair can take; the pair then takes it at
// one price or two adjacent ones, its lots shared anew (at least one
// each). The pair's lots are at least any other's, and its span
// (lots × range) is then at least any other's step, so no step
// overshoots it.
func (tg *tapeGen) adjust(buy bool, d int64, n *node) bool {
	if d == 0 {
		return true
	}
	a, b, m := tg.adjustPair(buy)
	switch {
	case m == 0:
		return false
	case m == 1 && tg.ord[a].size != 1:
		lo, hi, q, ok := tg.adjustLone(a, n)
		if !ok || q+d < lo || q+d > hi {
			return false
		}
		o, p := &tg.ord[a], &tg.ord[tg.adjustPin(a)]
		Z := o.size + p.size
		o.base = q + d - p.base*(Z-1)
		o.size, p.size = 1, Z-1
		tg.pr[o.first].sz, tg.pr[p.first].sz = 1, Z-1
		return true
	case m == 1:
		o := &tg.ord[a]
		if o.base+d < n.l || o.base+d > n.h {
			return false
		}
		o.base += d
		return true
	}
	oa, ob := &tg.ord[a], &tg.ord[b]
	Z := oa.size + ob.size
	base := oa.size*oa.base + ob.size*ob.base
	up, dn := Z*n.h-base, base-Z*n.l // the pair's room
	for j := range tg.ord {
		o := &tg.ord[j]
		if j == a || j == b || o.buy != buy || o.pin || o.n != 1 || o.levels != 1 {
			continue
		}
		switch z := o.size; {
		case d > up:
			s := min(n.h-o.base, (d-up+z-1)/z)
			o.base += s
			d -= s * z
		case d < -dn:
			s := min(o.base-n.l, (-dn-d+z-1)/z)
			o.base -= s
			d += s * z
		}
	}
	if d > up || d < -dn {
		return false
	}
	w := base + d // the pair's Σ price×size: Z·q + x
	q := floorDiv(w, Z)
	x := w - q*Z
	oa.base, ob.base = q, q
	if x > 0 { // x lots at q+1 (q < h: w <= Z·h)
		ob.base = q + 1
		oa.size, ob.size = Z-x, x
		tg.pr[oa.first].sz, tg.pr[ob.first].sz = Z-x, x
	}
	return true
}

// adjustPin is the first pinned order of one print on the side of free
// order a, or -1.
func (tg *tapeGen) adjustPin(a int) int {
	for j := range tg.ord {
		o := &tg.ord[j]
		if o.pin && o.buy == tg.ord[a].buy && o.n == 1 && o.levels == 1 {
			return j
		}
	}
	return -1
}

// adjustLone is what a side's lone free single-print order a of more
// than a lot reaches with a pinned order of one print of its side
// (adjustPin): the pin takes all their lots but one, which the free order
// holds at any price in [l, h], so their Σ price×size takes every value
// in [lo, hi]; q is theirs now, ok false when it lies outside (or there is
// no such pin).
func (tg *tapeGen) adjustLone(a int, n *node) (lo, hi, q int64, ok bool) {
	j := tg.adjustPin(a)
	if j < 0 {
		return 0, 0, 0, false
	}
	o, p := &tg.ord[a], &tg.ord[j]
	Z := o.size + p.size
	q = o.base*o.size + p.base*p.size
	lo, hi = p.base*(Z-1)+n.l, p.base*(Z-1)+n.h
	return lo, hi, q, q >= lo && q <= hi
}
