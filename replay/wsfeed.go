package replay

import (
	"context"
	"math"
	"net/url"
	"sync"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/plugins"
)

// recordedFeed replays a stream's recorded kline updates at their recorded
// offsets (divided by the clock's speed, all at once at speed max), then
// hands over to the live feed where the recording ends. A stream the
// cassette never carried is live (synthetic) from the start.
type recordedFeed struct {
	c      *cassettes.Cassette
	plugin plugins.Plugin
	clock  *cc.Clock
	live   cc.Feed
	shift  int64 // ms added to every recorded time (--clock now)
	d      *damage
	tape   *tape // counts use and misses (missing.go); nil in tests

	mu    sync.Mutex
	cache map[string][]timedUpdate
}

type timedUpdate struct {
	offset time.Duration
	u      cc.Update
}

var _ cc.Feed = (*recordedFeed)(nil)

// updates decodes the recorded frames of one stream, from the first
// connection that carried it.
func (f *recordedFeed) updates(symbol string, iv cc.Interval) ([]timedUpdate, error) {
	label := cassettes.StreamLabel(symbol, iv)
	f.mu.Lock()
	defer f.mu.Unlock()
	if ups, ok := f.cache[label]; ok {
		return ups, nil
	}
	conns, err := f.c.Conns()
	if err != nil {
		return nil, err
	}
	var ups []timedUpdate
	for _, conn := range conns {
		if conn.Streams[label] == 0 {
			continue
		}
		path := conn.URL
		if u, err := url.Parse(conn.URL); err == nil {
			path = u.Path
		}
		err := f.c.Frames(conn.ID, func(fr cassettes.Frame) error {
			if fr.Dir != cassettes.FromServer || fr.Stream != label {
				return nil
			}
			us, err := f.plugin.DecodeFrame(path, fr.Payload)
			if err != nil {
				return nil // not a kline after all; skip it
			}
			for _, u := range us {
				if u.Symbol == symbol && u.Interval == iv {
					ups = append(ups, timedUpdate{offset: fr.Offset, u: u})
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		break
	}
	f.cache[label] = ups
	return ups, nil
}

// Subscribe implements cc.Feed.
func (f *recordedFeed) Subscribe(ctx context.Context, symbol string, iv cc.Interval, every time.Duration) (<-chan cc.Update, error) {
	if cc.IsTicking(ctx) {
		// A book, trade or ticker stream's beat: the market now.
		return f.live.Subscribe(ctx, symbol, iv, every)
	}
	ups, err := f.updates(symbol, iv)
	if err != nil {
		f.d.report(ctx, err)
		return nil, err
	}
	cont := isContinuing(ctx)
	if len(ups) == 0 {
		if cont {
			return f.live.Subscribe(ctx, symbol, iv, every)
		}
		if ch, handled, err := f.tape.streamMiss(ctx, f.plugin, symbol, iv); handled {
			return ch, err
		}
		return f.live.Subscribe(ctx, symbol, iv, every)
	}
	if !cont {
		f.tape.streamHit(symbol, iv)
	}
	ch := make(chan cc.Update, 64)
	go f.play(ctx, ups, symbol, iv, every, ch)
	return ch, nil
}

func (f *recordedFeed) play(ctx context.Context, ups []timedUpdate, symbol string, iv cc.Interval, every time.Duration, ch chan<- cc.Update) {
	defer close(ch)
	speed := f.clock.Speed
	if speed == 0 {
		speed = 1
	}
	start := time.Now()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for _, tu := range ups {
		if !math.IsInf(speed, 1) {
			due := start.Add(time.Duration(float64(tu.offset) / speed))
			if wait := time.Until(due); wait > 0 {
				timer.Reset(wait)
				select {
				case <-timer.C:
				case <-ctx.Done():
					return
				}
			}
		}
		u := tu.u
		u.EventTime += f.shift
		u.Candle.OpenTime += f.shift
		u.Candle.CloseTime += f.shift
		select {
		case ch <- u:
		case <-ctx.Done():
			return
		}
	}
	// The recording of this stream is over: carry on live (not a miss,
	// when live is a sibling's recordedFeed: see continuing).
	live, err := f.live.Subscribe(continuing(ctx), symbol, iv, every)
	if err != nil {
		return
	}
	for u := range live {
		select {
		case ch <- u:
		case <-ctx.Done():
			return
		}
	}
}

type continuingKey struct{}

// continuing marks a subscription that carries on a recorded stream whose
// recording ended: neither a hit nor a miss of the feed it reaches (a
// sibling's recordedFeed, on a shared socket), and never refused.
func continuing(ctx context.Context) context.Context {
	return context.WithValue(ctx, continuingKey{}, true)
}

func isContinuing(ctx context.Context) bool {
	v, _ := ctx.Value(continuingKey{}).(bool)
	return v
}
