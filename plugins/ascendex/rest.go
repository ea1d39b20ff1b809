package ascendex

import (
	"net/http"
	"strconv"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

type server struct {
	p   *Spot
	env *plugins.Env
}

// Handler implements plugins.Plugin.
func (p *Spot) Handler(env *plugins.Env) http.Handler {
	s := &server{p: p, env: env}
	return s.routes().Mux(func(w http.ResponseWriter, r *http.Request) {
		kit.JSON(w, http.StatusNotFound, map[string]any{"code": 100001, "reason": "INVALID_HTTP_INPUT", "message": "Not Found"})
	})
}

// Routes implements plugins.Plugin from the handler's own table.
func (p *Spot) Routes() (rest, ws []string) { return (&server{p: p}).routes().Routes() }

// routes is the route table both Handler and Routes are built from.
func (s *server) routes() kit.Table {
	return kit.Table{
		{Pattern: "/api/pro/v1/barhist", Handler: s.barhist},
		{Pattern: "/api/pro/v1/barhist/info", Handler: s.barhistInfo},
		{Pattern: "/api/pro/v1/products", Handler: s.products},
		{Pattern: "/api/pro/v1/cash/products", Handler: s.cashProducts},
		{Pattern: "/api/pro/v1/assets", Handler: s.assetsV1},
		{Pattern: "/api/pro/v2/assets", Handler: s.assetsV2},
		{Pattern: "/api/pro/v1/exchange-info", Handler: s.exchangeInfo},
		{Pattern: "/api/pro/v1/ticker", Handler: s.ticker},
		{Pattern: "/api/pro/v1/spot/ticker", Handler: s.ticker},
		{Pattern: "/api/pro/v1/trades", Handler: s.trades},
		{Pattern: "/api/pro/v1/depth", Probes: []string{"/api/pro/v1/depth", "/api/pro/v1/depth?symbol=BTC/USDT"}, Handler: s.depth},
		{Pattern: "/api/pro/v2/futures/contract", Handler: func(w http.ResponseWriter, r *http.Request) { ok(w, []any{}) }},
		{Pattern: "/api/pro/v1/stream", WS: true, Handler: s.ws},
		{Pattern: "/{group}/api/pro/v1/stream", WS: true, Probes: []string{"/1/api/pro/v1/stream"}, Handler: s.ws},
		{Pattern: "/api/pro/v2/stream", WS: true, Handler: s.ws},
		{Pattern: "/{group}/api/pro/v2/stream", WS: true, Probes: []string{"/1/api/pro/v2/stream"}, Handler: s.ws},
		// Hummingbot's connector streams here (see risklimit.go).
		{Pattern: "/api/pro/v1/websocket-for-hummingbot-liq-mining/stream", WS: true, Handler: s.ws},
		{Pattern: "/{group}/api/pro/v1/websocket-for-hummingbot-liq-mining/stream", WS: true,
			Probes: []string{"/1/api/pro/v1/websocket-for-hummingbot-liq-mining/stream"}, Handler: s.ws},
		{Pattern: "/api/pro/v1/risk-limit-info", Handler: s.riskLimitInfo},
	}
}

func (s *server) now() int64 { return s.env.Clock.NowMillis() }

func ok(w http.ResponseWriter, data any) {
	kit.JSON(w, http.StatusOK, map[string]any{"code": 0, "data": data})
}

// apiError writes AscendEX's error body (HTTP 200, as AscendEX does).
func apiError(w http.ResponseWriter, code int, reason, msg string) {
	kit.JSON(w, http.StatusOK, map[string]any{"code": code, "reason": reason, "message": msg})
}

func (s *server) failed(w http.ResponseWriter, err error) {
	if s.env.Logger != nil {
		s.env.Logger.Error("ascendex: market", "err", err)
	}
	resp := s.p.ServerError()
	kit.Raw(w, resp.Status, resp.Body)
}

func (s *server) barhist(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sym := q.Get("symbol")
	if sym == "" {
		apiError(w, 100001, "INVALID_HTTP_INPUT", "Http request is invalid: missing required parameter symbol")
		return
	}
	ivName := q.Get("interval")
	if ivName == "" {
		apiError(w, 100001, "INVALID_HTTP_INPUT", "Http request is invalid: missing required parameter interval")
		return
	}
	iv, known := intervals.Parse(ivName)
	if !known {
		apiError(w, 100006, "INVALID_ARGUMENT", "Invalid interval "+ivName)
		return
	}
	if _, found := s.env.PairBySymbol(sym); !found {
		apiError(w, 100008, "SYMBOL_ERROR", "Invalid symbol "+sym)
		return
	}
	num := kit.NumParams(q, 0, func(name, v string) {
		apiError(w, 100013, "INVALID_NUM_FORMAT", "Invalid number format: "+name+"="+v)
	})
	from, hasFrom, good := num("from")
	if !good {
		return
	}
	to, hasTo, good := num("to")
	if !good {
		return
	}
	n, hasN, good := num("n")
	if !good {
		return
	}
	if !hasN {
		n = 10
	}
	if n < 1 {
		apiError(w, 100006, "INVALID_ARGUMENT", "n must be positive")
		return
	}
	n = min(n, maxBars)
	now := s.now()
	if !hasTo {
		to = now
	}
	var cs []cc.Candle
	var err error
	if hasFrom {
		// The range [from, to], at most 500 bars; the most recent ones
		// when it holds more. An n smaller than the range wins.
		limit := maxBars
		if hasN {
			limit = int(n)
		}
		cs, err = kit.Span(r.Context(), s.env.Market, sym, iv, from, to, now, limit, false)
	} else {
		cs, err = kit.Span(r.Context(), s.env.Market, sym, iv, 0, to, now, int(n), false)
	}
	if err != nil {
		s.failed(w, err)
		return
	}
	b := make([]byte, 0, 32+len(cs)*150)
	b = append(b, `{"code":0,"data":[`...)
	for i, c := range cs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendBar(b, sym, ivName, c)
	}
	b = append(b, "]}"...)
	kit.Raw(w, http.StatusOK, b)
}

// appendBar writes one {"m":"bar",...} entry (REST and WS share it).
func appendBar(b []byte, sym, ivName string, c cc.Candle) []byte {
	b = append(b, `{"m":"bar","s":`...)
	b = strconv.AppendQuote(b, sym)
	b = append(b, `,"data":{"i":"`...)
	b = append(b, ivName...)
	b = append(b, `","ts":`...)
	b = strconv.AppendInt(b, c.OpenTime, 10)
	for _, f := range []struct {
		k string
		d cc.Decimal
	}{{"o", c.Open}, {"c", c.Close}, {"h", c.High}, {"l", c.Low}, {"v", c.Volume}} {
		b = append(b, `,"`...)
		b = append(b, f.k...)
		b = append(b, `":"`...)
		b = f.d.Append(b, int(f.d.Scale))
		b = append(b, '"')
	}
	return append(b, "}}"...)
}

func (s *server) barhistInfo(w http.ResponseWriter, r *http.Request) {
	out := []any{}
	for _, r := range intervals {
		out = append(out, map[string]any{"name": r.Name, "intervalInMillis": r.Interval.Millis()})
	}
	ok(w, out)
}

func (s *server) exchangeInfo(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	var echo any
	latency := int64(0)
	if v, err := strconv.ParseInt(r.URL.Query().Get("requestTime"), 10, 64); err == nil {
		echo = v
		latency = max(0, now-v)
	}
	ok(w, map[string]any{"requestTimeEcho": echo, "requestReceiveAt": now, "latency": latency})
}
