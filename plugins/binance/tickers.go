package binance

import (
	"context"
	"net/http"

	cc "github.com/candlecassette/candlecassette"
)

// stats are a symbol's rolling 24-hour figures, from its 1m candles.
type stats struct {
	open, high, low, last cc.Decimal
	vol, qvol, lastQty    cc.Decimal
	trades                int64
	firstID, lastID       int64
	openTime, closeTime   int64
}

func (s *server) stats24h(ctx context.Context, sym string, now int64) (stats, error) {
	iv := cc.Interval1m
	from := now - 86_400_000
	cs, err := s.env.Market.Candles(ctx, sym, iv, iv.Truncate(from), iv.Next(iv.Truncate(now)), now)
	if err != nil {
		return stats{}, err
	}
	if len(cs) == 0 {
		return stats{}, cc.ErrUnknownSymbol
	}
	a := cc.Aggregate(cs)
	lastC := cs[len(cs)-1]
	st := stats{
		open: a.Open, high: a.High, low: a.Low, last: a.Close,
		vol: a.Volume, qvol: a.QuoteVolume, trades: a.Trades,
		openTime: from, closeTime: now,
		firstID: firstTradeID(cs[0]), lastID: lastTradeID(lastC),
		lastQty: lastC.Volume,
	}
	if lastC.Trades > 0 {
		st.lastQty = cc.DecimalFromFloat(lastC.Volume.Float64()/float64(lastC.Trades), int(lastC.Volume.Scale))
	}
	return st, nil
}

// firstTradeID and lastTradeID number a candle's trades from its open time
// in milliseconds, so ids grow with time and candles never share one.
// A candle without trades has -1 for both, as on Binance.
func firstTradeID(c cc.Candle) int64 {
	if c.Trades == 0 {
		return -1
	}
	return c.OpenTime
}

func lastTradeID(c cc.Candle) int64 {
	if c.Trades == 0 {
		return -1
	}
	return c.OpenTime + c.Trades - 1
}

func neg(d cc.Decimal) cc.Decimal { return cc.Decimal{Units: -d.Units, Scale: d.Scale} }

// num formats d with at least places decimals.
func num(d cc.Decimal, places int) string { return d.Fixed(max(places, int(d.Scale))) }

func (st stats) change() cc.Decimal { return st.last.Add(neg(st.open)) }

func (st stats) changePercent() string {
	if st.open.IsZero() {
		return "0.000"
	}
	return cc.DecimalFromFloat(st.change().Float64()/st.open.Float64()*100, 3).Fixed(3)
}

func (st stats) weightedAvg(places int) string {
	if st.vol.IsZero() {
		return num(st.last, places)
	}
	return cc.DecimalFromFloat(st.qvol.Float64()/st.vol.Float64(), places).Fixed(places)
}

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

// ticker24h lists the fields in Binance's order: spot FULL, spot MINI or
// futures.
func (s *server) ticker24h(sp symbolSpec, st stats, mini bool) object {
	pp, qp := s.pricePlaces(sp), s.qtyPlaces(sp)
	tail := object{
		{"openTime", st.openTime}, {"closeTime", st.closeTime},
		{"firstId", st.firstID}, {"lastId", st.lastID}, {"count", st.trades},
	}
	ohlcv := object{
		{"openPrice", num(st.open, pp)}, {"highPrice", num(st.high, pp)}, {"lowPrice", num(st.low, pp)},
	}
	vols := object{{"volume", num(st.vol, qp)}, {"quoteVolume", num(st.qvol, pp)}}
	o := object{{"symbol", sp.symbol}}
	if mini {
		o = append(o, ohlcv...)
		o = append(o, field{"lastPrice", num(st.last, pp)})
		o = append(o, vols...)
		return append(o, tail...)
	}
	o = append(o, object{
		{"priceChange", num(st.change(), pp)}, {"priceChangePercent", st.changePercent()},
		{"weightedAvgPrice", st.weightedAvg(max(pp, sp.priceDec))},
	}...)
	if s.p.kind == Spot {
		o = append(o, field{"prevClosePrice", num(st.open, pp)})
	}
	o = append(o, field{"lastPrice", num(st.last, pp)}, field{"lastQty", num(st.lastQty, qp)})
	if s.p.kind == Spot {
		tick := cc.NewDecimal(1, sp.priceDec)
		o = append(o, object{
			{"bidPrice", num(st.last, pp)}, {"bidQty", num(st.lastQty, qp)},
			{"askPrice", num(st.last.Add(tick), pp)}, {"askQty", num(st.lastQty, qp)},
		}...)
	}
	o = append(o, ohlcv...)
	o = append(o, vols...)
	return append(o, tail...)
}

// eachSymbol answers one object for symbol=, an array otherwise.
func (s *server) eachSymbol(w http.ResponseWriter, r *http.Request, q params, one func(symbolSpec, stats) any) {
	specs, single, aerr := s.selectSymbols(q)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	now := s.env.Clock.NowMillis()
	out := make([]any, 0, len(specs))
	for _, sp := range specs {
		st, err := s.stats24h(r.Context(), sp.symbol, now)
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

func (s *server) handleTicker24h(w http.ResponseWriter, r *http.Request, q params) {
	mini := false
	if q.has("type") {
		switch q.get("type") {
		case "FULL":
		case "MINI":
			mini = true
		default:
			writeError(w, badRequest(-1139, "Invalid ticker type."))
			return
		}
	}
	s.eachSymbol(w, r, q, func(sp symbolSpec, st stats) any { return s.ticker24h(sp, st, mini) })
}

func (s *server) handleTickerPrice(w http.ResponseWriter, r *http.Request, q params) {
	s.eachSymbol(w, r, q, func(sp symbolSpec, st stats) any {
		o := object{{"symbol", sp.symbol}, {"price", num(st.last, s.pricePlaces(sp))}}
		if s.p.kind == Perpetual {
			o = append(o, field{"time", st.closeTime})
		}
		return o
	})
}

// handleAvgPrice serves /api/v3/avgPrice: the volume-weighted price of the
// last 5 minutes.
func (s *server) handleAvgPrice(w http.ResponseWriter, r *http.Request, q params) {
	sym, aerr := q.symbol("symbol")
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if _, ok := s.spec(sym); !ok {
		writeError(w, errInvalidSymbol())
		return
	}
	now := s.env.Clock.NowMillis()
	iv := cc.Interval1m
	cs, err := s.env.Market.Candles(r.Context(), sym, iv, iv.Truncate(now)-4*iv.Millis(), iv.Next(iv.Truncate(now)), now)
	if err != nil || len(cs) == 0 {
		writeError(w, err)
		return
	}
	a := cc.Aggregate(cs)
	st := stats{last: a.Close, vol: a.Volume, qvol: a.QuoteVolume}
	writeJSON(w, http.StatusOK, object{{"mins", 5}, {"price", st.weightedAvg(8)}, {"closeTime", now}})
}

// handlePremiumIndex serves /fapi/v1/premiumIndex: the mark price follows
// the last price, funding is a flat 0.01% every 8 hours.
func (s *server) handlePremiumIndex(w http.ResponseWriter, r *http.Request, q params) {
	s.eachSymbol(w, r, q, func(sp symbolSpec, st stats) any {
		const eight = 8 * 3_600_000
		return object{
			{"symbol", sp.symbol}, {"markPrice", num(st.last, 8)}, {"indexPrice", num(st.last, 8)},
			{"estimatedSettlePrice", num(st.last, 8)}, {"lastFundingRate", "0.00010000"},
			{"interestRate", "0.00010000"}, {"nextFundingTime", (st.closeTime/eight + 1) * eight},
			{"time", st.closeTime},
		}
	})
}
