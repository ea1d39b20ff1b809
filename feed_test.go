package candlecassette_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	cc "github.com/candlecassette/candlecassette"
)

// stepMarket is a Market whose 1s candles close at their open second, so
// any aggregate is easy to predict.
type stepMarket struct{}

func (stepMarket) Candles(_ context.Context, sym string, iv cc.Interval, start, end, now int64) ([]cc.Candle, error) {
	if sym != "BTCUSDT" {
		return nil, cc.ErrUnknownSymbol
	}
	var out []cc.Candle
	for open := start; open < end && open <= now; open = iv.Next(open) {
		last := min(now, iv.CloseTime(open))
		out = append(out, cc.Candle{
			OpenTime: open, CloseTime: iv.CloseTime(open),
			Open:   cc.NewDecimal(open/1000, 0),
			Close:  cc.NewDecimal(last/1000, 0),
			Closed: now >= iv.CloseTime(open),
		})
	}
	return out, nil
}

func TestMarketFeedPushesProgressThenFinal(t *testing.T) {
	defer goleak.VerifyNone(t)
	base := time.Date(2024, 1, 1, 0, 0, 50, 0, time.UTC)
	// 120× speed: a virtual minute passes in half a real second.
	clock := &cc.Clock{Base: base, Start: time.Now(), Speed: 120}
	feed := &cc.MarketFeed{Market: stepMarket{}, Clock: clock}
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := feed.Subscribe(ctx, "BTCUSDT", cc.Interval1m, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var got []cc.Update
	deadline := time.After(5 * time.Second)
	for len(got) < 30 {
		select {
		case u := <-ch:
			got = append(got, u)
		case <-deadline:
			t.Fatalf("only %d updates in 5s", len(got))
		}
	}
	cancel()
	for range ch {
	}
	finals := 0
	for i, u := range got {
		c := u.Candle
		if c.OpenTime != cc.Interval1m.Truncate(u.EventTime) {
			t.Fatalf("update %d: open %d does not contain event time %d", i, c.OpenTime, u.EventTime)
		}
		if i > 0 && u.EventTime < got[i-1].EventTime {
			t.Fatalf("update %d goes back in time", i)
		}
		if c.Closed {
			finals++
			if u.EventTime != c.CloseTime {
				t.Fatalf("final candle pushed at %d, want its close %d", u.EventTime, c.CloseTime)
			}
			if i+1 < len(got) && got[i+1].Candle.OpenTime != cc.Interval1m.Next(c.OpenTime) {
				t.Fatalf("after the final of %d came a candle opening at %d", c.OpenTime, got[i+1].Candle.OpenTime)
			}
		} else if i > 0 && got[i-1].Candle.OpenTime == c.OpenTime && got[i-1].Candle.Closed {
			t.Fatal("an in-progress update followed the final of the same candle")
		}
	}
	if finals == 0 {
		t.Fatal("no final candle in a minute and more of virtual time")
	}
}

func TestMarketFeedRefusesUnknownSymbol(t *testing.T) {
	feed := &cc.MarketFeed{Market: stepMarket{}, Clock: &cc.Clock{}}
	if _, err := feed.Subscribe(context.Background(), "NOPE", cc.Interval1m, time.Second); err == nil {
		t.Fatal("subscribed to an unknown symbol")
	}
}

func TestClockRunsAtSpeed(t *testing.T) {
	real := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := real
	base := time.Date(2020, 5, 1, 0, 0, 0, 0, time.UTC)
	c := &cc.Clock{Base: base, Start: real, Speed: 10, Real: func() time.Time { return now }}
	now = real.Add(3 * time.Second)
	if got := c.Now(); !got.Equal(base.Add(30 * time.Second)) {
		t.Fatalf("Now = %s, want base+30s", got)
	}
	if d := c.RealDuration(time.Minute); d != 6*time.Second {
		t.Fatalf("RealDuration(1m) = %s at 10x", d)
	}
	var zero *cc.Clock
	if d := time.Since(zero.Now()); d < 0 || d > time.Second {
		t.Fatal("nil clock is not real time")
	}
}

func TestAggregate(t *testing.T) {
	d := cc.MustDecimal
	cs := []cc.Candle{
		{OpenTime: 0, CloseTime: 59999, Open: d("10"), High: d("12"), Low: d("9"), Close: d("11"), Volume: d("1.5"), Trades: 3, Closed: true},
		{OpenTime: 60000, CloseTime: 119999, Open: d("11"), High: d("15"), Low: d("10.5"), Close: d("14"), Volume: d("0.25"), Trades: 2, Closed: true},
		{OpenTime: 120000, CloseTime: 179999, Open: d("14"), High: d("14.5"), Low: d("8"), Close: d("8.5"), Volume: d("1"), Trades: 1, Closed: false},
	}
	a := cc.Aggregate(cs)
	if a.OpenTime != 0 || a.CloseTime != 179999 || a.Open.String() != "10" || a.Close.String() != "8.5" ||
		a.High.String() != "15" || a.Low.String() != "8" || a.Volume.String() != "2.75" || a.Trades != 6 || a.Closed {
		t.Fatalf("Aggregate = %+v", a)
	}
}

// countingMarket counts Candles calls.
type countingMarket struct {
	stepMarket
	calls atomic.Int64
}

func (m *countingMarket) Candles(ctx context.Context, sym string, iv cc.Interval, start, end, now int64) ([]cc.Candle, error) {
	m.calls.Add(1)
	return m.stepMarket.Candles(ctx, sym, iv, start, end, now)
}

// Subscriptions of one symbol and interval tick together: they get the
// candle the Market has at each instant, computed once for all of them.
func TestMarketFeedSharesATick(t *testing.T) {
	defer goleak.VerifyNone(t)
	base := time.Date(2024, 1, 1, 0, 0, 50, 0, time.UTC)
	clock := &cc.Clock{Base: base, Start: time.Now(), Speed: 20}
	m := &countingMarket{}
	feed := &cc.MarketFeed{Market: m, Clock: clock}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const subs = 50
	var chs []<-chan cc.Update
	for range subs {
		ch, err := feed.Subscribe(ctx, "BTCUSDT", cc.Interval1m, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		chs = append(chs, ch)
	}
	m.calls.Store(0)
	got := 0
	deadline := time.After(10 * time.Second)
	for _, ch := range chs {
		for range 10 {
			select {
			case u := <-ch:
				want, _ := stepMarket{}.Candles(ctx, "BTCUSDT", cc.Interval1m, u.Candle.OpenTime, u.Candle.OpenTime+1, u.EventTime)
				if len(want) != 1 || u.Candle != want[0] {
					t.Fatalf("update at %d: %+v, the market has %+v", u.EventTime, u.Candle, want)
				}
				got++
			case <-deadline:
				t.Fatalf("%d updates in 10 s", got)
			}
		}
	}
	cancel()
	for _, ch := range chs {
		for range ch {
		}
	}
	// 50 subscriptions × 10 updates; shared, about one computation per
	// instant (late wake-ups compute their own).
	if c := m.calls.Load(); c > int64(got)/5 {
		t.Fatalf("%d Candles calls for %d updates: not shared", c, got)
	}
}

// A subscription whose reader falls behind does not hold up the others,
// and once read it has its pushes in order, every candle's final among
// them; ending the
// contexts closes the channels and stops the feed's goroutines.
func TestMarketFeedSlowReader(t *testing.T) {
	defer goleak.VerifyNone(t)
	base := time.Date(2024, 1, 1, 0, 0, 50, 0, time.UTC)
	clock := &cc.Clock{Base: base, Start: time.Now(), Speed: 100} // a virtual second in 10 ms
	feed := &cc.MarketFeed{Market: stepMarket{}, Clock: clock, Buffer: 4}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fast, err := feed.Subscribe(ctx, "BTCUSDT", cc.Interval1m, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	slowCtx, slowCancel := context.WithCancel(ctx)
	slow, err := feed.Subscribe(slowCtx, "BTCUSDT", cc.Interval1m, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// 150 pushes (two minutes and more) of the fast one while the slow
	// one is not read.
	var got []cc.Update
	deadline := time.After(10 * time.Second)
	for len(got) < 150 {
		select {
		case u := <-fast:
			got = append(got, u)
		case <-deadline:
			t.Fatalf("the fast reader got %d updates in 10 s", len(got))
		}
	}
	check := func(name string, us []cc.Update) {
		t.Helper()
		for i := 1; i < len(us); i++ {
			a, b := us[i-1], us[i]
			// In order, and every candle ends with its final push (late
			// wake-ups may skip in-progress ones).
			if b.EventTime <= a.EventTime || (b.Candle.OpenTime != a.Candle.OpenTime && (!a.Candle.Closed || a.EventTime != a.Candle.CloseTime)) {
				t.Fatalf("%s: push %d at %d (open %d) after %d (open %d, closed %v)", name, i, b.EventTime, b.Candle.OpenTime, a.EventTime, a.Candle.OpenTime, a.Candle.Closed)
			}
		}
	}
	check("fast", got)
	var slowGot []cc.Update
	for len(slowGot) < 150 {
		select {
		case u := <-slow:
			slowGot = append(slowGot, u)
		case <-deadline:
			t.Fatalf("the slow reader got %d updates", len(slowGot))
		}
	}
	check("slow", slowGot)
	slowCancel()
	cancel()
	for _, ch := range []<-chan cc.Update{fast, slow} {
		for range ch {
		}
	}
}

// A beat marked TickingAt pushes at its phase past the cadence's
// multiples (late wake-ups at its phase past a quarter cadence's), and
// a beat without one on the multiples: two symbols' streams so marked are
// not due at one instant.
func TestMarketFeedTicksAtAPhase(t *testing.T) {
	defer goleak.VerifyNone(t)
	base := time.Date(2024, 1, 1, 0, 0, 50, 0, time.UTC)
	clock := &cc.Clock{Base: base, Start: time.Now(), Speed: 4} // 100 virtual ms in 25 real
	feed := &cc.MarketFeed{Market: stepMarket{}, Clock: clock}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, tc := range []struct {
		ctx   context.Context
		phase int64
	}{
		{cc.TickingAt(ctx, 37*time.Millisecond), 37},
		{cc.TickingAt(ctx, 237*time.Millisecond), 37}, // modulo the cadence
		{cc.TickingAt(ctx, -63*time.Millisecond), 37},
		{cc.Ticking(ctx), 0},
	} {
		if !cc.IsTicking(tc.ctx) {
			t.Fatal("TickingAt does not mark the context Ticking")
		}
		ch, err := feed.Subscribe(tc.ctx, "BTCUSDT", cc.Interval1s, 100*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		onBeat, onQuarter := 0, 0
		deadline := time.After(10 * time.Second)
		for i := 0; i < 24; i++ {
			select {
			case u := <-ch:
				if i == 0 || u.Candle.Closed || u.EventTime%1000 == 0 {
					continue // the first (now), a candle's final and the next's first
				}
				switch r := ((u.EventTime-tc.phase)%100 + 100) % 100; {
				case r == 0:
					onBeat++
				case r%25 == 0:
					onQuarter++ // a late wake-up
				default:
					t.Fatalf("phase %d: a push at %d (%d ms past the beat)", tc.phase, u.EventTime, r)
				}
			case <-deadline:
				t.Fatalf("phase %d: %d pushes in 10 s", tc.phase, i)
			}
		}
		if onBeat < 10 {
			t.Errorf("phase %d: %d pushes on the beat, %d late", tc.phase, onBeat, onQuarter)
		}
	}
	cancel()
}
