package synth

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"

	cc "github.com/candlecassette/candlecassette"
)

// The perpetual side of the synthetic market (cc.Derivatives).
//
// Index: the pair's path on a virtual spot venue ("index": it shares the
// perpetual's draws above the 6-hour level and has venue noise below, 0.97
// correlated with the perpetual venue's, so that the two deviate by about
// half what two independent venues do), times a
// factor constant over each 15-minute block: 1−q, where q is a slow basis
// (per-day and per-hour knots, interpolated linearly), held so that the
// index stays within ±0.3% of the last price (see block). The
// perpetual's last price therefore trades at a premium of about q plus
// the two venues' noise.
//
// Premium index: r(m) = last/index − 1 at the close of minute m, within
// ±0.3%. Its candles move linearly from r(m−1) to r(m) over minute m, in
// units of 1e-8 (a premium candle costs a minute node per minute).
//
// Mark: index × (1 + P(k)) over block k, where P(k) is the mean premium
// at the closes of the two blocks before k (a half-hour moving average of
// the basis, as Binance's mark smooths it over minutes): causal,
// random-access, and within the venue's band of the index (the band is a
// clamp too, but the premium's bound already keeps it).
//
// Within a block the index and mark factors are constant, so the mark and
// index candles of a block and of its minutes and seconds are the index
// venue's candles times one factor, rounded to the tick: rounding is
// monotone, so the highs and lows of every coarser candle are exactly
// those of its blocks, and every interval aggregates exactly from finer
// ones. A mark or index candle costs a block node per 15 minutes it
// spans (plus the minutes or seconds of a finer candle). In a volatile
// block (a jump, or nine times a typical block's variance: the venues can
// part by a percent inside one) each minute takes an index factor of its
// own, held as the block's is, and the block is the aggregate of its
// minutes.
//
// Funding settles on the venue's schedule (perpRules): rate =
// clamp(avg + clamp(interest − avg, ±0.05%), ±cap) scaled to the period,
// with interest 0.01% per 8 hours (Binance's formula) and avg the mean
// premium index over the period, sampled at the close of every 15
// minutes.
//
// Open interest is a smooth, bounded random function of time around 40%
// of a day's volume.

// perpRule is a venue's funding schedule and bounds.
type perpRule struct {
	period int64   // ms between settlements, aligned to 00:00 UTC
	cap    float64 // |funding rate| per settlement is at most cap
	band   float64 // |mark/index − 1| and |premium index| are at most band
}

const (
	interest8h    = 0.0001 // interest rate per 8 hours: 0.01%
	interestClamp = 0.0005 // the clamp of interest − premium: ±0.05%
	markBlocks    = 2      // 15-minute blocks averaged into the mark's premium
	premiumMax    = 0.003  // |premium index| at most 0.3%, inside every band
	fineVar       = 9      // a block this many times a typical block's variance is fine
	indexFollow   = 0.97   // correlation of the index venue's noise with the perpetual's
	premiumScale  = 8      // decimal places of premium and funding rates
	indexVenue    = "index"
)

// perpRules are the perpetual venues' funding schedules, keyed by
// exchange id. Caps are the venues' published caps for BTC-like majors
// (per-symbol caps vary; one per venue here). The band bounds the mark
// around the index: our choice, wider than the premium ever gets on a
// major (±0.5% for the 8-hourly venues, ±1% for Hyperliquid, whose
// hourly cap is 4%).
var perpRules = map[string]perpRule{
	"binance_perpetual":     {period: 8 * hourMs, cap: 0.003, band: 0.005},
	"bybit_perpetual":       {period: 8 * hourMs, cap: 0.00375, band: 0.005},
	"okx_perpetual":         {period: 8 * hourMs, cap: 0.00375, band: 0.005},
	"gate_io_perpetual":     {period: 8 * hourMs, cap: 0.00375, band: 0.005},
	"kucoin_perpetual":      {period: 8 * hourMs, cap: 0.003, band: 0.005},
	"mexc_perpetual":        {period: 8 * hourMs, cap: 0.003, band: 0.005},
	"ascend_ex_perpetual":   {period: 8 * hourMs, cap: 0.003, band: 0.005},
	"hyperliquid_perpetual": {period: hourMs, cap: 0.04, band: 0.01},
}

// defaultPerpRule is the rule of a perpetual venue not in perpRules.
var defaultPerpRule = perpRule{period: 8 * hourMs, cap: 0.003, band: 0.005}

// IsPerpetual reports whether exchange id names a perpetual venue: one in
// the funding table or any id ending in _perpetual.
func IsPerpetual(exchange string) bool {
	_, ok := perpRules[exchange]
	return ok || strings.HasSuffix(exchange, "_perpetual")
}

// FundingPeriod is the time between exchange's funding settlements, in ms.
func FundingPeriod(exchange string) int64 { return ruleFor(exchange).period }

func ruleFor(exchange string) perpRule {
	if r, ok := perpRules[exchange]; ok {
		return r
	}
	return defaultPerpRule
}

// Derivatives is the perpetual side of a Market: mark and index prices,
// the premium index, funding and open interest, all deterministic
// functions of the market's seed and time. It implements cc.Derivatives
// and is safe for concurrent use.
type Derivatives struct {
	last, spot *Market
	rule       perpRule
	key        uint64
	kinds      [4]cc.Market
	pool       sync.Pool // of *walker
}

var _ cc.Derivatives = (*Derivatives)(nil)

// NewDerivatives returns the perpetual side of m, with the funding rule of
// m's exchange (the default 8-hourly rule for a venue not in the table).
func NewDerivatives(m *Market) *Derivatives {
	o := m.opts
	o.Exchange = indexVenue
	d := &Derivatives{last: m, spot: New(o), rule: ruleFor(m.opts.Exchange)}
	// The index follows the perpetual's venue noise in part: a composite
	// of spot venues is where the perpetual's price is discovered too.
	g := newGen()
	for native, s := range d.spot.symbols {
		s.exOwn, s.exKey, s.exRho = s.exKey, m.symbols[native].exKey, indexFollow
		d.spot.pin(g, s)
	}
	d.key = mix64(m.opts.Seed ^ mix64(hashString("perp:"+m.opts.Exchange)))
	d.kinds[cc.LastPrice] = m
	for _, k := range []cc.PriceKind{cc.MarkPrice, cc.IndexPrice, cc.PremiumIndex} {
		d.kinds[k] = &series{d: d, kind: k}
	}
	d.pool.New = func() any { return &walker{} }
	return d
}

// Prices implements cc.Derivatives: LastPrice is the market itself; mark,
// index and premium candles have zero volumes and trades.
func (d *Derivatives) Prices(kind cc.PriceKind) cc.Market {
	if int(kind) < len(d.kinds) {
		return d.kinds[kind]
	}
	return unknownKind{kind}
}

type unknownKind struct{ k cc.PriceKind }

func (u unknownKind) Candles(context.Context, string, cc.Interval, int64, int64, int64) ([]cc.Candle, error) {
	return nil, fmt.Errorf("synth: unknown price kind %d", u.k)
}

// walker computes one symbol's factors, caching those of recent blocks
// and minutes so that consecutive ones cost one new pair of nodes.
type walker struct {
	d      *Derivatives
	gl, gs *gen
	s      *symbol
	key    uint64
	// br[k&3] and bf[k&3] are r and the index factor of block bTag[k&3],
	// for bOK entries.
	br, bf [4]float64
	bTag   [4]int64
	bOK    [4]bool
	bFine  [4]bool
	// The factor of minute fmCur of a fine block.
	fmOK  bool
	fmCur int64
	fmF   float64
	// The factors of block cur.
	curOK       bool
	cur         int64
	idxF, markF float64
	premP       float64 // the mark's premium over the index
	// The premium at the open and the close of minute mCur, 1e-8 units.
	mOK         bool
	mCur        int64
	rPrev, rCur int64
}

func (d *Derivatives) walker(symbol string) (*walker, error) {
	s, ok := d.last.symbols[symbol]
	if !ok {
		return nil, fmt.Errorf("%w: %s", cc.ErrUnknownSymbol, symbol)
	}
	w := d.pool.Get().(*walker)
	if w.d != d || w.s != s {
		*w = walker{d: d, s: s, key: mix64(d.key ^ s.key)}
	}
	w.gl, _, _ = d.last.get(symbol)
	w.gs, _, _ = d.spot.get(symbol)
	return w, nil
}

func (d *Derivatives) release(w *walker) {
	d.last.pool.Put(w.gl)
	d.spot.pool.Put(w.gs)
	w.gl, w.gs = nil, nil
	d.pool.Put(w)
}

// knot is a standard normal draw, clipped to ±3, for knot i of a scale.
func (w *walker) knot(scale int, i int64) float64 {
	var st stream
	st.reset(nodeKey(w.key, scale, i))
	return max(-3, min(3, st.norm()))
}

// lerpKnots interpolates the knots of a scale of period per linearly at t.
func (w *walker) lerpKnots(scale int, per, t int64) float64 {
	i := floorDiv(t, per)
	f := float64(t-i*per) / float64(per)
	return w.knot(scale, i)*(1-f) + w.knot(scale, i+1)*f
}

// basis is q of minute m: the perpetual's slow premium over the index
// venue. A few basis points, positive on average.
func (w *walker) basis(m int64) float64 {
	t := m * minMs
	return 0.00002 + 0.0004*w.lerpKnots(1, dayMs, t) + 0.00012*w.lerpKnots(2, hourMs, t)
}

// block returns r, the premium at the close of 15-minute block k, and
// the block's index factor (memoized).
//
// The index is the spot venue's block times 1−q, except where the two
// venues' paths drift further apart than premiumMax: the factor is then
// the one nearest 1−q that keeps the index's high, low and close within
// premiumMax of the last price's (a composite index does not stray from
// the venue it is quoted against), or, where no factor can, the one that
// centres them. r is kept within ±premiumMax. This bounds mark, index
// and premium however volatile the market: the mark is within 0.3% of
// the index, inside every venue's band.
func (w *walker) block(k int64) (r, f float64) {
	j := k & 3
	if w.bOK[j] && w.bTag[j] == k {
		return w.br[j], w.bf[j]
	}
	ln, sn := w.gl.node(blockLevel, k), w.gs.node(blockLevel, k)
	lf := clampFactor(ln, sn, math.Log(1-w.basis(k*blockMs/minMs)))
	fine := ln.jx > 0 || ln.v > fineVar*w.s.dayVol*w.s.dayVol*float64(blockMs)/float64(dayMs)
	if fine {
		// The premium at the close is the last minute's.
		m := k*(blockMs/minMs) + blockMs/minMs - 1
		lm, sm := w.gl.node(minLevel, m), w.gs.node(minLevel, m)
		r = math.Exp(math.Log(float64(lm.c)/float64(sm.c)) - clampFactor(lm, sm, lf))
	} else {
		r = math.Exp(math.Log(float64(ln.c)/float64(sn.c)) - lf)
	}
	r = max(-premiumMax, min(premiumMax, r-1))
	f = math.Exp(lf)
	w.br[j], w.bf[j], w.bFine[j], w.bTag[j], w.bOK[j] = r, f, fine, k, true
	return r, f
}

// clampFactor is the log index factor nearest pref that keeps the
// index's high, low and close within premiumMax of last's over a node
// (l the last venue's, s the spot venue's), or the one that centres them
// where none can.
func clampFactor(l, s *node, pref float64) float64 {
	dh := math.Log(float64(l.h) / float64(s.h))
	dl := math.Log(float64(l.l) / float64(s.l))
	dc := math.Log(float64(l.c) / float64(s.c))
	lo, hi := max(dh, dl, dc)-premiumMax, min(dh, dl, dc)+premiumMax
	if lo > hi {
		return (lo + hi) / 2
	}
	return max(lo, min(hi, pref))
}

// fine reports whether block k is volatile enough (a jump, or a variance
// fineVar times a typical block's) for its minutes to take factors of
// their own: the two venues can part within such a block.
func (w *walker) fine(k int64) bool {
	w.block(k)
	return w.bFine[k&3]
}

// minuteFactor is the index factor of minute m: its block's, or in a
// fine block the minute's own, held as the block's is.
func (w *walker) minuteFactor(m int64) float64 {
	k := floorDiv(m*minMs, blockMs)
	_, f := w.block(k)
	if !w.bFine[k&3] {
		return f
	}
	if w.fmOK && w.fmCur == m {
		return w.fmF
	}
	v := math.Exp(clampFactor(w.gl.node(minLevel, m), w.gs.node(minLevel, m), math.Log(f)))
	w.fmCur, w.fmF, w.fmOK = m, v, true
	return v
}

// factors sets the index and mark factors of block k: the mark's premium
// is the mean of r over the markBlocks blocks before k, causal.
func (w *walker) factors(k int64) {
	if w.curOK && w.cur == k {
		return
	}
	var p float64
	for j := k - markBlocks; j < k; j++ {
		r, _ := w.block(j)
		p += r
	}
	p /= markBlocks
	p = max(-w.d.rule.band, min(w.d.rule.band, p))
	_, f := w.block(k)
	w.idxF, w.markF, w.premP = f, f*(1+p), p
	w.cur, w.curOK = k, true
}

// premiumMinute is the premium index at the close of minute m: the last
// close over the index close, minus one, within ±premiumMax.
func (w *walker) premiumMinute(m int64) float64 {
	f := w.minuteFactor(m)
	ln, sn := w.gl.node(minLevel, m), w.gs.node(minLevel, m)
	return max(-premiumMax, min(premiumMax, float64(ln.c)/(float64(sn.c)*f)-1))
}

// minute sets the premium at the open and close of minute m.
func (w *walker) minute(m int64) {
	if w.mOK && w.mCur == m {
		return
	}
	if w.mOK && w.mCur == m-1 {
		w.rPrev = w.rCur
	} else {
		w.rPrev = int64(math.Round(w.premiumMinute(m-1) * 1e8))
	}
	w.rCur = int64(math.Round(w.premiumMinute(m) * 1e8))
	w.mCur, w.mOK = m, true
}

const (
	minLevel   = 8 // the level of minutes
	blockLevel = 7 // the level of 15-minute blocks
	blockMs    = 15 * minMs
)

// scaled is x ticks times f, on the tick.
func scaled(x int64, f float64) int64 { return max(1, int64(math.Round(float64(x)*f))) }

// premiumAt is the premium index at t within minute mCur, 1e-8 units:
// linear from the minute's open to its close.
func (w *walker) premiumAt(t int64) int64 {
	u0 := w.mCur * minMs
	return w.rPrev + (w.rCur-w.rPrev)*(t-u0)/minMs
}

// add adds the kind's candle of node (L, idx) to a: L at or below the
// block level for mark and index, the minute level for the premium.
func (w *walker) add(kind cc.PriceKind, L int, idx int64, a *agg) {
	dur := levels[L].dur
	t0 := idx * dur
	var n node
	switch kind {
	case cc.PremiumIndex:
		w.minute(floorDiv(t0, minMs))
		o, c := w.premiumAt(t0), w.premiumAt(t0+dur)
		n = node{o: o, c: c, h: max(o, c), l: min(o, c)}
	default:
		k := floorDiv(t0, blockMs)
		w.factors(k)
		f := w.idxF
		if w.fine(k) {
			if L == blockLevel {
				// Minute by minute, each with its own factor.
				m0 := k * (blockMs / minMs)
				for m := m0; m < m0+blockMs/minMs; m++ {
					w.add(kind, minLevel, m, a)
				}
				return
			}
			f = w.minuteFactor(floorDiv(t0, minMs))
		}
		if kind == cc.MarkPrice {
			f *= 1 + w.premP
		}
		sn := w.gs.node(L, idx)
		n = node{o: scaled(sn.o, f), c: scaled(sn.c, f), h: scaled(sn.h, f), l: scaled(sn.l, f)}
	}
	a.add(&n)
}

// openAt is the kind's value at the open of the second containing t.
func (w *walker) openAt(kind cc.PriceKind, t int64) int64 {
	var a agg
	w.add(kind, leafLevel, floorDiv(t, secMs), &a)
	return a.o
}

// prefix adds the part of node (L, idx) complete at now, as gen.prefix.
func (w *walker) prefix(kind cc.PriceKind, L int, idx, now int64, a *agg) {
	dur := levels[L].dur
	if idx*dur+dur-1 <= now {
		w.add(kind, L, idx, a)
		return
	}
	if L == leafLevel || idx*dur > now {
		return
	}
	f := int64(levels[L+1].fan)
	cd := levels[L+1].dur
	for j := idx * f; j < idx*f+f && j*cd <= now; j++ {
		w.prefix(kind, L+1, j, now, a)
	}
}

// series is one derived price series as a cc.Market.
type series struct {
	d    *Derivatives
	kind cc.PriceKind
}

// Candles implements cc.Market for the series, with Market.Candles'
// conventions: the candle containing now is the aggregate of the whole
// seconds elapsed in it (a flat candle at its open when none has).
// Volumes and trade counts are zero; premium candles are rates at scale
// 8.
func (p *series) Candles(ctx context.Context, symbol string, iv cc.Interval, start, end, now int64) ([]cc.Candle, error) {
	if !iv.Valid() {
		return nil, fmt.Errorf("synth: invalid interval %q", iv)
	}
	w, err := p.d.walker(symbol)
	if err != nil {
		return nil, err
	}
	defer p.d.release(w)
	start = iv.Truncate(start)
	if now < end {
		end = now + 1
	}
	if start >= end {
		return nil, nil
	}
	scale := w.s.tickDec
	if p.kind == cc.PremiumIndex {
		scale = premiumScale
	}
	L := max(baseLevel(iv), blockLevel)
	if p.kind == cc.PremiumIndex {
		L = max(L, minLevel)
	}
	dur := levels[L].dur
	out := make([]cc.Candle, 0, estimate(iv, start, end))
	for open := start; open < end; {
		if len(out)&255 == 255 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		next := iv.Next(open)
		closed := next-1 <= now
		var a agg
		for idx := floorDiv(open, dur); idx*dur < next && idx*dur <= now; idx++ {
			w.prefix(p.kind, L, idx, now, &a)
		}
		if a.n == 0 {
			a.flat(w.openAt(p.kind, open))
		}
		out = append(out, cc.Candle{
			OpenTime: open, CloseTime: next - 1,
			Open: cc.NewDecimal(a.o, scale), High: cc.NewDecimal(a.h, scale),
			Low: cc.NewDecimal(a.l, scale), Close: cc.NewDecimal(a.c, scale),
			Closed: closed,
		})
		open = next
	}
	return out, nil
}

// FundingHistory implements cc.Derivatives: the settlements on the venue's
// schedule with Time in [start, end), none after now, oldest first.
func (d *Derivatives) FundingHistory(ctx context.Context, symbol string, start, end, now int64) ([]cc.Funding, error) {
	w, err := d.walker(symbol)
	if err != nil {
		return nil, err
	}
	defer d.release(w)
	per := d.rule.period
	end = min(end, now+1)
	var out []cc.Funding
	for t := floorDiv(start+per-1, per) * per; t < end; t += per {
		if len(out)&63 == 63 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		out = append(out, cc.Funding{
			Time:      t,
			Rate:      rateDec(w.fundingRate(t-per, t)),
			MarkPrice: cc.NewDecimal(w.openAt(cc.MarkPrice, t), w.s.tickDec),
		})
	}
	return out, nil
}

// fundingRate is the rate of the settlement at the end of the period
// opening at from, from the premium sampled at the close of each 15
// minutes completed by upTo.
func (w *walker) fundingRate(from, upTo int64) float64 {
	const q = 15 * minMs
	var sum float64
	n := 0
	for t := from + q; t <= upTo; t += q {
		r, _ := w.block(t/blockMs - 1)
		sum += r
		n++
	}
	avg := 0.0
	if n > 0 {
		avg = sum / float64(n)
	} else {
		avg = w.premiumMinute(floorDiv(upTo, minMs) - 1)
	}
	per := float64(w.d.rule.period) / float64(8*hourMs)
	interest := interest8h * per
	c := interestClamp * per
	rate := avg + max(-c, min(c, interest-avg))
	return max(-w.d.rule.cap, min(w.d.rule.cap, rate))
}

func rateDec(r float64) cc.Decimal {
	return cc.NewDecimal(int64(math.Round(r*1e8)), premiumScale)
}

// Perp implements cc.Derivatives: the state at now.
func (d *Derivatives) Perp(ctx context.Context, symbol string, now int64) (cc.PerpState, error) {
	if err := ctx.Err(); err != nil {
		return cc.PerpState{}, err
	}
	w, err := d.walker(symbol)
	if err != nil {
		return cc.PerpState{}, err
	}
	defer d.release(w)
	per := d.rule.period
	prev := floorDiv(now, per) * per
	st := cc.PerpState{
		Time:        now,
		Mark:        cc.NewDecimal(w.openAt(cc.MarkPrice, now), w.s.tickDec),
		Index:       cc.NewDecimal(w.openAt(cc.IndexPrice, now), w.s.tickDec),
		FundingRate: rateDec(w.fundingRate(prev, now)),
		NextFunding: prev + per,
	}
	w.minute(floorDiv(now, minMs))
	st.Premium = cc.NewDecimal(w.premiumAt(floorDiv(now, secMs)*secMs), premiumScale)
	st.OpenInterest = cc.NewDecimal(w.openInterest(now), w.s.lotDec)
	return st, nil
}

// openInterest is the open interest at t in lots: about 40% of a day's
// volume, moving smoothly (knots a day, four hours, an hour and five
// minutes apart) within about e^±1.3 of it.
func (w *walker) openInterest(t int64) int64 {
	x := 0.25*w.lerpKnots(3, dayMs, t) + 0.12*w.lerpKnots(4, 4*hourMs, t) +
		0.04*w.lerpKnots(5, hourMs, t) + 0.005*w.lerpKnots(6, 5*minMs, t)
	return max(1, int64(math.Round(0.4*w.s.dayLots*math.Exp(x))))
}
