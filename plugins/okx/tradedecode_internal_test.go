package okx

import (
	"net/http"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// TestTradeDecoderRoundTrip encodes sample trades with the plugin's own
// REST row and trades-channel encoders (spot and swap) and decodes them.
func TestTradeDecoderRoundTrip(t *testing.T) {
	ts := kit.SampleTrades(500_000_001, 40)
	want := kit.OwnAggIDs(kit.MillisOnly(ts))
	for _, tc := range []struct {
		e  *Exchange
		id string
	}{{Spot, "BTC-USDT"}, {Perpetual, "BTC-USDT-SWAP"}, {Perpetual, "XRP-USDT-SWAP"}} {
		t.Run(tc.id, func(t *testing.T) {
			exp, swap := 0, isSwap(tc.id)
			if swap {
				exp, _ = swapExp(tc.id)
			}
			// The encoder writes contracts: sizes must be whole contracts'
			// worth of base for the round trip to be exact.
			ts := append([]cc.Trade(nil), ts...)
			for i := range ts {
				ts[i].Size = shift(cc.NewDecimal(ts[i].Size.Units, 0), exp)
			}
			want := append([]cc.Trade(nil), want...)
			for i := range want {
				want[i].Size = ts[i].Size
			}
			b := []byte(`{"code":"0","msg":"","data":[`)
			for i := len(ts) - 1; i >= 0; i-- {
				if i != len(ts)-1 {
					b = append(b, ',')
				}
				b = appendTrade(b, tc.id, ts[i], exp, swap)
			}
			b = append(b, "]}"...)
			for _, path := range []string{"/api/v5/market/trades", "/api/v5/market/history-trades"} {
				req, _ := http.NewRequest(http.MethodGet, path+"?instId="+tc.id, nil)
				sets, err := tc.e.DecodeTrades(req, b)
				if err != nil || len(sets) != 1 || sets[0].Symbol != tc.id || sets[0].Last != nil {
					t.Fatalf("%s: %v %+v", path, err, sets)
				}
				if i := kit.SameTrades(sets[0].Trades, want); i >= 0 {
					t.Fatalf("%s: trade %d: got %+v want %+v", path, i, sets[0].Trades[i], want[i])
				}
			}
			// The trades channel: one push per aggregate.
			a := wsArg{Channel: "trades", InstID: tc.id}
			for i := 0; i < len(ts); {
				j := i
				for j < len(ts) && ts[j].AggID == ts[i].AggID {
					j++
				}
				sets, err := tc.e.DecodeTradeFrame("/ws/v5/public", appendTradesPush(a, ts[i:j], exp, swap))
				if err != nil || len(sets) != 1 || len(sets[0].Trades) != 1 || len(sets[0].Last) != 1 {
					t.Fatalf("push: %v %+v", err, sets)
				}
				g, size := sets[0].Trades[0], cc.Decimal{}
				for _, tr := range ts[i:j] {
					size = size.Add(tr.Size)
				}
				if g.ID != ts[i].ID || sets[0].Last[0] != ts[j-1].ID || g.Time != want[i].Time ||
					g.Price.Cmp(ts[i].Price) != 0 || g.Size.Cmp(size) != 0 || g.BuyerMaker != ts[i].BuyerMaker {
					t.Fatalf("push %d: got %+v last %d", i, g, sets[0].Last[0])
				}
				i = j
			}
		})
	}
	if _, err := Spot.DecodeTradeFrame("/ws/v5/public", []byte(`{"arg":{"channel":"tickers","instId":"BTC-USDT"},"data":[{}]}`)); err != plugins.ErrNotTrades {
		t.Errorf("tickers push: %v", err)
	}
	if _, err := Spot.DecodeTradeFrame("/ws/v5/public", []byte("pong")); err != plugins.ErrNotTrades {
		t.Errorf("pong: %v", err)
	}
}
