package cassettes

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	cc "github.com/candlecassette/candlecassette"
)

// Bulk candle writes (candlecassette import, merge). The background
// writer commits what a recording hands it in small batches and never
// replaces a final candle; a bulk import instead writes any number of
// series in ONE bbolt transaction (all or nothing: a bad file later in
// the run rolls back everything before it), checks every candle it is
// given against one the index already holds at that open time, and
// replaces a differing final candle only when asked to.

// CandleConflict is a candle an import was given that differs from the
// one the index holds at the same open time.
type CandleConflict struct {
	Key SeriesKey
	Old cc.Candle // what the index held
	New cc.Candle // what the import gave
}

// BulkReport counts what a bulk import did.
type BulkReport struct {
	Given    int64 // candles given to Put
	Added    int64 // open times the index did not hold before
	Same     int64 // given candles equal to the indexed one (see SameCandle)
	Replaced int64 // indexed candles replaced: in progress ones, or differing ones under Overwrite
	// Conflicts counts given final candles that differ from an indexed
	// final one; Examples holds the first few.
	Conflicts int64
	Examples  []CandleConflict
	// Trades is what PutTrades did.
	Trades TradeReport
	// Books is what CopyBooks did.
	Books BookReport
}

// BulkOptions configure BeginBulk.
type BulkOptions struct {
	// Overwrite replaces an indexed final candle by a differing given one
	// (still counted as a conflict); otherwise the indexed one is kept.
	Overwrite bool
	// MaxExamples bounds BulkReport.Examples; 0 means 5.
	MaxExamples int
}

// SameCandle reports whether two candles agree: same times, closed flag
// and trade count, and numerically equal prices and volumes ("42320.0"
// and "42320.00000000" agree; the indexed digits are kept).
func SameCandle(a, b cc.Candle) bool {
	return a.OpenTime == b.OpenTime && a.CloseTime == b.CloseTime && a.Closed == b.Closed && a.Trades == b.Trades &&
		a.Open.Cmp(b.Open) == 0 && a.High.Cmp(b.High) == 0 && a.Low.Cmp(b.Low) == 0 && a.Close.Cmp(b.Close) == 0 &&
		a.Volume.Cmp(b.Volume) == 0 && a.QuoteVolume.Cmp(b.QuoteVolume) == 0 &&
		a.TakerBuyBase.Cmp(b.TakerBuyBase) == 0 && a.TakerBuyQuote.Cmp(b.TakerBuyQuote) == 0
}

// Bulk is an open bulk write: one bbolt write transaction on the
// cassette. Put series into it, then Commit or Rollback. It is not safe
// for concurrent use, and holds the file's write lock until it ends: the
// cassette's own writer (AddInteraction, ...) waits for it.
type Bulk struct {
	c      *Cassette
	tx     *bolt.Tx
	opts   BulkOptions
	list   seriesList
	trades tradeCounts // read by the first PutTrades
	report BulkReport
	first  int64 // open time of the earliest candle put, and the close of the latest
	last   int64
	done   bool
}

// BeginBulk starts a bulk write. Anything queued by the cassette's writer
// is committed first.
func (c *Cassette) BeginBulk(opts BulkOptions) (*Bulk, error) {
	if _, err := c.writer(); err != nil {
		return nil, err
	}
	if err := c.Flush(); err != nil {
		return nil, err
	}
	if opts.MaxExamples <= 0 {
		opts.MaxExamples = 5
	}
	tx, err := c.db.Begin(true)
	if err != nil {
		return nil, err
	}
	b := &Bulk{c: c, tx: tx, opts: opts, first: maxTime, last: minTime}
	if c.sealed {
		if b.list, err = readSeriesList(c.root(tx)); err != nil {
			_ = tx.Rollback()
			return nil, err
		}
	}
	return b, nil
}

// Report is what the bulk write did so far.
func (b *Bulk) Report() BulkReport {
	r := b.report
	r.Examples = slices.Clone(r.Examples)
	r.Trades.Examples = slices.Clone(r.Trades.Examples)
	return r
}

// Put merges s into the index. Candles are sorted by open time first; of
// several given for one open time the last is kept.
func (b *Bulk) Put(s Series) (err error) {
	if b.done {
		return ErrClosed
	}
	if s.Symbol == "" || !s.Interval.Valid() {
		return fmt.Errorf("cassettes: bulk put: bad series %q %q", s.Symbol, s.Interval)
	}
	if len(s.Candles) == 0 {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrCorrupt, r)
		}
	}()
	sk := SeriesKey{s.Symbol, s.Interval}
	root := b.c.root(b.tx)
	bk, err := root.Bucket(bucketCandles).CreateBucketIfNotExists(sk.bucket())
	if err != nil {
		return err
	}
	cs := s.Candles
	// An import hands candles in time order: checked in one pass, and
	// when no open time repeats, a block the index does not hold yet is
	// cs's own rows, not a merged copy.
	sorted, strict := true, true
	for i := 1; i < len(cs); i++ {
		if cs[i].OpenTime <= cs[i-1].OpenTime {
			strict = false
			if cs[i].OpenTime < cs[i-1].OpenTime {
				sorted = false
				break
			}
		}
	}
	if !sorted {
		cs = slices.Clone(cs)
		sort.SliceStable(cs, func(i, j int) bool { return cs[i].OpenTime < cs[j].OpenTime })
	}
	b.report.Given += int64(len(cs))
	b.first = min(b.first, cs[0].OpenTime)
	b.last = max(b.last, cs[len(cs)-1].CloseTime)
	// Blocks are merged in order, encoded in parallel (the encoder is
	// most of an import's cost), then stored in order.
	type job struct {
		key    []byte
		merged []cc.Candle
		old    int
		enc    []byte
	}
	var jobs []*job
	for len(cs) > 0 {
		start := blockStart(s.Interval, cs[0].OpenTime)
		end := start + s.Interval.Millis()*blockLen
		n := sort.Search(len(cs), func(i int) bool { return cs[i].OpenTime >= end })
		key := timeKey(start)
		var old []cc.Candle
		if v := bk.Get(key); v != nil {
			if old, err = readBlock(b.c.sealed, sk, key, v); err != nil {
				return err
			}
		}
		var merged []cc.Candle
		if len(old) == 0 && strict {
			merged = cs[:n:n] // what merge gives: every candle, added
			b.report.Added += int64(n)
		} else {
			merged = b.merge(make([]cc.Candle, 0, len(old)+n), sk, old, cs[:n])
		}
		cs = cs[n:]
		if len(old) > 0 && slices.Equal(old, merged) {
			continue // nothing changed: keep the stored block as it is
		}
		jobs = append(jobs, &job{key: key, merged: merged, old: len(old)})
	}
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range min(runtime.GOMAXPROCS(0), len(jobs)) {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(jobs)); i = next.Add(1) - 1 {
				jobs[i].enc = encodeBlock(jobs[i].merged)
			}
		})
	}
	wg.Wait()
	for _, j := range jobs {
		if err := b.c.sealed.put(bk, j.key, j.enc); err != nil {
			return err
		}
		if b.list != nil {
			b.list[string(sk.bucket())] += int64(len(j.merged) - j.old)
		}
	}
	return nil
}

// BlockStart is the open time of the index block that holds a candle of
// iv opening at t: a bulk writer that hands Put whole blocks saves
// rewriting one block per call.
func BlockStart(iv cc.Interval, t int64) int64 { return blockStart(iv, t) }

// merge merges sorted add into sorted block old, counting and keeping
// per the options.
func (b *Bulk) merge(out []cc.Candle, k SeriesKey, old, add []cc.Candle) []cc.Candle {
	i, j := 0, 0
	for i < len(old) || j < len(add) {
		switch {
		case j == len(add) || (i < len(old) && old[i].OpenTime < add[j].OpenTime):
			out = append(out, old[i])
			i++
		default:
			c := add[j]
			j++
			for j < len(add) && add[j].OpenTime == c.OpenTime {
				c = add[j]
				j++
			}
			if i == len(old) || c.OpenTime < old[i].OpenTime {
				b.report.Added++
				out = append(out, c)
				continue
			}
			o := old[i]
			i++
			switch {
			case SameCandle(o, c):
				b.report.Same++
				out = append(out, o)
			case !o.Closed:
				b.report.Replaced++
				out = append(out, c)
			default:
				b.report.Conflicts++
				if len(b.report.Examples) < b.opts.MaxExamples {
					b.report.Examples = append(b.report.Examples, CandleConflict{Key: k, Old: o, New: c})
				}
				if b.opts.Overwrite {
					b.report.Replaced++
					out = append(out, c)
				} else {
					out = append(out, o)
				}
			}
		}
	}
	return out
}

// Commit writes the series list and meta record and commits. A cassette
// that holds nothing recorded (no interactions, no connections: only
// imported candles) gets the instant its newest candle closed as its
// recorded range (From = To), which is where replay's recorded clock
// starts: all of the imported history is then in the past, final, and
// served from the index.
func (b *Bulk) Commit() error {
	if b.done {
		return ErrClosed
	}
	b.done = true
	c := b.c
	root := c.root(b.tx)
	if b.list != nil {
		if err := putSeriesList(root, b.list); err != nil {
			_ = b.tx.Rollback()
			return err
		}
	}
	if b.trades != nil {
		if err := putTradeCounts(root, b.trades); err != nil {
			_ = b.tx.Rollback()
			return err
		}
	}
	c.metaMu.Lock()
	meta := c.meta
	c.metaMu.Unlock()
	if meta.Interactions == 0 && meta.Conns == 0 && b.first <= b.last {
		end := time.UnixMilli(b.last + 1).UTC()
		if end.After(meta.To) {
			meta.From, meta.To = end, end
		}
	}
	if err := putMeta(root, meta); err != nil {
		_ = b.tx.Rollback()
		return err
	}
	if err := b.tx.Commit(); err != nil {
		return fmt.Errorf("cassettes: commit bulk write: %w", err)
	}
	c.metaMu.Lock()
	c.meta = meta
	c.metaMu.Unlock()
	return nil
}

// Rollback drops everything put; safe after Commit (then a no-op).
func (b *Bulk) Rollback() error {
	if b.done {
		return nil
	}
	b.done = true
	if err := b.tx.Rollback(); err != nil && !errors.Is(err, bolt.ErrTxClosed) {
		return err
	}
	return nil
}
