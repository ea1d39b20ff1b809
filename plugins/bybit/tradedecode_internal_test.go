package bybit

import (
	"net/http"
	"testing"

	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// TestTradeDecoderRoundTrip encodes sample trades with the plugin's own
// recent-trade row and publicTrade push encoders and decodes them.
func TestTradeDecoderRoundTrip(t *testing.T) {
	ts := kit.SampleTrades(2_000_000_001, 40)
	want := kit.OwnAggIDs(kit.MillisOnly(ts))
	for _, tc := range []struct {
		e      *Exchange
		cat    string
		linear bool
	}{{Spot, "spot", false}, {Perpetual, "linear", true}} {
		t.Run(tc.cat, func(t *testing.T) {
			b := []byte(`{"retCode":0,"retMsg":"OK","result":{"category":"` + tc.cat + `","list":[`)
			for i := len(ts) - 1; i >= 0; i-- {
				if i != len(ts)-1 {
					b = append(b, ',')
				}
				b = appendTrade(b, "BTCUSDT", ts[i])
			}
			b = append(b, `]},"retExtInfo":{},"time":1}`...)
			req, _ := http.NewRequest(http.MethodGet, "/v5/market/recent-trade?category="+tc.cat+"&symbol=BTCUSDT", nil)
			sets, err := tc.e.DecodeTrades(req, b)
			if err != nil || len(sets) != 1 || sets[0].Symbol != "BTCUSDT" {
				t.Fatalf("recent-trade: %v %+v", err, sets)
			}
			if i := kit.SameTrades(sets[0].Trades, want); i >= 0 {
				t.Fatalf("recent-trade: trade %d differs: %+v", i, sets[0].Trades[i])
			}
			cur := &wsTradeCursor{}
			var got []plugins.TradeSet
			for i := 0; i < len(ts); i += 7 {
				sets, err := tc.e.DecodeTradeFrame("/v5/public/"+tc.cat, appendPublicTrades("publicTrade.BTCUSDT", "BTCUSDT", 1, ts[i:min(i+7, len(ts))], cur, tc.linear))
				if err != nil || len(sets) != 1 {
					t.Fatalf("push: %v", err)
				}
				got = append(got, sets...)
			}
			var all = got[0]
			for _, s := range got[1:] {
				all.Trades = append(all.Trades, s.Trades...)
			}
			if i := kit.SameTrades(all.Trades, want); i >= 0 || all.Symbol != "BTCUSDT" {
				t.Fatalf("publicTrade: trade %d differs", i)
			}
		})
	}
	if _, err := Spot.DecodeTradeFrame("/v5/public/spot", []byte(`{"topic":"tickers.BTCUSDT","data":{}}`)); err == nil {
		t.Error("tickers push decoded as trades")
	}
}
