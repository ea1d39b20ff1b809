package kucoin

import (
	"encoding/json"
	"net/http"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// TestTradeDecoderRoundTrip: spot histories rows (appendHistory), futures
// trade history entries (historyEntry, contracts) and the match messages
// (encodeMatch) decode back to the trades.
func TestTradeDecoderRoundTrip(t *testing.T) {
	ts := kit.SampleTrades(40_000_001, 30)
	// Futures sizes are whole contracts of the multiplier.
	fts := append([]cc.Trade(nil), ts...)
	for i := range fts {
		fts[i].Size = cc.NewDecimal(fts[i].Size.Units, 0).Mul(multiplier("XBTUSDTM"))
	}
	// Spot REST: ns times of µs trades, AggID not carried.
	b := []byte(`{"code":"200000","data":[`)
	for i, tr := range ts {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendHistory(b, tr)
	}
	b = append(b, "]}"...)
	req, _ := http.NewRequest(http.MethodGet, "/api/v1/market/histories?symbol=BTC-USDT", nil)
	sets, err := Spot.DecodeTrades(req, b)
	if err != nil || len(sets) != 1 || sets[0].Symbol != "BTC-USDT" {
		t.Fatalf("spot rest: %v %+v", err, sets)
	}
	if i := kit.SameTrades(sets[0].Trades, kit.OwnAggIDs(ts)); i >= 0 {
		t.Fatalf("spot rest: trade %d: %+v", i, sets[0].Trades[i])
	}
	// Futures REST, newest first.
	var entries []map[string]any
	for i := len(fts) - 1; i >= 0; i-- {
		entries = append(entries, historyEntry(fts[i], "XBTUSDTM"))
	}
	b, _ = json.Marshal(struct {
		Code string `json:"code"`
		Data any    `json:"data"`
	}{"200000", entries})
	req, _ = http.NewRequest(http.MethodGet, "/api/v1/trade/history?symbol=XBTUSDTM", nil)
	sets, err = Perpetual.DecodeTrades(req, b)
	if err != nil || len(sets) != 1 || sets[0].Symbol != "XBTUSDTM" {
		t.Fatalf("futures rest: %v %+v", err, sets)
	}
	if i := kit.SameTrades(sets[0].Trades, fts); i >= 0 {
		t.Fatalf("futures rest: trade %d: %+v want %+v", i, sets[0].Trades[i], fts[i])
	}
	// The match messages.
	for _, tc := range []struct {
		tg   target
		want []cc.Trade
		p    *Plugin
	}{
		{target{key: "/market/match:BTC-USDT", symbol: "BTC-USDT"}, ts, Spot},
		{target{key: "/contractMarket/execution:XBTUSDTM", symbol: "XBTUSDTM", futures: true}, fts, Perpetual},
	} {
		var got []cc.Trade
		for _, tr := range tc.want {
			sets, err := tc.p.DecodeTradeFrame("/", encodeMatch(tc.tg, tr))
			if err != nil || len(sets) != 1 || sets[0].Symbol != tc.tg.symbol {
				t.Fatalf("%s: %v %+v", tc.tg.key, err, sets)
			}
			got = append(got, sets[0].Trades...)
		}
		if i := kit.SameTrades(got, tc.want); i >= 0 {
			t.Fatalf("%s: trade %d: %+v want %+v", tc.tg.key, i, got[i], tc.want[i])
		}
	}
}
