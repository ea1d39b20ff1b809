package cassettes

import (
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	cc "github.com/candlecassette/candlecassette"
)

// CommitInfo describes one committed batch, for Options.OnCommit.
type CommitInfo struct {
	Batch        int64 // 1 for the first batch this writer committed
	Interactions int   // written in this batch
	Frames       int
	Candles      int
	Trades       int           // given to the trades index (before dedup)
	Books        int           // book records given to the books index
	Duration     time.Duration // time spent in the bbolt transaction
	Meta         Meta          // the meta record as committed
}

type itemKind uint8

const (
	itemInteraction itemKind = iota
	itemSeries
	itemConnStart
	itemFrame
	itemConnEnd
	itemFlush
	itemTrades
	itemBooks
)

type item struct {
	kind   itemKind
	ix     *Interaction
	series []Series
	trades []TradeSeries
	books  []BookRecord
	frame  Frame
	conn   uint64
	at     time.Time
	code   int
	url    string
	done   chan error
}

type connState struct {
	rec     Conn
	nextSeq uint64
	dirty   bool
}

// writer batches writes in the background: one bbolt transaction per batch
// of at most BatchItems items or FlushInterval, whichever comes first.
type writer struct {
	c        *Cassette
	ch       chan item
	maxItems int
	every    time.Duration
	exited   chan struct{}

	mu     sync.RWMutex // guards closed and err against sends
	closed bool
	err    error

	connMu sync.Mutex
	conns  map[uint64]*connState

	batches int64
}

func newWriter(c *Cassette) *writer {
	w := &writer{
		c:        c,
		ch:       make(chan item, 4096),
		maxItems: c.opts.BatchItems,
		every:    c.opts.FlushInterval,
		exited:   make(chan struct{}),
		conns:    map[uint64]*connState{},
	}
	if w.maxItems <= 0 {
		w.maxItems = DefaultBatchItems
	}
	if w.every <= 0 {
		w.every = DefaultFlushInterval
	}
	go w.run()
	return w
}

func (w *writer) send(it item) error {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return ErrClosed
	}
	if w.err != nil {
		return w.err
	}
	w.ch <- it
	return nil
}

func (w *writer) fail(err error) {
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.mu.Unlock()
}

func (w *writer) close() error {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.ch)
	}
	w.mu.Unlock()
	<-w.exited
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.err
}

func (w *writer) run() {
	defer close(w.exited)
	tick := time.NewTicker(w.every)
	defer tick.Stop()
	var batch []item
	commit := func() {
		if len(batch) > 0 {
			if err := w.commit(batch); err != nil {
				w.fail(err)
			}
			batch = batch[:0]
		}
	}
	for {
		select {
		case it, ok := <-w.ch:
			if !ok {
				commit()
				return
			}
			if it.kind == itemFlush {
				commit()
				w.mu.RLock()
				it.done <- w.err
				w.mu.RUnlock()
				continue
			}
			batch = append(batch, it)
			if len(batch) >= w.maxItems {
				commit()
			}
		case <-tick.C:
			commit()
		}
	}
}

func (w *writer) commit(batch []item) error {
	start := time.Now()
	info := CommitInfo{Batch: w.batches + 1}
	c := w.c
	c.metaMu.Lock()
	meta := c.meta
	c.metaMu.Unlock()
	touch := func(t time.Time) {
		if t.IsZero() {
			return
		}
		if meta.From.IsZero() || t.Before(meta.From) {
			meta.From = t.UTC()
		}
		if t.After(meta.To) {
			meta.To = t.UTC()
		}
	}
	var dirty []*connState
	err := c.db.Update(func(tx *bolt.Tx) error {
		ixs := c.root(tx).Bucket(bucketInteractions)
		match := c.root(tx).Bucket(bucketMatch)
		frames := c.root(tx).Bucket(bucketFrames)
		conns := c.root(tx).Bucket(bucketConns)
		// Interactions and frames are keyed by sequence, so always
		// appended: full pages instead of bbolt's default half-full
		// splits. Match keys of a recording mostly grow too (paging
		// walks startTime forward); an insert in the middle still works,
		// it only splits a page sooner.
		ixs.FillPercent, frames.FillPercent, match.FillPercent = 1, 1, 1
		// Frames of one connection in this batch go into one chunk.
		pending := map[uint64][]Frame{}
		var order []uint64
		flushFrames := func(id uint64) error {
			fs := pending[id]
			if len(fs) == 0 {
				return nil
			}
			v := encodeFrames(fs)
			meta.StoredBytes += int64(len(v))
			delete(pending, id)
			return c.sealed.put(frames, append(u64(id), u64(fs[0].Seq)...), v)
		}
		// The batch's candles are merged first, one block rewrite per
		// series and block however many items touched it; bodies are then
		// stored as templates over the final candles the index holds.
		finals := map[SeriesKey]map[int64]cc.Candle{}
		pendingSeries := map[SeriesKey][]cc.Candle{}
		var keys []SeriesKey
		for _, it := range batch {
			for _, s := range it.series {
				k := SeriesKey{s.Symbol, s.Interval}
				if _, ok := pendingSeries[k]; !ok {
					keys = append(keys, k)
				}
				pendingSeries[k] = append(pendingSeries[k], s.Candles...)
			}
		}
		var list seriesList
		if c.sealed && len(keys) > 0 {
			var err error
			if list, err = readSeriesList(c.root(tx)); err != nil {
				return err
			}
		}
		for _, k := range keys {
			n, added, f, err := putSeries(c.root(tx), c.sealed, Series{Symbol: k.Symbol, Interval: k.Interval, Candles: pendingSeries[k]})
			if err != nil {
				return err
			}
			if list != nil && n > 0 {
				list[string(k.bucket())] += added
			}
			info.Candles += n
			finals[k] = f
		}
		if list != nil {
			if err := putSeriesList(c.root(tx), list); err != nil {
				return err
			}
		}
		var err error
		if info.Trades, err = commitTrades(c, c.root(tx), batch); err != nil {
			return err
		}
		if info.Books, err = commitBooks(c, c.root(tx), batch); err != nil {
			return err
		}
		for _, it := range batch {
			switch it.kind {
			case itemInteraction:
				ix := it.ix
				seq, err := ixs.NextSequence()
				if err != nil {
					return err
				}
				ix.Seq = seq
				var tmpl *template
				if len(it.series) == 1 {
					key := SeriesKey{it.series[0].Symbol, it.series[0].Interval}
					if stable := stableCandles(it.series[0].Candles, finals[key]); len(stable) > 0 {
						if t := makeTemplate(ix.Body, key, stable); t != nil && t.check(ix.Body, stable) {
							tmpl = t
						}
					}
				}
				v := encodeInteraction(ix, tmpl)
				if err := c.sealed.put(ixs, u64(seq), v); err != nil {
					return err
				}
				mk := append([]byte(ix.MatchKey), 0)
				if len(mk)+8 > bolt.MaxKeySize {
					mk = append([]byte(ix.MatchKey[:bolt.MaxKeySize-16]), 0)
				}
				if err := c.sealed.put(match, append(mk, u64(seq)...), nil); err != nil {
					return err
				}
				meta.Interactions++
				meta.RawBytes += int64(ix.rawSize())
				meta.StoredBytes += int64(len(v))
				info.Interactions++
				touch(ix.Start)
				touch(ix.Start.Add(ix.Duration))
			case itemSeries, itemTrades, itemBooks: // merged above
			case itemConnStart:
				st := w.conn(it.conn)
				if st == nil {
					continue
				}
				st.dirty = true
				if conns.Sequence() < it.conn {
					if err := conns.SetSequence(it.conn); err != nil {
						return err
					}
				}
				meta.Conns++
				touch(st.rec.Start)
				dirty = append(dirty, st)
			case itemFrame:
				st := w.conn(it.frame.Conn)
				if st == nil {
					continue
				}
				f := it.frame
				st.nextSeq++
				f.Seq = st.nextSeq
				st.rec.Frames++
				if f.Stream != "" {
					st.rec.Streams[f.Stream]++
				}
				if !st.dirty {
					st.dirty = true
					dirty = append(dirty, st)
				}
				if _, ok := pending[f.Conn]; !ok {
					order = append(order, f.Conn)
				}
				pending[f.Conn] = append(pending[f.Conn], f)
				meta.Frames++
				meta.RawBytes += int64(len(f.Payload) + 2)
				info.Frames++
				touch(st.rec.Start.Add(f.Offset))
			case itemConnEnd:
				st := w.conn(it.conn)
				if st == nil {
					continue
				}
				st.rec.End, st.rec.CloseCode = it.at.UTC(), it.code
				touch(it.at)
				if !st.dirty {
					st.dirty = true
					dirty = append(dirty, st)
				}
			}
		}
		for _, id := range order {
			if err := flushFrames(id); err != nil {
				return err
			}
		}
		for _, st := range dirty {
			if err := c.sealed.put(conns, u64(st.rec.ID), encodeConn(&st.rec)); err != nil {
				return err
			}
		}
		return putMeta(c.root(tx), meta)
	})
	w.connMu.Lock()
	for _, st := range dirty {
		st.dirty = false
		if !st.rec.End.IsZero() {
			delete(w.conns, st.rec.ID)
		}
	}
	w.connMu.Unlock()
	if err != nil {
		return fmt.Errorf("cassettes: commit batch: %w", err)
	}
	w.batches++
	c.metaMu.Lock()
	c.meta = meta
	c.metaMu.Unlock()
	if c.opts.OnCommit != nil {
		info.Duration = time.Since(start)
		info.Meta = meta
		c.opts.OnCommit(info)
	}
	return nil
}

func (w *writer) conn(id uint64) *connState {
	w.connMu.Lock()
	defer w.connMu.Unlock()
	return w.conns[id]
}

var errNoConn = errors.New("cassettes: frame for a connection that was not begun")

func (c *Cassette) writer() (*writer, error) {
	if c.readOnly {
		return nil, ErrReadOnly
	}
	if c.closed.Load() {
		return nil, ErrClosed
	}
	return c.w, nil
}

// AddInteraction queues ix, and the candles a plugin decoded from it, for
// the next batch. The BeforeSave hook runs, then secrets are redacted and
// the match key computed, before anything is written; ix is owned by the cassette from here on (the
// caller must not change it). It blocks only when the queue is full.
func (c *Cassette) AddInteraction(ix *Interaction, candles ...Series) error {
	w, err := c.writer()
	if err != nil {
		return err
	}
	if h := c.opts.BeforeSave.Interaction; h != nil {
		h(ix)
	}
	ix.RequestHeader = c.red.header(ix.RequestHeader)
	ix.ResponseHeader = c.red.header(ix.ResponseHeader)
	ix.Query = c.red.query(ix.Query)
	ix.RequestBody = c.red.body(ix.RequestBody)
	ix.Body = c.red.responseBody(ix.Body)
	// Secrets learned above or earlier, wherever else they appear.
	ix.Path = c.red.scrubString(ix.Path)
	ix.Query = c.red.scrubString(ix.Query)
	ix.RequestBody = c.red.scrub(ix.RequestBody)
	ix.Body = c.red.scrub(ix.Body)
	ix.MatchKey = c.MatchKey(ix.Method, ix.Path, ix.Query, ix.RequestBody)
	return w.send(item{kind: itemInteraction, ix: ix, series: candles})
}

// AddCandles queues candles for the index.
func (c *Cassette) AddCandles(candles ...Series) error {
	w, err := c.writer()
	if err != nil {
		return err
	}
	return w.send(item{kind: itemSeries, series: candles})
}

// BeginConn records the start of a WS connection to url (path and query)
// and returns its id for AddFrame and EndConn.
func (c *Cassette) BeginConn(url string, start time.Time) (uint64, error) {
	w, err := c.writer()
	if err != nil {
		return 0, err
	}
	if h := c.opts.BeforeSave.Conn; h != nil {
		url = h(url)
	}
	id := c.nextConn.Add(1)
	w.connMu.Lock()
	w.conns[id] = &connState{rec: Conn{ID: id, URL: c.red.url(url), Start: start.UTC(), Streams: map[string]int64{}}}
	w.connMu.Unlock()
	if err := w.send(item{kind: itemConnStart, conn: id}); err != nil {
		w.connMu.Lock()
		delete(w.conns, id)
		w.connMu.Unlock()
		return 0, err
	}
	return id, nil
}

// AddFrame queues frame f of connection f.Conn (from BeginConn), and the
// candles decoded from it. Client frames are redacted (API keys,
// signatures, login/auth arguments) first. f.Seq is assigned on commit.
func (c *Cassette) AddFrame(f Frame, candles ...Series) error {
	w, err := c.writer()
	if err != nil {
		return err
	}
	if w.conn(f.Conn) == nil {
		return fmt.Errorf("%w: %d", errNoConn, f.Conn)
	}
	if h := c.opts.BeforeSave.Frame; h != nil {
		conn := f.Conn
		h(&f)
		f.Conn = conn
	}
	if f.Dir == FromClient {
		f.Payload = c.red.clientFrame(f.Payload)
	}
	f.Payload = c.red.scrub(f.Payload)
	return w.send(item{kind: itemFrame, frame: f, series: candles})
}

// EndConn records that connection id closed at at with close code code.
func (c *Cassette) EndConn(id uint64, at time.Time, code int) error {
	w, err := c.writer()
	if err != nil {
		return err
	}
	if w.conn(id) == nil {
		return fmt.Errorf("%w: %d", errNoConn, id)
	}
	return w.send(item{kind: itemConnEnd, conn: id, at: at, code: code})
}

// Flush commits everything queued so far and waits for the commit.
func (c *Cassette) Flush() error {
	w, err := c.writer()
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	if err := w.send(item{kind: itemFlush, done: done}); err != nil {
		return err
	}
	return <-done
}

// stableCandles are the candles of cs that the index holds, final and
// exactly as given.
func stableCandles(cs []cc.Candle, finals map[int64]cc.Candle) []cc.Candle {
	var out []cc.Candle
	for _, c := range cs {
		if f, ok := finals[c.OpenTime]; ok && c.Closed && f == c {
			out = append(out, c)
		}
	}
	return out
}
