package record

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/plugins"
)

// job is one thing to record; the recorder handles jobs in order.
type job struct {
	x    *exchange // whose recording it is
	ix   *cassettes.Interaction
	req  *http.Request
	body []byte
	enc  string

	frame *cassettes.Frame
	path  string

	conn      *connRef
	beginConn string // the URL, for a connection's first job
	endConn   bool
	at        time.Time
	code      int

	done chan struct{}
}

// recorder decodes what the proxy saw and queues it with the cassette, in
// order, on one goroutine, so the request path only pays for a channel
// send.
type recorder struct {
	s      *Server
	jobs   chan job
	exited chan struct{}

	mu     sync.RWMutex // guards closed against sends
	closed bool

	// holding: the connections with held book snapshots (connRef.held);
	// only the recorder goroutine touches it.
	holding map[*connRef]struct{}
}

func newRecorder(s *Server) *recorder {
	// A bounded queue: when the cassette cannot keep up, requests wait
	// (after their answer is sent) rather than memory growing.
	r := &recorder{s: s, jobs: make(chan job, 1024), exited: make(chan struct{}), holding: map[*connRef]struct{}{}}
	go r.run()
	return r
}

func (r *recorder) run() {
	defer close(r.exited)
	defer func() {
		for c := range r.holding {
			r.release(c)
		}
	}()
	for j := range r.jobs {
		switch {
		case j.done != nil:
			for c := range r.holding {
				r.release(c)
			}
			close(j.done)
		case j.ix != nil:
			r.recordInteraction(j)
		case j.beginConn != "":
			var id uint64
			cas, err := r.cassette(j.x)
			if err == nil {
				id, err = cas.BeginConn(j.beginConn, j.at)
				r.check(j.x, err)
			}
			j.conn.id, j.conn.err = id, err
		case j.frame != nil:
			if j.conn.id != 0 {
				j.frame.Conn = j.conn.id
				r.recordFrame(j)
			} else {
				r.check(j.x, j.conn.err) // lost with its connection's start
			}
		case j.endConn:
			r.release(j.conn)
			if j.conn.id != 0 {
				r.check(j.x, j.x.cas.EndConn(j.conn.id, j.at, j.code))
			} else {
				r.check(j.x, j.conn.err)
			}
		}
	}
}

// check counts a failed write of x's recording (nil: of the cassette as
// a whole); the tally logs each distinct error once. In a cassette of
// several exchanges the error names the exchange.
func (r *recorder) check(x *exchange, err error) {
	if err == nil || errors.Is(err, cassettes.ErrClosed) {
		return
	}
	if x != nil && r.s.file != nil {
		err = fmt.Errorf("%s: %w", x.plugin.Name(), err)
	}
	r.s.writeErrs.add(err)
}

// cassette is x's part of the cassette; a failure to open it counts as a
// failed write, once per job it loses.
func (r *recorder) cassette(x *exchange) (*cassettes.Cassette, error) {
	c, err := x.cassette()
	if err != nil {
		r.check(x, err)
	}
	return c, err
}

// close records what is queued and stops; later jobs are dropped.
func (r *recorder) close() {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.jobs)
	}
	r.mu.Unlock()
	<-r.exited
}

func (r *recorder) send(j job) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return false
	}
	r.jobs <- j
	return true
}

// sync waits until every job queued so far was handed to the cassette.
func (r *recorder) sync() {
	done := make(chan struct{})
	if r.send(job{done: done}) {
		<-done
	}
}

func (r *recorder) interaction(x *exchange, ix *cassettes.Interaction, req *http.Request, body []byte, enc string) {
	if r == nil {
		return // a Forwarder without a cassette
	}
	u := *req.URL
	light := &http.Request{Method: req.Method, URL: &u, Header: req.Header.Clone(), Host: req.Host, RequestURI: req.RequestURI}
	if b := ix.RequestBody; len(b) > 0 {
		// Decoders that need the request body (Hyperliquid's POST /info
		// names the candles in it) read it through GetBody.
		light.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	r.send(job{x: x, ix: ix, req: light, body: body, enc: enc})
}

// connRef names a WS connection in the queue; only the recorder
// goroutine reads or writes id (0 until the cassette has the connection)
// and err (why the cassette refused the connection's start, if it did).
type connRef struct {
	x     *exchange
	start time.Time // when the connection started (frames' offsets count from it)
	id    uint64
	err   error
	// held: book snapshots of this connection that name no time (Kraken's
	// v2 book snapshot), stamped when they came, waiting for the next
	// timed record of their symbol (see hold).
	held []cassettes.BookRecord
}

func (r *recorder) beginConn(x *exchange, url string, at time.Time) *connRef {
	ref := &connRef{x: x, start: at}
	r.send(job{x: x, conn: ref, beginConn: url, at: at})
	return ref
}

func (r *recorder) frame(ref *connRef, f cassettes.Frame, path string) {
	r.send(job{x: ref.x, conn: ref, frame: &f, path: path})
}

func (r *recorder) endConn(ref *connRef, at time.Time, code int) {
	r.send(job{x: ref.x, conn: ref, endConn: true, at: at, code: code})
}

func (r *recorder) recordInteraction(j job) {
	cas, err := r.cassette(j.x)
	if err != nil {
		return
	}
	ix := j.ix
	plain, err := decodeBody(j.enc, j.body)
	if err != nil {
		r.s.logger.Warn("recording body as sent", "path", ix.Path, "err", err)
		plain = j.body
	}
	ix.Body = plain
	var series []cassettes.Series
	if ix.Status == http.StatusOK {
		set, err := j.x.plugin.DecodeCandles(j.req, plain)
		switch {
		case err == nil && len(set.Candles) > 0:
			// A REST body cannot say whether its last candle is final;
			// the recording clock can: final once its close is past when
			// the response came.
			at := ix.Start.Add(ix.Duration).UnixMilli()
			cs := make([]cc.Candle, len(set.Candles))
			copy(cs, set.Candles)
			for i := range cs {
				cs[i].Closed = cs[i].CloseTime < at
			}
			series = append(series, cassettes.Series{Symbol: set.Symbol, Interval: set.Interval, Candles: cs})
		case err != nil && !errors.Is(err, plugins.ErrNotCandles):
			r.s.logger.Debug("candles not decoded", "path", ix.Path, "err", err)
		}
	}
	r.check(j.x, cas.AddInteraction(ix, series...))
	if ix.Status == http.StatusOK {
		if ts := RESTTrades(j.x.plugin, j.req, plain); len(ts) > 0 {
			r.check(j.x, cas.AddTrades(ts...))
		}
		if bs := RESTBooks(j.x.plugin, j.req, plain, ix.Start.Add(ix.Duration).UnixMicro()); len(bs) > 0 {
			r.check(j.x, cas.AddBooks(bs...))
		}
	}
}

// RESTTrades decodes a 200 REST body to req with p's TradeDecoder, as the
// recorder does, into the trades for the index; nil for a plugin without
// one and for a body that is not trades.
func RESTTrades(p plugins.Plugin, req *http.Request, body []byte) []cassettes.TradeSeries {
	d, ok := p.(plugins.TradeDecoder)
	if !ok {
		return nil
	}
	sets, err := d.DecodeTrades(req, body)
	if err != nil {
		return nil
	}
	return tradeSeriesOf(sets)
}

// FrameTrades decodes a server data frame of a WS connection to path with
// p's TradeDecoder, as the recorder does, into the trades for the index.
func FrameTrades(p plugins.Plugin, path string, f *cassettes.Frame) []cassettes.TradeSeries {
	d, ok := p.(plugins.TradeDecoder)
	if !ok || f.Dir != cassettes.FromServer || (f.Opcode != 1 && f.Opcode != 2) {
		return nil
	}
	sets, err := d.DecodeTradeFrame(path, f.Payload)
	if err != nil {
		return nil
	}
	return tradeSeriesOf(sets)
}

func tradeSeriesOf(sets []plugins.TradeSet) []cassettes.TradeSeries {
	var out []cassettes.TradeSeries
	for _, s := range sets {
		if s.Symbol != "" && len(s.Trades) > 0 {
			out = append(out, cassettes.TradeSeries{Symbol: s.Symbol, Trades: s.Trades, Last: s.Last})
		}
	}
	return out
}

// RESTBooks decodes a 200 REST body to req with p's BookDecoder, as the
// recorder does, into records for the books index; at (Unix µs, when the
// response came) times a snapshot whose body names no time. Nil for a
// plugin without one and for a body that is not a book.
func RESTBooks(p plugins.Plugin, req *http.Request, body []byte, at int64) []cassettes.BookRecord {
	d, ok := p.(plugins.BookDecoder)
	if !ok {
		return nil
	}
	sets, err := d.DecodeBook(req, body)
	if err != nil {
		return nil
	}
	return bookRecordsOf(sets, at)
}

// FrameBooks decodes a server data frame of a WS connection to path with
// p's BookDecoder, as the recorder does, into records for the books
// index; at (Unix µs, when the frame came) times those without a time.
func FrameBooks(p plugins.Plugin, path string, f *cassettes.Frame, at int64) []cassettes.BookRecord {
	d, ok := p.(plugins.BookDecoder)
	if !ok || f.Dir != cassettes.FromServer || (f.Opcode != 1 && f.Opcode != 2) {
		return nil
	}
	sets, err := d.DecodeBookFrame(path, f.Payload)
	if err != nil {
		return nil
	}
	return bookRecordsOf(sets, at)
}

func bookRecordsOf(sets []plugins.BookSet, at int64) []cassettes.BookRecord {
	var out []cassettes.BookRecord
	for _, s := range sets {
		if s.Symbol == "" {
			continue
		}
		r := cassettes.BookRecord{Symbol: s.Symbol, Snapshot: s.Diff == nil, Depth: s.Depth}
		if s.Diff != nil {
			r.Time, r.FirstSeq, r.LastSeq, r.Bids, r.Asks = s.Diff.Time, s.Diff.FirstSeq, s.Diff.LastSeq, s.Diff.Bids, s.Diff.Asks
		} else {
			r.Time, r.LastSeq, r.Bids, r.Asks = s.Book.Time, s.Book.Seq, s.Book.Bids, s.Book.Asks
		}
		if r.Time == 0 {
			r.Time = at
		}
		out = append(out, r)
	}
	return out
}

func (r *recorder) recordFrame(j job) {
	f := *j.frame
	series := FrameSeries(j.x.plugin, j.path, &f)
	trades := FrameTrades(j.x.plugin, j.path, &f)
	books := r.hold(j.conn, FrameBooks(j.x.plugin, j.path, &f, 0), j.conn.start.Add(f.Offset).UnixMicro())
	r.check(j.x, j.x.cas.AddFrame(f, series...))
	if len(trades) > 0 {
		r.check(j.x, j.x.cas.AddTrades(trades...))
	}
	if len(books) > 0 {
		r.check(j.x, j.x.cas.AddBooks(books...))
	}
}

// hold times the book records of one frame of c that came at (Unix µs)
// and returns those ready for the index. A record that names no time
// (FrameBooks at 0) is stamped when it came, which is later than the
// instant it holds the book of by the network's delay: a diff naming
// its own time is written as it is, but a timeless snapshot (Kraken's
// v2 book snapshot) is held back until the next timed record of its
// symbol on the connection, which the exchange sent after it and so
// names a later instant: the snapshot is stamped 1 µs before that one
// when that is earlier than when it came. Stamped at its arrival alone,
// a snapshot came to lie after the diffs the stream sent after it, and
// replay took the instants of those for ones before the recording.
func (r *recorder) hold(c *connRef, recs []cassettes.BookRecord, at int64) []cassettes.BookRecord {
	var out []cassettes.BookRecord
	for _, rec := range recs {
		if rec.Time == 0 {
			rec.Time = at
			if rec.Snapshot {
				if k := slices.IndexFunc(c.held, func(h cassettes.BookRecord) bool { return h.Symbol == rec.Symbol }); k >= 0 {
					out = append(out, c.held[k]) // a second snapshot: no later instant for the first
					c.held = slices.Delete(c.held, k, k+1)
				}
				c.held = append(c.held, rec)
				r.holding[c] = struct{}{}
				continue
			}
		}
		if k := slices.IndexFunc(c.held, func(h cassettes.BookRecord) bool { return h.Symbol == rec.Symbol }); k >= 0 {
			h := c.held[k]
			h.Time = min(h.Time, rec.Time-1)
			out = append(out, h)
			c.held = slices.Delete(c.held, k, k+1)
		}
		out = append(out, rec)
	}
	if len(c.held) == 0 {
		delete(r.holding, c)
	}
	return out
}

// release writes c's held snapshots as they were stamped (when they
// came): the connection ended, or everything so far is to be committed.
func (r *recorder) release(c *connRef) {
	delete(r.holding, c)
	if len(c.held) == 0 {
		return
	}
	held := c.held
	c.held = nil
	if c.id != 0 {
		r.check(c.x, c.x.cas.AddBooks(held...))
	}
}

// FrameSeries decodes a server data frame f of a WS connection to path
// with p, as the recorder does before it stores the frame: it labels f
// with its stream (f.Stream) and returns the candles for the index. Other
// frames (acks, client messages, control frames) get no label and none.
func FrameSeries(p plugins.Plugin, path string, f *cassettes.Frame) []cassettes.Series {
	if f.Dir != cassettes.FromServer || (f.Opcode != 1 && f.Opcode != 2) {
		return nil
	}
	ups, err := p.DecodeFrame(path, f.Payload)
	if err != nil || len(ups) == 0 {
		return nil
	}
	f.Stream = cassettes.StreamLabel(ups[0].Symbol, ups[0].Interval)
	return seriesOf(ups)
}

func seriesOf(ups []cc.Update) []cassettes.Series {
	var out []cassettes.Series
	idx := map[[2]string]int{}
	for _, u := range ups {
		k := [2]string{u.Symbol, string(u.Interval)}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, cassettes.Series{Symbol: u.Symbol, Interval: u.Interval})
		}
		out[i].Candles = append(out[i].Candles, u.Candle)
	}
	return out
}
