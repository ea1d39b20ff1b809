package kraken

import (
	"net/http"
	"testing"

	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// TestTradeDecoderRoundTrip: rows from the plugin's own appendTrade under
// a Trades result key, and a trade channel message from encodeTrades,
// decode back to the trades (µs times kept).
func TestTradeDecoderRoundTrip(t *testing.T) {
	ts := kit.SampleTrades(80_000_001, 30)
	want := kit.OwnAggIDs(ts)
	rows := []byte{}
	for i, tr := range ts {
		if i > 0 {
			rows = append(rows, ',')
		}
		rows = appendTrade(rows, tr, 2)
	}
	p := &Plugin{}
	req, _ := http.NewRequest(http.MethodGet, "/0/public/Trades?pair=XBTUSD", nil)
	sets, err := p.DecodeTrades(req, []byte(`{"error":[],"result":{"XXBTZUSD":[`+string(rows)+`],"last":"1"}}`))
	if err != nil || len(sets) != 1 || sets[0].Symbol != "XBT/USD" {
		t.Fatalf("rest: %v %+v", err, sets)
	}
	if i := kit.SameTrades(sets[0].Trades, want); i >= 0 {
		t.Fatalf("rest: trade %d: %+v want %+v", i, sets[0].Trades[i], want[i])
	}
	// WS v2 says BTC/USD; the set is keyed XBT/USD like REST's.
	for _, kind := range []string{"snapshot", "update"} {
		sets, err := p.DecodeTradeFrame("/v2", encodeTrades(kind, "BTC/USD", ts, 2))
		if err != nil || len(sets) != 1 || sets[0].Symbol != "XBT/USD" {
			t.Fatalf("ws %s: %v %+v", kind, err, sets)
		}
		if i := kit.SameTrades(sets[0].Trades, want); i >= 0 {
			t.Fatalf("ws: trade %d differs", i)
		}
	}
	if _, err := p.DecodeTradeFrame("/v2", []byte(`{"channel":"heartbeat"}`)); err == nil {
		t.Error("heartbeat decoded as trades")
	}
}
