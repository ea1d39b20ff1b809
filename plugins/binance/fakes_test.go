package binance_test

import (
	"context"
	"slices"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/synth"
)

// fakeTape derives trades from a market's 1s candles until the synthetic
// tape is merged: a candle of n trades has ids sec×1000+i, prints in
// pairs (one aggregate: same price and time), the first at the open, the
// last at the close, the second aggregate at the high, the third at the
// low. It implements cc.Tape's query semantics fully.
type fakeTape struct{ m cc.Market }

const fakeMaxSpan = 2 * 86_400 // seconds one query may scan

func (f fakeTape) secondTrades(c cc.Candle) []cc.Trade {
	n := int(min(c.Trades, 999))
	if n == 0 {
		return nil
	}
	out := make([]cc.Trade, n)
	aggs := (n + 1) / 2
	size := cc.DecimalFromFloat(c.Volume.Float64()/float64(n), 5)
	for i := range out {
		k := i / 2
		price := c.Open
		switch {
		case k == aggs-1:
			price = c.Close
		case k == 1:
			price = c.High
		case k == 2:
			price = c.Low
		}
		id := c.OpenTime + int64(i) // ms×1000/1000: sec×1000+i
		out[i] = cc.Trade{
			ID: id, AggID: c.OpenTime + int64(2*k),
			Time:  c.OpenTime*1000 + int64(2*k)*(1_000_000/int64(2*aggs)),
			Price: price, Size: size, BuyerMaker: k%2 == 1,
		}
	}
	return out
}

func (f fakeTape) Trades(ctx context.Context, q cc.TradeQuery) ([]cc.Trade, error) {
	nowMs := q.Now / 1000
	hi := nowMs / 1000 // seconds, inclusive
	// The trades of a second come from its whole candle, so they do not
	// change as it fills; those after now are left out.
	whole := (hi + 1) * 1000
	if q.End != 0 {
		hi = min(hi, (q.End-1)/1_000_000)
	}
	if q.ToID != 0 {
		hi = min(hi, (q.ToID-1)/1000)
	}
	lo := int64(-1)
	if q.Start != 0 {
		lo = q.Start / 1_000_000
	}
	if q.FromID != 0 {
		lo = max(lo, q.FromID/1000)
	}
	if lo < 0 {
		lo = hi - fakeMaxSpan
	}
	hi = min(hi, lo+fakeMaxSpan)
	keep := func(t cc.Trade) bool {
		return (q.Start == 0 || t.Time >= q.Start) && (q.End == 0 || t.Time < q.End) &&
			(q.FromID == 0 || t.ID >= q.FromID) && (q.ToID == 0 || t.ID < q.ToID) && t.Time <= q.Now
	}
	var out []cc.Trade
	const chunk = 600
	if q.Newest {
		for top := hi; top >= lo; top -= chunk {
			from := max(lo, top-chunk+1)
			cs, err := f.m.Candles(ctx, q.Symbol, cc.Interval1s, from*1000, (top+1)*1000, whole)
			if err != nil {
				return nil, err
			}
			for i := len(cs) - 1; i >= 0; i-- {
				ts := f.secondTrades(cs[i])
				for j := len(ts) - 1; j >= 0; j-- {
					if keep(ts[j]) {
						out = append(out, ts[j])
						if q.Limit > 0 && len(out) == q.Limit {
							slices.Reverse(out)
							return out, nil
						}
					}
				}
			}
		}
		slices.Reverse(out)
		return out, nil
	}
	for bot := lo; bot <= hi; bot += chunk {
		to := min(hi, bot+chunk-1)
		cs, err := f.m.Candles(ctx, q.Symbol, cc.Interval1s, bot*1000, (to+1)*1000, whole)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			for _, t := range f.secondTrades(c) {
				if keep(t) {
					out = append(out, t)
					if q.Limit > 0 && len(out) == q.Limit {
						return out, nil
					}
				}
			}
		}
	}
	return out, nil
}

// fakeQuoter quotes one tick (0.01) either side of the 1s candle's close.
type fakeQuoter struct{ m cc.Market }

func (f fakeQuoter) Touch(ctx context.Context, sym string, at int64) (cc.Touch, error) {
	ms := at / 1000
	cs, err := f.m.Candles(ctx, sym, cc.Interval1s, cc.Interval1s.Truncate(ms), cc.Interval1s.Truncate(ms)+1000, ms)
	if err != nil || len(cs) == 0 {
		return cc.Touch{}, cc.ErrUnknownSymbol
	}
	tick := cc.NewDecimal(1, 2)
	last := cs[len(cs)-1].Close
	return cc.Touch{Time: at, Bid: last.Add(tick.Neg()), BidSize: cc.MustDecimal("1.5"), Ask: last.Add(tick), AskSize: cc.MustDecimal("2.25")}, nil
}

// fakeDerivs: the mark is the last price +0.05%, the index −0.05% (as
// shifted candles), funding 0.0001 every 8 hours, open interest 1234.5.
type fakeDerivs struct{ m cc.Market }

type shifted struct {
	m   cc.Market
	bps int64
}

func (s shifted) Candles(ctx context.Context, sym string, iv cc.Interval, start, end, now int64) ([]cc.Candle, error) {
	cs, err := s.m.Candles(ctx, sym, iv, start, end, now)
	for i := range cs {
		for _, d := range []*cc.Decimal{&cs[i].Open, &cs[i].High, &cs[i].Low, &cs[i].Close} {
			*d = cc.NewDecimal(d.Units+d.Units*s.bps/10000, int(d.Scale))
		}
	}
	return cs, err
}

func (f fakeDerivs) Prices(kind cc.PriceKind) cc.Market {
	switch kind {
	case cc.MarkPrice:
		return shifted{f.m, 5}
	case cc.IndexPrice:
		return shifted{f.m, -5}
	}
	return f.m
}

func (f fakeDerivs) FundingHistory(ctx context.Context, sym string, start, end, now int64) ([]cc.Funding, error) {
	const eight = 8 * 3_600_000
	var out []cc.Funding
	for t := (start + eight - 1) / eight * eight; t < end && t <= now; t += eight {
		cs, err := f.Prices(cc.MarkPrice).Candles(ctx, sym, cc.Interval1m, t, t+60_000, now)
		if err != nil {
			return nil, err
		}
		out = append(out, cc.Funding{Time: t, Rate: cc.NewDecimal(1, 4), MarkPrice: cs[0].Open})
	}
	return out, nil
}

func (f fakeDerivs) Perp(ctx context.Context, sym string, now int64) (cc.PerpState, error) {
	const eight = 8 * 3_600_000
	iv := cc.Interval1s
	mk, err := f.Prices(cc.MarkPrice).Candles(ctx, sym, iv, iv.Truncate(now), iv.Truncate(now)+1000, now)
	if err != nil {
		return cc.PerpState{}, err
	}
	ix, _ := f.Prices(cc.IndexPrice).Candles(ctx, sym, iv, iv.Truncate(now), iv.Truncate(now)+1000, now)
	return cc.PerpState{Time: now, Mark: mk[0].Close, Index: ix[0].Close, FundingRate: cc.NewDecimal(1, 4),
		NextFunding: (now/eight + 1) * eight, OpenInterest: cc.MustDecimal("1234.500")}, nil
}

// synthEnv serves the synthetic market with the fakes above (the tape,
// quoter and derivatives of the synth market once they are merged).
func synthEnv(clock *cc.Clock, exchange string) *plugins.Env {
	m := synth.New(synth.Options{Seed: 3, Exchange: exchange, Pairs: testPairs})
	return &plugins.Env{
		Market: m, Feed: &cc.MarketFeed{Market: m, Clock: clock}, Clock: clock,
		Tape: fakeTape{m}, Quotes: fakeQuoter{m}, Derivs: fakeDerivs{m},
		Pairs: testPairs, Hub: plugins.NewHub(),
	}
}
