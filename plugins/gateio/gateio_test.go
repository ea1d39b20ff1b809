package gateio_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	_ "github.com/candlecassette/candlecassette/plugins/gateio"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

func TestCandlesMatchTheDocumentedShape(t *testing.T) {
	cases := []struct {
		id, golden string
	}{
		{"gate_io_spot", "spot_candlesticks.json"},
		{"gate_io_perpetual", "futures_candlesticks.json"},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			s := replaytest.Start(t, tc.id, nil, nil)
			req, err := s.Plugin.CandlesRequest(plugins.Query{Symbol: "BTC_USDT", Interval: cc.Interval1m, Limit: 3})
			if err != nil {
				t.Fatal(err)
			}
			status, body := s.Do(t, req)
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, body)
			}
			var rows []json.RawMessage
			if err := json.Unmarshal(body, &rows); err != nil || len(rows) != 3 {
				t.Fatalf("want 3 rows, got %d (%v): %s", len(rows), err, body)
			}
			if err := replaytest.SameShape(tc.golden, []byte("["+string(rows[0])+"]"), replaytest.KeysAnyOrder); err != nil {
				t.Errorf("shape: %v", err)
			}
			set, err := s.Plugin.DecodeCandles(req, body)
			if err != nil {
				t.Fatal(err)
			}
			if len(set.Candles) != 3 || set.Symbol != "BTC_USDT" || set.Interval != cc.Interval1m {
				t.Fatalf("decoded %+v", set)
			}
			for i := 1; i < 3; i++ {
				if set.Candles[i].OpenTime != set.Candles[i-1].OpenTime+60000 {
					t.Errorf("rows not consecutive oldest first: %d then %d", set.Candles[i-1].OpenTime, set.Candles[i].OpenTime)
				}
			}
			now := time.Now().UnixMilli()
			if last := set.Candles[2]; last.OpenTime != cc.Interval1m.Truncate(now) && last.OpenTime != cc.Interval1m.Truncate(now)-60000 {
				t.Errorf("latest candle opens at %d, now is %d", last.OpenTime, now)
			}
		})
	}
}

func TestDecodeTheDocumentedExamples(t *testing.T) {
	p, _ := plugins.Lookup("gate_io_spot")
	req, _ := http.NewRequest("GET", "/api/v4/spot/candlesticks?currency_pair=BTC_USDT&interval=1m", nil)
	set, err := p.DecodeCandles(req, replaytest.Golden(t, "spot_candlesticks.json"))
	if err != nil {
		t.Fatal(err)
	}
	c := set.Candles[0]
	if c.OpenTime != 1539852480000 || c.Close.String() != "0.0021724" || c.Open.String() != "0.0021737" ||
		c.QuoteVolume.String() != "971519.677" || c.Volume.String() != "2227.123" || !c.Closed {
		t.Errorf("spot row decoded as %+v", c)
	}
	req, _ = http.NewRequest("GET", "/api/v4/futures/usdt/candlesticks?contract=BTC_USDT&interval=1m", nil)
	set, err = p.DecodeCandles(req, replaytest.Golden(t, "futures_candlesticks.json"))
	if err != nil {
		t.Fatal(err)
	}
	c = set.Candles[0]
	if c.OpenTime != 1539852480000 || c.High.String() != "1.032" || c.QuoteVolume.String() != "3580" {
		t.Errorf("futures row decoded as %+v", c)
	}
	us, err := p.DecodeFrame("/ws/v4/", replaytest.Golden(t, "ws_spot_update.json"))
	if err != nil || len(us) != 1 {
		t.Fatalf("spot frame: %v %v", us, err)
	}
	if u := us[0]; u.Symbol != "BTC_USDT" || u.Interval != cc.Interval1m || u.EventTime != 1606292600376 ||
		u.Candle.OpenTime != 1606292580000 || u.Candle.Volume.String() != "3.8283" ||
		u.Candle.QuoteVolume.String() != "2362.32035" || u.Candle.Closed {
		t.Errorf("spot update decoded as %+v", u)
	}
	us, err = p.DecodeFrame("/v4/ws/usdt", replaytest.Golden(t, "ws_futures_update.json"))
	if err != nil || len(us) != 1 || us[0].Symbol != "BTC_USD" || us[0].Candle.Close.String() != "95.4" {
		t.Fatalf("futures frame: %+v %v", us, err)
	}
	if _, err := p.DecodeFrame("/ws/v4/", replaytest.Golden(t, "ws_pong.json")); err == nil {
		t.Error("a pong decoded as candles")
	}
	if _, err := p.DecodeCandles(req, []byte(`{"label":"X"}`)); err == nil {
		t.Error("an error body decoded as candles")
	}
}

func TestBadRequestsGetGateErrors(t *testing.T) {
	s := replaytest.Start(t, "gate_io_spot", nil, nil)
	cases := []struct {
		name, path string
		status     int
		label      string
	}{
		{"missing pair", "/api/v4/spot/candlesticks?interval=1m", 400, "MISSING_REQUIRED_PARAM"},
		{"unknown pair", "/api/v4/spot/candlesticks?currency_pair=FOO_BAR", 400, "INVALID_CURRENCY_PAIR"},
		{"unknown interval", "/api/v4/spot/candlesticks?currency_pair=BTC_USDT&interval=3m", 400, "INVALID_PARAM_VALUE"},
		{"limit with from", "/api/v4/spot/candlesticks?currency_pair=BTC_USDT&from=1700000000&limit=10", 400, "INVALID_PARAM_VALUE"},
		{"limit too big", "/api/v4/spot/candlesticks?currency_pair=BTC_USDT&limit=1001", 400, "INVALID_PARAM_VALUE"},
		{"range over 1000 points", "/api/v4/spot/candlesticks?currency_pair=BTC_USDT&interval=1h&from=" + strconv.FormatInt(time.Now().Unix()/3600*3600-2000*3600, 10) + "&to=" + strconv.FormatInt(time.Now().Unix()/3600*3600-1000*3600, 10), 400, "INVALID_PARAM_VALUE"},
		{"bad number", "/api/v4/spot/candlesticks?currency_pair=BTC_USDT&from=abc", 400, "INVALID_PARAM_VALUE"},
		{"unknown contract", "/api/v4/futures/usdt/candlesticks?contract=FOO_USDT", 400, "CONTRACT_NOT_FOUND"},
		{"futures range over 2000 points", "/api/v4/futures/usdt/candlesticks?contract=BTC_USDT&interval=1m&from=1700000040&to=1700120040", 400, "INVALID_PARAM_VALUE"},
		{"unknown route", "/api/v4/spot/nothing", 404, "NOT_FOUND"},
		{"spot from more than 10000 points ago", "/api/v4/spot/candlesticks?currency_pair=BTC_USDT&interval=1m&from=" + strconv.FormatInt(time.Now().Unix()-10010*60, 10) + "&to=" + strconv.FormatInt(time.Now().Unix()-10000*60, 10), 400, "INVALID_PARAM_VALUE"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := s.Get(t, tc.path)
			var e struct{ Label, Message string }
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("not JSON: %.200s", body)
			}
			if status != tc.status || e.Label != tc.label || e.Message == "" {
				t.Errorf("got %d %.200s, want %d %s", status, body, tc.status, tc.label)
			}
		})
	}
	t.Run("futures range of 2000 points is allowed", func(t *testing.T) {
		status, body := s.Get(t, "/api/v4/futures/usdt/candlesticks?contract=BTC_USDT&interval=1m&from=1700000040&to="+strconv.Itoa(1700000040+1999*60))
		if status != 200 || strings.Count(string(body), `"t":`) != 2000 {
			t.Errorf("status %d, %d rows", status, strings.Count(string(body), `"t":`))
		}
	})
}

func TestPagesJoinWithoutGapOrOverlap(t *testing.T) {
	for _, id := range []string{"gate_io_spot", "gate_io_perpetual"} {
		t.Run(id, func(t *testing.T) {
			replaytest.Start(t, id, nil, nil).PagesJoin(t, "ETH_USDT", 3, 100)
		})
	}
}

func TestMetadataListsTheConfiguredMarkets(t *testing.T) {
	s := replaytest.Start(t, "gate_io_perpetual", nil, nil)
	status, body := s.Get(t, "/api/v4/spot/currency_pairs")
	var pairs []map[string]any
	if status != 200 || json.Unmarshal(body, &pairs) != nil || len(pairs) != 2 || pairs[0]["id"] != "BTC_USDT" {
		t.Fatalf("currency_pairs: %d %s", status, body)
	}
	status, body = s.Get(t, "/api/v4/futures/usdt/contracts")
	var contracts []map[string]any
	if status != 200 || json.Unmarshal(body, &contracts) != nil || len(contracts) != 2 ||
		contracts[0]["name"] != "BTC_USDT" || contracts[0]["quanto_multiplier"] != "0.0001" {
		t.Fatalf("contracts: %d %s", status, body)
	}
	status, body = s.Get(t, "/api/v4/futures/btc/contracts")
	if status != 200 || string(body) != "[]" {
		t.Errorf("btc contracts: %d %s", status, body)
	}
	status, body = s.Get(t, "/api/v4/spot/time")
	var tm struct {
		ServerTime int64 `json:"server_time"`
	}
	if status != 200 || json.Unmarshal(body, &tm) != nil || time.Since(time.UnixMilli(tm.ServerTime)).Abs() > 5*time.Second {
		t.Errorf("time: %d %s", status, body)
	}
	status, body = s.Get(t, "/api/v4/spot/currencies")
	if status != 200 || !strings.Contains(string(body), `"currency":"USDT"`) {
		t.Errorf("currencies: %d %s", status, body)
	}
	status, body = s.Get(t, "/api/v4/spot/tickers?currency_pair=ETH_USDT")
	if status != 200 || !strings.Contains(string(body), `"currency_pair":"ETH_USDT"`) {
		t.Errorf("tickers: %d %s", status, body)
	}
}

func TestWSSubscribeAckPingAndPushes(t *testing.T) {
	cases := []struct {
		id, path, channel string
	}{
		{"gate_io_spot", "/ws/v4/", "spot"},
		{"gate_io_perpetual", "/v4/ws/usdt", "futures"},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			// Start 20 virtual seconds before a minute closes, at 60x.
			base := time.Now().Truncate(time.Minute).Add(-20 * time.Second)
			s := replaytest.Start(t, tc.id, nil, replaytest.Clock(base, 60))
			ws := s.Dial(t, tc.path)
			ws.Send(`{"time":1,"channel":"` + tc.channel + `.ping"}`)
			pong := ws.ReadJSON(5*time.Second, func(m map[string]any) bool { return true })
			if pong["channel"] != tc.channel+".pong" {
				t.Fatalf("ping answered with %v", pong)
			}
			ws.Send(`{"id":1,"time":1,"channel":"` + tc.channel + `.candlesticks","event":"subscribe","payload":["1m","BTC_USDT"]}`)
			ack := ws.ReadJSON(5*time.Second, func(m map[string]any) bool { return true })
			if ack["event"] != "subscribe" || ack["id"] != json.Number("1") {
				t.Fatalf("first reply is not the ack: %v", ack)
			}
			if res, _ := ack["result"].(map[string]any); res["status"] != "success" {
				t.Fatalf("ack %v", ack)
			}
			ws.WatchClose(func(_ int, frame []byte) cc.Candle {
				us, err := s.Plugin.DecodeFrame(tc.path, frame)
				if err != nil {
					t.Fatalf("push %s: %v", frame, err)
				}
				u := us[0]
				if u.Symbol != "BTC_USDT" || u.Interval != cc.Interval1m {
					t.Fatalf("push for %s %s", u.Symbol, u.Interval)
				}
				return u.Candle
			})
			ws.Send(`{"id":2,"time":1,"channel":"` + tc.channel + `.candlesticks","event":"subscribe","payload":["1m","NOPE_USDT"]}`)
			e := ws.ReadJSON(5*time.Second, func(m map[string]any) bool { return m["id"] == json.Number("2") })
			if errObj, _ := e["error"].(map[string]any); errObj["code"] != json.Number("2") {
				t.Errorf("bad pair answered with %v", e)
			}
		})
	}
}

func TestWSRepliesMatchTheDocumentedShape(t *testing.T) {
	s := replaytest.Start(t, "gate_io_spot", nil, nil)
	ws := s.Dial(t, "/ws/v4/")
	ws.Send(`{"time":1,"channel":"spot.ping"}`)
	_, pong := ws.Read(5 * time.Second)
	if err := replaytest.SameShape("ws_pong.json", pong, replaytest.KeysAnyOrder); err != nil {
		t.Errorf("pong shape: %v", err)
	}
	ws.Send(`{"id":1,"time":1,"channel":"spot.candlesticks","event":"subscribe","payload":["1m","BTC_USDT"]}`)
	_, ack := ws.Read(5 * time.Second)
	if err := replaytest.SameShape("ws_subscribe_ack.json", ack, replaytest.KeysAnyOrder); err != nil {
		t.Errorf("ack shape: %v", err)
	}
	_, push := ws.Read(5 * time.Second)
	if err := replaytest.SameShape("ws_spot_update.json", push, replaytest.KeysAnyOrder); err != nil {
		t.Errorf("push shape: %v", err)
	}
}
