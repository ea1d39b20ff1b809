package binance

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/candlecassette/candlecassette/ratelimit"
)

// Binance's published limits (exchangeInfo rateLimits and the API docs'
// LIMITS pages).
const (
	spotWeightPerMinute    = 6000
	futuresWeightPerMinute = 2400
	spotRawPer5Minutes     = 61000
	spotWSMessagesPerSec   = 5
	futuresWSMessagesPerS  = 10
	wsStreamsPerConnection = 1024
	wsConnAttemptsPer5Min  = 300
)

// RateLimits implements plugins.Plugin with Binance's model: weights
// per endpoint (and by limit or symbol count where Binance varies them) in
// a REQUEST_WEIGHT minute aligned to the clock, X-MBX-USED-WEIGHT-1M on
// every answer, 429 with Retry-After and -1003, then 418 bans from 2
// minutes doubling up to 3 days for IPs that keep going; on WS, 5 (spot)
// or 10 (futures) incoming messages per second before a disconnect, 1024
// streams per connection and 300 connection attempts per IP per 5 minutes.
//
// How many ignored 429s trigger a ban is not published; here it is the
// eleventh refused request in one window.
func (p *Plugin) RateLimits() ratelimit.Model {
	m := ratelimit.Model{
		Refuse: refusal,
		Ban:    &ratelimit.Ban{After: 10, Durations: banDurations()},
		WS: ratelimit.WSModel{
			CloseCode:    1008,
			CloseReason:  "Too many requests",
			MaxStreams:   wsStreamsPerConnection,
			ConnAttempts: wsConnAttemptsPer5Min,
			ConnPeriod:   5 * time.Minute,
		},
	}
	if p.kind == Perpetual {
		m.REST = []ratelimit.Window{{Name: "REQUEST_WEIGHT", Limit: futuresWeightPerMinute, Period: time.Minute, Aligned: true}}
		m.Weight = futuresWeight
		m.UsedHeaders = func(period time.Duration) []string {
			return []string{"X-MBX-USED-WEIGHT-" + ratelimit.IntervalTag(period)}
		}
		m.WS.MessageRate, m.WS.Burst = futuresWSMessagesPerS, futuresWSMessagesPerS
		return m
	}
	m.REST = []ratelimit.Window{
		{Name: "REQUEST_WEIGHT", Limit: spotWeightPerMinute, Period: time.Minute, Aligned: true},
		{Name: "RAW_REQUESTS", Limit: spotRawPer5Minutes, Period: 5 * time.Minute, Aligned: true},
	}
	m.Weight = spotWeight
	// Spot sends the legacy header without the interval too.
	m.UsedHeaders = func(period time.Duration) []string {
		return []string{"X-MBX-USED-WEIGHT", "X-MBX-USED-WEIGHT-" + ratelimit.IntervalTag(period)}
	}
	m.WS.MessageRate, m.WS.Burst = spotWSMessagesPerSec, spotWSMessagesPerSec
	return m
}

// banDurations double from 2 minutes up to Binance's 3-day maximum.
func banDurations() []time.Duration {
	var ds []time.Duration
	for d := 2 * time.Minute; d < 72*time.Hour; d *= 2 {
		ds = append(ds, d)
	}
	return append(ds, 72*time.Hour)
}

// refusal is Binance's -1003 body for a 429 or 418.
func refusal(f ratelimit.Refusal) ratelimit.Response {
	var msg string
	switch f.Kind {
	case ratelimit.Banned:
		msg = fmt.Sprintf("Way too much request weight used; IP banned until %d. Please use WebSocket Streams for live updates to avoid bans.", f.Until.UnixMilli())
	case ratelimit.TooManyConns:
		msg = fmt.Sprintf("Too many connection attempts; current limit of IP(%s) is %d.", f.IP, f.Window.Limit)
	default:
		unit := "request weight"
		if f.Window.Name == "RAW_REQUESTS" {
			unit = "raw requests"
		}
		msg = fmt.Sprintf("Too many requests; current limit of IP(%s) %s per %s is %d. Please use WebSocket Streams for live updates to avoid bans.",
			f.IP, unit, periodWords(f.Window.Period), f.Window.Limit)
	}
	body, _ := json.Marshal(apiError{Code: -1003, Msg: msg})
	return ratelimit.Response{Header: http.Header{"Content-Type": {contentType}}, Body: body}
}

func periodWords(p time.Duration) string {
	switch {
	case p == time.Minute:
		return "minute"
	case p == time.Second:
		return "second"
	case p == time.Hour:
		return "hour"
	case p%time.Minute == 0:
		return fmt.Sprintf("%d minutes", p/time.Minute)
	default:
		return p.String()
	}
}

// spotWeight is the REQUEST_WEIGHT of a spot request.
func spotWeight(r *http.Request) int {
	q := rawQuery(r.URL.RawQuery)
	switch r.URL.Path {
	case "/api/v3/ping", "/api/v3/time":
		return 1
	case "/api/v3/exchangeInfo":
		return 20
	case "/api/v3/klines", "/api/v3/uiKlines", "/api/v3/avgPrice":
		return 2
	case "/api/v3/depth":
		return byLimit(q.Get("limit"), 100, []weightStep{{100, 5}, {500, 25}, {1000, 50}}, 250)
	case "/api/v3/trades", "/api/v1/trades", "/api/v3/historicalTrades":
		return 25
	case "/api/v3/aggTrades":
		return 4
	case "/api/v3/ticker/24hr":
		if q.Has("symbol") {
			return 2
		}
		if n, ok := symbolCount(q.Get("symbols")); ok {
			switch {
			case n <= 20:
				return 2
			case n <= 100:
				return 40
			}
		}
		return 80
	case "/api/v3/ticker/price", "/api/v3/ticker/bookTicker":
		if q.Has("symbol") {
			return 2
		}
		return 4
	case "/api/v3/ticker", "/api/v3/ticker/tradingDay":
		n := 1
		if c, ok := symbolCount(q.Get("symbols")); ok {
			n = c
		}
		return min(4*n, 200)
	}
	return 1
}

// futuresWeight is the REQUEST_WEIGHT of a USD-M futures request.
func futuresWeight(r *http.Request) int {
	q := rawQuery(r.URL.RawQuery)
	switch r.URL.Path {
	case "/fapi/v1/ping", "/fapi/v1/time", "/fapi/v1/exchangeInfo", "/fapi/v1/openInterest", "/fapi/v1/fundingInfo", "/fapi/v1/fundingRate",
		"/dapi/v1/ping", "/dapi/v1/time", "/dapi/v1/exchangeInfo":
		return 1
	case "/fapi/v1/klines", "/fapi/v1/continuousKlines", "/fapi/v1/markPriceKlines",
		"/fapi/v1/indexPriceKlines", "/fapi/v1/premiumIndexKlines":
		return byLimit(q.Get("limit"), 500, []weightStep{{99, 1}, {499, 2}, {1000, 5}}, 10)
	case "/fapi/v1/depth":
		return byLimit(q.Get("limit"), 500, []weightStep{{50, 2}, {100, 5}, {500, 10}}, 20)
	case "/fapi/v1/trades":
		return 5
	case "/fapi/v1/historicalTrades", "/fapi/v1/aggTrades":
		return 20
	case "/fapi/v1/premiumIndex":
		if q.Has("symbol") {
			return 1
		}
		return 10
	case "/fapi/v1/ticker/24hr":
		if q.Has("symbol") {
			return 1
		}
		return 40
	case "/fapi/v1/ticker/price", "/fapi/v2/ticker/price":
		if q.Has("symbol") {
			return 1
		}
		return 2
	case "/fapi/v1/ticker/bookTicker":
		if q.Has("symbol") {
			return 2
		}
		return 5
	}
	return 1
}

// weightStep is a weight for limits up to max.
type weightStep struct{ max, weight int }

// byLimit weighs by the limit parameter (def when absent or unreadable):
// the first step whose max is at least the limit, else above.
func byLimit(raw string, def int, steps []weightStep, above int) int {
	n, err := strconv.Atoi(raw)
	if err != nil || n <= 0 {
		n = def
	}
	for _, s := range steps {
		if n <= s.max {
			return s.weight
		}
	}
	return above
}

// symbolCount counts the symbols of a symbols=["A","B"] parameter.
func symbolCount(raw string) (int, bool) {
	if raw == "" {
		return 0, false
	}
	var syms []string
	if err := json.Unmarshal([]byte(raw), &syms); err == nil {
		return len(syms), true
	}
	return strings.Count(raw, ",") + 1, true
}

// rawQuery answers Get and Has as url.Values would, straight from the raw
// query: weighing a request must not cost a parse of its whole query.
type rawQuery string

// Get is the first value of key ("" if none).
func (q rawQuery) Get(key string) string {
	v, _ := q.lookup(key)
	return v
}

// Has reports whether key was sent.
func (q rawQuery) Has(key string) bool {
	_, ok := q.lookup(key)
	return ok
}

func (q rawQuery) lookup(key string) (string, bool) {
	for kv, ok := range queryPairs(string(q)) {
		if ok && kv.name == key { // ParseQuery drops the pairs !ok
			return kv.value, true
		}
	}
	return "", false
}
