package mexc

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

func init() {
	plugins.Register(&Spot{})
	plugins.Register(&Perpetual{api{perp: true}})
}

var (
	_ plugins.Plugin = (*Spot)(nil)
	_ plugins.Plugin = (*Perpetual)(nil)
)

// Spot is the mexc_spot plugin.
type Spot struct{ api }

// Perpetual is the mexc_perpetual plugin (USDT-margined contracts).
type Perpetual struct{ api }

type api struct{ perp bool }

// Name implements plugins.Plugin.
func (a *api) Name() string {
	if a.perp {
		return "mexc_perpetual"
	}
	return "mexc_spot"
}

// spotIntervals are the spot REST names (/api/v3/klines "interval"):
// mexc_spot's Defaults.IntervalNames.
var spotIntervals = plugins.IntervalNames{
	{Interval: cc.Interval1m, Name: "1m"}, {Interval: cc.Interval5m, Name: "5m"},
	{Interval: cc.Interval15m, Name: "15m"}, {Interval: cc.Interval30m, Name: "30m"},
	{Interval: cc.Interval1h, Name: "60m"}, {Interval: cc.Interval4h, Name: "4h"},
	{Interval: cc.Interval1d, Name: "1d"}, {Interval: cc.Interval1w, Name: "1W"},
	{Interval: cc.Interval1M, Name: "1M"},
}

// wsIntervals are the contract REST and WS names, which spot WS channels
// use too: mexc_perpetual's Defaults.IntervalNames.
var wsIntervals = plugins.IntervalNames{
	{Interval: cc.Interval1m, Name: "Min1"}, {Interval: cc.Interval5m, Name: "Min5"},
	{Interval: cc.Interval15m, Name: "Min15"}, {Interval: cc.Interval30m, Name: "Min30"},
	{Interval: cc.Interval1h, Name: "Min60"}, {Interval: cc.Interval4h, Name: "Hour4"},
	{Interval: cc.Interval8h, Name: "Hour8"}, {Interval: cc.Interval1d, Name: "Day1"},
	{Interval: cc.Interval1w, Name: "Week1"}, {Interval: cc.Interval1M, Name: "Month1"},
}

// Defaults implements plugins.Plugin.
func (a *api) Defaults() plugins.Defaults {
	d := plugins.Defaults{
		UpstreamREST:   "https://api.mexc.com",
		UpstreamWS:     "wss://wbs-api.mexc.com",
		MaxLimit:       1000,
		VolatileParams: []string{"timestamp", "signature", "recvWindow", "endTime"},
		SecretHeaders:  []string{"X-MEXC-APIKEY", "ApiKey", "Signature", "Request-Time", "Request-Time-Sign"},
		SecretParams:   []string{"signature", "apiKey", "listenKey"}, // futures WS login param; spot user data ?listenKey=
		LoginOps:       []string{"login"},                            // futures {"method":"login","param":{...}}
	}
	// Spot REST; spot WS (wbs-api, which replaced wbs.mexc.com in 2025).
	d.Hosts = []string{"api.mexc.com", "wbs-api.mexc.com"}
	ivs := spotIntervals
	if a.perp {
		d.UpstreamREST = "https://contract.mexc.com"
		d.UpstreamWS = "wss://contract.mexc.com"
		d.Hosts = []string{"contract.mexc.com"} // REST and WS (/edge)
		d.MaxLimit = 2000
		d.VolatileParams = []string{"end"}
		ivs = wsIntervals
	}
	d.Intervals, d.IntervalNames = ivs.Intervals(), ivs
	return d
}

// Symbol implements plugins.Plugin: BTCUSDT on spot, BTC_USDT for
// contracts.
func (a *api) Symbol(p cc.Pair) string {
	if a.perp {
		return p.Base + "_" + p.Quote
	}
	return p.Base + p.Quote
}

// ServerError implements plugins.Plugin.
func (a *api) ServerError() plugins.Response {
	if a.perp {
		return kit.ServerError(`{"success":false,"code":9999,"message":"Public abnormal"}`)
	}
	return kit.ServerError(`{"code":-1000,"msg":"An unknown error occurred while processing the request."}`)
}

// CandlesRequest implements plugins.Plugin.
func (a *api) CandlesRequest(q plugins.Query) (*http.Request, error) {
	v := url.Values{}
	if a.perp {
		name, ok := wsIntervals.Name(q.Interval)
		if !ok {
			return nil, fmt.Errorf("mexc: interval %q not served", q.Interval)
		}
		v.Set("interval", name)
		if q.Start > 0 {
			v.Set("start", strconv.FormatInt(q.Start/1000, 10))
			end := q.End
			if q.Limit > 0 {
				if last := q.Interval.Add(q.Interval.Truncate(q.Start), q.Limit-1); end == 0 || end > last {
					end = last
				}
			}
			if end > 0 {
				v.Set("end", strconv.FormatInt(end/1000, 10))
			}
		} else if q.End > 0 {
			n := q.Limit
			if n <= 0 {
				n = 2000
			}
			v.Set("start", strconv.FormatInt(q.Interval.Add(q.Interval.Truncate(q.End), 1-n)/1000, 10))
			v.Set("end", strconv.FormatInt(q.End/1000, 10))
		} else if q.Limit > 0 {
			// The contract API has no limit; ask for the latest window.
			// The server's clock decides "latest", so leave both out and
			// let the caller trim.
		}
		return http.NewRequest(http.MethodGet, "/api/v1/contract/kline/"+url.PathEscape(q.Symbol)+"?"+v.Encode(), nil)
	}
	name, ok := spotIntervals.Name(q.Interval)
	if !ok {
		return nil, fmt.Errorf("mexc: interval %q not served", q.Interval)
	}
	v.Set("symbol", q.Symbol)
	v.Set("interval", name)
	if q.Start > 0 {
		v.Set("startTime", strconv.FormatInt(q.Start, 10))
	}
	if q.End > 0 {
		v.Set("endTime", strconv.FormatInt(q.End+1, 10)) // endTime is exclusive
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	return http.NewRequest(http.MethodGet, "/api/v3/klines?"+v.Encode(), nil)
}

// DecodeCandles implements plugins.Plugin for spot klines and contract
// klines.
func (a *api) DecodeCandles(req *http.Request, body []byte) (plugins.CandleSet, error) {
	q := req.URL.Query()
	switch {
	case req.URL.Path == "/api/v3/klines":
		iv, ok := spotIntervals.Parse(q.Get("interval"))
		if !ok {
			return plugins.CandleSet{}, plugins.ErrNotCandles
		}
		var rows [][]json.RawMessage
		if err := json.Unmarshal(body, &rows); err != nil {
			return plugins.CandleSet{}, fmt.Errorf("%w: %v", plugins.ErrNotCandles, err)
		}
		set := plugins.CandleSet{Symbol: q.Get("symbol"), Interval: iv}
		for _, r := range rows {
			c, err := parseSpotRow(iv, r)
			if err != nil {
				return plugins.CandleSet{}, err
			}
			set.Candles = append(set.Candles, c)
		}
		return set, nil
	case strings.HasPrefix(req.URL.Path, "/api/v1/contract/kline/") && !strings.Contains(req.URL.Path[len("/api/v1/contract/kline/"):], "/"):
		iv, ok := wsIntervals.Parse(cmp.Or(q.Get("interval"), "Min1"))
		if !ok {
			return plugins.CandleSet{}, plugins.ErrNotCandles
		}
		var resp struct {
			Success bool          `json:"success"`
			Data    *contractCols `json:"data"`
		}
		if err := json.Unmarshal(body, &resp); err != nil || !resp.Success || resp.Data == nil {
			return plugins.CandleSet{}, plugins.ErrNotCandles
		}
		sym, _ := url.PathUnescape(req.URL.Path[len("/api/v1/contract/kline/"):])
		cs, err := resp.Data.candles(iv)
		if err != nil {
			return plugins.CandleSet{}, err
		}
		return plugins.CandleSet{Symbol: sym, Interval: iv, Candles: cs}, nil
	}
	return plugins.CandleSet{}, plugins.ErrNotCandles
}

// KlineSubscription tells the conformance suite how a client streams
// klines.
func (a *api) KlineSubscription(symbol string, iv cc.Interval) (string, [][]byte) {
	name, _ := wsIntervals.Name(iv)
	if a.perp {
		return "/edge", [][]byte{[]byte(fmt.Sprintf(`{"method":"sub.kline","param":{"symbol":%q,"interval":%q}}`, symbol, name))}
	}
	return "/ws", [][]byte{[]byte(fmt.Sprintf(`{"method":"SUBSCRIPTION","params":["spot@public.kline.v3.api.pb@%s@%s"]}`, symbol, name))}
}
