package binance

import (
	"context"
	"strconv"

	cc "github.com/candlecassette/candlecassette"
)

// appendTicker encodes a 24hrTicker or 24hrMiniTicker event for the
// rolling 24 hours up to the update's time. Spot carries the first trade
// before the window (x) and the book top (b, B, a, A); futures do not.
func (s *server) appendTicker(b []byte, st klineStream, u cc.Update) []byte {
	spec, _ := s.spec(st.symbol)
	stt, err := s.stats24h(context.Background(), st.symbol, u.EventTime)
	if err != nil {
		return b
	}
	pp, qp := s.pricePlaces(spec), s.qtyPlaces(spec)
	if st.ticker == "miniTicker" {
		b = append(b, `{"e":"24hrMiniTicker","E":`...)
	} else {
		b = append(b, `{"e":"24hrTicker","E":`...)
	}
	b = strconv.AppendInt(b, u.EventTime, 10)
	b = append(b, `,"s":"`...)
	b = append(b, st.symbol...)
	b = append(b, '"')
	if st.ticker == "miniTicker" {
		b = appendField(b, "c", stt.last, pp)
		b = appendField(b, "o", stt.open, pp)
		b = appendField(b, "h", stt.high, pp)
		b = appendField(b, "l", stt.low, pp)
		b = appendField(b, "v", stt.vol, qp)
		b = appendField(b, "q", stt.qvol, pp)
		return append(b, '}')
	}
	b = appendField(b, "p", stt.change(), pp)
	b = append(b, `,"P":"`...)
	b = append(b, stt.changePercent()...)
	b = append(b, `","w":"`...)
	b = append(b, stt.weightedAvg(max(pp, spec.priceDec))...)
	b = append(b, '"')
	if s.p.kind == Spot {
		b = appendField(b, "x", stt.open, pp)
	}
	b = appendField(b, "c", stt.last, pp)
	b = appendField(b, "Q", stt.lastQty, qp)
	if s.p.kind == Spot {
		tick := cc.NewDecimal(1, spec.priceDec)
		b = appendField(b, "b", stt.last, pp)
		b = appendField(b, "B", stt.lastQty, qp)
		b = appendField(b, "a", stt.last.Add(tick), pp)
		b = appendField(b, "A", stt.lastQty, qp)
	}
	b = appendField(b, "o", stt.open, pp)
	b = appendField(b, "h", stt.high, pp)
	b = appendField(b, "l", stt.low, pp)
	b = appendField(b, "v", stt.vol, qp)
	b = appendField(b, "q", stt.qvol, pp)
	for _, kv := range []struct {
		k string
		v int64
	}{{"O", stt.openTime}, {"C", stt.closeTime}, {"F", stt.firstID}, {"L", stt.lastID}, {"n", stt.trades}} {
		b = append(b, ',', '"')
		b = append(b, kv.k...)
		b = append(b, '"', ':')
		b = strconv.AppendInt(b, kv.v, 10)
	}
	return append(b, '}')
}
