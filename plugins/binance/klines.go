package binance

import (
	"net/http"
	"strconv"

	cc "github.com/candlecassette/candlecassette"
)

// klineKind tells the kline endpoints apart: trade klines (klines,
// uiKlines, continuousKlines) and the price-only ones (mark, index,
// premium index), whose volume columns are "0".
type klineKind int

const (
	tradeKlines klineKind = iota
	markKlines
	indexKlines
	premiumKlines
)

// klineQuery validates a kline request in Binance's order: symbol, interval,
// numbers, limit, timeZone, then the symbol's existence.
func (s *server) klineQuery(q params, symParam string) (sym string, sp span, err *apiError) {
	if sym, err = q.symbol(symParam); err != nil {
		return
	}
	ivs := q.get("interval")
	if ivs == "" {
		return "", sp, errMandatory("interval")
	}
	iv, ok := s.p.validInterval(ivs)
	if !ok {
		return "", sp, errInvalidInterval()
	}
	sp.iv = iv
	sp.listed = s.p.listed()
	if sp.start, sp.hasStart, err = q.optInt("startTime"); err != nil {
		return
	}
	if sp.end, sp.hasEnd, err = q.optInt("endTime"); err != nil {
		return
	}
	// Spot takes microsecond timestamps too: startTime selects opens at or
	// after it, endTime at or before it.
	if s.p.kind == Spot && sp.hasStart && sp.start >= 1e14 {
		sp.start = (sp.start + 999) / 1000
	}
	if s.p.kind == Spot && sp.hasEnd && sp.end >= 1e14 {
		sp.end /= 1000
	}
	limit, hasLimit, err := q.optInt("limit")
	if err != nil {
		return
	}
	max := int64(s.p.maxLimit()) // not Defaults(): it builds slices, and this runs per request
	switch {
	case !hasLimit:
		sp.limit = 500
	case limit < 1 || (limit > max && s.p.kind == Perpetual):
		return "", sp, errInvalidParam("limit")
	default:
		sp.limit = int(min(limit, max)) // spot clamps to 1000
	}
	if s.p.kind == Spot && q.has("timeZone") {
		tz, ok := parseTimeZone(q.get("timeZone"))
		if !ok {
			return "", sp, errInvalidParam("timeZone")
		}
		sp.tz = tz
	}
	if sp.hasStart && sp.hasEnd && sp.start > sp.end && s.p.kind == Perpetual {
		return "", sp, errStartAfterEnd()
	}
	if _, ok := s.spec(sym); !ok {
		return "", sp, errInvalidSymbol()
	}
	return sym, sp, nil
}

// handleKlines serves /api/v3/klines, /api/v3/uiKlines, /fapi/v1/klines
// and the futures price klines.
func (s *server) handleKlines(kind klineKind, symParam string) handler {
	return func(w http.ResponseWriter, r *http.Request, q params) {
		sym, sp, aerr := s.klineQuery(q, symParam)
		if aerr != nil {
			writeError(w, aerr)
			return
		}
		if r.URL.Path == "/fapi/v1/continuousKlines" {
			switch ct := q.get("contractType"); {
			case ct == "":
				writeError(w, errMandatory("contractType"))
				return
			case ct != "PERPETUAL":
				writeError(w, errInvalidParam("contractType"))
				return
			}
		}
		unit := timeUnitOf(r)
		key := klineKey{path: r.URL.Path, sym: sym, sp: sp, unit: unit}
		if b, ok := s.klines.get(key); ok {
			writeCached(w, b)
			return
		}
		var cs []cc.Candle
		now := s.env.Clock.NowMillis()
		if !(sp.hasStart && sp.hasEnd && sp.start > sp.end) {
			var err error
			cs, err = candles(r.Context(), s.klineMarket(kind), sym, sp, now)
			if err != nil {
				writeError(w, err)
				return
			}
		}
		b := s.appendRows(make([]byte, 0, 64+len(cs)*170), kind, cs, unit)
		if settled(sp, cs, now) {
			s.klines.put(key, b)
		}
		writeBody(w, http.StatusOK, b)
	}
}

// appendRows encodes candles as Binance's 12-field rows. Spot quotes every
// number with 8 decimals (more if a value has more: a recorded candle is
// never rounded); futures quote each value at its own precision, which for
// recorded candles is the symbol's and for synthetic ones the market's.
func (s *server) appendRows(b []byte, kind klineKind, cs []cc.Candle, unit timeUnit) []byte {
	price, qty, quote := 8, 8, 8
	if s.p.kind == Perpetual {
		price, qty, quote = 0, 0, 0 // each value at its own precision
	}
	if kind != tradeKlines {
		price = 8
	}
	b = append(b, '[')
	for i, c := range cs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = appendInt(b, unit.at(c.OpenTime))
		for _, d := range [...]cc.Decimal{c.Open, c.High, c.Low, c.Close} {
			if kind == premiumKlines && s.env.Derivs == nil {
				// The mark price follows the index: the premium is nil.
				d = cc.Decimal{}
			}
			b = appendStr(b, d, price)
		}
		if kind == tradeKlines {
			b = appendStr(b, c.Volume, qty)
		} else {
			b = append(b, `,"0"`...)
		}
		b = append(b, ',')
		b = appendInt(b, unit.close(c.CloseTime))
		if kind == tradeKlines {
			b = appendStr(b, c.QuoteVolume, quote)
			b = append(b, ',')
			b = appendInt(b, c.Trades)
			b = appendStr(b, c.TakerBuyBase, qty)
			b = appendStr(b, c.TakerBuyQuote, quote)
		} else {
			b = append(b, `,"0",`...)
			b = strconv.AppendInt(b, priceTicks(c), 10)
			b = append(b, `,"0","0"`...)
		}
		b = append(b, `,"0"]`...)
	}
	return append(b, ']')
}

// klineMarket is the market a kline kind reads: the traded candles, or
// env.Derivs' mark, index and premium series (without it, the traded
// candles stand in for the mark and index).
func (s *server) klineMarket(kind klineKind) cc.Market {
	if s.env.Derivs == nil {
		return s.env.Market
	}
	switch kind {
	case markKlines:
		return s.env.Derivs.Prices(cc.MarkPrice)
	case indexKlines:
		return s.env.Derivs.Prices(cc.IndexPrice)
	case premiumKlines:
		return s.env.Derivs.Prices(cc.PremiumIndex)
	}
	return s.env.Market
}

// priceTicks is the number of price samples in a mark/index price candle:
// one a second.
func priceTicks(c cc.Candle) int64 { return (c.CloseTime - c.OpenTime + 1) / 1000 }

// appendInt appends v in decimal. Decimal.Append's fast path is a little
// quicker than strconv.AppendInt for the 13-digit millisecond times.
func appendInt(b []byte, v int64) []byte { return cc.Decimal{Units: v}.Append(b, 0) }

// appendStr appends ,"<d>" with at least places decimals.
func appendStr(b []byte, d cc.Decimal, places int) []byte {
	b = append(b, ',', '"')
	b = d.Append(b, max(places, int(d.Scale)))
	return append(b, '"')
}

// parseTimeZone reads Binance's timeZone: hours ("8", "-1") or hours and
// minutes ("05:45", "+08:00"), within [-12:00, +14:00]. It returns the
// offset in ms.
func parseTimeZone(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	sign := int64(1)
	switch s[0] {
	case '-':
		sign, s = -1, s[1:]
	case '+':
		s = s[1:]
	}
	hs, ms := s, "0"
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			hs, ms = s[:i], s[i+1:]
			if len(ms) != 2 {
				return 0, false
			}
			break
		}
	}
	if len(hs) == 0 || len(hs) > 2 {
		return 0, false
	}
	h, err1 := strconv.ParseUint(hs, 10, 8)
	m, err2 := strconv.ParseUint(ms, 10, 8)
	if err1 != nil || err2 != nil || m >= 60 {
		return 0, false
	}
	off := sign * int64(h*60+m)
	if off < -12*60 || off > 14*60 {
		return 0, false
	}
	return off * 60_000, true
}
