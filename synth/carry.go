package synth

import "math/bits"

// Carrying what a minute's leaves cannot hold. A minute's quote volumes
// are set by its 15-minute block's split, from the minute's own figures
// (its range, volume and trades), and its split then shares them among
// its leaves (minuteLeaves). Where the leaves cannot hold them — a
// minute of a thin pair whose seconds trade a lot or two at one or two
// prices each, and whose few leaves that absorb are full; a minute of 80
// to 160 trades given a VWAP near an end of its range — what was left
// over went onto leaves whose tapes then missed their candles (placeRest
// and after). So the block splits each such minute ahead, as its own
// split will (the split is a function of the minute's fields and index),
// and moves what its leaves could not hold, per side, to the sibling best
// placed to take it: the one of most trades whose VWAPs stay inside the
// middle of its range with it (carryTo). The minute keeps what it gave as
// its lift: its own split works with it, exactly as the block's ahead
// did, and then leaves it over exactly (minuteLeaves). A minute gives at
// most once and takes nothing after it gave (its split must stay the one
// its lift came from); one that took is split ahead again in turn. The
// block's totals do not change, only how they are shared among its
// minutes.
//
// Measured on the wide tape samples (TestTradesAggregateToCandlesWide),
// seconds whose trades do not aggregate to them: 94 of 5,683,893 and 6
// of 907,536 before, none after; VWAPs outside their second's range 39
// before, none after. (The 6 of 3.7M a 2026 sample then left were a
// minute's one-trade seconds that took both sides: partOneTrades.)
//
// Splitting a minute ahead costs about what its 1s candles do, so only
// the minutes that can leave anything over are: those of under
// 2·quietTrades trades, and those of under carryTrades over a range of
// under carryTicks ticks (a thin pair's). Of the 172 minutes that left
// anything over among 90,000 of FOO, XRP and DOGE (three seeds), 169 had
// under 160 trades, the others 176, 192 and 274 over a few ticks; of
// BTCUSDT's minutes (seed 7, 100,000 from 2025) 0.4% are split ahead, 3
// leave anything over. The cost is the thin pairs': BenchmarkCandles1mThin (a default
// altcoin of mostly quiet minutes) takes about three times as long.

// carryTrades and carryTicks bound the minutes of a narrow range that a
// 15-minute block splits ahead (mayLeaveOver).
const (
	carryTrades = 4 * quietTrades
	carryTicks  = 128
)

// mayLeaveOver reports whether minute n's leaves may be unable to hold
// its quote volumes (carry splits it ahead).
func (n *node) mayLeaveOver() bool {
	return n.trades > 0 && (n.trades < 2*quietTrades || n.trades < carryTrades && n.h-n.l < carryTicks)
}

// carry moves what the leaves of each minute of 15-minute block pidx
// (kids, every field final) cannot hold to a sibling that can (see
// above).
func (g *gen) carry(kids []node, pidx int64) {
	var check uint32
	for i := range kids {
		if kids[i].mayLeaveOver() {
			check |= 1 << i
		}
	}
	k := int64(len(kids))
	for check != 0 {
		i := bits.TrailingZeros32(check)
		check &^= 1 << i
		r := g.leftOver(&kids[i], pidx*k+int64(i))
		if r == [2]int64{} {
			continue
		}
		j := carryTo(kids, i, r)
		if j < 0 {
			continue
		}
		n, m := &kids[i], &kids[j]
		n.qv -= r[0] + r[1]
		n.tbq -= r[0]
		n.lift = r
		m.qv += r[0] + r[1]
		m.tbq += r[0]
		if m.mayLeaveOver() {
			check |= 1 << j
		}
	}
}

// leftOver splits minute n (index idx) as its own split will and returns
// what its leaves could not hold (buys, sells: minuteLeaves' miss).
func (g *gen) leftOver(n *node, idx int64) [2]int64 {
	sub := g.subGen()
	c := *n
	sub.splitMicro(leafLevel-1, &c, idx)
	r := sub.miss
	sub.drop()
	return r
}

// carryTo is the sibling of minute i (among kids) that takes r (buys',
// sells' quote volume) best: the one of most trades, which has given
// nothing (its split must stay the one its gift came from), whose VWAP
// stays inside the middle of its range (qvBand) and whose buys' and
// sells' inside theirs with it; -1 if none can.
func carryTo(kids []node, i int, r [2]int64) int {
	best := -1
	for j := range kids {
		m := &kids[j]
		if j == i || m.trades == 0 || m.lift != [2]int64{} || best >= 0 && m.trades <= kids[best].trades {
			continue
		}
		B, S := m.tbb, m.vol-m.tbb
		if r[0] != 0 && B == 0 || r[1] != 0 && S == 0 {
			continue
		}
		qv, tb := m.qv+r[0]+r[1], m.tbq+r[0]
		lo, hi := m.qvBand(4 * vwapMargin)
		if qv < lo || qv > hi || tb < B*m.l || tb > B*m.h || qv-tb < S*m.l || qv-tb > S*m.h {
			continue
		}
		best = j
	}
	return best
}
