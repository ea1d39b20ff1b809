package bybit_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/bybit"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

type ack struct {
	Success bool    `json:"success"`
	RetMsg  string  `json:"ret_msg"`
	ConnID  string  `json:"conn_id"`
	ReqID   *string `json:"req_id"`
	Op      string  `json:"op"`
}

type push struct {
	Topic string `json:"topic"`
	Type  string `json:"type"`
	Ts    int64  `json:"ts"`
	Data  []struct {
		Start, End                               int64
		Interval                                 string
		Open, Close, High, Low, Volume, Turnover string
		Confirm                                  bool
		Timestamp                                int64
	} `json:"data"`
}

func TestSubscribeAckAndPongFollowEachCategory(t *testing.T) {
	tests := []struct {
		ex                 *bybit.Exchange
		path               string
		subGolden, pongGol string
		subMsg             string
	}{
		{bybit.Spot, "/v5/public/spot", "ws_subscribe_spot.json", "ws_pong_spot.json", "subscribe"},
		{bybit.Perpetual, "/v5/public/linear", "ws_subscribe_linear.json", "ws_pong_linear.json", ""},
	}
	for _, tt := range tests {
		t.Run(tt.ex.Name(), func(t *testing.T) {
			f := newFixture(t, tt.ex, replaytest.Clock(t0, 0))
			c := f.Conn(t, tt.path)
			// ccxt's exact first message, with its extra field.
			replaytest.Send(t, c, `{"op":"subscribe","req_id":1,"args":["kline.1.BTCUSDT"],"callerMethodName":"watchOHLCV"}`)
			var a ack
			body := replaytest.ReadFrame(t, c, &a)
			if !a.Success || a.Op != "subscribe" || a.RetMsg != tt.subMsg || a.ReqID == nil || *a.ReqID != "1" || a.ConnID == "" {
				t.Errorf("subscribe ack: %s", body)
			}
			replaytest.CheckShape(t, tt.subGolden, body, replaytest.KeysAnyOrder)
			// The first push (the candle in progress) comes at once.
			var p push
			replaytest.ReadFrame(t, c, &p)
			if p.Topic != "kline.1.BTCUSDT" || len(p.Data) != 1 {
				t.Fatalf("push: %+v", p)
			}
			if tt.ex == bybit.Spot {
				replaytest.Send(t, c, `{"op":"ping"}`)
			} else {
				replaytest.Send(t, c, `{"req_id":"","op":"ping"}`)
			}
			for {
				var m map[string]any
				body = replaytest.ReadFrame(t, c, &m)
				if m["op"] == "ping" {
					break
				}
			}
			replaytest.CheckShape(t, tt.pongGol, body, replaytest.KeysAnyOrder)
			var pong ack
			json.Unmarshal(body, &pong)
			if pong.RetMsg != "pong" || pong.ConnID != a.ConnID {
				t.Errorf("pong %s, conn_id of the ack %s", body, a.ConnID)
			}
		})
	}
}

// nextAck skips pushes until the next op reply.
func nextAck(t *testing.T, c *websocket.Conn) ack {
	t.Helper()
	for {
		var m map[string]json.RawMessage
		body := replaytest.ReadFrame(t, c, &m)
		if _, ok := m["op"]; ok {
			var a ack
			json.Unmarshal(body, &a)
			return a
		}
	}
}

func TestSubscribeErrors(t *testing.T) {
	f := newFixture(t, bybit.Spot, replaytest.Clock(t0, 0))
	c := f.Conn(t, "/v5/public/spot")
	tests := []struct {
		msg, retMsg string
		ok          bool
	}{
		{`{"op":"subscribe","req_id":"a","args":["kline.1.DOGEUSDT"]}`, "Invalid symbol :[kline.1.DOGEUSDT]", false},
		{`{"op":"subscribe","req_id":"b","args":["kline.1m.BTCUSDT"]}`, "Invalid symbol :[kline.1m.BTCUSDT]", false},
		{`{"op":"subscribe","req_id":"c","args":["tickers.NOPEUSDT"]}`, "Invalid symbol :[tickers.NOPEUSDT]", false},
		{`{"op":"subscribe","req_id":"d","args":["kline.5.ETHUSDT"]}`, "subscribe", true},
		{`{"op":"subscribe","req_id":"e","args":["kline.5.ETHUSDT"]}`, "error:already subscribed,topic:kline.5.ETHUSDT", false},
		{`{"op":"subscribe","req_id":"f","args":["kline.1.A","kline.1.B","kline.1.C","kline.1.D","kline.1.E","kline.1.F","kline.1.G","kline.1.H","kline.1.I","kline.1.J","kline.1.K"]}`, "args size >10", false},
		{`{"op":"unsubscribe","req_id":"g","args":["kline.1.BTCUSDT"]}`, "error:not subscribed,topic:kline.1.BTCUSDT", false},
		{`{"op":"auth","req_id":"h","args":[]}`, "error:request not supported", false},
		{`not json`, "error:request not supported", false},
	}
	for _, tt := range tests {
		replaytest.Send(t, c, tt.msg)
		a := nextAck(t, c)
		if a.Success != tt.ok || a.RetMsg != tt.retMsg {
			t.Errorf("%s: got success=%v %q, want %v %q", tt.msg, a.Success, a.RetMsg, tt.ok, tt.retMsg)
		}
	}
}

func TestUnsubscribeStopsPushes(t *testing.T) {
	f := newFixture(t, bybit.Perpetual, replaytest.Clock(t0, 20))
	c := f.Conn(t, "/v5/public/linear")
	replaytest.Send(t, c, `{"op":"subscribe","req_id":"1","args":["kline.1.BTCUSDT"]}`)
	nextAck(t, c)
	replaytest.Send(t, c, `{"op":"unsubscribe","req_id":"2","args":["kline.1.BTCUSDT"]}`)
	a := nextAck(t, c)
	if !a.Success || a.Op != "unsubscribe" {
		t.Fatalf("unsubscribe ack: %+v", a)
	}
	replaytest.ExpectSilence(t, c)
}

func TestPushesTheCandleInProgressThenTheClosedOne(t *testing.T) {
	// Virtual time runs 60× fast from 2s before a minute closes: a minute
	// takes a second. The candle followed is the first one seen in
	// progress, however long subscribing took.
	base := time.UnixMilli(cc.Interval1m.Truncate(t0.UnixMilli()) + 58_000)
	clock := replaytest.Clock(base, 60)
	f := newFixture(t, bybit.Spot, clock)
	c := f.Conn(t, "/v5/public/spot")
	replaytest.Send(t, c, `{"op":"subscribe","req_id":"1","args":["kline.1.BTCUSDT"],"callerMethodName":"watchOHLCV"}`)
	nextAck(t, c)
	var sawOpen, sawFinal, sawNext bool
	var final push
	open := int64(-1)
	deadline := time.Now().Add(10 * time.Second)
	for !(sawFinal && sawNext) && time.Now().Before(deadline) {
		var p push
		body := replaytest.ReadFrame(t, c, &p)
		replaytest.CheckShape(t, "ws_kline.json", body, replaytest.KeysAnyOrder)
		d := p.Data[0]
		if p.Type != "snapshot" || d.Interval != "1" || d.End != d.Start+59_999 {
			t.Fatalf("push: %s", body)
		}
		if open < 0 {
			if d.Confirm {
				continue // a close caught while subscribing
			}
			open = d.Start
		}
		switch {
		case d.Start == open && !d.Confirm:
			if sawFinal {
				t.Fatalf("in-progress push after the final one: %s", body)
			}
			sawOpen = true
		case d.Start == open && d.Confirm:
			if sawFinal {
				t.Fatalf("two final pushes: %s", body)
			}
			sawFinal, final = true, p
		case d.Start == open+60_000:
			if !sawFinal {
				t.Fatalf("next candle before the final one: %s", body)
			}
			sawNext = true
		}
	}
	if !sawOpen || !sawFinal || !sawNext {
		t.Fatalf("in progress %v, final %v, next %v", sawOpen, sawFinal, sawNext)
	}
	// The final push is the closed candle REST serves.
	want, err := f.Env.Market.Candles(context.Background(), "BTCUSDT", cc.Interval1m, open, open+60_000, open+120_000)
	if err != nil || len(want) != 1 {
		t.Fatal(err)
	}
	d := final.Data[0]
	if d.Close != kit.Trim(want[0].Close) || d.High != kit.Trim(want[0].High) || d.Volume != kit.Trim(want[0].Volume) || final.Ts != open+59_999 {
		t.Errorf("final push %+v, market candle %+v", d, want[0])
	}
}

func TestDecodeFrameReadsPushes(t *testing.T) {
	f := newFixture(t, bybit.Perpetual, replaytest.Clock(t0, 0))
	c := f.Conn(t, "/v5/public/linear")
	replaytest.Send(t, c, `{"op":"subscribe","req_id":"1","args":["kline.15.XRPUSDT"]}`)
	ackBody := replaytest.ReadFrame(t, c, nil)
	if _, err := bybit.Perpetual.DecodeFrame("/v5/public/linear", ackBody); err == nil {
		t.Errorf("an ack decoded as klines")
	}
	frame := replaytest.ReadFrame(t, c, nil)
	us, err := bybit.Perpetual.DecodeFrame("/v5/public/linear", frame)
	if err != nil || len(us) != 1 {
		t.Fatalf("decode %s: %v", frame, err)
	}
	u := us[0]
	now := t0.UnixMilli()
	want, _ := f.Env.Market.Candles(context.Background(), "XRPUSDT", cc.Interval15m, cc.Interval15m.Truncate(now), cc.Interval15m.Truncate(now)+900_000, now)
	if u.Symbol != "XRPUSDT" || u.Interval != cc.Interval15m || u.EventTime != now || u.Candle.Closed {
		t.Errorf("update %+v", u)
	}
	if u.Candle.Close.Cmp(want[0].Close) != 0 || u.Candle.OpenTime != want[0].OpenTime || u.Candle.QuoteVolume.Cmp(want[0].QuoteVolume) != 0 {
		t.Errorf("decoded %+v, market %+v", u.Candle, want[0])
	}
	var p plugins.Plugin = bybit.Perpetual
	if _, err := p.DecodeFrame("/v5/public/linear", []byte(`{"topic":"tickers.BTCUSDT","data":{}}`)); err == nil {
		t.Error("a ticker frame decoded as klines")
	}
	// The documented example decodes too.
	doc, _ := json.Marshal(replaytest.GoldenJSON(t, "ws_kline.json"))
	us, err = p.DecodeFrame("/v5/public/spot", doc)
	if err != nil || len(us) != 1 || us[0].Candle.Close.String() != "16677" || us[0].Interval != cc.Interval5m || us[0].EventTime != 1672324988882 {
		t.Errorf("doc example: %+v %v", us, err)
	}
}

func TestDecodeCandlesRoundTrip(t *testing.T) {
	for _, ex := range []*bybit.Exchange{bybit.Spot, bybit.Perpetual} {
		f := newFixture(t, ex, replaytest.Clock(t0, 0))
		now := t0.UnixMilli()
		start := cc.Interval5m.Truncate(now) - 20*300_000
		req, err := ex.CandlesRequest(plugins.Query{Symbol: "ETHUSDT", Interval: cc.Interval5m, Start: start, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(req.URL.RawQuery, "category="+ex.Category()) {
			t.Errorf("request %s lacks the category", req.URL)
		}
		_, body := f.GetJSON(t, req.URL.String(), nil)
		set, err := ex.DecodeCandles(req, body)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := f.Env.Market.Candles(context.Background(), "ETHUSDT", cc.Interval5m, start, cc.Interval5m.Truncate(now)+300_000, now)
		if set.Symbol != "ETHUSDT" || set.Interval != cc.Interval5m || len(set.Candles) != len(want) || len(want) != 21 {
			t.Fatalf("set %s %s %d candles, market %d", set.Symbol, set.Interval, len(set.Candles), len(want))
		}
		for i, c := range set.Candles {
			w := want[i]
			if c.OpenTime != w.OpenTime || c.CloseTime != w.CloseTime || c.Open.Cmp(w.Open) != 0 || c.Low.Cmp(w.Low) != 0 ||
				c.Volume.Cmp(w.Volume) != 0 || c.QuoteVolume.Cmp(w.QuoteVolume) != 0 || c.Closed != w.Closed {
				t.Errorf("%s candle %d: %+v, want %+v", ex.Name(), i, c, w)
			}
		}
	}
	// Errors and other endpoints are no candles.
	req, _ := bybit.Spot.CandlesRequest(plugins.Query{Symbol: "X", Interval: cc.Interval1m})
	if _, err := bybit.Spot.DecodeCandles(req, []byte(`{"retCode":10001,"retMsg":"Not supported symbols","result":{},"retExtInfo":{},"time":1}`)); err == nil {
		t.Error("an error body decoded as candles")
	}
	other, _ := bybit.Spot.CandlesRequest(plugins.Query{Symbol: "X", Interval: cc.Interval1m})
	other.URL.Path = "/v5/market/time"
	if _, err := bybit.Spot.DecodeCandles(other, []byte(`{}`)); err == nil {
		t.Error("a time body decoded as candles")
	}
	if _, err := bybit.Spot.CandlesRequest(plugins.Query{Symbol: "X", Interval: cc.Interval1s}); err == nil {
		t.Error("Bybit has no 1s klines")
	}
}
