package okx

import (
	"hash/crc32"
	"net/http"
	"net/url"
	"strconv"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// Order books. REST: GET /api/v5/market/books (sz levels a side, 1 by
// default, at most 400) and /api/v5/market/books-full (at most 5000),
// data [{"asks":[[px,sz,"0",orders]...],"bids":[...],"ts":"..."}]. WS on
// /ws/v5/public:
//
//   - books: the 400-level snapshot ("action":"snapshot", prevSeqId -1),
//     then every 100 ms an "update" with the levels that changed (size
//     "0": removed), seqId, prevSeqId (the previous push's seqId) and the
//     checksum of the book after it;
//   - books-l2-tbt and books50-l2-tbt: the same at 400 and 50 levels every
//     10 ms (OKX asks VIP tiers to log in for them; served without);
//   - books5: the whole top 5 every 100 ms when it changed (no action,
//     no checksum); bbo-tbt: the top 1 every 10 ms when it changed.
//
// Perpetual sizes are in contracts (ctVal), as OKX's are. OKX announced in
// 2026 that checksum is deprecated (0 from June 2026) in favour of
// seqId/prevSeqId; the server still computes it, so clients that check
// it keep working.

// bookChan is one book channel's depth and cadence.
type bookChan struct {
	depth int
	step  time.Duration // OKX's push frequency
	every time.Duration // how often the session looks (a multiple of step)
	full  bool          // each push the whole book (books5, bbo-tbt)
}

var bookChans = map[string]bookChan{
	"books":          {depth: 400, step: 100 * time.Millisecond, every: 100 * time.Millisecond},
	"books-l2-tbt":   {depth: 400, step: 10 * time.Millisecond, every: 100 * time.Millisecond},
	"books50-l2-tbt": {depth: 50, step: 10 * time.Millisecond, every: 100 * time.Millisecond},
	"books5":         {depth: 5, step: 100 * time.Millisecond, every: 100 * time.Millisecond, full: true},
	"bbo-tbt":        {depth: 1, step: 10 * time.Millisecond, every: 100 * time.Millisecond, full: true},
}

// checksumLevels is how many levels a side OKX's checksum covers.
const checksumLevels = 25

// Checksum is OKX's order book checksum: the CRC-32 (IEEE) of the top 25
// bids and asks interleaved as "bid1px:bid1sz:ask1px:ask1sz:bid2px:...",
// each the exact string pushed; when one side has fewer levels the other
// side's go on alone. OKX sends it as a signed 32-bit integer.
func Checksum(bids, asks [][2]string) int32 {
	var b []byte
	for i := 0; i < checksumLevels && (i < len(bids) || i < len(asks)); i++ {
		for _, side := range [][][2]string{bids, asks} {
			if i < len(side) {
				if len(b) > 0 {
					b = append(b, ':')
				}
				b = append(b, side[i][0]...)
				b = append(b, ':')
				b = append(b, side[i][1]...)
			}
		}
	}
	return int32(crc32.ChecksumIEEE(b))
}

// bookEnc writes one instrument's levels the OKX way.
type bookEnc struct {
	exp  int
	swap bool
}

func (h *handler) bookEnc(instID string) bookEnc {
	exp, swap := h.contractExp(instID)
	return bookEnc{exp, swap}
}

func (e bookEnc) size(d cc.Decimal) cc.Decimal {
	if e.swap {
		return shift(d, -e.exp)
	}
	return d
}

// orders is the number of orders at a level OKX reports: the book models
// sizes only, so a count that is the same for the same level (1 to 8),
// 0 for a removed one.
func orders(l cc.BookLevel) int64 {
	if l.Size.IsZero() {
		return 0
	}
	x := uint64(l.Price.Units)*0x9e3779b97f4a7c15 ^ uint64(l.Size.Units)
	x ^= x >> 29
	return int64(x%8) + 1
}

// levels writes [[px,sz,"0",orders],...].
func (e bookEnc) levels(b []byte, ls []cc.BookLevel) []byte {
	b = append(b, '[')
	for i, l := range ls {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `["`...)
		b = num(b, l.Price)
		b = append(b, `","`...)
		b = num(b, e.size(l.Size))
		b = append(b, `","0","`...)
		b = strconv.AppendInt(b, orders(l), 10)
		b = append(b, `"]`...)
	}
	return append(b, ']')
}

// checksum is Checksum of bk as pushed.
func (e bookEnc) checksum(bk *cc.Book) int32 {
	side := func(ls []cc.BookLevel) [][2]string {
		ls = ls[:min(len(ls), checksumLevels)]
		out := make([][2]string, len(ls))
		var buf []byte
		for i, l := range ls {
			buf = num(buf[:0], l.Price)
			out[i][0] = string(buf)
			buf = num(buf[:0], e.size(l.Size))
			out[i][1] = string(buf)
		}
		return out
	}
	return Checksum(side(bk.Bids), side(bk.Asks))
}

// books serves /api/v5/market/books (max 400) and books-full (max 5000).
func (h *handler) books(w http.ResponseWriter, r *http.Request, q url.Values) {
	limit := 400
	if r.URL.Path == "/api/v5/market/books-full" {
		limit = 5000
	}
	id := q.Get("instId")
	if id == "" {
		h.emptyParam(w, "instId")
		return
	}
	sz := 1
	if s := q.Get("sz"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			h.paramError(w, "sz")
			return
		}
		sz = min(n, limit)
	}
	if _, ok := h.pairOf(id); !ok {
		h.fail(w, http.StatusOK, "51001", msgNoInstrument)
		return
	}
	if h.env.Books == nil {
		h.fail(w, http.StatusServiceUnavailable, "50001", msgUnavailable)
		return
	}
	// The book on kit's 100 ms grid, so a snapshot is one a books
	// stream's push also reaches (same seqId).
	bk, err := h.env.Books.Book(r.Context(), id, kit.BookTime(h.env.SnapshotTime(r).UnixMilli()), sz)
	if err != nil {
		h.fail(w, http.StatusServiceUnavailable, "50001", msgUnavailable)
		return
	}
	e := h.bookEnc(id)
	b := append([]byte(nil), `[{"asks":`...)
	b = e.levels(b, bk.Asks)
	b = append(b, `,"bids":`...)
	b = e.levels(b, bk.Bids)
	b = append(b, `,"ts":"`...)
	b = strconv.AppendInt(b, bk.Time/1000, 10)
	b = append(b, `"}]`...)
	h.ok(w, b)
}

// corruptChecksum makes a books update's checksum wrong (book_corrupt).
var corruptChecksum = kit.CorruptChecksum("checksum")

// bookChannel starts a book channel; handled is false for other channels.
func (p *wsProtocol) bookChannel(s *plugins.Session, c *conn, a wsArg, wrong string) (handled bool, msg string) {
	ch, ok := bookChans[a.Channel]
	if !ok {
		return false, ""
	}
	h := p.h
	if p.business || h.env.Books == nil {
		return true, wrong
	}
	if _, ok := h.pairOf(a.InstID); !ok {
		return true, wrong
	}
	e := h.bookEnc(a.InstID)
	prev := int64(-1)
	// Diffs go out through the protocol faults (gap, duplicate, reorder,
	// a wrong checksum), keyed by the channel's book.
	bookKey := a.Channel + ":" + a.InstID
	send := func(b []byte) bool {
		c.touch()
		return s.Push(bookKey, b) == nil
	}
	sendDiff := func(b []byte) bool {
		c.touch()
		return s.PushBookDiff(bookKey, b, corruptChecksum) == nil
	}
	var out kit.BookStream
	if ch.full {
		whole := func(bk *cc.Book) bool {
			b := appendArg(nil, a)
			b = append(b, `{"asks":`...)
			b = e.levels(b, bk.Asks)
			b = append(b, `,"bids":`...)
			b = e.levels(b, bk.Bids)
			if a.Channel == "books5" {
				b = append(b, `,"instId":"`...)
				b = append(b, a.InstID...)
				b = append(b, '"')
			}
			b = append(b, `,"ts":"`...)
			b = strconv.AppendInt(b, bk.Time/1000, 10)
			b = append(b, `","seqId":`...)
			b = strconv.AppendInt(b, bk.Seq, 10)
			return send(append(b, "}]}"...))
		}
		out = kit.BookStream{Snapshot: whole, Diff: func(_ cc.BookDiff, after *cc.Book) bool { return whole(after) }}
	} else {
		frame := func(action string, asks, bids []cc.BookLevel, after *cc.Book, ts int64) []byte {
			b := append([]byte(nil), `{"arg":{"channel":"`...)
			b = append(b, a.Channel...)
			b = append(b, `","instId":"`...)
			b = append(b, a.InstID...)
			b = append(b, `"},"action":"`...)
			b = append(b, action...)
			b = append(b, `","data":[{"asks":`...)
			b = e.levels(b, asks)
			b = append(b, `,"bids":`...)
			b = e.levels(b, bids)
			b = append(b, `,"ts":"`...)
			b = strconv.AppendInt(b, ts/1000, 10)
			b = append(b, `","checksum":`...)
			b = strconv.AppendInt(b, int64(e.checksum(after)), 10)
			b = append(b, `,"prevSeqId":`...)
			b = strconv.AppendInt(b, prev, 10)
			b = append(b, `,"seqId":`...)
			b = strconv.AppendInt(b, after.Seq, 10)
			prev = after.Seq
			return append(b, "}]}"...)
		}
		out = kit.BookStream{
			Snapshot: func(bk *cc.Book) bool { return send(frame("snapshot", bk.Asks, bk.Bids, bk, bk.Time)) },
			Diff: func(d cc.BookDiff, after *cc.Book) bool {
				return sendDiff(frame("update", d.Asks, d.Bids, after, d.Time))
			},
		}
	}
	// Subscribing again restarts the channel with a new snapshot, which
	// is how a client (ccxt after a sequence or checksum error) recovers
	// without reconnecting.
	s.Unsubscribe(bookKey)
	if err := kit.SubscribeBook(s, bookKey, a.InstID, ch.depth, ch.step, ch.every, out); err != nil {
		return true, wrong
	}
	return true, ""
}
