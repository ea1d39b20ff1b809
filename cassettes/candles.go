package cassettes

import (
	"fmt"
	"sort"

	bolt "go.etcd.io/bbolt"

	cc "github.com/candlecassette/candlecassette"
)

// blockLen is how many candles of nominal length one index block spans.
// Candles are stored in blocks rather than one key each: per-key overhead
// in bbolt would outweigh a compressed candle several times over.
const blockLen = 1000

// Series is a run of candles of one (symbol, interval), oldest first, as a
// plugin decoded them from a response or frame.
type Series struct {
	Symbol   string
	Interval cc.Interval
	Candles  []cc.Candle
}

// SeriesKey names one (symbol, interval) index.
type SeriesKey struct {
	Symbol   string
	Interval cc.Interval
}

func (k SeriesKey) bucket() []byte { return []byte(joinKey(k.Symbol, string(k.Interval))) }

// String is the series' stream label (see StreamLabel).
func (k SeriesKey) String() string { return StreamLabel(k.Symbol, k.Interval) }

func parseSeriesKey(b []byte) (SeriesKey, bool) {
	for i, c := range b {
		if c == 0 {
			return SeriesKey{Symbol: string(b[:i]), Interval: cc.Interval(b[i+1:])}, true
		}
	}
	return SeriesKey{}, false
}

// blockStart is the open time of the block that holds a candle opening at t.
func blockStart(iv cc.Interval, t int64) int64 {
	span := iv.Millis() * blockLen
	if span <= 0 {
		span = blockLen
	}
	q := t / span
	if t < 0 && t%span != 0 {
		q--
	}
	return q * span
}

// mergeCandle decides which of an indexed candle and a newly recorded one
// for the same open time is kept: a final candle is never replaced (the
// first final recorded stays, so what replay serves never changes under
// it); an in-progress one is replaced by anything recorded later.
func mergeCandle(old, new cc.Candle) cc.Candle {
	if old.Closed {
		return old
	}
	return new
}

// mergeInto merges sorted candles add into sorted block cs.
func mergeInto(cs, add []cc.Candle) []cc.Candle {
	out := make([]cc.Candle, 0, len(cs)+len(add))
	i, j := 0, 0
	for i < len(cs) || j < len(add) {
		switch {
		case j == len(add) || (i < len(cs) && cs[i].OpenTime < add[j].OpenTime):
			out = append(out, cs[i])
			i++
		case i == len(cs) || add[j].OpenTime < cs[i].OpenTime:
			c := add[j]
			j++
			// Later duplicates inside add merge onto this one.
			for j < len(add) && add[j].OpenTime == c.OpenTime {
				c = mergeCandle(c, add[j])
				j++
			}
			out = append(out, c)
		default:
			c := cs[i]
			for j < len(add) && add[j].OpenTime == c.OpenTime {
				c = mergeCandle(c, add[j])
				j++
			}
			out = append(out, c)
			i++
		}
	}
	return out
}

// putSeries merges s into the index inside tx. It returns how many
// candles it was given, how many more the index now holds, and the final
// candles the index now holds at their open times (what a body template
// may refer to).
func putSeries(tx store, sealed sealing, s Series) (n int, added int64, finals map[int64]cc.Candle, err error) {
	if s.Symbol == "" || !s.Interval.Valid() || len(s.Candles) == 0 {
		return 0, 0, nil, nil
	}
	sk := SeriesKey{s.Symbol, s.Interval}
	root := tx.Bucket(bucketCandles)
	b, err := root.CreateBucketIfNotExists(sk.bucket())
	if err != nil {
		return 0, 0, nil, err
	}
	cs := append([]cc.Candle(nil), s.Candles...)
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].OpenTime < cs[j].OpenTime })
	finals = make(map[int64]cc.Candle, len(cs))
	for len(cs) > 0 {
		start := blockStart(s.Interval, cs[0].OpenTime)
		end := start + s.Interval.Millis()*blockLen
		n := sort.Search(len(cs), func(i int) bool { return cs[i].OpenTime >= end })
		key := timeKey(start)
		var old []cc.Candle
		if v := b.Get(key); v != nil {
			if old, err = readBlock(sealed, sk, key, v); err != nil {
				return 0, 0, nil, err
			}
		}
		merged := mergeInto(old, cs[:n])
		if err := sealed.put(b, key, encodeBlock(merged)); err != nil {
			return 0, 0, nil, err
		}
		added += int64(len(merged) - len(old))
		j := 0
		for _, c := range cs[:n] {
			for j < len(merged) && merged[j].OpenTime < c.OpenTime {
				j++
			}
			if j < len(merged) && merged[j].Closed {
				finals[c.OpenTime] = merged[j]
			}
		}
		cs = cs[n:]
	}
	return len(s.Candles), added, finals, nil
}

// readBlock opens and decodes the block stored under key in series k.
func readBlock(sealed sealing, k SeriesKey, key, v []byte) ([]cc.Candle, error) {
	p, ok := sealed.check(key, v)
	if !ok {
		return nil, corruptAt(candleBucket(k), key, ErrChecksum)
	}
	cs, err := decodeBlock(p)
	if err != nil {
		return nil, corruptAt(candleBucket(k), key, err)
	}
	return cs, nil
}

// Series lists the (symbol, interval) pairs that have candles, sorted. In
// a sealed cassette the series buckets must be the ones the series list
// names (a damaged bucket name would otherwise hide a series).
func (c *Cassette) Series() ([]SeriesKey, error) {
	var out []SeriesKey
	err := c.view(func(tx *bolt.Tx) error {
		var list seriesList
		if c.sealed {
			var err error
			if list, err = readSeriesList(c.root(tx)); err != nil {
				return err
			}
		}
		seen := 0
		err := c.root(tx).Bucket(bucketCandles).ForEachBucket(func(k []byte) error {
			if c.sealed {
				if _, ok := list[string(k)]; !ok {
					return corruptAt(string(bucketCandles), k, fmt.Errorf("%w: series bucket not in the series list", ErrCorrupt))
				}
				seen++
			}
			if sk, ok := parseSeriesKey(k); ok {
				out = append(out, sk)
			}
			return nil
		})
		if err == nil && c.sealed && seen != len(list) {
			err = corruptAt(string(bucketMeta), keySeries, fmt.Errorf("%w: the series list names %d series, the index holds %d", ErrCorrupt, len(list), seen))
		}
		return err
	})
	return out, err
}

// Candles returns the indexed candles of (symbol, iv) whose open time is in
// [start, end), oldest first. Missing candles are simply absent: use
// Coverage to find the gaps.
func (c *Cassette) Candles(symbol string, iv cc.Interval, start, end int64) ([]cc.Candle, error) {
	var out []cc.Candle
	if d := iv.Duration().Milliseconds(); d > 0 && end > start {
		// Room for a full window (up to a few blocks) at once. end-start
		// wraps negative for bounds near the ends of int64.
		n := (end - start) / d
		if n < 0 || n >= 4*blockLen {
			n = 4*blockLen - 1
		}
		out = make([]cc.Candle, 0, n+1)
	}
	out, err := c.AppendCandles(out, symbol, iv, start, end)
	if len(out) == 0 {
		out = nil // as before the preallocation: no candles is nil
	}
	return out, err
}

// AppendCandles is Candles appending to dst (whose room it reuses: a
// reader of many windows decodes them all into one buffer).
func (c *Cassette) AppendCandles(dst []cc.Candle, symbol string, iv cc.Interval, start, end int64) ([]cc.Candle, error) {
	out := dst
	sn := c.seriesNamesOf(SeriesKey{symbol, iv})
	err := c.view(func(tx *bolt.Tx) error {
		b := c.root(tx).Bucket(bucketCandles).Bucket(sn.key)
		if b == nil {
			return nil
		}
		n := int64(0)
		defer func() {
			if c.readOnly && c.blocksRead.Add(n) >= residentBlocks {
				c.blocksRead.Store(0)
				dropResident(tx)
			}
		}()
		bucket := sn.name // named in errors only
		cur := b.Cursor()
		key, v, err := seek(cur, bucket, timeKey(blockStart(iv, start)))
		if err != nil {
			return err
		}
		for ; key != nil; key, v = cur.Next() {
			if len(key) != 8 || keyTime(key) >= end {
				break
			}
			n++
			if v, err = c.sealed.open(bucket, key, v); err != nil {
				return err
			}
			codec, p, err := blockCodecOf(v)
			if err != nil {
				return corruptAt(bucket, key, err)
			}
			// Only the rows in the window are built (where the kind allows).
			var more bool
			if out, more, err = codec.window(out, p, start, end); err != nil {
				return corruptAt(bucket, key, err)
			}
			if !more {
				break
			}
		}
		return nil
	})
	return out, err
}

// eachBlock calls fn with each decoded block that may hold candles in
// [start, end) until fn returns false.
func (c *Cassette) eachBlock(k SeriesKey, start, end int64, fn func([]cc.Candle) bool) error {
	return c.view(func(tx *bolt.Tx) error {
		n := int64(0)
		err := eachBlockTx(c.root(tx), c.sealed, k, start, end, func(cs []cc.Candle) bool { n++; return fn(cs) })
		if c.readOnly && c.blocksRead.Add(n) >= residentBlocks {
			// Random windows over a large cassette would otherwise leave
			// the whole file resident in the map over time.
			c.blocksRead.Store(0)
			dropResident(tx)
		}
		return err
	})
}

// residentBlocks is how many block reads a read-only cassette serves
// before it releases the mapped pages they touched (a block and its
// readahead touch a few 4 KiB pages: some tens of MiB).
const residentBlocks = 1024

func eachBlockTx(tx store, sealed sealing, k SeriesKey, start, end int64, fn func([]cc.Candle) bool) error {
	b := tx.Bucket(bucketCandles).Bucket(k.bucket())
	if b == nil {
		return nil
	}
	cur := b.Cursor()
	key, v, err := seek(cur, candleBucket(k), timeKey(blockStart(k.Interval, start)))
	if err != nil {
		return err
	}
	for ; key != nil; key, v = cur.Next() {
		if len(key) != 8 || keyTime(key) >= end {
			break
		}
		cs, err := readBlock(sealed, k, key, v)
		if err != nil {
			return err
		}
		if !fn(cs) {
			break
		}
	}
	return nil
}

// Last returns the newest indexed candle of (symbol, iv), reading only
// the last block: what replay needs at start, without the full scan
// Coverage does.
func (c *Cassette) Last(symbol string, iv cc.Interval) (cc.Candle, bool, error) {
	k := SeriesKey{symbol, iv}
	var last cc.Candle
	found := false
	err := c.view(func(tx *bolt.Tx) error {
		b := c.root(tx).Bucket(bucketCandles).Bucket(k.bucket())
		if b == nil {
			return nil
		}
		cur := b.Cursor()
		for key, v := cur.Last(); key != nil; key, v = cur.Prev() {
			if len(key) != 8 {
				continue
			}
			cs, err := readBlock(c.sealed, k, key, v)
			if err != nil {
				return err
			}
			if len(cs) > 0 {
				last, found = cs[len(cs)-1], true
				return nil
			}
		}
		return nil
	})
	return last, found, err
}

// Range is a run of consecutive candles: open times Start, Next(Start),
// ... up to but excluding End.
type Range struct {
	Start int64 `json:"start"` // open time of the first candle, Unix ms
	End   int64 `json:"end"`   // open time after the last candle, Unix ms
	Count int   `json:"count"`
	// Open counts the in-progress (not final) candles in the range.
	Open int `json:"open,omitempty"`
}

// Coverage is what the index holds for one series: its runs of
// consecutive candles, oldest first. The gaps are the spaces between them.
type Coverage struct {
	SeriesKey
	Ranges []Range
}

// Gaps lists the missing stretches between ranges, as [Start, End) open
// times.
func (cv Coverage) Gaps() []Range {
	var out []Range
	for i := 1; i < len(cv.Ranges); i++ {
		a, b := cv.Ranges[i-1], cv.Ranges[i]
		n := 0
		for t := a.End; t < b.Start && n < 1<<30; t = cv.Interval.Next(t) {
			n++
		}
		out = append(out, Range{Start: a.End, End: b.Start, Count: n})
	}
	return out
}

// Total is the number of candles indexed.
func (cv Coverage) Total() int {
	n := 0
	for _, r := range cv.Ranges {
		n += r.Count
	}
	return n
}

// Coverage returns the ranges of consecutive candles indexed for
// (symbol, iv).
func (c *Cassette) Coverage(symbol string, iv cc.Interval) (Coverage, error) {
	cv := Coverage{SeriesKey: SeriesKey{symbol, iv}}
	var cur *Range
	add := func(open int64, closed bool) {
		if cur != nil && open == cur.End {
			cur.End = iv.Next(open)
			cur.Count++
		} else {
			cv.Ranges = append(cv.Ranges, Range{Start: open, End: iv.Next(open), Count: 1})
			cur = &cv.Ranges[len(cv.Ranges)-1]
		}
		if !closed {
			cur.Open++
		}
	}
	err := c.view(func(tx *bolt.Tx) error {
		b := c.root(tx).Bucket(bucketCandles).Bucket(cv.SeriesKey.bucket())
		if b == nil {
			if c.sealed {
				list, err := readSeriesList(c.root(tx))
				if err != nil {
					return err
				}
				if _, ok := list[string(cv.SeriesKey.bucket())]; ok {
					return corruptAt(string(bucketCandles), cv.SeriesKey.bucket(), fmt.Errorf("%w: series bucket missing", ErrCorrupt))
				}
			}
			return nil
		}
		bucket := candleBucket(cv.SeriesKey)
		cur := b.Cursor()
		for key, v := cur.First(); key != nil; key, v = cur.Next() {
			if len(key) != 8 {
				break
			}
			v, err := c.sealed.open(bucket, key, v)
			if err != nil {
				return err
			}
			codec, p, err := blockCodecOf(v)
			if err != nil {
				return corruptAt(bucket, key, err)
			}
			// Only the times: the other columns are skipped undecoded
			// (where the kind allows).
			if err := codec.times(p, add); err != nil {
				return corruptAt(bucket, key, err)
			}
		}
		if c.sealed {
			// Every candle the series list counts, no more and no less:
			// a damaged page can hide blocks from a cursor.
			list, err := readSeriesList(c.root(tx))
			if err != nil {
				return err
			}
			if want, got := list[string(cv.SeriesKey.bucket())], int64(cv.Total()); want != got {
				return corruptAt(bucket, nil, fmt.Errorf("%w: the series list counts %d candles, the index holds %d", ErrCorrupt, want, got))
			}
		}
		if c.readOnly {
			// The scan touched every page of the series: let them go.
			dropResident(tx)
		}
		return nil
	})
	return cv, err
}

const (
	minTime = -1 << 62
	maxTime = 1 << 62
)
