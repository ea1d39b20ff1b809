package coinbase

import (
	"net/http"
	"testing"

	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// TestTradeDecoderRoundTrip: market trades written by the plugin's own
// appendTrade (newest first), in the REST body and a market_trades event,
// decode back to the trades (µs times kept).
func TestTradeDecoderRoundTrip(t *testing.T) {
	ts := kit.SampleTrades(700_000_001, 30)
	want := kit.OwnAggIDs(ts)
	rows := []byte{}
	for i := len(ts) - 1; i >= 0; i-- {
		if i < len(ts)-1 {
			rows = append(rows, ',')
		}
		rows = appendTrade(rows, "BTC-USD", ts[i], 2)
	}
	p := &Plugin{}
	req, _ := http.NewRequest(http.MethodGet, "/api/v3/brokerage/market/products/BTC-USD/ticker?limit=30", nil)
	sets, err := p.DecodeTrades(req, []byte(`{"trades":[`+string(rows)+`],"best_bid":"1","best_ask":"2"}`))
	if err != nil || len(sets) != 1 || sets[0].Symbol != "BTC-USD" {
		t.Fatalf("rest: %v %+v", err, sets)
	}
	if i := kit.SameTrades(sets[0].Trades, want); i >= 0 {
		t.Fatalf("rest: trade %d: %+v want %+v", i, sets[0].Trades[i], want[i])
	}
	frame := `{"channel":"market_trades","timestamp":"2026-01-01T00:00:00Z","sequence_num":3,"events":[{"type":"update","trades":[` + string(rows) + `]}]}`
	sets, err = p.DecodeTradeFrame("/", []byte(frame))
	if err != nil || len(sets) != 1 {
		t.Fatalf("ws: %v", err)
	}
	if i := kit.SameTrades(sets[0].Trades, want); i >= 0 {
		t.Fatalf("ws: trade %d differs", i)
	}
	if _, err := p.DecodeTradeFrame("/", []byte(`{"channel":"ticker","events":[]}`)); err == nil {
		t.Error("ticker decoded as trades")
	}
}
