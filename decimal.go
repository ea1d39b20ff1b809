package candlecassette

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strconv"
)

// ErrDecimal reports a string that is not a plain decimal number.
var ErrDecimal = errors.New("candlecassette: invalid decimal")

// maxScale bounds the number of fractional digits a Decimal carries. 18 is
// the most an int64 mantissa can hold for values below one.
const maxScale = 18

var pow10 = func() [maxScale + 1]int64 {
	var p [maxScale + 1]int64
	p[0] = 1
	for i := 1; i <= maxScale; i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// Decimal is an exact fixed-point number: Units × 10^-Scale. Recorded prices
// and volumes are kept as Decimals so that a value read from an exchange is
// written back digit for digit, never through a lossy float round trip.
//
// The zero value is 0.
type Decimal struct {
	Units int64
	Scale int8
}

// NewDecimal returns units × 10^-scale.
func NewDecimal(units int64, scale int) Decimal {
	return Decimal{Units: units, Scale: int8(scale)}
}

// DecimalFromFloat rounds f to scale fractional digits. Used by the
// synthetic market, whose numbers start life as floats.
func DecimalFromFloat(f float64, scale int) Decimal {
	return Decimal{Units: int64(math.Round(f * float64(pow10[scale]))), Scale: int8(scale)}
}

// ParseDecimal parses a plain decimal string such as "42000.01000000",
// "-1.5" or "3". The scale is the number of digits after the point, so the
// string is reproduced exactly by String. Trailing fractional zeros are
// dropped only when the value would not otherwise fit in an int64.
func ParseDecimal(s string) (Decimal, error) {
	if s == "" {
		return Decimal{}, fmt.Errorf("%w: empty string", ErrDecimal)
	}
	neg := false
	i := 0
	if s[0] == '-' || s[0] == '+' {
		neg = s[0] == '-'
		i++
	}
	var units int64
	scale := -1
	digits := 0
	for ; i < len(s); i++ {
		c := s[i]
		if c == '.' {
			if scale >= 0 {
				return Decimal{}, fmt.Errorf("%w: %q", ErrDecimal, s)
			}
			scale = 0
			continue
		}
		if c < '0' || c > '9' {
			if c == 'e' || c == 'E' {
				return parseDecimalFloat(s)
			}
			return Decimal{}, fmt.Errorf("%w: %q", ErrDecimal, s)
		}
		digits++
		d := int64(c - '0')
		if scale >= 0 {
			if scale >= maxScale || units > (math.MaxInt64-d)/10 {
				// Dropping trailing zeros loses nothing; any other digit would.
				if allZeros(s[i:]) {
					break
				}
				return Decimal{}, fmt.Errorf("%w: %q does not fit in 64 bits", ErrDecimal, s)
			}
			scale++
		} else if units > (math.MaxInt64-d)/10 {
			return Decimal{}, fmt.Errorf("%w: %q does not fit in 64 bits", ErrDecimal, s)
		}
		units = units*10 + d
	}
	if digits == 0 {
		return Decimal{}, fmt.Errorf("%w: %q", ErrDecimal, s)
	}
	if scale < 0 {
		scale = 0
	}
	if neg {
		units = -units
	}
	return Decimal{Units: units, Scale: int8(scale)}, nil
}

func allZeros(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '0' {
			return false
		}
	}
	return true
}

// parseDecimalFloat accepts exponent notation ("1e-8"), which some
// exchanges use for tiny numbers, at up to maxScale digits.
func parseDecimalFloat(s string) (Decimal, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return Decimal{}, fmt.Errorf("%w: %q", ErrDecimal, s)
	}
	str := strconv.FormatFloat(f, 'f', -1, 64)
	return ParseDecimal(str)
}

// MustDecimal is ParseDecimal for constants; it panics on bad input.
func MustDecimal(s string) Decimal {
	d, err := ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

// IsZero reports whether d is 0.
func (d Decimal) IsZero() bool { return d.Units == 0 }

// Float64 returns d as the nearest float64.
func (d Decimal) Float64() float64 {
	return float64(d.Units) / float64(pow10[d.Scale])
}

// Rescale returns d with scale fractional digits, rounding half away from
// zero when digits are dropped.
func (d Decimal) Rescale(scale int) Decimal {
	s := int(d.Scale)
	switch {
	case scale == s:
		return d
	case scale > s:
		return Decimal{Units: d.Units * pow10[scale-s], Scale: int8(scale)}
	default:
		p := pow10[s-scale]
		q, r := d.Units/p, d.Units%p
		if r*2 >= p {
			q++
		} else if r*2 <= -p {
			q--
		}
		return Decimal{Units: q, Scale: int8(scale)}
	}
}

// Add returns d + e at the larger of the two scales.
func (d Decimal) Add(e Decimal) Decimal {
	if d.Scale < e.Scale {
		d = d.Rescale(int(e.Scale))
	} else if e.Scale < d.Scale {
		e = e.Rescale(int(d.Scale))
	}
	return Decimal{Units: d.Units + e.Units, Scale: d.Scale}
}

// Cmp compares d and e: -1 if d < e, 0 if equal, +1 if d > e.
func (d Decimal) Cmp(e Decimal) int {
	if d.Scale < e.Scale {
		d = d.Rescale(int(e.Scale))
	} else if e.Scale < d.Scale {
		e = e.Rescale(int(d.Scale))
	}
	switch {
	case d.Units < e.Units:
		return -1
	case d.Units > e.Units:
		return 1
	}
	return 0
}

// String formats d with exactly Scale fractional digits.
func (d Decimal) String() string {
	return string(d.Append(nil, int(d.Scale)))
}

// Fixed formats d with exactly places fractional digits (rounding or padding).
func (d Decimal) Fixed(places int) string {
	return string(d.Append(nil, places))
}

// MarshalJSON writes d as a JSON string, the way exchanges send prices.
func (d Decimal) MarshalJSON() ([]byte, error) {
	b := append([]byte{'"'}, d.String()...)
	return append(b, '"'), nil
}

// UnmarshalJSON accepts a JSON string or number.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) >= 2 && s[0] == '"' {
		s = s[1 : len(s)-1]
	}
	v, err := ParseDecimal(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Mul returns d × e exactly, at the sum of the two scales, as long as that
// fits: beyond 18 fractional digits, or where the product's units would
// overflow int64, fractional digits are dropped (rounding half away from
// zero) until it fits. A product too large for int64 units even without
// fractional digits (beyond ±9.2e18) saturates at the int64 bound.
func (d Decimal) Mul(e Decimal) Decimal {
	s := int(d.Scale) + int(e.Scale)
	if d.Units != math.MinInt64 && e.Units != math.MinInt64 && s <= maxScale {
		hi, lo := bits.Mul64(absUnits(d.Units), absUnits(e.Units))
		if hi == 0 && lo <= math.MaxInt64 {
			u := int64(lo)
			if (d.Units < 0) != (e.Units < 0) {
				u = -u
			}
			return Decimal{Units: u, Scale: int8(s)}
		}
	}
	p := new(big.Int).Mul(big.NewInt(d.Units), big.NewInt(e.Units))
	ten, r := big.NewInt(10), new(big.Int)
	for (s > maxScale || !p.IsInt64()) && s > 0 {
		p.QuoRem(p, ten, r) // truncates toward zero
		switch r.Int64() {
		case 5, 6, 7, 8, 9:
			p.Add(p, big.NewInt(1))
		case -5, -6, -7, -8, -9:
			p.Sub(p, big.NewInt(1))
		}
		s--
	}
	if !p.IsInt64() {
		if p.Sign() < 0 {
			return Decimal{Units: math.MinInt64}
		}
		return Decimal{Units: math.MaxInt64}
	}
	return Decimal{Units: p.Int64(), Scale: int8(s)}
}

func absUnits(u int64) uint64 {
	if u < 0 {
		return uint64(-u)
	}
	return uint64(u)
}
