package synth

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"

	cc "github.com/candlecassette/candlecassette"
)

var (
	_ cc.Tape     = (*Market)(nil)
	_ cc.Quoter   = (*Market)(nil)
	_ cc.TradeIDs = (*Market)(nil)
)

// Trade ids: root block r (4096 days) numbers its trades from
// (r+idBias)<<idShift, in time order, so ids increase by one along the
// tape inside a block and jump between blocks. 2^40 ids per block is
// thousands of times what the busiest pair trades; idBias keeps every id
// positive and below 2^53 (exact in JavaScript) for times within about
// 9000 years of 1970 (|t| < maxTapeMicros).
const (
	idShift       = 40
	idBias        = 1024
	rootDays      = 4096
	maxTapeMicros = int64(1) << 58
	maxDayTables  = 512 // cached per Market; beyond, tables are rebuilt
)

func rootBase(r int64) int64 { return (r + idBias) << idShift }

// tapeCache is a Market's trade-tape state: pooled scratch and, per
// (symbol, root block), the prefix sums of its days' trade counts.
type tapeCache struct {
	pool sync.Pool // of *tapeGen
	days sync.Map  // dayKey -> *dayTable
	n    int64     // tables stored (approximate bound on the cache)
	mu   sync.Mutex
}

type dayKey struct {
	s *symbol
	r int64
}

// dayTable[d] is the number of trades of root block r before its day d.
type dayTable [rootDays + 1]int64

func (m *Market) tapeGen() *tapeGen {
	if tg, ok := m.tapes.pool.Get().(*tapeGen); ok {
		tg.ok = false
		return tg
	}
	return &tapeGen{}
}

// days returns root block r's day table for g's symbol.
func (m *Market) days(g *gen, r int64) *dayTable {
	k := dayKey{g.s, r}
	if v, ok := m.tapes.days.Load(k); ok {
		return v.(*dayTable)
	}
	t := new(dayTable)
	d0 := r * rootDays
	for d := int64(0); d < rootDays; d++ {
		t[d+1] = t[d] + g.node(dayLevel, d0+d).trades
	}
	m.tapes.mu.Lock()
	if m.tapes.n < maxDayTables {
		m.tapes.n++
		m.tapes.mu.Unlock()
		v, _ := m.tapes.days.LoadOrStore(k, t)
		return v.(*dayTable)
	}
	m.tapes.mu.Unlock()
	return t
}

// leafFirstID is the id of the first trade of leaf (second) idx: the
// block's base plus the trades before it, summed down the tree (the day
// table, then at most fan-1 siblings per level).
func (m *Market) leafFirstID(g *gen, idx int64) int64 {
	ms := idx * secMs
	r := floorDiv(ms, levels[0].dur)
	day := floorDiv(ms, dayMs)
	id := rootBase(r) + m.days(g, r)[day-r*rootDays]
	for L := dayLevel + 1; L <= leafLevel; L++ {
		a := floorDiv(ms, levels[L].dur)
		f := int64(levels[L].fan)
		for j := floorDiv(a, f) * f; j < a; j++ {
			id += g.node(L, j).trades
		}
	}
	return id
}

// locate returns the leaf holding trade id and the leaf's first id; ok is
// false when id is past the last trade of its block.
func (m *Market) locate(g *gen, id int64) (leaf, first int64, ok bool) {
	r := (id >> idShift) - idBias
	within := id - rootBase(r)
	t := m.days(g, r)
	if within < 0 || within >= t[rootDays] {
		return 0, 0, false
	}
	d := int64(sort.Search(rootDays, func(i int) bool { return t[i+1] > within }))
	rem := within - t[d]
	idx := r*rootDays + d
	for L := dayLevel + 1; L <= leafLevel; L++ {
		j := idx * int64(levels[L].fan)
		for {
			n := g.node(L, j).trades
			if rem < n {
				break
			}
			rem -= n
			j++
		}
		idx = j
	}
	return idx, id - rem, true
}

// rootOf is the root block of trade id and the block's bounds [base,
// base+trades).
func (m *Market) rootOf(g *gen, id int64) (r, base, end int64) {
	r = (id >> idShift) - idBias
	base = rootBase(r)
	return r, base, base + m.days(g, r)[rootDays]
}

func validRoot(r int64) bool {
	lim := maxTapeMicros / (levels[0].dur * 1000)
	return r >= -lim-1 && r <= lim+1
}

// next is the first trade id at or after id (ids past a block's last
// trade continue at the next block's first).
func (m *Market) next(g *gen, id int64) (int64, error) {
	for range 4 {
		r, base, end := m.rootOf(g, id)
		if !validRoot(r) {
			return 0, errRange
		}
		if id < end {
			return max(id, base), nil
		}
		id = rootBase(r + 1)
	}
	return 0, errRange
}

// back is the id n trades before hi (hi an id or a block's end).
func (m *Market) back(g *gen, hi, n int64) (int64, error) {
	for range 64 {
		r, base, end := m.rootOf(g, hi-1)
		if !validRoot(r) {
			return 0, errRange
		}
		hi = min(hi, end)
		if hi-base >= n {
			return hi - n, nil
		}
		n -= hi - base
		_, _, hi = m.rootOf(g, rootBase(r-1))
	}
	return 0, errRange
}

// ahead is the id n trades after lo (lo a valid id).
func (m *Market) ahead(g *gen, lo, n int64) (int64, error) {
	for range 64 {
		r, _, end := m.rootOf(g, lo)
		if !validRoot(r) {
			return 0, errRange
		}
		if end-lo >= n {
			return lo + n, nil
		}
		n -= end - lo
		lo = rootBase(r + 1)
	}
	return 0, errRange
}

var errRange = errors.New("synth: trade time or id out of range")

func checkTime(t int64) error {
	if t <= -maxTapeMicros || t >= maxTapeMicros {
		return errRange
	}
	return nil
}

// firstID is the id of the first trade at or after t (µs).
func (m *Market) firstID(g *gen, tg *tapeGen, t int64) int64 {
	idx := floorDiv(t, 1_000_000)
	first := m.leafFirstID(g, idx)
	if t == idx*1_000_000 {
		return first
	}
	m.gen(g, tg, idx, first)
	for _, tr := range tg.leaf {
		if tr.t >= t {
			return tr.id
		}
	}
	return first + int64(len(tg.leaf))
}

// gen generates leaf idx into tg (first is its first id), unless tg holds
// it already.
func (m *Market) gen(g *gen, tg *tapeGen, idx, first int64) {
	if tg.ok && tg.idx == idx {
		return
	}
	tg.genLeaf(g.s, idx, g.node(leafLevel, idx), first)
}

// FirstTradeID implements cc.TradeIDs.
func (m *Market) FirstTradeID(ctx context.Context, symbol string, t int64) (int64, error) {
	if err := checkTime(t); err != nil {
		return 0, err
	}
	g, _, err := m.get(symbol)
	if err != nil {
		return 0, err
	}
	defer m.pool.Put(g)
	tg := m.tapeGen()
	defer m.tapes.pool.Put(tg)
	return m.firstID(g, tg, t), nil
}

// Trades implements cc.Tape. The bounds are turned into a range of ids
// [lo, hi) (a time bound by FirstTradeID), Limit cuts it from the side
// Newest says, and the leaves holding it are generated. A trade exists
// once its second has closed: with Now set, the trades of the second in
// progress are not on the tape yet, as its 1s candle is not in Candles.
// Now 0 means no bound. Without a lower bound (Start, FromID) the query
// needs Newest and a Limit; without an upper one (End, ToID, Now), it
// cannot use Newest.
func (m *Market) Trades(ctx context.Context, q cc.TradeQuery) ([]cc.Trade, error) {
	if q.Limit < 0 {
		return nil, fmt.Errorf("synth: negative trade limit %d", q.Limit)
	}
	for _, t := range [...]int64{q.Start, q.End, q.Now} {
		if err := checkTime(t); err != nil {
			return nil, err
		}
	}
	g, s, err := m.get(q.Symbol)
	if err != nil {
		return nil, err
	}
	defer m.pool.Put(g)
	tg := m.tapeGen()
	defer m.tapes.pool.Put(tg)

	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	loSet, hiSet := false, false
	if q.Start != 0 {
		lo, loSet = m.firstID(g, tg, q.Start), true
	}
	if q.FromID != 0 {
		lo, loSet = max(lo, q.FromID), true
	}
	if q.End != 0 {
		hi, hiSet = m.firstID(g, tg, q.End), true
	}
	if q.ToID != 0 {
		hi, hiSet = min(hi, q.ToID), true
	}
	if q.Now != 0 {
		// The first second not yet closed at Now (ms, inclusive, as
		// Candles' now).
		open := floorDiv(floorDiv(q.Now, 1000)+1, secMs)
		hi, hiSet = min(hi, m.leafFirstID(g, open)), true
	}
	switch {
	case q.Newest && !hiSet:
		return nil, errors.New("synth: newest trades need an upper bound (End, ToID or Now)")
	case !loSet && !(q.Newest && q.Limit > 0):
		return nil, errors.New("synth: trades need a lower bound (Start or FromID), or Newest with a Limit")
	}
	if loSet {
		if lo, err = m.next(g, lo); err != nil {
			return nil, err
		}
	}
	if q.Newest && q.Limit > 0 {
		b, err := m.back(g, hi, int64(q.Limit))
		if err != nil {
			return nil, err
		}
		lo, loSet = max(lo, b), true
		if lo, err = m.next(g, lo); err != nil {
			return nil, err
		}
	} else if q.Limit > 0 {
		a, err := m.ahead(g, lo, int64(q.Limit))
		if err != nil {
			return nil, err
		}
		hi = min(hi, a)
	}
	if lo >= hi {
		return nil, nil
	}
	leaf, first, ok := m.locate(g, lo)
	if !ok {
		return nil, nil
	}
	// Ids count trades: the answer's size is known (ids jump only
	// between blocks, a window across one is sized by what is left).
	n := hi - lo
	if r0, _, end := m.rootOf(g, lo); hi > end || r0 != (hi-1)>>idShift-idBias {
		n = end - lo + 1024
	}
	out := make([]cc.Trade, 0, min(n, 1<<20))
	rootMs := levels[0].dur
	for n := 0; first < hi; n++ {
		if n&1023 == 1023 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		nd := g.node(leafLevel, leaf)
		if nd.trades > 0 {
			tg.genLeaf(s, leaf, nd, first)
			for i := range tg.leaf {
				tr := &tg.leaf[i]
				if tr.id >= lo && tr.id < hi {
					out = append(out, s.trade(tr))
				}
			}
			first += nd.trades
		}
		leaf++
		if (leaf*secMs)%rootMs == 0 {
			first = rootBase(floorDiv(leaf*secMs, rootMs))
		}
	}
	return out, nil
}

func (s *symbol) trade(t *rawTrade) cc.Trade {
	return cc.Trade{
		ID: t.id, AggID: t.agg, Time: t.t,
		Price:      cc.NewDecimal(t.px, s.tickDec),
		Size:       cc.NewDecimal(t.sz, s.lotDec),
		BuyerMaker: !t.buy,
	}
}
