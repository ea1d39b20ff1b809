package synth

import "math"

// splitMemo is what a dry split (pathVWAP) drew and laid out for a node,
// kept for the node's own split: the same node's draws are the same, and
// shape given the same variances lays out the same path. A day's dry
// split comes before the day is split (fixDay aims the day with it), a
// 6-hour block's before its own split (the day's split aims it): each
// then costs the split once more, not twice (about half of an hourly
// candle's cost since pathVWAP). gen.memo holds them for the days of the
// 4-day block last fixed and the 6-hour blocks of the day last split.
type splitMemo struct {
	ok         bool
	s          *symbol
	L          int
	pidx, t0   int64
	pjx, pv    float64
	o, c, h, l int64

	// draw's results.
	w, act, eps, epsSym, e1, e2, nb [maxFan + 1]float64
	uH, uL                          float64
	actKey                          uint64
	jumpKid                         int
	jumpE                           float64

	// shape's variances (after activate) and results.
	win, bst, sq, ws, b, hr, lr, tgt [maxFan + 1]float64
	sjk                              int
	iH, iL                           int
}

// memoSlot is where a dry split of the children of level L of node pidx
// is kept, or nil for the levels pathVWAP does not split.
func (g *gen) memoSlot(L int, pidx int64) *splitMemo {
	if L != dayLevel+1 && L != dayLevel+2 {
		return nil
	}
	return &g.memo[L-dayLevel-1][pidx&(blockDays-1)]
}

// memoFor returns the dry split of node p (pidx, its children at level
// L) if g keeps it, else nil. g.pjx and g.pv are p's (draw reads them).
func (g *gen) memoFor(L int, p *node, pidx int64) *splitMemo {
	if g.dry || g.rec != nil {
		return nil
	}
	r := g.memoSlot(L, pidx)
	if r == nil || !r.ok || r.s != g.s || r.L != L || r.pidx != pidx || r.t0 != p.t0 ||
		r.pjx != g.pjx || r.pv != g.pv || r.o != p.o || r.c != p.c || r.h != p.h || r.l != p.l {
		return nil
	}
	return r
}

// saveDraw keeps draw's results for p's split (pidx, children at L).
func (r *splitMemo) saveDraw(g *gen, L, k int, p *node, pidx int64) {
	r.ok = false // until saveShape
	r.s, r.L, r.pidx, r.t0, r.pjx, r.pv = g.s, L, pidx, p.t0, g.pjx, g.pv
	r.o, r.c, r.h, r.l = p.o, p.c, p.h, p.l
	copy(r.w[:k], g.w[:k])
	copy(r.act[:k], g.act[:k])
	copy(r.eps[:k], g.eps[:k])
	copy(r.epsSym[:k], g.epsSym[:k])
	copy(r.e1[:k], g.e1[:k])
	copy(r.e2[:k], g.e2[:k])
	copy(r.nb[:k], g.nb[:k])
	r.uH, r.uL, r.actKey, r.jumpKid, r.jumpE = g.uH, g.uL, g.actKey, g.jumpKid, g.jumpE
}

// loadDraw is draw from the kept results.
func (r *splitMemo) loadDraw(g *gen, k int) {
	copy(g.w[:k], r.w[:k])
	copy(g.act[:k], r.act[:k])
	copy(g.eps[:k], r.eps[:k])
	copy(g.epsSym[:k], r.epsSym[:k])
	copy(g.e1[:k], r.e1[:k])
	copy(g.e2[:k], r.e2[:k])
	copy(g.nb[:k], r.nb[:k])
	g.uH, g.uL, g.actKey, g.jumpKid, g.jumpE = r.uH, r.uL, r.actKey, r.jumpKid, r.jumpE
}

// saveShape keeps shape's variances (g.w0) and results; the split is
// kept from here on.
func (r *splitMemo) saveShape(g *gen, k, iH, iL int) {
	copy(r.win[:k], g.w0[:k])
	r.sjk = g.jumpKid
	copy(r.bst[:k], g.bst[:k])
	copy(r.sq[:k], g.sq[:k])
	copy(r.ws[:k], g.w[:k])
	copy(r.b[:k+1], g.b[:k+1])
	copy(r.hr[:k], g.hr[:k])
	copy(r.lr[:k], g.lr[:k])
	copy(r.tgt[:k], g.tgt[:k])
	r.iH, r.iL = iH, iL
	r.ok = true
}

// loadShape is shape from the kept results, if it was given the same
// variances (g.w0) and jump as now.
func (r *splitMemo) loadShape(g *gen, k int) (iH, iL int, ok bool) {
	if r.sjk != g.jumpKid {
		return 0, 0, false
	}
	for i := 0; i < k; i++ {
		if math.Float64bits(r.win[i]) != math.Float64bits(g.w0[i]) {
			return 0, 0, false
		}
	}
	copy(g.bst[:k], r.bst[:k])
	copy(g.sq[:k], r.sq[:k])
	copy(g.w[:k], r.ws[:k])
	copy(g.b[:k+1], r.b[:k+1])
	copy(g.hr[:k], r.hr[:k])
	copy(g.lr[:k], r.lr[:k])
	copy(g.tgt[:k], r.tgt[:k])
	return r.iH, r.iL, true
}
