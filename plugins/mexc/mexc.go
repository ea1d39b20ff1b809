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

// spotIntervals are the spot REST names.
var spotIntervals = map[string]cc.Interval{
	"1m": cc.Interval1m, "5m": cc.Interval5m, "15m": cc.Interval15m, "30m": cc.Interval30m,
	"60m": cc.Interval1h, "4h": cc.Interval4h, "1d": cc.Interval1d, "1W": cc.Interval1w,
	"1M": cc.Interval1M,
}

// wsIntervals are the contract REST/WS and spot WS names.
var wsIntervals = map[string]cc.Interval{
	"Min1": cc.Interval1m, "Min5": cc.Interval5m, "Min15": cc.Interval15m, "Min30": cc.Interval30m,
	"Min60": cc.Interval1h, "Hour4": cc.Interval4h, "Hour8": cc.Interval8h, "Day1": cc.Interval1d,
	"Week1": cc.Interval1w, "Month1": cc.Interval1M,
}

func nameOf(m map[string]cc.Interval, iv cc.Interval) (string, bool) {
	for k, v := range m {
		if v == iv {
			return k, true
		}
	}
	return "", false
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
	ivs := spotIntervals
	if a.perp {
		d.UpstreamREST = "https://contract.mexc.com"
		d.UpstreamWS = "wss://contract.mexc.com"
		d.MaxLimit = 2000
		d.VolatileParams = []string{"end"}
		ivs = wsIntervals
	}
	d.Intervals = kit.Served(ivs)
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
		name, ok := nameOf(wsIntervals, q.Interval)
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
	name, ok := nameOf(spotIntervals, q.Interval)
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
		iv, ok := spotIntervals[q.Get("interval")]
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
		iv, ok := wsIntervals[cmp.Or(q.Get("interval"), "Min1")]
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
	name, _ := nameOf(wsIntervals, iv)
	if a.perp {
		return "/edge", [][]byte{[]byte(fmt.Sprintf(`{"method":"sub.kline","param":{"symbol":%q,"interval":%q}}`, symbol, name))}
	}
	return "/ws", [][]byte{[]byte(fmt.Sprintf(`{"method":"SUBSCRIPTION","params":["spot@public.kline.v3.api.pb@%s@%s"]}`, symbol, name))}
}
