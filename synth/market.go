package synth

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	cc "github.com/candlecassette/candlecassette"
)

// DefaultRefTime is the reference instant used when Options.RefTime is 0:
// 2026-01-01T00:00:00Z. Each pair trades at its start price then, so a
// market served today starts near the prices it was configured with.
const DefaultRefTime = int64(1767225600000)

// Options configure a Market. The zero value serves cc.DefaultPairs with
// seed 0 at DefaultRefTime.
type Options struct {
	// Seed selects the market; the same seed gives the same candles.
	Seed uint64
	// Exchange names the venue (e.g. "binance_spot"). The same pair on two
	// exchanges follows the same path up to a small basis.
	Exchange string
	// Pairs are the symbols served, with Symbol set to the exchange's
	// spelling (the BASE-QUOTE name when empty). Price is the price at
	// RefTime; 0 takes a default for the asset (BTC 50000, ETH 3000, ...).
	// A pair's path depends on its BASE-QUOTE name, not on its spelling.
	Pairs []cc.Pair
	// RefTime (Unix ms) is when each pair trades at its Price; 0 means
	// DefaultRefTime. At a UTC day boundary the pin is exact; elsewhere
	// within a tick or two.
	RefTime int64
}

// Market is the synthetic market. It implements cc.Market and is safe for
// concurrent use.
type Market struct {
	opts    Options
	mktKey  uint64
	symbols map[string]*symbol
	pool    sync.Pool // of *gen
	tapes   tapeCache // the trade tape's scratch and id index (tape.go)
	deeps   sync.Pool // of *deepBook (book.go)
	scratch sync.Pool // of *diffScratch (book.go)
	recent  deepCache // the depths of the slots last laid out (book.go)
	fixed   dayCache  // the fixed days of the 4-day blocks last split (daycache.go)
}

var _ cc.Market = (*Market)(nil)

// New returns a Market for opts.
func New(opts Options) *Market {
	if len(opts.Pairs) == 0 {
		opts.Pairs = cc.DefaultPairs
	}
	if opts.RefTime == 0 {
		opts.RefTime = DefaultRefTime
	}
	m := &Market{opts: opts, symbols: map[string]*symbol{}}
	m.mktKey = mix64(opts.Seed ^ mix64(hashString("market")))
	m.pool.New = func() any { return newGen() }
	g := newGen()
	for _, p := range opts.Pairs {
		s := newSymbol(p, opts.Seed, opts.Exchange)
		m.pin(g, s)
		m.symbols[s.native] = s
	}
	return m
}

// pin sets s.shift so that the price at RefTime is s.price. The day's
// open is pinned exactly; inside a day the tick rounding of the lower
// levels moves the price slightly with the shift, so a few fixed-point
// steps follow.
func (m *Market) pin(g *gen, s *symbol) {
	ref := m.opts.RefTime
	target := math.Log(s.price / s.tick)
	// The shift changes the days' ticks: pin's splits keep to g, and
	// days fixed before (NewDerivatives pins its index again) go.
	g.solo = true
	defer func() { g.solo = false }()
	m.fixed.reset()
	g.use(m, s)
	s.shift = target - g.at(dayLevel, ref).lo
	for range 3 {
		g.use(m, nil)
		g.use(m, s)
		p := g.priceAt(ref)
		if p <= 0 {
			break
		}
		d := target - math.Log(float64(p))
		if math.Abs(d) < 1e-12 {
			break
		}
		s.shift += d
	}
	g.use(m, nil)
}

// priceAt is the open of the 1s candle containing t, in ticks.
func (g *gen) priceAt(t int64) int64 { return g.at(leafLevel, t).o }

// Symbols lists the exchange-native symbols served.
func (m *Market) Symbols() []string {
	out := make([]string, 0, len(m.symbols))
	for _, p := range m.opts.Pairs {
		s := p.Symbol
		if s == "" {
			s = p.Name()
		}
		out = append(out, s)
	}
	return out
}

// TickSize reports a symbol's price and quantity increments (tick and
// lot) as Decimals, e.g. 0.01 and 0.00001 for BTC-USDT at 50000, for
// plugins that publish exchange filters. Every price the market serves is
// a multiple of the tick, every base volume a multiple of the lot.
func (m *Market) TickSize(symbol string) (tick, lot cc.Decimal, err error) {
	s, ok := m.symbols[symbol]
	if !ok {
		return cc.Decimal{}, cc.Decimal{}, fmt.Errorf("%w: %s", cc.ErrUnknownSymbol, symbol)
	}
	return cc.NewDecimal(1, s.tickDec), cc.NewDecimal(1, s.lotDec), nil
}

func (m *Market) get(symbol string) (*gen, *symbol, error) {
	s, ok := m.symbols[symbol]
	if !ok {
		return nil, nil, fmt.Errorf("%w: %s", cc.ErrUnknownSymbol, symbol)
	}
	g := m.pool.Get().(*gen)
	g.use(m, s)
	return g, s, nil
}

// Candles implements cc.Market: the candles of iv opening in [start, end),
// oldest first, none opening after now. The candle containing now is in
// progress (Closed false): the aggregate of the whole seconds elapsed in
// it, or a flat, empty candle at its open when none has.
func (m *Market) Candles(ctx context.Context, symbol string, iv cc.Interval, start, end, now int64) ([]cc.Candle, error) {
	if !iv.Valid() {
		return nil, fmt.Errorf("synth: invalid interval %q", iv)
	}
	g, s, err := m.get(symbol)
	if err != nil {
		return nil, err
	}
	defer m.pool.Put(g)
	start = iv.Truncate(start)
	if now < end {
		end = now + 1
	}
	if start >= end {
		return nil, nil
	}
	out := make([]cc.Candle, 0, estimate(iv, start, end))
	L := baseLevel(iv)
	dur := levels[L].dur
	step := int64(0) // candle length, 0 for calendar months
	if iv.Fixed() {
		step = iv.Millis()
	}
	idx := floorDiv(start, dur) // the first node of the candle opening at open
	open := start
	if step == dur {
		// Closed candles of one node each (1s, 1m, 15m, 1h, 6h, 1d) in
		// a tight loop; the loop below finishes with the one in progress.
		for open < end && open+step-1 <= now {
			if len(out)&1023 == 1023 {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
			}
			var nd *node
			if j := idx - g.first[L]; uint64(j) < g.count[L] {
				nd = &g.kids[L][j&(maxFan-1)] // g.node, inlined
			} else {
				nd = g.nodeSlow(L, idx)
			}
			if len(out) == cap(out) {
				out = append(out, cc.Candle{})[:len(out)]
			}
			out = out[:len(out)+1] // zeroed by make; every field is set
			c := &out[len(out)-1]
			c.OpenTime, c.CloseTime = open, open+step-1
			c.Open = cc.NewDecimal(nd.o, s.tickDec)
			c.High = cc.NewDecimal(nd.h, s.tickDec)
			c.Low = cc.NewDecimal(nd.l, s.tickDec)
			c.Close = cc.NewDecimal(nd.c, s.tickDec)
			c.Volume = cc.NewDecimal(nd.vol, s.lotDec)
			c.QuoteVolume = cc.NewDecimal(nd.qv, s.quoteDec)
			c.Trades = nd.trades
			c.TakerBuyBase = cc.NewDecimal(nd.tbb, s.lotDec)
			c.TakerBuyQuote = cc.NewDecimal(nd.tbq, s.quoteDec)
			c.Closed = true
			idx++
			open += step
		}
	}
	for open < end {
		if len(out)&1023 == 1023 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		next := open + step
		if step == 0 {
			next = iv.Next(open)
		}
		if len(out) < cap(out) {
			out = out[:len(out)+1] // zeroed by make; fill sets every field
		} else {
			out = append(out, cc.Candle{})
		}
		var a agg
		if next-1 <= now {
			last := idx + step/dur
			if step == 0 {
				last = floorDiv(next, dur)
			}
			for ; idx < last; idx++ {
				a.add(g.node(L, idx))
			}
		} else {
			for idx := floorDiv(open, dur); idx*dur <= now; idx++ {
				g.prefix(L, idx, now, &a)
			}
			if a.n == 0 {
				a.flat(g.node(L, floorDiv(open, dur)).o)
			}
		}
		a.fill(&out[len(out)-1], s, open, next, next-1 <= now)
		open = next
	}
	generated.Add(int64(len(out)))
	return out, nil
}

// estimate is the number of candles of iv in [start, end).
func estimate(iv cc.Interval, start, end int64) int {
	n := (end - start) / iv.Millis()
	if iv == cc.Interval1M {
		n += 2
	}
	return int(min(n+1, 1<<20))
}

// baseLevel is the coarsest tree level whose blocks tile iv's candles.
func baseLevel(iv cc.Interval) int {
	if iv == cc.Interval1M || iv == cc.Interval1w || iv == cc.Interval3d {
		return dayLevel
	}
	d := iv.Millis()
	for L := dayLevel; L < nLevels; L++ {
		if d%levels[L].dur == 0 {
			return L
		}
	}
	return leafLevel
}

// prefix adds to a the part of node (L, idx) complete at now: whole
// children, down to whole seconds.
func (g *gen) prefix(L int, idx, now int64, a *agg) {
	dur := levels[L].dur
	if idx*dur+dur-1 <= now {
		a.add(g.node(L, idx))
		return
	}
	if L == leafLevel || idx*dur > now {
		return
	}
	f := int64(levels[L+1].fan)
	cd := levels[L+1].dur
	for j := idx * f; j < idx*f+f && j*cd <= now; j++ {
		g.prefix(L+1, j, now, a)
	}
}

// agg accumulates consecutive nodes into a candle, exactly.
type agg struct {
	n                         int
	o, c, h, l                int64
	vol, trades, qv, tbb, tbq int64
}

func (a *agg) add(n *node) {
	if a.n == 0 {
		a.o, a.h, a.l = n.o, n.h, n.l
	} else {
		a.h, a.l = max(a.h, n.h), min(a.l, n.l)
	}
	a.c = n.c
	a.vol += n.vol
	a.trades += n.trades
	a.qv += n.qv
	a.tbb += n.tbb
	a.tbq += n.tbq
	a.n++
}

func (a *agg) flat(p int64) { a.o, a.c, a.h, a.l = p, p, p, p }

// fill writes the candle of [open, next) into c, in place.
func (a *agg) fill(c *cc.Candle, s *symbol, open, next int64, closed bool) {
	c.OpenTime, c.CloseTime = open, next-1
	c.Open = cc.NewDecimal(a.o, s.tickDec)
	c.High = cc.NewDecimal(a.h, s.tickDec)
	c.Low = cc.NewDecimal(a.l, s.tickDec)
	c.Close = cc.NewDecimal(a.c, s.tickDec)
	c.Volume = cc.NewDecimal(a.vol, s.lotDec)
	c.QuoteVolume = cc.NewDecimal(a.qv, s.quoteDec)
	c.Trades = a.trades
	c.TakerBuyBase = cc.NewDecimal(a.tbb, s.lotDec)
	c.TakerBuyQuote = cc.NewDecimal(a.tbq, s.quoteDec)
	c.Closed = closed
}

// generated counts the candles every Market of the process generated.
var generated atomic.Int64

// Generated is the number of candles the synthetic markets of this process
// have generated (Candles and Bridge), for the metrics.
func Generated() int64 { return generated.Load() }
