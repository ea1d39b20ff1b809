package synth_test

import (
	"testing"

	cc "github.com/candlecassette/candlecassette"
)

func TestZZMinute(t *testing.T) {
	hours := []string{"2025-03-02T04:00:00Z", "2025-03-05T15:00:00Z"}
	byMin := map[string]int{}
	by10 := map[string]int{}
	for _, seed := range []uint64{1, 2, 3} {
		for _, ex := range []string{"binance_spot", "okx"} {
			m := tapeMarket(seed, ex)
			for _, p := range tapePairs {
				for _, hs := range hours {
					start := ms(hs)
					end := start + 3_600_000
					cs := candles(t, m, p.Symbol, cc.Interval1s, start, end, far)
					ts := trades(t, m, cc.TradeQuery{Symbol: p.Symbol, Start: start * us, End: end * us})
					mt := map[int64]int64{}
					bt := map[int64]int64{}
					for _, c := range cs {
						mt[c.OpenTime/60000] += c.Trades
						bt[c.OpenTime/10000] += c.Trades
					}
					k := 0
					for _, c := range cs {
						n := int(c.Trades)
						sec := ts[k : k+n]
						k += n
						if n == 0 || !leafFeasible(c) {
							continue
						}
						var qv, tbq int64
						for _, tr := range sec {
							qv += tr.Price.Units * tr.Size.Units
							if !tr.BuyerMaker {
								tbq += tr.Price.Units * tr.Size.Units
							}
						}
						if qv == c.QuoteVolume.Units && tbq == c.TakerBuyQuote.Units {
							continue
						}
						b := func(x int64) string {
							switch {
							case x <= 10:
								return "a<=10"
							case x <= 30:
								return "b<=30"
							case x <= 100:
								return "c<=100"
							case x <= 300:
								return "d<=300"
							}
							return "e>300"
						}
						byMin[b(mt[c.OpenTime/60000])]++
						by10[b(bt[c.OpenTime/10000])]++
					}
				}
			}
		}
	}
	t.Logf("misses by minute trades %v", byMin)
	t.Logf("misses by block trades %v", by10)
}
