package ascendex

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

func init() { plugins.Register(&Spot{}) }

var _ plugins.Plugin = (*Spot)(nil)

// Spot is the ascend_ex_spot plugin.
type Spot struct{}

// Name implements plugins.Plugin.
func (*Spot) Name() string { return "ascend_ex_spot" }

// intervals are AscendEX's interval names (barhist's "interval", the WS
// channel bar:{interval}:{symbol}), in the order barhist/info lists them.
// "1m" is a month.
var intervals = plugins.IntervalNames{
	{Interval: cc.Interval1m, Name: "1"}, {Interval: cc.Interval5m, Name: "5"},
	{Interval: cc.Interval15m, Name: "15"}, {Interval: cc.Interval30m, Name: "30"},
	{Interval: cc.Interval1h, Name: "60"}, {Interval: cc.Interval2h, Name: "120"},
	{Interval: cc.Interval4h, Name: "240"}, {Interval: cc.Interval6h, Name: "360"},
	{Interval: cc.Interval12h, Name: "720"}, {Interval: cc.Interval1d, Name: "1d"},
	{Interval: cc.Interval1w, Name: "1w"}, {Interval: cc.Interval1M, Name: "1m"},
}

// maxBars is the most bars one barhist request returns.
const maxBars = 500

// Defaults implements plugins.Plugin.
func (*Spot) Defaults() plugins.Defaults {
	d := plugins.Defaults{
		UpstreamREST:   "https://ascendex.com",
		UpstreamWS:     "wss://ascendex.com",
		MaxLimit:       maxBars,
		Hosts:          []string{"ascendex.com"}, // REST and WS (/api/pro/v2/stream, :443)
		VolatileParams: []string{"requestTime", "x-auth-timestamp"},
		SecretHeaders:  []string{"x-auth-key", "x-auth-signature", "x-auth-timestamp"},
		SecretParams:   []string{"key", "sig"},
		LoginOps:       []string{"auth"}, // {"op":"auth","key":..,"sig":..}
	}
	d.Intervals, d.IntervalNames = intervals.Intervals(), intervals
	return d
}

// Symbol implements plugins.Plugin: BASE/QUOTE.
func (*Spot) Symbol(p cc.Pair) string { return p.Base + "/" + p.Quote }

// ServerError implements plugins.Plugin.
func (*Spot) ServerError() plugins.Response {
	return kit.ServerError(`{"code":100101,"reason":"UNKNOWN_ERROR","message":"Internal server error"}`)
}

// CandlesRequest implements plugins.Plugin.
func (*Spot) CandlesRequest(q plugins.Query) (*http.Request, error) {
	name, ok := intervals.Name(q.Interval)
	if !ok {
		return nil, fmt.Errorf("ascendex: interval %q not served", q.Interval)
	}
	v := url.Values{}
	v.Set("symbol", q.Symbol)
	v.Set("interval", name)
	n := q.Limit
	if n <= 0 || n > maxBars {
		n = maxBars
	}
	switch {
	case q.Start > 0:
		start := q.Interval.Ceil(q.Start)
		to := q.Interval.CloseTime(q.Interval.Add(start, n-1))
		if q.End > 0 && q.End < to {
			to = q.End
		}
		v.Set("from", strconv.FormatInt(q.Start, 10))
		v.Set("to", strconv.FormatInt(to, 10))
	case q.End > 0:
		v.Set("to", strconv.FormatInt(q.End, 10))
		v.Set("n", strconv.Itoa(n))
	default:
		v.Set("n", strconv.Itoa(n))
	}
	return http.NewRequest(http.MethodGet, "/api/pro/v1/barhist?"+v.Encode(), nil)
}

// bar is one barhist entry or WS push.
type bar struct {
	M    string `json:"m"`
	S    string `json:"s"`
	Data struct {
		I  string     `json:"i"`
		Ts int64      `json:"ts"`
		O  cc.Decimal `json:"o"`
		C  cc.Decimal `json:"c"`
		H  cc.Decimal `json:"h"`
		L  cc.Decimal `json:"l"`
		V  cc.Decimal `json:"v"`
	} `json:"data"`
}

// candle converts b. Bars carry no quote volume; it stays zero.
func (b *bar) candle(iv cc.Interval, closed bool) cc.Candle {
	d := b.Data
	return cc.Candle{
		OpenTime: d.Ts, CloseTime: iv.CloseTime(d.Ts),
		Open: d.O, High: d.H, Low: d.L, Close: d.C, Volume: d.V, Closed: closed,
	}
}

// KlineSubscription tells the conformance suite how a client streams
// klines.
func (*Spot) KlineSubscription(symbol string, iv cc.Interval) (string, [][]byte) {
	name, _ := intervals.Name(iv)
	return "/api/pro/v2/stream", [][]byte{[]byte(`{"op":"sub","id":"1","ch":"bar:` + name + `:` + symbol + `"}`)}
}

// DecodeCandles implements plugins.Plugin for barhist replies.
func (*Spot) DecodeCandles(req *http.Request, body []byte) (plugins.CandleSet, error) {
	if req.URL.Path != "/api/pro/v1/barhist" {
		return plugins.CandleSet{}, plugins.ErrNotCandles
	}
	q := req.URL.Query()
	iv, ok := intervals.Parse(q.Get("interval"))
	if !ok {
		return plugins.CandleSet{}, plugins.ErrNotCandles
	}
	var resp struct {
		Code int   `json:"code"`
		Data []bar `json:"data"`
	}
	if err := json.Unmarshal(body, &resp); err != nil || resp.Code != 0 {
		return plugins.CandleSet{}, plugins.ErrNotCandles
	}
	set := plugins.CandleSet{Symbol: q.Get("symbol"), Interval: iv}
	n := len(resp.Data)
	// The last bar is final only when the range ends after its close and
	// every bar of the range came back (else the present cut it short).
	lastOpen := true
	if from, err := strconv.ParseInt(q.Get("from"), 10, 64); err == nil && n > 0 {
		to, err := strconv.ParseInt(q.Get("to"), 10, 64)
		if err == nil {
			start := iv.Ceil(from)
			lastTs := resp.Data[n-1].Data.Ts
			lastOpen = iv.Count(start, to) > int64(n) || iv.CloseTime(lastTs) > to
		}
	}
	for i := range resp.Data {
		b := &resp.Data[i]
		if b.M != "bar" {
			return plugins.CandleSet{}, plugins.ErrNotCandles
		}
		set.Candles = append(set.Candles, b.candle(iv, i < n-1 || !lastOpen))
	}
	return set, nil
}
