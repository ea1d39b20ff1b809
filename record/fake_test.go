package record_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/ratelimit"
)

// fakeEx is a Binance-shaped exchange registered for these tests only, so
// the proxy is tested against a plugin whose decoding we control.
type fakeEx struct{}

const fakeName = "recordtest_spot"

func init() { plugins.Register(fakeEx{}) }

func (fakeEx) Name() string { return fakeName }
func (fakeEx) Defaults() plugins.Defaults {
	return plugins.Defaults{
		UpstreamREST: "http://127.0.0.1:1", UpstreamWS: "ws://127.0.0.1:1", MaxLimit: 1000,
		Intervals:      []cc.Interval{cc.Interval1m, cc.Interval1h},
		VolatileParams: []string{"timestamp"}, SecretHeaders: []string{"X-Fake-Secret", "X-MBX-APIKEY"}, SecretParams: []string{"fakeToken"},
	}
}
func (fakeEx) Symbol(p cc.Pair) string           { return p.Base + p.Quote }
func (fakeEx) Handler(*plugins.Env) http.Handler { return http.NotFoundHandler() }
func (fakeEx) CandlesRequest(q plugins.Query) (*http.Request, error) {
	return http.NewRequest("GET", fmt.Sprintf("/api/v3/klines?symbol=%s&interval=%s&startTime=%d&limit=%d", q.Symbol, q.Interval, q.Start, q.Limit), nil)
}
func (fakeEx) ServerError() plugins.Response {
	return plugins.Response{Status: 500, Body: []byte(`{"code":-1001}`)}
}
func (fakeEx) Routes() (rest, ws []string) { return []string{"/api/v3/klines"}, []string{"/ws"} }
func (fakeEx) RateLimits() ratelimit.Model {
	return ratelimit.Model{REST: []ratelimit.Window{{Name: "REQUEST_WEIGHT", Limit: 6000, Period: time.Minute}}}
}

func (fakeEx) DecodeCandles(req *http.Request, body []byte) (plugins.CandleSet, error) {
	if req.URL.Path != "/api/v3/klines" {
		return plugins.CandleSet{}, plugins.ErrNotCandles
	}
	var rows [][]json.RawMessage
	if err := json.Unmarshal(body, &rows); err != nil {
		return plugins.CandleSet{}, plugins.ErrNotCandles
	}
	q := req.URL.Query()
	set := plugins.CandleSet{Symbol: q.Get("symbol"), Interval: cc.Interval(q.Get("interval"))}
	for _, r := range rows {
		set.Candles = append(set.Candles, rowCandle(r))
	}
	return set, nil
}

func rowCandle(r []json.RawMessage) cc.Candle {
	str := func(i int) string { s, _ := strconv.Unquote(string(r[i])); return s }
	num := func(i int) int64 { n, _ := strconv.ParseInt(string(r[i]), 10, 64); return n }
	d := func(i int) cc.Decimal { return cc.MustDecimal(str(i)) }
	return cc.Candle{OpenTime: num(0), Open: d(1), High: d(2), Low: d(3), Close: d(4), Volume: d(5),
		CloseTime: num(6), QuoteVolume: d(7), Trades: num(8), TakerBuyBase: d(9), TakerBuyQuote: d(10), Closed: true}
}

func (fakeEx) DecodeFrame(path string, frame []byte) ([]cc.Update, error) {
	var m struct {
		E  string `json:"e"`
		ET int64  `json:"E"`
		S  string `json:"s"`
		K  struct {
			T  int64  `json:"t"`
			CT int64  `json:"T"`
			I  string `json:"i"`
			O  string `json:"o"`
			C  string `json:"c"`
			H  string `json:"h"`
			L  string `json:"l"`
			X  bool   `json:"x"`
		} `json:"k"`
	}
	if err := json.Unmarshal(frame, &m); err != nil || m.E != "kline" {
		return nil, plugins.ErrNotCandles
	}
	k := m.K
	c := cc.Candle{OpenTime: k.T, CloseTime: k.CT, Open: cc.MustDecimal(k.O), High: cc.MustDecimal(k.H),
		Low: cc.MustDecimal(k.L), Close: cc.MustDecimal(k.C), Closed: k.X}
	return []cc.Update{{Symbol: m.S, Interval: cc.Interval(k.I), Candle: c}}, nil
}

// klineRows is a Binance klines body of n 1m candles from start.
func klineRows(start int64, n int) []byte {
	var b strings.Builder
	b.WriteByte('[')
	for i := 0; i < n; i++ {
		t := start + int64(i)*60_000
		if i > 0 {
			b.WriteByte(',')
		}
		p := 4200000 + (t/60_000)%997*13
		fmt.Fprintf(&b, `[%d,"%d.%02d","%d.%02d","%d.%02d","%d.%02d","%d.%05d",%d,"%d.%04d",%d,"%d.%05d","%d.%04d","0"]`,
			t, p/100, p%100, (p+50)/100, (p+50)%100, (p-40)/100, (p-40)%100, (p+7)/100, (p+7)%100,
			(t/1000)%13, (t/7)%100000, t+59_999, (t/3)%900000, (t/60_000)%500, (t/11)%7, (t/13)%100000, (t/17)%400000, (t/19)%10000, 300+i%50)
	}
	b.WriteByte(']')
	return []byte(b.String())
}
