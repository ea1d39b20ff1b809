package binance_test

import (
	"sync"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/compat/compattest"
)

// collector gathers WS kline pushes from go-binance's reader goroutine.
type collector struct {
	mu     sync.Mutex
	events []wsKline
	errs   []error
	got    chan struct{} // a signal per event, never blocking
}

func newCollector() *collector { return &collector{got: make(chan struct{}, 1)} }

func (c *collector) handle(e wsKline) {
	c.mu.Lock()
	c.events = append(c.events, e)
	c.mu.Unlock()
	select {
	case c.got <- struct{}{}:
	default:
	}
}

func (c *collector) handleErr(err error) {
	c.mu.Lock()
	c.errs = append(c.errs, err)
	c.mu.Unlock()
}

// waitFor waits until ok holds for the events so far, or fails the test.
func (c *collector) waitFor(t *testing.T, what string, d time.Duration, ok func([]wsKline) bool) []wsKline {
	t.Helper()
	deadline := time.After(d)
	for {
		c.mu.Lock()
		evs := append([]wsKline(nil), c.events...)
		errs := append([]error(nil), c.errs...)
		c.mu.Unlock()
		if len(errs) > 0 {
			t.Fatalf("waiting for %s: WS error %v", what, errs[0])
		}
		if ok(evs) {
			return evs
		}
		select {
		case <-c.got:
		case <-deadline:
			t.Fatalf("no %s within %s; got %d events: %+v", what, d, len(evs), evs)
		}
	}
}

// serve runs a go-binance WS until the test ends, then stops it and waits
// for its goroutine to exit.
func serve(t *testing.T, start func() (done, stop chan struct{}, err error)) {
	t.Helper()
	done, stop, err := start()
	if err != nil {
		t.Fatalf("WS dial: %v", err)
	}
	t.Cleanup(func() {
		close(stop)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("go-binance WS goroutine did not stop within 10s")
		}
	})
}

func checkEvent(t *testing.T, e wsKline, symbol, interval string) {
	t.Helper()
	iv, err := cc.ParseInterval(interval)
	if err != nil {
		t.Fatal(err)
	}
	if e.event != "kline" || e.symbol != symbol || e.interval != interval {
		t.Errorf("push %+v: want e=kline s=%s i=%s", e, symbol, interval)
	}
	if e.start != iv.Truncate(e.start) || e.end != iv.CloseTime(e.start) {
		t.Errorf("push %+v: t/T not the bounds of one %s candle", e, interval)
	}
	// A push is for the candle in progress when it was sent; allow a few
	// seconds for delivery on a loaded machine.
	now := time.Now().UnixMilli()
	if e.start > now || now-e.end > 5000 {
		t.Errorf("push %+v: not the candle in progress (now %d)", e, now)
	}
	for _, f := range []struct{ name, s string }{{"o", e.o}, {"h", e.h}, {"l", e.l}, {"c", e.c}, {"v", e.v}} {
		compattest.ParseFloat(t, f.name, f.s)
	}
}

func TestWsKlineServeReceivesUpdates(t *testing.T) {
	for _, m := range markets {
		for _, target := range compattest.Targets {
			t.Run(m.name+"/"+target.Name, func(t *testing.T) {
				srv := target.Start(t, m.exchange, compattest.Options{Pairs: pairs, Seed: 7})
				c := m.connect(t, srv)
				c.setWS(t, srv)
				col := newCollector()
				serve(t, func() (chan struct{}, chan struct{}, error) {
					return c.wsKlines("BTCUSDT", m.wsIv, col.handle, col.handleErr)
				})
				evs := col.waitFor(t, "two kline pushes", 15*time.Second, func(evs []wsKline) bool { return len(evs) >= 2 })
				for _, e := range evs {
					checkEvent(t, e, "BTCUSDT", m.wsIv)
				}
				if m.wsIv != "1s" {
					// The open of the candle in progress is the one REST gives.
					e := evs[len(evs)-1]
					ks, err := c.klines(ctx(t), kq{symbol: "BTCUSDT", interval: m.wsIv, start: e.start, limit: 1})
					if err != nil || len(ks) != 1 {
						t.Fatalf("REST kline for the pushed candle: %v (%d rows)", err, len(ks))
					}
					if ks[0].open != e.start || ks[0].o != e.o {
						t.Errorf("REST says the candle at %d opened at %s, WS says %s", e.start, ks[0].o, e.o)
					}
					return
				}
				// 1s candles close quickly: a final push must equal REST's candle.
				evs = col.waitFor(t, "a final (x:true) push", 15*time.Second, func(evs []wsKline) bool {
					for _, e := range evs {
						if e.final {
							return true
						}
					}
					return false
				})
				var final wsKline
				for _, e := range evs {
					if e.final {
						final = e
						break
					}
				}
				ks, err := c.klines(ctx(t), kq{symbol: "BTCUSDT", interval: "1s", start: final.start, limit: 1})
				if err != nil || len(ks) != 1 {
					t.Fatalf("REST kline for the closed candle: %v (%d rows)", err, len(ks))
				}
				k := ks[0]
				if k.open != final.start || k.o != final.o || k.h != final.h || k.l != final.l || k.c != final.c || k.v != final.v {
					t.Errorf("closed candle differs: REST %+v, WS %+v", k, final)
				}
			})
		}
	}
}

func TestWsCombinedKlineServeReceivesEveryStream(t *testing.T) {
	for _, m := range markets {
		for _, target := range compattest.Targets {
			t.Run(m.name+"/"+target.Name, func(t *testing.T) {
				srv := target.Start(t, m.exchange, compattest.Options{Pairs: pairs, Seed: 7})
				c := m.connect(t, srv)
				c.setWS(t, srv)
				col := newCollector()
				streams := map[string]string{"BTCUSDT": m.wsIv, "ETHUSDT": "1m"}
				serve(t, func() (chan struct{}, chan struct{}, error) {
					return c.wsCombined(streams, col.handle, col.handleErr)
				})
				evs := col.waitFor(t, "pushes for both streams", 15*time.Second, func(evs []wsKline) bool {
					seen := map[string]bool{}
					for _, e := range evs {
						seen[e.symbol] = true
					}
					return seen["BTCUSDT"] && seen["ETHUSDT"]
				})
				for _, e := range evs {
					iv, ok := streams[e.symbol]
					if !ok {
						t.Errorf("push for a stream not subscribed: %+v", e)
						continue
					}
					checkEvent(t, e, e.symbol, iv)
				}
			})
		}
	}
}
