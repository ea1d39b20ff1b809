package okx_test

import (
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/okx"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// t0 is the virtual "now" of the REST tests: 2026-11-25T12:34:56.789Z,
// inside a 1m candle.
var t0 = time.Date(2026, 11, 25, 12, 34, 56, 789_000_000, time.UTC)

// newFixture serves ex for BTC, ETH, XRP and SOL against USDT with clock.
func newFixture(t *testing.T, ex *okx.Exchange, clock *cc.Clock) *replaytest.Server {
	t.Helper()
	return replaytest.Start(t, ex.Name(), []cc.Pair{
		{Base: "BTC", Quote: "USDT", Price: 50000},
		{Base: "ETH", Quote: "USDT", Price: 3000},
		{Base: "XRP", Quote: "USDT", Price: 0.6},
		{Base: "SOL", Quote: "USDT", Price: 150},
	}, clock)
}

// candlesResp is OKX's candles answer.
type candlesResp struct {
	Code string     `json:"code"`
	Msg  string     `json:"msg"`
	Data [][]string `json:"data"`
}
