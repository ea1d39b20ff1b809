package gateio

import (
	"context"

	cc "github.com/candlecassette/candlecassette"
)

// Gate's sub-minute intervals, which have no canonical equivalent: their
// candles are folded from the market's 1s candles.
var (
	spotSeconds    = map[string]int64{"10s": 10_000}
	futuresSeconds = map[string]int64{"10s": 10_000, "30s": 30_000}
)

func spotGrid(name string) (grid, bool) {
	if ms, ok := spotSeconds[name]; ok {
		return grid{ms: ms}, true
	}
	iv, ok := spotIntervals.Parse(name)
	return grid{iv: iv}, ok
}

func futuresGrid(name string) (grid, bool) {
	if ms, ok := futuresSeconds[name]; ok {
		return grid{ms: ms}, true
	}
	iv, ok := futuresIntervals.Parse(name)
	return grid{iv: iv}, ok
}

// seconds folds the 1s candles of [from, to] (to inclusive, at most now)
// into candles of step ms, the one holding now in progress.
func (s *server) seconds(ctx context.Context, sym string, ms, from, to, now int64) ([]cc.Candle, error) {
	g := grid{ms: ms}
	start := g.truncate(from)
	if start < from {
		start += ms
	}
	if to < start {
		return nil, nil
	}
	end := g.truncate(to) + ms
	ones, err := s.env.Market.Candles(ctx, sym, cc.Interval1s, start, end, now)
	if err != nil {
		return nil, err
	}
	var out []cc.Candle
	for i := 0; i < len(ones); {
		open := g.truncate(ones[i].OpenTime)
		j := i
		for j < len(ones) && ones[j].OpenTime < open+ms {
			j++
		}
		c := cc.Aggregate(ones[i:j])
		c.OpenTime, c.CloseTime = open, open+ms-1
		c.Closed = now >= open+ms-1
		out = append(out, c)
		i = j
	}
	return out, nil
}

// bucket returns the sub-minute candle of step ms holding at, as it
// stands at at.
func (s *server) bucket(ctx context.Context, sym string, ms, at int64) (cc.Candle, bool) {
	cs, err := s.seconds(ctx, sym, ms, at-at%ms, at, at)
	if err != nil || len(cs) == 0 {
		return cc.Candle{}, false
	}
	return cs[len(cs)-1], true
}
