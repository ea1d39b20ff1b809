package binance

import (
	"context"
	"net/http"

	cc "github.com/candlecassette/candlecassette"
)

// day is the 24-hour tickers' window.
const day = 86_400_000

// stats are a symbol's figures over a window (cc.WindowStats, exact at
// 1s) with the book's touch right after its last trade.
type stats struct {
	cc.Stats
	touch cc.Touch
}

// windowStats computes the figures over [start, now] and, when touch is
// wanted, the best bid and ask right after their last trade (st.Through),
// which straddle lastPrice: a touch at now could be up to a second newer
// than it.
func (s *server) windowStats(ctx context.Context, sp symbolSpec, start, now int64, touch bool) (stats, error) {
	st, err := cc.WindowStats(ctx, s.env.Market, s.env.Tape, sp.symbol, start, now)
	if err != nil {
		return stats{}, err
	}
	out := stats{Stats: st}
	if touch {
		out.touch, _, err = s.touchAt(ctx, sp, st.Last, st.Through*1000)
	}
	return out, err
}

// touchAt is the best bid and ask at the instant at (Unix µs; now·1000+999
// for the book now) and its update id: the top of env.Books and its Seq,
// or env.Quotes' touch numbered by updateID; without either, the last
// price as the bid and one tick above as the ask.
func (s *server) touchAt(ctx context.Context, sp symbolSpec, last cc.Decimal, at int64) (cc.Touch, int64, error) {
	if s.env.Books != nil {
		b, err := s.env.Books.Book(ctx, sp.symbol, at, 1)
		if err != nil {
			return cc.Touch{}, 0, err
		}
		if len(b.Bids) > 0 && len(b.Asks) > 0 {
			return cc.Touch{Time: at, Bid: b.Bids[0].Price, BidSize: b.Bids[0].Size, Ask: b.Asks[0].Price, AskSize: b.Asks[0].Size}, b.Seq, nil
		}
	}
	if s.env.Quotes != nil {
		t, err := s.env.Quotes.Touch(ctx, sp.symbol, at)
		return t, updateID(t.Time), err
	}
	one := cc.NewDecimal(1, 0)
	return cc.Touch{Time: at, Bid: last, BidSize: one, Ask: last.Add(cc.NewDecimal(1, sp.priceDec)), AskSize: one}, updateID(at), nil
}

func (s *server) stats24h(ctx context.Context, sp symbolSpec, now int64, touch bool) (stats, error) {
	return s.windowStats(ctx, sp, now-day, now, touch)
}

// num formats d with at least places decimals.
func num(d cc.Decimal, places int) string { return d.Fixed(max(places, int(d.Scale))) }

// pricePlaces and qtyPlaces are how many decimals tickers pad to: spot
// always 8, futures none (each value keeps the market's precision).
func (s *server) pricePlaces(symbolSpec) int {
	if s.p.kind == Perpetual {
		return 0
	}
	return 8
}

func (s *server) qtyPlaces(symbolSpec) int {
	if s.p.kind == Perpetual {
		return 0
	}
	return 8
}

// tickerKind selects a ticker's fields: the 24hr FULL and MINI, and the
// rolling-window FULL (MINI is the 24hr one).
type tickerKind int

const (
	tickerFull tickerKind = iota
	tickerMini
	tickerRolling
)

// ticker lists the fields in Binance's order: spot FULL, MINI, rolling or
// futures.
func (s *server) ticker(sp symbolSpec, st stats, kind tickerKind, unit timeUnit) object {
	pp, qp := s.pricePlaces(sp), s.qtyPlaces(sp)
	tail := object{
		{"openTime", unit.at(st.OpenTime)}, {"closeTime", unit.at(st.CloseTime)},
		{"firstId", st.FirstID}, {"lastId", st.LastID}, {"count", st.Trades},
	}
	ohlc := object{
		{"openPrice", num(st.Open, pp)}, {"highPrice", num(st.High, pp)}, {"lowPrice", num(st.Low, pp)},
	}
	vols := object{{"volume", num(st.Volume, qp)}, {"quoteVolume", num(st.QuoteVolume, pp)}}
	o := object{{"symbol", sp.symbol}}
	if kind == tickerMini {
		o = append(o, ohlc...)
		o = append(o, field{"lastPrice", num(st.Last, pp)})
		o = append(o, vols...)
		return append(o, tail...)
	}
	o = append(o, object{
		{"priceChange", num(st.Change(), pp)}, {"priceChangePercent", st.ChangePercent(3).Fixed(3)},
		{"weightedAvgPrice", num(st.WeightedAvg(max(pp, sp.priceDec)), max(pp, sp.priceDec))},
	}...)
	if kind == tickerRolling {
		o = append(o, ohlc...)
		o = append(o, field{"lastPrice", num(st.Last, pp)})
		o = append(o, vols...)
		return append(o, tail...)
	}
	if s.p.kind == Spot {
		o = append(o, field{"prevClosePrice", num(st.Open, pp)})
	}
	o = append(o, field{"lastPrice", num(st.Last, pp)}, field{"lastQty", num(st.LastQty, qp)})
	if s.p.kind == Spot {
		o = append(o, object{
			{"bidPrice", num(st.touch.Bid, pp)}, {"bidQty", num(st.touch.BidSize, qp)},
			{"askPrice", num(st.touch.Ask, pp)}, {"askQty", num(st.touch.AskSize, qp)},
		}...)
	}
	o = append(o, ohlc...)
	o = append(o, vols...)
	return append(o, tail...)
}

// eachSymbol answers one object for symbol=, an array otherwise, each
// from the figures over the window from from(now) to now.
func (s *server) eachSymbol(w http.ResponseWriter, r *http.Request, q params, from func(now int64) int64, touch bool, one func(symbolSpec, stats) any) {
	specs, single, aerr := s.selectSymbols(q)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	now := s.env.Clock.NowMillis()
	start := from(now)
	out := make([]any, 0, len(specs))
	for _, sp := range specs {
		st, err := s.windowStats(r.Context(), sp, start, now, touch)
		if err != nil {
			writeError(w, err)
			return
		}
		out = append(out, one(sp, st))
	}
	if single {
		writeJSON(w, http.StatusOK, out[0])
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// tickerType reads type=FULL|MINI.
func tickerType(q params) (mini bool, err *apiError) {
	if !q.has("type") {
		return false, nil
	}
	switch q.get("type") {
	case "FULL":
		return false, nil
	case "MINI":
		return true, nil
	}
	return false, badRequest(-1139, "Invalid ticker type.")
}

func (s *server) handleTicker24h(w http.ResponseWriter, r *http.Request, q params) {
	mini, aerr := tickerType(q)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	kind := tickerFull
	if mini {
		kind = tickerMini
	}
	unit := timeUnitOf(r)
	s.eachSymbol(w, r, q, func(now int64) int64 { return now - day }, !mini && s.p.kind == Spot,
		func(sp symbolSpec, st stats) any { return s.ticker(sp, st, kind, unit) })
}

// handleRollingTicker serves /api/v3/ticker: a window of windowSize (1m to
// 59m, 1h to 23h, 1d to 7d; 1d by default) opening on a minute, for
// symbol= or symbols= (one is required, at most 100).
func (s *server) handleRollingTicker(w http.ResponseWriter, r *http.Request, q params) {
	span := int64(day)
	s.windowTicker(w, r, q, func() *apiError {
		if q.has("windowSize") {
			var ok bool
			if span, ok = parseWindowSize(q.get("windowSize")); !ok {
				return errInvalidParam("windowSize")
			}
		}
		return nil
	}, func(now int64) int64 { return cc.Interval1m.Truncate(now - span) })
}

// handleTradingDay serves /api/v3/ticker/tradingDay: the figures since the
// trading day began — midnight in timeZone (UTC by default) — in the
// rolling ticker's fields, for symbol= or symbols= (at most 100).
func (s *server) handleTradingDay(w http.ResponseWriter, r *http.Request, q params) {
	var tz int64
	s.windowTicker(w, r, q, func() *apiError {
		if q.has("timeZone") {
			var ok bool
			if tz, ok = parseTimeZone(q.get("timeZone")); !ok {
				return errInvalidParam("timeZone")
			}
		}
		return nil
	}, func(now int64) int64 { return grid{iv: cc.Interval1d, tz: tz}.truncate(now) })
}

// windowTicker answers the rolling-ticker shapes for symbol= or symbols=
// (one required, at most 100) over the window from(now)..now, after the
// route's own parameter check (window, whose error it sends), which
// Binance makes before the type's.
func (s *server) windowTicker(w http.ResponseWriter, r *http.Request, q params, window func() *apiError, from func(now int64) int64) {
	if !q.has("symbol") && !q.has("symbols") {
		writeError(w, badRequest(-1102, "Param 'symbol' or 'symbols' must be sent, but both were empty/null!"))
		return
	}
	if syms, ok, _ := q.symbols(); ok && len(syms) > 100 {
		writeError(w, badRequest(-1101, "Too many values sent for parameter 'symbols', maximum allowed is 100."))
		return
	}
	if aerr := window(); aerr != nil {
		writeError(w, aerr)
		return
	}
	mini, aerr := tickerType(q)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	kind := tickerRolling
	if mini {
		kind = tickerMini
	}
	unit := timeUnitOf(r)
	s.eachSymbol(w, r, q, from, false, func(sp symbolSpec, st stats) any { return s.ticker(sp, st, kind, unit) })
}

// parseWindowSize reads 1m..59m, 1h..23h or 1d..7d into ms.
func parseWindowSize(v string) (int64, bool) {
	if len(v) < 2 || len(v) > 3 {
		return 0, false
	}
	n := int64(0)
	for _, c := range v[:len(v)-1] {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if n < 1 || v[0] == '0' {
		return 0, false
	}
	switch v[len(v)-1] {
	case 'm':
		return n * 60_000, n <= 59
	case 'h':
		return n * 3_600_000, n <= 23
	case 'd':
		return n * day, n <= 7
	}
	return 0, false
}

func (s *server) handleTickerPrice(w http.ResponseWriter, r *http.Request, q params) {
	unit := timeUnitOf(r)
	s.eachPrice(w, r, q, func(sp symbolSpec, last cc.Decimal, now int64) (any, error) {
		o := object{{"symbol", sp.symbol}, {"price", num(last, s.pricePlaces(sp))}}
		if s.p.kind == Perpetual {
			o = append(o, field{"time", unit.at(now)})
		}
		return o, nil
	})
}

// eachPrice is eachSymbol for the answers that need only the last price:
// the close of the 1s candle in progress.
func (s *server) eachPrice(w http.ResponseWriter, r *http.Request, q params, one func(sp symbolSpec, last cc.Decimal, now int64) (any, error)) {
	specs, single, aerr := s.selectSymbols(q)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	now := s.env.Clock.NowMillis()
	out := make([]any, 0, len(specs))
	for _, sp := range specs {
		last, err := s.lastPrice(r.Context(), sp.symbol, now)
		if err != nil {
			writeError(w, err)
			return
		}
		o, err := one(sp, last, now)
		if err != nil {
			writeError(w, err)
			return
		}
		out = append(out, o)
	}
	if single {
		writeJSON(w, http.StatusOK, out[0])
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// lastPrice is the price at now: the close of the last second closed by
// now, which is the last trade's price (a tape holds no trades of the
// second in progress), as the tickers' lastPrice (cc.WindowStats).
func (s *server) lastPrice(ctx context.Context, sym string, now int64) (cc.Decimal, error) {
	iv := cc.Interval1s
	stop := iv.Truncate(now + 1)
	cs, err := s.env.Market.Candles(ctx, sym, iv, stop-1000, stop, now)
	if err != nil {
		return cc.Decimal{}, err
	}
	if len(cs) == 0 {
		return cc.Decimal{}, cc.ErrUnknownSymbol
	}
	return cs[len(cs)-1].Close, nil
}

// handleBookTicker serves ticker/bookTicker: the touch now, from
// env.Quotes. Spot {"symbol","bidPrice","bidQty","askPrice","askQty"};
// futures add "time" (and list "lastUpdateId" first).
func (s *server) handleBookTicker(w http.ResponseWriter, r *http.Request, q params) {
	unit := timeUnitOf(r)
	s.eachPrice(w, r, q, func(sp symbolSpec, last cc.Decimal, now int64) (any, error) {
		t, id, err := s.touchAt(r.Context(), sp, last, now*1000+999)
		return s.bookTicker(sp, t, id, now, unit), err
	})
}

func (s *server) bookTicker(sp symbolSpec, t cc.Touch, id, now int64, unit timeUnit) object {
	pp, qp := s.pricePlaces(sp), s.qtyPlaces(sp)
	o := object{}
	if s.p.kind == Perpetual {
		o = append(o, field{"lastUpdateId", id})
	}
	o = append(o, object{
		{"symbol", sp.symbol},
		{"bidPrice", num(t.Bid, pp)}, {"bidQty", num(t.BidSize, qp)},
		{"askPrice", num(t.Ask, pp)}, {"askQty", num(t.AskSize, qp)},
	}...)
	if s.p.kind == Perpetual {
		o = append(o, field{"time", unit.at(now)})
	}
	return o
}

// updateID numbers book updates without a book: one per millisecond of
// the touch's time.
func updateID(us int64) int64 { return us / 1000 }

// handleAvgPrice serves /api/v3/avgPrice: the volume-weighted price of the
// last 5 minutes, closeTime the last trade's time.
func (s *server) handleAvgPrice(w http.ResponseWriter, r *http.Request, q params) {
	sym, aerr := q.symbol("symbol")
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	sp, ok := s.spec(sym)
	if !ok {
		writeError(w, errInvalidSymbol())
		return
	}
	now := s.env.Clock.NowMillis()
	st, err := s.windowStats(r.Context(), sp, now-5*60_000+1, now, false)
	if err != nil {
		writeError(w, err)
		return
	}
	closeTime := timeUnitOf(r).at(now)
	if st.LastTradeTime > 0 {
		closeTime = timeUnitOf(r).trade(st.LastTradeTime)
	}
	writeJSON(w, http.StatusOK, object{{"mins", 5}, {"price", num(st.WeightedAvg(8), 8)}, {"closeTime", closeTime}})
}
