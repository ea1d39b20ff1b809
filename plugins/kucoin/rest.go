package kucoin

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

type handler struct {
	env     *plugins.Env
	futures bool
	seqs    futSeqs // the futures level2 sequences
}

// Handler implements plugins.Plugin. Spot and futures share one listener
// here, so each plugin answers the other's metadata and candle endpoints
// too; the WS endpoint the bullet hands out is /endpoint (the root path
// also upgrades).
func (p *Plugin) Handler(env *plugins.Env) http.Handler {
	h := &handler{env: env, futures: p.futures}
	return h.routes().Mux(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" && strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			h.ws(w, r)
			return
		}
		writeRaw(w, http.StatusNotFound, []byte(`{"code":"404000","msg":"Not Found"}`))
	})
}

// Routes implements plugins.Plugin from the handler's own table.
func (p *Plugin) Routes() (rest, ws []string) {
	return (&handler{futures: p.futures}).routes().Routes()
}

// routes is the route table both Handler and Routes are built from. A WS
// upgrade at "/" is served too, by the not-found handler.
func (h *handler) routes() kit.Table {
	return kit.Table{
		{Pattern: "GET /api/v1/market/candles", Handler: h.spotCandles},
		{Pattern: "GET /api/v1/kline/query", Handler: h.futuresCandles},
		{Pattern: "GET /api/v2/symbols", Handler: h.symbols},
		{Pattern: "GET /api/v1/symbols", Handler: h.symbols},
		{Pattern: "GET /api/v3/currencies", Handler: h.currencies},
		{Pattern: "GET /api/v1/currencies", Handler: h.currencies},
		{Pattern: "GET /api/v1/market/allTickers", Handler: h.allTickers},
		{Pattern: "GET /api/v1/market/histories", Probes: []string{"/api/v1/market/histories", "/api/v1/market/histories?symbol=BTC-USDT"}, Handler: h.histories},
		{Pattern: "GET /api/v1/market/orderbook/level1", Probes: []string{"/api/v1/market/orderbook/level1", "/api/v1/market/orderbook/level1?symbol=BTC-USDT"}, Handler: h.level1},
		{Pattern: "GET /api/v1/market/orderbook/level2_20", Probes: []string{"/api/v1/market/orderbook/level2_20", "/api/v1/market/orderbook/level2_20?symbol=BTC-USDT"}, Handler: h.spotBook(20)},
		{Pattern: "GET /api/v1/market/orderbook/level2_100", Probes: []string{"/api/v1/market/orderbook/level2_100?symbol=BTC-USDT"}, Handler: h.spotBook(100)},
		{Pattern: "GET /api/v3/market/orderbook/level2", Probes: []string{"/api/v3/market/orderbook/level2?symbol=BTC-USDT"}, Handler: h.spotFullBook},
		{Pattern: "GET /api/v1/level2/snapshot", Probes: []string{"/api/v1/level2/snapshot", "/api/v1/level2/snapshot?symbol=XBTUSDTM"}, Handler: h.futuresBook(0)},
		{Pattern: "GET /api/v1/level2/depth20", Probes: []string{"/api/v1/level2/depth20?symbol=XBTUSDTM"}, Handler: h.futuresBook(20)},
		{Pattern: "GET /api/v1/level2/depth100", Probes: []string{"/api/v1/level2/depth100?symbol=XBTUSDTM"}, Handler: h.futuresBook(100)},
		{Pattern: "GET /api/v1/market/stats", Probes: []string{"/api/v1/market/stats", "/api/v1/market/stats?symbol=BTC-USDT"}, Handler: h.stats},
		{Pattern: "GET /api/v1/ticker", Probes: []string{"/api/v1/ticker", "/api/v1/ticker?symbol=XBTUSDTM"}, Handler: h.futuresTicker},
		{Pattern: "GET /api/v1/allTickers", Handler: h.futuresAllTickers},
		{Pattern: "GET /api/ua/v1/market/kline", Probes: []string{"/api/ua/v1/market/kline", "/api/ua/v1/market/kline?tradeType=FUTURES&symbol=XBTUSDTM-mark-price&interval=1min"}, Handler: h.utaKline},
		{Pattern: "GET /api/ua/v1/market/open-interest", Handler: h.utaOpenInterest},
		{Pattern: "GET /api/v1/trade/history", Probes: []string{"/api/v1/trade/history", "/api/v1/trade/history?symbol=XBTUSDTM"}, Handler: h.tradeHistory},
		{Pattern: "GET /api/v1/mark-price/{symbol}/current", Probes: []string{"/api/v1/mark-price/XBTUSDTM/current"}, Handler: h.markPrice},
		{Pattern: "GET /api/v1/funding-rate/{symbol}/current", Probes: []string{"/api/v1/funding-rate/XBTUSDTM/current"}, Handler: h.fundingCurrent},
		{Pattern: "GET /api/v1/contract/funding-rates", Probes: []string{"/api/v1/contract/funding-rates?symbol=XBTUSDTM&from=0&to=1"}, Handler: h.fundingHistory},
		{Pattern: "GET /api/v1/contracts/active", Handler: h.contracts},
		{Pattern: "GET /api/v1/contracts/{symbol}", Probes: []string{"/api/v1/contracts/XBTUSDTM"}, Handler: h.contract},
		{Pattern: "GET /api/v1/timestamp", Handler: h.timestamp},
		{Pattern: "GET /api/v1/status", Handler: h.status},
		{Pattern: "POST /api/v1/bullet-public", Handler: h.bullet},
		{Pattern: "/endpoint", WS: true, Probes: []string{"/endpoint", "/endpoint?token=x", "/endpoint?token=conformance&connectId=%ff"}, Handler: h.ws},
	}
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

// fail answers a KuCoin business error; KuCoin reports parameter errors
// in the body with HTTP 200.
func fail(w http.ResponseWriter, code, msg string) {
	b, _ := json.Marshal(struct {
		Code string `json:"code"`
		Msg  string `json:"msg"`
	}{code, msg})
	writeRaw(w, http.StatusOK, b)
}

func ok(w http.ResponseWriter, data any) {
	b, err := json.Marshal(struct {
		Code string `json:"code"`
		Data any    `json:"data"`
	}{"200000", data})
	if err != nil {
		writeRaw(w, http.StatusInternalServerError, []byte(`{"code":"500000","msg":"Internal Server Error"}`))
		return
	}
	writeRaw(w, http.StatusOK, b)
}

func okRaw(w http.ResponseWriter, data []byte) {
	b := append([]byte(`{"code":"200000","data":`), data...)
	writeRaw(w, http.StatusOK, append(b, '}'))
}

// spotPair finds a configured pair by its spot symbol.
func (h *handler) spotPair(sym string) (cc.Pair, bool) {
	for _, p := range h.env.Pairs {
		if spotSymbol(p) == sym {
			return p, true
		}
	}
	return cc.Pair{}, false
}

// contractPair finds a configured pair by its contract symbol.
func (h *handler) contractPair(sym string) (cc.Pair, bool) {
	for _, p := range h.env.Pairs {
		if contractSymbol(p) == sym {
			return p, true
		}
	}
	return cc.Pair{}, false
}

// spotCandles serves GET /api/v1/market/candles.
func (h *handler) spotCandles(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sym := q.Get("symbol")
	if sym == "" {
		fail(w, "400100", "symbol can not be empty")
		return
	}
	pair, found := h.spotPair(sym)
	if !found {
		fail(w, "400100", "This pair is not provided at present")
		return
	}
	iv, found := typeNames.Parse(q.Get("type"))
	if !found {
		fail(w, "400100", "This type of Candlestick is currently not provided.")
		return
	}
	startAt, err1 := optInt(q.Get("startAt"))
	endAt, err2 := optInt(q.Get("endAt"))
	if err1 != nil || err2 != nil || startAt < 0 || endAt < 0 {
		fail(w, "400100", "startAt or endAt invalid")
		return
	}
	now := h.env.Clock.NowMillis()
	endMs := endAt * 1000
	if endAt == 0 || endMs > now+1 {
		endMs = now + 1
	}
	cs, err := h.span(r, pair, iv, startAt*1000, endMs, now, MaxSpotCandles, false)
	if err != nil {
		fail(w, "500000", "Internal Server Error")
		return
	}
	b := []byte{'['}
	for i := len(cs) - 1; i >= 0; i-- {
		if i != len(cs)-1 {
			b = append(b, ',')
		}
		b = appendSpotRow(b, cs[i])
	}
	okRaw(w, append(b, ']'))
}

// span returns the candles opening in [fromMs, toMs), at most limit of
// them: the oldest ones when fromStart, else the newest.
func (h *handler) span(r *http.Request, pair cc.Pair, iv cc.Interval, fromMs, toMs, now int64, limit int, fromStart bool) ([]cc.Candle, error) {
	// Nothing trades before KuCoin opened; without this floor a bare
	// request for monthly candles would make the market compute 1500
	// months.
	fromMs = max(fromMs, Launch)
	if toMs <= fromMs {
		return nil, nil
	}
	from := iv.Truncate(fromMs)
	if from < fromMs {
		from = iv.Next(from)
	}
	last := iv.Truncate(toMs - 1)
	if last < from {
		return nil, nil
	}
	if iv.Fixed() {
		if n := (last-from)/iv.Millis() + 1; n > int64(limit) {
			if fromStart {
				last = from + int64(limit-1)*iv.Millis()
			} else {
				from = last - int64(limit-1)*iv.Millis()
			}
		}
	}
	cs, err := h.env.Market.Candles(r.Context(), pair.Symbol, iv, from, iv.Next(last), now)
	if err != nil {
		return nil, err
	}
	if len(cs) > limit {
		if fromStart {
			cs = cs[:limit]
		} else {
			cs = cs[len(cs)-limit:]
		}
	}
	return cs, nil
}

// optInt parses an optional timestamp; far-future values are capped (at
// 2^50, beyond any date in milliseconds) so that converting seconds to
// milliseconds cannot overflow.
func optInt(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return min(n, 1<<50), err
}

// appendSpotRow writes ["time","open","close","high","low","volume","turnover"].
func appendSpotRow(b []byte, c cc.Candle) []byte {
	b = append(b, `["`...)
	b = strconv.AppendInt(b, c.OpenTime/1000, 10)
	for _, d := range []cc.Decimal{c.Open, c.Close, c.High, c.Low, c.Volume, c.QuoteVolume} {
		b = append(b, `","`...)
		b = d.AppendTrim(b, int(d.Scale))
	}
	return append(b, `"]`...)
}

// futuresCandles serves GET /api/v1/kline/query.
func (h *handler) futuresCandles(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sym := q.Get("symbol")
	pair, found := h.contractPair(sym)
	if !found {
		fail(w, "400100", "The contract does not exist: "+sym)
		return
	}
	iv, found := granularity(q.Get("granularity"))
	if !found {
		fail(w, "400100", "granularity invalid")
		return
	}
	from, err1 := optInt(q.Get("from"))
	to, err2 := optInt(q.Get("to"))
	if err1 != nil || err2 != nil || from < 0 || to < 0 {
		fail(w, "400100", "from or to invalid")
		return
	}
	now := h.env.Clock.NowMillis()
	if to == 0 || to > now {
		to = now
	}
	// KuCoin: with a start time, the 500 candles from it; with only an
	// end time (or neither), the 500 closest to it.
	cs, err := h.span(r, pair, iv, from, to+1, now, MaxFuturesCandles, from > 0)
	if err != nil {
		fail(w, "500000", "Internal Server Error")
		return
	}
	b := []byte{'['}
	for i, c := range cs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendFuturesRow(b, c, sym)
	}
	okRaw(w, append(b, ']'))
}

// lots converts a base volume to contracts. Multipliers are powers of
// ten, so the division is a shift of the decimal point and exact: the
// synthetic market's volumes come back digit for digit (as fractional
// contracts where they are not whole).
func lots(v, mult cc.Decimal) cc.Decimal {
	u, sc := mult.Units, int(mult.Scale)
	for u >= 10 && u%10 == 0 {
		u /= 10
		sc--
	}
	// mult = 10^-sc, so v / mult = v × 10^sc.
	out := cc.Decimal{Units: v.Units, Scale: v.Scale - int8(sc)}
	for out.Scale < 0 {
		out.Units *= 10
		out.Scale++
	}
	return out
}

// appendFuturesRow writes [time(ms),open,high,low,close,volume,turnover].
func appendFuturesRow(b []byte, c cc.Candle, contract string) []byte {
	b = append(b, '[')
	b = strconv.AppendInt(b, c.OpenTime, 10)
	for _, d := range []cc.Decimal{c.Open, c.High, c.Low, c.Close} {
		b = append(b, ',')
		b = d.AppendTrim(b, int(d.Scale))
	}
	b = append(b, ',')
	n := contracts(c, contract)
	b = n.AppendTrim(b, int(n.Scale))
	b = append(b, ',')
	b = c.QuoteVolume.AppendTrim(b, int(c.QuoteVolume.Scale))
	return append(b, ']')
}

func (h *handler) timestamp(w http.ResponseWriter, r *http.Request) {
	okRaw(w, strconv.AppendInt(nil, h.env.Clock.NowMillis(), 10))
}

func (h *handler) status(w http.ResponseWriter, r *http.Request) {
	ok(w, map[string]string{"status": "open", "msg": ""})
}
