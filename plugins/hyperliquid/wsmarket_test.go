package hyperliquid_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

func TestWSTradesBboCtxAndMids(t *testing.T) {
	s := replaytest.Start(t, "hyperliquid_perpetual", nil, replaytest.Clock(time.Now().Add(-time.Hour), 10))
	ws := s.Dial(t, "/ws")
	ws.Send(`{"method":"subscribe","subscription":{"type":"trades","coin":"BTC"}}`)
	ack := ws.ReadJSON(5*time.Second, func(m map[string]any) bool { return true })
	if ack["channel"] != "subscriptionResponse" {
		t.Fatalf("ack %v", ack)
	}
	var tids []int64
	for len(tids) < 5 {
		m := ws.ReadJSON(10*time.Second, func(m map[string]any) bool { return m["channel"] == "trades" })
		for _, r := range m["data"].([]any) {
			row := r.(map[string]any)
			tid, _ := row["tid"].(json.Number).Int64()
			if row["coin"] != "BTC" || (len(tids) > 0 && tid != tids[len(tids)-1]+1) {
				t.Fatalf("trade %v after %v", row, tids)
			}
			tids = append(tids, tid)
		}
	}
	ws.Send(`{"method":"unsubscribe","subscription":{"type":"trades","coin":"BTC"}}`)
	ws.Send(`{"method":"subscribe","subscription":{"type":"bbo","coin":"BTC"}}`)
	bbo := ws.ReadJSON(10*time.Second, func(m map[string]any) bool { return m["channel"] == "bbo" })
	lv := bbo["data"].(map[string]any)["bbo"].([]any)
	bid, _ := cc.ParseDecimal(lv[0].(map[string]any)["px"].(string))
	ask, _ := cc.ParseDecimal(lv[1].(map[string]any)["px"].(string))
	if bid.Cmp(ask) >= 0 {
		t.Errorf("bbo %v", bbo)
	}
	ws.Send(`{"method":"subscribe","subscription":{"type":"activeAssetCtx","coin":"BTC"}}`)
	ctx := ws.ReadJSON(10*time.Second, func(m map[string]any) bool { return m["channel"] == "activeAssetCtx" })
	c := ctx["data"].(map[string]any)["ctx"].(map[string]any)
	mark, _ := cc.ParseDecimal(c["markPx"].(string))
	oracle, _ := cc.ParseDecimal(c["oraclePx"].(string))
	if d := mark.Float64()/oracle.Float64() - 1; d > 0.01 || d < -0.01 || c["funding"] == nil {
		t.Errorf("ctx %v", c)
	}
	ws.Send(`{"method":"subscribe","subscription":{"type":"allMids"}}`)
	mids := ws.ReadJSON(10*time.Second, func(m map[string]any) bool { return m["channel"] == "allMids" })
	if mids["data"].(map[string]any)["mids"].(map[string]any)["BTC"] == nil {
		t.Errorf("allMids %v", mids)
	}
	ws.Send(`{"method":"subscribe","subscription":{"type":"trades","coin":"NOPE"}}`)
	e := ws.ReadJSON(5*time.Second, func(m map[string]any) bool { return m["channel"] == "error" })
	if e["data"] == nil {
		t.Errorf("unknown coin %v", e)
	}
	if _, err := s.Env.Tape.Trades(context.Background(), cc.TradeQuery{Symbol: "BTC", FromID: tids[0], ToID: tids[0] + 1, Now: time.Now().UnixMicro()}); err != nil {
		t.Error(err)
	}
}
