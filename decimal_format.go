package candlecassette

// Formatting: every price, volume and time an exchange plugin writes goes
// through Decimal.Append, so it is the hottest code of a klines answer.

import (
	"encoding/binary"
	"math/bits"
	"slices"
)

// Append appends d formatted with exactly places fractional digits to b,
// rounding half away from zero when digits are dropped and padding with
// zeros otherwise; places is taken between 0 and 18. It allocates nothing
// beyond b's growth; encoders on hot paths use it. Like an append it may
// use b's spare capacity: up to eight bytes past the result can be
// overwritten.
func (d Decimal) Append(b []byte, places int) []byte {
	s := int(d.Scale)
	neg := d.Units < 0
	u := uint64(d.Units)
	if neg {
		u = -u
	}
	if uint(s) > 8 || s > places || places > maxScale || u >= 1e16 || cap(b)-len(b) < fastRoom {
		var fast bool
		if b, d, places, fast = d.prepare(b, places); !fast {
			return d.appendOther(b, places)
		}
		s = int(d.Scale)
		neg = d.Units < 0
		u = uint64(d.Units)
		if neg {
			u = -u
		}
	}
	// The fast path: a magnitude below 10^16 with at most 8 fractional
	// digits, shown with at least as many places (every price, volume and
	// millisecond time seen in practice), into a b with fastRoom bytes to
	// spare. The mantissa becomes eight ASCII digits in one register
	// (swar8), or sixteen in two, which go out with unaligned 8-byte stores
	// whose surplus bytes are overwritten by the next store or cut off by
	// the final length; the store of the fraction also writes the padding.
	// It makes no call with values live across it (that would make the
	// compiler spill registers): rounding, growing b and the rest are
	// prepare's and appendOther's, neither of which calls Append (a
	// recursion would make b escape to the heap). The length comes from
	// the mantissa, not from the digits, because where the next number
	// starts hangs on it: the digit arithmetic stays off that chain.
	start := len(b)
	ni := max(digitCount0(u)-s, 1) // integer digits
	n := ni
	if places > 0 {
		n += 1 + places
	}
	if neg {
		n++
	}
	// u as 16 digits with leading zeros: wh the first eight, wl the last.
	wh, wl := uint64(ascii0), uint64(0)
	if u < 1e8 {
		wl = swar8(uint32(u))
	} else {
		h := u / 1e8
		wh, wl = swar8(uint32(h)), swar8(uint32(u-h*1e8))
	}
	out := b[start : start+fastRoom]
	p := 0
	if neg {
		out[0] = '-'
		p = 1
	}
	// The integer digits are digits 16-s-ni to 16-s: those in wh first,
	// then wl from its start (its fraction digits are overwritten below).
	if inh := ni - (8 - s); inh > 0 {
		binary.LittleEndian.PutUint64(out[p:], wh>>(64-8*uint(inh)))
		binary.LittleEndian.PutUint64(out[p+inh:], wl)
	} else {
		binary.LittleEndian.PutUint64(out[p:], wl>>(8*uint(8-s-ni)))
	}
	p += ni
	if places > 0 {
		out[p] = '.'
		p++
		// The last s digits, then zeros (shifts by 64 give 0 in Go).
		binary.LittleEndian.PutUint64(out[p:], wl>>(64-8*uint(s))|ascii0<<(8*uint(s)))
		for k := 8; k < places; k += 8 {
			binary.LittleEndian.PutUint64(out[p+k:], ascii0)
		}
	}
	return b[:start+n]
}

// fastRoom is the spare capacity Append's fast path needs: the longest
// result (a sign, 16 digits, a point, 18 places) and 8 bytes of slack.
const fastRoom = 1 + 16 + 1 + maxScale + 8

// prepare brings Append's arguments to its fast path where it can: places
// into 0..18, digits beyond places rounded away (half away from zero; the
// magnitude is then below 2^63), b grown to fastRoom bytes of spare room.
// fast reports whether d now fits the fast path.
func (d Decimal) prepare(b []byte, places int) (_ []byte, _ Decimal, _ int, fast bool) {
	places = min(max(places, 0), maxScale)
	if s := int(d.Scale); s > places {
		neg := d.Units < 0
		u := uint64(d.Units)
		if neg {
			u = -u
		}
		r := int64(roundDown(u, s-places))
		if neg {
			r = -r
		}
		d = Decimal{Units: r, Scale: int8(places)}
	}
	if d.Scale < 0 || d.Scale > 8 || d.Units <= -1e16 || d.Units >= 1e16 {
		return b, d, places, false
	}
	return slices.Grow(b, fastRoom), d, places, true
}

// appendOther is Append outside its fast path, after prepare: a negative
// scale, more than 8 fractional digits or a magnitude of 10^16 or more,
// with 0 ≤ places ≤ 18 and Scale ≤ places. It never multiplies the
// mantissa up to the wanted places (padding is written as zeros), so
// values near the int64 limits format exactly.
func (d Decimal) appendOther(b []byte, places int) []byte {
	neg := d.Units < 0
	u := uint64(d.Units)
	if neg {
		u = -u
	}
	s := int(d.Scale)
	if s < 0 {
		return appendScaledUp(b, neg, u, -s, places)
	}
	ni := max(digitCount(u)-s, 1) // integer digits
	n := ni + places + 1          // places ≥ s > 8 here unless u ≥ 10^16
	if places == 0 {
		n--
	}
	if neg {
		n++
	}
	start := len(b)
	b = slices.Grow(b, n)[:start+n]
	out := b[start:]
	e := n
	for ; e > n-(places-s); e-- {
		out[e-1] = '0'
	}
	if places > 0 {
		u = putDigits(out, e, u, s)
		e -= s + 1
		out[e] = '.'
	}
	putDigits(out, e, u, ni)
	if neg {
		out[0] = '-'
	}
	return b
}

// ascii0 is eight '0' characters as one little-endian word.
const ascii0 = 0x3030303030303030

// swar8 returns the eight decimal digits of x < 10^8, with leading zeros,
// as ASCII in one little-endian word (first digit in the lowest byte). The
// lanes are split in parallel, 4+4 digits, then 2+2 per half, then 1+1 per
// pair: a lane holding h·m+l becomes h·2^w+l by adding h·(2^w-m), with the
// quotients h from multiply-and-shift, exact for the lane widths used
// (x/100 for x < 10^4 as x·10486>>20, x/10 for x < 100 as x·103>>10). The
// most significant digit ends in the top byte; a byte swap puts it first.
func swar8(x uint32) uint64 {
	v := uint64(x)
	v += uint64(x/10000) * (1<<32 - 10000)
	v += (v * 10486 >> 20 & 0x0000007F0000007F) * (1<<16 - 100)
	v += (v * 103 >> 10 & 0x000F000F000F000F) * (1<<8 - 10)
	return bits.ReverseBytes64(v) | ascii0
}

// appendScaledUp appends u × 10^k (a negative scale, never seen from an
// exchange) with places zero decimals, without multiplying.
func appendScaledUp(b []byte, neg bool, u uint64, k, places int) []byte {
	if neg {
		b = append(b, '-')
	}
	var buf [20]byte
	nd := digitCount(u)
	putDigits(buf[:], len(buf), u, nd)
	b = append(b, buf[len(buf)-nd:]...)
	if u != 0 {
		b = appendZeros(b, k)
	}
	if places > 0 {
		b = append(b, '.')
		b = appendZeros(b, places)
	}
	return b
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

// digitCount is the number of decimal digits of u (1 for 0).
func digitCount(u uint64) int { return max(digitCount0(u), 1) }

// digitCount0 is the number of decimal digits of u, 0 for 0.
func digitCount0(u uint64) int {
	// 1233/4096 ≈ log10(2): t is the digit count or one less.
	t := bits.Len64(u) * 1233 >> 12
	if u >= pow10u[t] {
		t++
	}
	return t
}

// putDigits writes the k lowest decimal digits of u into out, ending just
// before index e, and returns what is left of u (u / 10^k). Eight-digit
// blocks are split off with one 64-bit division each and written as four
// independent digit pairs in 32-bit arithmetic.
func putDigits(out []byte, e int, u uint64, k int) uint64 {
	for ; k >= 8; k -= 8 {
		q := u / 1e8
		lo := uint32(u - q*1e8)
		u = q
		hi, lo := lo/10000, lo%10000
		a, b, c, d := hi/100, hi%100, lo/100, lo%100
		o := out[e-8 : e]
		o[0], o[1] = digitPairs[2*a], digitPairs[2*a+1]
		o[2], o[3] = digitPairs[2*b], digitPairs[2*b+1]
		o[4], o[5] = digitPairs[2*c], digitPairs[2*c+1]
		o[6], o[7] = digitPairs[2*d], digitPairs[2*d+1]
		e -= 8
	}
	for ; k >= 2; k -= 2 {
		q := u / 100
		d := u - q*100
		u = q
		out[e-2], out[e-1] = digitPairs[2*d], digitPairs[2*d+1]
		e -= 2
	}
	if k == 1 {
		q := u / 10
		out[e-1] = byte('0' + u - q*10)
		u = q
	}
	return u
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
