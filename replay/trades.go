package replay

import (
	"context"
	"math/big"
	"slices"
	"sort"
	"sync"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
)

// recordedTape serves a cassette's trades index joined to the synthetic
// tape, in recorded time (shiftedTape moves it for --clock now). It is
// Env.Tape and, numbering every trade, cc.TradeIDs.
//
// The join, per symbol: the recorded span is [first, last], the times of
// the first and last indexed trades. Inside it only recorded trades exist
// (a stretch the recording missed is empty, never synthetic); before it
// and after it the synthetic tape's trades are served, renumbered so that
// ids run on from the recorded ones without repeats: the synthetic trade
// at or after last+1µs gets id lastID+1 and the ids after it follow on
// one by one, and the synthetic trades before first count down from
// firstID−1. Aggregate ids move with their trades' ids. A symbol with no
// recorded trades is the synthetic tape itself.
//
// The index is read as it was when a symbol was first asked for: trades a
// --record-missing session adds are not served until the next replay.
type recordedTape struct {
	c     *cassettes.Cassette
	synth cc.Tape
	ids   cc.TradeIDs // synth's numbering
	d     *damage

	mu   sync.Mutex
	syms map[string]*recordedSpan
}

// recordedSpan is one symbol's index, from the block headers.
type recordedSpan struct {
	blocks          []cassettes.TradeBlock
	first, last     int64 // µs
	firstID, lastID int64
	// offBefore and offAfter are added to a synthetic id before and
	// after the span; noSynth: there is no synthetic tape to join.
	offBefore, offAfter int64
	noSynth             bool
}

func newRecordedTape(c *cassettes.Cassette, synth cc.Tape, d *damage) *recordedTape {
	ids, _ := synth.(cc.TradeIDs)
	return &recordedTape{c: c, synth: synth, ids: ids, d: d, syms: map[string]*recordedSpan{}}
}

// span loads symbol's span (nil: nothing recorded).
func (rt *recordedTape) span(ctx context.Context, symbol string) (*recordedSpan, error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if sp, ok := rt.syms[symbol]; ok {
		return sp, nil
	}
	blocks, err := rt.c.TradeBlocks(symbol)
	if err != nil {
		rt.d.report(ctx, err)
		return nil, err
	}
	var sp *recordedSpan
	if len(blocks) > 0 {
		sp = &recordedSpan{blocks: blocks, first: blocks[0].First, last: blocks[len(blocks)-1].Last}
		sp.firstID, sp.lastID = blocks[0].FirstID, blocks[0].LastID
		for _, b := range blocks {
			sp.firstID, sp.lastID = min(sp.firstID, b.FirstID), max(sp.lastID, b.LastID)
		}
		// A symbol the synthetic market does not know (or a tape that
		// numbers no trades) has its recorded trades alone.
		sp.noSynth = rt.ids == nil
		if !sp.noSynth {
			a, errA := rt.ids.FirstTradeID(ctx, symbol, sp.first)
			b, errB := rt.ids.FirstTradeID(ctx, symbol, sp.last+1)
			sp.noSynth = errA != nil || errB != nil
			sp.offBefore = sp.firstID - a
			sp.offAfter = sp.lastID + 1 - b
		}
	}
	rt.syms[symbol] = sp
	return sp, nil
}

// Trades implements cc.Tape.
func (rt *recordedTape) Trades(ctx context.Context, q cc.TradeQuery) ([]cc.Trade, error) {
	sp, err := rt.span(ctx, q.Symbol)
	if err != nil || sp == nil {
		if err != nil {
			return nil, err
		}
		return rt.synth.Trades(ctx, q)
	}
	// The three parts in time order, each asked for what remains of the
	// limit, newest first when the query wants the newest.
	parts := []func(q cc.TradeQuery) ([]cc.Trade, error){
		func(q cc.TradeQuery) ([]cc.Trade, error) { return rt.synthPart(ctx, q, sp, false) },
		func(q cc.TradeQuery) ([]cc.Trade, error) { return rt.recordedPart(ctx, q, sp) },
		func(q cc.TradeQuery) ([]cc.Trade, error) { return rt.synthPart(ctx, q, sp, true) },
	}
	if q.Newest {
		slices.Reverse(parts)
	}
	var got [][]cc.Trade
	n := 0
	for _, part := range parts {
		pq := q
		if q.Limit > 0 {
			pq.Limit = q.Limit - n
		}
		ts, err := part(pq)
		if err != nil {
			return nil, err
		}
		got = append(got, ts)
		n += len(ts)
		if q.Limit > 0 && n >= q.Limit {
			break
		}
	}
	if q.Newest {
		slices.Reverse(got)
	}
	out := make([]cc.Trade, 0, n)
	for _, ts := range got {
		out = append(out, ts...)
	}
	return out, nil
}

// synthPart is the synthetic tape before (after false) or after the span,
// renumbered.
func (rt *recordedTape) synthPart(ctx context.Context, q cc.TradeQuery, sp *recordedSpan, after bool) ([]cc.Trade, error) {
	if sp.noSynth {
		return nil, nil
	}
	off := sp.offBefore
	if after {
		off = sp.offAfter
		if q.Start == 0 || q.Start <= sp.last {
			q.Start = sp.last + 1
		}
		if q.End != 0 && q.End <= q.Start {
			return nil, nil
		}
		if q.FromID != 0 && q.FromID <= sp.lastID {
			q.FromID = 0 // every id after the span is greater
		}
		if q.ToID != 0 && q.ToID <= sp.lastID+1 {
			return nil, nil
		}
	} else {
		if q.End == 0 || q.End > sp.first {
			q.End = sp.first
		}
		if q.Start != 0 && q.Start >= q.End {
			return nil, nil
		}
		if q.FromID != 0 && q.FromID >= sp.firstID {
			return nil, nil
		}
		if q.ToID != 0 && q.ToID > sp.firstID {
			q.ToID = 0 // every id before the span is less
		}
	}
	if q.Now != 0 && q.Start > q.Now {
		return nil, nil
	}
	if q.FromID != 0 {
		q.FromID -= off
		if q.FromID <= 0 {
			q.FromID = 0
		}
	}
	if q.ToID != 0 {
		q.ToID -= off
		if q.ToID <= 0 {
			return nil, nil
		}
	}
	ts, err := rt.synth.Trades(ctx, q)
	for i := range ts {
		ts[i].ID += off
		ts[i].AggID += off
	}
	return ts, err
}

// recordedPart is the span's recorded trades that q selects.
func (rt *recordedTape) recordedPart(ctx context.Context, q cc.TradeQuery, sp *recordedSpan) ([]cc.Trade, error) {
	match := func(t cc.Trade) bool {
		return (q.Start == 0 || t.Time >= q.Start) && (q.End == 0 || t.Time < q.End) &&
			(q.FromID == 0 || t.ID >= q.FromID) && (q.ToID == 0 || t.ID < q.ToID) &&
			(q.Now == 0 || t.Time <= q.Now)
	}
	blockIn := func(b cassettes.TradeBlock) bool {
		return (q.Start == 0 || b.Last >= q.Start) && (q.End == 0 || b.First < q.End) &&
			(q.FromID == 0 || b.LastID >= q.FromID) && (q.ToID == 0 || b.FirstID < q.ToID) &&
			(q.Now == 0 || b.First <= q.Now)
	}
	var out []cc.Trade
	read := func(b cassettes.TradeBlock) ([]cc.Trade, error) {
		ts, err := rt.c.TradeBlockRows(q.Symbol, b.Start)
		if err != nil {
			rt.d.report(ctx, err)
		}
		return ts, err
	}
	if !q.Newest {
		for _, b := range sp.blocks {
			if !blockIn(b) {
				continue
			}
			ts, err := read(b)
			if err != nil {
				return nil, err
			}
			for _, t := range ts {
				if match(t) {
					out = append(out, t)
					if q.Limit > 0 && len(out) == q.Limit {
						return out, nil
					}
				}
			}
		}
		return out, nil
	}
	for i := len(sp.blocks) - 1; i >= 0; i-- {
		b := sp.blocks[i]
		if !blockIn(b) {
			continue
		}
		ts, err := read(b)
		if err != nil {
			return nil, err
		}
		for j := len(ts) - 1; j >= 0; j-- {
			if match(ts[j]) {
				out = append(out, ts[j])
				if q.Limit > 0 && len(out) == q.Limit {
					slices.Reverse(out)
					return out, nil
				}
			}
		}
	}
	slices.Reverse(out)
	return out, nil
}

// FirstTradeID implements cc.TradeIDs: the id of the first trade at or
// after t, recorded inside the span, renumbered synthetic outside it.
func (rt *recordedTape) FirstTradeID(ctx context.Context, symbol string, t int64) (int64, error) {
	sp, err := rt.span(ctx, symbol)
	if err != nil {
		return 0, err
	}
	switch {
	case sp == nil && rt.ids == nil:
		return 0, cc.ErrUnknownSymbol
	case sp == nil:
		return rt.ids.FirstTradeID(ctx, symbol, t)
	case sp.noSynth && t <= sp.first:
		return sp.firstID, nil
	case sp.noSynth && t > sp.last:
		return sp.lastID + 1, nil
	case t <= sp.first:
		id, err := rt.ids.FirstTradeID(ctx, symbol, t)
		return id + sp.offBefore, err
	case t > sp.last:
		id, err := rt.ids.FirstTradeID(ctx, symbol, t)
		return id + sp.offAfter, err
	}
	i := sort.Search(len(sp.blocks), func(i int) bool { return sp.blocks[i].Last >= t })
	for ; i < len(sp.blocks); i++ {
		ts, err := rt.c.TradeBlockRows(symbol, sp.blocks[i].Start)
		if err != nil {
			rt.d.report(ctx, err)
			return 0, err
		}
		for _, tr := range ts {
			if tr.Time >= t {
				return tr.ID, nil
			}
		}
	}
	return sp.lastID + 1, nil
}

// shiftedTape is a tape moved forward in time by shift µs (--clock now),
// as shiftedMarket moves candles.
type shiftedTape struct {
	inner cc.Tape
	shift int64
}

func (s shiftedTape) Trades(ctx context.Context, q cc.TradeQuery) ([]cc.Trade, error) {
	for _, p := range []*int64{&q.Start, &q.End, &q.Now} {
		if *p != 0 {
			*p -= s.shift
		}
	}
	ts, err := s.inner.Trades(ctx, q)
	for i := range ts {
		ts[i].Time += s.shift
	}
	return ts, err
}

func (s shiftedTape) FirstTradeID(ctx context.Context, symbol string, t int64) (int64, error) {
	ids, ok := s.inner.(cc.TradeIDs)
	if !ok {
		return 0, cc.ErrUnknownSymbol
	}
	return ids.FirstTradeID(ctx, symbol, t-s.shift)
}

// tradeTape is the tape the exchange of t serves: its recorded trades
// joined to syn, on t's time shift.
func (t *tape) tradeTape() cc.Tape {
	var tp cc.Tape = t.trades
	if t.shift != 0 {
		tp = shiftedTape{inner: tp, shift: t.shift * 1000}
	}
	return tp
}

// maxTradeCandle is the longest interval whose candles are built from
// trades: a longer candle would read a long stretch of synthetic trades.
const maxTradeCandle = 3_600_000

// CandleSpan implements TradeCandles: the open times [from, to) of iv's
// candles that lie wholly inside the recorded span, up to now (ms): a
// candle across either end would mix recorded trades with synthetic ones
// of another price level, and is left to the synthetic fill, which
// bridges to the recorded candles around it.
func (rt *recordedTape) CandleSpan(ctx context.Context, symbol string, iv cc.Interval, now int64) (from, to int64, ok bool, err error) {
	if !iv.Fixed() || iv.Millis() > maxTradeCandle {
		return 0, 0, false, nil
	}
	sp, err := rt.span(ctx, symbol)
	if err != nil || sp == nil {
		return 0, 0, false, err
	}
	from = iv.Truncate(floorMs(sp.first))
	if from*1000 < sp.first {
		from = iv.Next(from)
	}
	to = iv.Truncate(floorMs(sp.last)) // the candle holding the last trade may go on past it
	if now*1000+999 <= sp.last {
		// The candle in progress at now holds only recorded trades.
		to = max(to, iv.Next(iv.Truncate(now)))
	}
	return from, to, from < to, nil
}

func floorMs(us int64) int64 { return cc.Trade{Time: us}.Millis() }

// CandlesFromTrades implements TradeCandles: iv's candles opening in
// [start, end) (ms) aggregated from the tape's trades up to now (ms), as
// the exchange builds them; a candle without trades is flat at the
// previous trade's price.
func (rt *recordedTape) CandlesFromTrades(ctx context.Context, symbol string, iv cc.Interval, start, end, now int64) ([]cc.Candle, error) {
	if end > iv.Next(iv.Truncate(now)) {
		end = iv.Next(iv.Truncate(now))
	}
	if start >= end {
		return nil, nil
	}
	prev, err := rt.Trades(ctx, cc.TradeQuery{Symbol: symbol, End: start * 1000, Limit: 1, Newest: true})
	if err != nil {
		return nil, err
	}
	ts, err := rt.Trades(ctx, cc.TradeQuery{Symbol: symbol, Start: start * 1000, End: end * 1000, Now: now*1000 + 999})
	if err != nil {
		return nil, err
	}
	var last cc.Decimal
	if len(prev) > 0 {
		last = prev[0].Price
	} else if len(ts) > 0 {
		last = ts[0].Price
	}
	var out []cc.Candle
	i := 0
	for open := start; open < end; open = iv.Next(open) {
		c := cc.Candle{OpenTime: open, CloseTime: iv.CloseTime(open), Open: last, High: last, Low: last, Close: last}
		c.Closed = c.CloseTime < now
		for ; i < len(ts) && ts[i].Millis() <= c.CloseTime; i++ {
			t := ts[i]
			if c.Trades == 0 {
				c.Open, c.High, c.Low = t.Price, t.Price, t.Price
			}
			if t.Price.Cmp(c.High) > 0 {
				c.High = t.Price
			}
			if t.Price.Cmp(c.Low) < 0 {
				c.Low = t.Price
			}
			c.Close = t.Price
			c.Volume = c.Volume.Add(t.Size)
			q := quoteOf(t)
			c.QuoteVolume = c.QuoteVolume.Add(q)
			if !t.BuyerMaker {
				c.TakerBuyBase = c.TakerBuyBase.Add(t.Size)
				c.TakerBuyQuote = c.TakerBuyQuote.Add(q)
			}
			c.Trades++
		}
		last = c.Close
		out = append(out, c)
	}
	return out, nil
}

// quoteScale is the most fractional digits a quote amount built from
// recorded trades keeps.
const quoteScale = 8

// quoteOf is a trade's price × size rounded to quoteScale places: recorded
// prices and sizes carry their exchange's trailing zeros, whose exact
// product can pass int64.
func quoteOf(t cc.Trade) cc.Decimal {
	p := new(big.Int).Mul(big.NewInt(t.Price.Units), big.NewInt(t.Size.Units))
	scale := int(t.Price.Scale) + int(t.Size.Scale)
	if scale > quoteScale {
		div := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale-quoteScale)), nil)
		half := new(big.Int).Rsh(div, 1)
		if p.Sign() < 0 {
			half.Neg(half)
		}
		p.Quo(p.Add(p, half), div)
		scale = quoteScale
	}
	if !p.IsInt64() {
		return cc.Decimal{}
	}
	return cc.Decimal{Units: p.Int64(), Scale: int8(scale)}
}
