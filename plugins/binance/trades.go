package binance

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	cc "github.com/candlecassette/candlecassette"
)

// Trades: /api/v3/trades, /api/v3/historicalTrades and /api/v3/aggTrades
// (and /fapi/v1 the same), from env.Tape. Without a tape the symbol has no
// trades here, which Binance words as an invalid symbol.

const (
	tradesDefaultLimit = 500
	tradesMaxLimit     = 1000
	// aggTradesMaxSpan is USD-M's bound on endTime − startTime.
	aggTradesMaxSpan = 3_600_000
)

// tradeLimit reads limit: default 500, at most 1000 (spot clamps a larger
// one, futures refuse it), at least 1.
func (s *server) tradeLimit(q params) (int, *apiError) {
	limit, ok, err := q.optInt("limit")
	switch {
	case err != nil:
		return 0, err
	case !ok:
		return tradesDefaultLimit, nil
	case limit < 1 || (limit > tradesMaxLimit && s.p.kind == Perpetual):
		return 0, errInvalidParam("limit")
	}
	return int(min(limit, tradesMaxLimit)), nil
}

// tradeSymbol reads and checks symbol=.
func (s *server) tradeSymbol(q params) (symbolSpec, *apiError) {
	sym, err := q.symbol("symbol")
	if err != nil {
		return symbolSpec{}, err
	}
	sp, ok := s.spec(sym)
	if !ok || s.env.Tape == nil {
		return symbolSpec{}, errInvalidSymbol()
	}
	return sp, nil
}

// nowMicros is the clock's present in microseconds, the last instant a
// trade may have.
func (s *server) nowMicros() int64 { return s.env.Clock.Now().UnixMicro() }

// micros reads a timestamp parameter: spot takes milliseconds or (16
// digits and more) microseconds; futures milliseconds.
func (s *server) micros(v int64) int64 {
	if s.p.kind == Spot && v >= 1e14 {
		return v
	}
	return v * 1000
}

func (s *server) handleTrades(w http.ResponseWriter, r *http.Request, q params) {
	sp, aerr := s.tradeSymbol(q)
	if aerr == nil {
		var limit int
		if limit, aerr = s.tradeLimit(q); aerr == nil {
			s.serveTrades(w, r, sp, cc.TradeQuery{Symbol: sp.symbol, Limit: limit, Newest: true})
			return
		}
	}
	writeError(w, aerr)
}

// handleHistoricalTrades serves historicalTrades: from fromId forward, or
// the most recent without it.
func (s *server) handleHistoricalTrades(w http.ResponseWriter, r *http.Request, q params) {
	sp, aerr := s.tradeSymbol(q)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	limit, aerr := s.tradeLimit(q)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	from, hasFrom, aerr := q.optInt("fromId")
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	tq := cc.TradeQuery{Symbol: sp.symbol, Limit: limit, Newest: !hasFrom}
	if hasFrom {
		tq.FromID = from
		if from == 0 {
			tq.Start = s.p.listed() * 1000 // id 0: from the first trade
		}
	}
	s.serveTrades(w, r, sp, tq)
}

func (s *server) serveTrades(w http.ResponseWriter, r *http.Request, sp symbolSpec, tq cc.TradeQuery) {
	tq.Now = s.nowMicros()
	ts, err := s.env.Tape.Trades(r.Context(), tq)
	if err != nil {
		writeError(w, err)
		return
	}
	unit := timeUnitOf(r)
	b := make([]byte, 0, 16+len(ts)*160)
	b = append(b, '[')
	for i, t := range ts {
		if i > 0 {
			b = append(b, ',')
		}
		b = s.appendTrade(b, t, unit)
	}
	writeBody(w, http.StatusOK, append(b, ']'))
}

// appendTrade encodes a trades row: spot {"id","price","qty","quoteQty",
// "time","isBuyerMaker","isBestMatch"}, futures {"id","price","qty",
// "quoteQty","time","isBuyerMaker","isRPITrade"}.
func (s *server) appendTrade(b []byte, t cc.Trade, unit timeUnit) []byte {
	pp, qp := s.pricePlaces(symbolSpec{}), s.qtyPlaces(symbolSpec{})
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, t.ID, 10)
	b = append(b, `,"price":"`...)
	b = t.Price.Append(b, max(pp, int(t.Price.Scale)))
	b = append(b, `","qty":"`...)
	b = t.Size.Append(b, max(qp, int(t.Size.Scale)))
	b = append(b, `","quoteQty":"`...)
	qq := t.Quote()
	b = qq.AppendTrim(b, int(qq.Scale))
	b = append(b, `","time":`...)
	b = strconv.AppendInt(b, unit.trade(t.Time), 10)
	b = append(b, `,"isBuyerMaker":`...)
	b = strconv.AppendBool(b, t.BuyerMaker)
	if s.p.kind == Spot {
		return append(b, `,"isBestMatch":true}`...)
	}
	return append(b, `,"isRPITrade":false}`...)
}

// agg is one aggregate trade: consecutive prints of one taker order at
// one price.
type agg struct {
	id, first, last int64
	time            int64 // µs
	price, qty      cc.Decimal
	buyerMaker      bool
}

// aggregate folds trades (in id order) into aggregates; a leading partial
// aggregate (its first print before ts[0]) is dropped when dropPartial.
func aggregate(ts []cc.Trade, out []agg, dropPartial bool) []agg {
	for _, t := range ts {
		if n := len(out); n > 0 && out[n-1].id == t.AggID {
			out[n-1].last = t.ID
			out[n-1].qty = out[n-1].qty.Add(t.Size)
			continue
		}
		if dropPartial && t.AggID != t.ID {
			continue
		}
		dropPartial = false
		out = append(out, agg{id: t.AggID, first: t.ID, last: t.ID, time: t.Time, price: t.Price, qty: t.Size, buyerMaker: t.BuyerMaker})
	}
	return out
}

// aggPage is how many prints one tape query fetches while aggregating.
const aggPage = 2000

// aggTrades selects up to limit aggregates of q (whose Limit and Newest
// are ignored): the first ones, or the last with newest. Aggregates are
// whole: prints of one share a time and consecutive ids.
func aggTrades(ctx context.Context, tape cc.Tape, q cc.TradeQuery, limit int, newest bool) ([]agg, error) {
	q.Limit = aggPage
	if !newest {
		out := []agg{}
		partial := q.FromID != 0
		for {
			ts, err := tape.Trades(ctx, q)
			if err != nil {
				return nil, err
			}
			if len(ts) == 0 {
				return out, nil
			}
			full := len(ts) == aggPage
			if full {
				// The last aggregate may continue on the next page: keep it
				// for then.
				cut := len(ts)
				for cut > 0 && ts[cut-1].AggID == ts[len(ts)-1].AggID {
					cut--
				}
				if cut > 0 {
					ts = ts[:cut]
				}
			}
			out = aggregate(ts, out, partial)
			partial = false
			if len(out) >= limit {
				return out[:limit], nil
			}
			if !full {
				return out, nil
			}
			q.FromID = ts[len(ts)-1].ID + 1
		}
	}
	q.Newest = true
	var pages [][]agg
	got := 0
	for {
		ts, err := tape.Trades(ctx, q)
		if err != nil {
			return nil, err
		}
		if len(ts) == 0 {
			break
		}
		full := len(ts) == aggPage
		if full {
			// The first aggregate may begin on the previous page.
			cut := 0
			for cut < len(ts) && ts[cut].AggID == ts[0].AggID {
				cut++
			}
			if cut < len(ts) {
				ts = ts[cut:]
			}
		}
		page := aggregate(ts, nil, false)
		pages = append(pages, page)
		got += len(page)
		if got >= limit || !full {
			break
		}
		q.ToID = ts[0].ID
	}
	out := make([]agg, 0, min(got, limit))
	for i := len(pages) - 1; i >= 0; i-- {
		out = append(out, pages[i]...)
	}
	return out[max(0, len(out)-limit):], nil
}

// handleAggTrades serves aggTrades: from fromId, inside
// [startTime, endTime], or the most recent.
func (s *server) handleAggTrades(w http.ResponseWriter, r *http.Request, q params) {
	sp, aerr := s.tradeSymbol(q)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	limit, aerr := s.tradeLimit(q)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	var vals [3]int64
	var has [3]bool
	for i, name := range []string{"fromId", "startTime", "endTime"} {
		if vals[i], has[i], aerr = q.optInt(name); aerr != nil {
			writeError(w, aerr)
			return
		}
	}
	tq := cc.TradeQuery{Symbol: sp.symbol, Now: s.nowMicros()}
	newest := !has[0] && !has[1]
	if has[0] {
		tq.FromID = vals[0]
		if vals[0] == 0 {
			tq.Start = s.p.listed() * 1000
		}
	}
	if has[1] {
		tq.Start = s.micros(vals[1])
	}
	if has[2] {
		tq.End = s.micros(vals[2])
		if tq.End == vals[2]*1000 {
			tq.End += 1000 // endTime in ms is inclusive
		} else {
			tq.End++
		}
	}
	if has[1] && has[2] {
		if tq.Start >= tq.End {
			if s.p.kind == Perpetual {
				writeError(w, errStartAfterEnd())
			} else {
				writeBody(w, http.StatusOK, []byte("[]"))
			}
			return
		}
		// An hour exactly passes: ccxt asks for [since, since+1h].
		if s.p.kind == Perpetual && vals[2]-vals[1] > aggTradesMaxSpan {
			writeError(w, badRequest(-1127, "More than 1 hours between startTime and endTime."))
			return
		}
	}
	as, err := aggTrades(r.Context(), s.env.Tape, tq, limit, newest)
	if err != nil {
		writeError(w, err)
		return
	}
	unit := timeUnitOf(r)
	b := make([]byte, 0, 16+len(as)*140)
	b = append(b, '[')
	for i, a := range as {
		if i > 0 {
			b = append(b, ',')
		}
		b = s.appendAgg(b, a, unit)
	}
	writeBody(w, http.StatusOK, append(b, ']'))
}

// appendAgg encodes {"a","p","q","f","l","T","m","M"} (futures without M).
func (s *server) appendAgg(b []byte, a agg, unit timeUnit) []byte {
	b = append(b, '{')
	b = s.appendAggFields(b, a, unit)
	return append(b, '}')
}

// appendAggFields appends the fields of an aggregate without braces.
func (s *server) appendAggFields(b []byte, a agg, unit timeUnit) []byte {
	pp, qp := s.pricePlaces(symbolSpec{}), s.qtyPlaces(symbolSpec{})
	b = append(b, `"a":`...)
	b = strconv.AppendInt(b, a.id, 10)
	b = appendField(b, "p", a.price, pp)
	b = appendField(b, "q", a.qty, qp)
	b = append(b, `,"f":`...)
	b = strconv.AppendInt(b, a.first, 10)
	b = append(b, `,"l":`...)
	b = strconv.AppendInt(b, a.last, 10)
	b = append(b, `,"T":`...)
	b = strconv.AppendInt(b, unit.trade(a.time), 10)
	b = append(b, `,"m":`...)
	b = strconv.AppendBool(b, a.buyerMaker)
	if s.p.kind == Spot {
		b = append(b, `,"M":true`...)
	}
	return b
}

// timeUnit is how a spot answer writes times: milliseconds, or with
// X-MBX-TIME-UNIT: MICROSECOND (timeUnit= on the WS URLs) microseconds.
type timeUnit bool

const (
	millis timeUnit = false
	micros timeUnit = true
)

// timeUnitKey carries a request's unit once the handler has read it.
type timeUnitKey struct{}

func timeUnitOf(r *http.Request) timeUnit {
	u, _ := r.Context().Value(timeUnitKey{}).(timeUnit)
	return u
}

// parseTimeUnit reads MICROSECOND or MILLISECOND in any case.
func parseTimeUnit(v string) (timeUnit, bool) {
	switch {
	case strings.EqualFold(v, "MICROSECOND"):
		return micros, true
	case strings.EqualFold(v, "MILLISECOND"):
		return millis, true
	}
	return millis, false
}

// trade writes a trade time given in µs.
func (u timeUnit) trade(us int64) int64 {
	if u == micros {
		return us
	}
	return cc.Trade{Time: us}.Millis()
}

// at writes an instant given in ms: its first microsecond.
func (u timeUnit) at(ms int64) int64 {
	if u == micros {
		return ms * 1000
	}
	return ms
}

// close writes the last millisecond of a span (a candle's close time):
// its last microsecond.
func (u timeUnit) close(ms int64) int64 {
	if u == micros {
		return ms*1000 + 999
	}
	return ms
}
