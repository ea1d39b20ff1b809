package hyperliquid

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// TestTradeDecoderRoundTrip: rows from the plugin's own appendTrade in a
// recentTrades body and a trades push decode back to the trades, the
// aggregates recovered from the shared hashes.
func TestTradeDecoderRoundTrip(t *testing.T) {
	ts := kit.SampleTrades(30_000_001, 30)
	want := kit.MillisOnly(ts)
	rows := []byte{}
	for i, tr := range ts {
		if i > 0 {
			rows = append(rows, ',')
		}
		rows = appendTrade(rows, "BTC", tr)
	}
	for _, p := range []*api{{}, {perp: true}} {
		body := []byte(`{"type":"recentTrades","coin":"BTC"}`)
		req, _ := http.NewRequest(http.MethodPost, "/info", bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		sets, err := p.DecodeTrades(req, []byte("["+string(rows)+"]"))
		if err != nil || len(sets) != 1 || sets[0].Symbol != "BTC" {
			t.Fatalf("rest: %v %+v", err, sets)
		}
		if i := kit.SameTrades(sets[0].Trades, want); i >= 0 {
			t.Fatalf("rest: trade %d: %+v want %+v", i, sets[0].Trades[i], want[i])
		}
		sets, err = p.DecodeTradeFrame("/ws", []byte(`{"channel":"trades","data":[`+string(rows)+`]}`))
		if err != nil || len(sets) != 1 {
			t.Fatalf("ws: %v", err)
		}
		if i := kit.SameTrades(sets[0].Trades, want); i >= 0 {
			t.Fatalf("ws: trade %d differs", i)
		}
		other := []byte(`{"type":"candleSnapshot","req":{"coin":"BTC"}}`)
		req, _ = http.NewRequest(http.MethodPost, "/info", bytes.NewReader(other))
		if _, err := p.DecodeTrades(req, []byte("[]")); err == nil {
			t.Error("candleSnapshot decoded as trades")
		}
	}
}
