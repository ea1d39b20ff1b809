package synth

// Feasibility of the children's counts and taker split, so that nodes,
// down to each second, can be traded (tapegen.go): the trade tape needs,
// in every trading node, a trade for each of its distinct open, high, low
// and close, one taker side only when it has a single trade, and a
// taker-buy quote volume its taker-buy volume can reach between its low
// and high (and the sells theirs). splitMicro calls these after each
// allocation; they move counts between siblings, so the parent stays
// exactly the aggregate. tiltTakers does most of the work (before it,
// the taker split's fallback left over eight in ten of BTCUSDT's trading
// seconds with a taker-buy quote volume no tape can reach; after it,
// 0.2–1.2% across BTC, XRP and a default altcoin); the others repair
// what is left where siblings allow.
// Still open: a second with one trade while its price moved (the path is
// drawn before the counts are known).

// pins is the number of trades node n needs for its prices: one when it
// is flat, else the open and the close plus the high and the low where
// they differ from both.
func (n *node) pins() int64 {
	if n.h == n.l {
		return 1
	}
	k := int64(2)
	if n.h != n.o && n.h != n.c {
		k++
	}
	if n.l != n.o && n.l != n.c {
		k++
	}
	return k
}

// fixTrades gives each trading child at least a trade per pinned price,
// taking trades from siblings that have more than they need (most to
// spare first). A child keeps at most a trade per lot.
func fixTrades(kids []node) {
	for i := range kids {
		n := &kids[i]
		need := min(n.pins(), n.vol) - n.trades
		for n.trades > 0 && need > 0 {
			j, spare := -1, int64(0)
			for d := range kids {
				if d == i {
					continue
				}
				if s := kids[d].trades - max(1, kids[d].pins()); s > spare {
					j, spare = d, s
				}
			}
			if j < 0 {
				break
			}
			x := min(need, spare)
			kids[j].trades -= x
			n.trades += x
			need -= x
		}
	}
}

// bandHi and bandLo bound the taker-buy quote volume of node n when t of
// its lots are taker buys: the buys at the high (low) as far as the sells
// can then be at the low (high).
func (n *node) bandHi(t int64) int64 { return min(t*n.h, n.qv-(n.vol-t)*n.l) }
func (n *node) bandLo(t int64) int64 { return max(t*n.l, n.qv-(n.vol-t)*n.h) }

// fixTakers adjusts the children's taker-buy volumes (n.tbb) before their
// quote volumes are split: a child with one trade takes one side only
// (all its volume or none), and then, if the parent's taker-buy quote
// volume lies outside the sum of the children's bands, taker-buy lots
// move from the children where they reach least toward it to those where
// they reach most, until it lies inside.
func fixTakers(kids []node, p *node) {
	for i := range kids {
		n := &kids[i]
		if n.trades != 1 || n.tbb == 0 || n.tbb == n.vol {
			continue
		}
		// The nearer side first, else the other.
		for _, to := range [2]int64{n.vol * boolInt(2*n.tbb >= n.vol), n.vol * boolInt(2*n.tbb < n.vol)} {
			if shiftTakers(kids, i, to-n.tbb) {
				n.tbb = to
				break
			}
		}
	}
	var sLo, sHi int64
	for i := range kids {
		sLo += kids[i].bandLo(kids[i].tbb)
		sHi += kids[i].bandHi(kids[i].tbb)
	}
	up := p.tbq > sHi
	if !up && p.tbq >= sLo {
		return
	}
	for range 64 {
		need := p.tbq - sHi // > 0 when up
		if !up {
			need = sLo - p.tbq
		}
		if need <= 0 {
			return
		}
		// The receiver gains most band (up: hi) per lot, the donor
		// loses least.
		r, d := -1, -1
		var gain, loss int64
		for i := range kids {
			n := &kids[i]
			if n.trades < 2 {
				continue
			}
			if n.tbb < n.vol {
				g := n.bandHi(n.tbb+1) - n.bandHi(n.tbb)
				if !up {
					g = n.bandLo(n.tbb) - n.bandLo(n.tbb+1)
				}
				if r < 0 || g > gain {
					r, gain = i, g
				}
			}
		}
		for i := range kids {
			n := &kids[i]
			if i == r || n.trades < 2 || n.tbb == 0 {
				continue
			}
			l := n.bandHi(n.tbb) - n.bandHi(n.tbb-1)
			if !up {
				l = n.bandLo(n.tbb-1) - n.bandLo(n.tbb)
			}
			if d < 0 || l < loss {
				d, loss = i, l
			}
		}
		if r < 0 || d < 0 || gain <= loss {
			return
		}
		a, b := &kids[r], &kids[d]
		k := min((need+gain-loss-1)/(gain-loss), a.vol-a.tbb, b.tbb)
		sLo -= a.bandLo(a.tbb) + b.bandLo(b.tbb)
		sHi -= a.bandHi(a.tbb) + b.bandHi(b.tbb)
		a.tbb += k
		b.tbb -= k
		sLo += a.bandLo(a.tbb) + b.bandLo(b.tbb)
		sHi += a.bandHi(a.tbb) + b.bandHi(b.tbb)
	}
}

// shiftTakers moves d taker-buy lots out of the children other than i
// (d < 0: into them) among those with two trades or more, and reports
// whether they could hold it (nothing moves if not).
func shiftTakers(kids []node, i int, d int64) bool {
	var room int64
	for j := range kids {
		n := &kids[j]
		if j == i || n.trades < 2 {
			continue
		}
		if d > 0 {
			room += n.tbb
		} else {
			room += n.vol - n.tbb
		}
	}
	if room < abs64(d) {
		return false
	}
	for j := range kids {
		n := &kids[j]
		if j == i || n.trades < 2 || d == 0 {
			continue
		}
		if d > 0 {
			x := min(d, n.tbb)
			n.tbb -= x
			d -= x
		} else {
			x := min(-d, n.vol-n.tbb)
			n.tbb += x
			d += x
		}
	}
	return true
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// tiltTakers tilts the children's taker-buy targets (g.tgt, lots) so that
// their taker-buy lots, each at its child's VWAP, sum to the parent's
// taker-buy quote volume: a linear tilt toward the children priced like
// the parent's buys, solved in closed form and spread over all children
// (so shares move a little everywhere rather than saturating a few). The
// children's taker-buy quote volumes then sit near the middle of what
// their own taker-buy volumes allow, all the way down.
func (g *gen) tiltTakers(kids []node, p *node, k int) {
	if p.vol == 0 || p.tbb == 0 {
		return
	}
	var st float64
	for i := 0; i < k; i++ {
		st += g.tgt[i]
	}
	if st <= 0 {
		return
	}
	vbar := float64(p.qv) / float64(p.vol)
	var sa, sbb float64
	for i := 0; i < k; i++ {
		n := &kids[i]
		g.tgt[i] *= float64(p.tbb) / st // a: the parent's taker-buy lots, shared
		if n.vol == 0 {
			continue
		}
		v := float64(n.qv) / float64(n.vol)
		sa += g.tgt[i] * v
		d := v - vbar
		sbb += float64(n.vol) * d * d
	}
	if sbb <= 0 {
		return
	}
	th := (float64(p.tbq) - sa) / sbb
	for i := 0; i < k; i++ {
		n := &kids[i]
		if n.vol == 0 {
			continue
		}
		x := g.tgt[i] + th*float64(n.vol)*(float64(n.qv)/float64(n.vol)-vbar)
		g.tgt[i] = max(0, min(float64(n.vol), x))
	}
}
