package bybit

import (
	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

const (
	defaultLimit = 200
	maxLimit     = 1000
)

// intervals are Bybit's kline interval names (REST "interval" and the WS
// topic kline.{interval}.{symbol}), shortest first. Bybit's day, week and
// month candles open at 00:00 UTC, Monday and the 1st, as the canonical
// ones do.
var intervals = plugins.IntervalNames{
	{Interval: cc.Interval1m, Name: "1"}, {Interval: cc.Interval3m, Name: "3"},
	{Interval: cc.Interval5m, Name: "5"}, {Interval: cc.Interval15m, Name: "15"},
	{Interval: cc.Interval30m, Name: "30"}, {Interval: cc.Interval1h, Name: "60"},
	{Interval: cc.Interval2h, Name: "120"}, {Interval: cc.Interval4h, Name: "240"},
	{Interval: cc.Interval6h, Name: "360"}, {Interval: cc.Interval12h, Name: "720"},
	{Interval: cc.Interval1d, Name: "D"}, {Interval: cc.Interval1w, Name: "W"},
	{Interval: cc.Interval1M, Name: "M"},
}

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
