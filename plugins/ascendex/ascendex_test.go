package ascendex_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	_ "github.com/candlecassette/candlecassette/plugins/ascendex"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

func barhist(t *testing.T, s *replaytest.Server, query string) (int, []json.RawMessage, []byte) {
	t.Helper()
	status, body := s.Get(t, "/api/pro/v1/barhist?"+query)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	var resp struct {
		Code int
		Data []json.RawMessage
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatalf("not JSON: %s", body)
	}
	return resp.Code, resp.Data, body
}

func TestBarhistMatchesTheDocumentedShape(t *testing.T) {
	s := replaytest.Start(t, "ascend_ex_spot", nil, nil)
	code, bars, body := barhist(t, s, "symbol=BTC%2FUSDT&interval=1&n=1")
	if code != 0 || len(bars) != 1 {
		t.Fatalf("%s", body)
	}
	if err := replaytest.SameShape("barhist.json", body, replaytest.KeysAnyOrder); err != nil {
		t.Errorf("shape: %v", err)
	}
	if strings.Contains(string(body), `"message"`) {
		t.Error("a success reply carries a message field, which ccxt reads as an error")
	}
}

func TestBarRanges(t *testing.T) {
	s := replaytest.Start(t, "ascend_ex_spot", nil, nil)
	now := time.Now().UnixMilli()
	open := cc.Interval1m.Truncate(now)
	ts := func(b json.RawMessage) int64 {
		var x struct{ Data struct{ Ts int64 } }
		json.Unmarshal(b, &x)
		return x.Data.Ts
	}
	t.Run("default is the ten latest bars", func(t *testing.T) {
		_, bars, _ := barhist(t, s, "symbol=ETH/USDT&interval=1")
		if len(bars) != 10 || ts(bars[9]) != open {
			t.Errorf("%d bars, last at %d, now's bar opens %d", len(bars), ts(bars[len(bars)-1]), open)
		}
	})
	t.Run("from and to are inclusive", func(t *testing.T) {
		from := open - 30*60000
		_, bars, _ := barhist(t, s, "symbol=ETH/USDT&interval=1&from="+itoa(from)+"&to="+itoa(from+5*60000))
		if len(bars) != 6 || ts(bars[0]) != from || ts(bars[5]) != from+5*60000 {
			t.Errorf("%d bars", len(bars))
		}
	})
	t.Run("a wide range keeps the 500 most recent bars", func(t *testing.T) {
		from := open - 1000*60000
		_, bars, _ := barhist(t, s, "symbol=ETH/USDT&interval=1&from="+itoa(from)+"&to="+itoa(open))
		if len(bars) != 500 || ts(bars[499]) != open {
			t.Errorf("%d bars", len(bars))
		}
	})
	t.Run("n caps a range", func(t *testing.T) {
		from := open - 100*60000
		_, bars, _ := barhist(t, s, "symbol=ETH/USDT&interval=1&n=5&from="+itoa(from)+"&to="+itoa(open))
		if len(bars) != 5 || ts(bars[4]) != open {
			t.Errorf("%d bars", len(bars))
		}
	})
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func TestBadRequestsGetAscendEXErrors(t *testing.T) {
	s := replaytest.Start(t, "ascend_ex_spot", nil, nil)
	cases := []struct {
		name, query string
		code        int
	}{
		{"missing symbol", "interval=1", 100001},
		{"missing interval", "symbol=BTC/USDT", 100001},
		{"unknown interval", "symbol=BTC/USDT&interval=2", 100006},
		{"unknown symbol", "symbol=FOO/USDT&interval=1", 100008},
		{"bad number", "symbol=BTC/USDT&interval=1&from=x", 100013},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := s.Get(t, "/api/pro/v1/barhist?"+tc.query)
			var e struct {
				Code    int
				Reason  string
				Message string
			}
			if json.Unmarshal(body, &e) != nil || status != 200 || e.Code != tc.code || e.Reason == "" || e.Message == "" {
				t.Errorf("got %d %s, want code %d", status, body, tc.code)
			}
		})
	}
}

func TestPagesJoinWithoutGapOrOverlap(t *testing.T) {
	s := replaytest.Start(t, "ascend_ex_spot", nil, nil)
	s.PagesJoin(t, "ETH/USDT", 3, 100)
	// A range that reaches the present ends with the bar in progress.
	now := time.Now().UnixMilli()
	req, _ := http.NewRequest("GET", "/api/pro/v1/barhist?symbol=ETH%2FUSDT&interval=1&from="+itoa(now-5*60000)+"&to="+itoa(now+10*60000), nil)
	_, body := s.Do(t, req)
	set, err := s.Plugin.DecodeCandles(req, body)
	if err != nil || len(set.Candles) == 0 || set.Candles[len(set.Candles)-1].Closed {
		t.Errorf("last bar of a range into the future decoded as closed: %v", err)
	}
}

func TestDecodeTheDocumentedExamples(t *testing.T) {
	p, _ := plugins.Lookup("ascend_ex_spot")
	req, _ := http.NewRequest("GET", "/api/pro/v1/barhist?symbol="+url.QueryEscape("BTC/USDT")+"&interval=1&from=1590228000000&to=1590228000000", nil)
	set, err := p.DecodeCandles(req, replaytest.Golden(t, "barhist.json"))
	if err != nil || len(set.Candles) != 1 {
		t.Fatal(err)
	}
	if c := set.Candles[0]; c.OpenTime != 1590228000000 || c.Close.String() != "9131.94" || c.Volume.String() != "25.20648" || c.CloseTime != 1590228059999 {
		t.Errorf("%+v", c)
	}
	us, err := p.DecodeFrame("/api/pro/v2/stream", replaytest.Golden(t, "ws_bar.json"))
	if err != nil || len(us) != 1 || us[0].Symbol != "ASD/USDT" || us[0].Candle.Close.String() != "0.04970" {
		t.Fatalf("%v %+v", err, us)
	}
	if _, err := p.DecodeFrame("/api/pro/v2/stream", replaytest.Golden(t, "ws_sub_ack.json")); err == nil {
		t.Error("an ack decoded as a bar")
	}
}

func TestProductsFitTheDocumentedShapes(t *testing.T) {
	s := replaytest.Start(t, "ascend_ex_spot", nil, nil)
	for _, tc := range []struct{ path, golden string }{
		{"/api/pro/v1/products", "products.json"},
		{"/api/pro/v1/cash/products", "cash_products.json"},
	} {
		status, body := s.Get(t, tc.path)
		if status != 200 {
			t.Fatal(status)
		}
		if err := replaytest.SameShape(tc.golden, body, replaytest.KeysAnyOrder); err != nil {
			t.Errorf("%s: %v", tc.path, err)
		}
	}
	status, body := s.Get(t, "/api/pro/v1/exchange-info?requestTime=1000")
	if status != 200 || !strings.Contains(string(body), `"requestTimeEcho":1000`) || !strings.Contains(string(body), `"requestReceiveAt":`) {
		t.Errorf("exchange-info %s", body)
	}
	status, body = s.Get(t, "/api/pro/v1/ticker?symbol=BTC/USDT")
	if status != 200 || !strings.HasPrefix(string(body), `{"code":0,"data":{`) {
		t.Errorf("one ticker: %s", body)
	}
	status, body = s.Get(t, "/api/pro/v1/ticker?symbol=BTC/USDT,ETH/USDT")
	if status != 200 || !strings.HasPrefix(string(body), `{"code":0,"data":[`) || strings.Count(string(body), `"symbol"`) != 2 {
		t.Errorf("two tickers: %s", body)
	}
	status, body = s.Get(t, "/api/pro/v2/assets")
	if status != 200 || !strings.Contains(string(body), `"assetCode":"USDT"`) {
		t.Errorf("assets %s", body)
	}
}

func TestWSSubscribePingAndPushes(t *testing.T) {
	base := time.Now().Truncate(time.Minute).Add(-20 * time.Second)
	s := replaytest.Start(t, "ascend_ex_spot", nil, replaytest.Clock(base, 60))
	ws := s.Dial(t, "/api/pro/v2/stream")
	if m := ws.ReadJSON(5*time.Second, func(map[string]any) bool { return true }); m["m"] != "connected" {
		t.Fatalf("greeting %v", m)
	}
	ws.Send(`{"op":"ping","id":"p1"}`)
	if m := ws.ReadJSON(5*time.Second, func(map[string]any) bool { return true }); m["m"] != "pong" {
		t.Fatalf("ping answered %v", m)
	}
	ws.Send(`{"op":"sub","id":"abc123","ch":"bar:1:BTC/USDT"}`)
	_, ack := ws.Read(5 * time.Second)
	if err := replaytest.SameShape("ws_sub_ack.json", ack, replaytest.KeysAnyOrder); err != nil || !strings.Contains(string(ack), `"id":"abc123"`) {
		t.Fatalf("ack %s: %v", ack, err)
	}
	last := ws.FollowCandle(60000, s.ShapedCandles(t, "/api/pro/v2/stream", "ws_bar.json"))
	first := last.OpenTime
	final, err := s.Env.Market.Candles(t.Context(), "BTC/USDT", cc.Interval1m, first, first+60000, first+60000)
	if err != nil || last.Close.Cmp(final[0].Close) != 0 {
		t.Errorf("last push %+v, final bar %+v", last, final)
	}
	ws.Send(`{"op":"sub","id":"x","ch":"bar:1:FOO/USDT"}`)
	m := ws.ReadJSON(5*time.Second, func(m map[string]any) bool { return m["m"] == "error" })
	if m["code"] != json.Number("100008") {
		t.Errorf("bad symbol answered %v", m)
	}
}
