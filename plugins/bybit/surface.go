package bybit

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// Trades, funding and open interest: /v5/market/recent-trade from
// env.Tape (newest first; spot up to 60, default 60; linear up to 1000,
// default 500), /v5/market/funding/history and /v5/market/open-interest
// from env.Derivs (newest first, paged back by endTime or, for open
// interest, the nextPageCursor).

const (
	fundingPeriod = 8 * 3_600_000 // Bybit settles at 00:00, 08:00 and 16:00 UTC
	fundingMax    = 200
	interestMax   = 200
	interestDef   = 50
)

// limitParam reads limit in [1, most] (default def); out of range is
// Bybit's params error.
func limitParam(q url.Values, def, most int) (int, error) {
	v, set, err := intParam(q, "limit")
	if err != nil {
		return 0, err
	}
	if !set {
		return def, nil
	}
	if v < 1 || v > int64(most) {
		return 0, errors.New("params error: limit must be in [1, " + strconv.Itoa(most) + "]")
	}
	return int(v), nil
}

// symbolOf checks the category (valid for the endpoint) and the symbol,
// answering Bybit's error itself.
func (h *handler) symbolOf(w http.ResponseWriter, q url.Values, valid ...string) (cat, sym string, ok bool) {
	cat = q.Get("category")
	if cat == "" {
		h.fail(w, http.StatusOK, codeParams, "params error: category is required")
		return "", "", false
	}
	known := false
	for _, v := range valid {
		known = known || v == cat
	}
	if !known {
		h.fail(w, http.StatusOK, codeParams, msgCategory)
		return "", "", false
	}
	sym = q.Get("symbol")
	if sym == "" {
		h.fail(w, http.StatusOK, codeParams, "params error: symbol is required")
		return "", "", false
	}
	if !h.served(cat, sym) {
		h.fail(w, http.StatusOK, codeParams, msgSymbol)
		return "", "", false
	}
	return cat, sym, true
}

// sourceError answers a failed or missing source.
func (h *handler) sourceError(w http.ResponseWriter, err error) {
	if errors.Is(err, cc.ErrUnknownSymbol) {
		h.fail(w, http.StatusOK, codeParams, msgSymbol)
		return
	}
	h.fail(w, http.StatusOK, codeInternal, "Internal System Error.")
}

func (h *handler) recentTrade(w http.ResponseWriter, r *http.Request, q url.Values) {
	cat, sym, ok := h.symbolOf(w, q, "spot", "linear", "inverse", "option")
	if !ok {
		return
	}
	def, most := 500, 1000
	if cat == "spot" {
		def, most = 60, 60
	}
	limit, err := limitParam(q, def, most)
	if err != nil {
		h.fail(w, http.StatusOK, codeParams, err.Error())
		return
	}
	if h.env.Tape == nil {
		h.sourceError(w, nil)
		return
	}
	now := h.env.Clock.NowMillis()
	ts, err := h.env.Tape.Trades(r.Context(), cc.TradeQuery{Symbol: sym, Limit: limit, Newest: true, Now: now*1000 + 999})
	if err != nil {
		h.sourceError(w, err)
		return
	}
	b := make([]byte, 0, 64+len(ts)*160)
	b = append(b, `{"category":"`...)
	b = append(b, cat...)
	b = append(b, `","list":[`...)
	for i := len(ts) - 1; i >= 0; i-- {
		if i != len(ts)-1 {
			b = append(b, ',')
		}
		b = appendTrade(b, sym, ts[i])
	}
	b = append(b, "]}"...)
	h.ok(w, b)
}

// side is the taker's side, Bybit's way.
func side(t cc.Trade) string {
	if t.BuyerMaker {
		return "Sell"
	}
	return "Buy"
}

// appendTrade writes one recent-trade row in the documented order.
func appendTrade(b []byte, sym string, t cc.Trade) []byte {
	b = append(b, `{"execId":"`...)
	b = strconv.AppendInt(b, t.ID, 10)
	b = append(b, `","symbol":"`...)
	b = append(b, sym...)
	b = append(b, `","price":"`...)
	b = num(b, t.Price)
	b = append(b, `","size":"`...)
	b = num(b, t.Size)
	b = append(b, `","side":"`...)
	b = append(b, side(t)...)
	b = append(b, `","time":"`...)
	b = strconv.AppendInt(b, t.Millis(), 10)
	return append(b, `","isBlockTrade":false,"isRPITrade":false}`...)
}

// window reads startTime and endTime of a paged history: endTime alone
// (or neither: up to now) gives the newest limit entries before it;
// startTime alone is Bybit's params error.
func window(q url.Values, now int64, period int64, limit int) (start, end int64, err error) {
	s, hasStart, err := intParam(q, "startTime")
	if err != nil {
		return 0, 0, err
	}
	e, hasEnd, err := intParam(q, "endTime")
	if err != nil {
		return 0, 0, err
	}
	if hasStart && !hasEnd {
		return 0, 0, errors.New("params error: endTime is required when startTime is set")
	}
	end = now + 1
	if hasEnd {
		end = min(e+1, end)
	}
	start = end - int64(limit)*period
	if hasStart && s > start {
		start = s
	}
	return start, end, nil
}

func (h *handler) fundingHistory(w http.ResponseWriter, r *http.Request, q url.Values) {
	_, sym, ok := h.symbolOf(w, q, "linear", "inverse")
	if !ok {
		return
	}
	limit, err := limitParam(q, fundingMax, fundingMax)
	if err != nil {
		h.fail(w, http.StatusOK, codeParams, err.Error())
		return
	}
	now := h.env.Clock.NowMillis()
	start, end, err := window(q, now, fundingPeriod, limit)
	if err != nil {
		h.fail(w, http.StatusOK, codeParams, err.Error())
		return
	}
	if h.env.Derivs == nil {
		h.sourceError(w, nil)
		return
	}
	var fs []cc.Funding
	if start < end {
		if fs, err = h.env.Derivs.FundingHistory(r.Context(), sym, start, end, now); err != nil {
			h.sourceError(w, err)
			return
		}
	}
	if len(fs) > limit {
		fs = fs[len(fs)-limit:]
	}
	list := make([]map[string]string, 0, len(fs))
	for i := len(fs) - 1; i >= 0; i-- {
		list = append(list, map[string]string{
			"symbol":               sym,
			"fundingRate":          str(fs[i].Rate),
			"fundingRateTimestamp": strconv.FormatInt(fs[i].Time, 10),
		})
	}
	h.ok(w, mustJSON(map[string]any{"category": "linear", "list": list}))
}

// interestIntervals are open-interest's intervalTime values in ms.
var interestIntervals = map[string]int64{
	"5min": 300_000, "15min": 900_000, "30min": 1_800_000,
	"1h": 3_600_000, "4h": 14_400_000, "1d": 86_400_000,
}

func (h *handler) openInterest(w http.ResponseWriter, r *http.Request, q url.Values) {
	cat, sym, ok := h.symbolOf(w, q, "linear", "inverse")
	if !ok {
		return
	}
	step, ok := interestIntervals[q.Get("intervalTime")]
	if !ok {
		h.fail(w, http.StatusOK, codeParams, "params error: intervalTime invalid")
		return
	}
	limit, err := limitParam(q, interestDef, interestMax)
	if err != nil {
		h.fail(w, http.StatusOK, codeParams, err.Error())
		return
	}
	now := h.env.Clock.NowMillis()
	start, end, err := window(q, now, step, limit)
	if err != nil {
		h.fail(w, http.StatusOK, codeParams, err.Error())
		return
	}
	if c := q.Get("cursor"); c != "" {
		// The cursor is the end (exclusive) of the next page back.
		v, err := strconv.ParseInt(c, 10, 64)
		if err != nil || v <= 0 {
			h.fail(w, http.StatusOK, codeParams, "params error: cursor invalid")
			return
		}
		end = min(end, v)
		if s, hasStart, _ := intParam(q, "startTime"); hasStart {
			start = max(s, end-int64(limit)*step)
		} else {
			start = end - int64(limit)*step
		}
	}
	if h.env.Derivs == nil {
		h.sourceError(w, nil)
		return
	}
	list := []map[string]string{}
	last := ((end - 1) / step) * step // the newest boundary before end
	var t int64
	for t = last; t >= start && len(list) < limit; t -= step {
		st, err := h.env.Derivs.Perp(r.Context(), sym, t)
		if err != nil {
			h.sourceError(w, err)
			return
		}
		list = append(list, map[string]string{"openInterest": str(st.OpenInterest), "timestamp": strconv.FormatInt(t, 10)})
	}
	cursor := ""
	if len(list) == limit {
		cursor = strconv.FormatInt(t+step, 10)
	}
	h.ok(w, mustJSON(map[string]any{"symbol": sym, "category": cat, "list": list, "nextPageCursor": cursor}))
}

// lastPrice is kit.LastPrice on the handler's env.
func (h *handler) lastPrice(ctx context.Context, sym string, now int64) (cc.Decimal, error) {
	return kit.LastPrice(ctx, h.env, sym, now)
}
