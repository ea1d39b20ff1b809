package mexc

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// Order books from env.Books. REST: spot GET /api/v3/depth (limit,
// default 100, at most 5000; lastUpdateId) and contract GET
// /api/v1/contract/depth/{symbol} (limit, default all; version). WS spot
// (protobuf): spot@public.aggre.depth.v3.api.pb@100ms|10ms@SYMBOL, diffs
// numbered fromVersion..toVersion, and spot@public.limit.depth.v3.api.pb@
// SYMBOL@5|10|20, the top levels with their version. WS contract:
// sub.depth (push.depth, one message per version, kit.SplitDiff) and
// sub.depth.full (push.depth.full, the top 5, 10 or 20). Snapshots are
// the book at the 100 ms grid instant (kit.BookTime) and the diff streams
// step on that grid, so every snapshot's id is continued by a push.
// Contract volumes are whole contracts (at least 1 a level), counts 1 a
// level.

const (
	aggreDepthPrefix = "spot@public.aggre.depth.v3.api.pb@"
	limitDepthPrefix = "spot@public.limit.depth.v3.api.pb@"
	maxSpotDepth     = 5000
	depthEvery       = 100 * time.Millisecond
)

// Protobuf fields of the depth pushes: PushDataV3ApiWrapper
// publicLimitDepths=303 and publicAggreDepths=313; PublicLimitDepthsV3Api
// {asks 1, bids 2, eventType 3, version 4}, PublicAggreDepthsV3Api {asks
// 1, bids 2, eventType 3, fromVersion 4, toVersion 5}, items {price 1,
// quantity 2}; versions are strings.
const (
	fPublicLimitDepths = 303
	fPublicAggreDepths = 313
)

func appendDepthItems(b []byte, field int, ls []cc.BookLevel) []byte {
	for _, l := range ls {
		var item []byte
		item = appendDecString(item, 1, l.Price)
		item = appendDecString(item, 2, l.Size)
		b = appendString(b, field, item)
	}
	return b
}

// encodeAggreDepth encodes d as a publicAggreDepths push.
func encodeAggreDepth(channel, symbol, symbolID, eventType string, d cc.BookDiff) []byte {
	var body []byte
	body = appendDepthItems(body, 1, d.Asks)
	body = appendDepthItems(body, 2, d.Bids)
	body = appendString(body, 3, []byte(eventType))
	body = appendString(body, 4, strconv.AppendInt(nil, d.FirstSeq, 10))
	body = appendString(body, 5, strconv.AppendInt(nil, d.LastSeq, 10))
	return wrap(channel, symbol, symbolID, d.Time/1000, fPublicAggreDepths, body)
}

// encodeLimitDepth encodes b as a publicLimitDepths push.
func encodeLimitDepth(channel, symbol, symbolID string, bk cc.Book) []byte {
	var body []byte
	body = appendDepthItems(body, 1, bk.Asks)
	body = appendDepthItems(body, 2, bk.Bids)
	body = appendString(body, 3, []byte("spot@public.limit.depth.v3.api.pb"))
	body = appendString(body, 4, strconv.AppendInt(nil, bk.Seq, 10))
	return wrap(channel, symbol, symbolID, bk.Time/1000, fPublicLimitDepths, body)
}

// subscribeDepth starts an aggre or limit depth channel; handled is false
// for any other channel.
func (p *spotProto) subscribeDepth(sess *plugins.Session, ch string) (ok, handled bool) {
	send := func(b []byte) { sess.PushMessage(ch, websocket.BinaryMessage, b) }
	if rest, found := strings.CutPrefix(ch, aggreDepthPrefix); found {
		rate, sym, found := strings.Cut(rest, "@")
		every := map[string]time.Duration{"100ms": 100 * time.Millisecond, "10ms": 10 * time.Millisecond}[rate]
		pair, known := p.s.pairBySpot(sym)
		if !found || every == 0 || !known || p.s.env.Books == nil {
			return false, true
		}
		id, event := symbolID(sym), aggreDepthPrefix+rate
		err := kit.SubscribeBookDiffs(sess, ch, pair.Symbol, 0, every, nil, func(d cc.BookDiff) {
			// Through the protocol faults (no checksum): a gap shows as
			// fromVersion past the last toVersion+1.
			sess.PushBinaryBookDiff(ch, encodeAggreDepth(ch, sym, id, event, d), nil)
		})
		return err == nil, true
	}
	if rest, found := strings.CutPrefix(ch, limitDepthPrefix); found {
		sym, level, found := strings.Cut(rest, "@")
		pair, known := p.s.pairBySpot(sym)
		if !found || (level != "5" && level != "10" && level != "20") || !known || p.s.env.Books == nil {
			return false, true
		}
		depth, _ := strconv.Atoi(level)
		id := symbolID(sym)
		err := kit.SubscribeBookSnapshots(sess, ch, pair.Symbol, depth, depthEvery, func(b cc.Book) {
			send(encodeLimitDepth(ch, sym, id, b))
		})
		return err == nil, true
	}
	return false, false
}

// spotDepth serves GET /api/v3/depth.
func (s *server) spotDepth(w http.ResponseWriter, r *http.Request) {
	sym := r.URL.Query().Get("symbol")
	if sym == "" {
		spotError(w, http.StatusBadRequest, -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")
		return
	}
	p, ok := s.pairBySpot(sym)
	if !ok {
		spotError(w, http.StatusBadRequest, -1121, "Invalid symbol.")
		return
	}
	n, has, ok := kit.NumParams(r.URL.Query(), 0, func(name, v string) {
		spotError(w, http.StatusBadRequest, -1100, "Illegal characters found in parameter '"+name+"'; legal range is '^[0-9]{1,20}$'.")
	})("limit")
	if !ok {
		return
	}
	limit := 100
	if has {
		if n < 1 {
			spotError(w, http.StatusBadRequest, -1130, "Data sent for parameter 'limit' is not valid.")
			return
		}
		limit = int(min(n, maxSpotDepth))
	}
	if s.env.Books == nil {
		spotError(w, http.StatusServiceUnavailable, -1000, "Order books are not available in this mode.")
		return
	}
	b, err := s.env.Books.Book(r.Context(), p.Symbol, kit.BookTime(s.env.SnapshotTime(r).UnixMilli()), limit)
	if err != nil {
		s.failed(w, false, err)
		return
	}
	out := []byte(`{"lastUpdateId":`)
	out = strconv.AppendInt(out, b.Seq, 10)
	out = append(out, `,"bids":`...)
	out = kit.AppendQuotedLevels(out, b.Bids)
	out = append(out, `,"asks":`...)
	out = kit.AppendQuotedLevels(out, b.Asks)
	out = append(out, `,"timestamp":`...)
	out = strconv.AppendInt(out, b.Time/1000, 10)
	kit.Raw(w, http.StatusOK, append(out, '}'))
}

// appendContractLevels writes [price, contracts, orders] numbers; a
// removed level has 0 contracts and 0 orders.
func appendContractLevels(b []byte, ls []cc.BookLevel, size cc.Decimal) []byte {
	b = append(b, '[')
	for i, l := range ls {
		if i > 0 {
			b = append(b, ',')
		}
		n := kit.BookContracts(l.Size, size)
		b = append(b, '[')
		b = appendNum(b, l.Price)
		b = append(b, ',')
		b = strconv.AppendInt(b, n, 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, min(n, 1), 10)
		b = append(b, ']')
	}
	return append(b, ']')
}

// contractDepth serves GET /api/v1/contract/depth/{symbol}.
func (s *server) contractDepth(w http.ResponseWriter, r *http.Request) {
	p, ok := s.contractPair(w, r.PathValue("symbol"))
	if !ok {
		return
	}
	limit, _, ok := kit.NumParams(r.URL.Query(), 0, func(string, string) { contractError(w, 600, "Parameter error") })("limit")
	if !ok {
		return
	}
	if s.env.Books == nil {
		contractError(w, 9999, "Public abnormal")
		return
	}
	b, err := s.env.Books.Book(r.Context(), p.Symbol, kit.BookTime(s.env.SnapshotTime(r).UnixMilli()), int(max(limit, 0)))
	if err != nil {
		s.failed(w, true, err)
		return
	}
	out := append([]byte(`{"success":true,"code":0,"data":`), appendContractBook(nil, b, kit.ContractSize(p.Price))...)
	kit.Raw(w, http.StatusOK, append(out, '}'))
}

// appendContractBook writes {"asks","bids","version","timestamp"}.
func appendContractBook(b []byte, bk cc.Book, size cc.Decimal) []byte {
	b = append(b, `{"asks":`...)
	b = appendContractLevels(b, bk.Asks, size)
	b = append(b, `,"bids":`...)
	b = appendContractLevels(b, bk.Bids, size)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, bk.Seq, 10)
	b = append(b, `,"timestamp":`...)
	b = strconv.AppendInt(b, bk.Time/1000, 10)
	return append(b, '}')
}

// depth serves the contract sub.depth and sub.depth.full (limit 5, 10
// or 20) and their unsubscriptions.
func (p *contractProto) depth(sess *plugins.Session, method, sym string, limit int) {
	pair, ok := p.s.pairByContract(sym)
	if !ok {
		p.send(sess, "rs.error", "Contract does not exist!")
		return
	}
	rest, unsub := strings.CutPrefix(method, "un")
	kind := strings.TrimPrefix(rest, "sub.")
	key := kind + "@" + sym
	if unsub {
		sess.Unsubscribe(key)
		p.send(sess, "rs."+method, "success")
		return
	}
	full := kind == "depth.full"
	if full {
		if limit == 0 {
			limit = 20
		}
		if limit != 5 && limit != 10 && limit != 20 {
			p.send(sess, "rs.error", "limit not support")
			return
		}
	}
	if p.s.env.Books == nil {
		p.send(sess, "rs.error", "system error")
		return
	}
	p.send(sess, "rs."+method, "success")
	size := kit.ContractSize(pair.Price)
	send := func(b []byte) bool { return sess.Push(key, b) == nil }
	// diff pushes go through the protocol faults (no checksum): a gap
	// shows as version jumping.
	push := func(channel string, ms int64, body []byte, diff bool) bool {
		b := append([]byte(`{"channel":"`), channel...)
		b = append(b, `","data":`...)
		b = append(b, body...)
		b = append(b, `,"symbol":"`...)
		b = append(b, sym...)
		b = append(b, `","ts":`...)
		b = strconv.AppendInt(b, ms, 10)
		if diff {
			return sess.PushBookDiff(key, append(b, '}'), nil) == nil
		}
		return send(append(b, '}'))
	}
	var err error
	if full {
		err = kit.SubscribeBookSnapshots(sess, key, pair.Symbol, limit, depthEvery, func(bk cc.Book) {
			push("push.depth.full", bk.Time/1000, appendContractBook(nil, bk, size), false)
		})
	} else {
		err = kit.SubscribeBookDiffs(sess, key, pair.Symbol, 0, depthEvery, nil, func(d cc.BookDiff) {
			for _, part := range kit.SplitDiff(d) {
				b := append([]byte(`{"asks":`), appendContractLevels(nil, part.Asks, size)...)
				b = append(b, `,"bids":`...)
				b = appendContractLevels(b, part.Bids, size)
				b = append(b, `,"version":`...)
				b = strconv.AppendInt(b, part.LastSeq, 10)
				if !push("push.depth", d.Time/1000, append(b, '}'), true) {
					return
				}
			}
		})
	}
	if err != nil {
		p.send(sess, "rs.error", "system error")
	}
}
