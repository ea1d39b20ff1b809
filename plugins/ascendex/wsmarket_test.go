package ascendex_test

import (
	"encoding/json"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

func TestWSTradesAndBbo(t *testing.T) {
	s := replaytest.Start(t, "ascend_ex_spot", nil, replaytest.Clock(time.Now().Add(-time.Hour), 10))
	ws := s.Dial(t, "/1/api/pro/v1/stream")
	ws.Send(`{"op":"sub","id":"a1","ch":"trades:BTC/USDT"}`)
	ack := ws.ReadJSON(5*time.Second, func(m map[string]any) bool { return m["m"] == "sub" })
	if ack["ch"] != "trades:BTC/USDT" || ack["id"] != "a1" {
		t.Fatalf("ack %v", ack)
	}
	var ids []int64
	for len(ids) < 5 {
		m := ws.ReadJSON(10*time.Second, func(m map[string]any) bool { return m["m"] == "trades" })
		if m["symbol"] != "BTC/USDT" {
			t.Fatalf("push %v", m)
		}
		for _, r := range m["data"].([]any) {
			id, _ := r.(map[string]any)["seqnum"].(json.Number).Int64()
			if len(ids) > 0 && id != ids[len(ids)-1]+1 {
				t.Fatalf("seqnum jumps: %v then %d", ids, id)
			}
			ids = append(ids, id)
		}
	}
	ws.Send(`{"op":"unsub","ch":"trades:BTC/USDT"}`)
	ws.Send(`{"op":"sub","ch":"bbo:BTC/USDT"}`)
	bbo := ws.ReadJSON(10*time.Second, func(m map[string]any) bool { return m["m"] == "bbo" })
	d := bbo["data"].(map[string]any)
	bid, _ := cc.ParseDecimal(d["bid"].([]any)[0].(string))
	ask, _ := cc.ParseDecimal(d["ask"].([]any)[0].(string))
	if bid.Cmp(ask) >= 0 || bid.IsZero() {
		t.Errorf("bbo %v", bbo)
	}
	ws.Send(`{"op":"sub","id":"x","ch":"trades:NOPE/USDT"}`)
	e := ws.ReadJSON(5*time.Second, func(m map[string]any) bool { return m["m"] == "error" })
	if e["reason"] != "SYMBOL_ERROR" {
		t.Errorf("unknown symbol %v", e)
	}
}
