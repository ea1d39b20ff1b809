package binance

import (
	"strconv"
	"strings"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// The streams beside klines: <s>@trade and <s>@aggTrade push the tape's
// trades as virtual time passes (each once, in order, event time the
// trade's); <s>@bookTicker the touch when it changes; <s>@depth... the
// order book (depth.go); !miniTicker@arr,
// !ticker@arr and (USD-M) !markPrice@arr[@1s] every symbol's event in one
// array.

// tradeEvery is how often trade streams look for new trades, and
// bookEvery how often bookTicker looks at the touch.
const (
	tradeEvery = 100 * time.Millisecond
	bookEvery  = 100 * time.Millisecond
)

// surfaceStream is a parsed non-kline stream name.
type surfaceStream struct {
	symbol string // upper case; "" for the all-market arrays
	kind   string // trade, aggTrade, bookTicker, depth, miniTicker, ticker, markPrice
	levels int    // depth: 5, 10 or 20 for a partial stream, 0 for diffs
	every  time.Duration
	unit   timeUnit
}

// parseSurfaceStream reads the names above; ok is false for anything else
// (klines and unknown names).
func (s *server) parseSurfaceStream(name string) (surfaceStream, bool) {
	switch name {
	case "!miniTicker@arr":
		return surfaceStream{kind: "miniTicker", every: time.Second}, true
	case "!ticker@arr":
		return surfaceStream{kind: "ticker", every: time.Second}, true
	case "!markPrice@arr", "!markPrice@arr@1s":
		if s.p.kind != Perpetual {
			return surfaceStream{}, false
		}
		every := 3 * time.Second
		if strings.HasSuffix(name, "@1s") {
			every = time.Second
		}
		return surfaceStream{kind: "markPrice", every: every}, true
	}
	sym, kind, ok := strings.Cut(name, "@")
	if !ok || sym == "" {
		return surfaceStream{}, false
	}
	switch kind {
	case "trade", "aggTrade":
		return surfaceStream{symbol: strings.ToUpper(sym), kind: kind, every: tradeEvery}, true
	case "bookTicker":
		return surfaceStream{symbol: strings.ToUpper(sym), kind: kind, every: bookEvery}, true
	}
	return s.parseDepthStream(sym, kind)
}

// subscribeSurface starts st on the session: the Feed of a symbol's 1s
// candles is the clock (the first served symbol's for the arrays); each
// push encodes what happened since the previous one.
func (p *wsProtocol) subscribeSurface(s *plugins.Session, c *conn, name string, st surfaceStream) {
	srv := p.s
	st.unit = c.unit
	driver := st.symbol
	if driver == "" {
		if len(srv.specs) == 0 {
			return
		}
		driver = srv.specs[0].symbol
	} else if _, ok := srv.spec(driver); !ok {
		return // silent, as klines of an unknown symbol
	}
	var encode func(cc.Update) []byte
	switch st.kind {
	case "trade", "aggTrade":
		if srv.env.Tape == nil {
			return
		}
		cur := kit.TradeCursorFrom(st.symbol, srv.nowMicros()+1)
		cur.WholeAggregates = st.kind == "aggTrade"
		encode = func(u cc.Update) []byte {
			srv.pushTrades(s, c, name, st, cur, u.EventTime)
			return nil
		}
	case "depth":
		if srv.env.Books == nil {
			return
		}
		d, ok := srv.newDepthStream(s, c, name, st)
		if !ok {
			return
		}
		// On the symbol's beat, so that each push ends a step.
		_ = s.SubscribeTicksAt(name, driver, st.every, time.Duration(d.phase)*time.Millisecond, func(u cc.Update) []byte {
			d.push(u.EventTime)
			return nil
		})
		return
	case "bookTicker":
		var last cc.Touch
		encode = func(u cc.Update) []byte {
			sp, _ := srv.spec(st.symbol)
			price, err := srv.lastPrice(s.Context(), st.symbol, u.EventTime)
			if err != nil {
				return nil
			}
			t, id, err := srv.touchAt(s.Context(), sp, price, u.EventTime*1000+999)
			if err != nil || (t.Bid == last.Bid && t.Ask == last.Ask && t.BidSize == last.BidSize && t.AskSize == last.AskSize) {
				return nil
			}
			last = t
			return srv.wrap(c, name, srv.appendBookTicker(nil, sp, t, id, u.EventTime, st.unit))
		}
	default:
		encode = func(u cc.Update) []byte {
			b := []byte{'['}
			for _, sp := range srv.specs {
				n := len(b)
				if n > 1 {
					b = append(b, ',')
				}
				m := len(b)
				switch st.kind {
				case "markPrice":
					b = srv.appendMarkPrice(b, klineStream{symbol: sp.symbol}, u)
				default:
					full := st.kind == "ticker"
					stt, err := srv.stats24h(s.Context(), sp, u.EventTime, full && srv.p.kind == Spot)
					if err == nil {
						b = srv.appendTickerEvent(b, sp, stt, full, u.EventTime, st.unit)
					}
				}
				if len(b) == m {
					b = b[:n]
				}
			}
			return srv.wrap(c, name, append(b, ']'))
		}
	}
	_ = s.SubscribeTicks(name, driver, st.every, encode)
}

// wrap makes event the payload of stream name while c is combined.
func (s *server) wrap(c *conn, name string, event []byte) []byte {
	if !c.combined.Load() {
		return event
	}
	b := make([]byte, 0, len(event)+len(name)+24)
	b = append(b, `{"stream":`...)
	b = strconv.AppendQuote(b, name)
	b = append(b, `,"data":`...)
	b = append(b, event...)
	return append(b, '}')
}

// tradePage bounds one tape query of a trade stream.
const tradePage = 5000

// pushTrades sends the tape's trades after cur up to upTo (ms), one event
// each (aggregates for aggTrade, whose cursor keeps them whole), and
// moves cur past them.
func (s *server) pushTrades(ses *plugins.Session, c *conn, name string, st surfaceStream, cur *kit.TradeCursor, upTo int64) {
	// One page may hold many events: stop as soon as the stream is
	// unsubscribed, not at the page's end.
	send := func(b []byte) bool { return ses.Push(name, b) == nil }
	_ = cur.Poll(ses.Context(), s.env.Tape, upTo, tradePage, func(ts []cc.Trade) bool {
		if st.kind == "aggTrade" {
			for _, a := range aggregate(ts, nil, false) {
				if !send(s.wrap(c, name, s.appendAggEvent(nil, st.symbol, a, st.unit))) {
					return false
				}
			}
			return true
		}
		for _, t := range ts {
			if !send(s.wrap(c, name, s.appendTradeEvent(nil, st.symbol, t, st.unit))) {
				return false
			}
		}
		return true
	})
}

// appendTradeEvent encodes spot {"e":"trade","E","s","t","p","q","T","m",
// "M"} or USD-M {"e":"trade","E","T","s","t","p","q","X":"MARKET","m"}.
func (s *server) appendTradeEvent(b []byte, sym string, t cc.Trade, unit timeUnit) []byte {
	pp, qp := s.pricePlaces(symbolSpec{}), s.qtyPlaces(symbolSpec{})
	at := unit.trade(t.Time)
	b = append(b, `{"e":"trade","E":`...)
	b = strconv.AppendInt(b, at, 10)
	if s.p.kind == Perpetual {
		b = append(b, `,"T":`...)
		b = strconv.AppendInt(b, at, 10)
	}
	b = append(b, `,"s":"`...)
	b = append(b, sym...)
	b = append(b, `","t":`...)
	b = strconv.AppendInt(b, t.ID, 10)
	b = appendField(b, "p", t.Price, pp)
	b = appendField(b, "q", t.Size, qp)
	if s.p.kind == Perpetual {
		b = append(b, `,"X":"MARKET","m":`...)
		b = strconv.AppendBool(b, t.BuyerMaker)
		return append(b, '}')
	}
	b = append(b, `,"T":`...)
	b = strconv.AppendInt(b, at, 10)
	b = append(b, `,"m":`...)
	b = strconv.AppendBool(b, t.BuyerMaker)
	return append(b, `,"M":true}`...)
}

// appendAggEvent encodes {"e":"aggTrade","E","s","a","p","q","f","l","T",
// "m","M"} (USD-M without M).
func (s *server) appendAggEvent(b []byte, sym string, a agg, unit timeUnit) []byte {
	b = append(b, `{"e":"aggTrade","E":`...)
	b = strconv.AppendInt(b, unit.trade(a.time), 10)
	b = append(b, `,"s":"`...)
	b = append(b, sym...)
	b = append(b, `",`...)
	b = s.appendAggFields(b, a, unit) // the REST row's fields follow
	return append(b, '}')
}

// appendBookTicker encodes spot {"u","s","b","B","a","A"} or USD-M
// {"e":"bookTicker","u","E","T","s","b","B","a","A"}.
func (s *server) appendBookTicker(b []byte, sp symbolSpec, t cc.Touch, id, now int64, unit timeUnit) []byte {
	pp, qp := s.pricePlaces(sp), s.qtyPlaces(sp)
	if s.p.kind == Perpetual {
		b = append(b, `{"e":"bookTicker","u":`...)
		b = strconv.AppendInt(b, id, 10)
		b = append(b, `,"E":`...)
		b = strconv.AppendInt(b, now, 10)
		b = append(b, `,"T":`...)
		b = strconv.AppendInt(b, now, 10)
	} else {
		b = append(b, `{"u":`...)
		b = strconv.AppendInt(b, id, 10)
	}
	b = append(b, `,"s":"`...)
	b = append(b, sp.symbol...)
	b = append(b, '"')
	b = appendField(b, "b", t.Bid, pp)
	b = appendField(b, "B", t.BidSize, qp)
	b = appendField(b, "a", t.Ask, pp)
	b = appendField(b, "A", t.AskSize, qp)
	return append(b, '}')
}
