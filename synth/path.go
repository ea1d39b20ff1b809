package synth

import "math"

// shape lays out the children's path. g.w[:k] holds the children's
// variances (log-return units; 0 for a child without trades, which stays
// flat) and p scales them to price units.
//
// A raw Brownian bridge from o to c with those variances decides where
// the parent's high and low happen: in the children where the raw path
// peaks and troughs (so a rising parent tends to make its high late). The
// path is then drawn again as a Brownian bridge pinned at o, at h inside
// that child, at l inside the other and at c, folded back into [l, h];
// the other children's highs and lows follow the bridge-extreme law,
// softly truncated to the parent's range. The children's variances are first
// rescaled toward the variance the parent's range implies, and the
// children holding the extremes get the variance that makes their
// excursion typical. The children's extremes are then exactly the
// parent's. shape returns the children holding the parent's high and low,
// and leaves the square roots of the variances it was given in g.sq.
func (g *gen) shape(k int, o, c, h, l, p float64) (iH, iL int) {
	var sumV float64
	for i := 0; i < k; i++ {
		sumV += g.w[i]
		g.bst[i] = 1
		g.sq[i] = math.Sqrt(g.w[i])
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

	// The range implies a variance (Parkinson); move a quarter of the way
	// (in logs) toward it. (Halfway made the range's own randomness a
	// second cascade down the levels, and the 1m returns' tail three times
	// too heavy.)
	rv := (h - l) * (h - l) / (4 * math.Ln2) / p2
	f := max(0.25, min(4, math.Pow(rv/sumV, 0.25)))
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
		g.tgt[i] = g.epsSym[k-1-i] * g.sq[i] // scratch
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
		v := g.w[i] * p2
		if i == g.jumpKid {
			// A jump is a move, not a wick: the extremes around it are
			// where it starts and ends, so the pins fall beside it.
			v = 0
		}
		hi, lo := bridgeExtremes(x, y, v, g.e1[i], g.e2[i])
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
