package kraken

import (
	"hash/crc32"
	"net/http"
	"strconv"
	"strings"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// Order books. REST /0/public/Depth?pair&count (1..500, default 100):
// {"<key>":{"asks":[["price","volume",time]...],"bids":[...]}}. WS v2
// channel book (depth 10, 25, 100, 500 or 1000; default 10): a snapshot
// of depth levels a side with the checksum, then updates with the levels
// that changed (qty 0: removed; a level pushed out of the depth is not
// announced — clients truncate to their depth), the checksum of the book
// after them and the timestamp. Prices carry the pair's precision
// (pair_decimals) and quantities 8 decimals (lot_decimals), as JSON
// numbers with every digit, which the checksum is computed from.

const (
	depthDefault = 100
	depthMax     = 500
	bookStep     = 50 * time.Millisecond // Kraken streams changes as they happen: batched per 50 ms
	bookLook     = 100 * time.Millisecond
	qtyDecimals  = 8
)

// bookDepths are the depths the v2 book channel accepts.
var bookDepths = []int{10, 25, 100, 500, 1000}

// Checksum is Kraken's book checksum (v1 and v2 alike): for each of the
// top 10 asks (lowest price first) and then the top 10 bids (highest
// first), the price and the quantity as formatted on the wire with '.'
// removed and leading zeros stripped, concatenated; the CRC-32 (IEEE) of
// that string, unsigned.
func Checksum(asks, bids [][2]string) uint32 {
	var b []byte
	for _, side := range [][][2]string{asks, bids} {
		for i := 0; i < 10 && i < len(side); i++ {
			for _, s := range side[i] {
				s = strings.Replace(s, ".", "", 1)
				b = append(b, strings.TrimLeft(s, "0")...)
			}
		}
	}
	return crc32.ChecksumIEEE(b)
}

// bookFmt formats one pair's levels.
type bookFmt struct{ places int }

func (f bookFmt) price(b []byte, d cc.Decimal) []byte { return d.Append(b, f.places) }
func (f bookFmt) qty(b []byte, d cc.Decimal) []byte   { return d.Append(b, qtyDecimals) }

func (f bookFmt) checksum(bk *cc.Book) uint32 {
	side := func(ls []cc.BookLevel) [][2]string {
		ls = ls[:min(len(ls), 10)]
		out := make([][2]string, len(ls))
		for i, l := range ls {
			out[i] = [2]string{string(f.price(nil, l.Price)), string(f.qty(nil, l.Size))}
		}
		return out
	}
	return Checksum(side(bk.Asks), side(bk.Bids))
}

// levels writes [{"price":p,"qty":q},...].
func (f bookFmt) levels(b []byte, ls []cc.BookLevel) []byte {
	b = append(b, '[')
	for i, l := range ls {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"price":`...)
		b = f.price(b, l.Price)
		b = append(b, `,"qty":`...)
		b = f.qty(b, l.Size)
		b = append(b, '}')
	}
	return append(b, ']')
}

// depth serves /0/public/Depth.
func (h *handler) depth(w http.ResponseWriter, r *http.Request) {
	form, p, n, ok := h.pairRequest(w, r, h.env.Books != nil)
	if !ok {
		return
	}
	count, ok := countParam(w, form, depthDefault, depthMax)
	if !ok {
		return
	}
	// The book on kit's 100 ms grid, which a book stream also reaches.
	bk, err := h.env.Books.Book(r.Context(), p.Symbol, kit.BookTime(h.env.SnapshotTime(r).UnixMilli()), count)
	if err != nil {
		fail(w, "EGeneral:Internal error")
		return
	}
	f := bookFmt{h.priceDecimals(r.Context(), p)}
	sec := bk.Time / 1_000_000
	side := func(b []byte, ls []cc.BookLevel) []byte {
		b = append(b, '[')
		for i, l := range ls {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `["`...)
			b = f.price(b, l.Price)
			b = append(b, `","`...)
			b = f.qty(b, l.Size)
			b = append(b, `",`...)
			b = strconv.AppendInt(b, sec, 10)
			b = append(b, ']')
		}
		return append(b, ']')
	}
	b := append([]byte(`{"error":[],"result":{"`), n.key...)
	b = append(b, `":{"asks":`...)
	b = side(b, bk.Asks)
	b = append(b, `,"bids":`...)
	b = side(b, bk.Bids)
	b = append(b, "}}}"...)
	writeRaw(w, http.StatusOK, b)
}

// subscribeBook handles one symbol of a book (un)subscribe.
func (p *wsProto) subscribeBook(s *plugins.Session, req wsRequest, sym string, pair cc.Pair, timeIn string, fail func(msg, sym string)) {
	yes := true
	depth := 10
	if req.Params.Depth != nil {
		depth = *req.Params.Depth
	}
	key := "book:" + sym
	result := map[string]any{"channel": "book", "depth": depth, "symbol": sym}
	if req.Method == "unsubscribe" {
		if !s.Unsubscribe(key) {
			fail("Subscription Not Found", sym)
			return
		}
		s.SendJSON(reply{Method: "unsubscribe", ReqID: req.ReqID, Result: result, Success: &yes, TimeIn: timeIn, TimeOut: wsNow(s)})
		return
	}
	valid := false
	for _, d := range bookDepths {
		valid = valid || d == depth
	}
	if !valid {
		fail("Invalid depth", sym)
		return
	}
	if s.Subscribed(key) {
		fail("Already subscribed", sym)
		return
	}
	env := s.Env()
	if env.Books == nil {
		fail("Currency pair not supported "+sym, sym)
		return
	}
	snapshot := req.Params.Snapshot == nil || *req.Params.Snapshot
	result["snapshot"] = snapshot
	s.SendJSON(reply{Method: "subscribe", ReqID: req.ReqID, Result: result, Success: &yes, TimeIn: timeIn, TimeOut: wsNow(s)})
	f := bookFmt{(&handler{env: env}).priceDecimals(s.Context(), pair)}
	msg := func(kind string, bids, asks []cc.BookLevel, after *cc.Book, ts int64) bool {
		b := append([]byte(`{"channel":"book","type":"`), kind...)
		b = append(b, `","data":[{"symbol":"`...)
		b = append(b, sym...)
		b = append(b, `","bids":`...)
		b = f.levels(b, bids)
		b = append(b, `,"asks":`...)
		b = f.levels(b, asks)
		b = append(b, `,"checksum":`...)
		b = strconv.AppendUint(b, uint64(f.checksum(after)), 10)
		if kind == "update" {
			b = append(b, `,"timestamp":"`...)
			b = append(b, rfc3339(time.UnixMicro(ts))...)
			b = append(b, '"')
		}
		b = append(b, "}]}"...)
		if kind == "update" {
			// Through the protocol faults: a gap or a wrong checksum
			// both show as a checksum the client's book does not meet.
			return s.PushBookDiff(key, b, corruptChecksum) == nil
		}
		return s.Push(key, b) == nil
	}
	out := kit.BookStream{
		Snapshot: func(bk *cc.Book) bool {
			return !snapshot || msg("snapshot", bk.Bids, bk.Asks, bk, bk.Time)
		},
		Diff: func(d cc.BookDiff, after *cc.Book) bool {
			// Levels that only left the depth are not announced: the
			// client truncates (a level removed outright is, with qty 0).
			return msg("update", inDepth(d.Bids, after.Bids, depth, true), inDepth(d.Asks, after.Asks, depth, false), after, d.Time)
		},
	}
	// Subscribing again restarts the channel with a new snapshot (a
	// client's recovery after a checksum mismatch).
	s.Unsubscribe(key)
	if err := kit.SubscribeBook(s, key, pair.Symbol, depth, bookStep, bookLook, out); err != nil {
		fail("Subscription failed", sym)
		return
	}
	p.startHeartbeat(s)
}

// corruptChecksum makes a book update's checksum wrong (book_corrupt).
var corruptChecksum = kit.CorruptChecksum("checksum")

// inDepth drops from ch the removals of levels beyond the book after it
// (best first, desc for bids) when that book is full: those fell out of
// the depth rather than left the book. Kraken sends qty 0 only for a
// level removed from within the subscribed depth.
func inDepth(ch, after []cc.BookLevel, depth int, desc bool) []cc.BookLevel {
	if len(after) < depth {
		return ch
	}
	worst := after[len(after)-1].Price
	out := ch[:0:0]
	for _, l := range ch {
		c := l.Price.Cmp(worst)
		if desc {
			c = -c
		}
		if l.Size.IsZero() && c > 0 {
			continue
		}
		out = append(out, l)
	}
	return out
}
