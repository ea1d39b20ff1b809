package kraken

import (
	"context"

	cc "github.com/candlecassette/candlecassette"
)

// Launch is when Kraken opened (2013-09-10T00:00:00Z, Unix ms): there are
// no candles before it.
const Launch = int64(1378771200000)

// fifteenDays is the length of Kraken's longest candle (interval 21600).
const fifteenDays = 15 * 86_400_000

// frame is one of Kraken's OHLC intervals: a canonical interval served by
// the Market as is, or the 15-day candle, which has no canonical
// interval and is folded from daily ones (aligned to multiples of 15 days
// since the Unix epoch).
type frame struct {
	minutes int
	iv      cc.Interval // the interval itself, or 1d for the 15-day frame
	span    int64       // 15 days for the folded frame; 0 otherwise
}

func frameOf(m int) (frame, bool) {
	if m == 21600 {
		return frame{minutes: m, iv: cc.Interval1d, span: fifteenDays}, true
	}
	iv, ok := intervalOf(m)
	return frame{minutes: m, iv: iv}, ok
}

func (f frame) truncate(t int64) int64 {
	if f.span > 0 {
		return t - ((t%f.span)+f.span)%f.span
	}
	return f.iv.Truncate(t)
}

func (f frame) next(open int64) int64 {
	if f.span > 0 {
		return open + f.span
	}
	return f.iv.Next(open)
}

func (f frame) prev(open int64) int64 {
	if f.span > 0 {
		return open - f.span
	}
	return f.iv.Prev(open)
}

// candles returns the frame's candles opening in [from, to), never before
// Launch nor past now.
func (f frame) candles(ctx context.Context, m cc.Market, sym string, from, to, now int64) ([]cc.Candle, error) {
	for from < Launch {
		from = f.next(from)
	}
	if from >= to {
		return nil, nil
	}
	cs, err := m.Candles(ctx, sym, f.iv, from, to, now)
	if err != nil || f.span == 0 {
		return cs, err
	}
	var out []cc.Candle
	for i := 0; i < len(cs); {
		open := f.truncate(cs[i].OpenTime)
		j := i + 1
		for j < len(cs) && f.truncate(cs[j].OpenTime) == open {
			j++
		}
		out = append(out, f.fold(open, cs[i:j], now))
		i = j
	}
	return out, nil
}

// fold aggregates the daily candles of the frame opening at open.
func (f frame) fold(open int64, days []cc.Candle, now int64) cc.Candle {
	c := cc.Aggregate(days)
	c.OpenTime = open
	c.CloseTime = open + f.span - 1
	c.Closed = now >= c.CloseTime
	return c
}

// update turns a Feed update of the frame's base interval into the
// frame's candle as it stands.
func (f frame) update(ctx context.Context, m cc.Market, sym string, u cc.Update) cc.Update {
	if f.span == 0 {
		return u
	}
	open := f.truncate(u.Candle.OpenTime)
	days, err := m.Candles(ctx, sym, f.iv, open, u.Candle.OpenTime, u.EventTime)
	if err != nil {
		days = nil
	}
	u.Candle = f.fold(open, append(days, u.Candle), u.EventTime)
	return u
}
