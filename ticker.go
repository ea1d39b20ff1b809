package candlecassette

import (
	"context"
	"math/big"
)

// Stats are a symbol's statistics over a window of time, as the 24-hour
// tickers of the exchanges report them: computed from the same market as
// the candles, so a ticker always agrees with the klines.
type Stats struct {
	// OpenTime and CloseTime bound the window, Unix ms, both inclusive.
	OpenTime, CloseTime int64
	Open, High, Low     Decimal
	Last                Decimal // the close of the window
	Volume              Decimal // base asset
	QuoteVolume         Decimal
	Trades              int64
	TakerBuyBase        Decimal
	TakerBuyQuote       Decimal
	// FirstID and LastID are the window's first and last trade ids, -1
	// when it has no trades or when no tape was given.
	FirstID, LastID int64
	// LastQty is the size of the last trade, zero when no tape was given.
	LastQty Decimal
	// LastTradeTime is the last trade's time in Unix microseconds, 0 when
	// no tape was given.
	LastTradeTime int64
	// Through is where the figures end, Unix ms: the first second not
	// closed by CloseTime (the second in progress is in none of them). A
	// touch to go with Last is taken there (Touch at Through·1000, right
	// after the last trade), not at CloseTime, up to a second later.
	Through int64
}

// Change is Last − Open.
func (s Stats) Change() Decimal { return s.Last.Add(s.Open.Neg()) }

// ChangePercent is 100×(Last − Open)/Open rounded half away from zero to
// places decimals (0 when Open is zero).
func (s Stats) ChangePercent(places int) Decimal {
	if s.Open.IsZero() {
		return NewDecimal(0, places)
	}
	num := ratOf(s.Change())
	num.Mul(num, big.NewRat(100, 1))
	return ratDecimal(num.Quo(num, ratOf(s.Open)), places)
}

// WeightedAvg is QuoteVolume/Volume rounded half away from zero to places
// decimals; Last when nothing traded.
func (s Stats) WeightedAvg(places int) Decimal {
	if s.Volume.IsZero() {
		return s.Last
	}
	r := ratOf(s.QuoteVolume)
	return ratDecimal(r.Quo(r, ratOf(s.Volume)), places)
}

// Neg is −d.
func (d Decimal) Neg() Decimal { return Decimal{Units: -d.Units, Scale: d.Scale} }

func ratOf(d Decimal) *big.Rat {
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d.Scale)), nil)
	return new(big.Rat).SetFrac(big.NewInt(d.Units), den)
}

// ratDecimal rounds r half away from zero to places decimals.
func ratDecimal(r *big.Rat, places int) Decimal {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)
	n := new(big.Int).Mul(r.Num(), scale)
	n.Mul(n, big.NewInt(2))
	d := new(big.Int).Mul(r.Denom(), big.NewInt(2))
	// (2·num·10^p + sign·den) / (2·den), truncated toward zero.
	if n.Sign() >= 0 {
		n.Add(n, r.Denom())
	} else {
		n.Sub(n, r.Denom())
	}
	n.Quo(n, d)
	return Decimal{Units: n.Int64(), Scale: int8(places)}
}

// WindowStats aggregates symbol's market over the 1s candles whose open
// lies in [Truncate1s(start), now], exactly: whole minutes come from the
// 1m candles and the ragged edges from 1s candles, so the figures are
// those of the 1s candles of the window (and where start and now+1 are
// minute-aligned, exactly the aggregate of the window's 1m candles). The
// candle containing now counts as it stands at now.
//
// With a tape, FirstID, LastID, LastQty and LastTradeTime come from its
// trades in the window; without one they are -1, -1, zero and 0.
func WindowStats(ctx context.Context, m Market, tape Tape, symbol string, start, now int64) (Stats, error) {
	s1, m1 := Interval1s, Interval1m
	stop := s1.Truncate(now + 1) // the first second not closed by now
	st := Stats{OpenTime: start, CloseTime: now, FirstID: -1, LastID: -1, Through: stop}
	if start > now {
		return st, nil
	}
	s0 := s1.Truncate(start)
	head := m1.Ceil(s0)       // the first minute boundary at or after s0
	tail := m1.Truncate(stop) // the minute the closed seconds end in
	if s0 >= stop {
		return st, nil
	}
	var parts [][]Candle
	if head >= tail {
		cs, err := m.Candles(ctx, symbol, s1, s0, stop, now)
		if err != nil {
			return st, err
		}
		parts = append(parts, cs)
	} else {
		for _, q := range []struct {
			iv       Interval
			from, to int64
		}{{s1, s0, head}, {m1, head, tail}, {s1, tail, stop}} {
			if q.from >= q.to {
				continue
			}
			cs, err := m.Candles(ctx, symbol, q.iv, q.from, q.to, now)
			if err != nil {
				return st, err
			}
			parts = append(parts, cs)
		}
	}
	first := true
	var agg Candle
	for _, cs := range parts {
		for _, c := range cs {
			if first {
				agg, first = c, false
				continue
			}
			agg = agg.Merge(c)
		}
	}
	if first {
		return st, nil // nothing listed in the window
	}
	st.Open, st.High, st.Low, st.Last = agg.Open, agg.High, agg.Low, agg.Close
	st.Volume, st.QuoteVolume, st.Trades = agg.Volume, agg.QuoteVolume, agg.Trades
	st.TakerBuyBase, st.TakerBuyQuote = agg.TakerBuyBase, agg.TakerBuyQuote
	if tape == nil || st.Trades == 0 {
		return st, nil
	}
	q := TradeQuery{Symbol: symbol, Start: s0 * 1000, End: stop * 1000, Limit: 1, Now: now*1000 + 999}
	ts, err := tape.Trades(ctx, q)
	if err != nil {
		return st, err
	}
	if len(ts) > 0 {
		st.FirstID = ts[0].ID
	}
	q.Newest = true
	if ts, err = tape.Trades(ctx, q); err != nil {
		return st, err
	}
	if len(ts) > 0 {
		t := ts[len(ts)-1]
		st.LastID, st.LastQty, st.LastTradeTime = t.ID, t.Size, t.Time
	}
	return st, nil
}

// RollingStats are the statistics of the window ms long ending at now,
// as Binance's rolling tickers (24 hours: window 86 400 000).
func RollingStats(ctx context.Context, m Market, tape Tape, symbol string, window, now int64) (Stats, error) {
	return WindowStats(ctx, m, tape, symbol, now-window, now)
}

// DayStats are the statistics since the UTC midnight before now, for the
// exchanges whose daily tickers reset then.
func DayStats(ctx context.Context, m Market, tape Tape, symbol string, now int64) (Stats, error) {
	return WindowStats(ctx, m, tape, symbol, Interval1d.Truncate(now), now)
}
