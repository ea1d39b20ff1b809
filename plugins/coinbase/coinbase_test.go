package coinbase_test

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
	"github.com/candlecassette/candlecassette/plugins/coinbase"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

var pairs = []cc.Pair{{Base: "BTC", Quote: "USD", Price: 50000}, {Base: "ETH", Quote: "USDT", Price: 3000}}

// base is a fixed virtual "now": 2024-03-01T12:34:56Z.
var base = time.Date(2024, 3, 1, 12, 34, 56, 0, time.UTC)

type wireCandle struct {
	Start, Low, High, Open, Close, Volume string
}

func getCandles(t *testing.T, url, path string) []wireCandle {
	t.Helper()
	var resp struct{ Candles []wireCandle }
	replaytest.GetJSON(t, url, path, &resp)
	return resp.Candles
}

func TestCandlesAreNewestFirstSecondsAndHalfOpen(t *testing.T) {
	srv := replaytest.Start(t, coinbase.Name, pairs, replaytest.Clock(base, 1e-9))
	start := base.Add(-2 * time.Hour).Truncate(time.Minute).Unix()
	cs := getCandles(t, srv.URL, fmt.Sprintf("/api/v3/brokerage/market/products/BTC-USD/candles?granularity=ONE_MINUTE&start=%d&end=%d", start, start+300*60))
	if len(cs) != 121 {
		// The window reaches past now: only the minutes from 2h ago up to
		// the in-progress one exist.
		t.Fatalf("got %d candles, want 121 up to now", len(cs))
	}
	first, _ := strconv.ParseInt(cs[len(cs)-1].Start, 10, 64)
	last, _ := strconv.ParseInt(cs[0].Start, 10, 64)
	if first != start || last != base.Truncate(time.Minute).Unix() {
		t.Fatalf("range %d..%d, want %d..%d", first, last, start, base.Truncate(time.Minute).Unix())
	}
	for i := 1; i < len(cs); i++ {
		a, _ := strconv.ParseInt(cs[i-1].Start, 10, 64)
		b, _ := strconv.ParseInt(cs[i].Start, 10, 64)
		if a-b != 60 {
			t.Fatalf("rows %d,%d not consecutive newest first: %d, %d", i-1, i, a, b)
		}
	}
}

func TestPagesJoinWithoutGapOrOverlap(t *testing.T) {
	srv := replaytest.Start(t, coinbase.Name, pairs, replaytest.Clock(base, 1e-9))
	since := base.Add(-30 * time.Hour).Truncate(time.Hour).Unix()
	var all []int64
	for page := 0; page < 3; page++ {
		s := since + int64(page)*100*300
		cs := getCandles(t, srv.URL, fmt.Sprintf("/api/v3/brokerage/market/products/BTC-USD/candles?granularity=FIVE_MINUTE&start=%d&end=%d", s, s+100*300))
		if len(cs) != 100 {
			t.Fatalf("page %d: %d candles, want 100", page, len(cs))
		}
		for i := len(cs) - 1; i >= 0; i-- {
			v, _ := strconv.ParseInt(cs[i].Start, 10, 64)
			all = append(all, v)
		}
	}
	for i := 1; i < len(all); i++ {
		if all[i]-all[i-1] != 300 {
			t.Fatalf("gap or overlap at %d: %d then %d", i, all[i-1], all[i])
		}
	}
}

func TestCandleErrorsUseCoinbaseEnvelope(t *testing.T) {
	srv := replaytest.Start(t, coinbase.Name, pairs, replaytest.Clock(base, 1e-9))
	s := base.Add(-time.Hour).Unix()
	cases := []struct {
		name, path string
		status     int
		code       string
	}{
		{"unknown product", fmt.Sprintf("/api/v3/brokerage/market/products/BTC-FOO/candles?granularity=ONE_MINUTE&start=%d&end=%d", s, s+60), 404, "NOT_FOUND"},
		{"bad granularity", fmt.Sprintf("/api/v3/brokerage/market/products/BTC-USD/candles?granularity=1m&start=%d&end=%d", s, s+60), 400, "INVALID_ARGUMENT"},
		{"missing granularity", fmt.Sprintf("/api/v3/brokerage/market/products/BTC-USD/candles?start=%d&end=%d", s, s+60), 400, "INVALID_ARGUMENT"},
		{"missing end", fmt.Sprintf("/api/v3/brokerage/market/products/BTC-USD/candles?granularity=ONE_MINUTE&start=%d", s), 400, "INVALID_ARGUMENT"},
		{"start not a number", "/api/v3/brokerage/market/products/BTC-USD/candles?granularity=ONE_MINUTE&start=abc&end=1", 400, "INVALID_ARGUMENT"},
		{"more than 350 buckets", fmt.Sprintf("/api/v3/brokerage/market/products/BTC-USD/candles?granularity=ONE_MINUTE&start=%d&end=%d", s, s+351*60), 400, "INVALID_ARGUMENT"},
		{"limit above 350", fmt.Sprintf("/api/v3/brokerage/market/products/BTC-USD/candles?granularity=ONE_MINUTE&start=%d&end=%d&limit=351", s, s+60), 400, "INVALID_ARGUMENT"},
		{"start beyond any date", "/api/v3/brokerage/market/products/BTC-USD/candles?granularity=ONE_MINUTE&start=9223372036854775807&end=9223372036854775807", 400, "INVALID_ARGUMENT"},
		{"end before start", fmt.Sprintf("/api/v3/brokerage/market/products/BTC-USD/candles?granularity=ONE_MINUTE&start=%d&end=%d", s, s-60), 400, "INVALID_ARGUMENT"},
		{"unknown product detail", "/api/v3/brokerage/market/products/NOPE-USD", 404, "NOT_FOUND"},
		{"unknown route", "/api/v3/brokerage/nothing", 404, "NOT_FOUND"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, body := replaytest.Get(t, srv.URL, c.path)
			if st != c.status {
				t.Fatalf("status %d, want %d: %s", st, c.status, body)
			}
			var e struct{ Error, ErrorDetails, Message string }
			if err := json.Unmarshal(body, &e); err != nil || e.Error != c.code || e.Message == "" {
				t.Fatalf("body %s, want error %s with a message", body, c.code)
			}
		})
	}
	// Exactly 350 buckets is allowed.
	cs := getCandles(t, srv.URL, fmt.Sprintf("/api/v3/brokerage/market/products/BTC-USD/candles?granularity=ONE_MINUTE&start=%d&end=%d", s-400*60, s-50*60))
	if len(cs) != 350 {
		t.Fatalf("350-bucket window gave %d candles", len(cs))
	}
}

func TestPayloadsMatchDocumentedShapes(t *testing.T) {
	srv := replaytest.Start(t, coinbase.Name, pairs, replaytest.Clock(base, 1e-9))
	s := base.Add(-time.Hour).Unix()
	replaytest.ShapesMatch(t, srv.URL, replaytest.KeysInOrder, map[string]string{
		"candles.json": fmt.Sprintf("/api/v3/brokerage/market/products/BTC-USD/candles?granularity=ONE_HOUR&start=%d&end=%d", s-3600*5, s),
		"product.json": "/api/v3/brokerage/market/products/BTC-USD",
		"time.json":    "/api/v3/brokerage/time",
	})
}

func TestMarketLoadingEndpoints(t *testing.T) {
	srv := replaytest.Start(t, coinbase.Name, pairs, replaytest.Clock(base, 1e-9))
	_, body := replaytest.Get(t, srv.URL, "/api/v3/brokerage/market/products")
	var list struct {
		Products []struct {
			ProductID string `json:"product_id"`
		}
		NumProducts int `json:"num_products"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	if list.NumProducts != 2 || list.Products[0].ProductID != "BTC-USD" || list.Products[1].ProductID != "ETH-USDT" {
		t.Fatalf("products: %s", body)
	}
	_, body = replaytest.Get(t, srv.URL, "/api/v3/brokerage/market/products?product_type=FUTURE")
	if !strings.Contains(string(body), `"products":[]`) {
		t.Fatalf("FUTURE products should be empty: %s", body)
	}
	for _, path := range []string{"/v2/currencies", "/v2/currencies/crypto", "/v2/exchange-rates", "/v2/time"} {
		st, body := replaytest.Get(t, srv.URL, path)
		if st != 200 || !strings.HasPrefix(string(body), `{"data":`) {
			t.Fatalf("%s: %d %s", path, st, body)
		}
	}
	_, body = replaytest.Get(t, srv.URL, "/v2/time")
	if !strings.Contains(string(body), strconv.FormatInt(base.Unix(), 10)) {
		t.Fatalf("/v2/time does not follow the virtual clock: %s", body)
	}
}

func TestDecodeCandlesRoundTrip(t *testing.T) {
	srv := replaytest.Start(t, coinbase.Name, pairs, replaytest.Clock(base, 1e-9))
	p := &coinbase.Plugin{}
	req, err := p.CandlesRequest(plugins.Query{Symbol: "BTC-USD", Interval: cc.Interval15m, Start: base.Add(-5 * time.Hour).Truncate(time.Hour).UnixMilli(), Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	st, body := replaytest.Get(t, srv.URL, req.URL.String())
	if st != 200 {
		t.Fatalf("%d %s", st, body)
	}
	set, err := p.DecodeCandles(req, body)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := srv.Env.Market.Candles(t.Context(), "BTC-USD", cc.Interval15m, base.Add(-5*time.Hour).Truncate(time.Hour).UnixMilli(), base.Add(-5*time.Hour).Truncate(time.Hour).Add(150*time.Minute).UnixMilli(), base.UnixMilli())
	if len(set.Candles) != 10 || set.Symbol != "BTC-USD" || set.Interval != cc.Interval15m {
		t.Fatalf("decoded %d candles %s %s", len(set.Candles), set.Symbol, set.Interval)
	}
	for i, c := range set.Candles {
		w := want[i]
		if c.OpenTime != w.OpenTime || c.Open.Cmp(w.Open) != 0 || c.High.Cmp(w.High) != 0 || c.Low.Cmp(w.Low) != 0 || c.Close.Cmp(w.Close) != 0 || c.Volume.Cmp(w.Volume) != 0 {
			t.Fatalf("candle %d: %+v, want %+v", i, c, w)
		}
	}
	if _, err := p.DecodeCandles(httptest.NewRequest("GET", "/api/v3/brokerage/time", nil), []byte(`{}`)); err != plugins.ErrNotCandles {
		t.Fatalf("time body decoded as candles: %v", err)
	}
}

func readJSON(t *testing.T, c interface {
	ReadMessage() (int, []byte, error)
}) map[string]any {
	t.Helper()
	_, b, err := c.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	m["_raw"] = string(b)
	return m
}

func TestWSCandlesSnapshotThenUpdatesThenNextBucket(t *testing.T) {
	// 50 s before a five-minute boundary, at 60x: the bucket closes after
	// about a second of real time.
	b := time.Date(2024, 3, 1, 12, 4, 10, 0, time.UTC)
	srv := replaytest.Start(t, coinbase.Name, pairs, replaytest.Clock(b, 60))
	c := replaytest.Dial(t, srv.URL+"/")
	if err := c.WriteJSON(map[string]any{"type": "subscribe", "product_ids": []string{"BTC-USD"}, "channel": "candles"}); err != nil {
		t.Fatal(err)
	}
	var seq float64 = -1
	var kinds []string
	var starts []string
	p := &coinbase.Plugin{}
	for len(starts) == 0 || starts[len(starts)-1] == starts[0] {
		m := readJSON(t, c)
		if s := m["sequence_num"].(float64); s != seq+1 {
			t.Fatalf("sequence_num %v after %v", s, seq)
		} else {
			seq = s
		}
		switch m["channel"] {
		case "subscriptions":
			if !strings.Contains(m["_raw"].(string), `"candles":["BTC-USD"]`) {
				t.Fatalf("subscriptions ack: %s", m["_raw"])
			}
		case "candles":
			if err := replaytest.SameShape("ws_candles.json", []byte(m["_raw"].(string)), replaytest.KeysInOrder); err != nil {
				t.Fatal(err)
			}
			ev := m["events"].([]any)[0].(map[string]any)
			kinds = append(kinds, ev["type"].(string))
			cd := ev["candles"].([]any)[0].(map[string]any)
			starts = append(starts, cd["start"].(string))
			ups, err := p.DecodeFrame("/", []byte(m["_raw"].(string)))
			if err != nil || len(ups) != 1 || ups[0].Symbol != "BTC-USD" || ups[0].Interval != cc.Interval5m {
				t.Fatalf("DecodeFrame: %v %+v", err, ups)
			}
		default:
			t.Fatalf("unexpected message %s", m["_raw"])
		}
	}
	if kinds[0] != "snapshot" || kinds[1] != "update" {
		t.Fatalf("event types %v, want snapshot then updates", kinds)
	}
	first, _ := strconv.ParseInt(starts[0], 10, 64)
	next, _ := strconv.ParseInt(starts[len(starts)-1], 10, 64)
	if first != b.Truncate(5*time.Minute).Unix() || next != first+300 {
		t.Fatalf("buckets %d then %d", first, next)
	}
}

func TestWSHeartbeatsAndErrors(t *testing.T) {
	srv := replaytest.Start(t, coinbase.Name, pairs, nil)
	c := replaytest.Dial(t, srv.URL+"/")
	c.WriteJSON(map[string]any{"type": "subscribe", "product_ids": []string{"NOPE-USD"}, "channel": "candles"})
	m := readJSON(t, c)
	if m["type"] != "error" || m["message"] == "" {
		t.Fatalf("bad product: %s", m["_raw"])
	}
	c.WriteMessage(1, []byte("not json"))
	if m := readJSON(t, c); m["type"] != "error" {
		t.Fatalf("bad JSON: %s", m["_raw"])
	}
	c.WriteJSON(map[string]any{"type": "subscribe", "channel": "heartbeats"})
	m = readJSON(t, c)
	if m["channel"] != "subscriptions" {
		t.Fatalf("want subscriptions ack, got %s", m["_raw"])
	}
	for i := 1; i <= 2; i++ {
		m := readJSON(t, c)
		if err := replaytest.SameShape("ws_heartbeats.json", []byte(m["_raw"].(string)), replaytest.KeysInOrder); err != nil {
			t.Fatal(err)
		}
		if got := m["events"].([]any)[0].(map[string]any)["heartbeat_counter"].(float64); got != float64(i) {
			t.Fatalf("heartbeat_counter %v, want %d", got, i)
		}
	}
}

func TestWSClosesWithoutSubscription(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 5 s")
	}
	srv := replaytest.Start(t, coinbase.Name, pairs, nil)
	c := replaytest.Dial(t, srv.URL+"/")
	start := time.Now()
	_, _, err := c.ReadMessage()
	if err == nil {
		t.Fatal("got a message on an idle connection")
	}
	if d := time.Since(start); d < 4*time.Second || d > 8*time.Second {
		t.Fatalf("closed after %v, want about 5 s", d)
	}
}

func TestRateLimitAnswersWithCoinbase429(t *testing.T) {
	// The window opens at the client's first request, so ten quick
	// requests pass and the eleventh is refused.
	srv := replaytest.StartWith(t, replay.Options{Exchange: coinbase.Name, Pairs: pairs, Clock: replaytest.Clock(base, 1e-9)})
	st, b := replaytest.Exhaust(t, 10, replaytest.Req(http.MethodGet, srv.URL+"/api/v3/brokerage/time", ""), nil)
	if st != http.StatusTooManyRequests || !strings.Contains(string(b), `"error":"RATE_LIMIT_EXCEEDED"`) {
		t.Fatalf("11th request: %d %s", st, b)
	}
}

func BenchmarkCandles350(b *testing.B) {
	replaytest.BenchCandles(b, coinbase.Name, cc.Pair{Base: "BTC", Quote: "USD", Price: 50000}, cc.Interval1m, coinbase.MaxCandles)
}

func TestCoinbaseAppV2ShapesMatchDocumentation(t *testing.T) {
	srv := replaytest.Start(t, coinbase.Name, pairs, replaytest.Clock(base, 1e-9))
	replaytest.ShapesMatch(t, srv.URL, replaytest.KeysInOrder, map[string]string{
		"v2_currencies.json":        "/v2/currencies",
		"v2_currencies_crypto.json": "/v2/currencies/crypto",
		"v2_time.json":              "/v2/time",
	})
	_, body := replaytest.Get(t, srv.URL, "/v2/exchange-rates?currency=BTC")
	var r struct {
		Data struct {
			Currency string
			Rates    map[string]string
		}
	}
	if err := json.Unmarshal(body, &r); err != nil || r.Data.Currency != "BTC" {
		t.Fatalf("exchange-rates: %v %s", err, body)
	}
	// One BTC buys about its price in USD; BTC itself is 1.
	usd, _ := strconv.ParseFloat(r.Data.Rates["USD"], 64)
	btc, _ := strconv.ParseFloat(r.Data.Rates["BTC"], 64)
	if btc != 1 || usd < 1000 {
		t.Fatalf("rates USD=%v BTC=%v", usd, btc)
	}
	if st, b := replaytest.Get(t, srv.URL, "/v2/exchange-rates?currency=NOPE"); st != 400 || !strings.Contains(string(b), `"errors":[{"id":"invalid_request"`) {
		t.Fatalf("bad currency: %d %s", st, b)
	}
	if st, b := replaytest.Get(t, srv.URL, "/v2/nothing"); st != 404 || !strings.Contains(string(b), `"id":"not_found"`) {
		t.Fatalf("v2 unknown path: %d %s", st, b)
	}
}

func TestWSUnsubscribeStopsCandles(t *testing.T) {
	srv := replaytest.Start(t, coinbase.Name, pairs, replaytest.Clock(base, 60))
	c := replaytest.Dial(t, srv.URL+"/")
	sub := map[string]any{"type": "subscribe", "product_ids": []string{"BTC-USD"}, "channel": "candles"}
	c.WriteJSON(sub)
	for m := readJSON(t, c); m["channel"] != "candles"; m = readJSON(t, c) {
	}
	sub["type"] = "unsubscribe"
	c.WriteJSON(sub)
	for {
		m := readJSON(t, c)
		if m["channel"] == "subscriptions" {
			if !strings.Contains(m["_raw"].(string), `"subscriptions":{}`) {
				t.Fatalf("after unsubscribe: %s", m["_raw"])
			}
			break
		}
	}
	c.SetReadDeadline(time.Now().Add(1500 * time.Millisecond))
	if _, b, err := c.ReadMessage(); err == nil {
		t.Fatalf("message after unsubscribing: %s", b)
	}
}

func mustReq(path string) *http.Request { return httptest.NewRequest("GET", path, nil) }
