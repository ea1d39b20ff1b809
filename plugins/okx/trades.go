package okx

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// Trades from env.Tape: /api/v5/market/trades (the latest, up to 500) and
// /api/v5/market/history-trades (paging back by tradeId, type=1, or by
// time in ms, type=2; after = older than, before = newer than; up to
// 100). Both answer newest first, in the rows
// {"instId","side","sz","px","source","tradeId","ts"}; a perpetual's sz
// is in contracts.

const (
	tradesDefault  = 100
	tradesMax      = 500
	historyDefault = 100
	historyMax     = 100
)

// tradesLimit reads limit: default def, at most max (OKX caps larger
// values), an error for anything not a positive integer.
func (h *handler) tradesLimit(w http.ResponseWriter, q url.Values, def, most int) (int, bool) {
	s := q.Get("limit")
	if s == "" {
		return def, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		h.paramError(w, "limit")
		return 0, false
	}
	if n == 0 {
		return def, true
	}
	return min(n, most), true
}

// instID checks instId: present (50014) and served (51001).
func (h *handler) instID(w http.ResponseWriter, q url.Values) (string, bool) {
	id := q.Get("instId")
	if id == "" {
		h.emptyParam(w, "instId")
		return "", false
	}
	if _, ok := h.pairOf(id); !ok {
		h.fail(w, http.StatusOK, "51001", msgNoInstrument)
		return "", false
	}
	return id, true
}

// unavailable answers a route whose source the mode lacks, or an error of
// the source, in OKX's words.
func (h *handler) unavailable(w http.ResponseWriter, err error) {
	if errors.Is(err, cc.ErrUnknownSymbol) {
		h.fail(w, http.StatusOK, "51001", msgNoInstrument)
		return
	}
	h.fail(w, http.StatusServiceUnavailable, "50001", msgUnavailable)
}

// nowMicros is the tape's present: the clock's millisecond, inclusive.
func (h *handler) nowMicros() int64 { return h.env.Clock.NowMillis()*1000 + 999 }

func (h *handler) trades(w http.ResponseWriter, r *http.Request, q url.Values) {
	id, ok := h.instID(w, q)
	if !ok {
		return
	}
	limit, ok := h.tradesLimit(w, q, tradesDefault, tradesMax)
	if !ok {
		return
	}
	if h.env.Tape == nil {
		h.unavailable(w, nil)
		return
	}
	ts, err := h.env.Tape.Trades(r.Context(), cc.TradeQuery{Symbol: id, Limit: limit, Newest: true, Now: h.nowMicros()})
	if err != nil {
		h.unavailable(w, err)
		return
	}
	h.ok(w, h.appendTrades(nil, id, ts))
}

func (h *handler) historyTrades(w http.ResponseWriter, r *http.Request, q url.Values) {
	id, ok := h.instID(w, q)
	if !ok {
		return
	}
	limit, ok := h.tradesLimit(w, q, historyDefault, historyMax)
	if !ok {
		return
	}
	byTime := false
	switch q.Get("type") {
	case "", "1":
	case "2":
		byTime = true
	default:
		h.paramError(w, "type")
		return
	}
	var after, before int64
	var hasAfter, hasBefore bool
	for _, p := range []struct {
		name string
		v    *int64
		set  *bool
	}{{"after", &after, &hasAfter}, {"before", &before, &hasBefore}} {
		if s := q.Get(p.name); s != "" {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil || v < 0 {
				h.paramError(w, p.name)
				return
			}
			*p.v, *p.set = v, true
		}
	}
	if h.env.Tape == nil {
		h.unavailable(w, nil)
		return
	}
	tq := cc.TradeQuery{Symbol: id, Limit: limit, Now: h.nowMicros(), Newest: true}
	switch {
	case byTime:
		if hasAfter {
			tq.End = after * 1000 // older than the ms after
		}
		if hasBefore {
			tq.Start = (before + 1) * 1000 // newer than the ms before
		}
	default:
		if hasAfter {
			tq.ToID = after
		}
		if hasBefore {
			tq.FromID = before + 1
		}
	}
	if hasBefore && !hasAfter {
		// Only before: the page just newer than it, as OKX pages forward.
		tq.Newest = false
	}
	var ts []cc.Trade
	if !(hasAfter && ((byTime && after <= 0) || (!byTime && after <= 1))) {
		var err error
		if ts, err = h.env.Tape.Trades(r.Context(), tq); err != nil {
			h.unavailable(w, err)
			return
		}
	}
	h.ok(w, h.appendTrades(nil, id, ts))
}

// appendTrades writes ts (oldest first) as OKX's data array, newest first.
func (h *handler) appendTrades(b []byte, id string, ts []cc.Trade) []byte {
	exp, swap := h.contractExp(id)
	b = append(b, '[')
	for i := len(ts) - 1; i >= 0; i-- {
		if i != len(ts)-1 {
			b = append(b, ',')
		}
		b = appendTrade(b, id, ts[i], exp, swap)
	}
	return append(b, ']')
}

// appendTrade writes one trade object in the documented field order.
func appendTrade(b []byte, id string, t cc.Trade, exp int, swap bool) []byte {
	side := "buy"
	if t.BuyerMaker {
		side = "sell"
	}
	sz := t.Size
	if swap {
		sz = shift(sz, -exp)
	}
	b = append(b, `{"instId":"`...)
	b = append(b, id...)
	b = append(b, `","side":"`...)
	b = append(b, side...)
	b = append(b, `","sz":"`...)
	b = num(b, sz)
	b = append(b, `","px":"`...)
	b = num(b, t.Price)
	b = append(b, `","source":"0","tradeId":"`...)
	b = strconv.AppendInt(b, t.ID, 10)
	b = append(b, `","ts":"`...)
	b = strconv.AppendInt(b, t.Millis(), 10)
	return append(b, `"}`...)
}

// lastTrade is the last trade at or before now (ms), ok false when the
// mode has no tape or nothing traded.
func (h *handler) lastTrade(ctx context.Context, id string, now int64) (cc.Trade, bool) {
	if h.env.Tape == nil {
		return cc.Trade{}, false
	}
	ts, err := h.env.Tape.Trades(ctx, cc.TradeQuery{Symbol: id, Limit: 1, Newest: true, Now: now*1000 + 999})
	if err != nil || len(ts) == 0 {
		return cc.Trade{}, false
	}
	return ts[0], true
}

// lastPrice is kit.LastPrice on the handler's env.
func (h *handler) lastPrice(ctx context.Context, sym string, now int64) (cc.Decimal, error) {
	return kit.LastPrice(ctx, h.env, sym, now)
}
