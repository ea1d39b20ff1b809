package bybit_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/candlecassette/candlecassette/plugins/bybit"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// TestSurfaceRecordThenReplay: trades, tickers, funding and open interest
// recorded through the proxy replay offline byte for byte.
func TestSurfaceRecordThenReplay(t *testing.T) {
	for _, tc := range []struct {
		ex    *bybit.Exchange
		paths []string
	}{
		{bybit.Spot, []string{
			"/v5/market/recent-trade?category=spot&symbol=BTCUSDT&limit=20",
			"/v5/market/tickers?category=spot&symbol=BTCUSDT",
			"/v5/system/status",
		}},
		{bybit.Perpetual, []string{
			"/v5/market/recent-trade?category=linear&symbol=BTCUSDT&limit=20",
			"/v5/market/tickers?category=linear",
			"/v5/market/funding/history?category=linear&symbol=BTCUSDT&limit=5",
			"/v5/market/open-interest?category=linear&symbol=BTCUSDT&intervalTime=1h&limit=5",
			"/v5/market/premium-index-price-kline?category=linear&symbol=BTCUSDT&interval=1&limit=5",
		}},
	} {
		t.Run(tc.ex.Name(), func(t *testing.T) {
			var calls []replaytest.Call
			for _, p := range tc.paths {
				calls = append(calls, replaytest.Call{Path: p})
			}
			recorded, replayed, _ := replaytest.RoundTrip(t, tc.ex.Name(), nil, calls, nil)
			for i, p := range tc.paths {
				var r struct{ RetCode int }
				if json.Unmarshal(recorded[i], &r) != nil || r.RetCode != 0 {
					t.Errorf("%s recorded %.200s", p, recorded[i])
				}
				if !bytes.Equal(replayed[i], recorded[i]) {
					t.Errorf("%s: replayed %.200s, recorded %.200s", p, replayed[i], recorded[i])
				}
			}
		})
	}
}
