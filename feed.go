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
	groups map[feedGroupKey]*feedGroup
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
	step := every.Milliseconds()
	if step <= 0 {
		step = 1000
	}
	ch := make(chan Update, n)
	go f.run(ctx, feedGroupKey{symbol, iv, step, tickPhase(ctx, step)}, ch, nil)
	return ch, nil
}

// feedTick is one push: the update, and when the next one is due.
type feedTick struct {
	u       Update
	next    int64 // ms
	closeAt int64 // the close of u's candle
	final   bool  // u is its candle's final update
}

// tick computes the push at at (ms).
func (f *MarketFeed) tick(ctx context.Context, k feedGroupKey, at int64) (feedTick, bool) {
	open := k.iv.Truncate(at)
	closeAt := k.iv.Next(open) - 1
	final := at >= closeAt
	if final {
		at = closeAt
	}
	c, ok := f.candle(ctx, k.symbol, k.iv, open, at)
	if !ok {
		return feedTick{}, false
	}
	t := feedTick{u: Update{Symbol: k.symbol, Interval: k.iv, EventTime: at, Candle: c}, closeAt: closeAt, final: final}
	if final {
		t.u.Candle.Closed = true
	}
	// The next push: the following cadence tick, or this candle's close
	// if that comes first; after a final, the first tick of the next.
	t.next = k.phase + (floorDiv(at-k.phase, k.step)+1)*k.step
	if final {
		t.next = closeAt + 1
	} else if t.next > closeAt {
		t.next = closeAt
	}
	return t, true
}

// wait is how long until t's next push, in real time: to the instant
// itself, not from the whole millisecond now is in (which woke every push
// up to a millisecond late, half a millisecond on average).
func (f *MarketFeed) wait(t feedTick) time.Duration {
	return max(0, f.Clock.RealDuration(time.UnixMilli(t.next).Sub(f.Clock.Now())))
}

// nextAt is the instant of the push after t of k's beat, woken now.
func (f *MarketFeed) nextAt(t feedTick, k feedGroupKey) int64 {
	at := t.next
	if !t.final && t.next != t.closeAt {
		// Late wake-ups push the candle as it stands now, but never
		// past its close, so every candle still gets its final update.
		// A quarter of the cadence late is still on time, and later
		// ones take now to a quarter of the cadence: the subscriptions
		// ticking together keep few instants, and share their candles
		// (see candle).
		q := max(1, k.step/4)
		if now := f.Clock.NowMillis(); now >= at+q {
			at = min(k.phase+floorDiv(now-k.phase, q)*q, t.closeAt)
		}
	}
	return at
}

// run pushes k's updates to ch on its own, from now (or from pend, an
// update due that a group could not hand over), until ctx ends or ch
// joins a group ticking at its next push.
func (f *MarketFeed) run(ctx context.Context, k feedGroupKey, ch chan Update, pend *feedTick) {
	owned := true
	defer func() {
		if owned {
			close(ch)
		}
	}()
	var t feedTick
	if pend != nil {
		t = *pend
	} else {
		var ok bool
		if t, ok = f.tick(ctx, k, f.Clock.NowMillis()); !ok {
			return
		}
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		select {
		case ch <- t.u:
		case <-ctx.Done():
			return
		}
		if f.join(ctx, k, ch, t) {
			owned = false
			return
		}
		timer.Reset(f.wait(t))
		select {
		case <-timer.C:
		case <-ctx.Done():
			return
		}
		var ok bool
		if t, ok = f.tick(ctx, k, f.nextAt(t, k)); !ok {
			return
		}
	}
}

// The subscriptions of one symbol, interval and cadence tick together: a
// group's goroutine wakes at each push, computes it once, and hands it
// to every member's channel; one whose channel is full goes on on its
// own (run) with the update, and may join again once it caught up. A
// thousand streams then cost one timer a tick, not a thousand.

type feedGroupKey struct {
	symbol string
	iv     Interval
	step   int64
	phase  int64 // ms past the multiples of step the pushes are at
}

type feedGroup struct {
	mu      sync.Mutex
	next    feedTick // the last push; its next is the one due
	members map[chan Update]*feedMember
	wake    chan struct{} // a member left
	closed  bool          // the goroutine is gone (under MarketFeed.mu too)
}

type feedMember struct {
	ctx  context.Context
	stop func() bool // the context.AfterFunc that removes it
}

// join adds ch (of a subscription that just pushed t) to k's group if the
// group's next push is t's, starting the group if there is none; false:
// ch goes on on its own.
func (f *MarketFeed) join(ctx context.Context, k feedGroupKey, ch chan Update, t feedTick) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	g := f.groups[k]
	if g == nil || g.closed {
		g = &feedGroup{next: t, members: map[chan Update]*feedMember{}, wake: make(chan struct{}, 1)}
		if f.groups == nil {
			f.groups = map[feedGroupKey]*feedGroup{}
		}
		f.groups[k] = g
		go f.tickGroup(k, g)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.next.next != t.next || g.next.final != t.final || g.next.closeAt != t.closeAt {
		return false
	}
	m := &feedMember{ctx: ctx}
	m.stop = context.AfterFunc(ctx, func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.members[ch] == m {
			g.leave(ch)
			close(ch)
		}
	})
	g.members[ch] = m
	return true
}

// leave removes ch, waking the goroutine if the group is empty.
func (g *feedGroup) leave(ch chan Update) {
	delete(g.members, ch)
	if len(g.members) == 0 {
		select {
		case g.wake <- struct{}{}:
		default:
		}
	}
}

// tickGroup is g's goroutine: it pushes while g has members.
func (f *MarketFeed) tickGroup(k feedGroupKey, g *feedGroup) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		g.mu.Lock()
		t := g.next
		g.mu.Unlock()
		timer.Reset(f.wait(t))
		due := false
		select {
		case <-timer.C:
			due = true
		case <-g.wake:
			timer.Stop()
		}
		if f.groupEnded(k, g, false) {
			return
		}
		if !due {
			continue // woken by a leave, and someone joined since
		}
		nt, ok := f.tick(context.Background(), k, f.nextAt(t, k))
		if !ok {
			// The Market failed: every subscription ends, as each one
			// on its own would.
			f.groupEnded(k, g, true)
			return
		}
		g.mu.Lock()
		for ch, m := range g.members {
			if m.ctx.Err() != nil {
				continue // its AfterFunc removes it
			}
			select {
			case ch <- nt.u:
			default:
				// Behind: on its own with this update (run closes ch
				// when its context ends, so the AfterFunc must not).
				if m.stop() {
					g.leave(ch)
					go f.run(m.ctx, k, ch, &nt)
				}
			}
		}
		g.next = nt
		g.mu.Unlock()
	}
}

// groupEnded ends g if it has no members left, or, with fail, ending its
// members' subscriptions.
func (f *MarketFeed) groupEnded(k feedGroupKey, g *feedGroup, fail bool) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.members) > 0 && !fail {
		return false
	}
	for ch, m := range g.members {
		m.stop()
		g.leave(ch)
		close(ch)
	}
	g.closed = true
	if f.groups[k] == g {
		delete(f.groups, k)
	}
	return true
}

type tickingKey struct{}

// Ticking marks ctx, of a Feed subscription, as the beat of a stream
// that is not a kline stream (a book, trades, a ticker) and only wants
// the market's update at each instant: a Feed that replays recorded kline
// streams serves it live, from the market, and counts it as no kline
// stream's use or miss.
func Ticking(ctx context.Context) context.Context {
	return context.WithValue(ctx, tickingKey{}, true)
}

// IsTicking reports whether ctx was marked by Ticking.
func IsTicking(ctx context.Context) bool {
	v, _ := ctx.Value(tickingKey{}).(bool)
	return v
}

type tickPhaseKey struct{}

// TickingAt is Ticking for a beat at phase past the multiples of the
// subscription's cadence rather than on them: an exchange times some
// streams per symbol (Binance's depth diffs of different symbols carry
// event times on beats of their own), and streams of many symbols then
// do not all push at one instant. A MarketFeed takes phase modulo the
// cadence, in whole milliseconds.
func TickingAt(ctx context.Context, phase time.Duration) context.Context {
	return context.WithValue(Ticking(ctx), tickPhaseKey{}, phase)
}

// tickPhase is ctx's TickingAt phase in ms, in [0, step).
func tickPhase(ctx context.Context, step int64) int64 {
	v, _ := ctx.Value(tickPhaseKey{}).(time.Duration)
	return v.Milliseconds() - floorDiv(v.Milliseconds(), step)*step
}
