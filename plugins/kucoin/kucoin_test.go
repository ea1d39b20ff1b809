package kucoin_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/kucoin"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

var pairs = []cc.Pair{{Base: "BTC", Quote: "USDT", Price: 50000}, {Base: "ETH", Quote: "USDT", Price: 3000}}

var base = time.Date(2024, 3, 1, 12, 34, 56, 0, time.UTC)

type envelope struct {
	Code string          `json:"code"`
	Msg  string          `json:"msg"`
	Data json.RawMessage `json:"data"`
}

func get(t *testing.T, url, path string) envelope {
	t.Helper()
	var e envelope
	replaytest.GetJSON(t, url, path, &e)
	return e
}

func TestSymbols(t *testing.T) {
	if got := kucoin.Spot.Symbol(pairs[0]); got != "BTC-USDT" {
		t.Errorf("spot symbol %s", got)
	}
	if got := kucoin.Perpetual.Symbol(pairs[0]); got != "XBTUSDTM" {
		t.Errorf("futures symbol %s", got)
	}
}

func TestSpotCandlesNewestFirstSecondsAndPaging(t *testing.T) {
	srv := replaytest.Start(t, kucoin.SpotName, pairs, replaytest.Clock(base, 1e-9))
	since := base.Add(-10 * time.Hour).Truncate(time.Hour).Unix()
	var opens []int64
	for page := int64(0); page < 2; page++ {
		s := since + page*100*60
		e := get(t, srv.URL, fmt.Sprintf("/api/v1/market/candles?symbol=BTC-USDT&type=1min&startAt=%d&endAt=%d", s, s+100*60))
		var rows [][]string
		json.Unmarshal(e.Data, &rows)
		if e.Code != "200000" || len(rows) != 100 {
			t.Fatalf("page %d: code %s, %d rows", page, e.Code, len(rows))
		}
		for i := len(rows) - 1; i >= 0; i-- {
			v, _ := strconv.ParseInt(rows[i][0], 10, 64)
			opens = append(opens, v)
		}
	}
	if opens[0] != since {
		t.Fatalf("first candle %d, want %d", opens[0], since)
	}
	for i := 1; i < len(opens); i++ {
		if opens[i]-opens[i-1] != 60 {
			t.Fatalf("gap or overlap at %d: %d, %d", i, opens[i-1], opens[i])
		}
	}
	// No range: the newest 1500, ending with the one in progress.
	e := get(t, srv.URL, "/api/v1/market/candles?symbol=BTC-USDT&type=1min")
	var rows [][]string
	json.Unmarshal(e.Data, &rows)
	if len(rows) != kucoin.MaxSpotCandles || rows[0][0] != strconv.FormatInt(base.Truncate(time.Minute).Unix(), 10) {
		t.Fatalf("%d rows, newest %s", len(rows), rows[0][0])
	}
}

func TestFuturesCandlesAscendingMillisAndCapped(t *testing.T) {
	srv := replaytest.Start(t, kucoin.PerpetualName, pairs, replaytest.Clock(base, 1e-9))
	from := base.Add(-3 * time.Hour).Truncate(time.Hour).UnixMilli()
	e := get(t, srv.URL, fmt.Sprintf("/api/v1/kline/query?symbol=XBTUSDTM&granularity=1&from=%d&to=%d", from, from+99*60000))
	var rows [][]float64
	json.Unmarshal(e.Data, &rows)
	if len(rows) != 100 || int64(rows[0][0]) != from || int64(rows[99][0]) != from+99*60000 {
		t.Fatalf("%d rows from %v", len(rows), rows[0][0])
	}
	// Only a start time: the 500 candles from it.
	from = base.Add(-20 * time.Hour).Truncate(time.Minute).UnixMilli()
	e = get(t, srv.URL, fmt.Sprintf("/api/v1/kline/query?symbol=XBTUSDTM&granularity=1&from=%d", from))
	json.Unmarshal(e.Data, &rows)
	if len(rows) != kucoin.MaxFuturesCandles || int64(rows[0][0]) != from {
		t.Fatalf("from only: %d rows from %v, want 500 from %d", len(rows), rows[0][0], from)
	}
	// Neither: the 500 closest to now, ending with the one in progress.
	e = get(t, srv.URL, "/api/v1/kline/query?symbol=XBTUSDTM&granularity=1")
	json.Unmarshal(e.Data, &rows)
	if len(rows) != kucoin.MaxFuturesCandles || int64(rows[499][0]) != base.Truncate(time.Minute).UnixMilli() {
		t.Fatalf("no range: %d rows ending %v", len(rows), rows[len(rows)-1][0])
	}
}

func TestErrorsUseKucoinCodes(t *testing.T) {
	srv := replaytest.Start(t, kucoin.SpotName, pairs, replaytest.Clock(base, 1e-9))
	for _, path := range []string{
		"/api/v1/market/candles?symbol=FOO-BAR&type=1min",
		"/api/v1/market/candles?symbol=BTC-USDT&type=1m",
		"/api/v1/market/candles?type=1min",
		"/api/v1/market/candles?symbol=BTC-USDT&type=1min&startAt=abc",
		"/api/v1/kline/query?symbol=NOPE&granularity=1",
		"/api/v1/kline/query?symbol=XBTUSDTM&granularity=2",
	} {
		e := get(t, srv.URL, path)
		if e.Code != "400100" || e.Msg == "" {
			t.Errorf("%s: code %s msg %q", path, e.Code, e.Msg)
		}
	}
	for _, path := range []string{
		"/api/v1/market/candles?symbol=BTC-USDT&type=1min&startAt=9223372036854775807&endAt=9223372036854775807",
		"/api/v1/kline/query?symbol=XBTUSDTM&granularity=1&from=9223372036854775807&to=9223372036854775807",
	} {
		if e := get(t, srv.URL, path); e.Code != "200000" || string(e.Data) != "[]" {
			t.Errorf("%s: %s %s", path, e.Code, e.Data)
		}
	}
	st, body := replaytest.Get(t, srv.URL, "/api/v1/nothing")
	if st != 404 || !strings.Contains(string(body), `"code":"404000"`) {
		t.Fatalf("unknown path: %d %s", st, body)
	}
}

func TestShapesMatchDocumentation(t *testing.T) {
	srv := replaytest.Start(t, kucoin.SpotName, pairs, replaytest.Clock(base, 1e-9))
	s := base.Add(-time.Hour).Unix()
	replaytest.ShapesMatch(t, srv.URL, replaytest.KeysInOrder, map[string]string{
		"spot_candles.json":    fmt.Sprintf("/api/v1/market/candles?symbol=BTC-USDT&type=1min&startAt=%d&endAt=%d", s, s+120),
		"futures_candles.json": fmt.Sprintf("/api/v1/kline/query?symbol=XBTUSDTM&granularity=1&from=%d&to=%d", s*1000, s*1000+60000),
	})
	st, body := replaytest.Do(t, "POST", srv.URL+"/api/v1/bullet-public")
	if st != 200 {
		t.Fatal(st)
	}
	if err := replaytest.SameShape("bullet.json", body, replaytest.KeysInOrder); err != nil {
		t.Error(err)
	}
	if !strings.Contains(string(body), `"endpoint":"ws://`+srv.Addr()+`/endpoint"`) {
		t.Errorf("bullet does not name this server: %s", body)
	}
}

func TestMetadataForClients(t *testing.T) {
	for _, name := range []string{kucoin.SpotName, kucoin.PerpetualName} {
		srv := replaytest.Start(t, name, pairs, replaytest.Clock(base, 1e-9))
		for _, path := range []string{"/api/v2/symbols", "/api/v3/currencies", "/api/v1/market/allTickers", "/api/v1/contracts/active", "/api/v1/timestamp"} {
			e := get(t, srv.URL, path)
			if e.Code != "200000" || len(e.Data) < 2 {
				t.Errorf("%s %s: %s %s", name, path, e.Code, e.Data)
			}
		}
		e := get(t, srv.URL, "/api/v1/contracts/active")
		if !strings.Contains(string(e.Data), `"symbol":"XBTUSDTM"`) || !strings.Contains(string(e.Data), `"multiplier":0.001`) {
			t.Errorf("contracts: %s", e.Data)
		}
		e = get(t, srv.URL, "/api/v1/timestamp")
		if string(e.Data) != strconv.FormatInt(base.UnixMilli(), 10) {
			t.Errorf("timestamp %s, want the virtual clock %d", e.Data, base.UnixMilli())
		}
	}
}

func TestDecodeCandles(t *testing.T) {
	for _, p := range []*kucoin.Plugin{kucoin.Spot, kucoin.Perpetual} {
		srv := replaytest.Start(t, p.Name(), pairs, replaytest.Clock(base, 1e-9))
		sym := p.Symbol(pairs[0])
		start := base.Add(-5 * time.Hour).Truncate(time.Hour).UnixMilli()
		req, err := p.CandlesRequest(plugins.Query{Symbol: sym, Interval: cc.Interval5m, Start: start, Limit: 12})
		if err != nil {
			t.Fatal(err)
		}
		_, body := replaytest.Get(t, srv.URL, req.URL.String())
		set, err := p.DecodeCandles(req, body)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := srv.Env.Market.Candles(t.Context(), sym, cc.Interval5m, start, start+12*300000, base.UnixMilli())
		if len(set.Candles) < 12 || set.Symbol != sym {
			t.Fatalf("%s: decoded %d candles for %s", p.Name(), len(set.Candles), set.Symbol)
		}
		for i, w := range want {
			c := set.Candles[i]
			if c.OpenTime != w.OpenTime || c.Open.Cmp(w.Open) != 0 || c.Close.Cmp(w.Close) != 0 || c.High.Cmp(w.High) != 0 || c.Low.Cmp(w.Low) != 0 {
				t.Fatalf("%s candle %d: %+v want %+v", p.Name(), i, c, w)
			}
		}
	}
}

func TestWSBulletWelcomeAckPingAndPushes(t *testing.T) {
	b := time.Date(2024, 3, 1, 12, 4, 10, 0, time.UTC)
	for _, tc := range []struct {
		name, topic, subject string
	}{
		{kucoin.SpotName, "/market/candles:BTC-USDT_1min", "trade.candles.update"},
		{kucoin.PerpetualName, "/contractMarket/limitCandle:XBTUSDTM_1min", "candle.stick"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := replaytest.Start(t, tc.name, pairs, replaytest.Clock(b, 60))
			_, body := replaytest.Do(t, "POST", srv.URL+"/api/v1/bullet-public")
			var bullet struct {
				Data struct {
					Token           string
					InstanceServers []struct{ Endpoint string }
				}
			}
			json.Unmarshal(body, &bullet)
			c := replaytest.Dial(t, bullet.Data.InstanceServers[0].Endpoint+"?token="+bullet.Data.Token+"&connectId=abc")
			var m map[string]any
			c.ReadJSON(&m)
			if m["type"] != "welcome" || m["id"] != "abc" {
				t.Fatalf("welcome: %v", m)
			}
			c.WriteJSON(map[string]any{"id": "1", "type": "subscribe", "topic": tc.topic, "response": true})
			c.WriteJSON(map[string]any{"id": "2", "type": "ping"})
			seen := map[string]bool{}
			var firstOpen, lastOpen string
			p, _ := plugins.Lookup(tc.name)
			for !(seen["ack"] && seen["pong"]) || firstOpen == lastOpen {
				_, raw, err := c.ReadMessage()
				if err != nil {
					t.Fatal(err)
				}
				json.Unmarshal(raw, &m)
				switch m["type"] {
				case "ack", "pong":
					seen[m["type"].(string)] = true
				case "message":
					if m["subject"] != tc.subject || m["topic"] != tc.topic {
						t.Fatalf("push %s", raw)
					}
					if tc.name == kucoin.SpotName {
						if err := replaytest.SameShape("ws_spot_candles.json", raw, replaytest.KeysInOrder); err != nil {
							t.Fatal(err)
						}
					}
					open := m["data"].(map[string]any)["candles"].([]any)[0].(string)
					if firstOpen == "" {
						firstOpen = open
					}
					lastOpen = open
					if ups, err := p.DecodeFrame("/endpoint", raw); err != nil || len(ups) != 1 || ups[0].Interval != cc.Interval1m {
						t.Fatalf("DecodeFrame: %v %+v", err, ups)
					}
				default:
					t.Fatalf("unexpected %s", raw)
				}
			}
			if f, _ := strconv.ParseInt(firstOpen, 10, 64); f != b.Truncate(time.Minute).Unix() {
				t.Fatalf("first candle %s", firstOpen)
			}
			c.WriteJSON(map[string]any{"id": "3", "type": "subscribe", "topic": "/market/candles:NOPE-USDT_1min", "response": true})
			for {
				c.ReadJSON(&m)
				if m["type"] == "error" {
					break
				}
			}
		})
	}
}

func TestRewriteResponsePointsBulletAtProxy(t *testing.T) {
	in := []byte(`{"code":"200000","data":{"token":"tok","instanceServers":[{"endpoint":"wss://ws-api-spot.kucoin.com/","encrypt":true,"protocol":"websocket","pingInterval":18000,"pingTimeout":10000}]}}`)
	out := kucoin.Spot.RewriteResponse("/api/v1/bullet-public", in, "ws://127.0.0.1:9999")
	want := `{"code":"200000","data":{"token":"tok","instanceServers":[{"endpoint":"ws://127.0.0.1:9999/","encrypt":false,"protocol":"websocket","pingInterval":18000,"pingTimeout":10000}]}}`
	if string(out) != want {
		t.Fatalf("got %s\nwant %s", out, want)
	}
	if got := kucoin.Spot.RewriteResponse("/api/v1/timestamp", in, "ws://x"); string(got) != string(in) {
		t.Fatalf("other path rewritten: %s", got)
	}
	bad := []byte(`{"code":"400100","msg":"x"}`)
	if got := kucoin.Perpetual.RewriteResponse("/api/v1/bullet-public", bad, "ws://x"); string(got) != string(bad) {
		t.Fatalf("error body rewritten: %s", got)
	}
}

func TestRateLimitPoolWeighsEndpoints(t *testing.T) {
	srv := replaytest.StartWith(t, replay.Options{Exchange: kucoin.SpotName, Pairs: pairs, Clock: replaytest.Clock(base, 1e-9)})
	// bullet-public weighs 10 in the 2000-per-30s public pool.
	st, b := replaytest.Exhaust(t, 200, replaytest.Req("POST", srv.URL+"/api/v1/bullet-public", ""), nil)
	if st != 429 || string(b) != `{"code":"429000","msg":"Too Many Requests"}` {
		t.Fatalf("201st call: %d %s", st, b)
	}
}

func BenchmarkSpotCandles1500(b *testing.B) {
	replaytest.BenchCandles(b, kucoin.SpotName, pairs[0], cc.Interval1m, kucoin.MaxSpotCandles)
}

func BenchmarkFuturesCandles500(b *testing.B) {
	replaytest.BenchCandles(b, kucoin.PerpetualName, pairs[0], cc.Interval1m, kucoin.MaxFuturesCandles)
}

func TestMetadataShapesMatchDocumentation(t *testing.T) {
	srv := replaytest.Start(t, kucoin.SpotName, pairs, replaytest.Clock(base, 1e-9))
	replaytest.ShapesMatch(t, srv.URL, replaytest.KeysAnyOrder, map[string]string{
		"symbols.json":    "/api/v2/symbols",
		"currencies.json": "/api/v3/currencies",
		"alltickers.json": "/api/v1/market/allTickers",
		"timestamp.json":  "/api/v1/timestamp",
	})
}

func TestWSUnsubscribeAndErrors(t *testing.T) {
	srv := replaytest.Start(t, kucoin.SpotName, pairs, replaytest.Clock(base, 60))
	// No token: an error and a close.
	c := replaytest.Dial(t, srv.URL+"/endpoint")
	var m map[string]any
	if err := c.ReadJSON(&m); err != nil || m["type"] != "error" || m["code"] != 401.0 {
		t.Fatalf("without token: %v %v", m, err)
	}
	c = replaytest.Dial(t, srv.URL+"/endpoint?token=t")
	c.ReadJSON(&m) // welcome
	topic := "/market/candles:BTC-USDT_1min"
	c.WriteJSON(map[string]any{"id": "1", "type": "subscribe", "topic": topic, "response": true})
	for m["type"] != "message" {
		c.ReadJSON(&m)
	}
	c.WriteJSON(map[string]any{"id": "2", "type": "unsubscribe", "topic": topic, "response": true})
	for !(m["type"] == "ack" && m["id"] == "2") {
		if err := c.ReadJSON(&m); err != nil {
			t.Fatal(err)
		}
	}
	// A push already being encoded when the ack went out may follow it;
	// after that, silence.
	c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			break
		}
	}
	c = replaytest.Dial(t, srv.URL+"/endpoint?token=t")
	c.ReadJSON(&m)
	c.WriteJSON(map[string]any{"id": "1", "type": "subscribe", "topic": topic, "response": true})
	c.WriteJSON(map[string]any{"id": "2", "type": "unsubscribe", "topic": topic, "response": true})
	for !(m["type"] == "ack" && m["id"] == "2") {
		if err := c.ReadJSON(&m); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(1500 * time.Millisecond)
	pushes := 0
	for {
		c.SetReadDeadline(deadline)
		if _, _, err := c.ReadMessage(); err != nil {
			break
		}
		pushes++
	}
	if pushes > 1 {
		t.Fatalf("%d pushes after unsubscribing", pushes)
	}
	c = replaytest.Dial(t, srv.URL+"/endpoint?token=t")
	c.ReadJSON(&m)
	for _, bad := range []string{"/market/candles:BTC-USDT_1m", "/market/ticker:NOPE-USDT", "/market/level9:BTC-USDT", "/contractMarket/limitCandle:XBTUSDTM_6hour"} {
		c.WriteJSON(map[string]any{"id": "3", "type": "subscribe", "topic": bad, "response": true})
		if err := c.ReadJSON(&m); err != nil || m["type"] != "error" {
			t.Fatalf("topic %s: %v %v", bad, m, err)
		}
	}
	c.WriteJSON(map[string]any{"id": "4", "type": "frobnicate"})
	if err := c.ReadJSON(&m); err != nil || m["type"] != "error" {
		t.Fatalf("unknown type: %v %v", m, err)
	}
}

func queryAt(sym string, start time.Time, limit int) plugins.Query {
	return plugins.Query{Symbol: sym, Interval: cc.Interval1m, Start: start.UnixMilli(), Limit: limit}
}

func mustReq(t *testing.T, path string) *http.Request {
	t.Helper()
	return httptest.NewRequest("GET", path, nil)
}

func TestNoCandlesBeforeLaunch(t *testing.T) {
	srv := replaytest.Start(t, kucoin.SpotName, pairs, replaytest.Clock(base, 1e-9))
	launch := kucoin.Launch / 1000
	e := get(t, srv.URL, fmt.Sprintf("/api/v1/market/candles?symbol=BTC-USDT&type=1day&startAt=1400000000&endAt=%d", launch+10*86400))
	var rows [][]string
	json.Unmarshal(e.Data, &rows)
	if len(rows) != 10 || rows[9][0] != strconv.FormatInt(launch, 10) {
		t.Fatalf("%d daily rows around the launch, oldest %v; want 10 from %d", len(rows), rows, launch)
	}
	e = get(t, srv.URL, "/api/v1/market/candles?symbol=BTC-USDT&type=1day&startAt=1000000000&endAt=1400000000")
	if string(e.Data) != "[]" {
		t.Fatalf("candles before launch: %s", e.Data)
	}
}

func TestInverseContractsForUSDPairs(t *testing.T) {
	usd := []cc.Pair{{Base: "BTC", Quote: "USD", Price: 50000}}
	srv := replaytest.Start(t, kucoin.PerpetualName, usd, replaytest.Clock(base, 1e-9))
	e := get(t, srv.URL, "/api/v1/contracts/active")
	for _, want := range []string{`"symbol":"XBTUSDM"`, `"isInverse":true`, `"settleCurrency":"XBT"`, `"multiplier":-1`} {
		if !strings.Contains(string(e.Data), want) {
			t.Errorf("contract lacks %s: %.400s", want, e.Data)
		}
	}
	from := base.Add(-2 * time.Hour).Truncate(time.Hour).UnixMilli()
	req, _ := kucoin.Perpetual.CandlesRequest(plugins.Query{Symbol: "XBTUSDM", Interval: cc.Interval1m, Start: from, Limit: 5})
	_, body := replaytest.Get(t, srv.URL, req.URL.String())
	set, err := kucoin.Perpetual.DecodeCandles(req, body)
	want, _ := srv.Env.Market.Candles(t.Context(), "XBTUSDM", cc.Interval1m, from, from+5*60000, base.UnixMilli())
	if err != nil || len(set.Candles) != 5 {
		t.Fatalf("%v %d candles", err, len(set.Candles))
	}
	for i, c := range set.Candles {
		// One inverse contract is 1 USD: the volume column is the turnover.
		if c.QuoteVolume.Cmp(want[i].QuoteVolume) != 0 {
			t.Fatalf("candle %d: contracts %s, turnover %s", i, c.QuoteVolume, want[i].QuoteVolume)
		}
	}
}

func TestWSAckComesBeforeTheFirstPush(t *testing.T) {
	srv := replaytest.Start(t, kucoin.SpotName, pairs, replaytest.Clock(base, 60))
	for i := 0; i < 5; i++ {
		c := replaytest.Dial(t, srv.URL+"/endpoint?token=t")
		var m map[string]any
		c.ReadJSON(&m) // welcome
		c.WriteJSON(map[string]any{"id": "s", "type": "subscribe", "topic": "/market/candles:BTC-USDT_1min", "response": true})
		if err := c.ReadJSON(&m); err != nil || m["type"] != "ack" || m["id"] != "s" {
			t.Fatalf("first reply %v (%v), want the ack", m, err)
		}
		c.Close()
	}
}
