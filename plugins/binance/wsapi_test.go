package binance_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/candlecassette/candlecassette/plugins/binance"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

type wsAPIReply struct {
	ID     json.RawMessage `json:"id"`
	Status int             `json:"status"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
	} `json:"error"`
	RateLimits []struct {
		RateLimitType string `json:"rateLimitType"`
		Interval      string `json:"interval"`
		IntervalNum   int    `json:"intervalNum"`
		Limit         int    `json:"limit"`
		Count         int    `json:"count"`
	} `json:"rateLimits"`
}

// TestWSAPIAnswersAsREST: each method's result is its REST endpoint's
// answer, in the envelope, with the weight counted.
func TestWSAPIAnswersAsREST(t *testing.T) {
	env := synthEnv(replaytest.Clock(fixedNow, 0), "binance_spot")
	srv := serve(t, binance.New(binance.Spot, binance.Options{}), env)
	c := dial(t, srv.URL, "/ws-api/v3")
	count := 0
	for _, tc := range []struct {
		method, params, rest string
		weight               int
	}{
		{"ping", `{}`, "/api/v3/ping", 1},
		{"time", ``, "/api/v3/time", 1},
		{"exchangeInfo", `{"symbols":["BTCUSDT"]}`, "/api/v3/exchangeInfo?symbols=%5B%22BTCUSDT%22%5D", 20},
		{"klines", `{"symbol":"BTCUSDT","interval":"1h","limit":3}`, "/api/v3/klines?symbol=BTCUSDT&interval=1h&limit=3", 2},
		{"uiKlines", `{"symbol":"ETHUSDT","interval":"1m","startTime":1773844500000,"limit":2}`, "/api/v3/uiKlines?symbol=ETHUSDT&interval=1m&startTime=1773844500000&limit=2", 2},
		{"trades.recent", `{"symbol":"BTCUSDT","limit":5}`, "/api/v3/trades?symbol=BTCUSDT&limit=5", 25},
		{"ticker.price", `{"symbol":"BTCUSDT"}`, "/api/v3/ticker/price?symbol=BTCUSDT", 2},
		{"ticker.book", `{"symbols":["BTCUSDT","ETHUSDT"]}`, "/api/v3/ticker/bookTicker?symbols=%5B%22BTCUSDT%22,%22ETHUSDT%22%5D", 4},
		{"ticker.24hr", `{"symbol":"ETHUSDT","type":"MINI"}`, "/api/v3/ticker/24hr?symbol=ETHUSDT&type=MINI", 2},
		{"avgPrice", `{"symbol":"BTCUSDT"}`, "/api/v3/avgPrice?symbol=BTCUSDT", 2},
		{"depth", `{"symbol":"BTCUSDT","limit":5}`, "/api/v3/depth?symbol=BTCUSDT&limit=5", 5},
		{"depth", `{"symbol":"ETHUSDT","limit":1000}`, "/api/v3/depth?symbol=ETHUSDT&limit=1000", 50},
	} {
		msg := `{"id":"` + strings.ReplaceAll(tc.method, ".", "") + `","method":"` + tc.method + `"`
		if tc.params != "" {
			msg += `,"params":` + tc.params
		}
		send(t, c, msg+"}")
		b := read(t, c)
		var r wsAPIReply
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("%s: %s", tc.method, b)
		}
		if got := strings.Join(keys(t, b), " "); got != "id status result rateLimits" {
			t.Errorf("%s: fields %q", tc.method, got)
		}
		_, want := get(t, srv.URL+tc.rest)
		count += tc.weight
		if r.Status != 200 || string(r.ID) != `"`+strings.ReplaceAll(tc.method, ".", "")+`"` || string(r.Result) != string(want) {
			t.Errorf("%s: %d %s\nREST %s", tc.method, r.Status, b, want)
		}
		if len(r.RateLimits) != 1 || r.RateLimits[0].RateLimitType != "REQUEST_WEIGHT" || r.RateLimits[0].Interval != "MINUTE" ||
			r.RateLimits[0].IntervalNum != 1 || r.RateLimits[0].Limit != 6000 || r.RateLimits[0].Count != count {
			t.Errorf("%s: rateLimits %+v, want count %d", tc.method, r.RateLimits, count)
		}
	}
	for _, tc := range []struct {
		msg, id string
		status  int
		code    int
	}{
		{`{"id":7,"method":"klines","params":{"symbol":"NOPE","interval":"1m"}}`, "7", 400, -1121},
		{`{"id":8,"method":"klines","params":{"symbol":"BTCUSDT"}}`, "8", 400, -1102},
		{`{"id":9,"method":"order.place","params":{}}`, "9", 400, -1020},
		{`{"id":10,"method":"ticker.price","params":{"symbol":{"a":1}}}`, "10", 400, -1100},
		{`not json`, "null", 400, -1013},
		{`[1,2]`, "null", 400, -1013},
		{`{"method":"ping"}`, "null", 400, -1013},
	} {
		send(t, c, tc.msg)
		b := read(t, c)
		var r wsAPIReply
		if json.Unmarshal(b, &r) != nil || r.Status != tc.status || r.Error == nil || r.Error.Code != tc.code || string(r.ID) != tc.id || r.Result != nil {
			t.Errorf("%s: %s", tc.msg, b)
		}
	}
}

func TestWSFapiSubset(t *testing.T) {
	env := synthEnv(replaytest.Clock(fixedNow, 0), "binance_spot")
	srv := serve(t, binance.New(binance.Perpetual, binance.Options{}), env)
	c := dial(t, srv.URL, "/ws-fapi/v1")
	send(t, c, `{"id":"a","method":"ticker.book","params":{"symbol":"BTCUSDT"}}`)
	var r wsAPIReply
	b := read(t, c)
	_, want := get(t, srv.URL+"/fapi/v1/ticker/bookTicker?symbol=BTCUSDT")
	if json.Unmarshal(b, &r) != nil || r.Status != 200 || string(r.Result) != string(want) || r.RateLimits[0].Limit != 2400 || r.RateLimits[0].Count != 2 {
		t.Errorf("ticker.book %s", b)
	}
	send(t, c, `{"id":"b","method":"ticker.price","params":{"symbol":"ETHUSDT"}}`)
	b = read(t, c)
	if json.Unmarshal(b, &r) != nil || r.Status != 200 || !strings.Contains(string(r.Result), `"symbol":"ETHUSDT","price":`) {
		t.Errorf("ticker.price %s", b)
	}
	send(t, c, `{"id":"c","method":"klines","params":{"symbol":"BTCUSDT","interval":"1m"}}`)
	if b = read(t, c); json.Unmarshal(b, &r) != nil || r.Error == nil || r.Error.Code != -1020 {
		t.Errorf("klines is not USD-M's: %s", b)
	}
}

// TestWSAPITimeUnit: ?timeUnit=MICROSECOND on the WS API's URL.
func TestWSAPITimeUnit(t *testing.T) {
	env := synthEnv(replaytest.Clock(fixedNow, 0), "binance_spot")
	srv := serve(t, binance.New(binance.Spot, binance.Options{}), env)
	c := dial(t, srv.URL, "/ws-api/v3?timeUnit=microsecond")
	send(t, c, `{"id":1,"method":"time"}`)
	var r wsAPIReply
	if b := read(t, c); json.Unmarshal(b, &r) != nil || string(r.Result) != `{"serverTime":`+strings.TrimSpace(jsonInt(fixedNow.UnixMicro()))+`}` {
		t.Errorf("time in µs: %s", b)
	}
}

func jsonInt(v int64) string { b, _ := json.Marshal(v); return string(b) }
