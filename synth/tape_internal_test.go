package synth

import (
	"fmt"
	"testing"

	cc "github.com/candlecassette/candlecassette"
)

// leafMismatch describes how the trades tg holds fail to aggregate to
// node n ("" when they match exactly).
func leafMismatch(tg *tapeGen, n *node, t0 int64) string {
	ts := tg.leaf
	if int64(len(ts)) != n.trades {
		return fmt.Sprintf("count %d != %d", len(ts), n.trades)
	}
	if len(ts) == 0 {
		return ""
	}
	var vol, qv, tbb, tbq int64
	h, l := ts[0].px, ts[0].px
	for i, t := range ts {
		if t.sz < 1 {
			return "size < 1 lot"
		}
		if t.t <= t0*1000 || t.t >= t0*1000+1_000_000 {
			return "time outside the second"
		}
		if i > 0 && t.t < ts[i-1].t {
			return "time decreases"
		}
		vol += t.sz
		qv += t.px * t.sz
		if t.buy {
			tbb += t.sz
			tbq += t.px * t.sz
		}
		h, l = max(h, t.px), min(l, t.px)
	}
	var bad []string
	if ts[0].px != n.o {
		bad = append(bad, "o")
	}
	if ts[len(ts)-1].px != n.c {
		bad = append(bad, "c")
	}
	if h != n.h {
		bad = append(bad, "h")
	}
	if l != n.l {
		bad = append(bad, "l")
	}
	if vol != n.vol {
		bad = append(bad, "vol")
	}
	if qv != n.qv {
		bad = append(bad, "qv")
	}
	if tbb != n.tbb {
		bad = append(bad, "tbb")
	}
	if tbq != n.tbq {
		bad = append(bad, "tbq")
	}
	if len(bad) > 0 {
		return fmt.Sprint(bad)
	}
	return ""
}

func TestProbeTapeExactness(t *testing.T) {
	pairs := []cc.Pair{{Base: "BTC", Quote: "USDT"}, {Base: "XRP", Quote: "USDT", Price: 0.6}, {Base: "FOO", Quote: "USDT"}, {Base: "USDC", Quote: "USDT"}}
	m := New(Options{Seed: 3, Exchange: "binance_spot", Pairs: pairs})
	for _, p := range pairs {
		g, s, _ := m.get(p.Name())
		tg := &tapeGen{}
		cnt := map[string]int{}
		byN := map[int64]int{}
		tot, trading := 0, 0
		for _, start := range []int64{1735689600 + 3*3600, 1735689600 + 15*3600} {
			for i := int64(0); i < 20000; i++ {
				nd := g.node(leafLevel, start+i)
				tot++
				if nd.trades > 0 {
					trading++
				}
				tg.genLeaf(s, start+i, nd, 0)
				if bad := leafMismatch(tg, nd, (start+i)*1000); bad != "" {
					if !leafPlausible(nd) {
						cnt["infeasible"]++
					} else {
						cnt[bad]++
						nb := nd.trades
						if nb > 10 {
							nb = 10 + (nb/10)*10
						}
						byN[nb]++
					}
				}
			}
		}
		t.Logf("%s: %d leaves, %d trading, mismatches %v by N %v", p.Name(), tot, trading, cnt, byN)
	}
}

// leafPlausible checks necessary conditions for a leaf to have a tape.
func leafPlausible(n *node) bool {
	N := n.trades
	if N == 0 {
		return n.vol == 0 && n.qv == 0 && n.o == n.c && n.h == n.l && n.h == n.o
	}
	pins := int64(1)
	if n.h != n.l {
		pins = 2
		if n.h != n.o && n.h != n.c {
			pins++
		}
		if n.l != n.o && n.l != n.c {
			pins++
		}
	}
	S := n.vol - n.tbb
	return n.vol >= N && N >= pins && (N >= 2 || n.tbb == 0 || S == 0) &&
		n.tbq >= n.tbb*n.l && n.tbq <= n.tbb*n.h && n.qv-n.tbq >= S*n.l && n.qv-n.tbq <= S*n.h
}
