package binance_test

import (
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	binance "github.com/adshao/go-binance/v2"
	"github.com/adshao/go-binance/v2/common"
	"github.com/adshao/go-binance/v2/futures"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/compat/compattest"
)

// The order book as go-binance keeps it: a REST snapshot and the diff
// stream synchronised by Binance's documented procedure, checked against
// fresh snapshots, the partial stream and bookTicker.

// diffEvent is a diff stream event, spot's or USD-M's.
type diffEvent struct {
	first, last, prev int64 // U, u, pu (USD-M)
	bids, asks        []common.PriceLevel
}

// localBook is a book kept from a snapshot and diff events.
type localBook struct {
	side   [2]map[string]string // bids, asks: price -> qty
	lastU  int64
	lo, hi float64 // the snapshot's price window
	n      int     // events applied
}

func newLocalBook(id int64, bids, asks []common.PriceLevel) *localBook {
	b := &localBook{side: [2]map[string]string{{}, {}}, lastU: id}
	for k, ls := range [][]common.PriceLevel{bids, asks} {
		for _, l := range ls {
			b.side[k][l.Price] = l.Quantity
		}
	}
	b.lo, _ = strconv.ParseFloat(bids[len(bids)-1].Price, 64)
	b.hi, _ = strconv.ParseFloat(asks[len(asks)-1].Price, 64)
	return b
}

// apply follows the procedure: drop events up to the snapshot, the first
// applied one straddles it, each next one continues the last (USD-M: its
// pu is the last u). It reports whether e was applied.
func (b *localBook) apply(t *testing.T, e diffEvent, futures bool) bool {
	t.Helper()
	if b.n == 0 && e.last <= b.lastU {
		return false
	}
	switch {
	case b.n == 0:
		if e.first > b.lastU+1 {
			t.Fatalf("first event [%d, %d] after a snapshot at %d: a gap", e.first, e.last, b.lastU)
		}
	case futures && e.prev != b.lastU:
		t.Fatalf("event pu %d, last u %d", e.prev, b.lastU)
	case !futures && e.first != b.lastU+1:
		t.Fatalf("event U %d, last u %d", e.first, b.lastU)
	}
	for k, ls := range [][]common.PriceLevel{e.bids, e.asks} {
		for _, l := range ls {
			if q, _ := strconv.ParseFloat(l.Quantity, 64); q == 0 {
				delete(b.side[k], l.Price)
			} else {
				b.side[k][l.Price] = l.Quantity
			}
		}
	}
	b.lastU = e.last
	b.n++
	return true
}

// top is a side's best n levels, best first.
func (b *localBook) top(k, n int) [][2]string {
	type lvl struct {
		px   float64
		p, q string
	}
	all := make([]lvl, 0, len(b.side[k]))
	for p, q := range b.side[k] {
		f, _ := strconv.ParseFloat(p, 64)
		if k == 0 {
			f = -f
		}
		all = append(all, lvl{f, p, q})
	}
	slices.SortFunc(all, func(x, y lvl) int {
		switch {
		case x.px < y.px:
			return -1
		case x.px > y.px:
			return 1
		}
		return 0
	})
	out := make([][2]string, 0, n)
	for _, l := range all[:min(n, len(all))] {
		out = append(out, [2]string{l.p, l.q})
	}
	return out
}

// best is a side's best price.
func (b *localBook) best(k int) (float64, bool) {
	var best float64
	ok := false
	for p := range b.side[k] {
		f, _ := strconv.ParseFloat(p, 64)
		if !ok || (k == 0 && f > best) || (k == 1 && f < best) {
			best, ok = f, true
		}
	}
	return best, ok
}

func (b *localBook) notCrossed(t *testing.T) {
	t.Helper()
	bid, ok0 := b.best(0)
	ask, ok1 := b.best(1)
	if !ok0 || !ok1 || bid >= ask {
		t.Fatalf("crossed or empty at u %d: %v / %v", b.lastU, bid, ask)
	}
}

// sameIn reports the first difference between a and c among the prices in
// both books' windows.
func sameIn(a, c *localBook) string {
	lo, hi := max(a.lo, c.lo), min(a.hi, c.hi)
	in := func(p string) bool { f, _ := strconv.ParseFloat(p, 64); return f >= lo && f <= hi }
	for k := range 2 {
		for _, pair := range [][2]*localBook{{a, c}, {c, a}} {
			for p, q := range pair[0].side[k] {
				if in(p) && pair[1].side[k][p] != q {
					return "side " + strconv.Itoa(k) + " level " + p + ": " + q + " / " + pair[1].side[k][p]
				}
			}
		}
	}
	return ""
}

func levelsOf(ls []common.PriceLevel) [][2]string {
	out := make([][2]string, len(ls))
	for i, l := range ls {
		out[i] = [2]string{l.Price, l.Quantity}
	}
	return out
}

// depthFeed collects a diff stream and a partial stream.
type depthFeed struct {
	mu      sync.Mutex
	diffs   []diffEvent
	partial map[int64][2][][2]string // by update id: top bids, asks
	errs    []error
}

func (f *depthFeed) addDiff(e diffEvent) { f.mu.Lock(); f.diffs = append(f.diffs, e); f.mu.Unlock() }
func (f *depthFeed) addPartial(id int64, bids, asks []common.PriceLevel) {
	f.mu.Lock()
	f.partial[id] = [2][][2]string{levelsOf(bids), levelsOf(asks)}
	f.mu.Unlock()
}
func (f *depthFeed) err(err error) { f.mu.Lock(); f.errs = append(f.errs, err); f.mu.Unlock() }

// next waits for diff event i.
func (f *depthFeed) next(t *testing.T, i int) diffEvent {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		f.mu.Lock()
		n, errs := len(f.diffs), f.errs
		var e diffEvent
		if i < n {
			e = f.diffs[i]
		}
		f.mu.Unlock()
		if len(errs) > 0 {
			t.Fatalf("WS error: %v", errs[0])
		}
		if i < n {
			return e
		}
		if time.Now().After(deadline) {
			t.Fatalf("no diff event %d within 10 s", i)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// syncDepth runs the procedure for about 15 s of virtual time (1.5 s at
// 10x): the kept book never crosses, agrees with the partial stream's top
// 20 at the same update id, and with a fresh snapshot kept the same way.
//
// The partial stream is a separate connection and may run behind the diff
// stream on a busy machine, so the kept book's top 20 is noted at every
// applied u and compared with the partial events of the same u as they
// come, more diff events applied until three have been compared.
func syncDepth(t *testing.T, f *depthFeed, snapshot func() (int64, []common.PriceLevel, []common.PriceLevel), fut bool) {
	f.next(t, 1) // buffer before the snapshot
	id, bids, asks := snapshot()
	local := newLocalBook(id, bids, asks)
	kept := map[int64][2][][2]string{} // the kept book's top 20 by u
	i, levels := 0, 0
	for end := time.Now().Add(1500 * time.Millisecond); time.Now().Before(end) || local.n < 10; i++ {
		e := f.next(t, i)
		if !local.apply(t, e, fut) {
			continue
		}
		levels += len(e.bids) + len(e.asks)
		local.notCrossed(t)
		kept[e.last] = [2][][2]string{local.top(0, 20), local.top(1, 20)}
	}
	// A fresh snapshot, kept the same way, reaches the same book.
	id, bids, asks = snapshot()
	fresh := newLocalBook(id, bids, asks)
	for ; fresh.n < 3; i++ {
		e := f.next(t, i)
		local.apply(t, e, fut)
		fresh.apply(t, e, fut)
		if fresh.n > 0 {
			if d := sameIn(local, fresh); d != "" {
				t.Fatalf("after u %d the kept book and a fresh one differ: %s", e.last, d)
			}
		}
	}
	// Compare the partial events with the kept book at the same u, until
	// three have been compared. The partial stream runs on a connection
	// of its own: on a busy machine it falls behind, and a push that wakes
	// late is taken at its instant, not on the diff steps' grid, so its u
	// matches no diff event's; the diff events go on being applied (and
	// noted) until enough partial events land on their steps.
	matched := 0
	checked := map[int64]bool{}
	for deadline := time.Now().Add(20 * time.Second); ; i++ {
		f.mu.Lock()
		for u, p := range f.partial {
			got, ok := kept[u]
			if !ok || checked[u] {
				continue
			}
			checked[u] = true
			matched++
			if !slices.Equal(got[0], p[0]) || !slices.Equal(got[1], p[1]) {
				f.mu.Unlock()
				t.Fatalf("at u %d the kept book's top 20 %v\ndiffers from the partial stream's %v", u, got, p)
			}
		}
		f.mu.Unlock()
		if matched >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("only %d partial events matched a diff event's u in 20 s more", matched)
			break
		}
		e := f.next(t, i)
		if local.apply(t, e, fut) {
			levels += len(e.bids) + len(e.asks)
			local.notCrossed(t)
			kept[e.last] = [2][][2]string{local.top(0, 20), local.top(1, 20)}
		}
	}
	t.Logf("%d diff events applied (%.0f levels each), %d checked against the partial stream", local.n, float64(levels)/float64(local.n), matched)
}

func TestSpotDepthSync(t *testing.T) {
	srv := compattest.Start(t, "binance_spot", compattest.Options{Pairs: pairs, Seed: 7, Clock: cc.NewClock(time.Now(), 10)})
	c := binance.NewClient("", "")
	c.BaseURL = srv.URL
	c.HTTPClient = compattest.HTTPClient(t)
	spot{c}.setWS(t, srv)
	f := &depthFeed{partial: map[int64][2][][2]string{}}
	serve(t, func() (chan struct{}, chan struct{}, error) {
		return binance.WsPartialDepthServe100Ms("BTCUSDT", "20", func(e *binance.WsPartialDepthEvent) {
			if len(e.Bids) != 20 || len(e.Asks) != 20 || e.Symbol != "BTCUSDT" {
				f.err(strconv.ErrRange)
			}
			f.addPartial(e.LastUpdateID, e.Bids, e.Asks)
		}, f.err)
	})
	serve(t, func() (chan struct{}, chan struct{}, error) {
		return binance.WsDepthServe100Ms("BTCUSDT", func(e *binance.WsDepthEvent) {
			f.addDiff(diffEvent{first: e.FirstUpdateID, last: e.LastUpdateID, bids: e.Bids, asks: e.Asks})
		}, f.err)
	})
	syncDepth(t, f, func() (int64, []common.PriceLevel, []common.PriceLevel) {
		d, err := c.NewDepthService().Symbol("BTCUSDT").Limit(5000).Do(ctx(t))
		if err != nil || len(d.Bids) != 5000 || len(d.Asks) != 5000 {
			t.Fatalf("depth: %v", err)
		}
		return d.LastUpdateID, d.Bids, d.Asks
	}, false)
}

func TestFuturesDepthSync(t *testing.T) {
	srv := compattest.Start(t, "binance_perpetual", compattest.Options{Pairs: pairs, Seed: 7, Clock: cc.NewClock(time.Now(), 10)})
	c := binance.NewFuturesClient("", "")
	c.BaseURL = srv.URL
	c.HTTPClient = compattest.HTTPClient(t)
	perp{c}.setWS(t, srv)
	f := &depthFeed{partial: map[int64][2][][2]string{}}
	serve(t, func() (chan struct{}, chan struct{}, error) {
		return futures.WsPartialDepthServeWithRate("BTCUSDT", 20, 100*time.Millisecond, func(e *futures.WsDepthEvent) {
			if len(e.Bids) != 20 || len(e.Asks) != 20 || e.Symbol != "BTCUSDT" || e.FirstUpdateID != e.PrevLastUpdateID+1 {
				f.err(strconv.ErrRange)
			}
			f.addPartial(e.LastUpdateID, e.Bids, e.Asks)
		}, f.err)
	})
	serve(t, func() (chan struct{}, chan struct{}, error) {
		return futures.WsDiffDepthServeWithRate("BTCUSDT", 100*time.Millisecond, func(e *futures.WsDepthEvent) {
			if e.Event != "depthUpdate" || e.Time != e.TransactionTime {
				f.err(strconv.ErrSyntax)
			}
			f.addDiff(diffEvent{first: e.FirstUpdateID, last: e.LastUpdateID, prev: e.PrevLastUpdateID, bids: e.Bids, asks: e.Asks})
		}, f.err)
	})
	syncDepth(t, f, func() (int64, []common.PriceLevel, []common.PriceLevel) {
		d, err := c.NewDepthService().Symbol("BTCUSDT").Limit(1000).Do(ctx(t))
		if err != nil || len(d.Bids) != 1000 || len(d.Asks) != 1000 || d.Time == 0 {
			t.Fatalf("depth: %v", err)
		}
		return d.LastUpdateID, d.Bids, d.Asks
	}, true)
}

// With the clock all but stopped, the tickers and the book are read at the
// same instant: bookTicker (REST and WS) is the book's top, its update id
// the book's.
func TestBookTickerAgreesWithDepth(t *testing.T) {
	still := func() *cc.Clock { return cc.NewClock(time.Now(), 1e-7) }
	srv := compattest.Start(t, "binance_spot", compattest.Options{Pairs: pairs, Seed: 7, Clock: still()})
	c := binance.NewClient("", "")
	c.BaseURL = srv.URL
	c.HTTPClient = compattest.HTTPClient(t)
	spot{c}.setWS(t, srv)
	d, err := c.NewDepthService().Symbol("ETHUSDT").Limit(5).Do(ctx(t))
	if err != nil || len(d.Bids) != 5 {
		t.Fatalf("depth: %v %+v", err, d)
	}
	bt, err := c.NewListBookTickersService().Symbol("ETHUSDT").Do(ctx(t))
	if err != nil || len(bt) != 1 || bt[0].BidPrice != d.Bids[0].Price || bt[0].BidQuantity != d.Bids[0].Quantity ||
		bt[0].AskPrice != d.Asks[0].Price || bt[0].AskQuantity != d.Asks[0].Quantity {
		t.Fatalf("bookTicker %v %+v, depth top %+v / %+v", err, bt, d.Bids[0], d.Asks[0])
	}
	got := make(chan *binance.WsBookTickerEvent, 4)
	serve(t, func() (chan struct{}, chan struct{}, error) {
		return binance.WsBookTickerServe("ETHUSDT", func(e *binance.WsBookTickerEvent) { got <- e }, func(error) {})
	})
	select {
	case e := <-got:
		if e.UpdateID != d.LastUpdateID || e.BestBidPrice != d.Bids[0].Price || e.BestBidQty != d.Bids[0].Quantity ||
			e.BestAskPrice != d.Asks[0].Price || e.BestAskQty != d.Asks[0].Quantity {
			t.Errorf("WS bookTicker %+v, depth %d %+v / %+v", e, d.LastUpdateID, d.Bids[0], d.Asks[0])
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no bookTicker event")
	}

	fsrv := compattest.Start(t, "binance_perpetual", compattest.Options{Pairs: pairs, Seed: 7, Clock: still()})
	fc := binance.NewFuturesClient("", "")
	fc.BaseURL = fsrv.URL
	fc.HTTPClient = compattest.HTTPClient(t)
	fd, err := fc.NewDepthService().Symbol("BTCUSDT").Limit(5).Do(ctx(t))
	if err != nil || len(fd.Bids) != 5 {
		t.Fatalf("futures depth: %v", err)
	}
	fbt, err := fc.NewListBookTickersService().Symbol("BTCUSDT").Do(ctx(t))
	if err != nil || len(fbt) != 1 || fbt[0].BidPrice != fd.Bids[0].Price || fbt[0].AskQuantity != fd.Asks[0].Quantity {
		t.Fatalf("futures bookTicker %v %+v, depth top %+v / %+v", err, fbt, fd.Bids[0], fd.Asks[0])
	}
}
