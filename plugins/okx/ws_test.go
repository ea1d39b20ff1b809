package okx_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
	"github.com/candlecassette/candlecassette/plugins/okx"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

type event struct {
	ID     string `json:"id"`
	Event  string `json:"event"`
	Code   string `json:"code"`
	Msg    string `json:"msg"`
	ConnID string `json:"connId"`
	Arg    *struct {
		Channel string `json:"channel"`
		InstID  string `json:"instId"`
	} `json:"arg"`
	Data [][]string `json:"data"`
}

// nextEvent skips pushes and returns the next event message.
func nextEvent(t *testing.T, c *websocket.Conn) (event, []byte) {
	t.Helper()
	for {
		var e event
		body := replaytest.ReadFrame(t, c, &e)
		if e.Event != "" {
			return e, body
		}
	}
}

func TestSubscribeAckPushAndPingPong(t *testing.T) {
	f := newFixture(t, okx.Spot, replaytest.Clock(t0, 0))
	c := f.Conn(t, "/ws/v5/business")
	replaytest.Send(t, c, "ping")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, data, err := c.ReadMessage(); err != nil || string(data) != "pong" {
		t.Fatalf("ping: %q %v", data, err)
	}
	// ccxt's exact first message.
	replaytest.Send(t, c, `{"op":"subscribe","args":[{"channel":"candle1m","instId":"BTC-USDT"}]}`)
	var ack event
	body := replaytest.ReadFrame(t, c, &ack)
	if ack.Event != "subscribe" || ack.Arg == nil || ack.Arg.Channel != "candle1m" || ack.Arg.InstID != "BTC-USDT" || ack.ConnID == "" {
		t.Fatalf("ack: %s", body)
	}
	// The first push is the candle in progress now, as REST has it.
	var first event
	body = replaytest.ReadFrame(t, c, &first)
	replaytest.CheckShape(t, "ws_candle.json", body, replaytest.KeysAnyOrder)
	now := t0.UnixMilli()
	want, _ := f.Env.Market.Candles(context.Background(), "BTC-USDT", cc.Interval1m, cc.Interval1m.Truncate(now), now+1, now)
	row := first.Data[0]
	if first.Arg.Channel != "candle1m" || row[0] != strconv.FormatInt(want[0].OpenTime, 10) || row[4] != kit.Trim(want[0].Close) || row[5] != kit.Trim(want[0].Volume) || row[8] != "0" {
		t.Errorf("push %v, market %+v", row, want[0])
	}
	// With an id, OKX echoes it: the documented shape.
	replaytest.Send(t, c, `{"id":"1512","op":"subscribe","args":[{"channel":"candle1D","instId":"BTC-USDT"}]}`)
	e, body := nextEvent(t, c)
	replaytest.CheckShape(t, "ws_subscribe.json", body, replaytest.KeysAnyOrder)
	if e.ID != "1512" || e.ConnID != ack.ConnID {
		t.Errorf("ack %s, first ack conn %s", body, ack.ConnID)
	}
	for {
		var p event
		body = replaytest.ReadFrame(t, c, &p)
		replaytest.CheckShape(t, "ws_candle.json", body, replaytest.KeysAnyOrder)
		if p.Arg.Channel == "candle1D" {
			break
		}
	}
}

func TestWSErrors(t *testing.T) {
	f := newFixture(t, okx.Perpetual, replaytest.Clock(t0, 0))
	c := f.Conn(t, "/ws/v5/business")
	tests := []struct {
		msg, code, text string
	}{
		{`{"id":"1512","op":"subscribe","argss":[{"channel":"candle1D","instId":"BTC-USDT-SWAP"}]}`, "60012", `Invalid request: {"id":"1512","op":"subscribe","argss":[{"channel":"candle1D","instId":"BTC-USDT-SWAP"}]}`},
		{`{"op":"login","args":[{}]}`, "60012", `Invalid request: {"op":"login","args":[{}]}`},
		{`{"op":"subscribe","args":[{"channel":"candle1m","instId":"BTC-USDT"}]}`, "60018", "Wrong URL or channel:candle1m,instId:BTC-USDT doesn't exist. Please use the correct URL, channel and parameters referring to API document."},
		{`{"op":"subscribe","args":[{"channel":"candle1h","instId":"BTC-USDT-SWAP"}]}`, "60018", "Wrong URL or channel:candle1h,instId:BTC-USDT-SWAP doesn't exist. Please use the correct URL, channel and parameters referring to API document."},
		{`{"op":"subscribe","args":[{"channel":"tickers","instId":"BTC-USDT-SWAP"}]}`, "60018", "Wrong URL or channel:tickers,instId:BTC-USDT-SWAP doesn't exist. Please use the correct URL, channel and parameters referring to API document."},
	}
	for _, tt := range tests {
		replaytest.Send(t, c, tt.msg)
		e, body := nextEvent(t, c)
		if e.Event != "error" || e.Code != tt.code || e.Msg != tt.text {
			t.Errorf("%s: got %s", tt.msg, body)
		}
		if tt.code == "60012" && e.ID != "" {
			replaytest.CheckShape(t, "ws_error.json", body, replaytest.KeysAnyOrder)
		}
	}
	// Candles are on the business socket only.
	pub := f.Conn(t, "/ws/v5/public")
	replaytest.Send(t, pub, `{"op":"subscribe","args":[{"channel":"candle1m","instId":"BTC-USDT-SWAP"}]}`)
	if e, body := nextEvent(t, pub); e.Event != "error" || e.Code != "60018" {
		t.Errorf("candles on the public socket: %s", body)
	}
}

func TestUnsubscribeStopsPushes(t *testing.T) {
	f := newFixture(t, okx.Spot, replaytest.Clock(t0, 20))
	c := f.Conn(t, "/ws/v5/business")
	replaytest.Send(t, c, `{"op":"subscribe","args":[{"channel":"candle1m","instId":"ETH-USDT"}]}`)
	nextEvent(t, c)
	replaytest.Send(t, c, `{"op":"unsubscribe","args":[{"channel":"candle1m","instId":"ETH-USDT"}]}`)
	if e, body := nextEvent(t, c); e.Event != "unsubscribe" || e.Arg == nil || e.Arg.InstID != "ETH-USDT" {
		t.Fatalf("unsubscribe ack: %s", body)
	}
	replaytest.ExpectSilence(t, c)
}

func TestPushesInProgressThenConfirmed(t *testing.T) {
	for _, tt := range []struct {
		channel string
		bar     int64 // bar length
	}{
		{"candle1m", minute},
		// Hong Kong hours: aggregated from the minute feed.
		{"candle6H", 6 * 3_600_000},
	} {
		t.Run(tt.channel, func(t *testing.T) {
			// 60× from 20s before the next 6H Hong Kong bar (04:00 UTC),
			// which is also a minute close: 1/3s of real time.
			start := time.Date(2026, 11, 25, 3, 59, 40, 0, time.UTC)
			f := newFixture(t, okx.Spot, replaytest.Clock(start, 60))
			c := f.Conn(t, "/ws/v5/business")
			replaytest.Send(t, c, `{"op":"subscribe","args":[{"channel":"`+tt.channel+`","instId":"BTC-USDT"}]}`)
			nextEvent(t, c)
			var sawOpen, sawFinal, sawNext bool
			// The bar followed is the first one seen in progress.
			open := int64(-1)
			deadline := time.Now().Add(10 * time.Second)
			for !(sawFinal && sawNext) && time.Now().Before(deadline) {
				var p event
				body := replaytest.ReadFrame(t, c, &p)
				row := p.Data[0]
				ts, _ := strconv.ParseInt(row[0], 10, 64)
				if open < 0 {
					if row[8] == "1" {
						continue // a close caught while subscribing
					}
					open = ts
					// 22:00 UTC is 06:00 in Hong Kong: its 6H bar closes at 04:00.
					if tt.bar != minute && open != time.Date(2026, 11, 24, 22, 0, 0, 0, time.UTC).UnixMilli() {
						t.Skipf("subscribing took more than 1/3s: the 6H bar in progress opens at %d, its close is 6 real minutes away", open)
					}
				}
				switch {
				case ts == open && row[8] == "0":
					if sawFinal {
						t.Fatalf("in progress after final: %s", body)
					}
					sawOpen = true
				case ts == open && row[8] == "1":
					if sawFinal {
						t.Fatalf("two finals: %s", body)
					}
					sawFinal = true
					// The confirmed bar is what REST serves.
					var r candlesResp
					f.GetJSON(t, "/api/v5/market/history-candles?instId=BTC-USDT&limit=1&bar="+tt.channel[len("candle"):]+"&after="+strconv.FormatInt(open+1, 10), &r)
					if len(r.Data) != 1 || r.Data[0][0] != row[0] || r.Data[0][2] != row[2] || r.Data[0][4] != row[4] || r.Data[0][5] != row[5] {
						t.Errorf("final push %v, REST %v", row, r.Data)
					}
				case ts == open+tt.bar:
					if !sawFinal {
						t.Fatalf("next bar before the final: %s", body)
					}
					sawNext = true
				default:
					t.Fatalf("unexpected bar: %s (open %d)", body, open)
				}
			}
			if !sawOpen || !sawFinal || !sawNext {
				t.Errorf("in progress %v, final %v, next %v", sawOpen, sawFinal, sawNext)
			}
		})
	}
}

func TestIdleConnectionsAreClosed(t *testing.T) {
	// Pushes come every 500ms: a subscribed connection stays open.
	defer okx.SetIdleTimeout(1500 * time.Millisecond)()
	f := newFixture(t, okx.Spot, replaytest.Clock(t0, 1))
	c := f.Conn(t, "/ws/v5/business")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err := c.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != 4004 {
		t.Errorf("idle connection: %v", err)
	}
	// A subscribed connection receives data and stays open.
	c2 := f.Conn(t, "/ws/v5/business")
	replaytest.Send(t, c2, `{"op":"subscribe","args":[{"channel":"candle1m","instId":"BTC-USDT"}]}`)
	nextEvent(t, c2)
	c2.SetReadDeadline(time.Now().Add(3 * time.Second))
	for {
		if _, _, err := c2.ReadMessage(); err != nil {
			if ne, ok := err.(interface{ Timeout() bool }); !ok || !ne.Timeout() {
				t.Errorf("subscribed connection: %v", err)
			}
			break
		}
	}
}

func TestDecodeRoundTrip(t *testing.T) {
	for _, ex := range []*okx.Exchange{okx.Spot, okx.Perpetual} {
		f := newFixture(t, ex, replaytest.Clock(t0, 0))
		inst := ex.Symbol(cc.Pair{Base: "XRP", Quote: "USDT"})
		now := t0.UnixMilli()
		start := cc.Interval15m.Truncate(now) - 30*900_000
		for _, q := range []plugins.Query{
			{Symbol: inst, Interval: cc.Interval15m, Start: start, Limit: 20},
			{Symbol: inst, Interval: cc.Interval15m, Start: start, End: start + 5*900_000},
			{Symbol: inst, Interval: cc.Interval15m, Limit: 31},
		} {
			req, err := ex.CandlesRequest(q)
			if err != nil {
				t.Fatal(err)
			}
			_, body := f.GetJSON(t, req.URL.String(), nil)
			set, err := ex.DecodeCandles(req, body)
			if err != nil {
				t.Fatal(err)
			}
			from, to := q.Start, q.Start+int64(q.Limit)*900_000
			if q.End != 0 {
				to = q.End + 1
			}
			if q.Start == 0 {
				to = cc.Interval15m.Truncate(now) + 900_000
				from = to - int64(q.Limit)*900_000
			}
			want, _ := f.Env.Market.Candles(context.Background(), inst, cc.Interval15m, from, to, now)
			if set.Symbol != inst || set.Interval != cc.Interval15m || len(set.Candles) != len(want) || len(want) == 0 {
				t.Fatalf("%s %+v: %s %s %d candles, market %d", ex.Name(), q, set.Symbol, set.Interval, len(set.Candles), len(want))
			}
			for i, c := range set.Candles {
				w := want[i]
				if c.OpenTime != w.OpenTime || c.CloseTime != w.CloseTime || c.High.Cmp(w.High) != 0 || c.Close.Cmp(w.Close) != 0 ||
					c.Volume.Cmp(w.Volume) != 0 || c.QuoteVolume.Cmp(w.QuoteVolume) != 0 || c.Closed != w.Closed {
					t.Errorf("%s candle %d: %+v, want %+v", ex.Name(), i, c, w)
				}
			}
		}
	}
	// Hong Kong bars have no canonical interval to index under.
	f := newFixture(t, okx.Spot, replaytest.Clock(t0, 0))
	path := "/api/v5/market/candles?instId=BTC-USDT&bar=1D"
	req, _ := okx.Spot.CandlesRequest(plugins.Query{Symbol: "BTC-USDT", Interval: cc.Interval1d})
	req.URL.RawQuery = "instId=BTC-USDT&bar=1D"
	_, body := f.GetJSON(t, path, nil)
	if _, err := okx.Spot.DecodeCandles(req, body); !errors.Is(err, plugins.ErrNotCandles) {
		t.Errorf("HK day bars: %v", err)
	}
	if _, err := okx.Spot.CandlesRequest(plugins.Query{Symbol: "BTC-USDT", Interval: cc.Interval8h}); err == nil {
		t.Error("OKX has no 8h bars")
	}
}

func TestDecodeFrame(t *testing.T) {
	doc, _ := json.Marshal(replaytest.GoldenJSON(t, "ws_candle.json"))
	// candle1D, the doc example's channel, is a Hong Kong bar: it has no
	// canonical interval to index under.
	if _, err := okx.Spot.DecodeFrame("/ws/v5/business", doc); !errors.Is(err, plugins.ErrNotCandles) {
		t.Errorf("HK day push: %v", err)
	}
	utc := []byte(`{"arg":{"channel":"candle1Dutc","instId":"BTC-USDT"},"data":[["1597017600000","8533.02","8553.74","8527.17","8548.26","45247","529.5858061","529.5858061","1"]]}`)
	us, err := okx.Spot.DecodeFrame("/ws/v5/business", utc)
	if err != nil || len(us) != 1 || us[0].Interval != cc.Interval1d || !us[0].Candle.Closed || us[0].Candle.Volume.String() != "45247" || us[0].EventTime != 1597017600000+86_399_999 {
		t.Errorf("utc day: %+v %v", us, err)
	}
	us, err = okx.Perpetual.DecodeFrame("/ws/v5/business", []byte(`{"arg":{"channel":"candle1m","instId":"BTC-USDT-SWAP"},"data":[["1597026360000","1","2","0.5","1.5","300","3","4.5","0"]]}`))
	if err != nil || us[0].Candle.Volume.String() != "3" || us[0].Candle.QuoteVolume.String() != "4.5" || us[0].Candle.Closed {
		t.Errorf("swap volumes: %+v %v", us, err)
	}
	for _, frame := range []string{"pong", `{"event":"subscribe","arg":{"channel":"candle1m","instId":"BTC-USDT"},"connId":"a"}`, `{"arg":{"channel":"tickers","instId":"BTC-USDT"},"data":[{}]}`} {
		if _, err := okx.Spot.DecodeFrame("/ws/v5/business", []byte(frame)); !errors.Is(err, plugins.ErrNotCandles) {
			t.Errorf("%s: %v", frame, err)
		}
	}
}
