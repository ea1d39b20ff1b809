package kit_test

import (
	"context"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
	"github.com/candlecassette/candlecassette/synth"
)

// A cursor walked in uneven steps hands out every trade after its start
// exactly once, in order, and nothing past the step's end.
func TestTradeCursorHandsOutEachTradeOnce(t *testing.T) {
	pairs := []cc.Pair{{Base: "BTC", Quote: "USDT", Symbol: "BTCUSDT", Price: 50000}}
	m := synth.New(synth.Options{Seed: 5, Exchange: "binance_spot", Pairs: pairs})
	ctx := context.Background()
	start := time.Date(2026, 2, 3, 4, 5, 0, 0, time.UTC).UnixMilli()
	cur := kit.NewTradeCursor("BTCUSDT", start)
	var got []cc.Trade
	at := start
	for _, step := range []int64{250, 1000, 3, 7000, 1, 20000, 31746} {
		at += step
		for {
			ts, err := cur.Next(ctx, m, at, 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, tr := range ts {
				if tr.Millis() > at {
					t.Fatalf("trade at %d handed out at %d", tr.Millis(), at)
				}
			}
			got = append(got, ts...)
			if len(ts) < 100 {
				break
			}
		}
	}
	want, err := m.Trades(ctx, cc.TradeQuery{Symbol: "BTCUSDT", Start: start*1000 + 1, End: (at + 1) * 1000, Now: at*1000 + 999})
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 || len(got) != len(want) {
		t.Fatalf("cursor gave %d trades, the tape holds %d", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID {
			t.Fatalf("#%d: id %d, want %d", i, got[i].ID, want[i].ID)
		}
	}
}
