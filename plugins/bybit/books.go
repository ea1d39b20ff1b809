package bybit

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// Order books. REST GET /v5/market/orderbook?category&symbol&limit: spot
// 1..200 (default 1), linear 1..500 (default 25); result
// {"s","b":[[px,sz]...],"a":[...],"ts","u","seq","cts"}. WS topic
// orderbook.{depth}.{symbol} at Bybit's documented depths and push
// frequencies: a snapshot on subscribing, then a delta for every push
// interval in which the book changed (size "0": removed); u is the
// stream's update id, one more each message; seq is the cross sequence
// (the book's update id, comparable across depths and with REST's).
// orderbook.1 pushes snapshots only, again after 3 s without a change
// with the same u and seq.

// bookDepth is one orderbook topic's depth and push frequency.
type bookDepth struct {
	depth int
	step  time.Duration
}

// bookDepths are the documented depths per category; 500 is linear's
// depth of Bybit's older docs, still accepted.
var bookDepths = map[string]map[string]bookDepth{
	"spot": {
		"1": {1, 10 * time.Millisecond}, "50": {50, 20 * time.Millisecond},
		"200": {200, 200 * time.Millisecond}, "1000": {1000, 200 * time.Millisecond},
	},
	"linear": {
		"1": {1, 10 * time.Millisecond}, "50": {50, 20 * time.Millisecond},
		"200": {200, 100 * time.Millisecond}, "500": {500, 100 * time.Millisecond},
		"1000": {1000, 200 * time.Millisecond},
	},
}

const (
	bookLook   = 200 * time.Millisecond // how often a book stream looks (a multiple of every step)
	level1Idle = 3 * time.Second        // orderbook.1 repeats its snapshot after this without a change
	// uEpoch is the origin of the update ids a stream starts at: the
	// index of its push interval since 2020-01-01, so ids rise across
	// subscriptions as Bybit's do.
	uEpoch = 1577836800000000
)

// firstU is the update id of a stream's snapshot at t (µs).
func firstU(t int64, step time.Duration) int64 { return (t - uEpoch) / step.Microseconds() }

// appendLevels writes [[px,sz],...], each number at its own scale as
// Bybit prints tick and lot sizes ("17440.00","0.513").
func appendLevels(b []byte, ls []cc.BookLevel) []byte {
	b = append(b, '[')
	for i, l := range ls {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `["`...)
		b = l.Price.Append(b, int(l.Price.Scale))
		b = append(b, `","`...)
		b = l.Size.Append(b, int(l.Size.Scale))
		b = append(b, `"]`...)
	}
	return append(b, ']')
}

// orderbook serves GET /v5/market/orderbook.
func (h *handler) orderbook(w http.ResponseWriter, r *http.Request, q url.Values) {
	cat, sym, ok := h.symbolOf(w, q, "spot", "linear", "inverse", "option")
	if !ok {
		return
	}
	def, most := 25, 500
	if cat == "spot" {
		def, most = 1, 200
	}
	limit, err := limitParam(q, def, most)
	if err != nil {
		h.fail(w, http.StatusOK, codeParams, err.Error())
		return
	}
	if h.env.Books == nil {
		h.sourceError(w, nil)
		return
	}
	// The book on kit's 100 ms grid, so its seq is one a stream reaches.
	at := kit.BookTime(h.env.SnapshotTime(r).UnixMilli())
	bk, err := h.env.Books.Book(r.Context(), sym, at, limit)
	if err != nil {
		h.sourceError(w, err)
		return
	}
	b := append([]byte(nil), `{"s":"`...)
	b = append(b, sym...)
	b = append(b, `","b":`...)
	b = appendLevels(b, bk.Bids)
	b = append(b, `,"a":`...)
	b = appendLevels(b, bk.Asks)
	b = append(b, `,"ts":`...)
	b = strconv.AppendInt(b, at/1000, 10)
	b = append(b, `,"u":`...)
	b = strconv.AppendInt(b, firstU(at, bookDepths[cat]["200"].step), 10)
	b = append(b, `,"seq":`...)
	b = strconv.AppendInt(b, bk.Seq, 10)
	b = append(b, `,"cts":`...)
	b = strconv.AppendInt(b, at/1000, 10)
	h.ok(w, append(b, '}'))
}

// bookTopic starts orderbook.{depth}.{symbol}; handled is false for other
// topics, ok false when the depth or symbol is not served.
func (p *wsProtocol) bookTopic(s *plugins.Session, topic string) (handled, ok bool) {
	rest, found := strings.CutPrefix(topic, "orderbook.")
	if !found {
		return false, false
	}
	h := p.h
	depthName, sym, _ := strings.Cut(rest, ".")
	d, known := bookDepths[h.ex.category][depthName]
	if !known || !h.served(h.ex.category, sym) || h.env.Books == nil {
		return true, false
	}
	var u int64
	var lastPush int64 // µs of the last message (orderbook.1's repeat)
	frame := func(typ string, bids, asks []cc.BookLevel, t, seq int64) bool {
		b := append([]byte(nil), `{"topic":"`...)
		b = append(b, topic...)
		b = append(b, `","type":"`...)
		b = append(b, typ...)
		b = append(b, `","ts":`...)
		b = strconv.AppendInt(b, t/1000, 10)
		b = append(b, `,"data":{"s":"`...)
		b = append(b, sym...)
		b = append(b, `","b":`...)
		b = appendLevels(b, bids)
		b = append(b, `,"a":`...)
		b = appendLevels(b, asks)
		b = append(b, `,"u":`...)
		b = strconv.AppendInt(b, u, 10)
		b = append(b, `,"seq":`...)
		b = strconv.AppendInt(b, seq, 10)
		b = append(b, `},"cts":`...)
		b = strconv.AppendInt(b, t/1000, 10)
		lastPush = t
		if typ == "delta" {
			// Deltas go through the protocol faults (Bybit has no
			// checksum): a gap shows as u jumping.
			return s.PushBookDiff(topic, append(b, '}'), nil) == nil
		}
		return s.Push(topic, append(b, '}')) == nil
	}
	level1 := d.depth == 1
	idle := level1Idle.Microseconds()
	// orderbook.1's last book (a copy) and seq, which it repeats, with
	// the same u, after 3 s without a change: on the next look, or
	// before a change that a late look brings.
	var held cc.Book
	hold := func(bk *cc.Book) {
		held = cc.Book{Seq: bk.Seq, Bids: append(held.Bids[:0], bk.Bids...), Asks: append(held.Asks[:0], bk.Asks...)}
	}
	repeat := func(before int64) bool {
		for level1 && lastPush+idle < before {
			if !frame("snapshot", held.Bids, held.Asks, lastPush+idle, held.Seq) {
				return false
			}
		}
		return true
	}
	out := kit.BookStream{
		Snapshot: func(bk *cc.Book) bool {
			u = firstU(bk.Time, d.step)
			hold(bk)
			return frame("snapshot", bk.Bids, bk.Asks, bk.Time, bk.Seq)
		},
		Diff: func(df cc.BookDiff, after *cc.Book) bool {
			if !repeat(df.Time) {
				return false
			}
			u++
			if level1 {
				hold(after)
				return frame("snapshot", after.Bids, after.Asks, df.Time, after.Seq)
			}
			return frame("delta", df.Bids, df.Asks, df.Time, after.Seq)
		},
	}
	if level1 {
		out.Idle = func(at int64, _ *cc.Book) bool { return repeat(at + 1) }
	}
	if err := kit.SubscribeBook(s, topic, sym, d.depth, d.step, bookLook, out); err != nil {
		return true, false
	}
	return true, true
}
