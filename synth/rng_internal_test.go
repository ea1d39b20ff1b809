package synth

import (
	"math"
	"testing"
)

// The ziggurat samplers must reproduce the moments and tails of their
// laws; a wrong table shows up as a biased variance or missing tail.
func TestStreamDistributions(t *testing.T) {
	var r stream
	r.reset(42)
	const n = 2_000_000
	var s1, s2, s4, tail float64
	for range n {
		x := r.norm()
		s1 += x
		s2 += x * x
		s4 += x * x * x * x
		if math.Abs(x) > 3 {
			tail++
		}
	}
	mean, vr, kurt := s1/n, s2/n, s4/n/((s2/n)*(s2/n))
	if math.Abs(mean) > 0.005 || math.Abs(vr-1) > 0.005 || math.Abs(kurt-3) > 0.03 {
		t.Errorf("normal: mean %.4f variance %.4f kurtosis %.3f, want 0, 1, 3", mean, vr, kurt)
	}
	if p := tail / n; math.Abs(p-0.0026998) > 0.0002 {
		t.Errorf("normal: P(|x|>3) = %.5f, want 0.00270", p)
	}
	s1, s2, tail = 0, 0, 0
	for range n {
		x := r.expo()
		if x <= 0 {
			t.Fatalf("exponential draw %v is not positive", x)
		}
		s1 += x
		s2 += x * x
		if x > 5 {
			tail++
		}
	}
	if mean, vr := s1/n, s2/n-(s1/n)*(s1/n); math.Abs(mean-1) > 0.005 || math.Abs(vr-1) > 0.01 {
		t.Errorf("exponential: mean %.4f variance %.4f, want 1, 1", mean, vr)
	}
	if p := tail / n; math.Abs(p-math.Exp(-5)) > 0.0003 {
		t.Errorf("exponential: P(x>5) = %.5f, want %.5f", p, math.Exp(-5))
	}
	s1, s2 = 0, 0
	for range n / 2 {
		a, b := r.small()
		if math.Abs(a) > 3.47 || math.Abs(b) > 3.47 {
			t.Fatalf("small draws %v, %v beyond ±3.46", a, b)
		}
		s1 += a + b
		s2 += a*a + b*b
	}
	if mean, vr := s1/n, s2/n; math.Abs(mean) > 0.005 || math.Abs(vr-1) > 0.01 {
		t.Errorf("small: mean %.4f variance %.4f, want 0, 1", mean, vr)
	}
	s1 = 0
	for range n {
		u := r.unit()
		if u < 0 || u >= 1 {
			t.Fatalf("uniform draw %v outside [0,1)", u)
		}
		s1 += u
	}
	if mean := s1 / n; math.Abs(mean-0.5) > 0.002 {
		t.Errorf("uniform: mean %.4f, want 0.5", mean)
	}
}
