package binance

import (
	"context"
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// The order book, from env.Books: GET /api/v3/depth and /fapi/v1/depth
// (and the WS API's depth), the diff streams <s>@depth[@100ms] (USD-M
// also @250ms, its default, and @500ms) and the partial streams
// <s>@depth5/10/20[@100ms] (USD-M @250ms, @500ms). Update ids are the
// book's Seq, so the documented way to keep a local book works: buffer
// the stream, take a snapshot, drop the events with u <= lastUpdateId,
// apply the first with U <= lastUpdateId+1 <= u and then each whose U is
// the previous u+1 (USD-M: whose pu is the previous u). A diff event
// carries the full book's changes in its step (every level the book
// models, up to 5,000 a side); a step whose changes were all beyond that
// sends no event, and the next event's U covers its ids. A symbol's steps
// end on a beat of its own (depthPhase), so its events' E are neither
// round nor shared with the other symbols' streams.

const (
	depthSpotDefault    = 100
	depthSpotMax        = 5000
	depthFuturesDefault = 500
)

// depthLimit reads limit: spot 1-5000 (a larger one truncates to 5000),
// default 100; USD-M one of 5, 10, 20, 50, 100, 500, 1000, default 500.
func (s *server) depthLimit(q params) (int, *apiError) {
	limit, ok, err := q.optInt("limit")
	switch {
	case err != nil:
		return 0, err
	case s.p.kind == Perpetual:
		if !ok {
			return depthFuturesDefault, nil
		}
		switch limit {
		case 5, 10, 20, 50, 100, 500, 1000:
			return int(limit), nil
		}
		return 0, errInvalidParam("limit")
	case !ok:
		return depthSpotDefault, nil
	case limit < 1:
		return 0, errInvalidParam("limit")
	}
	return int(min(limit, depthSpotMax)), nil
}

// handleDepth serves the order book now: spot {"lastUpdateId","bids",
// "asks"}, USD-M {"lastUpdateId","E","T","bids","asks"}, levels as
// [price, qty] strings, best first.
func (s *server) handleDepth(w http.ResponseWriter, r *http.Request, q params) {
	sym, aerr := q.symbol("symbol")
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	sp, ok := s.spec(sym)
	if !ok || s.env.Books == nil {
		writeError(w, errInvalidSymbol())
		return
	}
	limit, aerr := s.depthLimit(q)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	// Now, or older than the streams when the network simulation serves
	// a stale snapshot: the whole answer is as of that instant.
	now := s.env.SnapshotTime(r).UnixMilli()
	b, err := s.env.Books.Book(r.Context(), sp.symbol, now*1000+999, limit)
	if err != nil {
		writeError(w, err)
		return
	}
	writeBody(w, http.StatusOK, s.appendDepth(make([]byte, 0, 64+(len(b.Bids)+len(b.Asks))*48), sp, b, now))
}

func (s *server) appendDepth(b []byte, sp symbolSpec, bk cc.Book, now int64) []byte {
	b = append(b, `{"lastUpdateId":`...)
	b = strconv.AppendInt(b, bk.Seq, 10)
	if s.p.kind == Perpetual {
		b = append(b, `,"E":`...)
		b = strconv.AppendInt(b, now, 10)
		b = append(b, `,"T":`...)
		b = strconv.AppendInt(b, now, 10)
	}
	b = append(b, `,"bids":`...)
	b = s.appendLevels(b, sp, bk.Bids)
	b = append(b, `,"asks":`...)
	b = s.appendLevels(b, sp, bk.Asks)
	return append(b, '}')
}

// appendLevels encodes [["price","qty"],...].
func (s *server) appendLevels(b []byte, sp symbolSpec, ls []cc.BookLevel) []byte {
	pp, qp := s.pricePlaces(sp), s.qtyPlaces(sp)
	b = append(b, '[')
	for i, l := range ls {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `["`...)
		b = l.Price.Append(b, max(pp, int(l.Price.Scale)))
		b = append(b, `","`...)
		b = l.Size.Append(b, max(qp, int(l.Size.Scale)))
		b = append(b, `"]`...)
	}
	return append(b, ']')
}

// parseDepthStream reads <s>@depth[N][@speed]: levels 0 for the diff
// stream, else 5, 10 or 20.
func (s *server) parseDepthStream(sym, kind string) (surfaceStream, bool) {
	rest, ok := strings.CutPrefix(kind, "depth")
	if !ok {
		return surfaceStream{}, false
	}
	rest, speed, _ := strings.Cut(rest, "@")
	st := surfaceStream{symbol: strings.ToUpper(sym), kind: "depth"}
	switch rest {
	case "":
	case "5", "10", "20":
		st.levels, _ = strconv.Atoi(rest)
	default:
		return surfaceStream{}, false
	}
	st.every = time.Second
	if s.p.kind == Perpetual {
		st.every = 250 * time.Millisecond
	}
	switch speed {
	case "":
	case "100ms":
		st.every = 100 * time.Millisecond
	case "250ms", "500ms":
		if s.p.kind != Perpetual {
			return surfaceStream{}, false
		}
		ms, _ := strconv.Atoi(strings.TrimSuffix(speed, "ms"))
		st.every = time.Duration(ms) * time.Millisecond
	default:
		return surfaceStream{}, false
	}
	return st, true
}

// depthStream is a depth stream's state: the book instant (ms, on the
// symbol's beat) its last event reached, and the update ids.
type depthStream struct {
	srv   *server
	ses   *plugins.Session
	c     *conn
	name  string
	st    surfaceStream
	sp    symbolSpec
	step  int64 // ms
	phase int64 // ms past the multiples of step the steps end at
	last  int64 // ms
	seq   int64 // the book's Seq at last
	lastU int64 // the u of the last event sent (0: none yet)
	pendU int64 // the U of skipped empty diffs, carried to the next event
}

// depthPhase is where in each step of step ms symbol's depth events fall:
// Binance times a symbol's depth stream on a beat of its own (the E of
// BTCUSDT's and ETHUSDT's @depth@100ms events are not on the same
// instants, nor on round ones), so the events of many symbols are not
// all due at one instant. The phase is a hash of the symbol: the same in
// every run.
func depthPhase(symbol string, step int64) int64 {
	h := fnv.New32a()
	h.Write([]byte(symbol))
	return int64(h.Sum32()) % step
}

// stepAt is the end of the last step at or before at (ms).
func (d *depthStream) stepAt(at int64) int64 {
	k := at - d.phase
	if k < 0 {
		k -= d.step - 1
	}
	return d.phase + k/d.step*d.step
}

// newDepthStream starts at the last step boundary before now.
func (srv *server) newDepthStream(ses *plugins.Session, c *conn, name string, st surfaceStream) (*depthStream, bool) {
	sp, _ := srv.spec(st.symbol)
	d := &depthStream{srv: srv, ses: ses, c: c, name: name, st: st, sp: sp, step: st.every.Milliseconds()}
	d.phase = depthPhase(sp.symbol, d.step)
	d.last = d.stepAt(srv.env.Clock.NowMillis())
	b, err := srv.env.Books.Book(ses.Context(), sp.symbol, d.last*1000, 1)
	if err != nil {
		return nil, false
	}
	d.seq = b.Seq
	return d, true
}

// push sends the events of the steps up to the event time at (ms).
func (d *depthStream) push(at int64) {
	t := d.stepAt(at)
	if t <= d.last {
		return
	}
	ctx := d.ses.Context()
	send := func(b []byte) bool { return d.ses.Push(d.name, d.srv.wrap(d.c, d.name, b)) == nil }
	if d.st.levels > 0 {
		// A partial stream: the top levels at the latest step.
		bk, err := d.srv.env.Books.Book(ctx, d.sp.symbol, t*1000, d.st.levels)
		if err != nil {
			return
		}
		first, prev := d.seq+1, d.seq
		d.last, d.seq = t, bk.Seq
		if d.srv.p.kind == Perpetual {
			send(d.srv.appendDepthEvent(nil, d.sp, t, first, bk.Seq, prev, bk.Bids, bk.Asks))
			return
		}
		b := append([]byte(nil), `{"lastUpdateId":`...)
		b = strconv.AppendInt(b, bk.Seq, 10)
		b = append(b, `,"bids":`...)
		b = d.srv.appendLevels(b, d.sp, bk.Bids)
		b = append(b, `,"asks":`...)
		b = d.srv.appendLevels(b, d.sp, bk.Asks)
		send(append(b, '}'))
		return
	}
	// Diff events are book diffs to the network simulation (gaps,
	// duplicates, reordering); Binance sends no checksum. The events come
	// wrapped already.
	d.diffs(ctx, t, func(b []byte) bool { return d.ses.PushBookDiff(d.name, b, nil) == nil })
}

// diffs sends, with send, the diff events of the steps after the last up
// to t (ms), wrapped for a combined stream: the steps' diffs are shared
// with the other streams of the symbol (srv.diffs), and so are the
// encoded events of the streams whose U/u/pu agree (srv.events: all of
// them but one that skipped an empty diff another did not); the bytes
// sent are read-only.
func (d *depthStream) diffs(ctx context.Context, t int64, send func([]byte) bool) {
	ds, err := d.srv.diffs.Diffs(ctx, d.srv.env.Books, d.sp.symbol, d.last*1000, t*1000, d.step*1000, 0)
	if err != nil {
		// Go on from t (after a stall longer than the book serves in one
		// go): the next event's U leaves a gap, and a client resyncs.
		if bk, err := d.srv.env.Books.Book(ctx, d.sp.symbol, t*1000, 1); err == nil {
			d.last, d.seq, d.pendU = t, bk.Seq, 0
		}
		return
	}
	d.last = t
	for _, df := range ds {
		d.seq = df.LastSeq
		if len(df.Bids)+len(df.Asks) == 0 {
			if d.pendU == 0 {
				d.pendU = df.FirstSeq
			}
			continue
		}
		first := df.FirstSeq
		if d.pendU != 0 {
			first, d.pendU = d.pendU, 0
		}
		prev := d.lastU
		if prev == 0 {
			prev = first - 1
		}
		d.lastU = df.LastSeq
		k := eventKey{name: d.name, at: df.Time / 1000, first: first, last: df.LastSeq, prev: prev, combined: d.c != nil && d.c.combined.Load()}
		b := d.srv.events.get(k, func() []byte {
			b := d.srv.appendDepthEvent(nil, d.sp, k.at, first, k.last, prev, df.Bids, df.Asks)
			if k.combined {
				b = d.srv.wrap(d.c, d.name, b)
			}
			return b
		})
		if !send(b) {
			return
		}
	}
	// The next step, computed half a step on by the first stream here,
	// is ready at its boundary.
	half := d.srv.env.Clock.RealDuration(time.Duration(t+d.step/2-d.srv.env.Clock.NowMillis()) * time.Millisecond)
	d.srv.diffs.Prefetch(ctx, d.srv.env.Books, d.sp.symbol, t*1000, d.step*1000, 0, half)
}

// appendDepthEvent encodes spot {"e":"depthUpdate","E","s","U","u","b",
// "a"} or USD-M {"e":"depthUpdate","E","T","s","U","u","pu","b","a"}.
func (s *server) appendDepthEvent(b []byte, sp symbolSpec, at, first, last, prev int64, bids, asks []cc.BookLevel) []byte {
	b = append(b, `{"e":"depthUpdate","E":`...)
	b = strconv.AppendInt(b, at, 10)
	if s.p.kind == Perpetual {
		b = append(b, `,"T":`...)
		b = strconv.AppendInt(b, at, 10)
	}
	b = append(b, `,"s":"`...)
	b = append(b, sp.symbol...)
	b = append(b, `","U":`...)
	b = strconv.AppendInt(b, first, 10)
	b = append(b, `,"u":`...)
	b = strconv.AppendInt(b, last, 10)
	if s.p.kind == Perpetual {
		b = append(b, `,"pu":`...)
		b = strconv.AppendInt(b, prev, 10)
	}
	b = append(b, `,"b":`...)
	b = s.appendLevels(b, sp, bids)
	b = append(b, `,"a":`...)
	b = s.appendLevels(b, sp, asks)
	return append(b, '}')
}

// eventCache holds the encoded depth events of the last seconds, so that
// the streams of one symbol encode each step's event once: a 100 ms diff
// of the synthetic book runs to tens of kB, and encoding it per client
// does not scale to a thousand clients.
type eventCache struct {
	mu     sync.Mutex
	m      map[eventKey]*cachedEvent
	newest int64 // ms
}

// eventKey is everything an encoded event depends on besides the diff
// of its stream's symbol (the name carries it) at at.
type eventKey struct {
	name                  string
	at, first, last, prev int64
	combined              bool
}

type cachedEvent struct {
	once sync.Once
	b    []byte
}

// eventKeep is how long (ms of event time) encoded events are kept.
const eventKeep = 5000

// get returns the event under k, encoding it with enc once.
func (c *eventCache) get(k eventKey, enc func() []byte) []byte {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[eventKey]*cachedEvent{}
	}
	e := c.m[k]
	if e == nil {
		e = &cachedEvent{}
		c.m[k] = e
		if k.at > c.newest {
			c.newest = k.at
			if len(c.m) > 1024 {
				for x := range c.m {
					if x.at < c.newest-eventKeep {
						delete(c.m, x)
					}
				}
			}
		}
	}
	c.mu.Unlock()
	e.once.Do(func() { e.b = enc() })
	return e.b
}
