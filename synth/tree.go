package synth

import (
	"math"
	"math/bits"
)

const (
	secMs  = int64(1000)
	minMs  = 60 * secMs
	hourMs = 60 * minMs
	dayMs  = 24 * hourMs
)

// The tree of time blocks. Every level is aligned to the Unix epoch and
// divides the one above it, so a node's children are its sub-blocks. The
// candle of any interval is one node or the aggregate of consecutive nodes
// of the coarsest level that divides it (weeks, months and 3d candles
// aggregate days).
const (
	nLevels   = 11
	dayLevel  = 4  // first level stored in ticks and lots; coarser levels are in logs and floats
	leafLevel = 10 // 1s
	maxFan    = 16
)

type level struct {
	dur int64 // ms
	fan int   // children of a node of the level above
	// lam is the standard deviation of the log-normal noise in how the
	// parent's variance is shared among these children (the volatility
	// cascade); it makes volatility cluster and returns fat-tailed.
	lam float64
	// act is how strongly activity (volume) follows the cascade at this
	// level, as a multiple of lam: below 1 at the hour levels, so that
	// the intraday profile shows through.
	act float64
}

var levels = [nLevels]level{
	{dur: 4096 * dayMs},
	{dur: 256 * dayMs, fan: 16, lam: 0.2, act: 0.7},
	{dur: 16 * dayMs, fan: 16, lam: 0.25, act: 0.7},
	{dur: 4 * dayMs, fan: 4, lam: 0.25, act: 0.7},
	{dur: dayMs, fan: 4, lam: 0.25, act: 0.7},
	{dur: 6 * hourMs, fan: 4, lam: 0.25, act: 0.25},
	{dur: hourMs, fan: 6, lam: 0.4, act: 0.25},
	{dur: 15 * minMs, fan: 4, lam: 0.6, act: 1},
	{dur: minMs, fan: 15, lam: 0.3, act: 1},
	{dur: 10 * secMs, fan: 6, lam: 0.50, act: 1},
	{dur: secMs, fan: 10, lam: 0.50, act: 1},
}

// node is one block of the tree. Levels up to dayLevel carry log prices
// and float budgets; levels from dayLevel down carry exact integers: prices
// in ticks, volumes in lots, quote volumes in lot×tick units. Each integer
// of a node is exactly the aggregate of its children's.
type node struct {
	t0 int64 // open time, Unix ms

	// Log prices open, close, high, low (levels <= dayLevel).
	lo, lc, lh, ll float64
	// v is the variance of the log return over the node: its share of the
	// volatility budget.
	v float64
	// Volume and trade-count budgets (levels < dayLevel).
	fvol, ftr float64

	o, c, h, l                int64 // ticks
	vol, trades, qv, tbb, tbq int64 // lots, count, lot×tick, lots, lot×tick

	// jx is the excess variance of a jump (see gen.jump) the node carries
	// down to one of its minutes; 0 for most nodes.
	jx float64

	// nat marks a leaf of a quiet minute: its tape is its natural draw,
	// whose quote volumes it has (quietQuote).
	nat bool
	// qt marks a minute its block takes as quiet beyond quietTrades
	// (quietMinutes).
	qt bool
	// lift is the quote volume (buys', sells') a minute's leaves could
	// not hold, which its block gave a sibling (carry.go): its qv and tbq
	// are without it, its split works with it, as the block's did.
	lift [2]int64
}

// gen walks the tree for one symbol. It caches, per level, the children
// of the last node it split, so a run of consecutive nodes splits each
// ancestor once. A gen is used by one goroutine at a time (Market pools
// them).
type gen struct {
	m *Market
	s *symbol

	own, mkt, ex stream

	rootOK  bool
	rootIdx int64
	root    node

	// kids[L] holds nodes first[L] to first[L]+count[L]-1 of level L
	// (count 0: none; always so for the root level).
	first [nLevels]int64
	count [nLevels]uint64
	kids  [nLevels][maxFan]node

	// Scratch for splits.
	w, w0, bst, act, eps, epsSym, e1, e2, nb, b, nz, hr, lr, tgt [maxFan + 1]float64
	z, e, nv, exn                                                [maxFan + 1]float64 // raw draws
	sq                                                           [maxFan + 1]float64 // sqrt of the variances shape was given
	typ                                                          [maxFan + 1]float64 // typical prices of the children
	ta                                                           [maxFan + 1]float64 // the children's activity (volume targets before the VWAP tilt)
	keep                                                         [maxFan + 1]int64   // lots reachVWAP leaves each child in its first pass
	tr, lo, hi, olo, ohi, bt                                     [maxFan + 1]int64
	uH, uL                                                       float64           // where in their children the extremes fall
	actKey                                                       uint64            // seed of the draws deciding which children trade
	pjx, pv                                                      float64           // the excess variance and the variance of the node being split
	jumpKid                                                      int               // the child carrying a jump, or -1
	jumpE                                                        float64           // its excess variance
	pn                                                           [maxFan + 1]int64 // trades each child needs for its prices (fitPins)
	as                                                           allocScratch
	tg                                                           *tapeGen // scratch of minuteLeaves
	sub                                                          *gen     // splits quiet minutes ahead (quietQuote)
	pq                                                           node     // a quiet minute with its provisional quote volumes
	pl                                                           node     // a minute with its lift (carry.go)
	dry                                                          bool     // splitMicro stops at the children's volume targets (pathVWAP)
	nested                                                       bool     // minuteLeaves is splitting a block
	solo                                                         bool     // neither reads nor fills the Market's dayCache (pin)
	// The dry splits pathVWAP made of the days of the 4-day block last
	// fixed and of the 6-hour blocks of the day last split, for their
	// own splits (memo.go); rec is where a dry split keeps its own.
	memo [2][blockDays]splitMemo
	rec  *splitMemo
	// The leaves minuteLeaves split ahead, for the blocks qbase+j with bit
	// j of qmask set (their final leaves: splitMicro copies them).
	qleaf [qFan][maxFan]node
	qmask uint32
	qbase int64
	// minuteLeaves' scratch: the leaves that absorb (block·maxFan+leaf),
	// their quote volumes of one side and its bounds.
	ab           [qFan * maxFan]int
	aq, alo, ahi [qFan * maxFan]int64
	// How far each natural leaf's draw can move its buys' and its
	// sells' quote volumes (adjustRoom): down, up, down, up.
	nroom [qFan * maxFan][4]int64
	// leafQuotes' cache of each leaf's kind (leafNatural, leafAbsorbs,
	// else 0), natural draw's quote volumes and adjust room, redone for
	// the leaves marked stale (shiftLots moved their lots).
	lkind  [qFan * maxFan]uint8
	lstale [qFan * maxFan]bool
	nq     [qFan * maxFan][2]int64
	nroom0 [qFan * maxFan][4]int64
	// quietMinutes' scratch: each quiet minute's natural quote volumes
	// (quote, taker-buy quote) and how far adjust can move them.
	qnat  [maxFan][2]int64
	qroom [maxFan][4]int64
	// How far each quiet minute's buys' and sells' quote volumes reach
	// with its leaves' lots at their extremes (low, high, low, high): a
	// side beyond is one no second of the minute can hold.
	qext [maxFan][4]int64
	// miss is what the last minuteLeaves could not place on its leaves
	// (buys' and sells' quote volume) without a tape missing, its lift
	// aside (carry.go).
	miss [2]int64
	// The taker-buy quote volume each quiet minute is aimed at: its
	// natural one, or in a block of quiet minutes its share of the
	// block's difference (spreadQuiet).
	qbuy [maxFan]float64
}

// qFan is the number of blocks of a minute, whose leaves minuteLeaves keeps.
const qFan = 6

func newGen() *gen {
	g := &gen{}
	g.drop()
	return g
}

// use points g at symbol s, dropping caches of another symbol.
func (g *gen) use(m *Market, s *symbol) {
	if g.m == m && g.s == s {
		return
	}
	g.m, g.s = m, s
	g.rootOK = false
	g.drop()
}

// node returns node idx (floor(t0/dur)) of level L. The pointer is valid
// until the next call that splits a node of level L-1.
func (g *gen) node(L int, idx int64) *node {
	if uint(L) < nLevels {
		if j := idx - g.first[L]; uint64(j) < g.count[L] {
			// No division on the hot path; the mask only proves the
			// index in range (j < fan <= maxFan).
			return &g.kids[L][j&(maxFan-1)]
		}
	}
	return g.nodeSlow(L, idx)
}

// drop forgets every cached split.
func (g *gen) drop() {
	g.count = [nLevels]uint64{}
	g.qmask = 0
	for i := range g.memo {
		for j := range g.memo[i] {
			g.memo[i][j].ok = false
		}
	}
}

// nodeSlow is node when the node's parent is not the one last split.
func (g *gen) nodeSlow(L int, idx int64) *node {
	if L == 0 {
		if !g.rootOK || g.rootIdx != idx {
			g.makeRoot(idx)
		}
		return &g.root
	}
	f := int64(levels[L].fan)
	p := floorDiv(idx, f)
	if L == dayLevel && !g.solo && g.m.fixed.load(g.s, p, &g.kids[L]) {
		g.first[L], g.count[L] = p*f, uint64(f)
		return &g.kids[L][idx-p*f]
	}
	parent := g.node(L-1, p)
	if L <= dayLevel {
		g.splitMacro(L, parent, p)
		if L == dayLevel && !g.solo {
			g.m.fixed.store(g.s, p, &g.kids[L])
		}
	} else {
		g.splitMicro(L, parent, p)
	}
	g.first[L], g.count[L] = p*f, uint64(f)
	return &g.kids[L][idx-p*f]
}

// at returns the node of level L containing time t.
func (g *gen) at(L int, t int64) *node { return g.node(L, floorDiv(t, levels[L].dur)) }

// boundary is the log price at the start of root block r: a stationary
// draw, so that the price level is a pure function of time however far
// from any origin. Root blocks are 4096 days long.
func (g *gen) boundary(r int64) float64 {
	s := g.s
	g.own.reset(nodeKey(s.key, -1, r))
	g.mkt.reset(nodeKey(g.m.mktKey, -1, r))
	z := s.beta*g.mkt.norm() + math.Sqrt(1-s.beta*s.beta)*g.own.norm()
	// Half an e-fold for a BTC-like asset, in proportion for calmer ones
	// (a stablecoin stays near its peg).
	return 0.5 * s.dayVol / 0.03 * z
}

func (g *gen) makeRoot(r int64) {
	s := g.s
	o, c := g.boundary(r), g.boundary(r+1)
	g.own.reset(nodeKey(s.key, 0, r))
	n := &g.root
	*n = node{t0: r * levels[0].dur, lo: o, lc: c}
	days := float64(levels[0].dur / dayMs)
	n.v = s.dayVol * s.dayVol * days * math.Exp(0.3*g.own.norm()-0.045)
	n.lh, n.ll = bridgeExtremes(o, c, n.v, g.own.expo(), g.own.expo())
	n.fvol = s.dayLots * days * math.Exp(0.2*g.own.norm()-0.02)
	n.ftr = n.fvol / s.tradeLot
	g.rootOK, g.rootIdx = true, r
}

// bridgeExtremes draws the maximum and minimum of a Brownian bridge from a
// to b with total variance v, given two standard exponential draws: the
// exact marginal law P(max > m) = exp(-2(m-a)(m-b)/v).
func bridgeExtremes(a, b, v, e1, e2 float64) (hi, lo float64) {
	d := (b - a) * (b - a)
	hi = (a + b + math.Sqrt(d+2*v*e1)) / 2
	lo = (a + b - math.Sqrt(d+2*v*e2)) / 2
	return hi, lo
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func mul64(a, b uint64) (hi, lo uint64)    { return bits.Mul64(a, b) }
func div64(hi, lo, y uint64) (q, r uint64) { return bits.Div64(hi, lo, y) }
