package kraken

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// Name is the exchange id of this plugin.
const Name = "kraken_spot"

// MaxRows is the most candles OHLC returns (Kraken keeps no more per
// interval).
const MaxRows = 720

// Plugin serves Kraken Spot. The zero value is ready to use.
type Plugin struct{}

var _ plugins.Plugin = (*Plugin)(nil)

func init() { plugins.Register(&Plugin{}) }

// minutes are Kraken's intervals, in minutes (OHLC's "interval", the WS
// v1 channel ohlc-{minutes} and v2 "interval"), that are canonical ones;
// the 15-day candle (21600) is not (see frameOf).
var minutes = plugins.IntervalNames{
	{Interval: cc.Interval1m, Name: "1"}, {Interval: cc.Interval5m, Name: "5"},
	{Interval: cc.Interval15m, Name: "15"}, {Interval: cc.Interval30m, Name: "30"},
	{Interval: cc.Interval1h, Name: "60"}, {Interval: cc.Interval4h, Name: "240"},
	{Interval: cc.Interval1d, Name: "1440"}, {Interval: cc.Interval1w, Name: "10080"},
}

// intervalOf is the canonical interval of m minutes.
func intervalOf(m int) (cc.Interval, bool) { return minutes.Parse(strconv.Itoa(m)) }

// minutesOf is iv in minutes, 0 if Kraken does not serve it.
func minutesOf(iv cc.Interval) int {
	name, _ := minutes.Name(iv)
	m, _ := strconv.Atoi(name)
	return m
}

// Name implements plugins.Plugin.
func (*Plugin) Name() string { return Name }

// Defaults implements plugins.Plugin.
func (*Plugin) Defaults() plugins.Defaults {
	return plugins.Defaults{
		UpstreamREST:   "https://api.kraken.com",
		UpstreamWS:     "wss://ws.kraken.com",
		MaxLimit:       MaxRows,
		Intervals:      minutes.Intervals(),
		IntervalNames:  minutes,
		Hosts:          []string{"api.kraken.com", "ws.kraken.com", "ws-auth.kraken.com"}, // REST; WS v1 and /v2, public and authenticated
		VolatileParams: []string{"nonce", "otp"},
		SecretHeaders:  []string{"API-Key", "API-Sign"},
		SecretParams:   []string{"nonce", "otp", "token"},
	}
}

// Symbol implements plugins.Plugin: the wsname spelling, XBT/USD.
func (*Plugin) Symbol(p cc.Pair) string { return namesOf(p).wsname }

// CandlesRequest implements plugins.Plugin. Kraken has no end or limit
// parameter: it answers the (at most 720) candles after since.
func (*Plugin) CandlesRequest(q plugins.Query) (*http.Request, error) {
	m := minutesOf(q.Interval)
	if m == 0 {
		return nil, fmt.Errorf("kraken: interval %q not served", q.Interval)
	}
	v := url.Values{}
	v.Set("pair", namesOfSymbol(q.Symbol).key)
	v.Set("interval", strconv.Itoa(m))
	if q.Start != 0 {
		// Kraken answers candles opening after since.
		v.Set("since", strconv.FormatInt(q.Start/1000-int64(m)*60, 10))
	}
	return http.NewRequest(http.MethodGet, "/0/public/OHLC?"+v.Encode(), nil)
}

// ServerError implements plugins.Plugin.
func (*Plugin) ServerError() plugins.Response {
	return plugins.Response{
		Status: http.StatusInternalServerError,
		Header: http.Header{"Content-Type": {"application/json; charset=utf-8"}},
		Body:   []byte(`{"error":["EGeneral:Internal error"]}`),
	}
}

// IgnoresLimit tells the conformance suite that OHLC answers its fixed
// page (up to 720 candles after since) whatever a client wants.
func (*Plugin) IgnoresLimit() bool { return true }

// KlineSubscription tells the conformance suite how a client streams
// (symbol, iv) over WS v2.
func (*Plugin) KlineSubscription(symbol string, iv cc.Interval) (path string, messages [][]byte) {
	n := namesOfSymbol(symbol)
	msg := fmt.Sprintf(`{"method":"subscribe","params":{"channel":"ohlc","symbol":[%q],"interval":%d},"req_id":1}`, n.v2, minutesOf(iv))
	return "/v2", [][]byte{[]byte(msg)}
}
