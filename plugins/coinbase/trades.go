package coinbase

import (
	"net/http"
	"strconv"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// Market trades: GET /api/v3/brokerage/market/products/{id}/ticker, the
// newest `limit` trades of [start, end) (Unix seconds, both optional),
// newest first, with the touch right after the tape's last trade as
// best_bid and best_ask; every figure from env.Tape and env.Quotes.

const (
	tradesDefaultLimit = 100
	tradesMaxLimit     = 1000
)

// tradeSide is a market trade's side as Coinbase reports it: the maker's
// (a print that hit the bid — its taker sold — is a BUY).
func tradeSide(t cc.Trade) string {
	if t.BuyerMaker {
		return "BUY"
	}
	return "SELL"
}

// rfc3339Micro is Coinbase's trade time: UTC, microseconds.
func rfc3339Micro(us int64) string {
	return time.UnixMicro(us).UTC().Format("2006-01-02T15:04:05.000000Z")
}

// appendTrade writes one market trade object.
func appendTrade(b []byte, id string, t cc.Trade, places int) []byte {
	b = append(b, `{"trade_id":"`...)
	b = strconv.AppendInt(b, t.ID, 10)
	b = append(b, `","product_id":"`...)
	b = append(b, id...)
	b = append(b, `","price":"`...)
	b = t.Price.Append(b, places)
	b = append(b, `","size":"`...)
	b = t.Size.AppendTrim(b, int(t.Size.Scale))
	b = append(b, `","time":"`...)
	b = append(b, rfc3339Micro(t.Time)...)
	b = append(b, `","side":"`...)
	b = append(b, tradeSide(t)...)
	return append(b, `","bid":"","ask":"","exchange":"coinbase"}`...)
}

// marketTrades serves the product's market trades.
func (h *handler) marketTrades(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	q := r.URL.Query()
	pair, found := h.env.PairBySymbol(id)
	if !found || h.env.Tape == nil {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "ProductID "+id+" could not be found")
		return
	}
	limit := tradesDefaultLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "invalid limit: "+strconv.Quote(s))
			return
		}
		limit = min(n, tradesMaxLimit)
	}
	var bounds [2]int64
	for i, k := range []string{"start", "end"} {
		if s := q.Get(k); s != "" {
			n, err := parseSeconds(s)
			if err != nil {
				writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "invalid "+k+": "+strconv.Quote(s))
				return
			}
			bounds[i] = n * 1_000_000
		}
	}
	start, end := bounds[0], bounds[1]
	if start != 0 && end != 0 && end <= start {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "start must be before end")
		return
	}
	ctx := r.Context()
	nowMs := h.env.Clock.NowMillis()
	tq := cc.TradeQuery{Symbol: pair.Symbol, Start: start, End: end, Limit: limit, Newest: true, Now: nowMs*1000 + 999}
	ts, err := h.env.Tape.Trades(ctx, tq)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "INTERNAL", "internal server error")
		return
	}
	last := cc.Decimal{}
	places := 2
	if len(ts) > 0 {
		last, places = ts[len(ts)-1].Price, int(ts[len(ts)-1].Price.Scale)
	}
	// The touch right after the tape's last trade (it holds none of the
	// second in progress), which ccxt takes as the last price: one at now
	// could be up to a second newer and miss it.
	t, err := kit.Touch(ctx, h.env, pair.Symbol, last, kit.Through(nowMs)*1000)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "INTERNAL", "internal server error")
		return
	}
	if len(ts) == 0 {
		places = int(t.Bid.Scale)
	}
	b := append(make([]byte, 0, 64+200*len(ts)), `{"trades":[`...)
	for i := len(ts) - 1; i >= 0; i-- {
		if i < len(ts)-1 {
			b = append(b, ',')
		}
		b = appendTrade(b, id, ts[i], places)
	}
	b = append(b, `],"best_bid":"`...)
	b = t.Bid.Append(b, places)
	b = append(b, `","best_ask":"`...)
	b = t.Ask.Append(b, places)
	b = append(b, `"}`...)
	writeRaw(w, http.StatusOK, b)
}
