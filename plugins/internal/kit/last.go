package kit

import (
	"context"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// Through is the first second not closed by now (ms), Unix ms: where the
// tape and the figures of cc.WindowStats up to now end (cc.Stats.Through),
// the second in progress being in none of them. The touch to go with a
// last price taken at now is the one at Through·1000 µs, right after that
// last trade (see Touch).
func Through(now int64) int64 { return cc.Interval1s.Truncate(now + 1) }

// LastPrice is the close of symbol's last second closed by now (ms): a
// tape holds no trades of the second in progress, so this is the last
// trade's price, as tickers show it.
func LastPrice(ctx context.Context, env *plugins.Env, symbol string, now int64) (cc.Decimal, error) {
	stop := Through(now)
	cs, err := env.Market.Candles(ctx, symbol, cc.Interval1s, stop-1000, stop, now)
	if err != nil {
		return cc.Decimal{}, err
	}
	if len(cs) == 0 {
		return cc.Decimal{}, cc.ErrUnknownSymbol
	}
	return cs[len(cs)-1].Close, nil
}

// Touch is symbol's best bid and ask at the instant at (Unix µs) from
// env.Quotes: the touch before the trades stamped at. Without a quoter it
// is last as the bid and one tick of last's scale above it as the ask,
// sizes 1, stamped at.
//
// A ticker that shows a last price with its bid and ask takes them at
// st.Through·1000 (Through(now)·1000 for the tape's last trade at now),
// right after that trade, so that bid <= last <= ask; a book ticker, the
// touch and nothing else, takes them now, at now·1000+999.
func Touch(ctx context.Context, env *plugins.Env, symbol string, last cc.Decimal, at int64) (cc.Touch, error) {
	if env.Quotes != nil {
		return env.Quotes.Touch(ctx, symbol, at)
	}
	one := cc.NewDecimal(1, 0)
	return cc.Touch{Time: at, Bid: last, BidSize: one, Ask: last.Add(Tick(int(last.Scale))), AskSize: one}, nil
}

// TouchAt is Touch with another fallback (okx's and bybit's): without a
// quoter, a tick either side of last, stamped at. A quoter's error is
// returned, not covered by a made-up touch (it once was: a failing
// quoter served a ticker whose bid and ask no market had shown).
func TouchAt(ctx context.Context, env *plugins.Env, symbol string, last cc.Decimal, at int64) (cc.Touch, error) {
	if env.Quotes != nil {
		return env.Quotes.Touch(ctx, symbol, at)
	}
	one := cc.NewDecimal(1, 0)
	tick := Tick(int(last.Scale))
	return cc.Touch{Time: at, Bid: last.Add(tick.Neg()), BidSize: one, Ask: last.Add(tick), AskSize: one}, nil
}
