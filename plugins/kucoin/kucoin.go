package kucoin

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// Exchange ids of the two plugins.
const (
	SpotName      = "kucoin_spot"
	PerpetualName = "kucoin_perpetual"
)

// Launch is when KuCoin opened (2017-09-15T00:00:00Z, Unix ms): candle
// endpoints list nothing before it, as the exchange has no older data.
const Launch = int64(1505433600000)

// Row caps of the two candle endpoints.
const (
	MaxSpotCandles    = 1500
	MaxFuturesCandles = 500
)

// Plugin serves KuCoin spot or futures; use Spot or Perpetual.
type Plugin struct {
	futures bool
}

// The two registered plugins.
var (
	Spot      = &Plugin{}
	Perpetual = &Plugin{futures: true}
)

var _ plugins.Plugin = (*Plugin)(nil)

func init() {
	plugins.Register(Spot)
	plugins.Register(Perpetual)
}

// typeNames are the spot kline types (/api/v1/market/candles "type", the
// WS topic suffix): kucoin_spot's Defaults.IntervalNames.
var typeNames = plugins.IntervalNames{
	{Interval: cc.Interval1m, Name: "1min"}, {Interval: cc.Interval3m, Name: "3min"},
	{Interval: cc.Interval5m, Name: "5min"},
	{Interval: cc.Interval15m, Name: "15min"}, {Interval: cc.Interval30m, Name: "30min"},
	{Interval: cc.Interval1h, Name: "1hour"},
	{Interval: cc.Interval2h, Name: "2hour"}, {Interval: cc.Interval4h, Name: "4hour"},
	{Interval: cc.Interval6h, Name: "6hour"},
	{Interval: cc.Interval8h, Name: "8hour"}, {Interval: cc.Interval12h, Name: "12hour"},
	{Interval: cc.Interval1d, Name: "1day"},
	{Interval: cc.Interval1w, Name: "1week"}, {Interval: cc.Interval1M, Name: "1month"},
}

// granularities are the futures kline granularities in minutes
// (/api/v1/kline/query "granularity"): kucoin_perpetual's
// Defaults.IntervalNames.
var granularities = plugins.IntervalNames{
	{Interval: cc.Interval1m, Name: "1"}, {Interval: cc.Interval5m, Name: "5"},
	{Interval: cc.Interval15m, Name: "15"}, {Interval: cc.Interval30m, Name: "30"},
	{Interval: cc.Interval1h, Name: "60"}, {Interval: cc.Interval2h, Name: "120"},
	{Interval: cc.Interval4h, Name: "240"}, {Interval: cc.Interval8h, Name: "480"},
	{Interval: cc.Interval12h, Name: "720"}, {Interval: cc.Interval1d, Name: "1440"},
	{Interval: cc.Interval1w, Name: "10080"},
}

// futuresTypes are the interval names the futures candle topic takes
// (/contractMarket/limitCandle:XBTUSDTM_1min): the spot types of the
// futures intervals.
var futuresTypes = plugins.IntervalNames{
	{Interval: cc.Interval1m, Name: "1min"}, {Interval: cc.Interval5m, Name: "5min"},
	{Interval: cc.Interval15m, Name: "15min"},
	{Interval: cc.Interval30m, Name: "30min"}, {Interval: cc.Interval1h, Name: "1hour"},
	{Interval: cc.Interval2h, Name: "2hour"},
	{Interval: cc.Interval4h, Name: "4hour"}, {Interval: cc.Interval8h, Name: "8hour"},
	{Interval: cc.Interval12h, Name: "12hour"},
	{Interval: cc.Interval1d, Name: "1day"}, {Interval: cc.Interval1w, Name: "1week"},
}

// granularity parses a futures granularity as the exchange does: any
// integer spelling of the minutes.
func granularity(s string) (cc.Interval, bool) {
	g, err := strconv.Atoi(s)
	if err != nil {
		return "", false
	}
	return granularities.Parse(strconv.Itoa(g))
}

// Name implements plugins.Plugin.
func (p *Plugin) Name() string {
	if p.futures {
		return PerpetualName
	}
	return SpotName
}

// Defaults implements plugins.Plugin.
func (p *Plugin) Defaults() plugins.Defaults {
	d := plugins.Defaults{
		UpstreamREST:   "https://api.kucoin.com",
		UpstreamWS:     "wss://ws-api-spot.kucoin.com",
		MaxLimit:       MaxSpotCandles,
		VolatileParams: []string{"timestamp", "token", "connectId"},
		SecretHeaders: []string{
			"KC-API-KEY", "KC-API-SIGN", "KC-API-TIMESTAMP", "KC-API-PASSPHRASE",
			"KC-API-KEY-VERSION", "KC-API-PARTNER", "KC-API-PARTNER-SIGN",
		},
		SecretParams: []string{"token"},
	}
	// REST, and the WS endpoint bullet-public hands out.
	d.Hosts = []string{"api.kucoin.com", "ws-api-spot.kucoin.com"}
	if p.futures {
		d.UpstreamREST = "https://api-futures.kucoin.com"
		d.UpstreamWS = "wss://ws-api-futures.kucoin.com"
		// Futures clients also ask the spot host for /api/v3/currencies
		// (ccxt kucoinfutures' loadMarkets), which this id serves too.
		d.Hosts = []string{"api-futures.kucoin.com", "ws-api-futures.kucoin.com", "api.kucoin.com"}
		d.MaxLimit = MaxFuturesCandles
		d.Intervals, d.IntervalNames = granularities.Intervals(), granularities
		return d
	}
	d.Intervals, d.IntervalNames = typeNames.Intervals(), typeNames
	return d
}

// Symbol implements plugins.Plugin: BTC-USDT on spot, XBTUSDTM for the
// perpetual (XBTUSDM for coin-margined USD contracts).
func (p *Plugin) Symbol(pair cc.Pair) string {
	if p.futures {
		return contractSymbol(pair)
	}
	return spotSymbol(pair)
}

func spotSymbol(p cc.Pair) string { return p.Base + "-" + p.Quote }

// futuresBase spells a base asset the futures way (BTC is XBT).
func futuresBase(code string) string {
	if code == "BTC" {
		return "XBT"
	}
	return code
}

func contractSymbol(p cc.Pair) string { return futuresBase(p.Base) + p.Quote + "M" }

// inverse reports whether contract is coin-margined: quoted in USD and
// settled in its base asset (XBTUSDM), one contract being worth 1 USD.
func inverse(contract string) bool { return strings.HasSuffix(contract, "USDM") }

// contracts is a candle's volume in contracts: base volume over the
// multiplier for linear contracts, the USD turnover for inverse ones.
func contracts(c cc.Candle, contract string) cc.Decimal {
	if inverse(contract) {
		return c.QuoteVolume
	}
	return lots(c.Volume, multiplier(contract))
}

// fromContracts is the inverse of contracts: base and quote volume. For
// inverse contracts the base volume is only approximate (turnover over
// the close).
func fromContracts(n, close cc.Decimal, contract string) (base, quote cc.Decimal) {
	if inverse(contract) {
		if close.IsZero() {
			return cc.Decimal{}, n
		}
		return cc.DecimalFromFloat(n.Float64()/close.Float64(), 8), n
	}
	return mulLots(n, multiplier(contract)), cc.Decimal{}
}

// multiplier is the base quantity of one contract, as KuCoin lists it for
// the majors; it depends only on the symbol so decoders can undo it.
func multiplier(contract string) cc.Decimal {
	base := contract
	for _, q := range []string{"USDTM", "USDCM", "USDM"} {
		if strings.HasSuffix(contract, q) {
			base = strings.TrimSuffix(contract, q)
			break
		}
	}
	switch base {
	case "XBT":
		return cc.NewDecimal(1, 3)
	case "ETH", "BNB":
		return cc.NewDecimal(1, 2)
	case "SOL":
		return cc.NewDecimal(1, 1)
	case "XRP":
		return cc.NewDecimal(10, 0)
	case "DOGE":
		return cc.NewDecimal(100, 0)
	}
	return cc.NewDecimal(1, 0)
}

// CandlesRequest implements plugins.Plugin.
func (p *Plugin) CandlesRequest(q plugins.Query) (*http.Request, error) {
	v := url.Values{}
	v.Set("symbol", q.Symbol)
	if p.futures {
		g, ok := granularities.Name(q.Interval)
		if !ok {
			return nil, fmt.Errorf("kucoin: interval %q not served by futures", q.Interval)
		}
		v.Set("granularity", g)
		from, to := window(q, MaxFuturesCandles)
		v.Set("from", strconv.FormatInt(from, 10))
		v.Set("to", strconv.FormatInt(to-1, 10)) // to is inclusive

		return http.NewRequest(http.MethodGet, "/api/v1/kline/query?"+v.Encode(), nil)
	}
	t, ok := typeNames.Name(q.Interval)
	if !ok {
		return nil, fmt.Errorf("kucoin: interval %q not served by spot", q.Interval)
	}
	v.Set("type", t)
	from, to := window(q, MaxSpotCandles)
	v.Set("startAt", strconv.FormatInt(from/1000, 10))
	v.Set("endAt", strconv.FormatInt((to+999)/1000, 10))
	return http.NewRequest(http.MethodGet, "/api/v1/market/candles?"+v.Encode(), nil)
}

// window turns a query into a half-open [from, to) in ms.
func window(q plugins.Query, max int) (int64, int64) {
	limit := q.Limit
	if limit <= 0 || limit > max {
		limit = max
	}
	dur := q.Interval.Millis()
	switch {
	case q.Start != 0 && q.End != 0:
		return q.Start, q.End + 1
	case q.Start != 0:
		return q.Start, q.Interval.Truncate(q.Start) + int64(limit)*dur
	default:
		end := q.End
		if end == 0 {
			end = time.Now().UnixMilli()
		}
		return q.Interval.Truncate(end) - int64(limit-1)*dur, end + 1
	}
}

// ServerError implements plugins.Plugin.
func (p *Plugin) ServerError() plugins.Response {
	return plugins.Response{
		Status: http.StatusInternalServerError,
		Header: http.Header{"Content-Type": {"application/json"}},
		Body:   []byte(`{"code":"500000","msg":"Internal Server Error"}`),
	}
}

// KlineSubscription tells the conformance suite how a client streams
// (symbol, iv): the bullet's endpoint with a token, and a subscribe to the
// candle topic.
func (p *Plugin) KlineSubscription(symbol string, iv cc.Interval) (path string, messages [][]byte) {
	topic, types := spotTopic, typeNames
	if p.futures {
		topic, types = futuresTopic, futuresTypes
	}
	kind, _ := types.Name(iv)
	msg := `{"id":"1","type":"subscribe","topic":"` + topic + symbol + "_" + kind + `","response":true}`
	return "/endpoint?token=conformance&connectId=conformance", [][]byte{[]byte(msg)}
}
