package gateio

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

// Spot is the gate_io_spot plugin.
type Spot struct{ api }

// Perpetual is the gate_io_perpetual plugin (USDT-settled contracts).
type Perpetual struct{ api }

// api implements everything both ids share; perp selects the candles
// endpoint and WS path the id stands for.
type api struct{ perp bool }

// Name implements plugins.Plugin.
func (a *api) Name() string {
	if a.perp {
		return "gate_io_perpetual"
	}
	return "gate_io_spot"
}

// spotIntervals are Gate's spot interval names (candlesticks' "interval",
// the spot.candlesticks payload and its pushes' "n").
var spotIntervals = plugins.IntervalNames{
	{Interval: cc.Interval1s, Name: "1s"}, {Interval: cc.Interval1m, Name: "1m"},
	{Interval: cc.Interval5m, Name: "5m"}, {Interval: cc.Interval15m, Name: "15m"},
	{Interval: cc.Interval30m, Name: "30m"}, {Interval: cc.Interval1h, Name: "1h"},
	{Interval: cc.Interval4h, Name: "4h"}, {Interval: cc.Interval8h, Name: "8h"},
	{Interval: cc.Interval1d, Name: "1d"}, {Interval: cc.Interval1w, Name: "7d"},
	{Interval: cc.Interval1M, Name: "30d"},
}

// futuresIntervals are Gate's futures interval names; "1w" is accepted
// beside "7d", which is what a week is spelled as.
var futuresIntervals = plugins.IntervalNames{
	{Interval: cc.Interval1m, Name: "1m"}, {Interval: cc.Interval5m, Name: "5m"},
	{Interval: cc.Interval15m, Name: "15m"}, {Interval: cc.Interval30m, Name: "30m"},
	{Interval: cc.Interval1h, Name: "1h"}, {Interval: cc.Interval2h, Name: "2h"},
	{Interval: cc.Interval4h, Name: "4h"}, {Interval: cc.Interval6h, Name: "6h"},
	{Interval: cc.Interval8h, Name: "8h"}, {Interval: cc.Interval12h, Name: "12h"},
	{Interval: cc.Interval1d, Name: "1d"}, {Interval: cc.Interval1w, Name: "7d"},
	{Interval: cc.Interval1w, Name: "1w"}, {Interval: cc.Interval1M, Name: "30d"},
}

// intervals is the interval-name table of this exchange id.
func (a *api) intervals() plugins.IntervalNames {
	if a.perp {
		return futuresIntervals
	}
	return spotIntervals
}

// Defaults implements plugins.Plugin.
func (a *api) Defaults() plugins.Defaults {
	d := plugins.Defaults{
		UpstreamREST:   "https://api.gateio.ws",
		UpstreamWS:     "wss://api.gateio.ws",
		MaxLimit:       1000,
		VolatileParams: []string{"time", "id", "Timestamp"},
		SecretHeaders:  []string{"KEY", "SIGN", "Timestamp"},
		SecretParams:   []string{"api_key", "signature"},
		LoginOps:       []string{"spot.login", "futures.login"}, // the WS API's {"channel":"spot.login","payload":{...}}
	}
	// REST for every market and spot WS (/ws/v4/) on api.gateio.ws;
	// futures also on the futures-only REST host fx-api.gateio.ws, and
	// futures WS (/v4/ws/usdt) on fx-ws.gateio.ws.
	d.Hosts = []string{"api.gateio.ws"}
	if a.perp {
		d.UpstreamWS = "wss://fx-ws.gateio.ws"
		d.Hosts = []string{"api.gateio.ws", "fx-api.gateio.ws", "fx-ws.gateio.ws"}
		d.MaxLimit = 2000
	}
	d.Intervals, d.IntervalNames = a.intervals().Intervals(), a.intervals()
	return d
}

// Symbol implements plugins.Plugin: Gate spells pairs and contracts
// BASE_QUOTE.
func (a *api) Symbol(p cc.Pair) string { return p.Base + "_" + p.Quote }

// ServerError implements plugins.Plugin.
func (a *api) ServerError() plugins.Response {
	return kit.ServerError(`{"label":"SERVER_ERROR","message":"Internal server error"}`)
}

// CandlesRequest implements plugins.Plugin. Gate rejects limit together
// with from/to, so a query with a start is sent as a from/to range.
func (a *api) CandlesRequest(q plugins.Query) (*http.Request, error) {
	giv, ok := a.intervals().Name(q.Interval)
	if !ok {
		return nil, fmt.Errorf("gateio: interval %q not served", q.Interval)
	}
	v := url.Values{}
	path := "/api/v4/spot/candlesticks"
	if a.perp {
		path = "/api/v4/futures/usdt/candlesticks"
		v.Set("contract", q.Symbol)
	} else {
		v.Set("currency_pair", q.Symbol)
	}
	v.Set("interval", giv)
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	switch {
	case q.Start > 0:
		v.Set("from", strconv.FormatInt(q.Start/1000, 10))
		to := q.End
		start := q.Interval.Ceil(q.Start)
		if last := q.Interval.Add(start, limit-1); to <= 0 || to > last {
			to = last
		}
		v.Set("to", strconv.FormatInt(to/1000, 10))
	case q.End > 0:
		v.Set("from", strconv.FormatInt(q.Interval.Add(q.Interval.Truncate(q.End), 1-limit)/1000, 10))
		v.Set("to", strconv.FormatInt(q.End/1000, 10))
	default:
		v.Set("limit", strconv.Itoa(limit))
	}
	return http.NewRequest(http.MethodGet, path+"?"+v.Encode(), nil)
}

// DecodeCandles implements plugins.Plugin for spot and futures candle
// listings.
func (a *api) DecodeCandles(req *http.Request, body []byte) (plugins.CandleSet, error) {
	q := req.URL.Query()
	switch {
	case req.URL.Path == "/api/v4/spot/candlesticks":
		iv, ok := spotIntervals.Parse(cmp.Or(q.Get("interval"), "30m"))
		if !ok {
			return plugins.CandleSet{}, plugins.ErrNotCandles
		}
		var rows [][]string
		if err := json.Unmarshal(body, &rows); err != nil {
			return plugins.CandleSet{}, fmt.Errorf("%w: %v", plugins.ErrNotCandles, err)
		}
		set := plugins.CandleSet{Symbol: q.Get("currency_pair"), Interval: iv}
		for _, r := range rows {
			c, err := parseSpotRow(iv, r)
			if err != nil {
				return plugins.CandleSet{}, err
			}
			set.Candles = append(set.Candles, c)
		}
		return set, nil
	case strings.HasPrefix(req.URL.Path, "/api/v4/futures/") && strings.HasSuffix(req.URL.Path, "/candlesticks"):
		iv, ok := futuresIntervals.Parse(cmp.Or(q.Get("interval"), "5m"))
		contract := q.Get("contract")
		if !ok || strings.HasPrefix(contract, "mark_") || strings.HasPrefix(contract, "index_") {
			return plugins.CandleSet{}, plugins.ErrNotCandles
		}
		var rows []futuresCandle
		if err := json.Unmarshal(body, &rows); err != nil {
			return plugins.CandleSet{}, fmt.Errorf("%w: %v", plugins.ErrNotCandles, err)
		}
		mult := multiplierFor(rows)
		set := plugins.CandleSet{Symbol: contract, Interval: iv}
		for _, r := range rows {
			set.Candles = append(set.Candles, r.candle(iv, mult))
		}
		return set, nil
	}
	return plugins.CandleSet{}, plugins.ErrNotCandles
}

// KlineSubscription tells the conformance suite how a client streams
// klines.
func (a *api) KlineSubscription(symbol string, iv cc.Interval) (string, [][]byte) {
	name, _ := a.intervals().Name(iv)
	path, channel := "/ws/v4/", "spot.candlesticks"
	if a.perp {
		path, channel = "/v4/ws/usdt", "futures.candlesticks"
	}
	msg := fmt.Sprintf(`{"id":1,"time":0,"channel":%q,"event":"subscribe","payload":[%q,%q]}`, channel, name, symbol)
	return path, [][]byte{[]byte(msg)}
}
