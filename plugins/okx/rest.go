package okx

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// OKX's error messages, from its error code table.
const (
	msgNoInstrument = "Instrument ID, Instrument ID code, or Spread ID doesn't exist."
	msgUnavailable  = "Service temporarily unavailable. Please try again later."
)

type handler struct {
	ex  *Exchange
	env *plugins.Env
}

// Handler implements plugins.Plugin.
func (e *Exchange) Handler(env *plugins.Env) http.Handler {
	return &handler{ex: e, env: env}
}

// restRoute serves one GET (or HEAD) REST path with its parsed query.
type restRoute func(h *handler, w http.ResponseWriter, r *http.Request, q url.Values)

// restRoutes and wsPaths are the route table both ServeHTTP and Routes
// are built from.
var (
	restRoutes = map[string]restRoute{
		"/api/v5/market/trades":                     (*handler).trades,
		"/api/v5/market/history-trades":             (*handler).historyTrades,
		"/api/v5/market/index-tickers":              (*handler).indexTickers,
		"/api/v5/public/mark-price":                 (*handler).markPrice,
		"/api/v5/public/funding-rate":               (*handler).fundingRate,
		"/api/v5/public/funding-rate-history":       (*handler).fundingHistory,
		"/api/v5/public/open-interest":              (*handler).openInterest,
		"/api/v5/market/candles":                    candlesRoute,
		"/api/v5/market/history-candles":            candlesRoute,
		"/api/v5/market/mark-price-candles":         candlesRoute,
		"/api/v5/market/history-mark-price-candles": candlesRoute,
		"/api/v5/market/index-candles":              candlesRoute,
		"/api/v5/market/history-index-candles":      candlesRoute,
		"/api/v5/public/instruments":                (*handler).instruments,
		"/api/v5/market/ticker":                     (*handler).ticker,
		"/api/v5/market/books":                      (*handler).books,
		"/api/v5/market/books-full":                 (*handler).books,
		"/api/v5/market/tickers":                    (*handler).tickers,
		// ccxt's fetchStatus: the scheduled maintenances, none here.
		"/api/v5/system/status": func(h *handler, w http.ResponseWriter, _ *http.Request, _ url.Values) {
			h.ok(w, []byte("[]"))
		},
		"/api/v5/public/time": func(h *handler, w http.ResponseWriter, _ *http.Request, _ url.Values) {
			h.ok(w, mustJSON([]map[string]string{{"ts": strconv.FormatInt(h.env.Clock.NowMillis(), 10)}}))
		},
	}
	wsPaths = []string{"/ws/v5/public", "/ws/v5/business"}
)

func candlesRoute(h *handler, w http.ResponseWriter, r *http.Request, q url.Values) {
	h.candles(w, r, q, endpoints[r.URL.Path])
}

// Routes implements plugins.Plugin from the handler's own table.
func (e *Exchange) Routes() (rest, ws []string) {
	for path := range restRoutes {
		rest = append(rest, path)
	}
	sort.Strings(rest)
	return rest, slices.Clone(wsPaths)
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if slices.Contains(wsPaths, r.URL.Path) {
		plugins.ServeWS(h.env, w, r, &wsProtocol{h: h, business: r.URL.Path == "/ws/v5/business"}, wsOptions)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.fail(w, http.StatusNotFound, "404", "Not Found")
		return
	}
	route, ok := restRoutes[r.URL.Path]
	if !ok {
		h.fail(w, http.StatusNotFound, "404", "Not Found")
		return
	}
	route(h, w, r, r.URL.Query())
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only our own plain values are marshalled
	}
	return b
}

// ok writes OKX's success envelope around data (a raw JSON array).
func (h *handler) ok(w http.ResponseWriter, data []byte) {
	b := make([]byte, 0, len(data)+32)
	b = append(b, `{"code":"0","msg":"","data":`...)
	b = append(b, data...)
	b = append(b, '}')
	writeBody(w, http.StatusOK, b)
}

// fail writes OKX's error envelope.
func (h *handler) fail(w http.ResponseWriter, status int, code, msg string) {
	writeBody(w, status, errorBody(code, msg))
}

func errorBody(code, msg string) []byte {
	b := append([]byte(`{"code":"`), code...)
	b = append(b, `","msg":`...)
	b = append(b, mustJSON(msg)...)
	return append(b, `,"data":[]}`...)
}

func writeBody(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// paramError is OKX's 51000 "Parameter {name} error" (HTTP 400).
func (h *handler) paramError(w http.ResponseWriter, name string) {
	h.fail(w, http.StatusBadRequest, "51000", "Parameter "+name+" error")
}

// emptyParam is OKX's 50014 "Parameter {name} can not be empty." (HTTP 400).
func (h *handler) emptyParam(w http.ResponseWriter, name string) {
	h.fail(w, http.StatusBadRequest, "50014", "Parameter "+name+" can not be empty.")
}

// endpoint is one of OKX's candle listings.
type endpoint struct {
	history bool // every bar, not only the latest 1,440
	price   bool // mark or index price: rows [ts,o,h,l,c,confirm]
	index   bool // instId names an index (BTC-USDT) rather than an instrument
	max     int  // most rows per request
	kind    cc.PriceKind
}

var endpoints = map[string]endpoint{
	"/api/v5/market/candles":                    {max: maxLimit},
	"/api/v5/market/history-candles":            {history: true, max: maxLimit},
	"/api/v5/market/mark-price-candles":         {price: true, max: maxPriceLimit, kind: cc.MarkPrice},
	"/api/v5/market/history-mark-price-candles": {history: true, price: true, max: maxPriceLimit, kind: cc.MarkPrice},
	"/api/v5/market/index-candles":              {price: true, index: true, max: maxPriceLimit, kind: cc.IndexPrice},
	"/api/v5/market/history-index-candles":      {history: true, price: true, index: true, max: maxPriceLimit, kind: cc.IndexPrice},
}

// candlesQuery is a parsed candles request.
type candlesQuery struct {
	instID              string // the market's symbol
	exp                 int    // contract value exponent (perpetual trade candles)
	swap                bool   // a perpetual's trade candles: vol in contracts
	bar                 bar
	after, before       int64
	hasAfter, hasBefore bool
	limit               int
}

// parseCandles validates a candles request; on failure it has written
// OKX's error and returns false.
func (h *handler) parseCandles(w http.ResponseWriter, q url.Values, ep endpoint) (candlesQuery, bool) {
	var cq candlesQuery
	cq.instID = q.Get("instId")
	if cq.instID == "" {
		h.emptyParam(w, "instId")
		return cq, false
	}
	name := q.Get("bar")
	if name == "" {
		name = "1m"
	}
	b, ok := bars[name]
	if !ok || (b.historyOnly && (!ep.history || ep.price)) {
		h.paramError(w, "bar")
		return cq, false
	}
	cq.bar = b
	for _, p := range []struct {
		name string
		v    *int64
		set  *bool
	}{{"after", &cq.after, &cq.hasAfter}, {"before", &cq.before, &cq.hasBefore}} {
		if s := q.Get(p.name); s != "" {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				h.paramError(w, p.name)
				return cq, false
			}
			*p.v, *p.set = v, true
		}
	}
	cq.limit = defaultLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			h.paramError(w, "limit")
			return cq, false
		}
		if n > 0 {
			cq.limit = min(n, ep.max)
		}
	}
	if ep.index {
		// An index is named BASE-QUOTE whatever the instrument type: the
		// perpetual's index series where there are derivatives.
		if sym, ok := h.indexSymbol(cq.instID); ok && h.env.Derivs != nil {
			cq.instID = sym
			return cq, true
		}
		for _, p := range h.env.Pairs {
			if p.Base+"-"+p.Quote == cq.instID {
				cq.instID = p.Symbol
				return cq, true
			}
		}
		h.fail(w, http.StatusOK, "51001", msgNoInstrument)
		return cq, false
	}
	if _, ok := h.pairOf(cq.instID); !ok {
		h.fail(w, http.StatusOK, "51001", msgNoInstrument)
		return cq, false
	}
	if !ep.price {
		cq.exp, cq.swap = h.contractExp(cq.instID)
	}
	return cq, true
}

func (h *handler) candles(w http.ResponseWriter, r *http.Request, q url.Values, ep endpoint) {
	cq, ok := h.parseCandles(w, q, ep)
	if !ok {
		return
	}
	now := h.env.Clock.NowMillis()
	recent := recentBars
	if ep.history {
		recent = 0
	}
	var cs []cc.Candle
	if first, last, ok := cq.bar.window(now, cq.after, cq.before, cq.hasAfter, cq.hasBefore, cq.limit, recent); ok {
		var err error
		cs, err = cq.bar.candles(r.Context(), h.priceMarket(ep.kind, cq.instID), cq.instID, first, last, now)
		if err != nil {
			if errors.Is(err, cc.ErrUnknownSymbol) {
				h.fail(w, http.StatusOK, "51001", msgNoInstrument)
			} else {
				h.fail(w, http.StatusServiceUnavailable, "50001", msgUnavailable)
			}
			return
		}
	}
	b := make([]byte, 0, 2+len(cs)*128)
	b = append(b, '[')
	for i := len(cs) - 1; i >= 0; i-- {
		if i != len(cs)-1 {
			b = append(b, ',')
		}
		if ep.price {
			b = appendPriceRow(b, cs[i])
		} else {
			b = h.appendRow(b, cs[i], cq.exp, cq.swap)
		}
	}
	b = append(b, ']')
	h.ok(w, b)
}

// priceMarket is the market of kind's candles for sym: the derivatives'
// mark or index series for a perpetual, else the traded candles (a spot
// pair's mark and index are its price).
func (h *handler) priceMarket(kind cc.PriceKind, sym string) cc.Market {
	if kind == cc.LastPrice || h.env.Derivs == nil || !isSwap(sym) {
		return h.env.Market
	}
	return h.env.Derivs.Prices(kind)
}

// contractExp is the power of ten of instID's contract value, and
// whether it has one: spot instruments have none (their vol is in base
// currency).
func (h *handler) contractExp(instID string) (exp int, swap bool) {
	if !isSwap(instID) {
		return 0, false
	}
	p, _ := h.pairOf(instID)
	return ctExp(p), true
}

// appendRow writes [ts,o,h,l,c,vol,volCcy,volCcyQuote,confirm]. For
// spot, vol is in base and volCcy in quote currency; for perpetuals vol is
// in contracts and volCcy in base currency.
func (h *handler) appendRow(b []byte, c cc.Candle, exp int, swap bool) []byte {
	b = append(b, `["`...)
	b = strconv.AppendInt(b, c.OpenTime, 10)
	vol, volCcy := c.Volume, c.QuoteVolume
	if swap {
		vol, volCcy = shift(c.Volume, -exp), c.Volume
	}
	for _, d := range []cc.Decimal{c.Open, c.High, c.Low, c.Close, vol, volCcy, c.QuoteVolume} {
		b = append(b, `","`...)
		b = num(b, d)
	}
	if c.Closed {
		return append(b, `","1"]`...)
	}
	return append(b, `","0"]`...)
}

// appendPriceRow writes a mark or index price row: [ts,o,h,l,c,confirm].
func appendPriceRow(b []byte, c cc.Candle) []byte {
	b = append(b, `["`...)
	b = strconv.AppendInt(b, c.OpenTime, 10)
	for _, d := range []cc.Decimal{c.Open, c.High, c.Low, c.Close} {
		b = append(b, `","`...)
		b = num(b, d)
	}
	if c.Closed {
		return append(b, `","1"]`...)
	}
	return append(b, `","0"]`...)
}

// num writes d the way OKX prints numbers: no trailing zeros.
func num(b []byte, d cc.Decimal) []byte { return d.AppendTrim(b, int(d.Scale)) }
