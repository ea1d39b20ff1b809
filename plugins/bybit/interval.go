package bybit

import cc "github.com/candlecassette/candlecassette"

const (
	defaultLimit = 200
	maxLimit     = 1000
)

// intervalNames are Bybit's kline intervals, shortest first.
var intervalNames = []string{"1", "3", "5", "15", "30", "60", "120", "240", "360", "720", "D", "W", "M"}

// intervals maps Bybit's names onto canonical intervals. Bybit's day, week
// and month candles open at 00:00 UTC, Monday and the 1st, as the
// canonical ones do.
var intervals = map[string]cc.Interval{
	"1": cc.Interval1m, "3": cc.Interval3m, "5": cc.Interval5m, "15": cc.Interval15m,
	"30": cc.Interval30m, "60": cc.Interval1h, "120": cc.Interval2h, "240": cc.Interval4h,
	"360": cc.Interval6h, "720": cc.Interval12h, "D": cc.Interval1d, "W": cc.Interval1w,
	"M": cc.Interval1M,
}

var intervalName = func() map[cc.Interval]string {
	m := make(map[cc.Interval]string, len(intervals))
	for n, iv := range intervals {
		m[iv] = n
	}
	return m
}()

// klineWindow turns a kline request into the open-time range [first, stop)
// to read. With start, the limit candles from start onwards (not past end
// or now); without, the limit candles up to end (or now). ok is false when
// the range is empty.
func klineWindow(iv cc.Interval, start, end int64, hasStart, hasEnd bool, limit int, now int64) (first, stop int64, ok bool) {
	last := iv.Truncate(now)
	if hasEnd && end < now {
		last = iv.Truncate(end)
	}
	if hasStart {
		first = iv.Ceil(start)
		if first > last {
			return 0, 0, false
		}
		stop = min(iv.Add(first, limit), iv.Next(last))
		return first, stop, true
	}
	return iv.Add(last, 1-limit), iv.Next(last), true
}
