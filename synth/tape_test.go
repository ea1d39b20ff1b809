package synth_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/synth"
)

var tapePairs = []cc.Pair{
	{Base: "BTC", Quote: "USDT", Symbol: "BTCUSDT"},
	{Base: "ETH", Quote: "USDT", Symbol: "ETHUSDT"},
	{Base: "XRP", Quote: "USDT", Price: 0.6, Symbol: "XRPUSDT"},
	{Base: "FOO", Quote: "USDT", Symbol: "FOOUSDT"},
}

func tapeMarket(seed uint64, ex string) *synth.Market {
	return synth.New(synth.Options{Seed: seed, Exchange: ex, Pairs: tapePairs})
}

func trades(t testing.TB, m *synth.Market, q cc.TradeQuery) []cc.Trade {
	t.Helper()
	ts, err := m.Trades(context.Background(), q)
	if err != nil {
		t.Fatalf("Trades(%+v): %v", q, err)
	}
	return ts
}

const us = int64(1000) // µs per ms

// checkTape checks what holds for any run of the tape: ids increase by
// one inside a 4096-day block, aggregates are runs of one time and price
// starting at their first print, times do not decrease, sizes are at
// least a lot.
func checkTape(t testing.TB, ts []cc.Trade, lot cc.Decimal) {
	t.Helper()
	for i, tr := range ts {
		if tr.Size.Cmp(lot) < 0 || tr.Price.Units <= 0 {
			t.Fatalf("trade %d: size %s price %s", i, tr.Size, tr.Price)
		}
		if i == 0 {
			continue
		}
		p := ts[i-1]
		if tr.ID != p.ID+1 && tr.ID>>40 == p.ID>>40 {
			t.Fatalf("trade %d: id %d after %d", i, tr.ID, p.ID)
		}
		if tr.Time < p.Time {
			t.Fatalf("trade %d: time %d before %d", i, tr.Time, p.Time)
		}
		same := tr.Time == p.Time && tr.Price == p.Price && tr.BuyerMaker == p.BuyerMaker
		if same && tr.AggID != p.AggID || !same && tr.AggID != tr.ID {
			t.Fatalf("trade %d: agg %d (prev %+v, this %+v)", i, tr.AggID, p, tr)
		}
	}
}

// Trades of a window come back with ids that count the candles' trades:
// the first id of every second is the sum of the trade counts before it,
// across second, minute, hour and day boundaries, and FirstTradeID agrees.
func TestTradeIDsCountCandles(t *testing.T) {
	ctx := context.Background()
	for _, ex := range []string{"binance_spot", "okx"} {
		m := tapeMarket(11, ex)
		for _, sym := range []string{"BTCUSDT", "XRPUSDT", "FOOUSDT"} {
			_, lot, _ := m.TickSize(sym)
			// Across a day boundary (and so hour, minute, 10s).
			start := ms("2025-03-01T23:58:30Z")
			end := start + 3*60_000
			cs := candles(t, m, sym, cc.Interval1s, start, end, far)
			ts := trades(t, m, cc.TradeQuery{Symbol: sym, Start: start * us, End: end * us})
			checkTape(t, ts, lot)
			id0, err := m.FirstTradeID(ctx, sym, start*us)
			if err != nil {
				t.Fatal(err)
			}
			var n int64
			k := 0
			for _, c := range cs {
				f, err := m.FirstTradeID(ctx, sym, c.OpenTime*us)
				if err != nil || f != id0+n {
					t.Fatalf("%s %s: FirstTradeID(%d) = %d, %v; want %d", ex, sym, c.OpenTime, f, err, id0+n)
				}
				for j := int64(0); j < c.Trades; j++ {
					tr := ts[k]
					if tr.ID != f+j || tr.Time/1000/1000 != c.OpenTime/1000 {
						t.Fatalf("%s %s: trade %+v is not trade %d of the second at %d", ex, sym, tr, j, c.OpenTime)
					}
					k++
				}
				n += c.Trades
			}
			if k != len(ts) {
				t.Fatalf("%s %s: %d trades, the candles count %d", ex, sym, len(ts), k)
			}
		}
	}
}

// Ids jump between 4096-day blocks but still increase, and queries by id
// or time join across the jump.
func TestTradeIDsAcrossRootBlocks(t *testing.T) {
	m := tapeMarket(5, "binance_spot")
	root := int64(4096) * 86_400_000
	b := (ms("2030-01-01T00:00:00Z") / root) * root // a block boundary
	if b < ms("2020-01-01T00:00:00Z") {
		b += root
	}
	start, end := (b-20_000)*us, (b+20_000)*us
	ts := trades(t, m, cc.TradeQuery{Symbol: "BTCUSDT", Start: start, End: end})
	if len(ts) < 20 {
		t.Fatalf("%d trades around a block boundary", len(ts))
	}
	_, lot, _ := m.TickSize("BTCUSDT")
	checkTape(t, ts, lot)
	jump := -1
	for i := 1; i < len(ts); i++ {
		if ts[i].ID != ts[i-1].ID+1 {
			jump = i
		}
	}
	if jump < 0 || ts[jump].Time < b*us || ts[jump-1].Time >= b*us {
		t.Fatalf("no id jump at the block boundary (at %d)", jump)
	}
	// Newest across the jump: the last 10 before a point just after it.
	cut := ts[jump+3].ID
	got := trades(t, m, cc.TradeQuery{Symbol: "BTCUSDT", ToID: cut, Newest: true, Limit: 10})
	if len(got) != 10 || !slices.Equal(got, ts[jump+3-10:jump+3]) {
		t.Fatalf("newest 10 before %d across the block boundary: %v", cut, ids(got))
	}
	// Oldest from an id before the jump.
	got = trades(t, m, cc.TradeQuery{Symbol: "BTCUSDT", FromID: ts[jump-2].ID, Limit: 5})
	if !slices.Equal(got, ts[jump-2:jump+3]) {
		t.Fatalf("5 from %d across the block boundary: %v", ts[jump-2].ID, ids(got))
	}
}

func ids(ts []cc.Trade) []int64 {
	out := make([]int64, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}

// Time and id queries select the same trades: FromID/ToID of a time
// window's trades give it back, and Limit/Newest take its ends.
func TestTradeQueryRoundTrips(t *testing.T) {
	m := tapeMarket(3, "bybit")
	r := rand.New(rand.NewPCG(3, 4))
	for range 40 {
		sym := tapePairs[r.IntN(len(tapePairs))].Symbol
		start := ms("2024-01-01T00:00:00Z")*us + r.Int64N(400*86_400_000_000)
		end := start + 1 + r.Int64N(120_000_000)
		ts := trades(t, m, cc.TradeQuery{Symbol: sym, Start: start, End: end})
		for _, tr := range ts {
			if tr.Time < start || tr.Time >= end {
				t.Fatalf("trade at %d outside [%d, %d)", tr.Time, start, end)
			}
		}
		if len(ts) == 0 {
			continue
		}
		// The trades just outside are outside the window.
		before := trades(t, m, cc.TradeQuery{Symbol: sym, ToID: ts[0].ID, Newest: true, Limit: 1})
		after := trades(t, m, cc.TradeQuery{Symbol: sym, FromID: ts[len(ts)-1].ID + 1, Limit: 1})
		if len(before) != 1 || before[0].Time >= start || len(after) != 1 || after[0].Time < end {
			t.Fatalf("neighbours of [%d, %d): %+v %+v", start, end, before, after)
		}
		byID := trades(t, m, cc.TradeQuery{Symbol: sym, FromID: ts[0].ID, ToID: ts[len(ts)-1].ID + 1})
		if !slices.Equal(byID, ts) {
			t.Fatalf("by id: %d trades, by time %d", len(byID), len(ts))
		}
		n := 1 + r.IntN(len(ts))
		first := trades(t, m, cc.TradeQuery{Symbol: sym, Start: start, End: end, Limit: n})
		last := trades(t, m, cc.TradeQuery{Symbol: sym, Start: start, End: end, Limit: n, Newest: true})
		if !slices.Equal(first, ts[:n]) || !slices.Equal(last, ts[len(ts)-n:]) {
			t.Fatalf("limit %d of %d: first %v last %v", n, len(ts), ids(first), ids(last))
		}
		// FirstTradeID of a trade's time is the first trade of its
		// taker order (the prints of one order share the time).
		tr := ts[r.IntN(len(ts))]
		f, err := m.FirstTradeID(context.Background(), sym, tr.Time)
		if err != nil || f > tr.ID || (f < tr.ID && ts[sort.Search(len(ts), func(i int) bool { return ts[i].ID >= f })].Time != tr.Time) {
			t.Fatalf("FirstTradeID(%d) = %d for trade %+v", tr.Time, f, tr)
		}
	}
}

// Now: no trade after it, and none from the second in progress, as the 1s
// candles of Candles.
func TestTradesStopAtNow(t *testing.T) {
	m := tapeMarket(1, "binance_spot")
	now := ms("2025-06-01T12:00:00Z") + 37_512 // ms, inside a second
	start := now - 30_512
	ts := trades(t, m, cc.TradeQuery{Symbol: "BTCUSDT", Start: start * us, Now: now * us})
	cs := candles(t, m, "BTCUSDT", cc.Interval1s, start, now+1, now)
	var n int64
	for _, c := range cs {
		if c.Closed {
			n += c.Trades
		} else if c.Trades != 0 {
			t.Fatalf("the second in progress has %d trades", c.Trades)
		}
	}
	if int64(len(ts)) != n || len(ts) == 0 {
		t.Fatalf("%d trades up to now, the closed 1s candles count %d", len(ts), n)
	}
	if last := ts[len(ts)-1]; last.Time >= (now/1000)*1000*us {
		t.Fatalf("a trade at %d in the second in progress (now %d)", last.Time, now)
	}
	newest := trades(t, m, cc.TradeQuery{Symbol: "BTCUSDT", Now: now * us, Newest: true, Limit: 7})
	if !slices.Equal(newest, ts[len(ts)-7:]) {
		t.Fatalf("newest 7 at now: %v, want %v", ids(newest), ids(ts[len(ts)-7:]))
	}
}

func TestTradesDeterministic(t *testing.T) {
	q := cc.TradeQuery{Symbol: "ETHUSDT", Start: ms("2025-02-03T04:05:06Z") * us, Limit: 500}
	a := trades(t, tapeMarket(9, "okx"), q)
	b := trades(t, tapeMarket(9, "okx"), q)
	c := trades(t, tapeMarket(10, "okx"), q)
	d := trades(t, tapeMarket(9, "bybit"), q)
	if len(a) != 500 || !slices.Equal(a, b) {
		t.Fatal("the same market gave different trades")
	}
	if slices.Equal(a, c) || slices.Equal(a, d) {
		t.Fatal("another seed or exchange gave the same trades")
	}
}

// Sizes: many small, a heavy tail; prints cluster in time.
func TestTradeSizesAndClustering(t *testing.T) {
	m := tapeMarket(2, "binance_spot")
	ts := trades(t, m, cc.TradeQuery{Symbol: "BTCUSDT", Start: ms("2025-04-02T14:00:00Z") * us, Limit: 50_000})
	sz := make([]float64, len(ts))
	var gaps []int64
	for i, tr := range ts {
		sz[i] = tr.Size.Float64()
		if i > 0 && tr.Time != ts[i-1].Time && tr.Time/1e6 == ts[i-1].Time/1e6 {
			gaps = append(gaps, tr.Time-ts[i-1].Time)
		}
	}
	slices.Sort(sz)
	med, q99 := sz[len(sz)/2], sz[len(sz)*99/100]
	if q99/med < 10 {
		t.Fatalf("size q99/median %.1f: no heavy tail (median %g, q99 %g)", q99/med, med, q99)
	}
	slices.Sort(gaps)
	g50, g90 := gaps[len(gaps)/2], gaps[len(gaps)*9/10]
	if g90 < 5*g50 {
		t.Fatalf("gaps inside a second: median %dµs, q90 %dµs: no bursts", g50, g90)
	}
	t.Logf("sizes: median %g q99 %g (×%.0f); gaps median %dµs q90 %dµs", med, q99, q99/med, g50, g90)
}

// Every taker order meets the touch: Touch at its time has the ask at a
// buy's first price (the bid at a sell's), and the bid below the ask.
func TestTouchAgreesWithTrades(t *testing.T) {
	ctx := context.Background()
	for _, p := range tapePairs {
		m := tapeMarket(4, "binance_spot")
		ts := trades(t, m, cc.TradeQuery{Symbol: p.Symbol, Start: ms("2025-05-05T15:00:00Z") * us, Limit: 400})
		spreads := map[int64]int{}
		tick, _, _ := m.TickSize(p.Symbol)
		for i, tr := range ts {
			if i > 0 && ts[i-1].Time == tr.Time {
				continue // inside a taker order
			}
			th, err := m.Touch(ctx, p.Symbol, tr.Time)
			if err != nil {
				t.Fatal(err)
			}
			at := th.Ask
			if tr.BuyerMaker {
				at = th.Bid
			}
			if at != tr.Price || th.Bid.Cmp(th.Ask) >= 0 || th.BidSize.IsZero() || th.AskSize.IsZero() {
				t.Fatalf("%s: trade %+v against touch %+v", p.Symbol, tr, th)
			}
			// The level the order took holds at least what printed there.
			lvl := th.AskSize
			if tr.BuyerMaker {
				lvl = th.BidSize
			}
			printed := cc.NewDecimal(0, int(tr.Size.Scale))
			for j := i; j < len(ts) && ts[j].Time == tr.Time && ts[j].Price == tr.Price; j++ {
				printed = printed.Add(ts[j].Size)
			}
			if lvl.Cmp(printed) < 0 {
				t.Fatalf("%s: %s printed at a level holding %s", p.Symbol, printed, lvl)
			}
			spreads[(th.Ask.Units-th.Bid.Units)/tick.Units]++ // same scale
			// Just after the order, the touch is the one it left: the
			// last print at the taker's side.
			e := i
			for e+1 < len(ts) && ts[e+1].Time == tr.Time {
				e++
			}
			after, err := m.Touch(ctx, p.Symbol, tr.Time+1)
			if err != nil {
				t.Fatal(err)
			}
			if e+1 == len(ts) || ts[e+1].Time == tr.Time+1 {
				continue // (the order may go on past the window; the next follows within 1µs)
			}
			side := after.Ask
			if tr.BuyerMaker {
				side = after.Bid
			}
			if side != ts[e].Price {
				t.Fatalf("%s: after order %+v the touch is %+v", p.Symbol, ts[e], after)
			}
		}
		t.Logf("%s: spreads in ticks %v", p.Symbol, spreads)
	}
}

func TestTapeErrors(t *testing.T) {
	ctx := context.Background()
	m := tapeMarket(1, "binance_spot")
	if _, err := m.Trades(ctx, cc.TradeQuery{Symbol: "NOPE", Start: 1}); !errors.Is(err, cc.ErrUnknownSymbol) {
		t.Fatalf("unknown symbol: %v", err)
	}
	if _, err := m.Touch(ctx, "NOPE", 1); !errors.Is(err, cc.ErrUnknownSymbol) {
		t.Fatalf("unknown symbol: %v", err)
	}
	if _, err := m.FirstTradeID(ctx, "NOPE", 1); !errors.Is(err, cc.ErrUnknownSymbol) {
		t.Fatalf("unknown symbol: %v", err)
	}
	if _, err := m.Trades(ctx, cc.TradeQuery{Symbol: "BTCUSDT", End: 5e15}); err == nil {
		t.Fatal("no lower bound and not newest: no error")
	}
	if _, err := m.Trades(ctx, cc.TradeQuery{Symbol: "BTCUSDT", Start: 5e15, Limit: -1}); err == nil {
		t.Fatal("negative limit: no error")
	}
	c, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := m.Trades(c, cc.TradeQuery{Symbol: "BTCUSDT", Start: 1.7e15, End: 1.7e15 + 86_400e6}); !errors.Is(err, context.Canceled) {
		t.Fatalf("a day of trades under a cancelled context: %v", err)
	}
}

// FuzzTradeQuery: any query answers without panicking, and what it
// answers lies within its bounds, in order, at most Limit.
func FuzzTradeQuery(f *testing.F) {
	m := tapeMarket(1, "binance_spot")
	base := ms("2025-01-01T00:00:00Z") * us
	f.Add(int64(0), int64(5_000_000), int64(0), int64(0), 10, false, int64(0))
	f.Add(int64(-3), int64(0), int64(0), int64(0), 5, true, int64(9_000_000))
	f.Add(int64(0), int64(0), int64(1), int64(0), 3, false, int64(0))
	f.Fuzz(func(t *testing.T, start, end, fromID, toID int64, limit int, newest bool, now int64) {
		if limit > 2000 || limit < -1 {
			limit %= 2000
		}
		// Times as offsets from 2025, ids as offsets from its first id,
		// most of the time, so that the fuzzer reaches real trades.
		id0, _ := m.FirstTradeID(context.Background(), "XRPUSDT", base)
		q := cc.TradeQuery{Symbol: "XRPUSDT", Limit: limit, Newest: newest}
		off := func(v, b, span int64) int64 {
			if v == 0 {
				return 0
			}
			return b + v%span
		}
		q.Start, q.End, q.Now = off(start, base, 1e9), off(end, base, 1e9), off(now, base, 1e9)
		q.FromID, q.ToID = off(fromID, id0, 5000), off(toID, id0, 5000)
		if q.Limit == 0 && q.Start != 0 && (q.End == 0 || q.End-q.Start > 1e9) && q.ToID == 0 && q.Now == 0 {
			q.Limit = 100 // unbounded windows are the caller's to avoid
		}
		ts, err := m.Trades(context.Background(), q)
		if err != nil {
			return
		}
		if q.Limit > 0 && len(ts) > q.Limit {
			t.Fatalf("%d trades over limit %d", len(ts), q.Limit)
		}
		for i, tr := range ts {
			if (q.Start != 0 && tr.Time < q.Start) || (q.End != 0 && tr.Time >= q.End) ||
				(q.FromID != 0 && tr.ID < q.FromID) || (q.ToID != 0 && tr.ID >= q.ToID) ||
				(q.Now != 0 && tr.Time > q.Now) || (i > 0 && tr.ID <= ts[i-1].ID) {
				t.Fatalf("trade %+v outside %+v", tr, q)
			}
		}
	})
}

// leafFeasible reports the necessary conditions for a 1s candle to have a
// tape: a trade for each of o, h, l and c that differ, a lot per trade,
// one side only for a single trade, each side's quote volume between its
// volume at the low and at the high.
func leafFeasible(c cc.Candle) bool {
	N := c.Trades
	o, h, l, cl := c.Open.Units, c.High.Units, c.Low.Units, c.Close.Units
	V, B, Q, TQ := c.Volume.Units, c.TakerBuyBase.Units, c.QuoteVolume.Units, c.TakerBuyQuote.Units
	if N == 0 {
		return V == 0 && Q == 0 && o == h && h == l && l == cl
	}
	pins := int64(1)
	if h != l {
		pins = 2
		if h != o && h != cl {
			pins++
		}
		if l != o && l != cl {
			pins++
		}
	}
	S := V - B
	return V >= N && N >= pins && (N >= 2 || B == 0 || S == 0) &&
		TQ >= B*l && TQ <= B*h && Q-TQ >= S*l && Q-TQ <= S*h
}

// aggPairs are TestTradesAggregateToCandles' pairs: ticks from 0.01 to
// 0.0001 and lots from 0.00001 to 1 (BTC, ETH, SOL, XRP at 0.6, DOGE at
// 0.15 and a default altcoin).
var aggPairs = []cc.Pair{
	{Base: "BTC", Quote: "USDT", Symbol: "BTCUSDT"},
	{Base: "ETH", Quote: "USDT", Symbol: "ETHUSDT"},
	{Base: "SOL", Quote: "USDT", Symbol: "SOLUSDT"},
	{Base: "XRP", Quote: "USDT", Price: 0.6, Symbol: "XRPUSDT"},
	{Base: "DOGE", Quote: "USDT", Price: 0.15, Symbol: "DOGEUSDT"},
	{Base: "FOO", Quote: "USDT", Symbol: "FOOUSDT"},
}

// The trades of every second aggregate to its 1s candle, and a minute's
// to its 1m candle: over 605k seconds of three seeds, four venues, six
// pairs of ticks from 0.01 to 0.0001 and lots from 0.00001 to 1, a quiet
// hour (a weekend night, on a different day for each seed), a busy one
// (a weekday afternoon) and, for the first seed, the hour of the largest
// 1m move of a month (a jump). Always: the count, the times inside the
// second, prices inside [low, high], at least a lot each, and the volume
// and taker-buy volume whenever a candle can split them (two trades or
// more, or one side). Every field exactly, in every second with trades
// of this sample (525300: 9 were not before free sweeps folded in the
// repair's last try, exactLots took any two leaves trading a side at one
// price and shiftLots carried on with the donors that make up most; 76
// before the blocks whose minutes are all quiet moved lots between their
// minutes and spread their difference over them, 541 before lots moved
// between a minute's leaves, absorbBand, pinSides and innerOrders; 99.54%
// exact before days and 6-hour blocks aimed their VWAP at their path's;
// on the narrower sample this test had before, 42% before the splits gave
// leaves a trade per price, 85.2% before the exact repair and
// minuteLeaves, 99.3% before quiet minutes and adjust). The test allows
// no miss on the baseline amd64 build, whose candles the golden
// fingerprints pin, five elsewhere (fused multiply-adds move the last bits
// of a draw, so the path), and 99.9% of the minutes with trades. Other
// samples are not all exact (see doc.go).
func TestTradesAggregateToCandles(t *testing.T) {
	type hours struct{ quiet, busy string }
	days := map[uint64]hours{
		1: {"2025-03-02T04:00:00Z", "2025-03-05T15:00:00Z"}, // a Sunday night, a Wednesday afternoon
		2: {"2025-06-14T02:00:00Z", "2025-06-17T14:00:00Z"}, // a Saturday night, a Tuesday afternoon
		3: {"2026-01-04T05:00:00Z", "2026-01-08T16:00:00Z"}, // a Sunday night, a Thursday afternoon
	}
	var total, trading, feasible, exact, big, bigExact, mid, midExact, minutes, minutesExact int
	missByN := map[string]int{} // feasible, not exact, by trade count
	missBySym := map[string]int{}
	for _, seed := range []uint64{1, 2, 3} {
		for _, ex := range []string{"binance_spot", "okx_spot", "kraken_spot", "hyperliquid_perpetual"} {
			m := synth.New(synth.Options{Seed: seed, Exchange: ex, Pairs: aggPairs})
			for _, p := range aggPairs {
				starts := []int64{ms(days[seed].quiet), ms(days[seed].busy)}
				if seed == 1 {
					starts = append(starts, jumpHour(t, m, p.Symbol, ms("2025-04-01T00:00:00Z")))
				}
				for _, start := range starts {
					end := start + 3_600_000
					cs := candles(t, m, p.Symbol, cc.Interval1s, start, end, far)
					ts := trades(t, m, cc.TradeQuery{Symbol: p.Symbol, Start: start * us, End: end * us})
					k := 0
					minuteOK, minuteTrades := true, 0
					for i, c := range cs {
						total++
						if err := quoteSane(c); err != nil {
							t.Errorf("%s: %v", p.Symbol, err)
						}
						n := int(c.Trades)
						if k+n > len(ts) {
							t.Fatalf("%s: %d trades, the candles count more", p.Symbol, len(ts))
						}
						sec := ts[k : k+n]
						k += n
						for _, tr := range sec {
							if tr.Time <= c.OpenTime*us || tr.Time >= (c.OpenTime+1000)*us {
								t.Fatalf("%s: trade %+v outside the second at %d", p.Symbol, tr, c.OpenTime)
							}
							if px := tr.Price.Units; px < c.Low.Units || px > c.High.Units || tr.Size.Units < 1 {
								t.Fatalf("%s: trade %+v outside candle %+v", p.Symbol, tr, c)
							}
						}
						ok := true
						if n > 0 {
							trading++
							var vol, tbb int64
							ok, vol, tbb = secondExact(c, sec)
							if n >= 2 || c.TakerBuyBase.Units == 0 || c.TakerBuyBase == c.Volume {
								if vol != c.Volume.Units || tbb != c.TakerBuyBase.Units {
									t.Fatalf("%s: second %d: volume %d/%d taker-buy %d/%d", p.Symbol, c.OpenTime, vol, c.Volume.Units, tbb, c.TakerBuyBase.Units)
								}
							}
							if ok {
								exact++
							} else {
								missBySym[p.Symbol]++
							}
							if leafFeasible(c) {
								feasible++
								if !ok {
									b := "40+"
									switch {
									case n < 10:
										b = string(rune('0' + n))
									case n < 40:
										b = "10-39"
									}
									missByN[b]++
								}
								if n >= 40 {
									big++
									if ok {
										bigExact++
									}
								}
								if n >= 10 {
									mid++
									if ok {
										midExact++
									}
								}
							} else if ok {
								t.Fatalf("%s: an exact tape for a candle leafFeasible refuses: %+v", p.Symbol, c)
							}
						}
						minuteOK = minuteOK && ok
						minuteTrades += n
						if i%60 == 59 {
							if minuteTrades > 0 {
								minutes++
								if minuteOK {
									minutesExact++
								}
							}
							minuteOK, minuteTrades = true, 0
						}
					}
					if k != len(ts) {
						t.Fatalf("%s: %d trades, the candles count %d", p.Symbol, len(ts), k)
					}
				}
			}
		}
	}
	t.Logf("%d seconds, %d with trades: %d pass leafFeasible, %d exact (%.2f%% of trading, %.2f%% of feasible); 40+ trades: %d/%d exact; 10+: %d/%d; minutes with trades: %d/%d exact (%.2f%%)",
		total, trading, feasible, exact, 100*float64(exact)/float64(trading), 100*float64(exact)/float64(feasible), bigExact, big,
		midExact, mid, minutesExact, minutes, 100*float64(minutesExact)/float64(minutes))
	t.Logf("feasible but not exact, by trade count: %v; seconds not exact by pair: %v", missByN, missBySym)
	if total < 500_000 {
		t.Fatalf("only %d seconds", total)
	}
	if big != bigExact {
		t.Fatalf("%d of %d feasible seconds with 40+ trades have no exact tape", big-bigExact, big)
	}
	if miss := mid - midExact; miss*30000 > mid {
		t.Fatalf("%d of %d feasible seconds with 10+ trades have no exact tape", miss, mid)
	}
	if miss := trading - exact; miss > tapeMissesAllowed {
		t.Fatalf("%d of %d seconds with trades not exact, over %d (%v)", miss, trading, tapeMissesAllowed, missBySym)
	}
	if minutesExact*1000 < minutes*999 {
		t.Fatalf("%d of %d minutes with trades exact, below 99.9%%", minutesExact, minutes)
	}
	if feasible*10000 < trading*9999 {
		t.Fatalf("%d of %d seconds with trades pass leafFeasible, below 99.99%%", feasible, trading)
	}
}

// jumpHour is the open of the hour holding the largest 1m move of sym in
// the 30 days from start.
func jumpHour(t *testing.T, m *synth.Market, sym string, start int64) int64 {
	t.Helper()
	cs := candles(t, m, sym, cc.Interval1m, start, start+30*86_400_000, far)
	best, at := 0.0, start
	for _, c := range cs {
		if r := math.Abs(math.Log(c.Close.Float64() / c.Open.Float64())); r > best {
			best, at = r, c.OpenTime
		}
	}
	return at / 3_600_000 * 3_600_000
}

// secondExact reports whether the trades sec of a second aggregate
// exactly to its 1s candle c (at least a trade), with their volume and
// taker-buy volume.
func secondExact(c cc.Candle, sec []cc.Trade) (ok bool, vol, tbb int64) {
	var qv, tbq int64
	hi, lo := int64(0), int64(1)<<62
	for _, tr := range sec {
		px, sz := tr.Price.Units, tr.Size.Units
		vol += sz
		qv += px * sz
		hi, lo = max(hi, px), min(lo, px)
		if !tr.BuyerMaker {
			tbb += sz
			tbq += px * sz
		}
	}
	ok = sec[0].Price == c.Open && sec[len(sec)-1].Price == c.Close && hi == c.High.Units && lo == c.Low.Units &&
		vol == c.Volume.Units && qv == c.QuoteVolume.Units && tbb == c.TakerBuyBase.Units && tbq == c.TakerBuyQuote.Units
	return ok, vol, tbb
}

// TestTradesAggregateToCandlesWide (CC_LONG_TAPE=1, about a minute) is
// TestTradesAggregateToCandles' exactness on samples it was not tuned on,
// its six pairs at hours spread over a year, every second not exact
// listed:
//   - 2025: seeds 4-9, bybit_spot, gate_spot, kucoin_spot,
//     binance_perpetual: every one of 907,536 seconds with trades (131
//     not exact at a642d59, 9 before the seconds of a minute took what
//     the others could not hold only as far as leaves a lot for their
//     pinned prices, 4 before VWAPs kept a quarter of their range off its
//     ends rather than a fifth, 6 before minutes carried what their
//     leaves could not hold to a sibling: carry.go);
//   - 2024: seeds 10-39, okx_perpetual, mexc_spot, coinbase_spot,
//     hyperliquid_spot, kraken_spot: every one of 5,683,893 (1,225 at
//     a642d59, 864 before busy minutes shared volume ahead of taking
//     their lows as VWAPs, 430 before the pinned prices, 207 before the
//     quarter, 94 before carry.go);
//   - 2023 and 2026, the samples carry.go was checked on once it was
//     tuned on the two above (seeds 40-79, ten other venue names):
//     every one of 3,717,946 in 2023 and of 3,728,941 in 2026 (2 and 8
//     not exact before the minutes of under 160 trades were split ahead
//     whatever their range, then 0 and 6: a minute whose one-trade
//     seconds took both sides, partOneTrades).
//
// Each sample fails over 0.0002% (on amd64 all are exact; fused
// multiply-adds elsewhere move the last bits of a draw).
func TestTradesAggregateToCandlesWide(t *testing.T) {
	if os.Getenv("CC_LONG_TAPE") == "" {
		t.Skip("CC_LONG_TAPE=1 runs it")
	}
	for _, sm := range wideSamples {
		var trading, miss int
		bySym := map[string]int{}
		sm.eachHour(func(seed uint64, ex string, m *synth.Market, p cc.Pair, start int64) {
			cs := candles(t, m, p.Symbol, cc.Interval1s, start, start+3_600_000, far)
			ts := trades(t, m, cc.TradeQuery{Symbol: p.Symbol, Start: start * us, End: (start + 3_600_000) * us})
			k := 0
			for _, c := range cs {
				sec := ts[k : k+int(c.Trades)]
				k += len(sec)
				if len(sec) == 0 {
					continue
				}
				trading++
				if ok, _, _ := secondExact(c, sec); !ok {
					miss++
					bySym[p.Symbol]++
					t.Logf("%s: seed %d %s %s: second %d of %d trades not exact (leafFeasible %v)", sm.name, seed, ex, p.Symbol, c.OpenTime, len(sec), leafFeasible(c))
				}
			}
		})
		t.Logf("%s: %d of %d seconds with trades not exact: %v", sm.name, miss, trading, bySym)
		if float64(miss) > sm.max*float64(trading) {
			t.Errorf("%s: %d of %d seconds with trades not exact, over %g%%", sm.name, miss, trading, 100*sm.max)
		}
	}
}

// wideSample is one of the wide tape samples: its seeds, venues and the
// hours of a year its draw spans, with a stride.
type wideSample struct {
	name        string
	seeds       [2]uint64
	venues      []string
	year        string
	hours, mult uint64
	max         float64 // the share of seconds TestTradesAggregateToCandlesWide lets miss
}

var wideSamples = []wideSample{
	{"2025", [2]uint64{4, 10}, []string{"bybit_spot", "gate_spot", "kucoin_spot", "binance_perpetual"}, "2025-01-01T00:00:00Z", 8000, 7919, 0.000002},
	{"2024", [2]uint64{10, 40}, []string{"okx_perpetual", "mexc_spot", "coinbase_spot", "hyperliquid_spot", "kraken_spot"}, "2024-01-01T00:00:00Z", 17000, 6151, 0.000002},
	{"2023", [2]uint64{40, 60}, []string{"gate_io_spot", "bybit_perpetual", "okx_spot", "kucoin_perpetual", "ascend_ex_spot"}, "2023-01-01T00:00:00Z", 8700, 5003, 0.000002},
	{"2026", [2]uint64{60, 80}, []string{"binance_spot", "gate_io_perpetual", "mexc_perpetual", "hyperliquid_perpetual", "coinbase_advanced_trade"}, "2026-01-01T00:00:00Z", 8000, 7001, 0.000002},
}

// eachHour calls f with the market of each seed and venue of the sample
// and the start of each of its hours (two per seed, venue and pair of
// aggPairs).
func (sm wideSample) eachHour(f func(seed uint64, ex string, m *synth.Market, p cc.Pair, start int64)) {
	for seed := sm.seeds[0]; seed < sm.seeds[1]; seed++ {
		for _, ex := range sm.venues {
			m := synth.New(synth.Options{Seed: seed, Exchange: ex, Pairs: aggPairs})
			for _, p := range aggPairs {
				for h := uint64(0); h < 2; h++ {
					f(seed, ex, m, p, ms(sm.year)+int64((seed*sm.mult+h*104729+uint64(len(ex))*31)%sm.hours)*3_600_000)
				}
			}
		}
	}
}

// A leaf that absorbs widens its range inside its minute's when the
// minute's leaves cannot reach its quote volume otherwise (widenLeaf): a
// kucoin XRPUSDT minute of 246 trades of a lot or two, whose sells missed
// by 22 units, the whole of it dumped on its 72-trade second (o = h 3450,
// l = c 3449), which no tape then matched. That second then printed a
// high a tick above its open and aggregated exactly, and the minute kept
// its high. (Since VWAPs keep a quarter of their range off its ends, not
// a fifth, the second has 27 trades, and still widens.)
func TestALeafWidensToTakeWhatItsMinuteMisses(t *testing.T) {
	m := synth.New(synth.Options{Seed: 9, Exchange: "kucoin_spot", Pairs: aggPairs})
	const minute = int64(1763092860000)
	m1 := candles(t, m, "XRPUSDT", cc.Interval1m, minute, minute+60_000, far)[0]
	cs := candles(t, m, "XRPUSDT", cc.Interval1s, minute, minute+1000, far)
	c := cs[0]
	if c.Trades != 27 || c.Open.Units != 3450 || c.Low.Units != 3449 || c.Close.Units != 3449 {
		t.Fatalf("the second is not the one this test is about: %+v", c)
	}
	if c.High.Units <= c.Open.Units || c.High.Units > m1.High.Units {
		t.Fatalf("high %d: not widened above its open %d within the minute's high %d", c.High.Units, c.Open.Units, m1.High.Units)
	}
	ts := trades(t, m, cc.TradeQuery{Symbol: "XRPUSDT", Start: minute * us, End: (minute + 1000) * us})
	if ok, _, _ := secondExact(c, ts); !ok {
		t.Fatalf("the widened second's trades do not aggregate to it: %+v", c)
	}
}

// A 15-minute block's busy minutes take what its quiet minutes' leaves
// leave of its quote volume; where that put their VWAPs on their lows,
// volume moves between them first (shiftBusy), and the quiet minutes move
// within their room before the busy ones leave the middle of their
// ranges. Traced on seed 19 FOOUSDT at 2024-02-11T17:00Z: the minute at
// 17:04 (o 5709, h 5715, l 5709, c 5715 on okx_perpetual) had its low as
// its VWAP, and 128 seconds of the block on okx_perpetual and 138 on
// coinbase_spot had trades that did not aggregate to them. Now the busy
// minutes' VWAPs lie at least a twentieth of their range inside it, and
// every second of both blocks is exact (11 and 3 were not at 3947ac2,
// before minutes carried what their leaves could not hold).
func TestBusyMinutesKeepTheirVWAPsOffTheirExtremes(t *testing.T) {
	const block = int64(1707670800000)
	for _, tc := range []struct {
		ex     string
		atMost int
	}{{"okx_perpetual", 0}, {"coinbase_spot", 0}} {
		m := synth.New(synth.Options{Seed: 19, Exchange: tc.ex, Pairs: aggPairs})
		for _, c := range candles(t, m, "FOOUSDT", cc.Interval1m, block, block+900_000, far) {
			if c.Trades < 80 || c.High == c.Low {
				continue // quiet: its quote volume is its leaves'
			}
			V, q, h, l := c.Volume.Units, c.QuoteVolume.Units, c.High.Units, c.Low.Units
			if m := V * (h - l) / 20; q < V*l+m || q > V*h-m {
				t.Errorf("%s: the busy minute at %d has its VWAP %.3f within a twentieth of its range [%d, %d] of an end", tc.ex, c.OpenTime, float64(q)/float64(V), l, h)
			}
		}
		if miss := blockMisses(t, m, "FOOUSDT", block); miss > tc.atMost {
			t.Errorf("%s: %d seconds of the block not exact, over %d", tc.ex, miss, tc.atMost)
		}
	}
}

// A 15-minute block splits ahead each minute whose leaves may not hold
// its quote volumes, and gives what they cannot hold to a sibling
// (carry.go). Each block below had seconds whose trades did not
// aggregate to them before (found on the wide tape samples, and the
// BTCUSDT one on a sample of 2026 hours: a minute of 130 trades over 505
// ticks); now every second of each is exact, and so is every minute.
func TestMinutesCarryWhatTheirLeavesCannotHold(t *testing.T) {
	for _, tc := range []struct {
		seed   uint64
		ex     string
		symbol string
		block  int64
		missed int // seconds not exact before carry.go
	}{
		{37, "coinbase_spot", "XRPUSDT", 1739055600000, 1},
		{12, "mexc_spot", "FOOUSDT", 1735821000000, 2},
		{14, "kraken_spot", "DOGEUSDT", 1719130500000, 11},
		{9, "kucoin_spot", "XRPUSDT", 1763092800000, 1},
		{74, "coinbase_advanced_trade", "BTCUSDT", 1791661500000, 1},
	} {
		m := synth.New(synth.Options{Seed: tc.seed, Exchange: tc.ex, Pairs: aggPairs})
		end := tc.block + 900_000
		if miss := blockMisses(t, m, tc.symbol, tc.block); miss > 0 {
			t.Errorf("seed %d %s %s, block at %d: %d seconds not exact (%d before carry.go)", tc.seed, tc.ex, tc.symbol, tc.block, miss, tc.missed)
		}
		cs := candles(t, m, tc.symbol, cc.Interval1s, tc.block, end, far)
		var sum cc.Candle
		for i, c := range candles(t, m, tc.symbol, cc.Interval1m, tc.block, end, far) {
			var qv, tbq int64
			for _, s := range cs[i*60 : (i+1)*60] {
				qv += s.QuoteVolume.Units
				tbq += s.TakerBuyQuote.Units
			}
			if qv != c.QuoteVolume.Units || tbq != c.TakerBuyQuote.Units {
				t.Errorf("seed %d %s %s: the minute at %d is not its seconds' sum", tc.seed, tc.ex, tc.symbol, c.OpenTime)
			}
			sum.QuoteVolume.Units += c.QuoteVolume.Units
			sum.TakerBuyQuote.Units += c.TakerBuyQuote.Units
		}
		b := candles(t, m, tc.symbol, cc.Interval15m, tc.block, end, far)[0]
		if sum.QuoteVolume.Units != b.QuoteVolume.Units || sum.TakerBuyQuote.Units != b.TakerBuyQuote.Units {
			t.Errorf("seed %d %s %s: the block's minutes do not sum to it", tc.seed, tc.ex, tc.symbol)
		}
	}
}

// A minute whose seconds of a single trade are all it has to take their
// taker sides parts them into buys and sells (partOneTrades). Found on
// the 2026 wide sample: seed 64 mexc_perpetual FOOUSDT at 03:43Z, a
// minute of three one-trade seconds and taker buys no subset of them
// held; each second was served both a buy and a sell (the taker-buy
// volume 37 of 88 for one trade), its trades could not make it, and the
// block's taker buys' quote volume had been dumped on it (buys at
// 8723.13 in a minute that traded at 8905 only).
func TestOneTradeSecondsTakeOneSide(t *testing.T) {
	m := synth.New(synth.Options{Seed: 64, Exchange: "mexc_perpetual", Pairs: aggPairs})
	const block = int64(1771644600000)
	cs := candles(t, m, "FOOUSDT", cc.Interval1s, block, block+900_000, far)
	ts := trades(t, m, cc.TradeQuery{Symbol: "FOOUSDT", Start: block * us, End: (block + 900_000) * us})
	k, ones := 0, 0
	for _, c := range cs {
		sec := ts[k : k+int(c.Trades)]
		k += len(sec)
		if len(sec) == 0 {
			continue
		}
		if c.Trades == 1 {
			ones++
			if b := c.TakerBuyBase.Units; b != 0 && b != c.Volume.Units {
				t.Errorf("the one-trade second at %d is %d of %d lots a buy", c.OpenTime, b, c.Volume.Units)
			}
		}
		if ok, _, _ := secondExact(c, sec); !ok {
			t.Errorf("the second at %d (%d trades) is not its trades' aggregate", c.OpenTime, c.Trades)
		}
	}
	for _, c := range candles(t, m, "FOOUSDT", cc.Interval1m, block, block+900_000, far) {
		B, S := c.TakerBuyBase.Units, c.Volume.Units-c.TakerBuyBase.Units
		tb := c.TakerBuyQuote.Units
		if tb < B*c.Low.Units || tb > B*c.High.Units || c.QuoteVolume.Units-tb < S*c.Low.Units || c.QuoteVolume.Units-tb > S*c.High.Units {
			t.Errorf("the minute at %d has its buys' or sells' VWAP outside its range: %+v", c.OpenTime, c)
		}
	}
	if ones == 0 {
		t.Fatal("no one-trade second in the block: not the block this test is about")
	}
}

// blockMisses is how many seconds with trades of the 15-minute block of
// symbol starting at block (ms) are not their trades' aggregate.
func blockMisses(t *testing.T, m *synth.Market, symbol string, block int64) int {
	t.Helper()
	cs := candles(t, m, symbol, cc.Interval1s, block, block+900_000, far)
	if len(cs) != 900 {
		t.Fatalf("%d 1s candles in a block", len(cs))
	}
	ts := trades(t, m, cc.TradeQuery{Symbol: symbol, Start: block * us, End: (block + 900_000) * us})
	k, miss := 0, 0
	for _, c := range cs {
		sec := ts[k : k+int(c.Trades)]
		k += len(sec)
		if len(sec) > 0 {
			if ok, _, _ := secondExact(c, sec); !ok {
				miss++
			}
		}
	}
	return miss
}
