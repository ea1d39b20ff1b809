package okx

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	cc "github.com/candlecassette/candlecassette"
)

// The perpetual's public data from env.Derivs: /api/v5/public/mark-price,
// funding-rate, funding-rate-history, open-interest and
// /api/v5/market/index-tickers, and the mark and index candles. An index
// is named BASE-QUOTE (BTC-USDT) whatever the instrument.

const (
	fundingPeriod     = 8 * hour // OKX settles at 00:00, 08:00 and 16:00 UTC
	fundingCap        = "0.00375"
	fundingFloor      = "-0.00375"
	fundingHistoryMax = 400
)

// instTypeOf reads the required instType of the public data endpoints:
// 50014 when absent, 51000 when not one of allowed.
func (h *handler) instTypeOf(w http.ResponseWriter, q url.Values, allowed ...string) (string, bool) {
	t := q.Get("instType")
	if t == "" {
		h.emptyParam(w, "instType")
		return "", false
	}
	for _, a := range allowed {
		if a == t {
			return t, true
		}
	}
	h.paramError(w, "instType")
	return "", false
}

// selected lists the served instruments a request names: instId when
// given (51001 when not served), else every one when typ is the
// exchange's own type, else none.
func (h *handler) selected(w http.ResponseWriter, q url.Values, typ string) ([]string, bool) {
	if id := q.Get("instId"); id != "" {
		if _, ok := h.pairOf(id); !ok || typeOf(id) != typ {
			h.fail(w, http.StatusOK, "51001", msgNoInstrument)
			return nil, false
		}
		return []string{id}, true
	}
	var ids []string
	if typ == h.ex.instType || (typ == "MARGIN" && h.ex.instType == "SPOT") {
		for _, p := range h.env.Pairs {
			ids = append(ids, p.Symbol)
		}
	}
	return ids, true
}

// typeOf is the instrument type an instrument id names; spot
// instruments are listed as MARGIN ones by the public data endpoints.
func typeOf(id string) string {
	if isSwap(id) {
		return "SWAP"
	}
	return "MARGIN"
}

// perp is the state of a perpetual at now (ms).
func (h *handler) perp(ctx context.Context, id string, now int64) (cc.PerpState, error) {
	if h.env.Derivs == nil || !isSwap(id) {
		return cc.PerpState{}, errNoDerivs
	}
	return h.env.Derivs.Perp(ctx, id, now)
}

type noDerivs struct{}

func (noDerivs) Error() string { return "okx: no perpetual data in this mode" }

var errNoDerivs error = noDerivs{}

func (h *handler) markPrice(w http.ResponseWriter, r *http.Request, q url.Values) {
	typ, ok := h.instTypeOf(w, q, "MARGIN", "SWAP", "FUTURES", "OPTION")
	if !ok {
		return
	}
	ids, ok := h.selected(w, q, typ)
	if !ok {
		return
	}
	now := h.env.Clock.NowMillis()
	list := []map[string]string{}
	for _, id := range ids {
		var mark cc.Decimal
		if isSwap(id) {
			st, err := h.perp(r.Context(), id, now)
			if err != nil {
				h.unavailable(w, err)
				return
			}
			mark = st.Mark
		} else {
			// A margin pair's mark is its spot price.
			last, err := h.lastPrice(r.Context(), id, now)
			if err != nil {
				h.unavailable(w, err)
				return
			}
			mark = last
		}
		list = append(list, map[string]string{"instType": typ, "instId": id, "markPx": str(mark), "ts": strconv.FormatInt(now, 10)})
	}
	h.ok(w, mustJSON(list))
}

// fundingOf is the funding-rate object of id at now, as the REST
// endpoint and the funding-rate channel send it.
func (h *handler) fundingOf(ctx context.Context, id string, now int64) (map[string]string, error) {
	st, err := h.perp(ctx, id, now)
	if err != nil {
		return nil, err
	}
	settled := ""
	if fs, err := h.env.Derivs.FundingHistory(ctx, id, st.NextFunding-fundingPeriod, st.NextFunding, now); err == nil && len(fs) > 0 {
		settled = str(fs[len(fs)-1].Rate)
	}
	return map[string]string{
		"formulaType":     "noRate",
		"fundingRate":     str(st.FundingRate),
		"fundingTime":     strconv.FormatInt(st.NextFunding, 10),
		"impactValue":     "",
		"instId":          id,
		"instType":        "SWAP",
		"interestRate":    "0.0001",
		"maxFundingRate":  fundingCap,
		"method":          "current_period",
		"minFundingRate":  fundingFloor,
		"nextFundingRate": "",
		"nextFundingTime": strconv.FormatInt(st.NextFunding+fundingPeriod, 10),
		"premium":         str(st.Premium),
		"settFundingRate": settled,
		"settState":       "settled",
		"ts":              strconv.FormatInt(now, 10),
	}, nil
}

func (h *handler) fundingRate(w http.ResponseWriter, r *http.Request, q url.Values) {
	id, ok := h.instID(w, q)
	if !ok {
		return
	}
	if !isSwap(id) {
		h.fail(w, http.StatusOK, "51001", msgNoInstrument)
		return
	}
	f, err := h.fundingOf(r.Context(), id, h.env.Clock.NowMillis())
	if err != nil {
		h.unavailable(w, err)
		return
	}
	h.ok(w, mustJSON([]map[string]string{f}))
}

// fundingHistory pages by fundingTime: after = older than, before = newer
// than, newest first, up to 400.
func (h *handler) fundingHistory(w http.ResponseWriter, r *http.Request, q url.Values) {
	id, ok := h.instID(w, q)
	if !ok {
		return
	}
	if !isSwap(id) {
		h.fail(w, http.StatusOK, "51001", msgNoInstrument)
		return
	}
	limit, ok := h.tradesLimit(w, q, fundingHistoryMax, fundingHistoryMax)
	if !ok {
		return
	}
	now := h.env.Clock.NowMillis()
	end, start := now+1, int64(0)
	hasBefore := false
	for _, p := range []struct {
		name string
		set  func(int64)
	}{{"after", func(v int64) { end = min(end, v) }}, {"before", func(v int64) { start, hasBefore = v+1, true }}} {
		if s := q.Get(p.name); s != "" {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil || v < 0 {
				h.paramError(w, p.name)
				return
			}
			p.set(v)
		}
	}
	if !hasBefore || start < end-int64(limit)*fundingPeriod {
		start = end - int64(limit)*fundingPeriod
	}
	if h.env.Derivs == nil {
		h.unavailable(w, nil)
		return
	}
	var fs []cc.Funding
	if start < end {
		var err error
		if fs, err = h.env.Derivs.FundingHistory(r.Context(), id, start, end, now); err != nil {
			h.unavailable(w, err)
			return
		}
	}
	if len(fs) > limit {
		fs = fs[len(fs)-limit:]
	}
	list := make([]map[string]string, 0, len(fs))
	for i := len(fs) - 1; i >= 0; i-- {
		f := fs[i]
		list = append(list, map[string]string{
			"formulaType":  "noRate",
			"fundingRate":  str(f.Rate),
			"fundingTime":  strconv.FormatInt(f.Time, 10),
			"instId":       id,
			"instType":     "SWAP",
			"method":       "current_period",
			"realizedRate": str(f.Rate),
		})
	}
	h.ok(w, mustJSON(list))
}

// openInterestOf is id's open interest object at now: oi in contracts,
// oiCcy in base currency, oiUsd its value at the mark.
func (h *handler) openInterestOf(ctx context.Context, id string, now int64) (map[string]string, error) {
	st, err := h.perp(ctx, id, now)
	if err != nil {
		return nil, err
	}
	exp, _ := h.contractExp(id)
	usd := st.OpenInterest.Mul(st.Mark)
	return map[string]string{
		"instType": "SWAP",
		"instId":   id,
		"oi":       str(shift(st.OpenInterest, -exp)),
		"oiCcy":    str(st.OpenInterest),
		"oiUsd":    usd.Fixed(2),
		"ts":       strconv.FormatInt(now, 10),
	}, nil
}

func (h *handler) openInterest(w http.ResponseWriter, r *http.Request, q url.Values) {
	typ, ok := h.instTypeOf(w, q, "SWAP", "FUTURES", "OPTION")
	if !ok {
		return
	}
	ids, ok := h.selected(w, q, typ)
	if !ok {
		return
	}
	now := h.env.Clock.NowMillis()
	list := []map[string]string{}
	for _, id := range ids {
		o, err := h.openInterestOf(r.Context(), id, now)
		if err != nil {
			h.unavailable(w, err)
			return
		}
		list = append(list, o)
	}
	h.ok(w, mustJSON(list))
}

// indexSymbol is the served perpetual whose index is named name
// (BTC-USDT).
func (h *handler) indexSymbol(name string) (string, bool) {
	for _, p := range h.env.Pairs {
		if p.Base+"-"+p.Quote == name && isSwap(p.Symbol) {
			return p.Symbol, true
		}
	}
	return "", false
}

// indexTickerOf is the index-tickers object of index name (of perpetual
// sym) at now: idxPx and its 24h open, high and low from the index
// candles, and the opens of the UTC and UTC+8 days.
func (h *handler) indexTickerOf(ctx context.Context, name, sym string, now int64) (map[string]string, error) {
	if h.env.Derivs == nil {
		return nil, errNoDerivs
	}
	m := h.env.Derivs.Prices(cc.IndexPrice)
	st, err := cc.RollingStats(ctx, m, nil, sym, 24*hour, now)
	if err != nil {
		return nil, err
	}
	sod := func(b bar) string {
		cs, err := b.candles(ctx, m, sym, b.open(now), b.open(now), now)
		if err != nil || len(cs) == 0 {
			return str(st.Last)
		}
		return str(cs[0].Open)
	}
	return map[string]string{
		"instId":  name,
		"idxPx":   str(st.Last),
		"high24h": str(st.High),
		"low24h":  str(st.Low),
		"open24h": str(st.Open),
		"sodUtc0": sod(bars["1Dutc"]),
		"sodUtc8": sod(bars["1D"]),
		"ts":      strconv.FormatInt(now, 10),
	}, nil
}

func (h *handler) indexTickers(w http.ResponseWriter, r *http.Request, q url.Values) {
	name, quote := q.Get("instId"), q.Get("quoteCcy")
	if name == "" && quote == "" {
		h.emptyParam(w, "quoteCcy")
		return
	}
	now := h.env.Clock.NowMillis()
	list := []map[string]string{}
	for _, p := range h.env.Pairs {
		n := p.Base + "-" + p.Quote
		if (name != "" && n != name) || (quote != "" && p.Quote != quote) || !isSwap(p.Symbol) {
			continue
		}
		t, err := h.indexTickerOf(r.Context(), n, p.Symbol, now)
		if err != nil {
			h.unavailable(w, err)
			return
		}
		list = append(list, t)
	}
	if name != "" && len(list) == 0 {
		h.fail(w, http.StatusOK, "51001", msgNoInstrument)
		return
	}
	h.ok(w, mustJSON(list))
}
