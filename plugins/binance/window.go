package binance

import (
	"context"

	cc "github.com/candlecassette/candlecassette"
)

// span is a klines query after validation: open times are selected by
// startTime <= open <= endTime (both optional, UTC), at most limit rows.
type span struct {
	iv       cc.Interval
	start    int64
	hasStart bool
	end      int64
	hasEnd   bool
	limit    int
	// tz is the timeZone offset in ms; candles open on local boundaries.
	tz int64
	// listed is when the market opened: no candle opens before the one
	// containing it, however early startTime is.
	listed int64
}

// grid maps an interval onto a time zone: candles open where the local
// time is aligned. With tz 0 it is the interval itself.
type grid struct {
	iv cc.Interval
	tz int64
}

func (g grid) truncate(t int64) int64 { return g.iv.Truncate(t+g.tz) - g.tz }
func (g grid) next(open int64) int64  { return g.iv.Next(open+g.tz) - g.tz }
func (g grid) prev(open int64) int64  { return g.iv.Prev(open+g.tz) - g.tz }

// add returns the open time n candles after open (before it for
// negative n), on local boundaries: cc.Interval.Add in the zone.
func (g grid) add(open int64, n int) int64 { return g.iv.Add(open+g.tz, n) - g.tz }

// candles answers sp from m as Binance does: from startTime forward when
// it is given, otherwise the last limit candles up to endTime (or now,
// the candle in progress included).
func candles(ctx context.Context, m cc.Market, sym string, sp span, now int64) ([]cc.Candle, error) {
	g := grid{iv: sp.iv, tz: sp.tz}
	if sp.iv.Fixed() && sp.tz%sp.iv.Millis() == 0 {
		g.tz = 0 // local and UTC boundaries coincide
	}
	last := now
	if sp.hasEnd && sp.end < last {
		last = sp.end
	}
	if sp.hasStart && sp.start > last {
		return []cc.Candle{}, nil
	}
	lastOpen := g.truncate(last)
	var first, stop int64
	listedOpen := g.truncate(sp.listed)
	if lastOpen < listedOpen {
		return []cc.Candle{}, nil
	}
	if sp.hasStart {
		first = g.truncate(sp.start)
		if first < sp.start {
			first = g.next(first)
		}
		first = max(first, listedOpen)
		if first > lastOpen {
			return []cc.Candle{}, nil
		}
		stop = min(g.add(first, sp.limit), g.next(lastOpen))
	} else {
		first = max(g.add(lastOpen, 1-sp.limit), listedOpen)
		stop = g.next(lastOpen)
	}
	if g.tz == 0 {
		cs, err := m.Candles(ctx, sym, sp.iv, first, stop, now)
		if cs == nil && err == nil {
			cs = []cc.Candle{}
		}
		return cs, err
	}
	return zoned(ctx, m, sym, g, first, stop, now)
}

// zoned builds candles on a shifted grid from the largest UTC interval
// whose boundaries are also local boundaries.
func zoned(ctx context.Context, m cc.Market, sym string, g grid, first, stop, now int64) ([]cc.Candle, error) {
	base := baseFor(g)
	parts, err := m.Candles(ctx, sym, base, first, stop, now)
	if err != nil {
		return nil, err
	}
	out := []cc.Candle{}
	for i := 0; i < len(parts); {
		open := g.truncate(parts[i].OpenTime)
		j := i + 1
		for j < len(parts) && g.truncate(parts[j].OpenTime) == open {
			j++
		}
		c := cc.Aggregate(parts[i:j])
		c.OpenTime = open
		c.CloseTime = g.next(open) - 1
		c.Closed = now >= c.CloseTime
		out = append(out, c)
		i = j
	}
	return out, nil
}

// baseFor picks the base interval for g: it must divide the offset and the
// interval (a day for weeks and months, which start at local midnight).
func baseFor(g grid) cc.Interval {
	span := int64(86_400_000)
	if g.iv.Fixed() && g.iv.Millis() < span {
		span = g.iv.Millis()
	}
	for i := len(cc.Intervals) - 1; i >= 0; i-- {
		b := cc.Intervals[i]
		if !b.Fixed() || b.Millis() > span {
			continue
		}
		if g.tz%b.Millis() == 0 && span%b.Millis() == 0 {
			return b
		}
	}
	return cc.Interval1m
}
