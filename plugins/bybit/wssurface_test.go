package bybit_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/bybit"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

type topicPush struct {
	Topic   string          `json:"topic"`
	Type    string          `json:"type"`
	Ts      int64           `json:"ts"`
	Data    json.RawMessage `json:"data"`
	Success *bool           `json:"success"`
	RetMsg  string          `json:"ret_msg"`
}

// subscribeTopic subscribes and returns the pushes read until n of topic
// have come.
func subscribeTopic(t *testing.T, c *websocket.Conn, topic string, n int) []topicPush {
	t.Helper()
	replaytest.Send(t, c, `{"op":"subscribe","req_id":"x","args":["`+topic+`"]}`)
	var out []topicPush
	for len(out) < n {
		var p topicPush
		body := replaytest.ReadFrame(t, c, &p)
		if p.Success != nil && !*p.Success {
			t.Fatalf("%s: %s", topic, body)
		}
		if p.Topic == topic {
			out = append(out, p)
		}
	}
	return out
}

type wsTrade struct {
	T  int64  `json:"T"`
	S  string `json:"s"`
	Sd string `json:"S"`
	V  string `json:"v"`
	P  string `json:"p"`
	L  string `json:"L"`
	I  string `json:"i"`
	BT *bool  `json:"BT"`
}

func TestPublicTradeTopic(t *testing.T) {
	for _, tc := range []struct {
		ex   *bybit.Exchange
		path string
	}{{bybit.Spot, "/v5/public/spot"}, {bybit.Perpetual, "/v5/public/linear"}} {
		t.Run(tc.ex.Name(), func(t *testing.T) {
			f := newFixture(t, tc.ex, replaytest.Clock(t0, 30))
			c := f.Conn(t, tc.path)
			var trades []wsTrade
			for _, p := range subscribeTopic(t, c, "publicTrade.BTCUSDT", 10) {
				var batch []wsTrade
				if err := json.Unmarshal(p.Data, &batch); err != nil || p.Type != "snapshot" || len(batch) == 0 {
					t.Fatalf("push %+v: %v", p, err)
				}
				trades = append(trades, batch...)
			}
			ids := make([]int64, len(trades))
			for i, tr := range trades {
				ids[i], _ = strconv.ParseInt(tr.I, 10, 64)
				if i > 0 && ids[i] != ids[i-1]+1 {
					t.Fatalf("trade %d after %d: a gap or a repeat", ids[i], ids[i-1])
				}
				if (tc.ex == bybit.Perpetual) != (tr.L != "") || tr.S != "BTCUSDT" || tr.BT == nil {
					t.Fatalf("trade %+v", tr)
				}
			}
			ts, err := f.Env.Tape.Trades(context.Background(), cc.TradeQuery{Symbol: "BTCUSDT", FromID: ids[0], ToID: ids[len(ids)-1] + 1, Now: t0.Add(24*time.Hour).UnixMilli() * 1000})
			if err != nil || len(ts) != len(trades) {
				t.Fatalf("tape %d, pushed %d (%v)", len(ts), len(trades), err)
			}
			for i, p := range ts {
				tr := trades[i]
				side := map[bool]string{true: "Sell", false: "Buy"}[p.BuyerMaker]
				if tr.T != p.Millis() || tr.Sd != side || cc.MustDecimal(tr.P).Cmp(p.Price) != 0 || cc.MustDecimal(tr.V).Cmp(p.Size) != 0 {
					t.Fatalf("pushed %+v, tape %+v", tr, p)
				}
				if i > 0 && tc.ex == bybit.Perpetual {
					d := p.Price.Cmp(ts[i-1].Price)
					if (d > 0 && tr.L != "PlusTick") || (d < 0 && tr.L != "MinusTick") || (d == 0 && tr.L != "ZeroPlusTick" && tr.L != "ZeroMinusTick") {
						t.Fatalf("tick direction %s from %v to %v", tr.L, ts[i-1].Price, p.Price)
					}
				}
			}
		})
	}
}

func TestTickersTopic(t *testing.T) {
	t.Run("spot snapshots", func(t *testing.T) {
		f := newFixture(t, bybit.Spot, replaytest.Clock(t0, 0))
		c := f.Conn(t, "/v5/public/spot")
		p := subscribeTopic(t, c, "tickers.ETHUSDT", 1)[0]
		var d map[string]string
		if err := json.Unmarshal(p.Data, &d); err != nil || p.Type != "snapshot" || len(d) != 9 {
			t.Fatalf("%+v %v", p, err)
		}
		r := getList(t, f, "/v5/market/tickers?category=spot&symbol=ETHUSDT")
		for k, v := range d {
			if s(r.Result.List[0], k) != v {
				t.Errorf("%s: push %s, REST %s", k, v, s(r.Result.List[0], k))
			}
		}
	})
	t.Run("linear snapshot then deltas", func(t *testing.T) {
		f := newFixture(t, bybit.Perpetual, replaytest.Clock(t0, 30))
		c := f.Conn(t, "/v5/public/linear")
		ps := subscribeTopic(t, c, "tickers.BTCUSDT", 4)
		var snap map[string]string
		if err := json.Unmarshal(ps[0].Data, &snap); err != nil || ps[0].Type != "snapshot" || snap["markPrice"] == "" || snap["fundingRate"] == "" || snap["bid1Price"] == "" {
			t.Fatalf("first push %+v", ps[0])
		}
		state := snap
		for _, p := range ps[1:] {
			var d map[string]string
			if err := json.Unmarshal(p.Data, &d); err != nil || p.Type != "delta" || d["symbol"] != "BTCUSDT" || len(d) < 2 {
				t.Fatalf("delta %+v", p)
			}
			for k, v := range d {
				state[k] = v
			}
		}
		// The snapshot with the deltas applied is the ticker at the last push.
		last := ps[len(ps)-1].Ts
		st, err := f.Env.Derivs.Perp(context.Background(), "BTCUSDT", last)
		if err != nil || cc.MustDecimal(state["markPrice"]).Cmp(st.Mark) != 0 || cc.MustDecimal(state["indexPrice"]).Cmp(st.Index) != 0 {
			t.Errorf("mark %s index %s, state at %d %+v (%v)", state["markPrice"], state["indexPrice"], last, st, err)
		}
	})
}
