package ascendex

import (
	"net/http"
	"testing"

	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// TestTradeDecoderRoundTrip: rows from the plugin's own appendTrade in the
// REST and channel envelopes decode back to the trades.
func TestTradeDecoderRoundTrip(t *testing.T) {
	ts := kit.SampleTrades(90_000_001, 30)
	want := kit.OwnAggIDs(kit.MillisOnly(ts))
	rows := []byte{}
	for i, tr := range ts {
		if i > 0 {
			rows = append(rows, ',')
		}
		rows = appendTrade(rows, tr)
	}
	p := &Spot{}
	for _, tc := range []struct {
		name string
		dec  func() ([]plugins.TradeSet, error)
	}{
		{"rest", func() ([]plugins.TradeSet, error) {
			req, _ := http.NewRequest(http.MethodGet, "/api/pro/v1/trades?symbol=BTC/USDT&n=30", nil)
			return p.DecodeTrades(req, []byte(`{"code":0,"data":{"m":"trades","symbol":"BTC/USDT","data":[`+string(rows)+`]}}`))
		}},
		{"ws", func() ([]plugins.TradeSet, error) {
			return p.DecodeTradeFrame("/api/pro/v1/stream", []byte(`{"m":"trades","symbol":"BTC/USDT","data":[`+string(rows)+`]}`))
		}},
	} {
		sets, err := tc.dec()
		if err != nil || len(sets) != 1 || sets[0].Symbol != "BTC/USDT" {
			t.Fatalf("%s: %v %+v", tc.name, err, sets)
		}
		if i := kit.SameTrades(sets[0].Trades, want); i >= 0 {
			t.Fatalf("%s: trade %d differs", tc.name, i)
		}
	}
	if _, err := p.DecodeTradeFrame("/api/pro/v1/stream", []byte(`{"m":"bbo","symbol":"BTC/USDT","data":{}}`)); err == nil {
		t.Error("bbo decoded as trades")
	}
}
