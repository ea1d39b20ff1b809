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
	spec, ok := s.spec(st.symbol)
	if !ok {
		return b
	}
	full := st.ticker != "miniTicker"
	stt, err := s.stats24h(context.Background(), spec, u.EventTime, full && s.p.kind == Spot)
	if err != nil {
		return b
	}
	return s.appendTickerEvent(b, spec, stt, full, u.EventTime, st.unit)
}

func (s *server) appendTickerEvent(b []byte, spec symbolSpec, stt stats, full bool, event int64, unit timeUnit) []byte {
	pp, qp := s.pricePlaces(spec), s.qtyPlaces(spec)
	if !full {
		b = append(b, `{"e":"24hrMiniTicker","E":`...)
	} else {
		b = append(b, `{"e":"24hrTicker","E":`...)
	}
	b = strconv.AppendInt(b, unit.at(event), 10)
	b = append(b, `,"s":"`...)
	b = append(b, spec.symbol...)
	b = append(b, '"')
	if !full {
		b = appendField(b, "c", stt.Last, pp)
		b = appendField(b, "o", stt.Open, pp)
		b = appendField(b, "h", stt.High, pp)
		b = appendField(b, "l", stt.Low, pp)
		b = appendField(b, "v", stt.Volume, qp)
		b = appendField(b, "q", stt.QuoteVolume, pp)
		return append(b, '}')
	}
	b = appendField(b, "p", stt.Change(), pp)
	b = append(b, `,"P":"`...)
	b = append(b, stt.ChangePercent(3).Fixed(3)...)
	b = append(b, '"')
	wp := max(pp, spec.priceDec)
	b = appendField(b, "w", stt.WeightedAvg(wp), wp)
	if s.p.kind == Spot {
		b = appendField(b, "x", stt.Open, pp)
	}
	b = appendField(b, "c", stt.Last, pp)
	b = appendField(b, "Q", stt.LastQty, qp)
	if s.p.kind == Spot {
		b = appendField(b, "b", stt.touch.Bid, pp)
		b = appendField(b, "B", stt.touch.BidSize, qp)
		b = appendField(b, "a", stt.touch.Ask, pp)
		b = appendField(b, "A", stt.touch.AskSize, qp)
	}
	b = appendField(b, "o", stt.Open, pp)
	b = appendField(b, "h", stt.High, pp)
	b = appendField(b, "l", stt.Low, pp)
	b = appendField(b, "v", stt.Volume, qp)
	b = appendField(b, "q", stt.QuoteVolume, pp)
	for _, kv := range []struct {
		k string
		v int64
	}{{"O", unit.at(stt.OpenTime)}, {"C", unit.at(stt.CloseTime)}, {"F", stt.FirstID}, {"L", stt.LastID}, {"n", stt.Trades}} {
		b = append(b, ',', '"')
		b = append(b, kv.k...)
		b = append(b, '"', ':')
		b = strconv.AppendInt(b, kv.v, 10)
	}
	return append(b, '}')
}
