package ascendex

import (
	"context"
	"net/http"
	"strconv"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// Order books from env.Books: GET /api/pro/v1/depth and the WS
// depth-snapshot request ({"op":"req","action":"depth-snapshot"}) give
// the book with its seqnum, the depth:SYMBOL channel one message per
// seqnum (kit.SplitDiff), so a client applies the messages after the
// snapshot's seqnum, each exactly one more than the last. Snapshots are
// the book at the 100 ms grid instant (kit.BookTime) and the stream steps
// on that grid, so every snapshot's seqnum is continued by a message.
// All of them keep bookDepth levels a side.

const (
	bookDepth = 500
	bookEvery = 100 * time.Millisecond
)

// snapshot is the book at now's grid instant.
func (s *server) snapshot(ctx context.Context, sym string, nowMs int64) (cc.Book, error) {
	return s.env.Books.Book(ctx, sym, kit.BookTime(nowMs), bookDepth)
}

// depth serves GET /api/pro/v1/depth.
func (s *server) depth(w http.ResponseWriter, r *http.Request) {
	sym := r.URL.Query().Get("symbol")
	if sym == "" {
		apiError(w, 100001, "INVALID_HTTP_INPUT", "Http request is invalid: missing required parameter symbol")
		return
	}
	if _, found := s.env.PairBySymbol(sym); !found {
		apiError(w, 100008, "SYMBOL_ERROR", "Invalid symbol "+sym)
		return
	}
	if s.env.Books == nil {
		resp := s.p.ServerError()
		kit.Raw(w, resp.Status, resp.Body)
		return
	}
	b, err := s.snapshot(r.Context(), sym, s.env.SnapshotTime(r).UnixMilli())
	if err != nil {
		resp := s.p.ServerError()
		kit.Raw(w, resp.Status, resp.Body)
		return
	}
	out := append([]byte(`{"code":0,"data":`), appendDepth(nil, "depth-snapshot", sym, b.Time/1000, b.Seq, b.Asks, b.Bids)...)
	kit.Raw(w, http.StatusOK, append(out, '}'))
}

// appendDepth writes {"m":m,"symbol":sym,"data":{"seqnum","ts","asks",
// "bids"}}, levels as [price, size] strings.
func appendDepth(b []byte, m, sym string, ts, seq int64, asks, bids []cc.BookLevel) []byte {
	b = append(b, `{"m":"`...)
	b = append(b, m...)
	b = append(b, `","symbol":`...)
	b = strconv.AppendQuote(b, sym)
	b = append(b, `,"data":{"seqnum":`...)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, `,"ts":`...)
	b = strconv.AppendInt(b, ts, 10)
	b = append(b, `,"asks":`...)
	b = kit.AppendQuotedLevels(b, asks)
	b = append(b, `,"bids":`...)
	b = kit.AppendQuotedLevels(b, bids)
	return append(b, "}}"...)
}

// depthSub serves depth:SYMBOL: {"m":"depth","symbol","data":{"ts",
// "seqnum","asks","bids"}} per seqnum.
func (p *proto) depthSub(sess *plugins.Session, req *wsReq, sym string) {
	if _, found := p.s.env.PairBySymbol(sym); !found {
		p.fail(sess, req, 100008, "SYMBOL_ERROR", "Invalid symbol "+sym)
		return
	}
	ack := map[string]any{"m": req.Op, "ch": req.Ch, "code": 0}
	if id := idOf(req.ID); id != nil {
		ack["id"] = id
	}
	if req.Op == "unsub" {
		sess.Unsubscribe(req.Ch)
		sess.SendJSON(ack)
		return
	}
	if p.s.env.Books == nil {
		p.fail(sess, req, 100101, "UNKNOWN_ERROR", kit.ErrNoBooks.Error())
		return
	}
	sess.SendJSON(ack)
	key := req.Ch
	err := kit.SubscribeBookDiffs(sess, key, sym, bookDepth, bookEvery, nil, func(d cc.BookDiff) {
		for _, part := range kit.SplitDiff(d) {
			b := append(make([]byte, 0, 128), `{"m":"depth","symbol":`...)
			b = strconv.AppendQuote(b, sym)
			b = append(b, `,"data":{"ts":`...)
			b = strconv.AppendInt(b, d.Time/1000, 10)
			b = append(b, `,"seqnum":`...)
			b = strconv.AppendInt(b, part.LastSeq, 10)
			b = append(b, `,"asks":`...)
			b = kit.AppendQuotedLevels(b, part.Asks)
			b = append(b, `,"bids":`...)
			b = kit.AppendQuotedLevels(b, part.Bids)
			// Through the protocol faults (no checksum): a gap shows
			// as seqnum jumping.
			if sess.PushBookDiff(key, append(b, "}}"...), nil) != nil {
				return
			}
		}
	})
	if err != nil {
		p.fail(sess, req, 100101, "UNKNOWN_ERROR", err.Error())
	}
}

// depthSnapshot answers {"op":"req","action":"depth-snapshot","args":
// {"symbol"}} with the book as the REST depth gives it.
func (p *proto) depthSnapshot(sess *plugins.Session, req *wsReq) {
	sym := req.Args.Symbol
	if _, found := p.s.env.PairBySymbol(sym); !found {
		p.fail(sess, req, 100008, "SYMBOL_ERROR", "Invalid symbol "+sym)
		return
	}
	if p.s.env.Books == nil {
		p.fail(sess, req, 100101, "UNKNOWN_ERROR", kit.ErrNoBooks.Error())
		return
	}
	b, err := p.s.snapshot(sess.Context(), sym, p.s.now())
	if err != nil {
		p.fail(sess, req, 100101, "UNKNOWN_ERROR", err.Error())
		return
	}
	sess.Send(appendDepth(nil, "depth-snapshot", sym, b.Time/1000, b.Seq, b.Asks, b.Bids))
}
