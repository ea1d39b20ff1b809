package candlecassette

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Feed delivers live kline updates to WS streams.
type Feed interface {
	// Subscribe returns a channel of updates for (symbol, iv): the candle in
	// progress about every `every` of virtual time and the final candle
	// (Closed true) at each close. The channel is closed when ctx ends.
	Subscribe(ctx context.Context, symbol string, iv Interval, every time.Duration) (<-chan Update, error)
}

// MarketFeed is the Feed that reads a Market on the Clock's schedule. Every
// update is computed from the Market, so a WS stream always agrees with the
// REST answer for the same instant.
type MarketFeed struct {
	Market Market
	Clock  *Clock
	// Buffer is the channel capacity per subscription; 0 means 16.
	Buffer int

	// The subscriptions of one (symbol, interval) tick at the same
	// instants (multiples of their cadence): the first to ask for an
	// instant computes its candle, the others take it (the Market is
	// deterministic). A thousand streams on four symbols cost four
	// candle computations a tick, not a thousand.
	mu     sync.Mutex
	shared map[feedKey]*feedCandle
}

// feedKey is one candle as it stands at one instant.
type feedKey struct {
	symbol   string
	iv       Interval
	open, at int64
}

// feedCandle is a candle being computed or computed, valid once done is
// closed (ok false: the computation failed, and each caller computes it
// for itself).
type feedCandle struct {
	done chan struct{}
	c    Candle
	ok   bool
}

// feedKeep bounds the shared candles kept: beyond it the oldest instants
// (by at) go.
const feedKeep = 256

// candle is the last of Market.Candles(symbol, iv, open, iv.Next(open),
// at), shared with the other subscriptions asking for the same instant.
func (f *MarketFeed) candle(ctx context.Context, symbol string, iv Interval, open, at int64) (Candle, bool) {
	k := feedKey{symbol, iv, open, at}
	f.mu.Lock()
	if e := f.shared[k]; e != nil {
		f.mu.Unlock()
		select {
		case <-e.done:
		case <-ctx.Done():
			return Candle{}, false
		}
		if e.ok {
			return e.c, true
		}
		return f.compute(ctx, symbol, iv, open, at)
	}
	if f.shared == nil {
		f.shared = map[feedKey]*feedCandle{}
	}
	if len(f.shared) >= feedKeep {
		// Drop the older half of the instants.
		ats := make([]int64, 0, len(f.shared))
		for k := range f.shared {
			ats = append(ats, k.at)
		}
		slices.Sort(ats)
		for k := range f.shared {
			if k.at <= ats[len(ats)/2] {
				delete(f.shared, k)
			}
		}
	}
	e := &feedCandle{done: make(chan struct{})}
	f.shared[k] = e
	f.mu.Unlock()
	e.c, e.ok = f.compute(ctx, symbol, iv, open, at)
	close(e.done)
	return e.c, e.ok
}

func (f *MarketFeed) compute(ctx context.Context, symbol string, iv Interval, open, at int64) (Candle, bool) {
	cs, err := f.Market.Candles(ctx, symbol, iv, open, iv.Next(open), at)
	if err != nil || len(cs) == 0 {
		return Candle{}, false
	}
	return cs[len(cs)-1], true
}

// Subscribe implements Feed. The first update (the candle in progress now)
// is sent at once.
func (f *MarketFeed) Subscribe(ctx context.Context, symbol string, iv Interval, every time.Duration) (<-chan Update, error) {
	now := f.Clock.NowMillis()
	open := iv.Truncate(now)
	if _, err := f.Market.Candles(ctx, symbol, iv, open, iv.Next(open), now); err != nil {
		return nil, err
	}
	n := f.Buffer
	if n <= 0 {
		n = 16
	}
	ch := make(chan Update, n)
	go f.run(ctx, symbol, iv, every, ch)
	return ch, nil
}

func (f *MarketFeed) run(ctx context.Context, symbol string, iv Interval, every time.Duration, ch chan<- Update) {
	defer close(ch)
	step := every.Milliseconds()
	if step <= 0 {
		step = 1000
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	at := f.Clock.NowMillis()
	for {
		open := iv.Truncate(at)
		closeAt := iv.Next(open) - 1
		final := at >= closeAt
		if final {
			at = closeAt
		}
		c, ok := f.candle(ctx, symbol, iv, open, at)
		if !ok {
			return
		}
		u := Update{Symbol: symbol, Interval: iv, EventTime: at, Candle: c}
		if final {
			u.Candle.Closed = true
		}
		select {
		case ch <- u:
		case <-ctx.Done():
			return
		}
		// The next push: the following cadence tick, or this candle's close
		// if that comes first; after a final, the first tick of the next.
		next := (at/step + 1) * step
		if final {
			next = closeAt + 1
		} else if next > closeAt {
			next = closeAt
		}
		wait := f.Clock.RealDuration(time.Duration(next-f.Clock.NowMillis()) * time.Millisecond)
		if wait < 0 {
			wait = 0
		}
		timer.Reset(wait)
		select {
		case <-timer.C:
		case <-ctx.Done():
			return
		}
		at = next
		if !final && next != closeAt {
			// Late wake-ups push the candle as it stands now, but never
			// past its close, so every candle still gets its final update.
			// A quarter of the cadence late is still on time, and later
			// ones take now to a quarter of the cadence: the subscriptions
			// ticking together keep few instants, and share their candles
			// (see candle).
			q := max(1, step/4)
			if now := f.Clock.NowMillis(); now >= at+q {
				at = min(now/q*q, closeAt)
			}
		}
	}
}
