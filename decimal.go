package candlecassette

import (
	"errors"
	"fmt"
	"math"
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

// Append appends d formatted with exactly places fractional digits to b,
// rounding half away from zero when digits are dropped and padding with
// zeros otherwise. It allocates nothing beyond b's growth; encoders on hot
// paths use it.
//
// It never multiplies the mantissa up to the wanted places (padding is
// written as zeros), so values near the int64 limits format exactly, and its
// only divisions are by constants, which compile to multiplications.
func (d Decimal) Append(b []byte, places int) []byte {
	if places < 0 {
		places = 0
	}
	if places > maxScale {
		places = maxScale
	}
	neg := d.Units < 0
	u := uint64(d.Units)
	if neg {
		u = -u // exact for math.MinInt64 too
	}
	s := int(d.Scale)
	if s > places {
		u = roundDown(u, s-places)
		s = places
	}
	if neg && u != 0 {
		b = append(b, '-')
	}
	var buf [20]byte
	i := formatUint(&buf, u)
	digits := buf[i:]
	switch {
	case s <= 0:
		b = append(b, digits...)
		if u != 0 {
			b = appendZeros(b, -s)
		}
		if places == 0 {
			return b
		}
		b = append(b, '.')
	case len(digits) > s:
		n := len(digits) - s
		b = append(b, digits[:n]...)
		b = append(b, '.')
		b = append(b, digits[n:]...)
	default:
		b = append(b, '0', '.')
		b = appendZeros(b, s-len(digits))
		b = append(b, digits...)
	}
	return appendZeros(b, places-max(s, 0))
}

// roundDown drops k ≥ 1 decimal digits of u, rounding half away from zero
// (u is a magnitude).
func roundDown(u uint64, k int) uint64 {
	if k >= len(pow10u) {
		return 0 // u < 2^64 < 10^20 / 2: below half a unit
	}
	p := pow10u[k]
	q := u / p
	if r := u - q*p; r >= p-r {
		q++
	}
	return q
}

// pow10u holds 10^0 to 10^19, every power of ten a uint64 holds.
var pow10u = func() [20]uint64 {
	var p [20]uint64
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// formatUint writes u's decimal digits at the end of buf and returns the
// index of the first one. Eight-digit blocks are split off with one 64-bit
// division each, and their digits are produced two at a time in 32-bit
// arithmetic.
func formatUint(buf *[20]byte, u uint64) int {
	i := len(buf)
	for u >= 1e8 {
		q := u / 1e8
		lo := uint32(u - q*1e8)
		u = q
		for j := 0; j < 4; j++ {
			d := lo % 100
			lo /= 100
			i -= 2
			buf[i], buf[i+1] = digitPairs[2*d], digitPairs[2*d+1]
		}
	}
	v := uint32(u)
	for v >= 100 {
		d := v % 100
		v /= 100
		i -= 2
		buf[i], buf[i+1] = digitPairs[2*d], digitPairs[2*d+1]
	}
	if v >= 10 {
		i -= 2
		buf[i], buf[i+1] = digitPairs[2*v], digitPairs[2*v+1]
	} else {
		i--
		buf[i] = byte('0' + v)
	}
	return i
}

// zeros pads fractional digits.
const zeros = "000000000000000000000000000000000000000000000000000000000000000000"

// appendZeros appends n zeros (none if n ≤ 0).
func appendZeros(b []byte, n int) []byte {
	for n > len(zeros) {
		b = append(b, zeros...)
		n -= len(zeros)
	}
	if n > 0 {
		b = append(b, zeros[:n]...)
	}
	return b
}

// digitPairs holds "00" to "99".
const digitPairs = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
	"404142434445464748495051525354555657585960616263646566676869" +
	"707172737475767778798081828384858687888990919293949596979899"

// AppendTrim appends d with at most places fractional digits and without
// trailing zeros ("42000.1", "3"), the style some exchanges use.
func (d Decimal) AppendTrim(b []byte, places int) []byte {
	start := len(b)
	b = d.Append(b, places)
	if places == 0 {
		return b
	}
	end := len(b)
	for end > start && b[end-1] == '0' {
		end--
	}
	if end > start && b[end-1] == '.' {
		end--
	}
	return b[:end]
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
