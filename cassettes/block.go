package cassettes

import (
	"fmt"
	"math"

	cc "github.com/candlecassette/candlecassette"
)

// Candle blocks of kind kindBlock2 are written column by column, each
// column transformed so what is left to store is small and repetitive:
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
// stored: the round trip is exact whatever the data. zstd then squeezes
// the varints.

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

func encodeBlock2(cs []cc.Candle) []byte {
	// Common powers of ten: one for the price group, one per other column.
	var z [numDecimals]int
	for f := range z {
		z[f] = 18
	}
	for i := range cs {
		for f, d := range decimals(&cs[i]) {
			z[f] = min(z[f], trailingZeros(d.Units))
		}
	}
	zp := min(z[fOpen], z[fHigh], z[fLow], z[fClose])
	z[fOpen], z[fHigh], z[fLow], z[fClose] = zp, zp, zp, zp

	b := make([]byte, 0, 32+len(cs)*24)
	b = appendUvarint(b, uint64(len(cs)))
	for _, zf := range z {
		b = append(b, byte(zf))
	}
	var prev int64
	for _, c := range cs {
		b = appendVarint(b, c.OpenTime-prev)
		prev = c.OpenTime
	}
	for _, c := range cs {
		b = appendVarint(b, c.CloseTime-c.OpenTime)
	}
	for f := range numDecimals {
		for i := range cs {
			b = append(b, byte(decimals(&cs[i])[f].Scale))
		}
	}
	u := func(c *cc.Candle, f int) int64 { return decimals(c)[f].Units / pow10i[z[f]] }
	var prevClose int64
	for i := range cs {
		b = appendVarint(b, u(&cs[i], fOpen)-prevClose)
		prevClose = u(&cs[i], fClose)
	}
	for i := range cs {
		b = appendVarint(b, u(&cs[i], fClose)-u(&cs[i], fOpen))
	}
	for i := range cs {
		b = appendVarint(b, u(&cs[i], fHigh)-max(u(&cs[i], fOpen), u(&cs[i], fClose)))
	}
	for i := range cs {
		b = appendVarint(b, min(u(&cs[i], fOpen), u(&cs[i], fClose))-u(&cs[i], fLow))
	}
	for i := range cs {
		b = appendVarint(b, u(&cs[i], fVolume))
	}
	for i := range cs {
		b = appendVarint(b, u(&cs[i], fQuote)-predictQuote(&cs[i], z[fQuote]))
	}
	for i := range cs {
		b = appendVarint(b, u(&cs[i], fTBB))
	}
	for i := range cs {
		b = appendVarint(b, u(&cs[i], fTBQ)-predictTBQ(&cs[i], z[fTBQ]))
	}
	for _, c := range cs {
		b = appendVarint(b, c.Trades)
	}
	for _, c := range cs {
		if c.Closed {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	}
	return compress([]byte{kindBlock2}, b)
}

func decodeBlock2(raw []byte) ([]cc.Candle, error) {
	r := &reader{b: raw}
	n := r.uvarint()
	if n > uint64(len(raw)) {
		return nil, fmt.Errorf("%w: candle block count %d", ErrCorrupt, n)
	}
	var z [numDecimals]int
	for f := range z {
		if z[f] = int(r.byte()); z[f] > 18 {
			return nil, fmt.Errorf("%w: candle block exponent %d", ErrCorrupt, z[f])
		}
	}
	cs := readTimes(r, int(n))
	for f := range numDecimals {
		for i := range cs {
			decimals(&cs[i])[f].Scale = int8(r.byte())
		}
	}
	// Columns in scaled units first, then multiplied back.
	us := make([][numDecimals]int64, n)
	openDelta := make([]int64, n)
	for i := range openDelta {
		openDelta[i] = r.varint()
	}
	var prevClose int64
	for i := range us {
		us[i][fOpen] = prevClose + openDelta[i]
		us[i][fClose] = us[i][fOpen] + r.varint()
		prevClose = us[i][fClose]
	}
	for i := range us {
		us[i][fHigh] = max(us[i][fOpen], us[i][fClose]) + r.varint()
	}
	for i := range us {
		us[i][fLow] = min(us[i][fOpen], us[i][fClose]) - r.varint()
	}
	set := func(i, f int) {
		decimals(&cs[i])[f].Units = us[i][f] * pow10i[z[f]]
	}
	for i := range us {
		for _, f := range []int{fOpen, fHigh, fLow, fClose} {
			set(i, f)
		}
		us[i][fVolume] = r.varint()
		set(i, fVolume)
	}
	for i := range us {
		us[i][fQuote] = r.varint() + predictQuote(&cs[i], z[fQuote])
		set(i, fQuote)
	}
	for i := range us {
		us[i][fTBB] = r.varint()
		set(i, fTBB)
	}
	for i := range us {
		us[i][fTBQ] = r.varint() + predictTBQ(&cs[i], z[fTBQ])
		set(i, fTBQ)
	}
	for i := range cs {
		cs[i].Trades = r.varint()
	}
	for i := range cs {
		cs[i].Closed = r.byte() == 1
	}
	if err := r.done(); err != nil {
		return nil, err
	}
	return cs, nil
}
