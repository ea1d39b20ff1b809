package okx_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/okx"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// objPush is a push of objects.
type objPush struct {
	Event string `json:"event"`
	Code  string `json:"code"`
	Arg   struct {
		Channel string `json:"channel"`
		InstID  string `json:"instId"`
	} `json:"arg"`
	Data []strMap `json:"data"`
}

// strMap is an object of strings, numbers (seqId) kept as their text.
type strMap map[string]string

func (m *strMap) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*m = strMap{}
	for k, v := range raw {
		var s string
		if json.Unmarshal(v, &s) != nil {
			s = string(v)
		}
		(*m)[k] = s
	}
	return nil
}

func plain(ms []strMap) []map[string]string {
	out := make([]map[string]string, len(ms))
	for i, m := range ms {
		out[i] = m
	}
	return out
}

// subscribeObj subscribes arg and returns the first push after the ack.
func subscribeObj(t *testing.T, c *websocket.Conn, channel, inst string) objPush {
	t.Helper()
	replaytest.Send(t, c, `{"op":"subscribe","args":[{"channel":"`+channel+`","instId":"`+inst+`"}]}`)
	for {
		var p objPush
		body := replaytest.ReadFrame(t, c, &p)
		switch {
		case p.Event == "error":
			t.Fatalf("%s %s: %s", channel, inst, body)
		case p.Event == "subscribe":
			if p.Arg.Channel != channel || p.Arg.InstID != inst {
				t.Fatalf("ack %s", body)
			}
		case p.Event == "" && p.Arg.Channel == channel && p.Arg.InstID == inst:
			return p
		}
	}
}

func TestTradesChannelPushesEachTakerOrderOnce(t *testing.T) {
	f := newFixture(t, okx.Spot, replaytest.Clock(t0, 30))
	c := f.Conn(t, "/ws/v5/public")
	p := subscribeObj(t, c, "trades", "BTC-USDT")
	var pushes []map[string]string
	for len(pushes) < 30 {
		wantKeys(t, "trades push", plain(p.Data), "instId", "side", "sz", "px", "source", "tradeId", "ts", "count", "seqId")
		pushes = append(pushes, plain(p.Data)...)
		var next objPush
		replaytest.ReadFrame(t, c, &next)
		p = next
	}
	ctx := context.Background()
	for i, tr := range pushes {
		last, n := atoi(t, tr["tradeId"]), atoi(t, tr["count"])
		if i > 0 && last-n != atoi(t, pushes[i-1]["tradeId"]) {
			t.Fatalf("push %v after %v: a gap or an overlap", tr, pushes[i-1])
		}
		// The push is the tape's aggregate: its prints, summed.
		ts, err := f.Env.Tape.Trades(ctx, cc.TradeQuery{Symbol: "BTC-USDT", FromID: last - n + 1, ToID: last + 1, Now: t0.Add(24*time.Hour).UnixMilli() * 1000})
		if err != nil || int64(len(ts)) != n {
			t.Fatalf("tape %d prints for %v (%v)", len(ts), tr, err)
		}
		sum := cc.Decimal{}
		for _, x := range ts {
			sum = sum.Add(x.Size)
			if x.AggID != ts[0].AggID || x.Price.Cmp(cc.MustDecimal(tr["px"])) != 0 {
				t.Fatalf("push %v is not one aggregate: %+v", tr, ts)
			}
		}
		side := map[bool]string{true: "sell", false: "buy"}[ts[0].BuyerMaker]
		if sum.Cmp(cc.MustDecimal(tr["sz"])) != 0 || tr["side"] != side || atoi(t, tr["ts"]) != ts[n-1].Millis() {
			t.Fatalf("push %v, prints %+v", tr, ts)
		}
	}
	// Unsubscribe is acknowledged with the arg.
	replaytest.Send(t, c, `{"op":"unsubscribe","args":[{"channel":"trades","instId":"BTC-USDT"}]}`)
	for {
		var e objPush
		body := replaytest.ReadFrame(t, c, &e)
		if e.Event != "" {
			if e.Event != "unsubscribe" || e.Arg.Channel != "trades" {
				t.Fatalf("unsubscribe: %s", body)
			}
			break
		}
	}
}

func TestTickersAndPerpetualChannels(t *testing.T) {
	f := newFixture(t, okx.Perpetual, replaytest.Clock(t0, 0))
	c := f.Conn(t, "/ws/v5/public")
	ctx := context.Background()
	const inst = "BTC-USDT-SWAP"

	tk := subscribeObj(t, c, "tickers", inst)
	ts := atoi(t, tk.Data[0]["ts"])
	var rest objResp
	f.GetJSON(t, "/api/v5/market/ticker?instId="+inst, &rest)
	if tk.Data[0]["last"] != rest.Data[0]["last"] || tk.Data[0]["vol24h"] != rest.Data[0]["vol24h"] || ts != t0.UnixMilli() {
		t.Errorf("tickers push %v, REST %v", tk.Data[0], rest.Data[0])
	}

	mp := subscribeObj(t, c, "mark-price", inst)
	wantKeys(t, "mark-price push", plain(mp.Data), "instType", "instId", "markPx", "ts")
	st, err := f.Env.Derivs.Perp(ctx, inst, atoi(t, mp.Data[0]["ts"]))
	if err != nil || cc.MustDecimal(mp.Data[0]["markPx"]).Cmp(st.Mark) != 0 {
		t.Errorf("mark push %v, state %+v (%v)", mp.Data, st, err)
	}
	fr := subscribeObj(t, c, "funding-rate", inst)
	if atoi(t, fr.Data[0]["fundingTime"])%(8*3_600_000) != 0 || cc.MustDecimal(fr.Data[0]["fundingRate"]).Cmp(st.FundingRate) != 0 {
		t.Errorf("funding push %v", fr.Data)
	}
	oi := subscribeObj(t, c, "open-interest", inst)
	if cc.MustDecimal(oi.Data[0]["oiCcy"]).Cmp(st.OpenInterest) != 0 {
		t.Errorf("open interest push %v", oi.Data)
	}
	it := subscribeObj(t, c, "index-tickers", "BTC-USDT")
	if cc.MustDecimal(it.Data[0]["idxPx"]).Cmp(st.Index) != 0 {
		t.Errorf("index push %v, index %v", it.Data, st.Index)
	}
	// Unknown instruments and candles on the public socket are 60018.
	for _, a := range []string{`{"channel":"trades","instId":"NOPE-USDT"}`, `{"channel":"mark-price-candle1m","instId":"BTC-USDT-SWAP"}`, `{"channel":"funding-rate","instId":"NOPE-USDT-SWAP"}`} {
		replaytest.Send(t, c, `{"op":"subscribe","args":[`+a+`]}`)
		for {
			var e objPush
			body := replaytest.ReadFrame(t, c, &e)
			if e.Event != "" {
				if e.Event != "error" || e.Code != "60018" {
					t.Errorf("%s: %s", a, body)
				}
				break
			}
		}
	}
}

func TestMarkAndIndexCandleChannels(t *testing.T) {
	f := newFixture(t, okx.Perpetual, replaytest.Clock(t0, 0))
	c := f.Conn(t, "/ws/v5/business")
	now := t0.UnixMilli()
	for _, tc := range []struct {
		channel, inst string
		kind          cc.PriceKind
	}{{"mark-price-candle1m", "BTC-USDT-SWAP", cc.MarkPrice}, {"index-candle15m", "BTC-USDT", cc.IndexPrice}} {
		replaytest.Send(t, c, `{"op":"subscribe","args":[{"channel":"`+tc.channel+`","instId":"`+tc.inst+`"}]}`)
		var push event
		for {
			var raw json.RawMessage
			replaytest.ReadFrame(t, c, &raw)
			var e event
			if json.Unmarshal(raw, &e) == nil && e.Event == "" && e.Arg != nil && e.Arg.Channel == tc.channel {
				push = e
				break
			}
			if e.Event == "error" {
				t.Fatalf("%s: %s", tc.channel, raw)
			}
		}
		iv := cc.Interval1m
		if tc.kind == cc.IndexPrice {
			iv = cc.Interval15m
		}
		want, err := f.Env.Derivs.Prices(tc.kind).Candles(context.Background(), "BTC-USDT-SWAP", iv, iv.Truncate(now), now+1, now)
		row := push.Data[0]
		if err != nil || len(row) != 6 || atoi(t, row[0]) != want[0].OpenTime || cc.MustDecimal(row[4]).Cmp(want[0].Close) != 0 || row[5] != "0" {
			t.Errorf("%s: %v, series %+v (%v)", tc.channel, row, want, err)
		}
	}
}
