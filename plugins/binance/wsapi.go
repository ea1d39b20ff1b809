package binance

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"sync"

	"github.com/candlecassette/candlecassette/plugins"
)

// Binance's WebSocket API (/ws-api/v3 on spot, /ws-fapi/v1 on USD-M): a
// request {"id","method","params":{...}} is answered by the REST endpoint
// the method mirrors, wrapped as {"id","status":200,"result":...,
// "rateLimits":[...]} or {"id","status":4xx,"error":{"code","msg"},
// "rateLimits":[...]}. Weights are the REST endpoint's, counted per
// connection in the clock's minute.

// wsAPIMethods map spot's market-data methods to their REST endpoints.
var wsAPIMethods = map[string]string{
	"ping":              "/api/v3/ping",
	"time":              "/api/v3/time",
	"exchangeInfo":      "/api/v3/exchangeInfo",
	"klines":            "/api/v3/klines",
	"uiKlines":          "/api/v3/uiKlines",
	"trades.recent":     "/api/v3/trades",
	"trades.historical": "/api/v3/historicalTrades",
	"trades.aggregate":  "/api/v3/aggTrades",
	"ticker.price":      "/api/v3/ticker/price",
	"ticker.book":       "/api/v3/ticker/bookTicker",
	"ticker.24hr":       "/api/v3/ticker/24hr",
	"ticker":            "/api/v3/ticker",
	"ticker.tradingDay": "/api/v3/ticker/tradingDay",
	"avgPrice":          "/api/v3/avgPrice",
	"depth":             "/api/v3/depth",
}

// wsFapiMethods are USD-M's documented market-data methods.
var wsFapiMethods = map[string]string{
	"ticker.price": "/fapi/v2/ticker/price",
	"ticker.book":  "/fapi/v1/ticker/bookTicker",
	"depth":        "/fapi/v1/depth",
}

// wsAPIPath is the WS API's path for p's kind.
func (p *Plugin) wsAPIPath() string {
	if p.kind == Perpetual {
		return "/ws-fapi/v1"
	}
	return "/ws-api/v3"
}

// wsAPI is the WS API protocol; a connection's state is its weight count.
type wsAPI struct{ s *server }

type wsAPIConn struct {
	mu     sync.Mutex
	minute int64 // the clock's minute the count is of
	count  int
	unit   timeUnit
}

func (a *wsAPI) Open(s *plugins.Session) error {
	c := &wsAPIConn{}
	if a.s.p.kind == Spot {
		c.unit, _ = parseTimeUnit(s.Request().URL.Query().Get("timeUnit"))
	}
	s.State = c
	return nil
}

// wsAPIRequest is a request frame.
type wsAPIRequest struct {
	ID     json.RawMessage            `json:"id"`
	Method string                     `json:"method"`
	Params map[string]json.RawMessage `json:"params"`
}

func (a *wsAPI) Message(s *plugins.Session, _ int, data []byte) {
	c := s.State.(*wsAPIConn)
	var req wsAPIRequest
	if err := json.Unmarshal(data, &req); err != nil || !bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		s.Send(a.reply(nil, http.StatusBadRequest, nil, &apiError{Code: -1013, Msg: "Invalid message."}, c.used(a.s, 0)))
		return
	}
	if req.ID == nil || !validID(req.ID) {
		s.Send(a.reply(nil, http.StatusBadRequest, nil, &apiError{Code: -1013, Msg: "Invalid 'id' parameter."}, c.used(a.s, 0)))
		return
	}
	methods := wsAPIMethods
	if a.s.p.kind == Perpetual {
		methods = wsFapiMethods
	}
	path, ok := methods[req.Method]
	if !ok {
		s.Send(a.reply(req.ID, http.StatusBadRequest, nil, &apiError{Code: -1020, Msg: "Unsupported operation."}, c.used(a.s, 0)))
		return
	}
	q, aerr := wsAPIQuery(req.Params)
	if aerr != nil {
		s.Send(a.reply(req.ID, http.StatusBadRequest, nil, aerr, c.used(a.s, 0)))
		return
	}
	u := &url.URL{Path: path, RawQuery: q}
	r, _ := http.NewRequestWithContext(s.Context(), http.MethodGet, u.String(), nil)
	if c.unit == micros {
		r = r.WithContext(context.WithValue(r.Context(), timeUnitKey{}, micros))
	}
	weight := spotWeight(r)
	if a.s.p.kind == Perpetual {
		weight = futuresWeight(r)
	}
	rec := &recorder{status: http.StatusOK, header: http.Header{}}
	a.s.serveREST(rec, r)
	used := c.used(a.s, weight)
	if rec.status != http.StatusOK {
		var e apiError
		if json.Unmarshal(rec.body.Bytes(), &e) != nil {
			e = *errInternal()
		}
		s.Send(a.reply(req.ID, rec.status, nil, &e, used))
		return
	}
	s.Send(a.reply(req.ID, http.StatusOK, rec.body.Bytes(), nil, used))
}

// wsAPIQuery turns params into the REST query: strings as they are,
// numbers and booleans as written, arrays (symbols) as compact JSON.
func wsAPIQuery(params map[string]json.RawMessage) (string, *apiError) {
	v := url.Values{}
	for k, raw := range params {
		raw = bytes.TrimSpace(raw)
		switch {
		case len(raw) == 0 || bytes.Equal(raw, []byte("null")):
			continue
		case raw[0] == '"':
			var s string
			if json.Unmarshal(raw, &s) != nil {
				return "", errIllegalChars(k, symbolRange)
			}
			v.Set(k, s)
		case raw[0] == '[':
			var items []string
			if json.Unmarshal(raw, &items) != nil {
				return "", errIllegalChars(k, symbolsRange)
			}
			b, _ := json.Marshal(items)
			v.Set(k, string(b))
		case raw[0] == '{':
			return "", badRequest(-1100, "Illegal characters found in parameter '"+k+"'.")
		default:
			v.Set(k, string(raw))
		}
	}
	return v.Encode(), nil
}

// used adds weight to the connection's count for the clock's minute and
// returns the rateLimits entry.
func (c *wsAPIConn) used(s *server, weight int) []byte {
	minute := s.env.Clock.NowMillis() / 60_000
	c.mu.Lock()
	if minute != c.minute {
		c.minute, c.count = minute, 0
	}
	c.count += weight
	n := c.count
	c.mu.Unlock()
	limit := spotWeightPerMinute
	if s.p.kind == Perpetual {
		limit = futuresWeightPerMinute
	}
	b := []byte(`[{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":`)
	b = strconv.AppendInt(b, int64(limit), 10)
	b = append(b, `,"count":`...)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, `}]`...)
}

// reply encodes the envelope.
func (a *wsAPI) reply(id json.RawMessage, status int, result []byte, e *apiError, rateLimits []byte) []byte {
	if id == nil {
		id = json.RawMessage("null")
	}
	b := make([]byte, 0, 64+len(result)+len(rateLimits))
	b = append(b, `{"id":`...)
	b = append(b, id...)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	if e != nil {
		eb, _ := json.Marshal(e)
		b = append(b, `,"error":`...)
		b = append(b, eb...)
	} else {
		b = append(b, `,"result":`...)
		b = append(b, result...)
	}
	b = append(b, `,"rateLimits":`...)
	b = append(b, rateLimits...)
	return append(b, '}')
}

// recorder captures a REST answer for the WS API.
type recorder struct {
	status int
	header http.Header
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(status int)      { r.status = status }
