package cassettes

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sync"

	"github.com/klauspost/compress/fse"

	cc "github.com/candlecassette/candlecassette"
)

// The column model every candle block kind since kind 2 is built on (the
// kinds themselves are listed in blockcodec.go). A block is stored column
// by column, each column transformed so what is left to store is small
// and repetitive:
//
//   - times as deltas (constant for a regular series);
//   - each decimal column divided by its largest common power of ten
//     (prices quoted to 8 places but moving in cents store cents);
//   - open as the step from the previous close, close from open, high
//     above max(open, close), low below min(open, close);
//   - quote volume as the residual from volume × (o+h+l+c)/4, taker-buy
//     quote as the residual from quote volume × taker-buy base / volume.
//
// Predictions are pure functions of values already decoded, computed the
// same way on both sides (multiplications and divisions only, so no
// fused multiply-add can change a rounding), and only residuals are
// stored: the round trip is exact whatever the data. Kind 2 stored the
// columns as zstd-compressed varints, kind 3 as byte planes (below), kind
// 4 value by value (block4.go).

const (
	fOpen = iota
	fHigh
	fLow
	fClose
	fVolume
	fQuote
	fTBB
	fTBQ
)

// decimals returns pointers to c's decimal fields in f-order.
func decimals(c *cc.Candle) [numDecimals]*cc.Decimal {
	return [numDecimals]*cc.Decimal{&c.Open, &c.High, &c.Low, &c.Close, &c.Volume, &c.QuoteVolume, &c.TakerBuyBase, &c.TakerBuyQuote}
}

var pow10i = func() [19]int64 {
	var p [19]int64
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

func trailingZeros(u int64) int {
	if u == 0 {
		return 18
	}
	n := 0
	for n < 18 && u%10 == 0 {
		u /= 10
		n++
	}
	return n
}

// pow10f is 10^e as a float64 (exact for e in [0, 22]); predictions
// depend on its exact values, so they must never change. The exponents
// scales give are looked up, computed once by pow10calc.
func pow10f(e int) float64 {
	if uint(e+pow10Off) < uint(len(pow10tab)) {
		return pow10tab[e+pow10Off]
	}
	return pow10calc(e)
}

const pow10Off = 64

var pow10tab = func() (t [2*pow10Off + 1]float64) {
	for i := range t {
		t[i] = pow10calc(i - pow10Off)
	}
	return t
}()

func pow10calc(e int) float64 {
	if e >= 0 {
		return float64(pow10i[min(e, 18)]) * math.Pow10(max(e-18, 0))
	}
	return 1 / pow10calc(-e)
}

// roundPred turns a prediction into an integer, 0 when it is unusable.
func roundPred(x float64) int64 {
	// One comparison refuses NaN and infinities too.
	if !(math.Abs(x) <= 1e18) {
		return 0
	}
	return int64(math.Round(x))
}

// predictQuote is the quote volume (in units of its scale, divided by
// 10^zq) expected from volume × typical price.
func predictQuote(c *cc.Candle, zq int) int64 { return predictQuoteF(c, quoteFactor(c, zq)) }

// quoteFactor is the power of ten predictQuote scales by.
func quoteFactor(c *cc.Candle, zq int) float64 {
	return pow10f(int(c.QuoteVolume.Scale) - int(c.Volume.Scale) - int(c.Open.Scale) - zq)
}

// predictQuoteF is predictQuote given its quoteFactor (a block whose
// scales do not change computes it once).
func predictQuoteF(c *cc.Candle, f float64) int64 {
	sum := float64(c.Open.Units) + float64(c.High.Units) + float64(c.Low.Units) + float64(c.Close.Units)
	x := float64(float64(c.Volume.Units) * sum)
	x = float64(x / 4)
	return roundPred(float64(x * f))
}

// predictTBQ is the taker-buy quote volume expected from quote volume ×
// taker-buy base / volume.
func predictTBQ(c *cc.Candle, zt int) int64 { return predictTBQF(c, tbqFactor(c, zt)) }

// tbqFactor is the power of ten predictTBQ scales by.
func tbqFactor(c *cc.Candle, zt int) float64 {
	return pow10f(int(c.TakerBuyQuote.Scale) - int(c.QuoteVolume.Scale) - int(c.TakerBuyBase.Scale) + int(c.Volume.Scale) - zt)
}

// predictTBQF is predictTBQ given its tbqFactor.
func predictTBQF(c *cc.Candle, f float64) int64 {
	if c.Volume.Units == 0 {
		return 0
	}
	x := float64(float64(c.QuoteVolume.Units) * float64(c.TakerBuyBase.Units))
	x = float64(x / float64(c.Volume.Units))
	return roundPred(float64(x * f))
}

const numDecimals = 8

// The transformed columns of a block, in this order.
const (
	colOpenTime = iota
	colCloseTime
	colScale // numDecimals scale columns, f-order
	colOpen  = colScale + numDecimals
	colClose = colOpen + 1
	colHigh  = colOpen + 2
	colLow   = colOpen + 3
	colVol   = colOpen + 4
	colQuote = colOpen + 5
	colTBB   = colOpen + 6
	colTBQ   = colOpen + 7
	colTrade = colOpen + 8
	colShut  = colOpen + 9
	numCols  = colShut + 1
)

var fsePool = sync.Pool{New: func() any { return &fse.Scratch{} }}

// blockColumns transforms cs into numCols columns and the common powers
// of ten they were divided by.
func blockColumns(cs []cc.Candle) ([numDecimals]int, [][]int64) {
	cols := make([][]int64, numCols)
	z := blockColumnsInto(cs, cols, make([]int64, numCols*len(cs)))
	return z, cols
}

// blockColumnsInto is blockColumns writing the columns into cols, slices
// of ints (numCols × len(cs) long, its contents overwritten).
func blockColumnsInto(cs []cc.Candle, cols [][]int64, ints []int64) [numDecimals]int {
	var z [numDecimals]int
	for f := range z {
		z[f] = 18
	}
	for i := range cs {
		for f, d := range decimals(&cs[i]) {
			// min(z[f], trailingZeros(d.Units)), counting no further
			// than z[f].
			u, n := d.Units, 0
			for n < z[f] && u%10 == 0 {
				u /= 10
				n++
			}
			z[f] = n
		}
	}
	zp := min(z[fOpen], z[fHigh], z[fLow], z[fClose])
	z[fOpen], z[fHigh], z[fLow], z[fClose] = zp, zp, zp, zp
	for i := range cols {
		cols[i] = ints[i*len(cs) : (i+1)*len(cs) : (i+1)*len(cs)]
	}
	clear(cols[colShut])
	u := func(c *cc.Candle, f int) int64 { return decimals(c)[f].Units / pow10i[z[f]] }
	var prevT, prevClose int64
	for i := range cs {
		c := &cs[i]
		cols[colOpenTime][i] = c.OpenTime - prevT
		prevT = c.OpenTime
		cols[colCloseTime][i] = c.CloseTime - c.OpenTime
		for f, d := range decimals(c) {
			cols[colScale+f][i] = int64(d.Scale)
		}
		o, cl, h, l := u(c, fOpen), u(c, fClose), u(c, fHigh), u(c, fLow)
		cols[colOpen][i] = o - prevClose
		prevClose = cl
		cols[colClose][i] = cl - o
		cols[colHigh][i] = h - max(o, cl)
		cols[colLow][i] = min(o, cl) - l
		cols[colVol][i] = u(c, fVolume)
		cols[colQuote][i] = u(c, fQuote) - predictQuote(c, z[fQuote])
		cols[colTBB][i] = u(c, fTBB)
		cols[colTBQ][i] = u(c, fTBQ) - predictTBQ(c, z[fTBQ])
		cols[colTrade][i] = c.Trades
		if c.Closed {
			cols[colShut][i] = 1
		}
	}
	return z
}

func zigzag(v int64) uint64   { return uint64(v<<1) ^ uint64(v>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// Byte planes: a column's values, zigzagged, split into their lowest
// bytes, next bytes, and so on, each plane entropy-coded (FSE) on its own.
// Small residuals then cost close to their entropy, where varints cost
// whole bytes. Kind 3 stored every column so; kind 4 keeps them for
// columns of few distinct values that are not small.

// Plane encodings.
const (
	planeRaw = 0
	planeFSE = 1
	planeRLE = 2
)

// appendPlanes appends col as byte planes: its width in bytes, then each
// plane FSE-coded, run-length coded or raw, whichever is smallest.
func appendPlanes(b []byte, col []int64, s *fse.Scratch, plane []byte) []byte {
	b, _ = appendPlanesUnder(b, col, s, plane, math.MaxInt)
	return b
}

// appendPlanesUnder is appendPlanes for a caller that only wants planes
// coded in fewer than limit bytes: it gives up (false) as soon as the
// planes coded so far, with two bytes for each plane left (the least one
// costs), reach limit.
func appendPlanesUnder(b []byte, col []int64, s *fse.Scratch, plane []byte, limit int) ([]byte, bool) {
	n := len(col)
	var all uint64
	for _, v := range col {
		all |= zigzag(v)
	}
	width := (bits.Len64(all) + 7) / 8
	start := len(b)
	if 1+2*width >= limit {
		return b, false
	}
	b = append(b, byte(width))
	for p := 0; p < width; p++ {
		for i, v := range col {
			plane[i] = byte(zigzag(v) >> (8 * p))
		}
		out, err := fse.Compress(plane[:n], s)
		switch {
		case err == nil && len(out) < n:
			b = append(b, planeFSE)
			b = appendBytes(b, out)
		case errors.Is(err, fse.ErrUseRLE):
			b = append(b, planeRLE, plane[0])
		default:
			b = append(b, planeRaw)
			b = append(b, plane[:n]...)
		}
		if len(b)-start+2*(width-p-1) >= limit {
			return b, false
		}
	}
	return b, true
}

// allColumns selects every column for a column decoder.
const allColumns = 1<<numCols - 1

// readPlanes reads one column of byte planes (see appendPlanes) into
// vals, zigzagged, when use; else it only skips them. s.DecompressLimit
// must be len(vals).
func readPlanes(r *reader, s *fse.Scratch, vals []uint64, use bool) error {
	n := uint64(len(vals))
	width := int(r.byte())
	if width > 8 {
		return fmt.Errorf("%w: candle block column width %d", ErrCorrupt, width)
	}
	if use {
		clear(vals)
	}
	for p := 0; p < width && r.err == nil; p++ {
		var plane []byte
		switch r.byte() {
		case planeFSE:
			in := r.bytes()
			if !use {
				continue
			}
			out, err := fse.Decompress(in, s)
			if err != nil || uint64(len(out)) != n {
				return fmt.Errorf("%w: candle block plane: %v", ErrCorrupt, err)
			}
			plane = out
		case planeRLE:
			c := r.byte()
			if !use {
				continue
			}
			for i := range vals {
				vals[i] |= uint64(c) << (8 * p)
			}
			continue
		case planeRaw:
			if uint64(len(r.b)) < n {
				return fmt.Errorf("%w: candle block plane cut short", ErrCorrupt)
			}
			plane, r.b = r.b[:n], r.b[n:]
			if !use {
				continue
			}
		default:
			return fmt.Errorf("%w: candle block plane kind", ErrCorrupt)
		}
		for i, x := range plane {
			vals[i] |= uint64(x) << (8 * p)
		}
	}
	return r.done()
}
