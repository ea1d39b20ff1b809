package kit

import (
	"context"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// LastPrice is the close of symbol's last second closed by now (ms): a
// tape holds no trades of the second in progress, so this is the last
// trade's price, as tickers show it.
func LastPrice(ctx context.Context, env *plugins.Env, symbol string, now int64) (cc.Decimal, error) {
	stop := cc.Interval1s.Truncate(now + 1)
	cs, err := env.Market.Candles(ctx, symbol, cc.Interval1s, stop-1000, stop, now)
	if err != nil {
		return cc.Decimal{}, err
	}
	if len(cs) == 0 {
		return cc.Decimal{}, cc.ErrUnknownSymbol
	}
	return cs[len(cs)-1].Close, nil
}

// TouchAt is symbol's best bid and ask at now (ms) from env.Quotes;
// without one, a tick either side of last.
func TouchAt(ctx context.Context, env *plugins.Env, symbol string, last cc.Decimal, now int64) cc.Touch {
	if env.Quotes != nil {
		if t, err := env.Quotes.Touch(ctx, symbol, now*1000+999); err == nil {
			return t
		}
	}
	one := cc.NewDecimal(1, 0)
	tick := cc.Decimal{Units: 1, Scale: last.Scale}
	return cc.Touch{Time: now * 1000, Bid: last.Add(tick.Neg()), BidSize: one, Ask: last.Add(tick), AskSize: one}
}
