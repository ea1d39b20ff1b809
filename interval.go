package candlecassette

import (
	"fmt"
	"time"
)

// Interval is a canonical candle interval. Its string form is Binance's
// spelling ("1s", "1m", ..., "1w", "1M"); plugins map their exchange's
// names onto these.
type Interval string

// The canonical intervals.
const (
	Interval1s  Interval = "1s"
	Interval1m  Interval = "1m"
	Interval3m  Interval = "3m"
	Interval5m  Interval = "5m"
	Interval15m Interval = "15m"
	Interval30m Interval = "30m"
	Interval1h  Interval = "1h"
	Interval2h  Interval = "2h"
	Interval4h  Interval = "4h"
	Interval6h  Interval = "6h"
	Interval8h  Interval = "8h"
	Interval12h Interval = "12h"
	Interval1d  Interval = "1d"
	Interval3d  Interval = "3d"
	Interval1w  Interval = "1w"
	Interval1M  Interval = "1M"
)

// Intervals lists every canonical interval, shortest first.
var Intervals = []Interval{
	Interval1s, Interval1m, Interval3m, Interval5m, Interval15m, Interval30m,
	Interval1h, Interval2h, Interval4h, Interval6h, Interval8h, Interval12h,
	Interval1d, Interval3d, Interval1w, Interval1M,
}

var intervalDur = map[Interval]int64{
	Interval1s: 1_000, Interval1m: 60_000, Interval3m: 180_000, Interval5m: 300_000,
	Interval15m: 900_000, Interval30m: 1_800_000, Interval1h: 3_600_000,
	Interval2h: 7_200_000, Interval4h: 14_400_000, Interval6h: 21_600_000,
	Interval8h: 28_800_000, Interval12h: 43_200_000, Interval1d: 86_400_000,
	Interval3d: 259_200_000, Interval1w: 604_800_000,
}

// weekOffset shifts epoch alignment so weeks start on Monday 00:00 UTC
// (1970-01-01 was a Thursday).
const weekOffset = 4 * 86_400_000

// ParseInterval checks that s is a canonical interval name.
func ParseInterval(s string) (Interval, error) {
	iv := Interval(s)
	if iv.Valid() {
		return iv, nil
	}
	return "", fmt.Errorf("candlecassette: unknown interval %q", s)
}

// Valid reports whether iv is one of the canonical intervals.
func (iv Interval) Valid() bool {
	if iv == Interval1M {
		return true
	}
	_, ok := intervalDur[iv]
	return ok
}

// Millis is the nominal length in milliseconds; for 1M it is 30 days. Use
// Next for exact boundaries.
func (iv Interval) Millis() int64 {
	if iv == Interval1M {
		return 30 * 86_400_000
	}
	return intervalDur[iv]
}

// Duration is Millis as a time.Duration.
func (iv Interval) Duration() time.Duration { return time.Duration(iv.Millis()) * time.Millisecond }

// Fixed reports whether every candle of iv has the same length (all but 1M).
func (iv Interval) Fixed() bool { return iv != Interval1M }

// Truncate returns the open time of the candle containing t (Unix ms).
// Fixed intervals align to the Unix epoch, weeks to Monday 00:00 UTC,
// months to the first of the month.
func (iv Interval) Truncate(t int64) int64 {
	switch iv {
	case Interval1M:
		tm := time.UnixMilli(t).UTC()
		return time.Date(tm.Year(), tm.Month(), 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	case Interval1w:
		return floorDiv(t-weekOffset, intervalDur[iv])*intervalDur[iv] + weekOffset
	default:
		d := intervalDur[iv]
		return floorDiv(t, d) * d
	}
}

// Ceil returns the open time of the first candle opening at or after t:
// t itself when a candle opens at t, else the open after Truncate(t).
func (iv Interval) Ceil(t int64) int64 {
	o := iv.Truncate(t)
	if o < t {
		o = iv.Next(o)
	}
	return o
}

// Add returns the open time n candles after the candle opening at open
// (before it for negative n); Add(open, 0) is open. This is the one way
// to step over candles, and its meaning has no off-by-one to remember:
// the n candles ending with the one opening at last start at
// Add(last, 1-n), and the n candles from first end with the one opening
// at Add(first, n-1). Months step by calendar month, in constant time.
func (iv Interval) Add(open int64, n int) int64 {
	if n == 0 {
		return open
	}
	if iv == Interval1M {
		tm := time.UnixMilli(open).UTC()
		return time.Date(tm.Year(), tm.Month()+time.Month(n), 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	}
	return open + int64(n)*intervalDur[iv]
}

// Count returns how many candles open in [from, to], both inclusive, for
// an aligned from (a candle's open time); 0 when to < from. Months are
// counted by calendar month, in constant time.
func (iv Interval) Count(from, to int64) int64 {
	if to < from {
		return 0
	}
	if iv == Interval1M {
		f, t := time.UnixMilli(from).UTC(), time.UnixMilli(to).UTC()
		return int64(t.Year()-f.Year())*12 + int64(t.Month()-f.Month()) + 1
	}
	return (to-from)/intervalDur[iv] + 1
}

// Next returns the open time of the candle after the one opening at open.
func (iv Interval) Next(open int64) int64 {
	if iv == Interval1M {
		tm := time.UnixMilli(open).UTC()
		return time.Date(tm.Year(), tm.Month()+1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	}
	return open + intervalDur[iv]
}

// Prev returns the open time of the candle before the one opening at open.
func (iv Interval) Prev(open int64) int64 {
	if iv == Interval1M {
		tm := time.UnixMilli(open).UTC()
		return time.Date(tm.Year(), tm.Month()-1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	}
	return open - intervalDur[iv]
}

// CloseTime returns the last millisecond of the candle opening at open.
func (iv Interval) CloseTime(open int64) int64 { return iv.Next(open) - 1 }

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
