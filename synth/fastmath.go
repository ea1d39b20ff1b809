package synth

import "math"

// Fast approximations for the generator's log-normal weights and
// allocation targets, where a relative error of 1e-6 (exp) or 1e-4 (pow)
// changes nothing that matters and math.Exp/math.Pow would dominate the
// cost of a candle. Prices never go through them.

// fastExp is e^x for |x| < 700, relative error below 1e-7.
func fastExp(x float64) float64 {
	x = max(-700, min(700, x)) * math.Log2E
	n := float64(int64(x)) // floor, without math.Floor's slow path on GOAMD64=v1
	if n > x {
		n--
	}
	f := x - n // [0, 1)
	// 2^f on [0,1): degree-6 polynomial (Taylor of e^(f ln2) is enough at
	// this precision).
	const l = math.Ln2
	t := f * l
	p := 1 + t*(1+t*(1.0/2+t*(1.0/6+t*(1.0/24+t*(1.0/120+t*(1.0/720+t*(1.0/5040)))))))
	return p * math.Float64frombits(uint64(int64(n)+1023)<<52)
}

// fastPow is x^y for x > 0, relative error about 1e-6·|y·log x|.
func fastPow(x, y float64) float64 {
	if x <= 0 {
		return 0
	}
	b := math.Float64bits(x)
	e := float64(int64(b>>52&0x7ff) - 1023)
	m := math.Float64frombits(b&(1<<52-1) | 1023<<52) // [1, 2)
	// ln(m) = 2 atanh(s), s = (m-1)/(m+1) in [0, 1/3): four odd terms.
	s := (m - 1) / (m + 1)
	s2 := s * s
	ln := 2 * s * (1 + s2*(1.0/3+s2*(1.0/5+s2*(1.0/7+s2/9))))
	lg := ln * math.Log2E
	return fastExp((e + lg) * y * math.Ln2)
}
