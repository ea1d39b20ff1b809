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

// alloc splits total into out[:k] so that sum(out) == total exactly, each
// out[i] as close to its share of tgt (tgt[i]/sum(tgt)·total) as rounding
// allows, and within [lo[i], hi[i]] whenever sum(lo) <= total <= sum(hi).
// When that is infeasible the bounds fall back to [olo[i], ohi[i]], which
// the caller guarantees feasible. Targets must be >= 0; a part whose hi is
// 0 gets nothing.
//
// The split is sequential: each part takes its rounded target (carrying
// rounding and clamping errors forward) clamped so that the parts after it
// can still be filled within their bounds; the last part takes the rest.
func alloc(total int64, k int, tgt *fvec, lo, hi, olo, ohi, out *ivec, scratch *allocScratch) {
	if k <= 0 || k > maxFan {
		panic("synth: alloc: bad number of parts")
	}
	// Suffix sums of the bounds (what parts i.. can absorb) and the sum of
	// the targets, in one backward pass.
	restLo, restHi := &scratch.lo, &scratch.hi
	restLo[k], restHi[k] = 0, 0
	var st float64
	for try := 0; ; try++ {
		st = 0
		for i := k - 1; i >= 0; i-- {
			restLo[i] = restLo[i+1] + lo[i] // lo never saturates
			restHi[i] = satAdd(restHi[i+1], hi[i])
			if hi[i] > 0 {
				st += tgt[i]
			}
		}
		if try == 1 || (restLo[0] <= total && total <= restHi[0]) {
			break
		}
		lo, hi = olo, ohi
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
		if hi[i] > 0 {
			cum += tgt[i] * scale
		}
		r := int64(cum + 0.5)
		want := r - prev + debt
		prev = r
		x := max(lo[i], min(hi[i], want))
		// Leave what the rest can take: rem-x within [restLo, restHi].
		if r := restHi[i+1]; r < inf {
			x = max(x, rem-r)
		}
		x = min(x, rem-restLo[i+1])
		debt = want - x
		out[i] = x
		rem -= x
	}
	out[k-1] = rem
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
