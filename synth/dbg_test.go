package synth

import (
	"testing"

	cc "github.com/candlecassette/candlecassette"
)

func TestDbg(t *testing.T) {
	pairs := []cc.Pair{{Base: "BTC", Quote: "USDT"}}
	m := New(Options{Seed: 3, Exchange: "binance_spot", Pairs: pairs})
	g, s, _ := m.get("BTC-USDT")
	tg := &tapeGen{}
	shown := 0
	for i := int64(0); i < 20000 && shown < 6; i++ {
		idx := int64(1735689600+3*3600) + i
		nd := g.node(leafLevel, idx)
		tg.genLeaf(s, idx, nd, 0)
		bad := leafMismatch(tg, nd, idx*1000)
		if bad != "" && leafPlausible(nd) && nd.trades > 100 {
			shown++
			S := nd.vol - nd.tbb
			t.Logf("%s node o%d h%d l%d c%d N%d V%d tbb%d S%d vwapB %.2f vwapS %.2f", bad, nd.o, nd.h, nd.l, nd.c, nd.trades, nd.vol, nd.tbb, S, float64(nd.tbq)/float64(nd.tbb), float64(nd.qv-nd.tbq)/float64(S))
			var cb, cs, zb, zs int64
			for _, o := range tg.ord {
				if o.buy {
					cb += o.quote()
					zb += o.size
				} else {
					cs += o.quote()
					zs += o.size
				}
			}
			t.Logf("  buys: E %d (z %d) sells: E %d (z %d)", nd.tbq-cb, zb, nd.qv-nd.tbq-cs, zs)
			for _, o := range tg.ord {
				if o.pin {
					t.Logf("   pin %+v", o)
				}
			}
		}
	}
}
