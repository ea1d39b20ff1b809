package gateio

import (
	"net/http"
	"strconv"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// TestTradeDecoderRoundTrip: spot and futures rows from the plugin's own
// appendSpotTrade/appendFuturesTrade, in REST bodies (newest first) and
// pushes, decode back to the trades.
func TestTradeDecoderRoundTrip(t *testing.T) {
	ts := kit.SampleTrades(60_000_001, 30)
	want := kit.OwnAggIDs(ts)
	mult, ok := contractSize("BTC_USDT")
	if !ok {
		t.Fatal("no contract size for BTC")
	}
	fts := append([]cc.Trade(nil), want...)
	for i := range fts {
		fts[i].Size = cc.NewDecimal(fts[i].Size.Units, 0).Mul(mult) // whole contracts
	}
	spot, fut := []byte{'['}, []byte{'['}
	for i := len(ts) - 1; i >= 0; i-- {
		if i < len(ts)-1 {
			spot, fut = append(spot, ','), append(fut, ',')
		}
		spot = appendSpotTrade(spot, "BTC_USDT", ts[i])
		fut = appendFuturesTrade(fut, "BTC_USDT", fts[i], mult)
	}
	spot, fut = append(spot, ']'), append(fut, ']')
	for _, tc := range []struct {
		a    *api
		path string
		body []byte
		want []cc.Trade
	}{
		{&api{}, "/api/v4/spot/trades?currency_pair=BTC_USDT", spot, want},
		{&api{perp: true}, "/api/v4/futures/usdt/trades?contract=BTC_USDT", fut, fts},
	} {
		req, _ := http.NewRequest(http.MethodGet, tc.path, nil)
		sets, err := tc.a.DecodeTrades(req, tc.body)
		if err != nil || len(sets) != 1 || sets[0].Symbol != "BTC_USDT" {
			t.Fatalf("%s: %v %+v", tc.path, err, sets)
		}
		if i := kit.SameTrades(sets[0].Trades, tc.want); i >= 0 {
			t.Fatalf("%s: trade %d: %+v want %+v", tc.path, i, sets[0].Trades[i], tc.want[i])
		}
	}
	// Pushes: spot one per trade with its range, futures a batch.
	var got []cc.Trade
	for _, tr := range ts {
		b := pushHead(nil, "spot.trades", tr.Millis())
		b = appendSpotTrade(b, "BTC_USDT", tr)
		b = append(b[:len(b)-1], `,"range":"`+strconv.FormatInt(tr.ID, 10)+"-"+strconv.FormatInt(tr.ID, 10)+`"}}`...)
		sets, err := (&api{}).DecodeTradeFrame("/ws/v4/", b)
		if err != nil || len(sets) != 1 {
			t.Fatalf("spot push: %v %s", err, b)
		}
		got = append(got, sets[0].Trades...)
	}
	if i := kit.SameTrades(got, want); i >= 0 {
		t.Fatalf("spot push: trade %d differs", i)
	}
	b := pushHead(nil, "futures.trades", 1)
	b = append(b, '[')
	for i, tr := range fts {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendFuturesTrade(b, "BTC_USDT", tr, mult)
	}
	sets, err := (&api{perp: true}).DecodeTradeFrame("/v4/ws/usdt", append(b, "]}"...))
	if err != nil || len(sets) != 1 {
		t.Fatalf("futures push: %v", err)
	}
	if i := kit.SameTrades(sets[0].Trades, fts); i >= 0 {
		t.Fatalf("futures push: trade %d differs", i)
	}
}
