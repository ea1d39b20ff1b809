package binance

import (
	"context"
	"math"
	"net/http"
	"strings"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// handler serves one REST endpoint with its validated query.
type handler func(w http.ResponseWriter, r *http.Request, q params)

// route is a REST endpoint: its handler and, for spot, the parameters it
// reads (anything else is -1104). A nil list reads anything.
type route struct {
	h     handler
	reads []string
}

// symbolSpec is what the metadata endpoints say about a pair.
type symbolSpec struct {
	pair     cc.Pair
	symbol   string
	priceDec int // decimals of the tick size
	qtyDec   int // decimals of the futures step size
}

// server is the state of one Handler: the env and the pairs' specs.
type server struct {
	p      *Plugin
	env    *plugins.Env
	specs  []symbolSpec
	bySym  map[string]int
	routes map[string]route
	proto  *wsProtocol
	// klines caches the answers of settled kline windows.
	klines klineCache
	// diffs shares each step's book diff among the depth streams.
	diffs kit.DiffShare
	// events shares the encoded depth events among the depth streams.
	events eventCache
}

// Handler implements plugins.Plugin.
func (p *Plugin) Handler(env *plugins.Env) http.Handler {
	s := &server{p: p, env: env, bySym: map[string]int{}}
	for _, pair := range env.Pairs {
		sym := pair.Symbol
		if sym == "" {
			sym = p.Symbol(pair)
		}
		if _, dup := s.bySym[sym]; dup {
			continue
		}
		s.bySym[sym] = len(s.specs)
		s.specs = append(s.specs, newSpec(pair, sym))
	}
	s.routes = s.buildRoutes()
	s.proto = &wsProtocol{s: s}
	return s
}

// newSpec derives precisions from the pair's reference price: about six
// significant digits (between 2 and 8 decimals), as the synthetic market
// quotes, and futures quantities coarser for cheaper coins.
func newSpec(pair cc.Pair, sym string) symbolSpec {
	price := pair.Price
	if price <= 0 {
		price = 100
	}
	mag := int(math.Floor(math.Log10(price)))
	return symbolSpec{
		pair:     pair,
		symbol:   sym,
		priceDec: max(2, min(8, 6-mag)),
		qtyDec:   max(0, min(3, mag-1)),
	}
}

func (s *server) spec(sym string) (symbolSpec, bool) {
	i, ok := s.bySym[sym]
	if !ok {
		return symbolSpec{}, false
	}
	return s.specs[i], true
}

func (s *server) buildRoutes() map[string]route {
	klineParams := []string{"symbol", "interval", "startTime", "endTime", "timeZone", "limit"}
	rs := map[string]route{
		"/api/v3/exchangeInfo":  {h: s.handleSpotExchangeInfo, reads: []string{"symbol", "symbols", "permissions", "showPermissionSets", "symbolStatus"}},
		"/fapi/v1/exchangeInfo": {h: s.handleFuturesExchangeInfo},
		"/dapi/v1/exchangeInfo": {h: s.handleDeliveryExchangeInfo},
		// ccxt's fetchStatus asks api.binance.com for both ids.
		"/sapi/v1/system/status": {h: s.handleSystemStatus},
	}
	if s.p.kind == Spot {
		rs["/api/v3/ping"] = route{h: s.handlePing}
		rs["/api/v3/time"] = route{h: s.handleTime}
		rs["/api/v3/klines"] = route{h: s.handleKlines(tradeKlines, "symbol"), reads: klineParams}
		rs["/api/v3/uiKlines"] = route{h: s.handleKlines(tradeKlines, "symbol"), reads: klineParams}
		rs["/api/v3/ticker/price"] = route{h: s.handleTickerPrice, reads: []string{"symbol", "symbols", "symbolStatus"}}
		rs["/api/v3/ticker/24hr"] = route{h: s.handleTicker24h, reads: []string{"symbol", "symbols", "type", "symbolStatus"}}
		rs["/api/v3/avgPrice"] = route{h: s.handleAvgPrice, reads: []string{"symbol"}}
		rs["/api/v3/trades"] = route{h: s.handleTrades, reads: []string{"symbol", "limit"}}
		// The legacy path Binance still serves, which go-binance's
		// NewRecentTradesService calls.
		rs["/api/v1/trades"] = rs["/api/v3/trades"]
		rs["/api/v3/historicalTrades"] = route{h: s.handleHistoricalTrades, reads: []string{"symbol", "limit", "fromId"}}
		rs["/api/v3/aggTrades"] = route{h: s.handleAggTrades, reads: []string{"symbol", "fromId", "startTime", "endTime", "limit"}}
		rs["/api/v3/ticker/bookTicker"] = route{h: s.handleBookTicker, reads: []string{"symbol", "symbols", "symbolStatus"}}
		rs["/api/v3/depth"] = route{h: s.handleDepth, reads: []string{"symbol", "limit"}}
		rs["/api/v3/ticker"] = route{h: s.handleRollingTicker, reads: []string{"symbol", "symbols", "windowSize", "type", "symbolStatus"}}
		rs["/api/v3/ticker/tradingDay"] = route{h: s.handleTradingDay, reads: []string{"symbol", "symbols", "timeZone", "type", "symbolStatus"}}
		return rs
	}
	rs["/fapi/v1/ping"] = route{h: s.handlePing}
	rs["/fapi/v1/time"] = route{h: s.handleTime}
	rs["/dapi/v1/ping"] = route{h: s.handlePing} // dapi.binance.com: see futuresHosts
	rs["/dapi/v1/time"] = route{h: s.handleTime}
	rs["/fapi/v1/klines"] = route{h: s.handleKlines(tradeKlines, "symbol")}
	rs["/fapi/v1/continuousKlines"] = route{h: s.handleKlines(tradeKlines, "pair")}
	rs["/fapi/v1/markPriceKlines"] = route{h: s.handleKlines(markKlines, "symbol")}
	rs["/fapi/v1/indexPriceKlines"] = route{h: s.handleKlines(indexKlines, "pair")}
	rs["/fapi/v1/premiumIndexKlines"] = route{h: s.handleKlines(premiumKlines, "symbol")}
	rs["/fapi/v1/premiumIndex"] = route{h: s.handlePremiumIndex}
	rs["/fapi/v1/ticker/price"] = route{h: s.handleTickerPrice}
	rs["/fapi/v2/ticker/price"] = route{h: s.handleTickerPrice}
	rs["/fapi/v1/ticker/24hr"] = route{h: s.handleTicker24h}
	rs["/fapi/v1/ticker/bookTicker"] = route{h: s.handleBookTicker}
	rs["/fapi/v1/depth"] = route{h: s.handleDepth}
	rs["/fapi/v1/trades"] = route{h: s.handleTrades}
	rs["/fapi/v1/historicalTrades"] = route{h: s.handleHistoricalTrades}
	rs["/fapi/v1/aggTrades"] = route{h: s.handleAggTrades}
	rs["/fapi/v1/fundingRate"] = route{h: s.handleFundingRate}
	rs["/fapi/v1/fundingInfo"] = route{h: s.handleFundingInfo}
	rs["/fapi/v1/openInterest"] = route{h: s.handleOpenInterest}
	rs["/futures/data/openInterestHist"] = route{h: s.handleOpenInterestHist}
	return rs
}

// isWSPath reports whether path is one of the exchange's stream paths.
func (s *server) isWSPath(path string) bool {
	prefixes := []string{""}
	if s.p.kind == Perpetual {
		prefixes = append(prefixes, "/market", "/public")
	}
	for _, pre := range prefixes {
		rest, ok := strings.CutPrefix(path, pre)
		if !ok {
			continue
		}
		if rest == "/ws" || strings.HasPrefix(rest, "/ws/") || rest == "/stream" || rest == "/stream/" {
			return true
		}
	}
	return false
}

// ServeHTTP routes WS paths to the stream protocol and the rest to REST.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.isWSPath(r.URL.Path) {
		plugins.ServeWS(s.env, w, r, s.proto, s.p.wsOptions())
		return
	}
	if r.URL.Path == s.p.wsAPIPath() {
		plugins.ServeWS(s.env, w, r, &wsAPI{s: s}, s.p.wsOptions())
		return
	}
	s.serveREST(w, r)
}

// serveREST answers a REST request (and the WS API's requests, which are
// REST requests in another envelope).
func (s *server) serveREST(w http.ResponseWriter, r *http.Request) {
	rt, ok := s.routes[r.URL.Path]
	if !ok || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		notFound(w)
		return
	}
	reads := rt.reads
	if s.p.kind == Perpetual {
		reads = nil // futures ignore parameters they do not read
	}
	q, aerr := parseParams(r.URL.RawQuery, reads)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if v := r.Header.Get("X-MBX-TIME-UNIT"); v != "" && s.p.kind == Spot {
		unit, ok := parseTimeUnit(v)
		if !ok {
			writeError(w, errInvalidParam("timeUnit"))
			return
		}
		if unit == micros {
			r = r.WithContext(context.WithValue(r.Context(), timeUnitKey{}, unit))
		}
	}
	rt.h(w, r, q)
}

// handleSystemStatus serves /sapi/v1/system/status: always in service.
func (s *server) handleSystemStatus(w http.ResponseWriter, _ *http.Request, _ params) {
	writeBody(w, http.StatusOK, []byte(`{"status":0,"msg":"normal"}`))
}

func (s *server) handlePing(w http.ResponseWriter, _ *http.Request, _ params) {
	writeBody(w, http.StatusOK, []byte("{}"))
}

func (s *server) handleTime(w http.ResponseWriter, r *http.Request, _ params) {
	t := s.env.Clock.Now().UnixMilli()
	if timeUnitOf(r) == micros {
		t = s.env.Clock.Now().UnixMicro()
	}
	writeJSON(w, http.StatusOK, map[string]int64{"serverTime": t})
}
