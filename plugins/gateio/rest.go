package gateio

import (
	"cmp"
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// server is one Handler: the plugin and its environment.
type server struct {
	a   *api
	env *plugins.Env
}

// Handler implements plugins.Plugin.
func (a *api) Handler(env *plugins.Env) http.Handler {
	s := &server{a: a, env: env}
	return s.routes().Mux(func(w http.ResponseWriter, r *http.Request) {
		apiError(w, http.StatusNotFound, "NOT_FOUND", "Not Found")
	})
}

// Routes implements plugins.Plugin from the handler's own table.
func (a *api) Routes() (rest, ws []string) { return (&server{a: a}).routes().Routes() }

// routes is the route table both Handler and Routes are built from.
func (s *server) routes() kit.Table {
	return kit.Table{
		{Pattern: "/api/v4/spot/time", Handler: s.time},
		{Pattern: "/api/v4/spot/currencies", Handler: s.currencies},
		{Pattern: "/api/v4/spot/currencies/{currency}", Probes: []string{"/api/v4/spot/currencies/BTC"}, Handler: s.currency},
		{Pattern: "/api/v4/spot/currency_pairs", Handler: s.currencyPairs},
		{Pattern: "/api/v4/spot/currency_pairs/{pair}", Probes: []string{"/api/v4/spot/currency_pairs/BTC_USDT"}, Handler: s.currencyPair},
		{Pattern: "/api/v4/margin/currency_pairs", Handler: s.marginPairs},
		{Pattern: "/api/v4/spot/tickers", Handler: s.spotTickers},
		{Pattern: "/api/v4/spot/candlesticks", Handler: s.spotCandles},
		{Pattern: "/api/v4/spot/trades", Handler: s.spotTrades},
		{Pattern: "/api/v4/spot/order_book", Probes: []string{"/api/v4/spot/order_book", "/api/v4/spot/order_book?currency_pair=BTC_USDT&limit=5&with_id=true"}, Handler: s.spotOrderBook},
		{Pattern: "/api/v4/futures/{settle}/order_book", Probes: []string{"/api/v4/futures/usdt/order_book", "/api/v4/futures/usdt/order_book?contract=BTC_USDT&with_id=true"}, Handler: s.futuresOrderBook},
		{Pattern: "/api/v4/futures/{settle}/contracts", Probes: []string{"/api/v4/futures/usdt/contracts"}, Handler: s.contracts},
		{Pattern: "/api/v4/futures/{settle}/contracts/{contract}", Probes: []string{"/api/v4/futures/usdt/contracts/BTC_USDT"}, Handler: s.contract},
		{Pattern: "/api/v4/futures/{settle}/tickers", Probes: []string{"/api/v4/futures/usdt/tickers"}, Handler: s.futuresTickers},
		{Pattern: "/api/v4/futures/{settle}/candlesticks", Probes: []string{"/api/v4/futures/usdt/candlesticks", "/api/v4/futures/btc/candlesticks"}, Handler: s.futuresCandles},
		{Pattern: "/api/v4/futures/{settle}/trades", Probes: []string{"/api/v4/futures/usdt/trades"}, Handler: s.futuresTrades},
		{Pattern: "/api/v4/futures/{settle}/funding_rate", Probes: []string{"/api/v4/futures/usdt/funding_rate"}, Handler: s.fundingRate},
		{Pattern: "/api/v4/delivery/{settle}/contracts", Probes: []string{"/api/v4/delivery/usdt/contracts"}, Handler: s.empty},
		{Pattern: "/api/v4/options/underlyings", Handler: s.empty},
		{Pattern: "/ws/v4/", WS: true, Handler: s.spotWS},
		{Pattern: "/v4/ws/{settle}", WS: true, Probes: []string{"/v4/ws/usdt", "/v4/ws/btc"}, Handler: s.futuresWS},
	}
}

// apiError writes Gate's error body.
func apiError(w http.ResponseWriter, status int, label, msg string) {
	kit.JSON(w, status, map[string]string{"label": label, "message": msg})
}

func (s *server) now() int64 { return s.env.Clock.NowMillis() }

func (s *server) time(w http.ResponseWriter, r *http.Request) {
	kit.JSON(w, http.StatusOK, map[string]int64{"server_time": s.now()})
}

func (s *server) empty(w http.ResponseWriter, r *http.Request) {
	kit.Raw(w, http.StatusOK, []byte("[]"))
}

// window is a parsed candles range: open times in [from, to], inclusive.
type window struct{ from, to int64 }

// grid is the time grid of an interval: a canonical interval, or for
// Gate's sub-minute intervals (10s, 30s), a fixed step in ms.
type grid struct {
	iv cc.Interval
	ms int64
}

func (g grid) truncate(t int64) int64 {
	if g.ms > 0 {
		return t - ((t%g.ms)+g.ms)%g.ms
	}
	return g.iv.Truncate(t)
}

func (g grid) next(t int64) int64 {
	if g.ms > 0 {
		return t + g.ms
	}
	return g.iv.Next(t)
}

// add returns the open time n candles after open (before it for
// negative n).
func (g grid) add(open int64, n int) int64 {
	if g.ms > 0 {
		return open + int64(n)*g.ms
	}
	return g.iv.Add(open, n)
}

func (g grid) count(from, to int64, max int) int {
	if g.ms > 0 {
		if to < from {
			return 0
		}
		return int(min(int64(max)+1, (to-from)/g.ms+1))
	}
	return int(min(g.iv.Count(from, to), int64(max)+1))
}

// spotHistory is how many candles back spot candlesticks reach: an older
// from gets "Candlestick too long ago" (undocumented, but what Gate
// answers).
const spotHistory = 10000

// parseWindow applies Gate's from/to/limit rules for at most max points,
// reaching at most history candles back from now (0: no limit).
func (s *server) parseWindow(w http.ResponseWriter, q url.Values, g grid, max, history int) (window, bool) {
	num := kit.NumParams(q, math.MinInt64, func(name, v string) {
		apiError(w, http.StatusBadRequest, "INVALID_PARAM_VALUE", "Invalid "+name+": "+v)
	})
	from, hasFrom, ok := num("from")
	if !ok {
		return window{}, false
	}
	to, hasTo, ok := num("to")
	if !ok {
		return window{}, false
	}
	limit, hasLimit, ok := num("limit")
	if !ok {
		return window{}, false
	}
	now := s.now()
	if hasLimit {
		if hasFrom || hasTo {
			apiError(w, http.StatusBadRequest, "INVALID_PARAM_VALUE", "limit conflicts with from and to")
			return window{}, false
		}
		if limit < 1 || limit > int64(max) {
			apiError(w, http.StatusBadRequest, "INVALID_PARAM_VALUE", "limit must be between 1 and "+strconv.Itoa(max))
			return window{}, false
		}
	}
	if !hasFrom && !hasTo {
		if !hasLimit {
			limit = 100
		}
		return window{from: g.add(g.truncate(now), 1-int(limit)), to: now}, true
	}
	toMs := now
	if hasTo {
		toMs = to * 1000
	}
	fromMs := g.add(g.truncate(toMs), 1-100)
	if hasFrom {
		fromMs = from * 1000
	}
	if history > 0 && fromMs < g.add(g.truncate(now), -history) {
		apiError(w, http.StatusBadRequest, "INVALID_PARAM_VALUE",
			"Candlestick too long ago. Maximum "+strconv.Itoa(history)+" points ago are allowed")
		return window{}, false
	}
	if fromMs > toMs {
		return window{from: fromMs, to: fromMs - 1}, true
	}
	start := g.truncate(fromMs)
	if start < fromMs {
		start = g.next(start)
	}
	if g.count(start, toMs, max) > max {
		apiError(w, http.StatusBadRequest, "INVALID_PARAM_VALUE",
			"Too many points requested: maximum "+strconv.Itoa(max)+" points allowed")
		return window{}, false
	}
	return window{from: fromMs, to: toMs}, true
}

// candles returns the candles of the window on grid g, never past now.
func (s *server) candles(r *http.Request, sym string, g grid, win window) ([]cc.Candle, error) {
	return s.candlesOf(r, s.env.Market, sym, g, win)
}

// candlesOf is candles from market m (the traded price's, or a mark or
// index series).
func (s *server) candlesOf(r *http.Request, m cc.Market, sym string, g grid, win window) ([]cc.Candle, error) {
	if win.to < win.from {
		return nil, nil
	}
	now := s.now()
	if g.ms > 0 {
		return s.seconds(r.Context(), sym, g.ms, win.from, min(win.to, now), now)
	}
	return kit.Span(r.Context(), m, sym, g.iv, win.from, win.to, now, 0, true)
}

func (s *server) spotCandles(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	pair := q.Get("currency_pair")
	if pair == "" {
		apiError(w, http.StatusBadRequest, "MISSING_REQUIRED_PARAM", "Missing required parameter: currency_pair")
		return
	}
	if _, ok := s.env.PairBySymbol(pair); !ok {
		apiError(w, http.StatusBadRequest, "INVALID_CURRENCY_PAIR", "Invalid currency pair "+pair)
		return
	}
	name := cmp.Or(q.Get("interval"), "30m")
	g, ok := spotGrid(name)
	if !ok {
		apiError(w, http.StatusBadRequest, "INVALID_PARAM_VALUE", "Invalid interval: "+name)
		return
	}
	win, ok := s.parseWindow(w, q, g, 1000, spotHistory)
	if !ok {
		return
	}
	cs, err := s.candles(r, pair, g, win)
	if err != nil {
		s.internal(w, err)
		return
	}
	b := make([]byte, 0, 16+len(cs)*128)
	b = append(b, '[')
	for i, c := range cs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendSpotRow(b, c)
	}
	b = append(b, ']')
	kit.Raw(w, http.StatusOK, b)
}

func (s *server) internal(w http.ResponseWriter, err error) {
	if errors.Is(err, cc.ErrUnknownSymbol) {
		apiError(w, http.StatusBadRequest, "INVALID_CURRENCY_PAIR", err.Error())
		return
	}
	if s.env.Logger != nil {
		s.env.Logger.Error("gateio: candles", "err", err)
	}
	resp := s.a.ServerError()
	kit.Raw(w, resp.Status, resp.Body)
}

// settlePairs are the configured pairs quoted in the settle currency: the
// contracts Gate lists under /futures/{settle}.
func (s *server) settlePairs(settle string) []cc.Pair {
	var out []cc.Pair
	for _, p := range s.env.Pairs {
		if strings.EqualFold(p.Quote, settle) {
			out = append(out, p)
		}
	}
	return out
}

func (s *server) contractPair(settle, contract string) (cc.Pair, bool) {
	p, ok := s.env.PairBySymbol(contract)
	if !ok || !strings.EqualFold(p.Quote, settle) {
		return cc.Pair{}, false
	}
	return p, true
}

func (s *server) futuresCandles(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	settle := r.PathValue("settle")
	if settle != "usdt" && settle != "btc" {
		apiError(w, http.StatusBadRequest, "INVALID_PARAM_VALUE", "Invalid settle currency: "+settle)
		return
	}
	contract := q.Get("contract")
	if contract == "" {
		apiError(w, http.StatusBadRequest, "MISSING_REQUIRED_PARAM", "Missing required parameter: contract")
		return
	}
	// mark_BTC_USDT and index_BTC_USDT are the contract's mark and index
	// price candles (no volume).
	market, kind := s.env.Market, cc.LastPrice
	for pre, k := range map[string]cc.PriceKind{"mark_": cc.MarkPrice, "index_": cc.IndexPrice} {
		if rest, ok := strings.CutPrefix(contract, pre); ok {
			contract, kind = rest, k
		}
	}
	if kind != cc.LastPrice {
		if s.env.Derivs == nil {
			unavailable(w, "mark and index prices")
			return
		}
		market = s.env.Derivs.Prices(kind)
	}
	p, ok := s.contractPair(settle, contract)
	if !ok {
		apiError(w, http.StatusBadRequest, "CONTRACT_NOT_FOUND", "Contract not found: "+contract)
		return
	}
	name := cmp.Or(q.Get("interval"), "5m")
	g, ok := futuresGrid(name)
	if !ok {
		apiError(w, http.StatusBadRequest, "INVALID_PARAM_VALUE", "Invalid interval: "+name)
		return
	}
	win, ok := s.parseWindow(w, q, g, 2000, 0)
	if !ok {
		return
	}
	if kind != cc.LastPrice && g.ms > 0 {
		apiError(w, http.StatusBadRequest, "INVALID_PARAM_VALUE", "Invalid interval: "+name)
		return
	}
	cs, err := s.candlesOf(r, market, contract, g, win)
	if err != nil {
		s.internal(w, err)
		return
	}
	mult := multiplier(p.Price)
	if kind != cc.LastPrice {
		mult = cc.Decimal{} // mark and index candles carry no volume
	}
	b := make([]byte, 0, 16+len(cs)*128)
	b = append(b, '[')
	for i, c := range cs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendFuturesRow(b, c, mult, "", false)
	}
	b = append(b, ']')
	kit.Raw(w, http.StatusOK, b)
}

// multiplier is the contract size (quanto_multiplier) of a contract
// trading near price.
func multiplier(price float64) cc.Decimal { return kit.ContractSize(price) }

// contracts counts volume in whole contracts of size mult.
func contracts(vol, mult cc.Decimal) int64 { return kit.Contracts(vol, mult) }
