package okx

import (
	"context"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

const (
	defaultLimit = 100
	maxLimit     = 300
	// maxPriceLimit caps mark and index price candle pages.
	maxPriceLimit = 100
	// recentBars is how many of the latest bars /market/candles serves.
	recentBars = 1440

	hour = int64(3_600_000)
	day  = 24 * hour
	// hk is the offset of Hong Kong time (UTC+8), where OKX's plain 6H and
	// longer bars open.
	hk = 8 * hour
	// monday moves epoch-aligned weeks to start on Monday (1970-01-01 was
	// a Thursday).
	monday = 4 * day
)

// barNames are the bars whose candles are exactly a canonical interval's,
// by the name a client asks for ("bar", the candle{bar} channel): the
// exchange's Defaults.IntervalNames. Every other bar of bars is
// aggregated here.
var barNames = plugins.IntervalNames{
	{Interval: cc.Interval1s, Name: "1s"}, {Interval: cc.Interval1m, Name: "1m"},
	{Interval: cc.Interval3m, Name: "3m"}, {Interval: cc.Interval5m, Name: "5m"},
	{Interval: cc.Interval15m, Name: "15m"}, {Interval: cc.Interval30m, Name: "30m"},
	{Interval: cc.Interval1h, Name: "1H"}, {Interval: cc.Interval2h, Name: "2H"},
	{Interval: cc.Interval4h, Name: "4H"}, {Interval: cc.Interval6h, Name: "6Hutc"},
	{Interval: cc.Interval12h, Name: "12Hutc"}, {Interval: cc.Interval1d, Name: "1Dutc"},
	{Interval: cc.Interval3d, Name: "3Dutc"}, {Interval: cc.Interval1w, Name: "1Wutc"},
	{Interval: cc.Interval1M, Name: "1Mutc"},
}

// bar is one of OKX's bar sizes.
type bar struct {
	// iv is the canonical interval whose candles are exactly these bars
	// (from barNames); empty for bars aggregated here.
	iv cc.Interval
	// Aggregated bars: a fixed length (with its alignment base), or a
	// number of calendar months; both aligned in the time zone shift ms
	// east of UTC.
	length, base int64
	months       int
	shift        int64
	// historyOnly bars are not served by /market/candles.
	historyOnly bool
}

// bars are every bar OKX serves by name; a bar of barNames gets its
// canonical interval from there.
var bars = withIntervals(map[string]bar{
	"1s":  {historyOnly: true},
	"1m":  {},
	"3m":  {},
	"5m":  {},
	"15m": {},
	"30m": {},
	"1H":  {},
	"2H":  {},
	"4H":  {},
	// Hong Kong time opening prices.
	"6H":  {length: 6 * hour, shift: hk},
	"12H": {length: 12 * hour, shift: hk},
	"1D":  {length: day, shift: hk},
	"2D":  {length: 2 * day, shift: hk},
	"3D":  {length: 3 * day, shift: hk},
	"1W":  {length: 7 * day, base: monday, shift: hk},
	"1M":  {months: 1, shift: hk},
	"3M":  {months: 3, shift: hk},
	// UTC opening prices.
	"6Hutc":  {},
	"12Hutc": {},
	"1Dutc":  {},
	"2Dutc":  {length: 2 * day},
	"3Dutc":  {},
	"1Wutc":  {},
	"1Mutc":  {},
	"3Mutc":  {months: 3},
})

// withIntervals gives each bar of barNames its canonical interval. It
// panics on a name of barNames that bars lacks, so the two cannot drift.
func withIntervals(m map[string]bar) map[string]bar {
	for _, r := range barNames {
		b, ok := m[r.Name]
		if !ok {
			panic("okx: bar " + r.Name + " of barNames is not among the bars")
		}
		b.iv = r.Interval
		m[r.Name] = b
	}
	return m
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// open is the open time of the bar containing t.
func (b bar) open(t int64) int64 {
	switch {
	case b.iv != "":
		return b.iv.Truncate(t)
	case b.months > 0:
		local := time.UnixMilli(t + b.shift).UTC()
		m := (int(local.Month()) - 1) / b.months * b.months
		return time.Date(local.Year(), time.Month(m+1), 1, 0, 0, 0, 0, time.UTC).UnixMilli() - b.shift
	default:
		off := b.base - b.shift
		return floorDiv(t-off, b.length)*b.length + off
	}
}

// next is the open time of the bar after the one opening at open.
func (b bar) next(open int64) int64 {
	switch {
	case b.iv != "":
		return b.iv.Next(open)
	case b.months > 0:
		local := time.UnixMilli(open + b.shift).UTC()
		return time.Date(local.Year(), local.Month()+time.Month(b.months), 1, 0, 0, 0, 0, time.UTC).UnixMilli() - b.shift
	default:
		return open + b.length
	}
}

// prev is the open time of the bar before the one opening at open.
func (b bar) prev(open int64) int64 {
	switch {
	case b.iv != "":
		return b.iv.Prev(open)
	case b.months > 0:
		local := time.UnixMilli(open + b.shift).UTC()
		return time.Date(local.Year(), local.Month()-time.Month(b.months), 1, 0, 0, 0, 0, time.UTC).UnixMilli() - b.shift
	default:
		return open - b.length
	}
}

// window picks the bars an OKX candles request returns: the newest limit
// bars that open before after (when set), after before (when set), not
// after the bar in progress at now and, when recent > 0, among the latest
// recent bars. It returns the oldest and newest open times; ok is false
// when no bar qualifies.
func (b bar) window(now, after, before int64, hasAfter, hasBefore bool, limit, recent int) (first, last int64, ok bool) {
	cur := b.open(now)
	last = cur
	if hasAfter {
		if o := b.open(after - 1); o < last {
			last = o
		}
	}
	admits := func(o int64) bool { return !hasBefore || o > before }
	var oldest int64
	if recent > 0 {
		oldest = cur
		for i := 1; i < recent; i++ {
			oldest = b.prev(oldest)
		}
	}
	if !admits(last) || (recent > 0 && last < oldest) {
		return 0, 0, false
	}
	first = last
	for n := 1; n < limit; n++ {
		p := b.prev(first)
		if !admits(p) || (recent > 0 && p < oldest) {
			break
		}
		first = p
	}
	return first, last, true
}

// candles returns the bars of sym opening in [first, last], oldest first,
// as the market stands at now.
func (b bar) candles(ctx context.Context, m cc.Market, sym string, first, last, now int64) ([]cc.Candle, error) {
	if b.iv != "" {
		return m.Candles(ctx, sym, b.iv, first, b.iv.Next(last), now)
	}
	var out []cc.Candle
	for o := first; o <= last && o <= now; o = b.next(o) {
		c, ok, err := aggregate(ctx, m, sym, o, b.next(o), now)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, c)
		}
	}
	return out, nil
}

// aggregate folds the market's candles covering [from, to) into one, up
// to now, reading the longest canonical candles that fit (months, days,
// hours, minutes) so a long bar costs a few reads.
func aggregate(ctx context.Context, m cc.Market, sym string, from, to, now int64) (cc.Candle, bool, error) {
	var agg cc.Candle
	have := false
	for t := from; t < to && t <= now; {
		iv := piece(t, to)
		runEnd := iv.Next(t)
		for runEnd < to && piece(runEnd, to) == iv {
			runEnd = iv.Next(runEnd)
		}
		cs, err := m.Candles(ctx, sym, iv, t, runEnd, now)
		if err != nil {
			return cc.Candle{}, false, err
		}
		for _, c := range cs {
			if !have {
				agg, have = c, true
			} else {
				agg = agg.Merge(c)
			}
		}
		t = runEnd
	}
	if !have {
		return cc.Candle{}, false, nil
	}
	agg.OpenTime = from
	agg.CloseTime = to - 1
	agg.Closed = now >= to-1
	return agg, true, nil
}

// piece is the longest canonical interval whose candle opening at t ends
// by to.
func piece(t, to int64) cc.Interval {
	for _, iv := range []cc.Interval{cc.Interval1M, cc.Interval1d, cc.Interval1h} {
		if iv.Truncate(t) == t && iv.Next(t) <= to {
			return iv
		}
	}
	return cc.Interval1m
}

// barTracker follows one aggregated bar of a stream through time. It
// keeps the aggregate of the bar's hours that have closed, so each update
// reads only the hour in progress: a Hong Kong month costs one hourly
// candle per push instead of a month of them. Market candles that have
// closed never change (a Market is deterministic), which makes this exact.
// A barTracker is used by one goroutine.
type barTracker struct {
	bar       bar
	market    cc.Market
	sym       string
	started   bool
	open      int64 // the bar being followed
	prefix    cc.Candle
	hasPrefix bool
	prefixEnd int64 // prefix covers [open, prefixEnd)
}

// at returns the bar in progress at t as the market stands at t.
func (k *barTracker) at(ctx context.Context, t int64) (cc.Candle, bool, error) {
	if o := k.bar.open(t); !k.started || o != k.open {
		k.started, k.open, k.prefixEnd, k.hasPrefix = true, o, o, false
	}
	// Hong Kong and UTC bars open on the hour, so hours tile them.
	if h := cc.Interval1h.Truncate(t); h > k.prefixEnd {
		c, ok, err := aggregate(ctx, k.market, k.sym, k.prefixEnd, h, t)
		if err != nil {
			return cc.Candle{}, false, err
		}
		if ok {
			if k.hasPrefix {
				k.prefix = k.prefix.Merge(c)
			} else {
				k.prefix, k.hasPrefix = c, true
			}
		}
		k.prefixEnd = h
	}
	next := k.bar.next(k.open)
	tail, ok, err := aggregate(ctx, k.market, k.sym, k.prefixEnd, next, t)
	if err != nil {
		return cc.Candle{}, false, err
	}
	out := tail
	switch {
	case k.hasPrefix && ok:
		out = k.prefix.Merge(tail)
	case k.hasPrefix:
		out = k.prefix
	case !ok:
		return cc.Candle{}, false, nil
	}
	out.OpenTime, out.CloseTime, out.Closed = k.open, next-1, t >= next-1
	return out, true, nil
}
