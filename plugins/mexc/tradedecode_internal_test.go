package mexc

import (
	"net/http"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// TestTradeDecoderRoundTrip: spot rows (appendSpotTrade), contract deals
// (appendDeal, appendDealPush) and the spot protobuf deals push
// (encodeAggreDeals) decode back to the trades, numbered by millisecond
// alike whichever payload carried them.
func TestTradeDecoderRoundTrip(t *testing.T) {
	ts := kit.MillisOnly(kit.SampleTrades(1, 30))
	ts[5].Time = ts[4].Time // two trades of one millisecond
	want := append([]cc.Trade(nil), ts...)
	kit.NumberByMillis(want)
	if want[4].ID != want[5].ID-1 || want[5].ID%1000 != 999 || want[6].ID <= want[5].ID {
		t.Fatalf("numbering: %d %d %d", want[4].ID, want[5].ID, want[6].ID)
	}
	size, ok := contractSize("BTC_USDT")
	if !ok {
		t.Fatal("no contract size")
	}
	fts := append([]cc.Trade(nil), want...)
	for i := range fts {
		fts[i].Size = cc.NewDecimal(fts[i].Size.Units, 0).Mul(size)
	}
	spot, deals := []byte{'['}, []byte(`{"success":true,"code":0,"data":[`)
	for i := range ts {
		if i > 0 {
			spot, deals = append(spot, ','), append(deals, ',')
		}
		spot = appendSpotTrade(spot, ts[i])
		deals = appendDeal(deals, fts[len(fts)-1-i], size)
	}
	spot, deals = append(spot, ']'), append(deals, "]}"...)
	for _, tc := range []struct {
		a    *api
		path string
		body []byte
		sym  string
		want []cc.Trade
	}{
		{&api{}, "/api/v3/trades?symbol=BTCUSDT", spot, "BTCUSDT", want},
		{&api{perp: true}, "/api/v1/contract/deals/BTC_USDT", deals, "BTC_USDT", fts},
	} {
		req, _ := http.NewRequest(http.MethodGet, tc.path, nil)
		sets, err := tc.a.DecodeTrades(req, tc.body)
		if err != nil || len(sets) != 1 || sets[0].Symbol != tc.sym {
			t.Fatalf("%s: %v %+v", tc.path, err, sets)
		}
		if i := kit.SameTrades(sets[0].Trades, tc.want); i >= 0 {
			t.Fatalf("%s: trade %d: %+v want %+v", tc.path, i, sets[0].Trades[i], tc.want[i])
		}
	}
	sets, err := (&api{}).DecodeTradeFrame("/ws", encodeAggreDeals("spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT", "BTCUSDT", "1", 1, ts))
	if err != nil || len(sets) != 1 || sets[0].Symbol != "BTCUSDT" {
		t.Fatalf("spot push: %v %+v", err, sets)
	}
	if i := kit.SameTrades(sets[0].Trades, want); i >= 0 {
		t.Fatalf("spot push: trade %d differs", i)
	}
	sets, err = (&api{perp: true}).DecodeTradeFrame("/edge", appendDealPush(nil, "BTC_USDT", fts, size))
	if err != nil || len(sets) != 1 {
		t.Fatalf("deal push: %v", err)
	}
	if i := kit.SameTrades(sets[0].Trades, fts); i >= 0 {
		t.Fatalf("deal push: trade %d differs", i)
	}
	if _, err := (&api{}).DecodeTradeFrame("/ws", encodeAggreBookTicker("c", "BTCUSDT", "1", 1, cc.Touch{})); err == nil {
		t.Error("book ticker decoded as trades")
	}
}
