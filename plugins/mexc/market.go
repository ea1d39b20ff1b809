package mexc

import (
	"context"
	"net/http"
	"strconv"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// day is the 24-hour tickers' window, ms.
const day = 86_400_000

// fundingPeriod is the contract's settlement cycle, ms.
const fundingPeriod = 8 * 3_600_000

// contractListed is when the contracts list as created (contractInfo's
// createTime): funding history starts there.
const contractListed int64 = 1591242684000

// stats are the rolling 24h figures and a touch.
type stats struct {
	cc.Stats
	touch cc.Touch
}

// stats are sym's figures at now with the touch right after their last
// trade (st.Through), which straddles lastPrice, or, when book, the touch
// now (the book ticker, which has no last price).
func (s *server) stats(ctx context.Context, sym string, now int64, book bool) (stats, error) {
	st, err := cc.RollingStats(ctx, s.env.Market, s.env.Tape, sym, day, now)
	if err != nil {
		return stats{}, err
	}
	at := st.Through * 1000
	if book {
		at = now*1000 + 999
	}
	t, err := kit.Touch(ctx, s.env, sym, st.Last, at)
	return stats{st, t}, err
}

// perp is a contract's state at now; without derivatives, the last price
// as mark and index and no funding.
func (s *server) perp(ctx context.Context, sym string, last cc.Decimal, now int64) (cc.PerpState, error) {
	if s.env.Derivs != nil {
		return s.env.Derivs.Perp(ctx, sym, now)
	}
	return cc.PerpState{Time: now, Mark: last, Index: last, NextFunding: (now/fundingPeriod + 1) * fundingPeriod}, nil
}

// spotSymbol reads and checks a spot route's symbol, answering MEXC's
// errors; ok false means answered.
func (s *server) spotSymbol(w http.ResponseWriter, r *http.Request) (cc.Pair, bool) {
	sym := r.URL.Query().Get("symbol")
	if sym == "" {
		spotError(w, http.StatusBadRequest, -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")
		return cc.Pair{}, false
	}
	p, ok := s.pairBySpot(sym)
	if !ok {
		spotError(w, http.StatusBadRequest, -1121, "Invalid symbol.")
		return cc.Pair{}, false
	}
	if s.env.Tape == nil {
		spotError(w, http.StatusServiceUnavailable, -1000, "Trades are not available in this mode.")
		return cc.Pair{}, false
	}
	return p, true
}

// spotLimit reads limit (default 500, 1..1000).
func spotLimit(w http.ResponseWriter, r *http.Request) (int, bool) {
	n, has, ok := kit.NumParams(r.URL.Query(), 0, func(name, v string) {
		spotError(w, http.StatusBadRequest, -1100, "Illegal characters found in parameter '"+name+"'; legal range is '^[0-9]{1,20}$'.")
	})("limit")
	if !ok {
		return 0, false
	}
	if !has {
		return 500, true
	}
	if n < 1 || n > 1000 {
		spotError(w, http.StatusBadRequest, -1130, "Data sent for parameter 'limit' is not valid.")
		return 0, false
	}
	return int(n), true
}

// spotTrades lists the latest trades, oldest first. MEXC sends no trade
// ids (null).
func (s *server) spotTrades(w http.ResponseWriter, r *http.Request) {
	p, ok := s.spotSymbol(w, r)
	if !ok {
		return
	}
	limit, ok := spotLimit(w, r)
	if !ok {
		return
	}
	ts, err := s.env.Tape.Trades(r.Context(), cc.TradeQuery{Symbol: p.Symbol, Limit: limit, Newest: true, Now: s.now()*1000 + 999})
	if err != nil {
		s.failed(w, false, err)
		return
	}
	b := make([]byte, 0, 16+len(ts)*180)
	b = append(b, '[')
	for i, t := range ts {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendSpotTrade(b, t)
	}
	kit.Raw(w, http.StatusOK, append(b, ']'))
}

// appendSpotTrade writes one /api/v3/trades row (id null, as MEXC).
func appendSpotTrade(b []byte, t cc.Trade) []byte {
	b = append(b, `{"id":null,"price":"`...)
	b = t.Price.AppendTrim(b, int(t.Price.Scale))
	b = append(b, `","qty":"`...)
	b = t.Size.AppendTrim(b, int(t.Size.Scale))
	b = append(b, `","quoteQty":"`...)
	q := t.Quote()
	b = q.AppendTrim(b, int(q.Scale))
	b = append(b, `","time":`...)
	b = strconv.AppendInt(b, t.Millis(), 10)
	b = append(b, `,"isBuyerMaker":`...)
	b = strconv.AppendBool(b, t.BuyerMaker)
	b = append(b, `,"isBestMatch":true,"tradeType":"`...)
	if t.BuyerMaker {
		b = append(b, "ASK"...)
	} else {
		b = append(b, "BID"...)
	}
	b = append(b, `"}`...)
	return b
}

// agg is an aggregate trade: consecutive prints of one taker order.
type agg struct {
	price, qty cc.Decimal
	time       int64 // ms
	buyerMaker bool
}

// aggregate folds prints into aggregates by AggID; a first aggregate cut
// by the query's bounds is kept as it stands.
func aggregate(ts []cc.Trade) []agg {
	var out []agg
	var last int64 = -1
	for _, t := range ts {
		if t.AggID == last && len(out) > 0 {
			out[len(out)-1].qty = out[len(out)-1].qty.Add(t.Size)
			continue
		}
		last = t.AggID
		out = append(out, agg{price: t.Price, qty: t.Size, time: t.Millis(), buyerMaker: t.BuyerMaker})
	}
	return out
}

// aggTrades lists aggregate trades, oldest first: the latest, or those
// in [startTime, endTime] (at most an hour apart, as MEXC requires of
// both together). Ids are null, as MEXC sends them.
func (s *server) aggTrades(w http.ResponseWriter, r *http.Request) {
	p, ok := s.spotSymbol(w, r)
	if !ok {
		return
	}
	limit, ok := spotLimit(w, r)
	if !ok {
		return
	}
	num := kit.NumParams(r.URL.Query(), 0, func(name, v string) {
		spotError(w, http.StatusBadRequest, -1100, "Illegal characters found in parameter '"+name+"'; legal range is '^[0-9]{1,20}$'.")
	})
	start, hasStart, ok := num("startTime")
	if !ok {
		return
	}
	end, hasEnd, ok := num("endTime")
	if !ok {
		return
	}
	if hasStart && hasEnd && (end < start || end-start > 3_600_000) {
		spotError(w, http.StatusBadRequest, -1127, "More than 1 hours between startTime and endTime.")
		return
	}
	now := s.now()
	q := cc.TradeQuery{Symbol: p.Symbol, Now: now*1000 + 999}
	switch {
	case hasStart:
		q.Start = max(1, start*1000)
		q.End = min(start+3_600_000, now+1) * 1000
		if hasEnd {
			q.End = (end + 1) * 1000
		}
	case hasEnd:
		q.End, q.Newest = (end+1)*1000, true
	default:
		q.Newest = true
	}
	// Enough prints for limit aggregates, then the aggregates cut to it.
	var as []agg
	for n := limit * 4; ; n *= 2 {
		q.Limit = n
		ts, err := s.env.Tape.Trades(r.Context(), q)
		if err != nil {
			s.failed(w, false, err)
			return
		}
		as = aggregate(ts)
		if len(ts) < n || len(as) > limit {
			break
		}
	}
	if len(as) > limit {
		if q.Newest {
			as = as[len(as)-limit:]
		} else {
			as = as[:limit]
		}
	}
	b := make([]byte, 0, 16+len(as)*120)
	b = append(b, '[')
	for i, a := range as {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"a":null,"f":null,"l":null,"p":"`...)
		b = a.price.AppendTrim(b, int(a.price.Scale))
		b = append(b, `","q":"`...)
		b = a.qty.AppendTrim(b, int(a.qty.Scale))
		b = append(b, `","T":`...)
		b = strconv.AppendInt(b, a.time, 10)
		b = append(b, `,"m":`...)
		b = strconv.AppendBool(b, a.buyerMaker)
		b = append(b, `,"M":true}`...)
	}
	kit.Raw(w, http.StatusOK, append(b, ']'))
}

// bookTicker is each symbol's touch now.
func (s *server) bookTicker(w http.ResponseWriter, r *http.Request) {
	s.spotTickers(w, r, true, func(p cc.Pair, st stats) any {
		return map[string]any{
			"symbol": spotName(p), "bidPrice": kit.Trim(st.touch.Bid), "bidQty": kit.Trim(st.touch.BidSize),
			"askPrice": kit.Trim(st.touch.Ask), "askQty": kit.Trim(st.touch.AskSize),
		}
	})
}

// contractPair reads a contract route's {symbol}, answering MEXC's error.
func (s *server) contractPair(w http.ResponseWriter, sym string) (cc.Pair, bool) {
	p, ok := s.pairByContract(sym)
	if !ok {
		contractError(w, 1001, "Contract does not exist!")
	}
	return p, ok
}

// contractDeals lists the latest trades newest first: p, v (contracts),
// T (1 buy, 2 sell), O (1 open, 2 close, 3 neither), M (self trade: 2
// no), t (ms). limit at most 100.
func (s *server) contractDeals(w http.ResponseWriter, r *http.Request) {
	p, ok := s.contractPair(w, r.PathValue("symbol"))
	if !ok {
		return
	}
	if s.env.Tape == nil {
		contractError(w, 9999, "Public abnormal")
		return
	}
	limit, has, ok := kit.NumParams(r.URL.Query(), 0, func(string, string) { contractError(w, 600, "Parameter error") })("limit")
	if !ok {
		return
	}
	if !has {
		limit = 100
	}
	limit = min(max(limit, 1), 100)
	ts, err := s.env.Tape.Trades(r.Context(), cc.TradeQuery{Symbol: p.Symbol, Limit: int(limit), Newest: true, Now: s.now()*1000 + 999})
	if err != nil {
		s.failed(w, true, err)
		return
	}
	size := kit.ContractSize(p.Price)
	b := append(make([]byte, 0, 64+len(ts)*80), `{"success":true,"code":0,"data":[`...)
	for i := len(ts) - 1; i >= 0; i-- {
		t := ts[i]
		if i < len(ts)-1 {
			b = append(b, ',')
		}
		b = appendDeal(b, t, size)
	}
	kit.Raw(w, http.StatusOK, append(b, "]}"...))
}

// appendDeal writes one contract deal {"p","v","T","O","M","t"}.
func appendDeal(b []byte, t cc.Trade, size cc.Decimal) []byte {
	b = append(b, `{"p":`...)
	b = t.Price.AppendTrim(b, int(t.Price.Scale))
	b = append(b, `,"v":`...)
	b = strconv.AppendInt(b, max(1, kit.Contracts(t.Size, size)), 10)
	side := "1"
	if t.BuyerMaker {
		side = "2"
	}
	b = append(b, `,"T":`...)
	b = append(b, side...)
	b = append(b, `,"O":3,"M":2,"t":`...)
	b = strconv.AppendInt(b, t.Millis(), 10)
	b = append(b, '}')
	return b
}

// contractPerp answers a contract route from the symbol's state at now.
func (s *server) contractPerp(w http.ResponseWriter, r *http.Request, data func(cc.Pair, cc.PerpState) any) {
	p, ok := s.contractPair(w, r.PathValue("symbol"))
	if !ok {
		return
	}
	if s.env.Derivs == nil {
		contractError(w, 9999, "Public abnormal")
		return
	}
	ps, err := s.env.Derivs.Perp(r.Context(), p.Symbol, s.now())
	if err != nil {
		s.failed(w, true, err)
		return
	}
	contractOK(w, data(p, ps))
}

func (s *server) fundingRate(w http.ResponseWriter, r *http.Request) {
	s.contractPerp(w, r, func(p cc.Pair, ps cc.PerpState) any {
		return map[string]any{
			"symbol": contractName(p), "fundingRate": dnum(ps.FundingRate),
			"maxFundingRate": num("0.003"), "minFundingRate": num("-0.003"), "collectCycle": 8,
			"nextSettleTime": ps.NextFunding, "timestamp": ps.Time,
		}
	})
}

func (s *server) indexPrice(w http.ResponseWriter, r *http.Request) {
	s.contractPerp(w, r, func(p cc.Pair, ps cc.PerpState) any {
		return map[string]any{"symbol": contractName(p), "indexPrice": dnum(ps.Index), "timestamp": ps.Time}
	})
}

func (s *server) fairPrice(w http.ResponseWriter, r *http.Request) {
	s.contractPerp(w, r, func(p cc.Pair, ps cc.PerpState) any {
		return map[string]any{"symbol": contractName(p), "fairPrice": dnum(ps.Mark), "timestamp": ps.Time}
	})
}

// fundingHistory pages the settlements since the listing newest first:
// page_num (from 1) and page_size (default 20, at most 1000).
func (s *server) fundingHistory(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, ok := s.contractPair(w, q.Get("symbol"))
	if !ok {
		return
	}
	if s.env.Derivs == nil {
		contractError(w, 9999, "Public abnormal")
		return
	}
	num := kit.NumParams(q, 0, func(string, string) { contractError(w, 600, "Parameter error") })
	page, hasPage, ok := num("page_num")
	if !ok {
		return
	}
	size, hasSize, ok := num("page_size")
	if !ok {
		return
	}
	if !hasPage || page < 1 {
		page = 1
	}
	if !hasSize || size < 1 {
		size = 20
	}
	size = min(size, 1000)
	now := s.now()
	first := (contractListed/fundingPeriod + 1) * fundingPeriod
	newest := now / fundingPeriod * fundingPeriod
	total := int64(0)
	if newest >= first {
		total = (newest-first)/fundingPeriod + 1
	}
	// Page k holds the settlements newest−(k−1)·size … newest−k·size+1.
	hi := newest - (page-1)*size*fundingPeriod
	lo := max(first, hi-(size-1)*fundingPeriod)
	var list []any
	if hi >= first {
		fs, err := s.env.Derivs.FundingHistory(r.Context(), p.Symbol, lo, hi+1, now)
		if err != nil {
			s.failed(w, true, err)
			return
		}
		for i := len(fs) - 1; i >= 0; i-- {
			list = append(list, map[string]any{"symbol": contractName(p), "fundingRate": dnum(fs[i].Rate), "settleTime": fs[i].Time})
		}
	}
	if list == nil {
		list = []any{}
	}
	contractOK(w, map[string]any{
		"pageSize": size, "totalCount": total, "totalPage": (total + size - 1) / size,
		"currentPage": page, "resultList": list,
	})
}

// priceKlines serves the fair (mark) and index price candles as the
// contract klines do.
func (s *server) priceKlines(kind cc.PriceKind) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.env.Derivs == nil {
			contractError(w, 9999, "Public abnormal")
			return
		}
		s.klinesOf(w, r, s.env.Derivs.Prices(kind))
	}
}
