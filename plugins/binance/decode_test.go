package binance_test

import (
	"errors"
	"net/http"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/binance"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

func TestDecodeFrame(t *testing.T) {
	p := binance.New(binance.Spot, binance.Options{})
	for _, tc := range []struct {
		name, file string
		sym        string
		iv         cc.Interval
		open       int64
	}{
		{"a raw kline event", "ws_spot_kline.json", "BTCUSDT", cc.Interval1m, 1773844620000},
		{"a combined stream's wrapper", "ws_spot_kline_combined.json", "ETHUSDT", cc.Interval1s, 1773844645000},
		{"a futures kline event", "ws_futures_kline.json", "BTCUSDT", cc.Interval1h, 1773842400000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ups, err := p.DecodeFrame("/ws", replaytest.Golden(t, tc.file))
			if err != nil || len(ups) != 1 {
				t.Fatalf("%v %v", ups, err)
			}
			u := ups[0]
			if u.Symbol != tc.sym || u.Interval != tc.iv || u.Candle.OpenTime != tc.open || u.Candle.Closed ||
				u.EventTime != fixedNow.UnixMilli() || u.Candle.Open.IsZero() || u.Candle.Trades == 0 {
				t.Errorf("decoded %+v", u)
			}
			want := marketCandle(t, tc.sym, tc.iv, tc.open, fixedNow.UnixMilli())
			if !sameCandle(u.Candle, want) {
				t.Errorf("decoded %+v\nmarket %+v", u.Candle, want)
			}
		})
	}
	for _, frame := range []string{`{"result":null,"id":1}`, `{"e":"trade","E":1}`, `not json`, `[]`} {
		if _, err := p.DecodeFrame("/ws", []byte(frame)); !errors.Is(err, plugins.ErrNotCandles) {
			t.Errorf("%s: err %v, want ErrNotCandles", frame, err)
		}
	}
}

func TestDecodeCandlesRefusesOtherBodies(t *testing.T) {
	p := binance.New(binance.Spot, binance.Options{})
	for _, tc := range []struct{ path, body string }{
		{"/api/v3/exchangeInfo", `{"symbols":[]}`},
		{"/api/v3/klines?symbol=BTCUSDT&interval=1m", `{"code":-1121,"msg":"Invalid symbol."}`},
		{"/api/v3/klines?symbol=BTCUSDT&interval=9m", `[]`},
		{"/fapi/v1/markPriceKlines?symbol=BTCUSDT&interval=1m", `[]`},
	} {
		req, _ := http.NewRequest(http.MethodGet, tc.path, nil)
		if _, err := p.DecodeCandles(req, []byte(tc.body)); !errors.Is(err, plugins.ErrNotCandles) {
			t.Errorf("%s %s: err %v, want ErrNotCandles", tc.path, tc.body, err)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, "/api/v3/klines?symbol=BTCUSDT&interval=1m", nil)
	if _, err := p.DecodeCandles(req, []byte(`[[1,"x"]]`)); err == nil {
		t.Error("a short row decoded")
	}
}

func TestDefaults(t *testing.T) {
	spot := binance.New(binance.Spot, binance.Options{}).Defaults()
	fut := binance.New(binance.Perpetual, binance.Options{}).Defaults()
	if spot.UpstreamREST != "https://api.binance.com" || spot.UpstreamWS != "wss://stream.binance.com:9443" || spot.MaxLimit != 1000 || len(spot.Intervals) != 16 {
		t.Errorf("spot defaults %+v", spot)
	}
	if fut.UpstreamREST != "https://fapi.binance.com" || fut.UpstreamWS != "wss://fstream.binance.com" || fut.MaxLimit != 1500 || len(fut.Intervals) != 15 || fut.Intervals[0] != cc.Interval1m {
		t.Errorf("futures defaults %+v", fut)
	}
	se := binance.New(binance.Spot, binance.Options{}).ServerError()
	if se.Status != 500 || string(se.Body) != `{"code":-1001,"msg":"Internal error; unable to process your request. Please try again."}` {
		t.Errorf("server error %d %s", se.Status, se.Body)
	}
	for _, name := range []string{binance.SpotName, binance.PerpetualName} {
		if p, err := plugins.Lookup(name); err != nil || p.Name() != name {
			t.Errorf("Lookup(%s) = %v, %v", name, p, err)
		}
	}
}

// BenchmarkKlines1000 measures a full 1000-row spot klines answer through
// HTTP over the test market.
func BenchmarkKlines1000(b *testing.B) {
	srv := spotServer(b).URL
	url := srv + "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1000"
	b.ReportAllocs()
	for b.Loop() {
		res, err := http.Get(url)
		if err != nil || res.StatusCode != 200 {
			b.Fatal(err)
		}
		res.Body.Close()
	}
}
