package replay

import (
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/serve"
)

// view is what the admin API shows of env's market (serve.MarketView):
// with a tape, its candle index's coverage on the time line served.
func view(env *plugins.Env, tp *tape) serve.MarketView {
	v := serve.MarketView{Market: env.Market, Clock: env.Clock, Pairs: env.Pairs}
	if tp != nil {
		v.Coverage = tp.coverage
	}
	return v
}

// coverage lists the tape's recorded series and their runs of candles,
// moved by the tape's shift as its market moves them.
func (t *tape) coverage() ([]serve.SeriesCoverage, error) {
	keys, err := t.c.Series()
	if err != nil {
		return nil, err
	}
	out := make([]serve.SeriesCoverage, 0, len(keys))
	for _, k := range keys {
		rs, err := t.index.ranges(k.Symbol, k.Interval)
		if err != nil {
			return nil, err
		}
		sc := serve.SeriesCoverage{Symbol: k.Symbol, Interval: k.Interval, Ranges: make([]serve.CoverageRange, len(rs))}
		for i, r := range rs {
			sc.Ranges[i] = serve.CoverageRange{Start: r.Start + t.shift, End: r.End + t.shift, Count: r.Count}
		}
		out = append(out, sc)
	}
	return out, nil
}
