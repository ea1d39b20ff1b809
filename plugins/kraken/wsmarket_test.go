package kraken_test

import (
	"context"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/kraken"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

func TestWSv2TradeSnapshotThenUpdatesJoin(t *testing.T) {
	srv := replaytest.Start(t, kraken.Name, pairs, replaytest.Clock(base, 300))
	c := replaytest.Dial(t, srv.URL+"/v2")
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	read(t, c) // status
	c.WriteJSON(map[string]any{"method": "subscribe", "params": map[string]any{"channel": "trade", "symbol": []string{"BTC/USD"}}, "req_id": 3})
	if m, raw := read(t, c); m["success"] != true || m["result"].(map[string]any)["channel"] != "trade" {
		t.Fatalf("ack %s", raw)
	}
	var ids []float64
	var kinds []string
	for len(kinds) < 3 {
		m, raw := read(t, c)
		if m["channel"] != "trade" {
			t.Fatalf("unexpected %s", raw)
		}
		kinds = append(kinds, m["type"].(string))
		for _, x := range m["data"].([]any) {
			d := x.(map[string]any)
			if d["symbol"] != "BTC/USD" || (d["side"] != "buy" && d["side"] != "sell") || d["price"].(float64) <= 0 || d["qty"].(float64) <= 0 {
				t.Fatalf("trade %s", raw)
			}
			if _, err := time.Parse(time.RFC3339Nano, d["timestamp"].(string)); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, d["trade_id"].(float64))
		}
	}
	if kinds[0] != "snapshot" || kinds[1] != "update" {
		t.Fatalf("types %v", kinds)
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] != ids[i-1]+1 {
			t.Fatalf("stream skips or repeats: %v after %v", ids[i], ids[i-1])
		}
	}
}

func TestWSv2TickerIsTheRollingDay(t *testing.T) {
	srv := replaytest.Start(t, kraken.Name, pairs, replaytest.Clock(base, 1e-9))
	c := replaytest.Dial(t, srv.URL+"/v2")
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	read(t, c)
	c.WriteJSON(map[string]any{"method": "subscribe", "params": map[string]any{"channel": "ticker", "symbol": []string{"XBT/USD"}, "event_trigger": "bbo"}, "req_id": 4})
	if m, raw := read(t, c); m["success"] != true || m["result"].(map[string]any)["event_trigger"] != "bbo" {
		t.Fatalf("ack %s", raw)
	}
	m, raw := read(t, c)
	if m["channel"] != "ticker" || m["type"] != "snapshot" {
		t.Fatalf("first %s", raw)
	}
	d := m["data"].([]any)[0].(map[string]any)
	st, err := cc.RollingStats(context.Background(), srv.Env.Market, srv.Env.Tape, "XBT/USD", 86_400_000, srv.Env.Clock.NowMillis())
	if err != nil {
		t.Fatal(err)
	}
	if d["last"].(float64) != st.Last.Float64() || d["volume"].(float64) != st.Volume.Float64() || d["high"].(float64) != st.High.Float64() || d["low"].(float64) != st.Low.Float64() {
		t.Fatalf("ticker %s, stats %+v", raw, st)
	}
	if !(d["bid"].(float64) < d["ask"].(float64)) {
		t.Fatalf("bid not below ask: %s", raw)
	}
	for _, k := range []string{"bid_qty", "ask_qty", "vwap", "change", "change_pct"} {
		if _, ok := d[k]; !ok {
			t.Fatalf("no %s: %s", k, raw)
		}
	}
}
