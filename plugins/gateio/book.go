package gateio

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// Order books from env.Books. REST: GET /api/v4/spot/order_book and
// /api/v4/futures/{settle}/order_book (limit, default 10, at most 1000;
// with_id adds the book's update id). WS: spot.order_book_update and
// futures.order_book_update (diffs with first and last update ids U and
// u, the first push a full=true book on spot), spot.order_book and
// futures.order_book (the top levels). Every snapshot is the book at the
// 100 ms grid instant (kit.BookTime) and the diff streams step on that
// grid, so a client's with_id snapshot is always continued by the stream.
// Futures sizes are whole contracts (at least 1 for a level that holds
// anything).

const maxBookLimit = 1000

// bookLimit reads limit (default 10); ok is false after the error reply.
func bookLimit(w http.ResponseWriter, r *http.Request) (int, bool) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 10, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		apiError(w, http.StatusBadRequest, "INVALID_PARAM_VALUE", "Invalid limit: "+v)
		return 0, false
	}
	return min(n, maxBookLimit), true
}

func (s *server) book(w http.ResponseWriter, r *http.Request, sym string, limit int) (cc.Book, bool) {
	if s.env.Books == nil {
		unavailable(w, "order book")
		return cc.Book{}, false
	}
	b, err := s.env.Books.Book(r.Context(), sym, kit.BookTime(s.env.SnapshotTime(r).UnixMilli()), limit)
	if err != nil {
		s.internal(w, err)
		return cc.Book{}, false
	}
	return b, true
}

// spotOrderBook serves GET /api/v4/spot/order_book: current and update
// in ms, levels as [price, amount] strings.
func (s *server) spotOrderBook(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	pair := q.Get("currency_pair")
	if pair == "" {
		apiError(w, http.StatusBadRequest, "MISSING_REQUIRED_PARAM", "Missing required parameter: currency_pair")
		return
	}
	if _, ok := s.env.PairBySymbol(pair); !ok {
		apiError(w, http.StatusBadRequest, "INVALID_CURRENCY_PAIR", "Invalid currency pair "+pair)
		return
	}
	limit, ok := bookLimit(w, r)
	if !ok {
		return
	}
	b, ok := s.book(w, r, pair, limit)
	if !ok {
		return
	}
	out := []byte{'{'}
	if q.Get("with_id") == "true" {
		out = append(out, `"id":`...)
		out = strconv.AppendInt(out, b.Seq, 10)
		out = append(out, ',')
	}
	out = append(out, `"current":`...)
	out = strconv.AppendInt(out, s.now(), 10)
	out = append(out, `,"update":`...)
	out = strconv.AppendInt(out, b.Time/1000, 10)
	out = append(out, `,"asks":`...)
	out = kit.AppendQuotedLevels(out, b.Asks)
	out = append(out, `,"bids":`...)
	out = kit.AppendQuotedLevels(out, b.Bids)
	writeJSONBytes(w, append(out, '}'))
}

// futuresOrderBook serves GET /api/v4/futures/{settle}/order_book:
// current and update in seconds with ms decimals, levels {"p","s"} with
// s in contracts.
func (s *server) futuresOrderBook(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	contract, ok := s.futuresContract(w, r, q.Get("contract"))
	if !ok {
		return
	}
	limit, ok := bookLimit(w, r)
	if !ok {
		return
	}
	b, ok := s.book(w, r, contract, limit)
	if !ok {
		return
	}
	p, _ := s.env.PairBySymbol(contract)
	mult := multiplier(p.Price)
	out := []byte{'{'}
	if q.Get("with_id") == "true" {
		out = append(out, `"id":`...)
		out = strconv.AppendInt(out, b.Seq, 10)
		out = append(out, ',')
	}
	out = append(out, `"current":`...)
	out = appendSeconds(out, s.now())
	out = append(out, `,"update":`...)
	out = appendSeconds(out, b.Time/1000)
	out = append(out, `,"asks":`...)
	out = appendFuturesLevels(out, b.Asks, mult)
	out = append(out, `,"bids":`...)
	out = appendFuturesLevels(out, b.Bids, mult)
	writeJSONBytes(w, append(out, '}'))
}

func writeJSONBytes(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

// appendSeconds writes ms as seconds with three decimals, trailing zeros
// dropped (1623898993.12).
func appendSeconds(b []byte, ms int64) []byte {
	d := cc.NewDecimal(ms, 3)
	return d.AppendTrim(b, 3)
}

func appendFuturesLevels(b []byte, ls []cc.BookLevel, mult cc.Decimal) []byte {
	b = append(b, '[')
	for i, l := range ls {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"p":"`...)
		b = l.Price.AppendTrim(b, int(l.Price.Scale))
		b = append(b, `","s":`...)
		b = strconv.AppendInt(b, kit.BookContracts(l.Size, mult), 10)
		b = append(b, '}')
	}
	return append(b, ']')
}

// bookSub is one parsed book subscription.
type bookSub struct {
	key, sym string
	depth    int
	every    time.Duration
	diffs    bool
	level    string // the "l" the pushes echo
}

// parseBookPayload reads a book channel's payload: order_book_update
// [pair, "100ms"|"20ms"] on spot, [contract, "100ms"|"20ms", level] on
// futures; order_book [pair, level, "100ms"|"1000ms"] on spot, [contract,
// level, "0"] on futures.
func (p *proto) parseBookPayload(channel string, raw json.RawMessage) (bookSub, string) {
	var a []string
	if err := json.Unmarshal(raw, &a); err != nil || len(a) < 2 {
		return bookSub{}, "invalid argument: payload must be [" + p.market() + ", ...]"
	}
	sub := bookSub{key: channel + "_" + fmt.Sprint(a), sym: a[0]}
	futures := p.prefix == "futures"
	switch channel {
	case p.prefix + ".order_book_update":
		sub.diffs = true
		switch a[1] {
		case "100ms":
			sub.every, sub.level = 100*time.Millisecond, "100"
		case "20ms":
			sub.every, sub.level = 20*time.Millisecond, "20"
		default:
			return bookSub{}, "invalid argument: unknown frequency " + a[1]
		}
		if futures && len(a) > 2 {
			if !slices.Contains([]string{"100", "50", "20"}, a[2]) || (a[1] == "20ms" && a[2] != "20") {
				return bookSub{}, "invalid argument: unknown level " + a[2]
			}
			sub.level = a[2]
		}
	default:
		levels := []string{"5", "10", "20", "50", "100"}
		if futures {
			levels = []string{"1", "5", "10", "20", "50", "100"}
		}
		if !slices.Contains(levels, a[1]) {
			return bookSub{}, "invalid argument: unknown level " + a[1]
		}
		sub.level, sub.every = a[1], 100*time.Millisecond
		if len(a) > 2 && !futures {
			switch a[2] {
			case "100ms":
			case "1000ms":
				sub.every = time.Second
			default:
				return bookSub{}, "invalid argument: unknown interval " + a[2]
			}
		}
	}
	sub.depth, _ = strconv.Atoi(sub.level)
	return sub, ""
}

// bookChannel serves the four book channels.
func (p *proto) bookChannel(sess *plugins.Session, req *request) {
	sub, msg := p.parseBookPayload(req.Channel, req.Payload)
	if msg != "" {
		p.fail(sess, req, 2, msg)
		return
	}
	pair, ok := p.s.env.PairBySymbol(sub.sym)
	if ok && p.prefix == "futures" {
		_, ok = p.s.contractPair(p.settle, sub.sym)
	}
	if !ok {
		p.fail(sess, req, 2, "unknown "+p.market()+" "+sub.sym)
		return
	}
	switch req.Event {
	case "subscribe":
		if p.s.env.Books == nil {
			p.fail(sess, req, 3, "server error: "+kit.ErrNoBooks.Error())
			return
		}
		p.reply(sess, req, "subscribe", map[string]string{"status": "success"}, nil)
		mult := multiplier(pair.Price)
		send := func(b []byte) { sess.Push(sub.key, b) }
		// Subscribing again restarts the channel (spot with a new full
		// push), which is how a client recovers from a sequence gap
		// without reconnecting.
		sess.Unsubscribe(sub.key)
		var err error
		if sub.diffs {
			var first func(cc.Book)
			if p.prefix == "spot" {
				first = func(b cc.Book) { send(p.encodeFull(req.Channel, sub, b)) }
			}
			err = kit.SubscribeBookDiffs(sess, sub.key, pair.Symbol, sub.depth, sub.every, first, func(d cc.BookDiff) {
				// Through the protocol faults (Gate has no checksum): a
				// gap shows as U past the last u+1.
				sess.PushBookDiff(sub.key, p.encodeUpdate(req.Channel, sub, d, mult), nil)
			})
		} else {
			err = kit.SubscribeBookSnapshots(sess, sub.key, pair.Symbol, sub.depth, sub.every, func(b cc.Book) {
				send(p.encodeLevels(req.Channel, sub, b, mult))
			})
		}
		if err != nil {
			p.fail(sess, req, 3, "server error: "+err.Error())
		}
	case "unsubscribe":
		sess.Unsubscribe(sub.key)
		p.reply(sess, req, "unsubscribe", map[string]string{"status": "success"}, nil)
	default:
		p.fail(sess, req, 1, fmt.Sprintf("invalid event %q", req.Event))
	}
}

// encodeUpdate is an order_book_update push: spot {t, e, E, s, U, u, b,
// a} with [price, amount] strings, futures {t, s, U, u, b, a, l} with
// {"p","s"} contract levels.
func (p *proto) encodeUpdate(channel string, sub bookSub, d cc.BookDiff, mult cc.Decimal) []byte {
	ms := d.Time / 1000
	b := pushHead(nil, channel, ms)
	b = append(b, `{"t":`...)
	b = strconv.AppendInt(b, ms, 10)
	if p.prefix == "spot" {
		b = append(b, `,"e":"depthUpdate","E":`...)
		b = strconv.AppendInt(b, ms/1000, 10)
	}
	b = append(b, `,"s":"`...)
	b = append(b, sub.sym...)
	b = append(b, `","U":`...)
	b = strconv.AppendInt(b, d.FirstSeq, 10)
	b = append(b, `,"u":`...)
	b = strconv.AppendInt(b, d.LastSeq, 10)
	if p.prefix == "spot" {
		b = append(b, `,"b":`...)
		b = kit.AppendQuotedLevels(b, d.Bids)
		b = append(b, `,"a":`...)
		b = kit.AppendQuotedLevels(b, d.Asks)
		return append(b, "}}"...)
	}
	b = append(b, `,"b":`...)
	b = appendFuturesLevels(b, d.Bids, mult)
	b = append(b, `,"a":`...)
	b = appendFuturesLevels(b, d.Asks, mult)
	b = append(b, `,"l":"`...)
	b = append(b, sub.level...)
	return append(b, `"}}`...)
}

// encodeFull is spot.order_book_update's full=true push: the whole book
// (at the stream's depth) to replace the client's, with its id as U and u.
func (p *proto) encodeFull(channel string, sub bookSub, bk cc.Book) []byte {
	ms := bk.Time / 1000
	b := pushHead(nil, channel, ms)
	b = append(b, `{"t":`...)
	b = strconv.AppendInt(b, ms, 10)
	b = append(b, `,"full":true,"e":"depthUpdate","E":`...)
	b = strconv.AppendInt(b, ms/1000, 10)
	b = append(b, `,"s":"`...)
	b = append(b, sub.sym...)
	b = append(b, `","U":`...)
	b = strconv.AppendInt(b, bk.Seq, 10)
	b = append(b, `,"u":`...)
	b = strconv.AppendInt(b, bk.Seq, 10)
	b = append(b, `,"b":`...)
	b = kit.AppendQuotedLevels(b, bk.Bids)
	b = append(b, `,"a":`...)
	b = kit.AppendQuotedLevels(b, bk.Asks)
	return append(b, "}}"...)
}

// encodeLevels is an order_book push: spot (event update) {t,
// lastUpdateId, s, l, bids, asks}; futures (event all) {t, contract, id,
// asks, bids, l}.
func (p *proto) encodeLevels(channel string, sub bookSub, bk cc.Book, mult cc.Decimal) []byte {
	ms := bk.Time / 1000
	b := pushHead(nil, channel, ms)
	if p.prefix == "futures" {
		b = b[:len(b)-len(`update","result":`)]
		b = append(b, `all","result":{"t":`...)
		b = strconv.AppendInt(b, ms, 10)
		b = append(b, `,"contract":"`...)
		b = append(b, sub.sym...)
		b = append(b, `","id":`...)
		b = strconv.AppendInt(b, bk.Seq, 10)
		b = append(b, `,"asks":`...)
		b = appendFuturesLevels(b, bk.Asks, mult)
		b = append(b, `,"bids":`...)
		b = appendFuturesLevels(b, bk.Bids, mult)
	} else {
		b = append(b, `{"t":`...)
		b = strconv.AppendInt(b, ms, 10)
		b = append(b, `,"lastUpdateId":`...)
		b = strconv.AppendInt(b, bk.Seq, 10)
		b = append(b, `,"s":"`...)
		b = append(b, sub.sym...)
		b = append(b, `","bids":`...)
		b = kit.AppendQuotedLevels(b, bk.Bids)
		b = append(b, `,"asks":`...)
		b = kit.AppendQuotedLevels(b, bk.Asks)
	}
	b = append(b, `,"l":"`...)
	b = append(b, sub.level...)
	return append(b, `"}}`...)
}
