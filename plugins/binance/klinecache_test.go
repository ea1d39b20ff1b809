package binance_test

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/binance"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// countingMarket counts the Market calls behind the klines answers.
type countingMarket struct {
	testMarket
	calls atomic.Int64
}

func (m *countingMarket) Candles(ctx context.Context, sym string, iv cc.Interval, start, end, now int64) ([]cc.Candle, error) {
	m.calls.Add(1)
	return m.testMarket.Candles(ctx, sym, iv, start, end, now)
}

func TestSettledKlineWindowsAreAnsweredAgainWithoutTheMarket(t *testing.T) {
	mc := replaytest.NewManualNow(fixedNow) // real time, moved by hand
	m := &countingMarket{}
	clock := &cc.Clock{Real: mc.Now}
	env := &plugins.Env{Market: m, Feed: &cc.MarketFeed{Market: m, Clock: clock}, Clock: clock, Pairs: testPairs, Hub: plugins.NewHub()}
	srv := serve(t, binance.New(binance.Spot, binance.Options{}), env)
	past := fixedNow.Add(-48 * time.Hour).UnixMilli()
	cases := []struct {
		name    string
		query   string
		settled bool
	}{
		{"a full page from startTime in the past", fmt.Sprintf("symbol=BTCUSDT&interval=1m&limit=100&startTime=%d", past), true},
		{"a window ending before now", fmt.Sprintf("symbol=BTCUSDT&interval=1h&startTime=%d&endTime=%d", past, past+5*3_600_000), true},
		{"the latest candles (no startTime)", "symbol=BTCUSDT&interval=1m&limit=5", false},
		{"a page reaching the candle in progress", fmt.Sprintf("symbol=BTCUSDT&interval=1m&limit=1000&startTime=%d", fixedNow.Add(-10*time.Minute).UnixMilli()), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			url := srv.URL + "/api/v3/klines?" + tc.query
			_, first := get(t, url)
			before := m.calls.Load()
			mc.Add(90 * time.Second) // time passes: unsettled answers change
			defer mc.Add(-90 * time.Second)
			code, again := get(t, url)
			if code != 200 {
				t.Fatalf("status %d: %s", code, again)
			}
			if tc.settled {
				if !bytes.Equal(first, again) {
					t.Fatal("a settled window changed")
				}
				if n := m.calls.Load() - before; n != 0 {
					t.Fatalf("the market was asked %d times for a settled window", n)
				}
				return
			}
			if m.calls.Load() == before {
				t.Fatal("an unsettled window was answered without the market")
			}
			if bytes.Equal(first, again) {
				t.Fatal("the window did not follow the clock")
			}
		})
	}
}
