package kraken_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/kraken"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

var pairs = []cc.Pair{{Base: "BTC", Quote: "USD", Price: 50000}, {Base: "ETH", Quote: "USDT", Price: 3000}}

var base = time.Date(2024, 3, 1, 12, 34, 56, 0, time.UTC)

type ohlcResp struct {
	Error  []string
	Result map[string]json.RawMessage
}

func getOHLC(t *testing.T, url, path string) (rows [][]any, last int64, errs []string) {
	t.Helper()
	var r ohlcResp
	replaytest.GetJSON(t, url, path, &r)
	for k, v := range r.Result {
		if k == "last" {
			json.Unmarshal(v, &last)
			continue
		}
		json.Unmarshal(v, &rows)
	}
	return rows, last, r.Error
}

func TestSymbolsFollowKrakenNaming(t *testing.T) {
	p := &kraken.Plugin{}
	for in, want := range map[cc.Pair]string{
		{Base: "BTC", Quote: "USD"}:  "XBT/USD",
		{Base: "ETH", Quote: "USDT"}: "ETH/USDT",
		{Base: "DOGE", Quote: "EUR"}: "XDG/EUR",
	} {
		if got := p.Symbol(in); got != want {
			t.Errorf("Symbol(%s) = %s, want %s", in.Name(), got, want)
		}
	}
	srv := replaytest.Start(t, kraken.Name, pairs, replaytest.Clock(base, 1e-9))
	_, body := replaytest.Get(t, srv.URL, "/0/public/AssetPairs")
	for _, want := range []string{`"XXBTZUSD":{"altname":"XBTUSD","wsname":"XBT/USD"`, `"base":"XXBT"`, `"quote":"ZUSD"`, `"ETHUSDT":{"altname":"ETHUSDT","wsname":"ETH/USDT"`, `"base":"XETH","aclass_quote":"currency","quote":"USDT"`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("AssetPairs lacks %s: %s", want, body)
		}
	}
	_, body = replaytest.Get(t, srv.URL, "/0/public/Assets")
	for _, want := range []string{`"XXBT":{"aclass":"currency","altname":"XBT"`, `"ZUSD":{"aclass":"currency","altname":"USD"`, `"USDT":`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("Assets lacks %s: %s", want, body)
		}
	}
}

func TestOHLCIsAscendingWithLastRowInProgress(t *testing.T) {
	srv := replaytest.Start(t, kraken.Name, pairs, replaytest.Clock(base, 1e-9))
	for _, name := range []string{"XXBTZUSD", "XBTUSD", "XBT/USD", "BTC/USD"} {
		rows, last, errs := getOHLC(t, srv.URL, "/0/public/OHLC?pair="+strings.ReplaceAll(name, "/", "%2F")+"&interval=5")
		if len(errs) != 0 || len(rows) != 720 {
			t.Fatalf("pair %s: %d rows, errors %v", name, len(rows), errs)
		}
		now := base.Truncate(5 * time.Minute).Unix()
		if got := int64(rows[719][0].(float64)); got != now {
			t.Fatalf("last row opens %d, want the in-progress %d", got, now)
		}
		if last != now-300 {
			t.Fatalf("last = %d, want newest committed %d", last, now-300)
		}
		for i := 1; i < len(rows); i++ {
			if rows[i][0].(float64)-rows[i-1][0].(float64) != 300 {
				t.Fatalf("rows %d,%d not consecutive", i-1, i)
			}
		}
	}
}

func TestOHLCSinceIsExclusiveAndPagesJoin(t *testing.T) {
	srv := replaytest.Start(t, kraken.Name, pairs, replaytest.Clock(base, 1e-9))
	since := base.Add(-5 * time.Hour).Truncate(time.Minute).Unix()
	rows, _, _ := getOHLC(t, srv.URL, fmt.Sprintf("/0/public/OHLC?pair=XBTUSD&interval=1&since=%d", since))
	if got := int64(rows[0][0].(float64)); got != since+60 {
		t.Fatalf("first row %d, want the one after since %d", got, since+60)
	}
	// ccxt-style paging: since = wanted start - one interval.
	next := int64(rows[99][0].(float64))
	rows2, _, _ := getOHLC(t, srv.URL, fmt.Sprintf("/0/public/OHLC?pair=XBTUSD&interval=1&since=%d", next))
	if got := int64(rows2[0][0].(float64)); got != next+60 {
		t.Fatalf("second page starts %d, want %d", got, next+60)
	}
	// The row in progress is always there, even for a since in the future.
	rows4, _, _ := getOHLC(t, srv.URL, fmt.Sprintf("/0/public/OHLC?pair=XBTUSD&interval=1&since=%d", base.Unix()+3600))
	if len(rows4) != 1 || int64(rows4[0][0].(float64)) != base.Truncate(time.Minute).Unix() {
		t.Fatalf("since in the future: %v, want just the row in progress", rows4)
	}
	rows5, _, errs := getOHLC(t, srv.URL, "/0/public/OHLC?pair=XBTUSD&interval=1&since=9223372036854775807")
	if len(errs) != 0 || len(rows5) != 1 {
		t.Fatalf("since at the int64 limit: %d rows, %v", len(rows5), errs)
	}
	// Kraken keeps 720 candles: an old since still gives the newest 720.
	rows3, _, _ := getOHLC(t, srv.URL, "/0/public/OHLC?pair=XBTUSD&interval=1&since=1000")
	if len(rows3) != 720 {
		t.Fatalf("old since: %d rows, want 720", len(rows3))
	}
}

func TestErrorsAreKrakenErrorArrays(t *testing.T) {
	srv := replaytest.Start(t, kraken.Name, pairs, replaytest.Clock(base, 1e-9))
	cases := []struct{ name, path, want string }{
		{"unknown pair", "/0/public/OHLC?pair=FOOBAR&interval=1", "EQuery:Unknown asset pair"},
		{"bad interval", "/0/public/OHLC?pair=XBTUSD&interval=2", "EGeneral:Invalid arguments"},
		{"interval not a number", "/0/public/OHLC?pair=XBTUSD&interval=x", "EGeneral:Invalid arguments"},
		{"bad since", "/0/public/OHLC?pair=XBTUSD&since=yesterday", "EGeneral:Invalid arguments"},
		{"missing pair", "/0/public/OHLC?interval=1", "EGeneral:Invalid arguments:pair"},
		{"unknown asset pair in AssetPairs", "/0/public/AssetPairs?pair=NOPE", "EQuery:Unknown asset pair"},
		{"unknown asset", "/0/public/Assets?asset=NOPE", "EQuery:Unknown asset"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, body := replaytest.Get(t, srv.URL, c.path)
			var r ohlcResp
			json.Unmarshal(body, &r)
			if st != 200 || len(r.Error) != 1 || r.Error[0] != c.want {
				t.Fatalf("%d %s, want error %s", st, body, c.want)
			}
		})
	}
	st, body := replaytest.Get(t, srv.URL, "/0/public/Nothing")
	if st != 404 || !strings.Contains(string(body), "EGeneral:Unknown method") {
		t.Fatalf("unknown method: %d %s", st, body)
	}
}

func TestPayloadsMatchDocumentedShapes(t *testing.T) {
	srv := replaytest.Start(t, kraken.Name, []cc.Pair{{Base: "BTC", Quote: "USD", Price: 50000}}, replaytest.Clock(base, 1e-9))
	replaytest.ShapesMatch(t, srv.URL, replaytest.KeysInOrder, map[string]string{
		"ohlc.json":       "/0/public/OHLC?pair=XXBTZUSD&interval=1",
		"assetpairs.json": "/0/public/AssetPairs",
		"time.json":       "/0/public/Time",
	})
}

func TestDecodeCandlesMatchesMarket(t *testing.T) {
	srv := replaytest.Start(t, kraken.Name, pairs, replaytest.Clock(base, 1e-9))
	p := &kraken.Plugin{}
	start := base.Add(-3 * time.Hour).Truncate(time.Hour)
	req, err := p.CandlesRequest(plugins.Query{Symbol: "XBT/USD", Interval: cc.Interval15m, Start: start.UnixMilli()})
	if err != nil {
		t.Fatal(err)
	}
	_, body := replaytest.Get(t, srv.URL, req.URL.String())
	set, err := p.DecodeCandles(req, body)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := srv.Env.Market.Candles(t.Context(), "XBT/USD", cc.Interval15m, start.UnixMilli(), base.UnixMilli()+1, base.UnixMilli())
	if set.Symbol != "XBT/USD" || len(set.Candles) != len(want) || len(want) != 15 {
		t.Fatalf("decoded %s %d candles, market has %d", set.Symbol, len(set.Candles), len(want))
	}
	for i, c := range set.Candles {
		w := want[i]
		if c.OpenTime != w.OpenTime || c.Close.Cmp(w.Close) != 0 || c.High.Cmp(w.High) != 0 || c.Volume.Cmp(w.Volume) != 0 || c.Trades != w.Trades {
			t.Fatalf("candle %d: %+v, want %+v", i, c, w)
		}
		if c.Closed != (i < len(set.Candles)-1) {
			t.Fatalf("candle %d closed=%v", i, c.Closed)
		}
	}
	if _, err := p.DecodeCandles(httptest.NewRequest("GET", "/0/public/Time", nil), []byte(`{}`)); err != plugins.ErrNotCandles {
		t.Fatalf("Time decoded as candles: %v", err)
	}
}

func read(t *testing.T, c interface {
	ReadMessage() (int, []byte, error)
}) (map[string]any, []byte) {
	t.Helper()
	for {
		_, b, err := c.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		if m["channel"] == "heartbeat" {
			continue
		}
		return m, b
	}
}

func TestWSv2SubscribeSnapshotUpdatesAndPing(t *testing.T) {
	b := time.Date(2024, 3, 1, 12, 4, 10, 0, time.UTC)
	srv := replaytest.Start(t, kraken.Name, pairs, replaytest.Clock(b, 60))
	c := replaytest.Dial(t, srv.URL+"/v2")
	if m, raw := read(t, c); m["channel"] != "status" {
		t.Fatalf("first message %s, want status", raw)
	}
	c.WriteJSON(map[string]any{"method": "ping", "req_id": 7})
	if m, raw := read(t, c); m["method"] != "pong" || m["req_id"] != 7.0 {
		t.Fatalf("ping answer %s", raw)
	} else if in, err := time.Parse(time.RFC3339Nano, m["time_in"].(string)); err != nil || in.Before(b) || in.After(b.Add(time.Hour)) {
		// The server's (virtual) clock, not the host's.
		t.Fatalf("pong time_in %v (%v), want the server clock near %v", m["time_in"], err, b)
	}
	c.WriteJSON(map[string]any{"method": "subscribe", "params": map[string]any{"channel": "ohlc", "symbol": []string{"BTC/USD"}, "interval": 1}, "req_id": 1})
	m, raw := read(t, c)
	if err := replaytest.SameShape("ws_subscribe_ack.json", raw, replaytest.KeysInOrder); err != nil || m["success"] != true {
		t.Fatalf("ack %s: %v", raw, err)
	}
	m, raw = read(t, c)
	if m["type"] != "snapshot" || len(m["data"].([]any)) != 10 {
		t.Fatalf("want a 10-candle snapshot, got %s", raw)
	}
	p := &kraken.Plugin{}
	begins := map[string]bool{}
	var lastBegin string
	for len(begins) < 2 {
		m, raw = read(t, c)
		if err := replaytest.SameShape("ws_ohlc.json", raw, replaytest.KeysInOrder); err != nil {
			t.Fatal(err)
		}
		d := m["data"].([]any)[0].(map[string]any)
		lastBegin = d["interval_begin"].(string)
		begins[lastBegin] = true
		ups, err := p.DecodeFrame("/v2", raw)
		if err != nil || ups[0].Symbol != "XBT/USD" || ups[0].Interval != cc.Interval1m {
			t.Fatalf("DecodeFrame: %v %+v", err, ups)
		}
	}
	if lastBegin != "2024-03-01T12:05:00.000000000Z" {
		t.Fatalf("rolled over to %s", lastBegin)
	}
}

func TestWSv2HeartbeatChannel(t *testing.T) {
	srv := replaytest.Start(t, kraken.Name, pairs, nil)
	c := replaytest.Dial(t, srv.URL+"/v2")
	read(t, c) // status
	c.WriteJSON(map[string]any{"method": "subscribe", "params": map[string]any{"channel": "heartbeat"}, "req_id": 3})
	if m, raw := read(t, c); m["success"] != true || m["req_id"] != 3.0 {
		t.Fatalf("heartbeat ack: %s", raw)
	}
	for i := 0; i < 2; i++ {
		_, b, err := c.ReadMessage()
		if err != nil || string(b) != `{"channel":"heartbeat"}` {
			t.Fatalf("heartbeat %d: %s %v", i, b, err)
		}
	}
}

func TestWSv2Errors(t *testing.T) {
	srv := replaytest.Start(t, kraken.Name, pairs, nil)
	c := replaytest.Dial(t, srv.URL+"/v2")
	read(t, c) // status
	cases := []struct {
		msg  any
		want string
	}{
		{map[string]any{"method": "subscribe", "params": map[string]any{"channel": "ohlc", "symbol": []string{"FOO/BAR"}, "interval": 1}, "req_id": 2}, "Currency pair not supported FOO/BAR"},
		{map[string]any{"method": "subscribe", "params": map[string]any{"channel": "ohlc", "symbol": []string{"BTC/USD"}, "interval": 2}, "req_id": 3}, "Subscription ohlc interval not supported"},
		{map[string]any{"method": "subscribe", "params": map[string]any{"channel": "ohlc", "symbol": []string{"BTC/USD"}}, "req_id": 4}, "Subscription ohlc requires interval"},
		{map[string]any{"method": "frobnicate", "req_id": 5}, "Method not found"},
	}
	for _, cs := range cases {
		c.WriteJSON(cs.msg)
		m, raw := read(t, c)
		if m["success"] != false || m["error"] != cs.want {
			t.Fatalf("got %s, want error %q", raw, cs.want)
		}
	}
}

func TestRateLimitAnswersWithKrakenError(t *testing.T) {
	srv := replaytest.StartWith(t, replay.Options{Exchange: kraken.Name, Pairs: pairs, Clock: replaytest.Clock(base, 1e-9)})
	st, b := replaytest.Exhaust(t, 15, replaytest.Req("GET", srv.URL+"/0/public/Time", ""), func(st int, b []byte) bool {
		return st == 200 && !strings.Contains(string(b), "Too many")
	})
	if st != 429 || string(b) != `{"error":["EGeneral:Too many requests"]}` {
		t.Fatalf("16th call: %d %s", st, b)
	}
}

func BenchmarkOHLC720(b *testing.B) {
	replaytest.BenchCandles(b, kraken.Name, cc.Pair{Base: "BTC", Quote: "USD", Price: 50000}, cc.Interval1m, kraken.MaxRows)
}

func TestMetadataShapesMatchDocumentation(t *testing.T) {
	srv := replaytest.Start(t, kraken.Name, pairs, replaytest.Clock(base, 1e-9))
	replaytest.ShapesMatch(t, srv.URL, replaytest.KeysAnyOrder, map[string]string{
		"ticker.json": "/0/public/Ticker?pair=XBTUSD",
		"assets.json": "/0/public/Assets?asset=XBT",
	})
	// Public endpoints take a form body as well as a query.
	st, body := replaytest.Do(t, "POST", srv.URL+"/0/public/OHLC?pair=XBTUSD&interval=60")
	if st != 200 || !strings.Contains(string(body), `"XXBTZUSD":[[`) {
		t.Fatalf("POST OHLC: %d %.200s", st, body)
	}
}

func TestWSv2Unsubscribe(t *testing.T) {
	srv := replaytest.Start(t, kraken.Name, pairs, replaytest.Clock(base, 60))
	c := replaytest.Dial(t, srv.URL+"/v2")
	read(t, c) // status
	msg := map[string]any{"method": "subscribe", "params": map[string]any{"channel": "ohlc", "symbol": []string{"BTC/USD"}, "interval": 5}, "req_id": 9}
	c.WriteJSON(msg)
	if m, raw := read(t, c); m["success"] != true {
		t.Fatalf("subscribe: %s", raw)
	}
	c.WriteJSON(msg)
	for {
		m, raw := read(t, c)
		if m["method"] == "subscribe" {
			if m["success"] != false || m["error"] != "Already subscribed" {
				t.Fatalf("second subscribe: %s", raw)
			}
			break
		}
	}
	msg["method"] = "unsubscribe"
	c.WriteJSON(msg)
	for {
		m, raw := read(t, c)
		if m["method"] == "unsubscribe" {
			if m["success"] != true {
				t.Fatalf("unsubscribe: %s", raw)
			}
			break
		}
	}
	c.WriteJSON(msg)
	for {
		m, raw := read(t, c)
		if m["channel"] == "ohlc" {
			continue // queued before the unsubscribe
		}
		if m["success"] != false || m["error"] != "Subscription Not Found" {
			t.Fatalf("second unsubscribe: %s", raw)
		}
		return
	}
}

func TestFifteenDayCandlesFoldDailyOnes(t *testing.T) {
	srv := replaytest.Start(t, kraken.Name, pairs, replaytest.Clock(base, 1e-9))
	const span = 15 * 86400
	since := base.Unix() - 5*span
	rows, last, errs := getOHLC(t, srv.URL, fmt.Sprintf("/0/public/OHLC?pair=XBTUSD&interval=21600&since=%d", since))
	if len(errs) != 0 || len(rows) < 5 {
		t.Fatalf("%d rows, %v", len(rows), errs)
	}
	cur := base.Unix() - base.Unix()%span
	if int64(rows[len(rows)-1][0].(float64)) != cur || last != cur-span {
		t.Fatalf("last row %v, last %d; want the 15-day bucket %d in progress", rows[len(rows)-1][0], last, cur)
	}
	for _, row := range rows {
		open := int64(row[0].(float64))
		if open%span != 0 {
			t.Fatalf("row opens at %d, not on a 15-day boundary", open)
		}
		days, _ := srv.Env.Market.Candles(t.Context(), "XBT/USD", cc.Interval1d, open*1000, (open+span)*1000, base.UnixMilli())
		agg := cc.Aggregate(days)
		if row[1] != agg.Open.String() || row[4] != agg.Close.String() || row[6] != agg.Volume.Fixed(8) {
			t.Fatalf("row %v, daily aggregate open %s close %s volume %s", row, agg.Open, agg.Close, agg.Volume.Fixed(8))
		}
	}
	// Nothing before Kraken opened.
	rows, _, _ = getOHLC(t, srv.URL, "/0/public/OHLC?pair=XBTUSD&interval=21600")
	if first := int64(rows[0][0].(float64)) * 1000; first < kraken.Launch || first-kraken.Launch >= 15*86400000 {
		t.Fatalf("first 15-day row at %d, want the one after launch %d", first, kraken.Launch)
	}
}

func TestWSFifteenDayStream(t *testing.T) {
	srv := replaytest.Start(t, kraken.Name, pairs, replaytest.Clock(base, 60))
	c := replaytest.Dial(t, srv.URL+"/v2")
	read(t, c)
	c.WriteJSON(map[string]any{"method": "subscribe", "params": map[string]any{"channel": "ohlc", "symbol": []string{"BTC/USD"}, "interval": 21600}, "req_id": 1})
	if m, raw := read(t, c); m["success"] != true {
		t.Fatalf("subscribe: %s", raw)
	}
	for _, want := range []string{"snapshot", "update"} {
		m, raw := read(t, c)
		d := m["data"].([]any)
		last := d[len(d)-1].(map[string]any)
		begin, _ := time.Parse(time.RFC3339Nano, last["interval_begin"].(string))
		if m["type"] != want || last["interval"] != 21600.0 || begin.Unix()%(15*86400) != 0 || begin.After(base) {
			t.Fatalf("want %s of the 15-day candle in progress, got %s", want, raw)
		}
		if _, err := (&kraken.Plugin{}).DecodeFrame("/v2", raw); err != plugins.ErrNotCandles {
			t.Fatalf("15-day frame decoded for the index: %v", err)
		}
	}
}

func TestWSv1AtTheRoot(t *testing.T) {
	b := time.Date(2024, 3, 1, 12, 4, 10, 0, time.UTC)
	srv := replaytest.Start(t, kraken.Name, pairs, replaytest.Clock(b, 60))
	c := replaytest.Dial(t, srv.URL+"/")
	var m map[string]any
	if err := c.ReadJSON(&m); err != nil || m["event"] != "systemStatus" || m["status"] != "online" {
		t.Fatalf("first message %v %v", m, err)
	}
	c.WriteJSON(map[string]any{"event": "ping", "reqid": 5})
	if c.ReadJSON(&m); m["event"] != "pong" || m["reqid"] != 5.0 {
		t.Fatalf("pong: %v", m)
	}
	c.WriteJSON(map[string]any{"event": "subscribe", "pair": []string{"XBT/FOO"}, "subscription": map[string]any{"name": "ohlc"}})
	if c.ReadJSON(&m); m["status"] != "error" || m["errorMessage"] != "Currency pair not supported" {
		t.Fatalf("bad pair: %v", m)
	}
	c.WriteJSON(map[string]any{"event": "subscribe", "pair": []string{"XBT/USD"}, "subscription": map[string]any{"name": "ohlc", "interval": 1}, "reqid": 42})
	_, raw, _ := c.ReadMessage()
	if err := replaytest.SameShape("ws1_subscribed.json", raw, replaytest.KeysInOrder); err != nil {
		t.Fatal(err)
	}
	p := &kraken.Plugin{}
	var opens []int64
	for len(opens) == 0 || opens[len(opens)-1] == opens[0] {
		_, raw, err := c.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if string(raw) == `{"event":"heartbeat"}` {
			continue
		}
		if err := replaytest.SameShape("ws1_ohlc.json", raw, replaytest.KeysInOrder); err != nil {
			t.Fatal(err)
		}
		ups, err := p.DecodeFrame("/", raw)
		if err != nil || ups[0].Symbol != "XBT/USD" || ups[0].Interval != cc.Interval1m {
			t.Fatalf("DecodeFrame: %v %+v", err, ups)
		}
		u := ups[0]
		want, _ := srv.Env.Market.Candles(t.Context(), "XBT/USD", cc.Interval1m, u.Candle.OpenTime, u.Candle.OpenTime+60000, u.EventTime)
		if len(want) != 1 || u.Candle.Open.Cmp(want[0].Open) != 0 || u.Candle.Volume.Cmp(want[0].Volume) != 0 {
			t.Fatalf("pushed %+v, market %+v", u.Candle, want)
		}
		opens = append(opens, u.Candle.OpenTime)
	}
	if opens[0] != b.Truncate(time.Minute).UnixMilli() || opens[len(opens)-1] != opens[0]+60000 {
		t.Fatalf("candles %v", opens)
	}
}
