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
	start := iv.Truncate(from)
	if start < from {
		start = iv.Next(start)
	}
	if to < start {
		return nil, nil
	}
	last := iv.Truncate(to)
	if limit > 0 {
		if fromStart {
			if e := Forward(iv, start, limit); e < last {
				last = e
			}
		} else if b := Back(iv, last, limit); b > start {
			start = b
		}
	}
	return m.Candles(ctx, sym, iv, start, iv.Next(last), now)
}

// Back returns the open time of the candle n-1 candles before open, so
// that [Back(iv, open, n), open] holds n candles.
func Back(iv cc.Interval, open int64, n int) int64 {
	if n <= 1 {
		return open
	}
	if iv.Fixed() {
		return open - int64(n-1)*iv.Millis()
	}
	for i := 1; i < n; i++ {
		open = iv.Prev(open)
	}
	return open
}

// Forward returns the open time of the candle n-1 candles after open, so
// that [open, Forward(iv, open, n)] holds n candles.
func Forward(iv cc.Interval, open int64, n int) int64 {
	if n <= 1 {
		return open
	}
	if iv.Fixed() {
		return open + int64(n-1)*iv.Millis()
	}
	for i := 1; i < n; i++ {
		open = iv.Next(open)
	}
	return open
}

// Count is the number of candles of iv with open times in [from, to]
// (from aligned), saturating at max+1 so callers can test "more than max"
// cheaply even for huge ranges.
func Count(iv cc.Interval, from, to int64, max int) int {
	if to < from {
		return 0
	}
	if iv.Fixed() {
		n := (to-from)/iv.Millis() + 1
		if n > int64(max) {
			return max + 1
		}
		return int(n)
	}
	n := 0
	for t := from; t <= to; t = iv.Next(t) {
		n++
		if n > max {
			return n
		}
	}
	return n
}
