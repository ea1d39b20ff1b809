package mexc_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	_ "github.com/candlecassette/candlecassette/plugins/mexc"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

func TestSpotKlinesMatchTheDocumentedShape(t *testing.T) {
	s := replaytest.Start(t, "mexc_spot", nil, nil)
	req, _ := s.Plugin.CandlesRequest(plugins.Query{Symbol: "BTCUSDT", Interval: cc.Interval1m, Limit: 3})
	status, body := s.Do(t, req)
	if status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
	var rows []json.RawMessage
	if err := json.Unmarshal(body, &rows); err != nil || len(rows) != 3 {
		t.Fatalf("want 3 rows: %s", body)
	}
	if err := replaytest.SameShape("spot_klines.json", []byte("["+string(rows[0])+"]"), replaytest.KeysAnyOrder); err != nil {
		t.Errorf("shape: %v", err)
	}
	set, err := s.Plugin.DecodeCandles(req, body)
	if err != nil || len(set.Candles) != 3 {
		t.Fatalf("decode: %v %+v", err, set)
	}
	var row []json.Number
	json.Unmarshal(rows[0], &row)
	open, _ := row[0].Int64()
	closeT, _ := row[6].Int64()
	if closeT != open+60000 {
		t.Errorf("close time %d for open %d, MEXC reports the next open", closeT, open)
	}
	if now := time.Now().UnixMilli(); set.Candles[2].OpenTime != cc.Interval1m.Truncate(now) {
		t.Errorf("latest candle opens at %d, now %d", set.Candles[2].OpenTime, now)
	}
}

func TestContractKlinesMatchTheDocumentedShape(t *testing.T) {
	s := replaytest.Start(t, "mexc_perpetual", nil, nil)
	since := cc.Interval1m.Truncate(time.Now().Add(-time.Hour).UnixMilli())
	req, _ := s.Plugin.CandlesRequest(plugins.Query{Symbol: "BTC_USDT", Interval: cc.Interval1m, Start: since, Limit: 5})
	status, body := s.Do(t, req)
	if status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
	one, _ := s.Plugin.CandlesRequest(plugins.Query{Symbol: "BTC_USDT", Interval: cc.Interval1m, Start: since, Limit: 1})
	_, oneBody := s.Do(t, one)
	if err := replaytest.SameShape("contract_kline.json", oneBody, replaytest.KeysAnyOrder); err != nil {
		t.Errorf("shape: %v", err)
	}
	set, err := s.Plugin.DecodeCandles(req, body)
	if err != nil || len(set.Candles) != 5 || set.Candles[0].OpenTime != since || set.Symbol != "BTC_USDT" {
		t.Fatalf("decode: %v %+v", err, set)
	}
	// Volume travels in contracts of 0.0001 BTC and comes back in BTC.
	direct, _ := s.Env.Market.Candles(t.Context(), "BTC_USDT", cc.Interval1m, since, since+60000, time.Now().UnixMilli())
	if got, want := set.Candles[0].Volume.Float64(), direct[0].Volume.Float64(); got < want-0.0001 || got > want+0.0001 {
		t.Errorf("volume %v, market says %v", got, want)
	}
}

func TestDecodeTheDocumentedExamples(t *testing.T) {
	p, _ := plugins.Lookup("mexc_spot")
	req, _ := http.NewRequest("GET", "/api/v3/klines?symbol=BTCUSDT&interval=1m", nil)
	set, err := p.DecodeCandles(req, replaytest.Golden(t, "spot_klines.json"))
	if err != nil {
		t.Fatal(err)
	}
	if c := set.Candles[0]; c.OpenTime != 1640804880000 || c.Close.String() != "47436.1" || c.Volume.String() != "3.550717" || c.QuoteVolume.String() != "168387.3" {
		t.Errorf("spot row: %+v", c)
	}
	req, _ = http.NewRequest("GET", "/api/v1/contract/kline/BTC_USDT?interval=Min60", nil)
	set, err = p.DecodeCandles(req, replaytest.Golden(t, "contract_kline.json"))
	if err != nil || set.Interval != cc.Interval1h || set.Candles[0].OpenTime != 1609740600000 || set.Candles[0].High.String() != "33094.0" {
		t.Fatalf("contract: %v %+v", err, set)
	}
	us, err := p.DecodeFrame("/edge", replaytest.Golden(t, "ws_contract_push.json"))
	if err != nil || len(us) != 1 || us[0].Interval != cc.Interval1h || us[0].Candle.Open.String() != "6894.5" || us[0].Symbol != "BTC_USDT" {
		t.Fatalf("contract push: %v %+v", err, us)
	}
	// The spot push is protobuf, encoded from MEXC's documented example by
	// protobufjs with the schema ccxt compiles in.
	us, err = p.DecodeFrame("/ws", replaytest.Golden(t, "ws_spot_kline.pb"))
	if err != nil || len(us) != 1 {
		t.Fatalf("spot push: %v", err)
	}
	if u := us[0]; u.Symbol != "BTCUSDT" || u.Interval != cc.Interval1m || u.EventTime != 1754737941062 ||
		u.Candle.OpenTime != 1754737920000 || u.Candle.Open.String() != "117317.31" || u.Candle.High.String() != "117341" ||
		u.Candle.Volume.String() != "3.12599854" || u.Candle.QuoteVolume.String() != "366804.43" || u.Candle.Closed {
		t.Errorf("spot push: %+v", u)
	}
	if _, err := p.DecodeFrame("/ws", replaytest.Golden(t, "ws_spot_sub_ack.json")); err == nil {
		t.Error("an ack decoded as candles")
	}
}

func TestBadRequestsGetMEXCErrors(t *testing.T) {
	s := replaytest.Start(t, "mexc_spot", nil, nil)
	spot := []struct {
		name, path string
		status     int
		code       int
	}{
		{"unknown symbol", "/api/v3/klines?symbol=FOOBAR&interval=1m", 400, -1121},
		{"missing symbol", "/api/v3/klines?interval=1m", 400, -1102},
		{"missing interval", "/api/v3/klines?symbol=BTCUSDT", 400, -1102},
		{"binance interval name", "/api/v3/klines?symbol=BTCUSDT&interval=1h", 400, -1121},
		{"limit over 1000", "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1001", 400, -1130},
		{"bad start", "/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=x", 400, -1100},
	}
	for _, tc := range spot {
		t.Run("spot "+tc.name, func(t *testing.T) {
			status, body := s.Get(t, tc.path)
			var e struct {
				Code int
				Msg  string
			}
			if json.Unmarshal(body, &e) != nil || status != tc.status || e.Code != tc.code || e.Msg == "" {
				t.Errorf("got %d %s, want %d code %d", status, body, tc.status, tc.code)
			}
		})
	}
	contract := []struct {
		name, path string
		code       int
	}{
		{"unknown contract", "/api/v1/contract/kline/FOO_USDT?interval=Min1", 1001},
		{"spot interval name", "/api/v1/contract/kline/BTC_USDT?interval=1m", 600},
		{"bad start", "/api/v1/contract/kline/BTC_USDT?interval=Min1&start=x", 600},
	}
	for _, tc := range contract {
		t.Run("contract "+tc.name, func(t *testing.T) {
			status, body := s.Get(t, tc.path)
			var e struct {
				Success bool
				Code    int
				Message string
			}
			if json.Unmarshal(body, &e) != nil || status != 200 || e.Success || e.Code != tc.code || e.Message == "" {
				t.Errorf("got %d %s, want code %d", status, body, tc.code)
			}
		})
	}
}

func TestPagesJoinWithoutGapOrOverlap(t *testing.T) {
	for _, tc := range []struct{ id, sym string }{{"mexc_spot", "ETHUSDT"}, {"mexc_perpetual", "ETH_USDT"}} {
		t.Run(tc.id, func(t *testing.T) {
			replaytest.Start(t, tc.id, nil, nil).PagesJoin(t, tc.sym, 3, 100)
		})
	}
}

func TestMetadata(t *testing.T) {
	s := replaytest.Start(t, "mexc_spot", nil, nil)
	status, body := s.Get(t, "/api/v3/exchangeInfo")
	var info struct {
		Symbols []map[string]any
	}
	if status != 200 || json.Unmarshal(body, &info) != nil || len(info.Symbols) != 2 || info.Symbols[0]["symbol"] != "BTCUSDT" || info.Symbols[0]["status"] != "1" {
		t.Fatalf("exchangeInfo: %d %s", status, body)
	}
	status, body = s.Get(t, "/api/v1/contract/detail")
	if status != 200 {
		t.Fatal(status)
	}
	var got struct {
		Data []json.RawMessage
	}
	json.Unmarshal(body, &got)
	var want struct {
		Data []json.RawMessage
	}
	json.Unmarshal(replaytest.Golden(t, "contract_detail.json"), &want)
	// Every documented field is served (ours has more).
	var gm, wm map[string]any
	json.Unmarshal(got.Data[0], &gm)
	json.Unmarshal(want.Data[0], &wm)
	for k, v := range wm {
		g, ok := gm[k]
		if !ok {
			t.Errorf("contract detail lacks %q", k)
			continue
		}
		if err := replaytest.SameValueShape(v, g); err != nil {
			t.Errorf("contract detail %q: %v", k, err)
		}
	}
	if gm["contractSize"] != 0.0001 {
		t.Errorf("contractSize %v", gm["contractSize"])
	}
	status, body = s.Get(t, "/api/v1/contract/ping")
	var ping struct {
		Success bool
		Data    int64
	}
	if status != 200 || json.Unmarshal(body, &ping) != nil || !ping.Success || time.Since(time.UnixMilli(ping.Data)).Abs() > 5*time.Second {
		t.Errorf("contract ping: %s", body)
	}
	status, body = s.Get(t, "/api/v3/ticker/24hr?symbol=ETHUSDT")
	if status != 200 || !strings.Contains(string(body), `"symbol":"ETHUSDT"`) {
		t.Errorf("ticker: %s", body)
	}
}

func TestSpotWSProtobufPushes(t *testing.T) {
	base := time.Now().Truncate(time.Minute).Add(-20 * time.Second)
	s := replaytest.Start(t, "mexc_spot", nil, replaytest.Clock(base, 60))
	ws := s.Dial(t, "/ws")
	ws.Send(`{"method":"ping"}`)
	if m := ws.ReadJSON(5*time.Second, func(map[string]any) bool { return true }); m["msg"] != "PONG" {
		t.Fatalf("ping answered %v", m)
	}
	ch := "spot@public.kline.v3.api.pb@BTCUSDT@Min1"
	ws.Send(`{"method":"SUBSCRIPTION","params":["` + ch + `"]}`)
	typ, ack := ws.Read(5 * time.Second)
	if err := replaytest.SameShape("ws_spot_sub_ack.json", ack, replaytest.KeysAnyOrder); typ != websocket.TextMessage || err != nil || !strings.Contains(string(ack), ch) {
		t.Fatalf("ack %s: %v", ack, err)
	}
	ws.WatchClose(func(typ int, frame []byte) cc.Candle {
		if typ != websocket.BinaryMessage {
			t.Fatalf("push is not binary: %s", frame)
		}
		us, err := s.Plugin.DecodeFrame("/ws", frame)
		if err != nil {
			t.Fatal(err)
		}
		u := us[0]
		if u.Symbol != "BTCUSDT" || u.Interval != cc.Interval1m {
			t.Fatalf("push %+v", u)
		}
		return u.Candle
	})
	ws.Send(`{"method":"SUBSCRIPTION","params":["spot@public.kline.v3.api.pb@NOPE@Min1"]}`)
	m := ws.ReadJSON(5*time.Second, func(m map[string]any) bool { _, ok := m["msg"]; return ok })
	if !strings.Contains(m["msg"].(string), "Not Subscribed successfully") {
		t.Errorf("bad symbol answered %v", m)
	}
}

func TestContractWSPushes(t *testing.T) {
	base := time.Now().Truncate(time.Minute).Add(-20 * time.Second)
	s := replaytest.Start(t, "mexc_perpetual", nil, replaytest.Clock(base, 60))
	ws := s.Dial(t, "/edge")
	ws.Send(`{"method":"ping"}`)
	if m := ws.ReadJSON(5*time.Second, func(map[string]any) bool { return true }); m["channel"] != "pong" {
		t.Fatalf("ping answered %v", m)
	}
	ws.Send(`{"method":"sub.kline","param":{"symbol":"BTC_USDT","interval":"Min1"}}`)
	_, ack := ws.Read(5 * time.Second)
	if err := replaytest.SameShape("ws_contract_sub_ack.json", ack, replaytest.KeysAnyOrder); err != nil || !strings.Contains(string(ack), `"rs.sub.kline"`) {
		t.Fatalf("ack %s: %v", ack, err)
	}
	ws.WatchClose(s.ShapedCandles(t, "/edge", "ws_contract_push.json"))
}
