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
	Synth    Synthetic
	// Trades, when set, makes the candles of a gap that recorded trades
	// cover from those trades (the cassette's trades index joined to the
	// synthetic tape), rather than synthetic ones: the 1s candles a last
	// price is read from, where only trades were recorded.
	Trades TradeCandles
}

// TradeCandles builds candles from recorded trades (recordedTape).
type TradeCandles interface {
	// CandleSpan is the open times [from, to) of iv's candles made of
	// recorded trades alone, up to now; ok is false when there are none
	// (or iv's candles are not built from trades).
	CandleSpan(ctx context.Context, symbol string, iv cc.Interval, now int64) (from, to int64, ok bool, err error)
	// CandlesFromTrades is iv's candles opening in [start, end), up to
	// now, aggregated from the trades.
	CandlesFromTrades(ctx context.Context, symbol string, iv cc.Interval, start, end, now int64) ([]cc.Candle, error)
}

// Synthetic is the synthetic market as replay uses it (synth.Market): its
// candles, and bridges from recorded data to recorded data.
type Synthetic interface {
	cc.Market
	Bridge(ctx context.Context, symbol string, iv cc.Interval, from cc.Candle, to *cc.Candle, start, end, now int64) ([]cc.Candle, error)
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
		if m.Trades != nil {
			// The part of the gap recorded trades cover is made of them.
			from, to, ok, err := m.Trades.CandleSpan(ctx, symbol, iv, now)
			if err != nil {
				return nil, err
			}
			if a, b := max(next, from), min(gapEnd, to); ok && a < b {
				if next < a {
					gapEnd = a // synthetic up to the trades, then this again
				} else {
					cs, err := m.Trades.CandlesFromTrades(ctx, symbol, iv, a, b, now)
					if err != nil {
						return nil, err
					}
					out = append(out, cs...)
					next = b
					continue
				}
			}
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

// fill returns synthetic candles for [start, end) that join the recorded
// neighbours: before holds the candles served so far in the window, after
// the recorded ones following the gap. The synthetic market bridges from
// the last recorded close (or, before any recording, from its own price)
// to the next recorded open.
func (m *FilledMarket) fill(ctx context.Context, symbol string, iv cc.Interval, start, end, now int64, before, after []cc.Candle) ([]cc.Candle, error) {
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
	switch {
	case prev == nil && next == nil:
		return m.Synth.Candles(ctx, symbol, iv, start, end, now)
	case prev == nil:
		// Nothing recorded before: the market's own path, moved as a whole
		// so that it reaches the recording's open (when there is one). The
		// offset is the same for every candle, so two windows before the
		// recording agree where they overlap; steering from the window's
		// own start would squeeze the whole level difference into
		// whichever window was asked for.
		p := iv.Prev(start)
		cs, err := m.Synth.Candles(ctx, symbol, iv, p, start, now)
		if err != nil || len(cs) == 0 {
			return nil, err
		}
		from := cs[0]
		if next != nil {
			at, err := m.Synth.Candles(ctx, symbol, iv, next.OpenTime, iv.Next(next.OpenTime), math.MaxInt64)
			if err != nil {
				return nil, err
			}
			if len(at) > 0 && at[0].Open.Units > 0 {
				f := next.Open.Float64() / at[0].Open.Float64()
				from.Close = cc.DecimalFromFloat(from.Close.Float64()*f, int(next.Open.Scale))
			}
		}
		prev = &from
	}
	return m.Synth.Bridge(ctx, symbol, iv, *prev, next, start, end, now)
}
