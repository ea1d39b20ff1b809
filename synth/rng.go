package synth

import (
	"math"
	"math/bits"
)

// stream is a reseedable source of draws: Wang Yi's wyrand counter
// generator with ziggurat normal and exponential variates (Marsaglia and
// Tsang). Every tree node reseeds its streams from a hash of its
// coordinates, so draws never depend on what was generated before: that is
// what makes the market random-access. It is written out here rather than
// wrapped around math/rand/v2 so that the hot path has no interface calls
// and reseeding costs nothing.
type stream struct{ s uint64 }

func (r *stream) reset(key uint64) { r.s = key }

func (r *stream) next() uint64 {
	r.s += wyInc
	return wyMix(r.s)
}

const wyInc = 0xa0761d6478bd642f

// wyMix is wyrand's output for the state s.
func wyMix(s uint64) uint64 {
	hi, lo := bits.Mul64(s, s^0xe7037ed1a0b428db)
	return hi ^ lo
}

// unit is uniform in [0, 1).
func (r *stream) unit() float64 { return unitOf(r.next()) }

// unitOf maps 64 random bits to [0, 1).
func unitOf(u uint64) float64 { return float64(u>>11) * 0x1p-53 }

// norm is a standard normal variate. The common case (about 99% of
// draws, zigNorm) inlines; normSlow finishes the others.
func (r *stream) norm() float64 {
	u := r.next()
	if x, ok := zigNorm(u); ok {
		return x
	} else {
		return r.normSlow(u, x)
	}
}

// zigNorm maps 64 random bits to a normal variate when they fall inside
// one of the ziggurat's rectangles (ok); otherwise x is the candidate that
// normSlow tests.
func zigNorm(u uint64) (x float64, ok bool) {
	i := u & 0x7f
	j := uint32(u >> 32)
	// The sign from bit 7, without a branch (it would mispredict half the
	// time).
	x = math.Float64frombits(math.Float64bits(float64(j)*zn.w[i]) ^ (u&0x80)<<56)
	return x, j < zn.k[i]
}

// normSlow finishes a normal draw whose first 64 bits u (giving x) fell
// outside the ziggurat's rectangles: the tail or a wedge, else a fresh
// draw.
func (r *stream) normSlow(u uint64, x float64) float64 {
	for {
		i := u & 0x7f
		if i == 0 {
			// The tail beyond zigR.
			for {
				a := -math.Log(r.unit()+0x1p-60) / zigR
				b := -math.Log(r.unit() + 0x1p-60)
				if b+b >= a*a {
					if u&0x80 != 0 {
						return -(zigR + a)
					}
					return zigR + a
				}
			}
		}
		if zn.f[i]+r.unit()*(zn.f[i-1]-zn.f[i]) < math.Exp(-0.5*x*x) {
			return x
		}
		u = r.next()
		var ok bool
		if x, ok = zigNorm(u); ok {
			return x
		}
	}
}

// small returns two cheap, nearly normal variates (mean 0, variance 1,
// bounded by ±3.46: each the sum of four 8-bit uniforms) from one draw,
// for small noise terms whose tails do not matter.
func (r *stream) small() (a, b float64) { return smallOf(r.next()) }

// smallOf is small for the 64 random bits u.
func smallOf(u uint64) (a, b float64) {
	const s = 3.4641016151377544 / 510 // sqrt(12/4) / (4 · 255 / 2)
	a = (float64(u&0xff+u>>8&0xff+u>>16&0xff+u>>24&0xff) - 510) * s
	b = (float64(u>>32&0xff+u>>40&0xff+u>>48&0xff+u>>56) - 510) * s
	return a, b
}

// smalls fills a[:k] and b[:k] with k pairs of small draws, in order.
func (r *stream) smalls(k int, a, b *[maxFan + 1]float64) {
	s := r.s
	for i := 0; i < k && i < len(a); i++ {
		s += wyInc
		a[i], b[i] = smallOf(wyMix(s))
	}
	r.s = s
}

// normClip is a normal variate clipped to ±6, for log-normal factors.
func (r *stream) normClip() float64 { return max(-6, min(6, r.norm())) }

// expo is a standard exponential variate, never 0. Like norm, the common
// case (zigExpo) inlines and expoSlow finishes the others.
func (r *stream) expo() float64 {
	u := r.next()
	if x, ok := zigExpo(u); ok {
		return x
	} else {
		return r.expoSlow(u, x)
	}
}

// zigExpo maps 64 random bits to an exponential variate when they fall
// inside one of the ziggurat's rectangles (ok); otherwise x is the
// candidate that expoSlow tests.
func zigExpo(u uint64) (x float64, ok bool) {
	i := u & 0xff
	j := uint32(u >> 32)
	x = float64(j) * ze.w[i]
	if j < ze.k[i] {
		return x + 1e-12, true
	}
	return x, false
}

// expoSlow finishes an exponential draw whose first 64 bits u (giving x)
// fell outside the ziggurat's rectangles.
func (r *stream) expoSlow(u uint64, x float64) float64 {
	for {
		i := u & 0xff
		if i == 0 {
			return zigRE - math.Log(r.unit()+0x1p-60)
		}
		if ze.f[i]+r.unit()*(ze.f[i-1]-ze.f[i]) < math.Exp(-x) {
			return x + 1e-12
		}
		u = r.next()
		var ok bool
		if x, ok = zigExpo(u); ok {
			return x
		}
	}
}

// shapeDraws makes, for each of k children in turn, the draws that shape
// its path: a clipped normal z (normClip), a normal e (norm) and two
// exponentials e1, e2 (expo), the same values as those calls in that
// order. The state stays in a register and the common cases inline.
func (r *stream) shapeDraws(k int, z, e, e1, e2 *[maxFan + 1]float64) {
	s := r.s
	for i := 0; i < k && i < len(z); i++ {
		s += wyInc
		u := wyMix(s)
		x, ok := zigNorm(u)
		if !ok {
			r.s = s
			x = r.normSlow(u, x)
			s = r.s
		}
		// normClip by comparisons: the same as max and min for every
		// input (-0 and NaN pass through), shorter.
		if x > 6 {
			x = 6
		}
		if x < -6 {
			x = -6
		}
		z[i] = x
		s += wyInc
		u = wyMix(s)
		if x, ok = zigNorm(u); !ok {
			r.s = s
			x = r.normSlow(u, x)
			s = r.s
		}
		e[i] = x
		s += wyInc
		u = wyMix(s)
		if x, ok = zigExpo(u); !ok {
			r.s = s
			x = r.expoSlow(u, x)
			s = r.s
		}
		e1[i] = x
		s += wyInc
		u = wyMix(s)
		if x, ok = zigExpo(u); !ok {
			r.s = s
			x = r.expoSlow(u, x)
			s = r.s
		}
		e2[i] = x
	}
	r.s = s
}

// norms fills out[:k] with normal variates (norm), in order.
func (r *stream) norms(k int, out *[maxFan + 1]float64) {
	s := r.s
	for i := 0; i < k && i < len(out); i++ {
		s += wyInc
		u := wyMix(s)
		x, ok := zigNorm(u)
		if !ok {
			r.s = s
			x = r.normSlow(u, x)
			s = r.s
		}
		out[i] = x
	}
	r.s = s
}

// Ziggurat tables: 128 layers for the normal, 256 for the exponential,
// computed once (Marsaglia and Tsang, "The Ziggurat Method for
// Generating Random Variables", 2000) for 32-bit magnitudes.
const (
	zigR  = 3.442619855899
	zigV  = 9.91256303526217e-3
	zigRE = 7.69711747013104972
	zigVE = 3.949659822581572e-3
)

var zn struct {
	k [128]uint32
	w [128]float64
	f [128]float64
}

var ze struct {
	k [256]uint32
	w [256]float64
	f [256]float64
}

func init() {
	const m = 1 << 32
	dn, tn := zigR, zigR
	q := zigV / math.Exp(-0.5*dn*dn)
	zn.k[0] = uint32(dn / q * m)
	zn.k[1] = 0
	zn.w[0] = q / m
	zn.w[127] = dn / m
	zn.f[0] = 1
	zn.f[127] = math.Exp(-0.5 * dn * dn)
	for i := 126; i >= 1; i-- {
		dn = math.Sqrt(-2 * math.Log(zigV/dn+math.Exp(-0.5*dn*dn)))
		zn.k[i+1] = uint32(dn / tn * m)
		tn = dn
		zn.f[i] = math.Exp(-0.5 * dn * dn)
		zn.w[i] = dn / m
	}
	de, te := zigRE, zigRE
	q = zigVE / math.Exp(-de)
	ze.k[0] = uint32(de / q * m)
	ze.k[1] = 0
	ze.w[0] = q / m
	ze.w[255] = de / m
	ze.f[0] = 1
	ze.f[255] = math.Exp(-de)
	for i := 254; i >= 1; i-- {
		de = -math.Log(zigVE/de + math.Exp(-de))
		ze.k[i+1] = uint32(de / te * m)
		te = de
		ze.f[i] = math.Exp(-de)
		ze.w[i] = de / m
	}
}

// mix64 is the splitmix64 finalizer: a bijective avalanche of x.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// nodeKey is the seed of the draws that split node idx of level.
func nodeKey(key uint64, level int, idx int64) uint64 {
	return mix64(key + mix64(uint64(idx)*0x9e3779b97f4a7c15+uint64(level+1)*0xd1b54a32d192ed03))
}

// hashString is FNV-1a, inlined so that it does not allocate.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
