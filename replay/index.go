package replay

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
)

// cassetteIndex adapts a read-only cassette's candle index to Recorded. A
// replayed cassette never changes, so each series' coverage is read once
// and kept; lookups of neighbours are then a binary search.
type cassetteIndex struct {
	c *cassettes.Cassette

	// live is set when the cassette takes writes while it is served
	// (--record-missing): coverage is then read afresh for every window.
	live bool

	mu       sync.Mutex
	coverage map[cassettes.SeriesKey][]cassettes.Range
}

func newCassetteIndex(c *cassettes.Cassette) *cassetteIndex {
	return &cassetteIndex{c: c, coverage: map[cassettes.SeriesKey][]cassettes.Range{}}
}

var _ Recorded = (*cassetteIndex)(nil)

func (x *cassetteIndex) ranges(symbol string, iv cc.Interval) ([]cassettes.Range, error) {
	k := cassettes.SeriesKey{Symbol: symbol, Interval: iv}
	x.mu.Lock()
	defer x.mu.Unlock()
	if r, ok := x.coverage[k]; ok {
		return r, nil
	}
	cv, err := x.c.Coverage(symbol, iv)
	if err != nil {
		return nil, err
	}
	if !x.live {
		x.coverage[k] = cv.Ranges
	}
	return cv.Ranges, nil
}

// Range implements Recorded.
func (x *cassetteIndex) Range(symbol string, iv cc.Interval, start, end int64) ([]cc.Candle, error) {
	cs, err := x.window(symbol, iv, start, end)
	if x.live && errors.Is(err, cassettes.ErrCorrupt) {
		// A batch of appended candles may have committed between the
		// coverage read and the window's: read both again, once.
		cs, err = x.window(symbol, iv, start, end)
	}
	return cs, err
}

func (x *cassetteIndex) window(symbol string, iv cc.Interval, start, end int64) ([]cc.Candle, error) {
	rs, err := x.ranges(symbol, iv)
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	// Skip the bbolt read when the window misses every recorded run.
	i := sort.Search(len(rs), func(i int) bool { return rs[i].End > start })
	if i == len(rs) || rs[i].Start >= end {
		return nil, nil
	}
	cs, err := x.c.Candles(symbol, iv, start, end)
	if err == nil {
		err = checkWindow(cassettes.SeriesKey{Symbol: symbol, Interval: iv}, rs[i:], start, end, cs)
	}
	if err != nil {
		return nil, err
	}
	return cs, nil
}

// Before implements Recorded.
func (x *cassetteIndex) Before(symbol string, iv cc.Interval, t int64) (cc.Candle, bool, error) {
	rs, err := x.ranges(symbol, iv)
	if err != nil {
		return cc.Candle{}, false, err
	}
	i := sort.Search(len(rs), func(i int) bool { return rs[i].Start >= t }) - 1
	if i < 0 {
		return cc.Candle{}, false, nil
	}
	// The open of the candle holding the millisecond before min(End, t).
	return x.one(symbol, iv, iv.Truncate(min(rs[i].End, t)-1))
}

// From implements Recorded.
func (x *cassetteIndex) From(symbol string, iv cc.Interval, t int64) (cc.Candle, bool, error) {
	rs, err := x.ranges(symbol, iv)
	if err != nil {
		return cc.Candle{}, false, err
	}
	i := sort.Search(len(rs), func(i int) bool { return rs[i].End > t })
	if i == len(rs) {
		return cc.Candle{}, false, nil
	}
	open := rs[i].Start
	if t > open {
		open = iv.Truncate(t)
		if open < t {
			open = iv.Next(open)
		}
	}
	return x.one(symbol, iv, open)
}

// one reads the candle at open, which the coverage says is recorded.
func (x *cassetteIndex) one(symbol string, iv cc.Interval, open int64) (cc.Candle, bool, error) {
	cs, err := x.c.Candles(symbol, iv, open, iv.Next(open))
	if err != nil {
		return cc.Candle{}, false, err
	}
	if len(cs) != 1 || cs[0].OpenTime != open {
		return cc.Candle{}, false, &cassettes.CorruptError{Bucket: "candles/" + cassettes.SeriesKey{Symbol: symbol, Interval: iv}.String(),
			Key: strconv.FormatInt(open, 10), Err: fmt.Errorf("%w: the candle the index covers at %d reads as %d candles", cassettes.ErrCorrupt, open, len(cs))}
	}
	return cs[0], true, nil
}

// latest is the newest recorded candle open time of any series and the
// intervals recorded, for --clock now.
func (x *cassetteIndex) latest() (newest int64, ivs []cc.Interval, err error) {
	keys, err := x.c.Series()
	if err != nil {
		return 0, nil, err
	}
	newest = -1 << 62
	for _, k := range keys {
		rs, err := x.ranges(k.Symbol, k.Interval)
		if err != nil {
			return 0, nil, err
		}
		if len(rs) == 0 {
			continue
		}
		ivs = append(ivs, k.Interval)
		if last := k.Interval.Prev(rs[len(rs)-1].End); last > newest {
			newest = last
		}
	}
	return newest, ivs, nil
}
