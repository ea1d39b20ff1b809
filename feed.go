package candlecassette

import (
	"context"
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
		cs, err := f.Market.Candles(ctx, symbol, iv, open, iv.Next(open), at)
		if err != nil || len(cs) == 0 {
			return
		}
		u := Update{Symbol: symbol, Interval: iv, EventTime: at, Candle: cs[len(cs)-1]}
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
			if now := f.Clock.NowMillis(); now > at {
				at = min(now, closeAt)
			}
		}
	}
}
