package mexc

import (
	"cmp"
	"errors"
	"net/http"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

type server struct {
	a   *api
	env *plugins.Env
}

// Handler implements plugins.Plugin.
func (a *api) Handler(env *plugins.Env) http.Handler {
	s := &server{a: a, env: env}
	mux := s.routes().Mux(func(w http.ResponseWriter, r *http.Request) {
		kit.JSON(w, http.StatusNotFound, map[string]any{"code": 404, "msg": "Not Found"})
	})
	// The contract API's own 404 shape, for unknown paths under it.
	mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		kit.JSON(w, http.StatusNotFound, map[string]any{"success": false, "code": 404, "message": "Not Found"})
	})
	return mux
}

// Routes implements plugins.Plugin from the handler's own table.
func (a *api) Routes() (rest, ws []string) { return (&server{a: a}).routes().Routes() }

// routes is the route table both Handler and Routes are built from.
func (s *server) routes() kit.Table {
	return kit.Table{
		{Pattern: "/api/v3/ping", Handler: func(w http.ResponseWriter, r *http.Request) { kit.Raw(w, 200, []byte("{}")) }},
		{Pattern: "/api/v3/time", Handler: s.spotTime},
		{Pattern: "/api/v3/exchangeInfo", Handler: s.exchangeInfo},
		{Pattern: "/api/v3/defaultSymbols", Handler: s.defaultSymbols},
		{Pattern: "/api/v3/klines", Handler: s.spotKlines},
		{Pattern: "/api/v3/ticker/24hr", Handler: s.ticker24h},
		{Pattern: "/api/v3/ticker/price", Handler: s.tickerPrice},
		{Pattern: "/api/v3/ticker/bookTicker", Handler: s.bookTicker},
		{Pattern: "/api/v3/trades", Handler: s.spotTrades},
		{Pattern: "/api/v3/depth", Probes: []string{"/api/v3/depth", "/api/v3/depth?symbol=BTCUSDT&limit=5"}, Handler: s.spotDepth},
		{Pattern: "/api/v1/contract/depth/{symbol}", Probes: []string{"/api/v1/contract/depth/BTC_USDT?limit=5"}, Handler: s.contractDepth},
		{Pattern: "/api/v3/aggTrades", Handler: s.aggTrades},
		{Pattern: "/api/v1/contract/ping", Handler: s.contractPing},
		{Pattern: "/api/v1/contract/detail", Handler: s.contractDetail},
		{Pattern: "/api/v1/contract/ticker", Handler: s.contractTicker},
		{Pattern: "/api/v1/contract/kline/{symbol}", Probes: []string{"/api/v1/contract/kline/BTC_USDT", "/api/v1/contract/kline/"}, Handler: s.contractKlines},
		{Pattern: "/api/v1/contract/deals/{symbol}", Probes: []string{"/api/v1/contract/deals/BTC_USDT"}, Handler: s.contractDeals},
		{Pattern: "/api/v1/contract/funding_rate/history", Handler: s.fundingHistory},
		{Pattern: "/api/v1/contract/funding_rate/{symbol}", Probes: []string{"/api/v1/contract/funding_rate/BTC_USDT"}, Handler: s.fundingRate},
		{Pattern: "/api/v1/contract/index_price/{symbol}", Probes: []string{"/api/v1/contract/index_price/BTC_USDT"}, Handler: s.indexPrice},
		{Pattern: "/api/v1/contract/fair_price/{symbol}", Probes: []string{"/api/v1/contract/fair_price/BTC_USDT"}, Handler: s.fairPrice},
		{Pattern: "/api/v1/contract/kline/fair_price/{symbol}", Probes: []string{"/api/v1/contract/kline/fair_price/BTC_USDT"}, Handler: s.priceKlines(cc.MarkPrice)},
		{Pattern: "/api/v1/contract/kline/index_price/{symbol}", Probes: []string{"/api/v1/contract/kline/index_price/BTC_USDT"}, Handler: s.priceKlines(cc.IndexPrice)},
		{Pattern: "/ws", WS: true, Handler: s.spotWS},
		{Pattern: "/edge", WS: true, Handler: s.contractWS},
	}
}

func (s *server) now() int64 { return s.env.Clock.NowMillis() }

// spotError writes MEXC spot's error body.
func spotError(w http.ResponseWriter, status, code int, msg string) {
	kit.JSON(w, status, map[string]any{"code": code, "msg": msg})
}

// contractError writes the contract API's error body (HTTP 200, as MEXC
// does).
func contractError(w http.ResponseWriter, code int, msg string) {
	kit.JSON(w, http.StatusOK, map[string]any{"success": false, "code": code, "message": msg})
}

func contractOK(w http.ResponseWriter, data any) {
	kit.JSON(w, http.StatusOK, map[string]any{"success": true, "code": 0, "data": data})
}

// pairBySpot finds a pair by its spot name (BTCUSDT).
func (s *server) pairBySpot(sym string) (cc.Pair, bool) {
	for _, p := range s.env.Pairs {
		if p.Base+p.Quote == sym {
			return p, true
		}
	}
	return cc.Pair{}, false
}

// pairByContract finds a pair by its contract name (BTC_USDT).
func (s *server) pairByContract(sym string) (cc.Pair, bool) {
	for _, p := range s.env.Pairs {
		if p.Base+"_"+p.Quote == sym {
			return p, true
		}
	}
	return cc.Pair{}, false
}

func (s *server) spotTime(w http.ResponseWriter, r *http.Request) {
	kit.JSON(w, http.StatusOK, map[string]int64{"serverTime": s.now()})
}

func (s *server) failed(w http.ResponseWriter, contract bool, err error) {
	if s.env.Logger != nil && !errors.Is(err, cc.ErrUnknownSymbol) {
		s.env.Logger.Error("mexc: market", "err", err)
	}
	if contract {
		kit.Raw(w, http.StatusOK, []byte(`{"success":false,"code":9999,"message":"Public abnormal"}`))
		return
	}
	spotError(w, http.StatusInternalServerError, -1000, "An unknown error occurred while processing the request.")
}

func (s *server) spotKlines(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sym := q.Get("symbol")
	if sym == "" {
		spotError(w, http.StatusBadRequest, -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")
		return
	}
	ivName := q.Get("interval")
	if ivName == "" {
		spotError(w, http.StatusBadRequest, -1102, "Mandatory parameter 'interval' was not sent, was empty/null, or malformed.")
		return
	}
	p, ok := s.pairBySpot(sym)
	if !ok {
		spotError(w, http.StatusBadRequest, -1121, "Invalid symbol.")
		return
	}
	iv, ok := spotIntervals.Parse(ivName)
	if !ok {
		spotError(w, http.StatusBadRequest, -1121, "Invalid interval.")
		return
	}
	num := kit.NumParams(q, 0, func(name, v string) {
		spotError(w, http.StatusBadRequest, -1100, "Illegal characters found in parameter '"+name+"'; legal range is '^[0-9]{1,20}$'.")
	})
	start, hasStart, ok := num("startTime")
	if !ok {
		return
	}
	end, hasEnd, ok := num("endTime")
	if !ok {
		return
	}
	limit, hasLimit, ok := num("limit")
	if !ok {
		return
	}
	if !hasLimit {
		limit = 500
	}
	if limit < 1 || limit > 1000 {
		spotError(w, http.StatusBadRequest, -1130, "Data sent for parameter 'limit' is not valid.")
		return
	}
	if hasStart && hasEnd && start >= end {
		kit.Raw(w, http.StatusOK, []byte("[]"))
		return
	}
	now := s.now()
	to := now
	if hasEnd {
		to = end - 1 // exclusive
	}
	var cs []cc.Candle
	var err error
	if hasStart {
		cs, err = kit.Span(r.Context(), s.env.Market, p.Symbol, iv, start, to, now, int(limit), true)
	} else {
		cs, err = kit.Span(r.Context(), s.env.Market, p.Symbol, iv, 0, to, now, int(limit), false)
	}
	if err != nil {
		s.failed(w, false, err)
		return
	}
	b := make([]byte, 0, 16+len(cs)*140)
	b = append(b, '[')
	for i, c := range cs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendSpotRow(b, iv, c)
	}
	b = append(b, ']')
	kit.Raw(w, http.StatusOK, b)
}

func (s *server) contractPing(w http.ResponseWriter, r *http.Request) {
	contractOK(w, s.now())
}

func (s *server) contractKlines(w http.ResponseWriter, r *http.Request) {
	s.klinesOf(w, r, s.env.Market)
}

// klinesOf answers contract klines from market m (the traded candles, or
// the fair or index price series).
func (s *server) klinesOf(w http.ResponseWriter, r *http.Request, m cc.Market) {
	q := r.URL.Query()
	sym := r.PathValue("symbol")
	p, ok := s.pairByContract(sym)
	if !ok {
		contractError(w, 1001, "Contract does not exist!")
		return
	}
	iv, ok := wsIntervals.Parse(cmp.Or(q.Get("interval"), "Min1"))
	if !ok {
		contractError(w, 600, "Parameter error")
		return
	}
	num := kit.NumParams(q, 0, func(string, string) {
		contractError(w, 600, "Parameter error")
	})
	start, hasStart, ok := num("start")
	if !ok {
		return
	}
	end, hasEnd, ok := num("end")
	if !ok {
		return
	}
	now := s.now()
	to := now
	if hasEnd {
		to = end * 1000
	}
	var cs []cc.Candle
	var err error
	if hasStart {
		cs, err = kit.Span(r.Context(), m, p.Symbol, iv, start*1000, to, now, 2000, true)
	} else {
		cs, err = kit.Span(r.Context(), m, p.Symbol, iv, 0, to, now, 2000, false)
	}
	if err != nil {
		s.failed(w, true, err)
		return
	}
	b := append([]byte(`{"success":true,"code":0,"data":`), encodeColumns(cs, kit.ContractSize(p.Price))...)
	b = append(b, '}')
	kit.Raw(w, http.StatusOK, b)
}

// symbolFilter returns the pairs a ticker request asks for.
func (s *server) symbolFilter(want string, name func(cc.Pair) string) []cc.Pair {
	if want == "" {
		return s.env.Pairs
	}
	var out []cc.Pair
	for _, p := range s.env.Pairs {
		if name(p) == want {
			out = append(out, p)
		}
	}
	return out
}

func spotName(p cc.Pair) string     { return p.Base + p.Quote }
func contractName(p cc.Pair) string { return p.Base + "_" + p.Quote }
