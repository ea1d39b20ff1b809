package synth

import (
	"math"
	"testing"
)

func TestFastExpIsCloseToMathExp(t *testing.T) {
	for x := -30.0; x <= 30; x += 0.01237 {
		if got, want := fastExp(x), math.Exp(x); math.Abs(got/want-1) > 1e-6 {
			t.Fatalf("fastExp(%v) = %v, want %v", x, got, want)
		}
	}
}

func TestFastPowIsCloseToMathPow(t *testing.T) {
	for _, x := range []float64{1e-9, 0.3, 1, 1.5, 1.999, 2, 7, 1234.5, 9.9e14} {
		for _, y := range []float64{0.5, 0.85, 1, 2} {
			if got, want := fastPow(x, y), math.Pow(x, y); math.Abs(got/want-1) > 1e-4 {
				t.Errorf("fastPow(%v, %v) = %v, want %v", x, y, got, want)
			}
		}
	}
	if fastPow(0, 0.85) != 0 || fastPow(-1, 0.85) != 0 {
		t.Error("fastPow of a non-positive number is not 0")
	}
}

// poissonZero must decide exactly as math.Exp would, including next to
// the bound, where it falls back to math.Exp.
func TestPoissonZeroAgreesWithMathExp(t *testing.T) {
	for want := 0.0; want < 20; want += 0.000731 {
		e := math.Exp(-want)
		for _, u := range []float64{0, e * (1 - 2e-5), e * (1 - 1e-6), math.Nextafter(e, 0), e, math.Nextafter(e, 1), e * (1 + 1e-6), e * (1 + 2e-5), 0.5, 0.999} {
			if got := poissonZero(u, want); got != (u < e) {
				t.Fatalf("poissonZero(%v, %v) = %v, want %v", u, want, got, u < e)
			}
		}
	}
}
