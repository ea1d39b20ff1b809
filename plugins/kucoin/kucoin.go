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

// typeNames maps spot kline types (also the WS topic suffixes) to
// canonical intervals.
var typeNames = map[string]cc.Interval{
	"1min": cc.Interval1m, "3min": cc.Interval3m, "5min": cc.Interval5m,
	"15min": cc.Interval15m, "30min": cc.Interval30m, "1hour": cc.Interval1h,
	"2hour": cc.Interval2h, "4hour": cc.Interval4h, "6hour": cc.Interval6h,
	"8hour": cc.Interval8h, "12hour": cc.Interval12h, "1day": cc.Interval1d,
	"1week": cc.Interval1w, "1month": cc.Interval1M,
}

var typeOf = func() map[cc.Interval]string {
	m := map[cc.Interval]string{}
	for k, v := range typeNames {
		m[v] = k
	}
	return m
}()

// granularities are the futures kline granularities in minutes.
var granularities = map[int]cc.Interval{
	1: cc.Interval1m, 5: cc.Interval5m, 15: cc.Interval15m, 30: cc.Interval30m,
	60: cc.Interval1h, 120: cc.Interval2h, 240: cc.Interval4h, 480: cc.Interval8h,
	720: cc.Interval12h, 1440: cc.Interval1d, 10080: cc.Interval1w,
}

// futuresTypes are the WS interval names the futures candle topic takes.
var futuresTypes = map[string]bool{
	"1min": true, "5min": true, "15min": true, "30min": true, "1hour": true, "2hour": true,
	"4hour": true, "8hour": true, "12hour": true, "1day": true, "1week": true,
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
	if p.futures {
		d.UpstreamREST = "https://api-futures.kucoin.com"
		d.UpstreamWS = "wss://ws-api-futures.kucoin.com"
		d.MaxLimit = MaxFuturesCandles
		for _, iv := range []cc.Interval{cc.Interval1m, cc.Interval5m, cc.Interval15m, cc.Interval30m, cc.Interval1h, cc.Interval2h, cc.Interval4h, cc.Interval8h, cc.Interval12h, cc.Interval1d, cc.Interval1w} {
			d.Intervals = append(d.Intervals, iv)
		}
		return d
	}
	for _, iv := range cc.Intervals {
		if _, ok := typeOf[iv]; ok {
			d.Intervals = append(d.Intervals, iv)
		}
	}
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
		g := 0
		for m, iv := range granularities {
			if iv == q.Interval {
				g = m
			}
		}
		if g == 0 {
			return nil, fmt.Errorf("kucoin: interval %q not served by futures", q.Interval)
		}
		v.Set("granularity", strconv.Itoa(g))
		from, to := window(q, MaxFuturesCandles)
		v.Set("from", strconv.FormatInt(from, 10))
		v.Set("to", strconv.FormatInt(to-1, 10)) // to is inclusive

		return http.NewRequest(http.MethodGet, "/api/v1/kline/query?"+v.Encode(), nil)
	}
	t, ok := typeOf[q.Interval]
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
	topic := spotTopic
	if p.futures {
		topic = futuresTopic
	}
	msg := `{"id":"1","type":"subscribe","topic":"` + topic + symbol + "_" + typeOf[iv] + `","response":true}`
	return "/endpoint?token=conformance&connectId=conformance", [][]byte{[]byte(msg)}
}
