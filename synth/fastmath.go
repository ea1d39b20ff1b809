package synth

import "math"

// fastPow is x^y for x > 0 (0 otherwise) and |y·ln x| < 700, relative
// error about 1e-6·|y·ln x|: enough for allocation targets, where math.Pow
// would dominate the cost of a split. Prices never go through it.
func fastPow(x, y float64) float64 {
	if x <= 0 {
		return 0
	}
	b := math.Float64bits(x)
	e := float64(int64(b>>52&0x7ff) - 1023)
	m := math.Float64frombits(b&(1<<52-1) | 1023<<52) // [1, 2)
	// ln(m) = 2 atanh(s), s = (m-1)/(m+1) in [0, 1/3): five odd terms.
	s := (m - 1) / (m + 1)
	s2 := s * s
	ln := 2 * s * (1 + s2*(1.0/3+s2*(1.0/5+s2*(1.0/7+s2/9))))
	return fastExp((e*math.Ln2 + ln) * y)
}

// fastExp is e^x for |x| < 700, relative error below 1e-7, for the
// log-normal weights of the cascade. It has no branch and avoids
// math.Floor, which has no instruction on the baseline amd64 level.
func fastExp(x float64) float64 {
	x *= math.Log2E
	n := float64(int64(x+1024)) - 1024 // floor, as x+1024 > 0
	t := (x - n) * math.Ln2            // 2^(x-n) = e^t, t in [0, ln 2)
	p := 1 + t*(1+t*(1.0/2+t*(1.0/6+t*(1.0/24+t*(1.0/120+t*(1.0/720+t*(1.0/5040)))))))
	return p * math.Float64frombits(uint64(int64(n)+1023)<<52)
}
