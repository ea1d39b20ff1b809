package kucoin

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// Order books from env.Books. REST: spot level2_20 and level2_100, the
// full spot book /api/v3/market/orderbook/level2 (signed on the real API:
// refused without the KC-API-* headers, which are not checked further),
// futures /api/v1/level2/snapshot (full) and depth20/depth100. WS: spot
// /market/level2: (changes with per-change sequences between
// sequenceStart and sequenceEnd) and /spotMarket/level2Depth5:/50:,
// futures /contractMarket/level2: (one change a message, each sequence
// the last + 1, numbered by the contract's counter of futseq.go, whose
// sequences the futures REST books and depth pushes carry too) and
// /contractMarket/level2Depth5:/50:. Every snapshot is the
// book at the 100 ms grid instant (kit.BookTime) and the streams step on
// that grid, so a client's snapshot is always continued by the stream.
//
// Futures sizes are whole contracts of the contract's multiplier (at
// least 1 a level), as KuCoin Futures counts them everywhere.

// bookStep is the cadence of every book stream.
const bookStep = 100 * time.Millisecond

// spotBook serves level2_20 and level2_100: time, sequence (a string),
// bids and asks as [price, size] strings.
func (h *handler) spotBook(depth int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h.serveSpotBook(w, r, depth)
	}
}

// spotFullBook serves GET /api/v3/market/orderbook/level2, which KuCoin
// signs: a request without the API headers gets its 401.
func (h *handler) spotFullBook(w http.ResponseWriter, r *http.Request) {
	for _, k := range []string{"KC-API-KEY", "KC-API-SIGN", "KC-API-TIMESTAMP", "KC-API-PASSPHRASE"} {
		if r.Header.Get(k) == "" {
			writeRaw(w, http.StatusUnauthorized, []byte(`{"code":"400001","msg":"Please check the header of your request for KC-API-KEY, KC-API-SIGN, KC-API-TIMESTAMP, KC-API-PASSPHRASE"}`))
			return
		}
	}
	h.serveSpotBook(w, r, 0)
}

func (h *handler) serveSpotBook(w http.ResponseWriter, r *http.Request, depth int) {
	p, found := h.spotPair(r.URL.Query().Get("symbol"))
	if !found || h.env.Books == nil {
		errNoPair(w)
		return
	}
	b, err := h.env.Books.Book(r.Context(), p.Symbol, kit.BookTime(h.env.SnapshotTime(r).UnixMilli()), depth)
	if err != nil {
		fail(w, "500000", "Internal Server Error")
		return
	}
	out := []byte(`{"time":`)
	out = strconv.AppendInt(out, b.Time/1000, 10)
	out = append(out, `,"sequence":"`...)
	out = strconv.AppendInt(out, b.Seq, 10)
	out = append(out, `","bids":`...)
	out = kit.AppendQuotedLevels(out, b.Bids)
	out = append(out, `,"asks":`...)
	out = kit.AppendQuotedLevels(out, b.Asks)
	okRaw(w, append(out, '}'))
}

// futuresBook serves level2/snapshot (depth 0), depth20 and depth100:
// prices and contract counts as numbers, ts in nanoseconds.
func (h *handler) futuresBook(depth int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sym := r.URL.Query().Get("symbol")
		p, found := h.contractPair(sym)
		if !found || h.env.Books == nil {
			errNoContract(w, sym)
			return
		}
		at, seq, err := h.seqs.counter(p.Symbol).Snapshot(r.Context(), h.env.Books, kit.BookTime(h.env.SnapshotTime(r).UnixMilli()))
		var b cc.Book
		if err == nil {
			b, err = h.env.Books.Book(r.Context(), p.Symbol, at, depth)
			b.Seq = seq
		}
		if err != nil {
			fail(w, "500000", "Internal Server Error")
			return
		}
		mult := multiplier(sym)
		out := append([]byte(`{"symbol":"`), sym...)
		out = append(out, `","sequence":`...)
		out = strconv.AppendInt(out, b.Seq, 10)
		out = append(out, `,"asks":`...)
		out = appendFuturesLevels(out, b.Asks, mult)
		out = append(out, `,"bids":`...)
		out = appendFuturesLevels(out, b.Bids, mult)
		out = append(out, `,"ts":`...)
		out = strconv.AppendInt(out, b.Time*1000, 10)
		okRaw(w, append(out, '}'))
	}
}

func appendFuturesLevels(b []byte, ls []cc.BookLevel, mult cc.Decimal) []byte {
	b = append(b, '[')
	for i, l := range ls {
		if i > 0 {
			b = append(b, ',')
		}
		n := kit.BookContracts(l.Size, mult)
		b = append(b, '[')
		b = l.Price.AppendTrim(b, int(l.Price.Scale))
		b = append(b, ',')
		b = strconv.AppendInt(b, n, 10)
		b = append(b, ']')
	}
	return append(b, ']')
}

// bookTopics are the book topic prefixes: futures or spot, and the depth
// of a snapshot topic (0: the diff stream).
var bookTopics = []struct {
	prefix  string
	futures bool
	depth   int
}{
	{"/market/level2:", false, 0},
	{"/spotMarket/level2Depth5:", false, 5},
	{"/spotMarket/level2Depth50:", false, 50},
	{"/contractMarket/level2:", true, 0},
	{"/contractMarket/level2Depth5:", true, 5},
	{"/contractMarket/level2Depth50:", true, 50},
}

// parseBook reads a book topic into targets (kind is the prefix, iv
// unused); ok is false for any other topic or an unknown symbol.
func (p *wsProto) parseBook(topic string) (out []target, depth int, ok bool) {
	for _, bt := range bookTopics {
		if !strings.HasPrefix(topic, bt.prefix) {
			continue
		}
		for _, sym := range strings.Split(strings.TrimPrefix(topic, bt.prefix), ",") {
			var pair cc.Pair
			if bt.futures {
				pair, ok = p.h.contractPair(sym)
			} else {
				pair, ok = p.h.spotPair(sym)
			}
			if !ok {
				return nil, 0, false
			}
			out = append(out, target{key: bt.prefix + sym, native: pair.Symbol, symbol: sym, kind: bt.prefix, futures: bt.futures})
		}
		return out, bt.depth, len(out) > 0
	}
	return nil, 0, false
}

// subscribeBook starts book topics: diffs for depth 0, snapshots else.
func (p *wsProto) subscribeBook(s *plugins.Session, m wsMsg, targets []target, depth int) {
	if m.Response {
		s.SendJSON(map[string]any{"id": m.ID, "type": "ack"})
	}
	for _, t := range targets {
		if m.Type == "unsubscribe" {
			s.Unsubscribe(t.key)
			continue
		}
		var err error
		switch {
		case depth == 0 && t.futures:
			err = p.subscribeFuturesLevel2(s, t)
		case depth == 0:
			err = kit.SubscribeBookDiffs(s, t.key, t.native, 0, bookStep, nil, func(d cc.BookDiff) {
				// Through the protocol faults (no checksum): a gap shows
				// as sequenceStart past the last sequenceEnd+1.
				_ = s.PushBookDiff(t.key, encodeSpotLevel2(t, d), nil)
			})
		default:
			err = kit.SubscribeBookSnapshots(s, t.key, t.native, depth, bookStep, func(b cc.Book) {
				if t.futures {
					seq, err := p.h.seqs.counter(t.native).At(s.Context(), s.Env().Books, b.Time)
					if err != nil {
						return
					}
					b.Seq = seq
				}
				s.Push(t.key, encodeDepth(t, b))
			})
		}
		switch {
		case errors.Is(err, kit.ErrNoBooks):
			continue // nothing to push in this mode
		case errors.Is(err, plugins.ErrTooManyStreams):
			sendErr(s, m.ID, 509, "exceed max subscription count limitation of 400 per session")
			return
		case err != nil:
			sendErr(s, m.ID, 500, "internal error")
			return
		}
	}
}

// encodeSpotLevel2 is a diff as one trade.l2update with every change
// (change i numbered FirstSeq+i, the last LastSeq).
func encodeSpotLevel2(t target, d cc.BookDiff) []byte {
	b := append([]byte(`{"topic":"`), t.key...)
	b = append(b, `","type":"message","subject":"trade.l2update","data":{"changes":{"asks":`...)
	n := len(d.Bids) + len(d.Asks)
	seq := func(i int) int64 {
		if i == n-1 {
			return d.LastSeq
		}
		return min(d.FirstSeq+int64(i), d.LastSeq)
	}
	b = appendChanges(b, d.Asks, len(d.Bids), seq)
	b = append(b, `,"bids":`...)
	b = appendChanges(b, d.Bids, 0, seq)
	b = append(b, `},"sequenceEnd":`...)
	b = strconv.AppendInt(b, d.LastSeq, 10)
	b = append(b, `,"sequenceStart":`...)
	b = strconv.AppendInt(b, d.FirstSeq, 10)
	b = append(b, `,"symbol":"`...)
	b = append(b, t.symbol...)
	b = append(b, `","time":`...)
	b = strconv.AppendInt(b, d.Time/1000, 10)
	return append(b, "}}"...)
}

// subscribeFuturesLevel2 streams /contractMarket/level2: one change a
// message, numbered by the contract's counter (futseq.go) from the grid
// instant at or before the subscription: a step's changes (stepChanges'
// order), then, when the step advanced more ids than it changed levels,
// repeats of the last change sent, which leave the book as it is.
func (p *wsProto) subscribeFuturesLevel2(s *plugins.Session, t target) error {
	env := s.Env()
	if env.Books == nil {
		return kit.ErrNoBooks
	}
	cnt := p.h.seqs.counter(t.native)
	last := kit.BookTime(env.Clock.NowMillis())
	first, err := env.Books.Book(s.Context(), t.native, last, 1)
	if err != nil {
		return err
	}
	if _, err := cnt.At(s.Context(), env.Books, last); err != nil {
		return err
	}
	cnt.Streaming(1)
	var prev kit.BookChange
	if len(first.Bids) > 0 {
		prev = kit.BookChange{Bid: true, BookLevel: first.Bids[0]}
	} else if len(first.Asks) > 0 {
		prev = kit.BookChange{BookLevel: first.Asks[0]}
	}
	mult := multiplier(t.symbol)
	var mu sync.Mutex
	var live context.Context // the subscription's, once Subscribe returned
	err = s.SubscribeTicks(t.key, t.native, bookStep, func(u cc.Update) []byte {
		mu.Lock()
		ctx := live
		mu.Unlock()
		upTo := kit.BookTime(u.EventTime)
		if (ctx != nil && ctx.Err() != nil) || upTo <= last {
			return nil
		}
		steps, err := cnt.Steps(s.Context(), env.Books, last, upTo)
		if err != nil {
			return nil
		}
		last = upTo
		for _, st := range steps {
			chs := stepChanges(st.d)
			seq := st.seq - st.n
			for i := range st.n {
				c := prev
				if i < int64(len(chs)) {
					c = chs[i]
				}
				seq++
				// A stream started again under the same key stops this one.
				if (ctx != nil && ctx.Err() != nil) || s.PushBookDiff(t.key, encodeFuturesChange(t, seq, st.d.Time/1000, c, mult), nil) != nil {
					return nil
				}
				prev = c
			}
		}
		return nil
	})
	if err != nil {
		cnt.Streaming(-1)
		return err
	}
	ctx := s.StreamContext(t.key)
	if ctx == nil { // unsubscribed already
		cnt.Streaming(-1)
		return nil
	}
	mu.Lock()
	live = ctx
	mu.Unlock()
	context.AfterFunc(ctx, func() { cnt.Streaming(-1) })
	return nil
}

func appendChanges(b []byte, ls []cc.BookLevel, first int, seq func(int) int64) []byte {
	b = append(b, '[')
	for i, l := range ls {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `["`...)
		b = l.Price.AppendTrim(b, int(l.Price.Scale))
		b = append(b, `","`...)
		b = l.Size.AppendTrim(b, int(l.Size.Scale))
		b = append(b, `","`...)
		b = strconv.AppendInt(b, seq(first+i), 10)
		b = append(b, `"]`...)
	}
	return append(b, ']')
}

// encodeFuturesChange is one /contractMarket/level2 frame: change
// "price,side,contracts" (side sell for asks, 0 contracts removes).
func encodeFuturesChange(t target, seq, at int64, c kit.BookChange, mult cc.Decimal) []byte {
	b := append([]byte(`{"topic":"`), t.key...)
	b = append(b, `","type":"message","subject":"level2","sn":`...)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, `,"data":{"sequence":`...)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, `,"change":"`...)
	b = c.Price.AppendTrim(b, int(c.Price.Scale))
	if c.Bid {
		b = append(b, ",buy,"...)
	} else {
		b = append(b, ",sell,"...)
	}
	b = strconv.AppendInt(b, kit.BookContracts(c.Size, mult), 10)
	b = append(b, `","timestamp":`...)
	b = strconv.AppendInt(b, at, 10)
	return append(b, "}}"...)
}

// encodeDepth is a level2Depth5/50 push: spot asks, bids and timestamp;
// futures adds the sequence and ts (ns), sizes in contracts.
func encodeDepth(t target, bk cc.Book) []byte {
	b := append([]byte(`{"topic":"`), t.key...)
	b = append(b, `","type":"message","subject":"level2","data":{"asks":`...)
	if !t.futures {
		b = kit.AppendQuotedLevels(b, bk.Asks)
		b = append(b, `,"bids":`...)
		b = kit.AppendQuotedLevels(b, bk.Bids)
		b = append(b, `,"timestamp":`...)
		b = strconv.AppendInt(b, bk.Time/1000, 10)
		return append(b, "}}"...)
	}
	mult := multiplier(t.symbol)
	b = appendFuturesLevels(b, bk.Asks, mult)
	b = append(b, `,"bids":`...)
	b = appendFuturesLevels(b, bk.Bids, mult)
	b = append(b, `,"sequence":`...)
	b = strconv.AppendInt(b, bk.Seq, 10)
	b = append(b, `,"timestamp":`...)
	b = strconv.AppendInt(b, bk.Time/1000, 10)
	b = append(b, `,"ts":`...)
	b = strconv.AppendInt(b, bk.Time*1000, 10)
	return append(b, "}}"...)
}
