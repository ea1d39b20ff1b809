package synth

import (
	"context"
	"errors"
	"fmt"
	"math"

	cc "github.com/candlecassette/candlecassette"
)

// Bridge returns synthetic candles of iv opening in [start, end), none
// opening after now, that join recorded data without a jump: replay uses
// it to fill the gaps of a cassette.
//
// from is the last recorded candle before the gap; the first bridged candle
// opens exactly at from.Close. to is the first recorded candle after the
// gap, or nil when the recording has ended; when given, the path is
// steered so that it reaches to.Open at to.OpenTime, and if end is
// to.OpenTime the last bridged candle closes exactly at to.Open.
//
// The path is the market's own path for those candles, shifted in log
// price by a straight line in time: the offset that puts the start on
// from.Close at start, moving linearly to the offset that puts the
// market's price at to.OpenTime on to.Open (without to, the offset stays
// constant). Subtracting such a line is how a Brownian bridge is made from
// a Brownian path, so the stretch keeps the market's volatility, fat
// tails, clustering and volume pattern, and only its level moves. Volumes,
// trades and taker volumes are scaled by how the recorded volume compares
// with the market's at from (and at to), by a factor between 0.1 and 10;
// quote volumes follow the price level too.
//
// Prices are rounded to from.Close's decimal places (the recording's);
// volumes keep the market's lot size. Bridge is deterministic: the same
// arguments give the same candles. Unlike Candles, bridged candles of two
// intervals are not exact aggregates of each other, because each candle is
// shifted and rounded on its own.
func (m *Market) Bridge(ctx context.Context, symbol string, iv cc.Interval, from cc.Candle, to *cc.Candle, start, end, now int64) ([]cc.Candle, error) {
	if from.Close.Units <= 0 {
		return nil, errors.New("synth: bridge: the recorded candle has no positive close")
	}
	if to != nil && to.Open.Units <= 0 {
		return nil, errors.New("synth: bridge: the next recorded candle has no positive open")
	}
	syn, err := m.Candles(ctx, symbol, iv, start, end, now)
	if err != nil || len(syn) == 0 {
		return syn, err
	}
	t0 := syn[0].OpenTime
	a := math.Log(from.Close.Float64() / syn[0].Open.Float64())
	b, t1 := a, t0
	vf := m.volumeRatio(ctx, symbol, iv, from)
	if to != nil {
		t1 = to.OpenTime
		at, err := m.Candles(ctx, symbol, iv, iv.Truncate(t1), iv.Next(iv.Truncate(t1)), math.MaxInt64)
		if err != nil {
			return nil, err
		}
		if len(at) == 0 || at[0].Open.Units <= 0 {
			return nil, fmt.Errorf("synth: bridge: no market price at %d", t1)
		}
		b = math.Log(to.Open.Float64() / at[0].Open.Float64())
		vf = math.Sqrt(vf * m.volumeRatio(ctx, symbol, iv, *to))
	}
	offset := func(t int64) float64 {
		if t1 <= t0 || t >= t1 {
			return b
		}
		return a + (b-a)*float64(t-t0)/float64(t1-t0)
	}
	scale := int(from.Close.Scale)
	price := func(p cc.Decimal, off float64) cc.Decimal {
		return cc.DecimalFromFloat(p.Float64()*math.Exp(off), scale)
	}
	out := make([]cc.Candle, len(syn))
	prevClose := from.Close
	for k, c := range syn {
		next := iv.Next(c.OpenTime)
		fo, fc := offset(c.OpenTime), offset(next)
		level := math.Exp((fo + fc) / 2)
		n := c
		n.Open = prevClose
		n.Close = price(c.Close, fc)
		if !c.Closed && c.Close == c.Open {
			n.Close = n.Open // nothing traded yet: stay flat at the open
		}
		if to != nil && next == t1 && c.Closed {
			n.Close = to.Open
		}
		n.High = price(c.High, max(fo, fc))
		n.Low = price(c.Low, min(fo, fc))
		for _, p := range []cc.Decimal{n.Open, n.Close} {
			if p.Cmp(n.High) > 0 {
				n.High = p
			}
			if p.Cmp(n.Low) < 0 {
				n.Low = p
			}
		}
		n.Volume = scaleDec(c.Volume, vf)
		n.TakerBuyBase = scaleDec(c.TakerBuyBase, vf)
		if n.TakerBuyBase.Cmp(n.Volume) > 0 {
			n.TakerBuyBase = n.Volume
		}
		n.QuoteVolume = scaleDec(c.QuoteVolume, vf*level)
		n.TakerBuyQuote = scaleDec(c.TakerBuyQuote, vf*level)
		if n.TakerBuyQuote.Cmp(n.QuoteVolume) > 0 {
			n.TakerBuyQuote = n.QuoteVolume
		}
		n.Trades = int64(math.Round(float64(c.Trades) * vf))
		switch {
		case n.Volume.IsZero():
			n.Trades, n.QuoteVolume, n.TakerBuyBase, n.TakerBuyQuote = 0, cc.Decimal{Scale: c.QuoteVolume.Scale}, cc.Decimal{Scale: c.TakerBuyBase.Scale}, cc.Decimal{Scale: c.TakerBuyQuote.Scale}
		case n.Trades == 0:
			n.Trades = 1
		}
		out[k] = n
		prevClose = n.Close
	}
	generated.Add(int64(len(out)))
	return out, nil
}

// volumeRatio compares a recorded candle's volume with the market's for
// the same candle, clamped to [0.1, 10]; 1 when either is missing.
func (m *Market) volumeRatio(ctx context.Context, symbol string, iv cc.Interval, rec cc.Candle) float64 {
	if rec.Volume.Units <= 0 {
		return 1
	}
	open := iv.Truncate(rec.OpenTime)
	cs, err := m.Candles(ctx, symbol, iv, open, iv.Next(open), math.MaxInt64)
	if err != nil || len(cs) == 0 || cs[0].Volume.Units <= 0 {
		return 1
	}
	return max(0.1, min(10, rec.Volume.Float64()/cs[0].Volume.Float64()))
}

func scaleDec(d cc.Decimal, f float64) cc.Decimal {
	return cc.DecimalFromFloat(d.Float64()*f, int(d.Scale))
}
