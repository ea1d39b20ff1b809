package synth

// inf stands for "no upper bound" in integer allocations; sums saturate
// there instead of overflowing.
const inf = int64(1) << 62

func satAdd(a, b int64) int64 {
	if a >= inf-b {
		return inf
	}
	return a + b
}

// alloc splits total into g.bt[:k] so that sum == total exactly, each
// part as close to its share of g.tgt (tgt[i]/sum(tgt)·total) as rounding
// allows, and within [g.lo[i], g.hi[i]] whenever sum(lo) <= total <=
// sum(hi). When that is infeasible the bounds fall back to [g.olo[i],
// g.ohi[i]] if fallback is set (the caller guarantees those feasible).
// Targets must be >= 0; a part whose hi is 0 gets nothing.
//
// The split is sequential: each part takes its rounded target (carrying
// rounding and clamping errors forward) clamped so that the parts after it
// can still be filled within their bounds; the last part takes the rest.
// Everything lives in g, so the loops need one base register.
func (g *gen) alloc(total int64, k int, fallback bool) {
	if k <= 0 || k > maxFan {
		panic("synth: alloc: bad number of parts")
	}
	lo, hi := &g.lo, &g.hi
	st := g.allocSums(k, lo, hi)
	if fallback && (g.as.lo[0] > total || total > g.as.hi[0]) {
		lo, hi = &g.olo, &g.ohi
		st = g.allocSums(k, lo, hi)
	}
	scale := 0.0
	if st > 0 {
		scale = float64(total) / st
	}
	// Parts take the differences of the rounded running total of their
	// targets; what a bound takes away is owed to the next part. (The
	// running total and the debt are separate chains, which keeps the loop
	// fast.)
	rem := total
	var cum float64
	var prev, debt int64
	for i := 0; i < k-1; i++ {
		h := hi[i]
		if h > 0 {
			cum += g.tgt[i] * scale
		}
		r := int64(cum + 0.5)
		want := r - prev + debt
		prev = r
		x := max(lo[i], min(h, want))
		// Leave what the rest can take: rem-x within [restLo, restHi].
		if r := g.as.hi[i+1]; r < inf {
			x = max(x, rem-r)
		}
		x = min(x, rem-g.as.lo[i+1])
		debt = want - x
		g.bt[i] = x
		rem -= x
	}
	g.bt[k-1] = rem
}

// fits reports whether total lies within the sums of the first k bounds
// [lo[i], hi[i]].
func (g *gen) fits(k int, lo, hi *ivec, total int64) bool {
	g.allocSums(k, lo, hi)
	return g.as.lo[0] <= total && total <= g.as.hi[0]
}

// allocSums sets g.as to the suffix sums of the bounds (what parts i..
// can absorb; hi saturating at inf) and returns the sum of the targets of
// the parts that can take anything, added from the last part back.
func (g *gen) allocSums(k int, lo, hi *ivec) float64 {
	var st float64
	var sLo, sHi int64
	g.as.lo[k], g.as.hi[k] = 0, 0
	for i := k - 1; i >= 0; i-- {
		h := hi[i]
		sLo += lo[i] // lo never saturates
		sHi = satAdd(sHi, h)
		g.as.lo[i], g.as.hi[i] = sLo, sHi
		if h > 0 {
			st += g.tgt[i]
		}
	}
	return st
}

// fvec and ivec are the per-child scratch vectors of a split (one more
// entry than children, for boundaries).
type (
	fvec = [maxFan + 1]float64
	ivec = [maxFan + 1]int64
)

// allocScratch holds alloc's suffix sums, so that no call zeroes arrays.
type allocScratch struct{ lo, hi [maxFan + 1]int64 }

// mulDiv returns a*b/c rounded down, for non-negative operands, without
// intermediate overflow.
func mulDiv(a, b, c int64) int64 {
	if c <= 0 {
		return 0
	}
	hi, lo := mul64(uint64(a), uint64(b))
	if hi >= uint64(c) {
		return inf
	}
	q, _ := div64(hi, lo, uint64(c))
	return int64(q)
}
