package kit

import (
	"context"

	cc "github.com/candlecassette/candlecassette"
)

// Span returns the candles of iv whose open time lies in [from, to]
// (both inclusive, any alignment), oldest first, never past now. At most
// limit candles are returned, counted from the start when fromStart is
// true and from the end otherwise; limit <= 0 means no cap.
func Span(ctx context.Context, m cc.Market, sym string, iv cc.Interval, from, to, now int64, limit int, fromStart bool) ([]cc.Candle, error) {
	if to > now {
		to = now
	}
	if from < 0 {
		from = 0
	}
	start := iv.Ceil(from)
	if to < start {
		return nil, nil
	}
	last := iv.Truncate(to)
	if limit > 0 {
		if fromStart {
			if e := iv.Add(start, limit-1); e < last {
				last = e
			}
		} else if b := iv.Add(last, 1-limit); b > start {
			start = b
		}
	}
	return m.Candles(ctx, sym, iv, start, iv.Next(last), now)
}
