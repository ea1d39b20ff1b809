package hyperliquid_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	_ "github.com/candlecassette/candlecassette/plugins/hyperliquid"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

func TestCandleSnapshotMatchesTheDocumentedShape(t *testing.T) {
	for _, tc := range []struct{ id, coin string }{{"hyperliquid_perpetual", "BTC"}, {"hyperliquid_spot", "@142"}} {
		t.Run(tc.id, func(t *testing.T) {
			s := replaytest.Start(t, tc.id, nil, nil)
			if got := s.Env.Pairs[0].Symbol; got != tc.coin {
				t.Fatalf("BTC-USDT is spelled %q, want %q", got, tc.coin)
			}
			since := cc.Interval1m.Truncate(time.Now().Add(-10 * time.Minute).UnixMilli())
			req, err := s.Plugin.CandlesRequest(plugins.Query{Symbol: tc.coin, Interval: cc.Interval1m, Start: since, Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			status, body := s.Do(t, req)
			if status != 200 {
				t.Fatalf("status %d: %s", status, body)
			}
			if err := replaytest.SameShape("candle_snapshot.json", body, replaytest.KeysAnyOrder); err != nil {
				t.Errorf("shape: %v", err)
			}
			var rows []map[string]any
			json.Unmarshal(body, &rows)
			if rows[0]["s"] != tc.coin || rows[0]["i"] != "1m" || rows[0]["T"].(float64) != float64(since+59999) {
				t.Errorf("row %v", rows[0])
			}
		})
	}
}

func TestRangeIsInclusiveCappedAndIncludesTheCandleInProgress(t *testing.T) {
	s := replaytest.Start(t, "hyperliquid_perpetual", nil, nil)
	now := time.Now().UnixMilli()
	start := cc.Interval1m.Truncate(now) - 9*60000
	req, _ := s.Plugin.CandlesRequest(plugins.Query{Symbol: "ETH", Interval: cc.Interval1m, Start: start, End: now + 3600_000})
	status, body := s.Do(t, req)
	set, err := s.Plugin.DecodeCandles(req, body)
	if status != 200 || err != nil {
		t.Fatalf("%d %v %s", status, err, body)
	}
	if len(set.Candles) != 10 || set.Candles[0].OpenTime != start {
		t.Fatalf("%d candles from %d", len(set.Candles), set.Candles[0].OpenTime)
	}
	// endTime exactly on an open time includes that candle.
	req, _ = s.Plugin.CandlesRequest(plugins.Query{Symbol: "ETH", Interval: cc.Interval1m, Start: start, End: start + 120000})
	_, body = s.Do(t, req)
	set, _ = s.Plugin.DecodeCandles(req, body)
	if len(set.Candles) != 3 {
		t.Errorf("[start, start+2m] gave %d candles", len(set.Candles))
	}
	// A week of minutes is capped at 5000 candles from the start.
	_, body = s.Post(t, "/info", `{"type":"candleSnapshot","req":{"coin":"ETH","interval":"1m","startTime":`+itoa(start-7*86400_000)+`,"endTime":`+itoa(now)+`}}`)
	var rows []json.RawMessage
	if json.Unmarshal(body, &rows) != nil || len(rows) != 5000 {
		t.Errorf("a week of 1m gave %d rows", len(rows))
	}
	var last struct {
		Open  int64 `json:"t"`
		Close int64 `json:"T"`
	}
	json.Unmarshal(rows[len(rows)-1], &last)
	if last.Open != cc.Interval1m.Truncate(now) {
		t.Errorf("a week of 1m ends at %d: only the latest 5000 candles exist", last.Open)
	}
	// Older than the latest 5000 there is nothing.
	_, body = s.Post(t, "/info", `{"type":"candleSnapshot","req":{"coin":"ETH","interval":"1m","startTime":`+itoa(start-7*86400_000)+`,"endTime":`+itoa(start-6*86400_000)+`}}`)
	if string(body) != "[]" {
		t.Errorf("candles a week old: %.100s", body)
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func TestBadBodiesGetHyperliquidErrors(t *testing.T) {
	s := replaytest.Start(t, "hyperliquid_spot", nil, nil)
	cases := []struct {
		name, body string
		status     int
		contains   string
	}{
		{"unknown type", `{"type":"nope"}`, 422, "unknown variant `nope`"},
		{"missing type", `{}`, 422, "missing field `type`"},
		{"missing req", `{"type":"candleSnapshot"}`, 422, "missing field `req`"},
		{"missing coin", `{"type":"candleSnapshot","req":{"interval":"1m","startTime":1}}`, 422, "missing field `coin`"},
		{"bad interval", `{"type":"candleSnapshot","req":{"coin":"BTC","interval":"2m","startTime":1}}`, 422, "unknown variant `2m`"},
		{"string time", `{"type":"candleSnapshot","req":{"coin":"BTC","interval":"1m","startTime":"1"}}`, 422, "expected u64"},
		{"not JSON", `{"type":`, 400, "Failed to parse the request body as JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := s.Post(t, "/info", tc.body)
			if status != tc.status || !strings.Contains(string(body), tc.contains) {
				t.Errorf("got %d %q, want %d containing %q", status, body, tc.status, tc.contains)
			}
			if tc.status == 422 && !strings.HasPrefix(string(body), "Failed to deserialize the JSON body into the target type: ") {
				t.Errorf("422 body %q", body)
			}
		})
	}
	t.Run("unknown coin is a 500 with null", func(t *testing.T) {
		status, body := s.Post(t, "/info", `{"type":"candleSnapshot","req":{"coin":"NOPE","interval":"1m","startTime":1}}`)
		if status != 500 || string(body) != "null" {
			t.Errorf("%d %s", status, body)
		}
	})
	t.Run("GET is not allowed", func(t *testing.T) {
		resp, err := http.Get(s.URL + "/info")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 405 {
			t.Errorf("status %d", resp.StatusCode)
		}
	})
}

func TestPagesJoinWithoutGapOrOverlap(t *testing.T) {
	s := replaytest.Start(t, "hyperliquid_spot", nil, nil)
	s.PagesJoin(t, "@151", 3, 100)
}

func TestMetadataFitsTheDocumentedShapes(t *testing.T) {
	s := replaytest.Start(t, "hyperliquid_perpetual", nil, nil)
	status, body := s.Post(t, "/info", `{"type":"metaAndAssetCtxs"}`)
	if status != 200 {
		t.Fatal(status)
	}
	if err := replaytest.SameShape("meta_and_asset_ctxs.json", body, replaytest.KeysAnyOrder); err != nil {
		t.Errorf("metaAndAssetCtxs: %v", err)
	}
	status, body = s.Post(t, "/info", `{"type":"spotMeta"}`)
	var sm struct {
		Tokens   []map[string]any
		Universe []map[string]any
	}
	if status != 200 || json.Unmarshal(body, &sm) != nil {
		t.Fatal(status)
	}
	var want struct {
		Tokens   []map[string]any
		Universe []map[string]any
	}
	json.Unmarshal(replaytest.Golden(t, "spot_meta.json"), &want)
	if err := replaytest.SameValueShape(want.Universe[0], sm.Universe[0]); err != nil {
		t.Errorf("spot universe: %v", err)
	}
	for i, tok := range sm.Tokens {
		if tok["index"].(float64) != float64(i) {
			t.Errorf("token %d has index %v", i, tok["index"])
		}
	}
	byName := map[string]map[string]any{}
	for _, u := range sm.Universe {
		byName[u["name"].(string)] = u
	}
	btc := byName["@142"]
	if btc == nil || sm.Tokens[int(btc["tokens"].([]any)[0].(float64))]["name"] != "UBTC" ||
		sm.Tokens[int(btc["tokens"].([]any)[1].(float64))]["name"] != "USDC" {
		t.Errorf("@142 is not UBTC/USDC: %v", sm.Universe)
	}
	// Spot contexts are indexed by universe index.
	_, body = s.Post(t, "/info", `{"type":"spotMetaAndAssetCtxs"}`)
	var both []json.RawMessage
	json.Unmarshal(body, &both)
	var ctxs []map[string]any
	json.Unmarshal(both[1], &ctxs)
	if len(ctxs) <= 151 || ctxs[142]["coin"] != "@142" || ctxs[151]["coin"] != "@151" || ctxs[142]["midPx"] == nil {
		t.Errorf("spot ctxs not indexed by universe index")
	}
	status, body = s.Post(t, "/info", `{"type":"exchangeStatus"}`)
	if status != 200 || !strings.Contains(string(body), `"time":`) {
		t.Errorf("exchangeStatus %s", body)
	}
	status, body = s.Post(t, "/info", `{"type":"perpDexs"}`)
	if status != 200 || string(body) != "[null]" {
		t.Errorf("perpDexs %s", body)
	}
}

func TestWSSubscribePingAndPushes(t *testing.T) {
	base := time.Now().Truncate(time.Minute).Add(-20 * time.Second)
	s := replaytest.Start(t, "hyperliquid_perpetual", nil, replaytest.Clock(base, 60))
	ws := s.Dial(t, "/ws")
	ws.Send(`{"method":"ping"}`)
	if m := ws.ReadJSON(5*time.Second, func(map[string]any) bool { return true }); m["channel"] != "pong" {
		t.Fatalf("ping answered %v", m)
	}
	ws.Send(`{"method":"subscribe","subscription":{"type":"candle","coin":"BTC","interval":"1m"}}`)
	_, ack := ws.Read(5 * time.Second)
	if err := replaytest.SameShape("ws_subscription_response.json", ack, replaytest.KeysAnyOrder); err != nil {
		t.Fatalf("ack %s: %v", ack, err)
	}
	lastOfFirst := ws.FollowCandle(60000, s.ShapedCandles(t, "/ws", "ws_candle.json"))
	first := lastOfFirst.OpenTime
	// The last push of the first candle is its final state.
	final, err := s.Env.Market.Candles(t.Context(), "BTC", cc.Interval1m, first, first+60000, first+60000)
	if err != nil || lastOfFirst.Close.Cmp(final[0].Close) != 0 || lastOfFirst.Volume.Cmp(final[0].Volume) != 0 {
		t.Errorf("last push %+v, final candle %+v", lastOfFirst, final)
	}
	ws.Send(`{"method":"subscribe","subscription":{"type":"candle","coin":"NOPE","interval":"1m"}}`)
	m := ws.ReadJSON(5*time.Second, func(m map[string]any) bool { return m["channel"] == "error" })
	if !strings.Contains(m["data"].(string), "Invalid subscription") {
		t.Errorf("bad coin answered %v", m)
	}
}

func TestDecodeCandlesLeavesTheRequestBodyReadable(t *testing.T) {
	p, _ := plugins.Lookup("hyperliquid_perpetual")
	body := `{"type":"candleSnapshot","req":{"coin":"BTC","interval":"15m","startTime":1681923600000,"endTime":1681924499999}}`
	req, _ := http.NewRequest("POST", "/info", strings.NewReader(body))
	req.GetBody = nil // as a server-side request has it
	set, err := p.DecodeCandles(req, replaytest.Golden(t, "candle_snapshot.json"))
	if err != nil || set.Symbol != "BTC" || set.Interval != cc.Interval15m || len(set.Candles) != 1 || !set.Candles[0].Closed {
		t.Fatalf("%v %+v", err, set)
	}
	if c := set.Candles[0]; c.OpenTime != 1681923600000 || c.Close.String() != "29258.0" || c.Trades != 189 || c.Volume.String() != "0.98639" {
		t.Errorf("%+v", c)
	}
	rest, _ := io.ReadAll(req.Body)
	if string(rest) != body {
		t.Errorf("body after decoding: %q", rest)
	}
	// A body that is not a candle query is not candles.
	other, _ := http.NewRequest("POST", "/info", strings.NewReader(`{"type":"meta"}`))
	if _, err := p.DecodeCandles(other, []byte(`{"universe":[]}`)); err == nil {
		t.Error("meta decoded as candles")
	}
}
