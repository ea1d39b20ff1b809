package okx_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/candlecassette/candlecassette/plugins/okx"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// TestSurfaceRecordThenReplay: trades, tickers and the perpetual's public
// data recorded through the proxy replay offline byte for byte.
func TestSurfaceRecordThenReplay(t *testing.T) {
	for _, tc := range []struct {
		ex    *okx.Exchange
		paths []string
	}{
		{okx.Spot, []string{
			"/api/v5/market/trades?instId=BTC-USDT&limit=20",
			"/api/v5/market/history-trades?instId=BTC-USDT&limit=20",
			"/api/v5/market/ticker?instId=BTC-USDT",
			"/api/v5/market/tickers?instType=SPOT",
			"/api/v5/system/status",
		}},
		{okx.Perpetual, []string{
			"/api/v5/market/trades?instId=BTC-USDT-SWAP&limit=20",
			"/api/v5/public/mark-price?instType=SWAP",
			"/api/v5/public/funding-rate?instId=BTC-USDT-SWAP",
			"/api/v5/public/funding-rate-history?instId=BTC-USDT-SWAP&limit=5",
			"/api/v5/public/open-interest?instType=SWAP&instId=BTC-USDT-SWAP",
			"/api/v5/market/index-tickers?instId=BTC-USDT",
			"/api/v5/market/mark-price-candles?instId=BTC-USDT-SWAP&limit=5",
		}},
	} {
		t.Run(tc.ex.Name(), func(t *testing.T) {
			var calls []replaytest.Call
			for _, p := range tc.paths {
				calls = append(calls, replaytest.Call{Path: p})
			}
			recorded, replayed, _ := replaytest.RoundTrip(t, tc.ex.Name(), nil, calls, nil)
			for i, p := range tc.paths {
				var r struct{ Code string }
				if json.Unmarshal(recorded[i], &r) != nil || r.Code != "0" {
					t.Errorf("%s recorded %.200s", p, recorded[i])
				}
				if !bytes.Equal(replayed[i], recorded[i]) {
					t.Errorf("%s: replayed %.200s, recorded %.200s", p, replayed[i], recorded[i])
				}
			}
		})
	}
}
