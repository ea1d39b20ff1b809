package gateio

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// day is the 24-hour tickers' window, ms.
const day = 86_400_000

// unavailable answers a route whose source (tape, quoter, derivatives) the
// mode lacks.
func unavailable(w http.ResponseWriter, what string) {
	apiError(w, http.StatusServiceUnavailable, "SERVER_ERROR", what+" not available in this mode")
}

// tick is what a ticker shows: the rolling 24h figures, the changes since
// the UTC and UTC+8 midnights, and the touch.
type tick struct {
	day, utc0, utc8 cc.Stats
	touch           cc.Touch
}

func (s *server) tick(ctx context.Context, sym string, now int64) (tick, error) {
	var t tick
	var err error
	if t.day, err = cc.RollingStats(ctx, s.env.Market, s.env.Tape, sym, day, now); err != nil {
		return t, err
	}
	if t.utc0, err = cc.DayStats(ctx, s.env.Market, nil, sym, now); err != nil {
		return t, err
	}
	const h8 = 8 * 3_600_000
	if t.utc8, err = cc.WindowStats(ctx, s.env.Market, nil, sym, cc.Interval1d.Truncate(now+h8)-h8, now); err != nil {
		return t, err
	}
	// The touch right after the last trade (Through): one at now could be
	// up to a second newer than the close and miss it.
	t.touch, err = kit.Touch(ctx, s.env, sym, t.day.Last, t.day.Through*1000)
	return t, err
}

// pct is Gate's change percentage: two decimals, trailing zeros kept off.
func pct(st cc.Stats) string { return kit.Trim(st.ChangePercent(2)) }

// tradeSel is a parsed trades query.
type tradeSel struct {
	q      cc.TradeQuery
	offset int // trades to skip from the newest end (page, offset)
}

// parseTrades reads Gate's trades parameters: limit (1..1000, default
// 100), last_id with reverse (which makes Gate ignore from/to), from/to in
// seconds, and page (spot) or offset (futures). Gate lists trades newest first; a query with from
// and no last_id selects the first trades at or after from (so a client
// pages forward by time), any other the newest that match.
func (s *server) parseTrades(w http.ResponseWriter, r *http.Request, sym string, futures bool) (tradeSel, bool) {
	q := r.URL.Query()
	num := kit.NumParams(q, 0, func(name, v string) {
		apiError(w, http.StatusBadRequest, "INVALID_PARAM_VALUE", "Invalid "+name+": "+v)
	})
	sel := tradeSel{q: cc.TradeQuery{Symbol: sym, Limit: 100, Newest: true, Now: s.now()*1000 + 999}}
	limit, hasLimit, ok := num("limit")
	if !ok {
		return sel, false
	}
	if hasLimit {
		if limit < 1 || limit > 1000 {
			apiError(w, http.StatusBadRequest, "INVALID_PARAM_VALUE", "limit must be between 1 and 1000")
			return sel, false
		}
		sel.q.Limit = int(limit)
	}
	from, hasFrom, ok := num("from")
	if !ok {
		return sel, false
	}
	to, hasTo, ok := num("to")
	if !ok {
		return sel, false
	}
	lastID, hasLast, ok := num("last_id")
	if !ok {
		return sel, false
	}
	if hasFrom && hasTo && to < from {
		apiError(w, http.StatusBadRequest, "INVALID_PARAM_VALUE", "from must be earlier than to")
		return sel, false
	}
	// With last_id, Gate ignores the time range.
	if hasFrom && !hasLast {
		sel.q.Start = max(1, from*1_000_000)
	}
	if hasTo && !hasLast {
		sel.q.End = (to + 1) * 1_000_000
	}
	if hasLast {
		if q.Get("reverse") == "true" {
			sel.q.ToID = max(1, lastID)
		} else {
			sel.q.FromID = lastID + 1
			sel.q.Newest = false
		}
	} else if hasFrom {
		sel.q.Newest = false
	}
	pageName := "page"
	if futures {
		pageName = "offset"
	}
	page, hasPage, ok := num(pageName)
	if !ok {
		return sel, false
	}
	if hasPage && sel.q.Newest {
		skip := page
		if !futures {
			skip = (max(page, 1) - 1) * int64(sel.q.Limit)
		}
		if skip > 100_000 {
			apiError(w, http.StatusBadRequest, "INVALID_PARAM_VALUE", "Invalid "+pageName+": too far back")
			return sel, false
		}
		sel.offset = int(skip)
	}
	return sel, true
}

// trades runs sel against the tape, newest first.
func (s *server) trades(ctx context.Context, sel tradeSel) ([]cc.Trade, error) {
	q := sel.q
	q.Limit += sel.offset
	ts, err := s.env.Tape.Trades(ctx, q)
	if err != nil {
		return nil, err
	}
	if sel.offset > 0 {
		ts = ts[:max(0, len(ts)-sel.offset)]
	}
	out := make([]cc.Trade, len(ts))
	for i, t := range ts {
		out[len(ts)-1-i] = t
	}
	return out, nil
}

// appendMicros writes t (Unix µs) as seconds or milliseconds with the
// rest as decimals: 1548000000.123 (places 3 of seconds) or
// 1548000000123.456.
func appendMicros(b []byte, t int64, ms bool) []byte {
	if ms {
		return append(b, cc.NewDecimal(t, 3).Fixed(3)...)
	}
	return append(b, cc.NewDecimal(t/1000, 3).Fixed(3)...)
}

func side(t cc.Trade) string {
	if t.BuyerMaker {
		return "sell"
	}
	return "buy"
}

func (s *server) spotTrades(w http.ResponseWriter, r *http.Request) {
	pair := r.URL.Query().Get("currency_pair")
	if pair == "" {
		apiError(w, http.StatusBadRequest, "MISSING_REQUIRED_PARAM", "Missing required parameter: currency_pair")
		return
	}
	if _, ok := s.env.PairBySymbol(pair); !ok {
		apiError(w, http.StatusBadRequest, "INVALID_CURRENCY_PAIR", "Invalid currency pair "+pair)
		return
	}
	if s.env.Tape == nil {
		unavailable(w, "trades")
		return
	}
	sel, ok := s.parseTrades(w, r, pair, false)
	if !ok {
		return
	}
	ts, err := s.trades(r.Context(), sel)
	if err != nil {
		s.internal(w, err)
		return
	}
	b := make([]byte, 0, 16+len(ts)*200)
	b = append(b, '[')
	for i, t := range ts {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendSpotTrade(b, pair, t)
	}
	kit.Raw(w, http.StatusOK, append(b, ']'))
}

// appendSpotTrade writes a public spot trade as Gate lists it.
func appendSpotTrade(b []byte, pair string, t cc.Trade) []byte {
	b = append(b, `{"id":"`...)
	b = strconv.AppendInt(b, t.ID, 10)
	b = append(b, `","create_time":"`...)
	b = strconv.AppendInt(b, t.Millis()/1000, 10)
	b = append(b, `","create_time_ms":"`...)
	b = appendMicros(b, t.Time, true)
	b = append(b, `","currency_pair":"`...)
	b = append(b, pair...)
	b = append(b, `","side":"`...)
	b = append(b, side(t)...)
	b = append(b, `","amount":"`...)
	b = t.Size.AppendTrim(b, int(t.Size.Scale))
	b = append(b, `","price":"`...)
	b = t.Price.AppendTrim(b, int(t.Price.Scale))
	b = append(b, `","sequence_id":"`...)
	b = strconv.AppendInt(b, t.ID, 10)
	return append(b, `"}`...)
}

// signedContracts is a futures trade's size: whole contracts (at least
// one), negative when the taker sold.
func signedContracts(t cc.Trade, mult cc.Decimal) int64 {
	n := max(1, contracts(t.Size, mult))
	if t.BuyerMaker {
		return -n
	}
	return n
}

// appendFuturesTrade writes a futures trade as Gate lists it.
func appendFuturesTrade(b []byte, contract string, t cc.Trade, mult cc.Decimal) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, t.ID, 10)
	b = append(b, `,"create_time":`...)
	b = appendMicros(b, t.Time, false)
	b = append(b, `,"create_time_ms":`...)
	b = appendMicros(b, t.Time, true)
	b = append(b, `,"contract":"`...)
	b = append(b, contract...)
	b = append(b, `","size":`...)
	b = strconv.AppendInt(b, signedContracts(t, mult), 10)
	b = append(b, `,"price":"`...)
	b = t.Price.AppendTrim(b, int(t.Price.Scale))
	return append(b, `","is_internal":false}`...)
}

// futuresContract reads and checks a futures route's settle and contract
// (query parameter or path value).
func (s *server) futuresContract(w http.ResponseWriter, r *http.Request, contract string) (string, bool) {
	settle := r.PathValue("settle")
	if settle != "usdt" && settle != "btc" {
		apiError(w, http.StatusBadRequest, "INVALID_PARAM_VALUE", "Invalid settle currency: "+settle)
		return "", false
	}
	if contract == "" {
		apiError(w, http.StatusBadRequest, "MISSING_REQUIRED_PARAM", "Missing required parameter: contract")
		return "", false
	}
	if _, ok := s.contractPair(settle, contract); !ok {
		apiError(w, http.StatusBadRequest, "CONTRACT_NOT_FOUND", "Contract not found: "+strings.ToUpper(contract))
		return "", false
	}
	return contract, true
}

func (s *server) futuresTrades(w http.ResponseWriter, r *http.Request) {
	contract, ok := s.futuresContract(w, r, r.URL.Query().Get("contract"))
	if !ok {
		return
	}
	if s.env.Tape == nil {
		unavailable(w, "trades")
		return
	}
	sel, ok := s.parseTrades(w, r, contract, true)
	if !ok {
		return
	}
	ts, err := s.trades(r.Context(), sel)
	if err != nil {
		s.internal(w, err)
		return
	}
	p, _ := s.env.PairBySymbol(contract)
	mult := multiplier(p.Price)
	b := make([]byte, 0, 16+len(ts)*160)
	b = append(b, '[')
	for i, t := range ts {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendFuturesTrade(b, contract, t, mult)
	}
	kit.Raw(w, http.StatusOK, append(b, ']'))
}

// fundingRate lists the contract's settlements newest first, {"t","r"}.
func (s *server) fundingRate(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	contract, ok := s.futuresContract(w, r, q.Get("contract"))
	if !ok {
		return
	}
	if s.env.Derivs == nil {
		unavailable(w, "funding")
		return
	}
	num := kit.NumParams(q, 0, func(name, v string) {
		apiError(w, http.StatusBadRequest, "INVALID_PARAM_VALUE", "Invalid "+name+": "+v)
	})
	limit, hasLimit, ok := num("limit")
	if !ok {
		return
	}
	if !hasLimit {
		limit = 100
	} else if limit < 1 || limit > 1000 {
		apiError(w, http.StatusBadRequest, "INVALID_PARAM_VALUE", "limit must be between 1 and 1000")
		return
	}
	from, hasFrom, ok := num("from")
	if !ok {
		return
	}
	to, hasTo, ok := num("to")
	if !ok {
		return
	}
	now := s.now()
	end := now + 1
	if hasTo {
		end = min(end, to*1000+1)
	}
	const period = 8 * 3_600_000
	start := end - (limit+1)*period
	if hasFrom {
		start = from * 1000
	}
	fs, err := s.env.Derivs.FundingHistory(r.Context(), contract, start, end, now)
	if err != nil {
		s.internal(w, err)
		return
	}
	if hasFrom && len(fs) > int(limit) {
		fs = fs[:limit] // from given: the first limit after it
	}
	if len(fs) > int(limit) {
		fs = fs[len(fs)-int(limit):]
	}
	b := []byte{'['}
	for i := len(fs) - 1; i >= 0; i-- {
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(b, `{"t":`...)
		b = strconv.AppendInt(b, fs[i].Time/1000, 10)
		b = append(b, `,"r":"`...)
		b = fs[i].Rate.AppendTrim(b, int(fs[i].Rate.Scale))
		b = append(b, `"}`...)
	}
	kit.Raw(w, http.StatusOK, append(b, ']'))
}

// perp is a contract's mark, index, funding and open interest at now;
// without derivatives, the last price for both and no funding.
func (s *server) perp(ctx context.Context, sym string, last cc.Decimal, now int64) (cc.PerpState, error) {
	if s.env.Derivs != nil {
		return s.env.Derivs.Perp(ctx, sym, now)
	}
	const period = 8 * 3_600_000
	return cc.PerpState{Time: now, Mark: last, Index: last, NextFunding: (now/period + 1) * period}, nil
}
