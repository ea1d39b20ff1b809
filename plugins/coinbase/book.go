package coinbase

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// Order books. REST GET /api/v3/brokerage/market/product_book?product_id
// &limit: {"pricebook":{"product_id","bids":[{"price","size"}],"asks",
// "time"},"last","mid_market","spread_bps","spread_absolute"}, without a
// limit every level the book models. WS channel level2 (messages on
// channel "l2_data"): a snapshot event of the book, then update events
// with the levels that changed (new_quantity "0": removed), sides "bid"
// and "offer", each message with the connection's next sequence_num.
//
// Coinbase's level2 carries the whole book; here it carries the top
// l2Depth levels a side (a level that falls below them is removed as if
// it left the book) so each step of the stream stays cheap.

const (
	l2Depth = 1000
	l2Step  = 50 * time.Millisecond // Coinbase streams changes as they happen: batched per 50 ms
	l2Look  = 100 * time.Millisecond
)

// appendNum writes a price or size as Coinbase does: no trailing zeros.
func appendNum(b []byte, d cc.Decimal) []byte { return d.AppendTrim(b, int(d.Scale)) }

// productBook serves GET /api/v3/brokerage/market/product_book.
func (h *handler) productBook(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	id := q.Get("product_id")
	if id == "" {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "product_id is required")
		return
	}
	limit := 0
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "invalid limit: "+strconv.Quote(s))
			return
		}
		limit = n
	}
	pair, found := h.env.PairBySymbol(id)
	if !found || h.env.Books == nil {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "ProductID "+id+" could not be found")
		return
	}
	// The book on kit's 100 ms grid, which the level2 stream also reaches.
	at := kit.BookTime(h.env.SnapshotTime(r).UnixMilli())
	bk, err := h.env.Books.Book(r.Context(), pair.Symbol, at, limit)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "INTERNAL", "internal server error")
		return
	}
	side := func(b []byte, ls []cc.BookLevel) []byte {
		b = append(b, '[')
		for i, l := range ls {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"price":"`...)
			b = appendNum(b, l.Price)
			b = append(b, `","size":"`...)
			b = appendNum(b, l.Size)
			b = append(b, `"}`...)
		}
		return append(b, ']')
	}
	b := append([]byte(`{"pricebook":{"product_id":"`), id...)
	b = append(b, `","bids":`...)
	b = side(b, bk.Bids)
	b = append(b, `,"asks":`...)
	b = side(b, bk.Asks)
	b = append(b, `,"time":"`...)
	b = append(b, time.UnixMicro(bk.Time).UTC().Format(time.RFC3339Nano)...)
	b = append(b, `"}`...)
	if len(bk.Bids) > 0 && len(bk.Asks) > 0 {
		bid, ask := bk.Bids[0].Price, bk.Asks[0].Price
		spread := ask.Add(cc.Decimal{Units: -bid.Units, Scale: bid.Scale})
		mid := bid.Add(ask).Mul(cc.MustDecimal("0.5"))
		last := mid
		if h.env.Tape != nil {
			if ts, err := h.env.Tape.Trades(r.Context(), cc.TradeQuery{Symbol: pair.Symbol, Limit: 1, Newest: true, Now: at}); err == nil && len(ts) == 1 {
				last = ts[0].Price
			}
		}
		bps := strconv.FormatFloat(spread.Float64()/mid.Float64()*10_000, 'f', 12, 64)
		bps = strings.TrimRight(strings.TrimRight(bps, "0"), ".")
		b = append(b, `,"last":"`...)
		b = appendNum(b, last)
		b = append(b, `","mid_market":"`...)
		b = appendNum(b, mid)
		b = append(b, `","spread_bps":"`...)
		b = append(b, bps...)
		b = append(b, `","spread_absolute":"`...)
		b = appendNum(b, spread)
		b = append(b, '"')
	}
	writeRaw(w, http.StatusOK, append(b, '}'))
}

// appendL2 writes l2_data updates of one side ("bid" or "offer") at t.
func appendL2(b []byte, side string, ls []cc.BookLevel, t string) []byte {
	for _, l := range ls {
		if b[len(b)-1] != '[' {
			b = append(b, ',')
		}
		b = append(b, `{"side":"`...)
		b = append(b, side...)
		b = append(b, `","event_time":"`...)
		b = append(b, t...)
		b = append(b, `","price_level":"`...)
		b = appendNum(b, l.Price)
		b = append(b, `","new_quantity":"`...)
		b = appendNum(b, l.Size)
		b = append(b, `"}`...)
	}
	return b
}

// subscribeLevel2 starts level2 for id on s.
func (p *wsProto) subscribeLevel2(s *plugins.Session, id string) error {
	env := s.Env()
	if env.Books == nil {
		return errNoData
	}
	pair, _ := env.PairBySymbol(id)
	key := "level2:" + id
	event := func(kind string, bids, asks []cc.BookLevel, at int64) bool {
		t := time.UnixMicro(at).UTC().Format(time.RFC3339Nano)
		b := append([]byte(`[{"type":"`), kind...)
		b = append(b, `","product_id":"`...)
		b = append(b, id...)
		b = append(b, `","updates":[`...)
		b = appendL2(b, "bid", bids, t)
		b = appendL2(b, "offer", asks, t)
		b = append(b, "]}]"...)
		p.mu.Lock()
		defer p.mu.Unlock()
		if !s.Subscribed(key) || s.Context().Err() != nil {
			return false
		}
		book := ""
		if kind == "update" {
			book = key
		}
		p.sendLockedAs(s, "l2_data", time.UnixMicro(at), json.RawMessage(b), book)
		return true
	}
	return kit.SubscribeBook(s, key, pair.Symbol, l2Depth, l2Step, l2Look, kit.BookStream{
		Snapshot: func(bk *cc.Book) bool { return event("snapshot", bk.Bids, bk.Asks, bk.Time) },
		Diff:     func(d cc.BookDiff, _ *cc.Book) bool { return event("update", d.Bids, d.Asks, d.Time) },
	})
}
