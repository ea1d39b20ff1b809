package coinbase

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// Name is the exchange id of this plugin.
const Name = "coinbase_advanced_trade"

// MaxCandles is the most buckets one candles request may cover.
const MaxCandles = 350

// wsInterval is the bucket size of the WS candles channel: Coinbase only
// streams five-minute candles.
const wsInterval = cc.Interval5m

// Plugin serves Coinbase Advanced Trade. The zero value is ready to use.
type Plugin struct{}

var _ plugins.Plugin = (*Plugin)(nil)

func init() { plugins.Register(&Plugin{}) }

// granularities is Coinbase's granularity enum (the candles request's
// "granularity").
var granularities = plugins.IntervalNames{
	{Interval: cc.Interval1m, Name: "ONE_MINUTE"},
	{Interval: cc.Interval5m, Name: "FIVE_MINUTE"},
	{Interval: cc.Interval15m, Name: "FIFTEEN_MINUTE"},
	{Interval: cc.Interval30m, Name: "THIRTY_MINUTE"},
	{Interval: cc.Interval1h, Name: "ONE_HOUR"},
	{Interval: cc.Interval2h, Name: "TWO_HOUR"},
	{Interval: cc.Interval4h, Name: "FOUR_HOUR"},
	{Interval: cc.Interval6h, Name: "SIX_HOUR"},
	{Interval: cc.Interval1d, Name: "ONE_DAY"},
}

// Name implements plugins.Plugin.
func (*Plugin) Name() string { return Name }

// Defaults implements plugins.Plugin.
func (*Plugin) Defaults() plugins.Defaults {
	return plugins.Defaults{
		UpstreamREST:   "https://api.coinbase.com",
		UpstreamWS:     "wss://advanced-trade-ws.coinbase.com",
		MaxLimit:       MaxCandles,
		Intervals:      granularities.Intervals(),
		IntervalNames:  granularities,
		Hosts:          []string{"api.coinbase.com", "advanced-trade-ws.coinbase.com", "advanced-trade-ws-user.coinbase.com"}, // REST (v3 and v2); market and user WS
		VolatileParams: []string{"jwt", "timestamp"},
		SecretHeaders: []string{
			"Authorization", "CB-ACCESS-KEY", "CB-ACCESS-SIGN", "CB-ACCESS-TIMESTAMP",
			"CB-ACCESS-PASSPHRASE", "CB-VERSION",
		},
		SecretParams: []string{"jwt", "api_key", "signature", "key", "passphrase"}, // key, passphrase: the Exchange feed's authenticated subscribe
	}
}

// Symbol implements plugins.Plugin: Coinbase product ids are BASE-QUOTE.
func (*Plugin) Symbol(p cc.Pair) string { return p.Base + "-" + p.Quote }

// CandlesRequest implements plugins.Plugin. Coinbase needs both start and
// end; a missing end is derived from start and the limit (or now), a
// missing start from end and the limit.
func (*Plugin) CandlesRequest(q plugins.Query) (*http.Request, error) {
	g, ok := granularities.Name(q.Interval)
	if !ok {
		return nil, fmt.Errorf("coinbase: interval %q not served", q.Interval)
	}
	dur := q.Interval.Millis()
	limit := q.Limit
	if limit <= 0 || limit > MaxCandles {
		limit = MaxCandles
	}
	var startMs, endMs int64 // endMs exclusive
	switch {
	case q.Start != 0 && q.End != 0:
		startMs, endMs = q.Start, q.End+1
	case q.Start != 0:
		startMs = q.Start
		endMs = q.Interval.Truncate(q.Start) + int64(limit)*dur
	default:
		endMs = q.End + 1
		if q.End == 0 {
			endMs = time.Now().UnixMilli() + 1
		}
		startMs = q.Interval.Truncate(endMs-1) - int64(limit-1)*dur
	}
	v := url.Values{}
	v.Set("granularity", g)
	v.Set("start", strconv.FormatInt(ceilDiv(startMs, 1000), 10))
	v.Set("end", strconv.FormatInt(ceilDiv(endMs, 1000), 10))
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	u := "/api/v3/brokerage/market/products/" + url.PathEscape(q.Symbol) + "/candles?" + v.Encode()
	return http.NewRequest(http.MethodGet, u, nil)
}

// ServerError implements plugins.Plugin with Coinbase's error envelope.
func (*Plugin) ServerError() plugins.Response {
	return plugins.Response{
		Status: http.StatusInternalServerError,
		Header: http.Header{"Content-Type": {"application/json; charset=utf-8"}},
		Body:   errorBody("INTERNAL", "internal server error"),
	}
}

func ceilDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a > 0) == (b > 0) {
		q++
	}
	return q
}
