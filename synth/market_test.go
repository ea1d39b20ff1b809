package synth_test

import (
	"context"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/synth"
)

var ctx = context.Background()

// far is a "now" after every window the tests ask for.
const far = int64(1) << 50

func ms(s string) int64 {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UnixMilli()
}

func pairs() []cc.Pair {
	return []cc.Pair{
		{Base: "BTC", Quote: "USDT", Price: 50000, Symbol: "BTCUSDT"},
		{Base: "ETH", Quote: "USDT", Price: 3000, Symbol: "ETHUSDT"},
		{Base: "XRP", Quote: "USDT", Price: 0.6, Symbol: "XRPUSDT"},
	}
}

func newMarket(seed uint64) *synth.Market {
	return synth.New(synth.Options{Seed: seed, Exchange: "binance_spot", Pairs: pairs()})
}

func candles(t testing.TB, m *synth.Market, sym string, iv cc.Interval, start, end, now int64) []cc.Candle {
	t.Helper()
	cs, err := m.Candles(ctx, sym, iv, start, end, now)
	if err != nil {
		t.Fatalf("Candles(%s, %s): %v", sym, iv, err)
	}
	return cs
}

func TestSameSeedGivesIdenticalCandles(t *testing.T) {
	a, b, other := newMarket(42), newMarket(42), newMarket(43)
	start := ms("2025-03-01T00:00:00Z")
	for _, iv := range []cc.Interval{cc.Interval1s, cc.Interval1m, cc.Interval1h, cc.Interval1d, cc.Interval1M} {
		end := start + 200*iv.Millis()
		x := candles(t, a, "BTCUSDT", iv, start, end, far)
		y := candles(t, b, "BTCUSDT", iv, start, end, far)
		z := candles(t, other, "BTCUSDT", iv, start, end, far)
		if len(x) == 0 || !reflect.DeepEqual(x, y) {
			t.Errorf("%s: two markets with seed 42 disagree", iv)
		}
		same := 0
		for i := range x {
			if x[i].Close == z[i].Close {
				same++
			}
		}
		if same > len(x)/10 {
			t.Errorf("%s: seeds 42 and 43 share %d of %d closes", iv, same, len(x))
		}
	}
}

func TestCandlesDoNotDependOnTheWindow(t *testing.T) {
	m := newMarket(1)
	start := ms("2025-06-10T13:00:00Z")
	wide := candles(t, m, "ETHUSDT", cc.Interval1m, start-500*60000, start+500*60000, far)
	narrow := candles(t, m, "ETHUSDT", cc.Interval1m, start, start+7*60000, far)
	if !reflect.DeepEqual(narrow, wide[500:507]) {
		t.Fatal("the same minutes differ between a wide and a narrow request")
	}
	// A fresh market, asked for a later window first, agrees too.
	late := candles(t, newMarket(1), "ETHUSDT", cc.Interval1m, start, start+7*60000, far)
	if !reflect.DeepEqual(narrow, late) {
		t.Fatal("a fresh market gives different candles for the same window")
	}
}

// Every interval's candle is exactly the aggregate of its 1m candles.
func TestEveryIntervalAggregatesOneMinuteCandles(t *testing.T) {
	m := newMarket(3)
	start := ms("2024-02-26T00:00:00Z") // a Monday, so weeks align
	for _, iv := range cc.Intervals {
		if iv == cc.Interval1s {
			continue
		}
		n := 3
		if iv.Millis() >= 7*86_400_000 {
			n = 2
		}
		t.Run(string(iv), func(t *testing.T) {
			open := iv.Truncate(start)
			for range n {
				next := iv.Next(open)
				got := candles(t, m, "BTCUSDT", iv, open, next, far)
				mins := candles(t, m, "BTCUSDT", cc.Interval1m, open, next, far)
				if len(got) != 1 || int64(len(mins)) != (next-open)/60000 {
					t.Fatalf("got %d candles and %d minutes", len(got), len(mins))
				}
				want := cc.Aggregate(mins)
				if got[0] != want {
					t.Fatalf("candle at %s:\n got %+v\nwant %+v", time.UnixMilli(open).UTC(), got[0], want)
				}
				open = next
			}
		})
	}
}

func TestSecondsAggregateToMinutes(t *testing.T) {
	m := newMarket(4)
	start := ms("2026-01-05T08:30:00Z")
	for _, sym := range []string{"BTCUSDT", "XRPUSDT"} {
		mins := candles(t, m, sym, cc.Interval1m, start, start+5*60000, far)
		secs := candles(t, m, sym, cc.Interval1s, start, start+5*60000, far)
		if len(secs) != 300 {
			t.Fatalf("%s: %d seconds, want 300", sym, len(secs))
		}
		for i, c := range mins {
			if got := cc.Aggregate(secs[i*60 : i*60+60]); got != c {
				t.Fatalf("%s minute %d:\n seconds give %+v\n   minute is %+v", sym, i, got, c)
			}
		}
	}
}

func TestInProgressCandleIsTheAggregateSoFar(t *testing.T) {
	m := newMarket(5)
	open := ms("2025-09-09T14:00:00Z")
	final := candles(t, m, "BTCUSDT", cc.Interval1h, open, open+3600_000, far)[0]
	secs := candles(t, m, "BTCUSDT", cc.Interval1s, open, open+3600_000, far)
	for _, elapsed := range []int64{0, 999, 1000, 60_000, 37*60_000 + 12_500, 3600_000 - 2} {
		now := open + elapsed
		got := candles(t, m, "BTCUSDT", cc.Interval1h, open-3600_000, open+7200_000, now)
		if len(got) != 2 || got[0].OpenTime != open-3600_000 || !got[0].Closed {
			t.Fatalf("now=+%dms: want the closed previous hour then the current one, got %d candles", elapsed, len(got))
		}
		cur := got[1]
		if cur.Closed || cur.OpenTime != open || cur.CloseTime != open+3600_000-1 {
			t.Fatalf("now=+%dms: current candle %+v is not the open, in-progress hour", elapsed, cur)
		}
		done := (elapsed + 1) / 1000 // seconds whose close time has passed
		var want cc.Candle
		if done == 0 {
			p := secs[0].Open
			want = cc.Candle{Open: p, High: p, Low: p, Close: p}
		} else {
			want = cc.Aggregate(secs[:done])
		}
		if cur.Open != want.Open || cur.High != want.High || cur.Low != want.Low || cur.Close != want.Close ||
			cur.Volume.Cmp(want.Volume) != 0 || cur.QuoteVolume.Cmp(want.QuoteVolume) != 0 || cur.Trades != want.Trades ||
			cur.TakerBuyBase.Cmp(want.TakerBuyBase) != 0 || cur.TakerBuyQuote.Cmp(want.TakerBuyQuote) != 0 {
			t.Fatalf("now=+%dms: in progress %+v\nwant the %d elapsed seconds %+v", elapsed, cur, done, want)
		}
		if cur.Open != final.Open || cur.High.Cmp(final.High) > 0 || cur.Low.Cmp(final.Low) < 0 || cur.Volume.Cmp(final.Volume) > 0 {
			t.Fatalf("now=+%dms: in progress %+v is not a prefix of the final %+v", elapsed, cur, final)
		}
	}
	// At the close the candle is final.
	got := candles(t, m, "BTCUSDT", cc.Interval1h, open, open+3600_000, open+3600_000-1)
	if len(got) != 1 || !got[0].Closed || got[0] != final {
		t.Fatalf("at its close time the hour is %+v, want the final %+v", got, final)
	}
	// Nothing opens after now.
	if got := candles(t, m, "BTCUSDT", cc.Interval1m, open, open+3600_000, open-1); len(got) != 0 {
		t.Fatalf("%d candles returned from after now", len(got))
	}
}

func TestPricesOnTickAndVolumesOnLot(t *testing.T) {
	m := newMarket(6)
	start := ms("2025-11-20T00:00:00Z")
	for _, tc := range []struct {
		sym       string
		tick, lot string
	}{{"BTCUSDT", "0.01", "0.00001"}, {"ETHUSDT", "0.01", "0.0001"}, {"XRPUSDT", "0.0001", "1"}} {
		tick, lot, err := m.TickSize(tc.sym)
		if err != nil || tick.Cmp(cc.MustDecimal(tc.tick)) != 0 || lot.Cmp(cc.MustDecimal(tc.lot)) != 0 {
			t.Fatalf("%s: tick %s lot %s (%v), want %s and %s", tc.sym, tick, lot, err, tc.tick, tc.lot)
		}
		for _, iv := range []cc.Interval{cc.Interval1s, cc.Interval1m, cc.Interval1h, cc.Interval1d} {
			cs := candles(t, m, tc.sym, iv, start, start+1500*iv.Millis(), far)
			outside := 0
			for _, c := range cs {
				for _, p := range []cc.Decimal{c.Open, c.High, c.Low, c.Close} {
					if p.Scale != tick.Scale || p.Units <= 0 {
						t.Fatalf("%s %s: price %s is not a positive multiple of %s", tc.sym, iv, p, tick)
					}
				}
				for _, v := range []cc.Decimal{c.Volume, c.TakerBuyBase} {
					if v.Scale != lot.Scale || v.Units < 0 {
						t.Fatalf("%s %s: volume %s is not a multiple of %s", tc.sym, iv, v, lot)
					}
				}
				if c.High.Cmp(c.Open) < 0 || c.High.Cmp(c.Close) < 0 || c.Low.Cmp(c.Open) > 0 || c.Low.Cmp(c.Close) > 0 {
					t.Fatalf("%s %s: high/low do not contain open/close: %+v", tc.sym, iv, c)
				}
				if c.TakerBuyBase.Cmp(c.Volume) > 0 || c.TakerBuyQuote.Cmp(c.QuoteVolume) > 0 || c.TakerBuyQuote.Units < 0 {
					t.Fatalf("%s %s: taker volumes exceed volumes: %+v", tc.sym, iv, c)
				}
				if (c.Trades == 0) != c.Volume.IsZero() || (c.Trades == 0 && (c.High != c.Low || !c.QuoteVolume.IsZero())) {
					t.Fatalf("%s %s: an empty candle must be flat, with no trades and no volume: %+v", tc.sym, iv, c)
				}
				if c.Volume.Units > 0 {
					vwap := c.QuoteVolume.Float64() / c.Volume.Float64()
					if vwap < c.Low.Float64()*(1-1e-9) || vwap > c.High.Float64()*(1+1e-9) {
						outside++
					}
				}
			}
			if outside > len(cs)/1000 {
				t.Errorf("%s %s: VWAP outside [low, high] in %d of %d candles", tc.sym, iv, outside, len(cs))
			}
		}
	}
}

func TestStartPriceIsPinnedAtRefTime(t *testing.T) {
	for _, ref := range []int64{0, ms("2025-05-05T00:00:00Z"), ms("2025-05-05T13:37:21Z")} {
		m := synth.New(synth.Options{Seed: 9, Pairs: []cc.Pair{{Base: "BTC", Quote: "USDT", Price: 61234.56}}, RefTime: ref})
		at := ref
		if at == 0 {
			at = synth.DefaultRefTime
		}
		c := candles(t, m, "BTC-USDT", cc.Interval1s, at, at+1000, far)[0]
		diff := math.Abs(c.Open.Float64() - 61234.56)
		if (at%86_400_000 == 0 && diff != 0) || diff > 0.025 {
			t.Errorf("RefTime %d: price %s, want 61234.56", ref, c.Open)
		}
	}
}

func TestEthereumFollowsBitcoin(t *testing.T) {
	m := newMarket(7)
	start := ms("2025-02-01T00:00:00Z")
	btc := candles(t, m, "BTCUSDT", cc.Interval1m, start, start+7*1440*60000, far)
	eth := candles(t, m, "ETHUSDT", cc.Interval1m, start, start+7*1440*60000, far)
	xrp := candles(t, m, "XRPUSDT", cc.Interval1m, start, start+7*1440*60000, far)
	ret := func(cs []cc.Candle) []float64 {
		out := make([]float64, len(cs))
		for i, c := range cs {
			out[i] = math.Log(c.Close.Float64() / c.Open.Float64())
		}
		return out
	}
	rb, re, rx := ret(btc), ret(eth), ret(xrp)
	if c := correlation(rb, re); c < 0.5 || c > 0.95 {
		t.Errorf("BTC/ETH 1m return correlation %.3f, want between 0.5 and 0.95", c)
	}
	if c := correlation(rb, rx); c < 0.2 || c > 0.9 {
		t.Errorf("BTC/XRP 1m return correlation %.3f, want between 0.2 and 0.9", c)
	}
}

func TestExchangesDifferBySmallBasis(t *testing.T) {
	p := []cc.Pair{{Base: "BTC", Quote: "USDT", Price: 50000}}
	a := synth.New(synth.Options{Seed: 11, Exchange: "binance_spot", Pairs: p})
	b := synth.New(synth.Options{Seed: 11, Exchange: "okx_spot", Pairs: p})
	start := ms("2024-03-01T00:00:00Z")
	for _, iv := range []cc.Interval{cc.Interval1m, cc.Interval1h} {
		x := candles(t, a, "BTC-USDT", iv, start, start+2000*iv.Millis(), far)
		y := candles(t, b, "BTC-USDT", iv, start, start+2000*iv.Millis(), far)
		var worst, sum float64
		differ := 0
		for i := range x {
			d := math.Abs(math.Log(x[i].Close.Float64() / y[i].Close.Float64()))
			worst = max(worst, d)
			sum += d
			if x[i].Close != y[i].Close {
				differ++
			}
		}
		if worst > 0.006 || sum/float64(len(x)) > 0.002 {
			t.Errorf("%s: basis mean %.5f max %.5f, want small (< 0.2%% mean, 0.6%% max)", iv, sum/float64(len(x)), worst)
		}
		if differ < len(x)/2 {
			t.Errorf("%s: only %d of %d closes differ between exchanges", iv, differ, len(x))
		}
	}
}

func TestFarFutureWindow(t *testing.T) {
	m := newMarket(12)
	start := ms("2030-07-15T10:00:00Z")
	mins := candles(t, m, "BTCUSDT", cc.Interval1m, start, start+1000*60000, far)
	if len(mins) != 1000 || mins[0].OpenTime != start || mins[999].OpenTime != start+999*60000 {
		t.Fatalf("got %d candles from %d", len(mins), mins[0].OpenTime)
	}
	hour := candles(t, m, "BTCUSDT", cc.Interval1h, start, start+3600_000, far)[0]
	if hour != cc.Aggregate(mins[:60]) {
		t.Fatalf("2030: hour %+v is not the aggregate of its minutes", hour)
	}
	for i := 1; i < len(mins); i++ {
		if mins[i].Open != mins[i-1].Close {
			t.Fatalf("minute %d opens at %s, previous closed at %s", i, mins[i].Open, mins[i-1].Close)
		}
	}
}

func TestUnknownSymbolAndInterval(t *testing.T) {
	m := newMarket(1)
	if _, err := m.Candles(ctx, "DOGEUSDT", cc.Interval1m, 0, 60000, far); !errors.Is(err, cc.ErrUnknownSymbol) {
		t.Errorf("unknown symbol: err = %v, want ErrUnknownSymbol", err)
	}
	if _, err := m.Candles(ctx, "BTCUSDT", cc.Interval("7m"), 0, 60000, far); err == nil {
		t.Error("invalid interval accepted")
	}
}

func TestConcurrentRequestsAgree(t *testing.T) {
	m := newMarket(13)
	start := ms("2025-08-01T00:00:00Z")
	ivs := []cc.Interval{cc.Interval1m, cc.Interval1h, cc.Interval1s, cc.Interval1d}
	want := map[cc.Interval][]cc.Candle{}
	for _, iv := range ivs {
		want[iv] = candles(t, newMarket(13), "ETHUSDT", iv, start, start+300*iv.Millis(), far)
	}
	errs := make(chan string, 8*len(ivs))
	done := make(chan struct{})
	for g := 0; g < 8; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for _, iv := range ivs {
				got, err := m.Candles(ctx, "ETHUSDT", iv, start, start+300*iv.Millis(), far)
				if err != nil || !reflect.DeepEqual(got, want[iv]) {
					errs <- string(iv)
				}
			}
		}()
	}
	for range 8 {
		<-done
	}
	close(errs)
	for iv := range errs {
		t.Errorf("%s: a concurrent request disagrees with a sequential one", iv)
	}
}

// The in-progress candle of every interval agrees with the 1m candles up
// to now, the last of them in progress too.
func TestInProgressCandlesAgreeAcrossIntervals(t *testing.T) {
	m := newMarket(14)
	now := ms("2025-10-09T17:42:31Z") + 250
	for _, iv := range []cc.Interval{cc.Interval5m, cc.Interval4h, cc.Interval1d, cc.Interval3d, cc.Interval1w, cc.Interval1M} {
		open := iv.Truncate(now)
		got := candles(t, m, "XRPUSDT", iv, open, iv.Next(open), now)
		mins := candles(t, m, "XRPUSDT", cc.Interval1m, open, iv.Next(open), now)
		if len(got) != 1 || got[0].Closed || mins[len(mins)-1].Closed {
			t.Fatalf("%s: want one candle in progress, got %d", iv, len(got))
		}
		want := cc.Aggregate(mins)
		want.CloseTime = iv.CloseTime(open) // Aggregate ends at the last minute's close
		if got[0] != want {
			t.Fatalf("%s in progress:\n got %+v\nwant %+v", iv, got[0], want)
		}
	}
}
