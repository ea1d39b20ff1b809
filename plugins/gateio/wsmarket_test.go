package gateio_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

func TestWSTradesAndTickers(t *testing.T) {
	for _, tc := range []struct{ id, path, prefix string }{
		{"gate_io_spot", "/ws/v4/", "spot"},
		{"gate_io_perpetual", "/v4/ws/usdt", "futures"},
	} {
		t.Run(tc.id, func(t *testing.T) {
			s := replaytest.Start(t, tc.id, nil, replaytest.Clock(time.Now().Add(-time.Hour), 10))
			ws := s.Dial(t, tc.path)
			ws.Send(`{"id":7,"time":1,"channel":"` + tc.prefix + `.trades","event":"subscribe","payload":["BTC_USDT"]}`)
			ack := ws.ReadJSON(5*time.Second, func(m map[string]any) bool { return true })
			if res, _ := ack["result"].(map[string]any); ack["event"] != "subscribe" || res["status"] != "success" {
				t.Fatalf("ack %v", ack)
			}
			var ids []int64
			for len(ids) < 5 {
				m := ws.ReadJSON(10*time.Second, func(m map[string]any) bool { return m["channel"] == tc.prefix+".trades" })
				var rows []any
				if tc.prefix == "futures" {
					rows = m["result"].([]any)
				} else {
					rows = []any{m["result"]}
				}
				for _, r := range rows {
					row := r.(map[string]any)
					var id int64
					switch v := row["id"].(type) {
					case json.Number:
						id, _ = v.Int64()
					case string:
						id, _ = json.Number(v).Int64()
					}
					if len(ids) > 0 && id != ids[len(ids)-1]+1 {
						t.Fatalf("trade ids jump: %v then %d", ids, id)
					}
					ids = append(ids, id)
					if tc.prefix == "spot" && row["range"] == nil {
						t.Fatalf("spot trade without range: %v", row)
					}
				}
			}
			got, err := s.Env.Tape.Trades(context.Background(), cc.TradeQuery{Symbol: "BTC_USDT", FromID: ids[0], ToID: ids[0] + 1, Now: time.Now().Add(time.Hour).UnixMicro()})
			if err != nil || len(got) != 1 {
				t.Fatalf("tape trade %d: %v %v", ids[0], got, err)
			}
			ws.Send(`{"id":8,"time":1,"channel":"` + tc.prefix + `.trades","event":"unsubscribe","payload":["BTC_USDT"]}`)
			ws.Send(`{"id":9,"time":1,"channel":"` + tc.prefix + `.tickers","event":"subscribe","payload":["BTC_USDT"]}`)
			m := ws.ReadJSON(10*time.Second, func(m map[string]any) bool {
				return m["channel"] == tc.prefix+".tickers" && m["event"] == "update"
			})
			row, _ := m["result"].(map[string]any)
			if tc.prefix == "futures" {
				row = m["result"].([]any)[0].(map[string]any)
				if row["mark_price"] == nil || row["index_price"] == nil || row["funding_rate"] == nil {
					t.Errorf("futures ticker %v", row)
				}
			}
			at, _ := m["time_ms"].(json.Number).Int64()
			st, err := cc.RollingStats(context.Background(), s.Env.Market, s.Env.Tape, "BTC_USDT", 86_400_000, at)
			if err != nil {
				t.Fatal(err)
			}
			if row["last"] != trim(st.Last) || row["high_24h"] != trim(st.High) {
				t.Errorf("ticker at %d %v, stats %v %v", at, row, st.Last, st.High)
			}
			ws.Send(`{"id":10,"time":1,"channel":"` + tc.prefix + `.trades","event":"subscribe","payload":["NOPE_USDT"]}`)
			e := ws.ReadJSON(5*time.Second, func(m map[string]any) bool { return m["error"] != nil })
			if e["channel"] != tc.prefix+".trades" {
				t.Errorf("unknown pair: %v", e)
			}
		})
	}
}
