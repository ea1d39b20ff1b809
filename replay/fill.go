package replay

import (
	"context"
	"math"

	cc "github.com/candlecassette/candlecassette"
)

// Recorded is the candle index of a cassette as replay reads it.
type Recorded interface {
	// Range returns the recorded candles of (symbol, iv) with open time in
	// [start, end), oldest first.
	Range(symbol string, iv cc.Interval, start, end int64) ([]cc.Candle, error)
	// Before returns the last recorded candle opening before t.
	Before(symbol string, iv cc.Interval, t int64) (cc.Candle, bool, error)
	// From returns the first recorded candle opening at or after t.
	From(symbol string, iv cc.Interval, t int64) (cc.Candle, bool, error)
}

// FilledMarket serves recorded candles where the cassette has them and the
// synthetic market everywhere else, joined without jumps: a synthetic
// stretch after recorded data opens at the last recorded close, and one
// before recorded data closes at the next recorded open (a stretch between
// two recordings is bridged from one to the other).
type FilledMarket struct {
	Recorded Recorded
	Synth    cc.Market
}

var _ cc.Market = (*FilledMarket)(nil)

// Candles implements cc.Market.
func (m *FilledMarket) Candles(ctx context.Context, symbol string, iv cc.Interval, start, end, now int64) ([]cc.Candle, error) {
	start = iv.Truncate(start)
	if last := iv.Truncate(now); end > iv.Next(last) {
		end = iv.Next(last)
	}
	if start >= end {
		return nil, nil
	}
	rec, err := m.Recorded.Range(symbol, iv, start, end)
	if err != nil {
		return nil, err
	}
	out := make([]cc.Candle, 0, len(rec))
	next := start
	for i := 0; next < end; {
		if i < len(rec) && rec[i].OpenTime == next {
			c := rec[i]
			if c.OpenTime == iv.Truncate(now) && now < c.CloseTime {
				c.Closed = false
			}
			out = append(out, c)
			next = iv.Next(next)
			i++
			continue
		}
		// A gap: up to the next recorded candle in the window or its end.
		gapEnd := end
		if i < len(rec) {
			gapEnd = rec[i].OpenTime
		}
		filled, err := m.fill(ctx, symbol, iv, next, gapEnd, now, out, rec[i:])
		if err != nil {
			return nil, err
		}
		out = append(out, filled...)
		next = gapEnd
	}
	return out, nil
}

// fill returns synthetic candles for [start, end), rescaled so they join the
// recorded neighbours. before holds the candles served so far in the
// window; after the recorded ones following the gap.
func (m *FilledMarket) fill(ctx context.Context, symbol string, iv cc.Interval, start, end, now int64, before, after []cc.Candle) ([]cc.Candle, error) {
	syn, err := m.Synth.Candles(ctx, symbol, iv, start, end, now)
	if err != nil || len(syn) == 0 {
		return syn, err
	}
	var prev, next *cc.Candle
	if len(before) > 0 {
		prev = &before[len(before)-1]
	} else if c, ok, err := m.Recorded.Before(symbol, iv, start); err != nil {
		return nil, err
	} else if ok {
		prev = &c
	}
	if len(after) > 0 {
		next = &after[0]
	} else if c, ok, err := m.Recorded.From(symbol, iv, end); err != nil {
		return nil, err
	} else if ok && c.OpenTime <= now {
		next = &c
	}
	return Join(syn, prev, next), nil
}

// Join rescales the synthetic stretch syn so that its first open equals
// prev.Close and its last close equals next.Open (either may be nil). The
// correction is a log-linear drift across the stretch, the deterministic
// part of a Brownian bridge pinned at both ends: the shape and volatility of
// the synthetic path are kept, only its level moves. Prices keep the
// recorded neighbours' decimal places.
func Join(syn []cc.Candle, prev, next *cc.Candle) []cc.Candle {
	n := len(syn)
	if n == 0 || (prev == nil && next == nil) {
		return syn
	}
	first, last := syn[0].Open.Float64(), syn[n-1].Close.Float64()
	if first <= 0 || last <= 0 {
		return syn
	}
	var a, b float64 // log offset at the start and the end of the stretch
	switch {
	case prev != nil && next != nil:
		a = math.Log(prev.Close.Float64() / first)
		b = math.Log(next.Open.Float64() / last)
	case prev != nil:
		a = math.Log(prev.Close.Float64() / first)
		b = a
	default:
		b = math.Log(next.Open.Float64() / last)
		a = b
	}
	scale := int(syn[0].Open.Scale)
	if prev != nil {
		scale = int(prev.Close.Scale)
	} else if next != nil {
		scale = int(next.Open.Scale)
	}
	factor := func(k int) float64 { return math.Exp(a + (b-a)*float64(k)/float64(n)) }
	out := make([]cc.Candle, n)
	for k, c := range syn {
		fo, fc := factor(k), factor(k+1)
		o := c.Open.Float64() * fo
		cl := c.Close.Float64() * fc
		h := math.Max(c.High.Float64()*math.Max(fo, fc), math.Max(o, cl))
		l := math.Min(c.Low.Float64()*math.Min(fo, fc), math.Min(o, cl))
		c.Open = cc.DecimalFromFloat(o, scale)
		c.Close = cc.DecimalFromFloat(cl, scale)
		c.High = cc.DecimalFromFloat(h, scale)
		c.Low = cc.DecimalFromFloat(l, scale)
		// Quote volumes follow the price level.
		mid := math.Sqrt(fo * fc)
		c.QuoteVolume = cc.DecimalFromFloat(c.QuoteVolume.Float64()*mid, int(c.QuoteVolume.Scale))
		c.TakerBuyQuote = cc.DecimalFromFloat(c.TakerBuyQuote.Float64()*mid, int(c.TakerBuyQuote.Scale))
		out[k] = c
	}
	// Pin the ends exactly; rounding must not leave a one-tick jump.
	if prev != nil {
		out[0].Open = prev.Close
		out[0] = widen(out[0])
	}
	if next != nil {
		out[n-1].Close = next.Open
		out[n-1] = widen(out[n-1])
	}
	// Consecutive synthetic candles share their boundary price.
	for k := 1; k < n; k++ {
		out[k].Open = out[k-1].Close
		out[k] = widen(out[k])
	}
	return out
}

// widen makes high and low contain open and close.
func widen(c cc.Candle) cc.Candle {
	for _, p := range []cc.Decimal{c.Open, c.Close} {
		if p.Cmp(c.High) > 0 {
			c.High = p
		}
		if p.Cmp(c.Low) < 0 {
			c.Low = p
		}
	}
	return c
}
