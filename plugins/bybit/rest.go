package bybit

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// Bybit's error codes, as its V5 docs list them.
const (
	codeParams   = 10001 // request parameter error
	codeInternal = 10016 // internal system error
	codeRoute    = 10017 // route not found
)

// Error messages Bybit returns with retCode 10001.
const (
	msgSymbol   = "Not supported symbols"
	msgInterval = "Invalid period!"
	msgCategory = "Illegal category"
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

// restRoutes is the REST route table both ServeHTTP and Routes are built
// from; the one WS path is the Exchange's wsPath.
var restRoutes = map[string]restRoute{
	"/v5/market/kline":             klineRoute(klineTrades),
	"/v5/market/mark-price-kline":  klineRoute(klineMark),
	"/v5/market/index-price-kline": klineRoute(klineIndex),
	"/v5/market/instruments-info":  (*handler).instruments,
	"/v5/market/tickers":           (*handler).tickers,
	"/v5/market/orderbook":         (*handler).orderbook,
	// ccxt's fetchStatus: the maintenance list, empty here.
	"/v5/system/status": func(h *handler, w http.ResponseWriter, _ *http.Request, _ url.Values) {
		h.ok(w, []byte(`{"list":[]}`))
	},
	"/v5/market/time": func(h *handler, w http.ResponseWriter, _ *http.Request, _ url.Values) {
		now := h.env.Clock.Now()
		h.ok(w, mustJSON(map[string]string{
			"timeSecond": strconv.FormatInt(now.Unix(), 10),
			"timeNano":   strconv.FormatInt(now.UnixNano(), 10),
		}))
	},
	"/v5/market/recent-trade":              (*handler).recentTrade,
	"/v5/market/funding/history":           (*handler).fundingHistory,
	"/v5/market/open-interest":             (*handler).openInterest,
	"/v5/market/premium-index-price-kline": klineRoute(klinePremium),
}

func klineRoute(kind klineKind) restRoute {
	return func(h *handler, w http.ResponseWriter, r *http.Request, q url.Values) { h.kline(w, r, q, kind) }
}

// Routes implements plugins.Plugin from the handler's own table.
func (e *Exchange) Routes() (rest, ws []string) {
	for path := range restRoutes {
		rest = append(rest, path)
	}
	slices.Sort(rest)
	return rest, []string{e.wsPath}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == h.ex.wsPath {
		plugins.ServeWS(h.env, w, r, &wsProtocol{h: h}, wsOptions)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.fail(w, http.StatusNotFound, codeRoute, "route not found")
		return
	}
	route, ok := restRoutes[r.URL.Path]
	if !ok {
		h.fail(w, http.StatusNotFound, codeRoute, "route not found")
		return
	}
	route(h, w, r, r.URL.Query())
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only our own plain structs are marshalled
	}
	return b
}

// ok writes Bybit's success envelope around result (raw JSON).
func (h *handler) ok(w http.ResponseWriter, result []byte) {
	b := make([]byte, 0, len(result)+96)
	b = append(b, `{"retCode":0,"retMsg":"OK","result":`...)
	b = append(b, result...)
	b = append(b, `,"retExtInfo":{},"time":`...)
	b = strconv.AppendInt(b, h.env.Clock.NowMillis(), 10)
	b = append(b, '}')
	writeBody(w, http.StatusOK, b)
}

// fail writes Bybit's error envelope. Bybit answers parameter errors with
// HTTP 200 and the code in retCode.
func (h *handler) fail(w http.ResponseWriter, status, code int, msg string) {
	b := make([]byte, 0, 128)
	b = append(b, `{"retCode":`...)
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, `,"retMsg":`...)
	b = append(b, mustJSON(msg)...)
	b = append(b, `,"result":{},"retExtInfo":{},"time":`...)
	b = strconv.AppendInt(b, h.env.Clock.NowMillis(), 10)
	b = append(b, '}')
	writeBody(w, status, b)
}

func writeBody(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// category reads the category parameter of the instruments and tickers
// endpoints (every Bybit category is valid; none is an error), answering
// the error itself and reporting false when it is not valid.
func (h *handler) category(w http.ResponseWriter, q url.Values) (string, bool) {
	cat := q.Get("category")
	switch cat {
	case "spot", "linear", "inverse", "option":
		return cat, true
	case "":
		h.fail(w, http.StatusOK, codeParams, "params error: category is required")
	default:
		h.fail(w, http.StatusOK, codeParams, msgCategory)
	}
	return "", false
}

// served reports whether sym is one of this server's instruments in
// category cat.
func (h *handler) served(cat, sym string) bool {
	if cat != h.ex.category {
		return false
	}
	_, ok := h.env.PairBySymbol(sym)
	return ok
}

type klineKind int

const (
	klineTrades klineKind = iota // 7 columns
	klineMark                    // mark price: 5 columns, linear only
	klineIndex                   // index price: 5 columns, linear only
)

// klinePremium is the premium index: 5 columns, linear only.
const klinePremium = klineIndex + 1

// priceKind is the derivatives' series of a kline kind.
var priceKind = map[klineKind]cc.PriceKind{klineMark: cc.MarkPrice, klineIndex: cc.IndexPrice, klinePremium: cc.PremiumIndex}

// klineMarket is the market kind's klines come from: the traded candles,
// or the derivatives' mark, index or premium series.
func (h *handler) klineMarket(kind klineKind) cc.Market {
	if kind == klineTrades || h.env.Derivs == nil {
		return h.env.Market
	}
	return h.env.Derivs.Prices(priceKind[kind])
}

// intParam parses an optional integer query parameter.
func intParam(q url.Values, name string) (v int64, set bool, err error) {
	s := q.Get(name)
	if s == "" {
		return 0, false, nil
	}
	v, err = strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false, errors.New("params error: " + name + " invalid")
	}
	return v, true, nil
}

func (h *handler) kline(w http.ResponseWriter, r *http.Request, q url.Values, kind klineKind) {
	cat := q.Get("category")
	if cat == "" {
		cat = "linear" // Bybit's default
	}
	valid := []string{"spot", "linear", "inverse"}
	if kind != klineTrades {
		valid = []string{"linear", "inverse"}
	}
	if !slices.Contains(valid, cat) {
		h.fail(w, http.StatusOK, codeParams, msgCategory)
		return
	}
	sym := q.Get("symbol")
	if sym == "" {
		h.fail(w, http.StatusOK, codeParams, "params error: symbol is required")
		return
	}
	ivName := q.Get("interval")
	iv, ok := intervals.Parse(ivName)
	if !ok {
		h.fail(w, http.StatusOK, codeParams, msgInterval)
		return
	}
	var kq klineQuery
	if err := kq.parse(q); err != nil {
		h.fail(w, http.StatusOK, codeParams, err.Error())
		return
	}
	if !h.served(cat, sym) {
		h.fail(w, http.StatusOK, codeParams, msgSymbol)
		return
	}
	h.writeKlines(r.Context(), w, cat, sym, iv, kq, kind)
}

// klineQuery holds a kline request's optional range and size.
type klineQuery struct {
	start, end       int64
	hasStart, hasEnd bool
	limit            int
}

func (k *klineQuery) parse(q url.Values) error {
	var err error
	if k.start, k.hasStart, err = intParam(q, "start"); err != nil {
		return err
	}
	if k.end, k.hasEnd, err = intParam(q, "end"); err != nil {
		return err
	}
	limit, hasLimit, err := intParam(q, "limit")
	if err != nil {
		return err
	}
	if !hasLimit || limit <= 0 {
		limit = defaultLimit
	}
	k.limit = int(min(limit, maxLimit))
	return nil
}

func (h *handler) writeKlines(ctx context.Context, w http.ResponseWriter, cat, sym string, iv cc.Interval, kq klineQuery, kind klineKind) {
	now := h.env.Clock.NowMillis()
	var cs []cc.Candle
	if first, stop, ok := klineWindow(iv, kq.start, kq.end, kq.hasStart, kq.hasEnd, kq.limit, now); ok {
		var err error
		if kind != klineTrades && h.env.Derivs == nil {
			h.sourceError(w, errNoDerivs)
			return
		}
		cs, err = h.klineMarket(kind).Candles(ctx, sym, iv, first, stop, now)
		if err != nil {
			if errors.Is(err, cc.ErrUnknownSymbol) {
				h.fail(w, http.StatusOK, codeParams, msgSymbol)
			} else {
				h.fail(w, http.StatusOK, codeInternal, "Internal System Error.")
			}
			return
		}
	}
	b := make([]byte, 0, 64+len(cs)*96)
	b = append(b, `{"category":"`...)
	b = append(b, cat...)
	b = append(b, `","symbol":"`...)
	b = append(b, sym...)
	b = append(b, `","list":[`...)
	for i := len(cs) - 1; i >= 0; i-- {
		if i != len(cs)-1 {
			b = append(b, ',')
		}
		b = appendRow(b, cs[i], kind == klineTrades)
	}
	b = append(b, "]}"...)
	h.ok(w, b)
}

// appendRow writes one kline row: start, open, high, low, close and, for
// trade klines, volume and turnover, all strings.
func appendRow(b []byte, c cc.Candle, volumes bool) []byte {
	b = append(b, `["`...)
	b = strconv.AppendInt(b, c.OpenTime, 10)
	for _, d := range []cc.Decimal{c.Open, c.High, c.Low, c.Close} {
		b = append(b, `","`...)
		b = num(b, d)
	}
	if volumes {
		b = append(b, `","`...)
		b = num(b, c.Volume)
		b = append(b, `","`...)
		b = num(b, c.QuoteVolume)
	}
	return append(b, `"]`...)
}

// num writes d the way Bybit prints numbers: no trailing zeros.
func num(b []byte, d cc.Decimal) []byte { return d.AppendTrim(b, int(d.Scale)) }
