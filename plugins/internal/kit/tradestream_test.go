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

// tapeAt is a synthetic BTCUSDT tape and a minute on it.
func tapeAt(t *testing.T) (*synth.Market, int64) {
	t.Helper()
	pairs := []cc.Pair{{Base: "BTC", Quote: "USDT", Symbol: "BTCUSDT", Price: 50000}}
	return synth.New(synth.Options{Seed: 5, Exchange: "binance_spot", Pairs: pairs}),
		time.Date(2026, 2, 3, 4, 5, 0, 0, time.UTC).UnixMilli()
}

// With WholeAggregates, Poll's pages never split an aggregate (but for a
// page that is one aggregate alone) where plain pages of the same size
// do, a page cut short is followed by the rest in the same poll, and
// every trade still goes out once, in order.
func TestTradeCursorPollKeepsAggregatesWhole(t *testing.T) {
	m, start := tapeAt(t)
	ctx := context.Background()
	const max = 7
	steps := []int64{1000, 2500, 60000, 600000}
	end := start
	for _, s := range steps {
		end += s
	}
	want, err := m.Trades(ctx, cc.TradeQuery{Symbol: "BTCUSDT", Start: start*1000 + 1, End: (end + 1) * 1000, Now: end*1000 + 999})
	if err != nil {
		t.Fatal(err)
	}
	splits := map[bool]int{}
	for _, whole := range []bool{false, true} {
		cur := kit.NewTradeCursor("BTCUSDT", start)
		cur.WholeAggregates = whole
		var got []cc.Trade
		at := start
		for _, step := range steps {
			at += step
			var pages [][]cc.Trade
			err := cur.Poll(ctx, m, at, max, func(ts []cc.Trade) bool {
				pages = append(pages, ts)
				return true
			})
			if err != nil {
				t.Fatal(err)
			}
			for i, p := range pages {
				if len(p) == 0 || len(p) > max {
					t.Fatalf("page of %d trades", len(p))
				}
				if i+1 < len(pages) && p[len(p)-1].AggID == pages[i+1][0].AggID && p[0].AggID != p[len(p)-1].AggID {
					splits[whole]++
				}
				got = append(got, p...)
			}
		}
		if len(want) == 0 || len(got) != len(want) {
			t.Fatalf("whole %v: poll gave %d trades, the tape holds %d", whole, len(got), len(want))
		}
		for i := range want {
			if got[i].ID != want[i].ID {
				t.Fatalf("whole %v: #%d: id %d, want %d", whole, i, got[i].ID, want[i].ID)
			}
		}
	}
	if splits[true] != 0 {
		t.Fatalf("%d aggregates split across pages", splits[true])
	}
	if splits[false] == 0 {
		t.Fatal("plain pages split no aggregate either: the window tests nothing")
	}
}

// Poll stops at once when push returns false, and the next poll goes on
// after the page push refused (the cursor is past it).
func TestTradeCursorPollStopsWhenPushRefuses(t *testing.T) {
	m, start := tapeAt(t)
	ctx := context.Background()
	cur := kit.NewTradeCursor("BTCUSDT", start)
	calls := 0
	var first []cc.Trade
	if err := cur.Poll(ctx, m, start+60000, 3, func(ts []cc.Trade) bool {
		calls++
		first = ts
		return false
	}); err != nil {
		t.Fatal(err)
	}
	if calls != 1 || len(first) != 3 {
		t.Fatalf("push called %d times with %d trades, want once with 3", calls, len(first))
	}
	ts, err := cur.Next(ctx, m, start+60000, 1)
	if err != nil || len(ts) != 1 || ts[0].ID != first[2].ID+1 {
		t.Fatalf("after a refused page: %v, %v; want trade %d", ts, err, first[2].ID+1)
	}
}

// After a snapshot the cursor goes on with the trade right after the
// snapshot's newest, even one older than the cursor's start.
func TestTradeCursorSnapshotThenUpdates(t *testing.T) {
	m, start := tapeAt(t)
	ctx := context.Background()
	cur := kit.NewTradeCursor("BTCUSDT", start+30000)
	snap, err := cur.Snapshot(ctx, m, start, 50)
	if err != nil || len(snap) != 50 {
		t.Fatalf("snapshot: %d trades, %v", len(snap), err)
	}
	if snap[49].Millis() > start {
		t.Fatalf("snapshot holds a trade at %d, after %d", snap[49].Millis(), start)
	}
	next, err := cur.Next(ctx, m, start+60000, 10)
	if err != nil || len(next) != 10 {
		t.Fatalf("next: %d trades, %v", len(next), err)
	}
	if next[0].ID != snap[49].ID+1 {
		t.Fatalf("after the snapshot came trade %d, want %d", next[0].ID, snap[49].ID+1)
	}
	if next[0].Millis() >= start+30000 {
		t.Fatalf("the cursor's start (%d) still bounds trades after a snapshot: first at %d", start+30000, next[0].Millis())
	}
}

// tapeFunc is a cc.Tape of a function.
type tapeFunc func(cc.TradeQuery) []cc.Trade

func (f tapeFunc) Trades(_ context.Context, q cc.TradeQuery) ([]cc.Trade, error) { return f(q), nil }

// An empty snapshot leaves the cursor at its start.
func TestTradeCursorEmptySnapshotKeepsStart(t *testing.T) {
	var qs []cc.TradeQuery
	tape := tapeFunc(func(q cc.TradeQuery) []cc.Trade { qs = append(qs, q); return nil })
	cur := kit.NewTradeCursor("X", 5000)
	if snap, err := cur.Snapshot(context.Background(), tape, 6000, 50); err != nil || len(snap) != 0 {
		t.Fatalf("snapshot %v, %v", snap, err)
	}
	if _, err := cur.Next(context.Background(), tape, 7000, 10); err != nil {
		t.Fatal(err)
	}
	if q := qs[len(qs)-1]; q.Start != 5000*1000+1 || q.FromID != 0 || q.Now != 7000*1000+999 {
		t.Fatalf("after an empty snapshot the cursor asks %+v", q)
	}
}
