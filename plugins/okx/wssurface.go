package okx

import (
	"strconv"
	"strings"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// The public channels beside candles, on /ws/v5/public: trades (one push
// per taker order: the aggregate of its prints, count and the last
// tradeId), tickers, mark-price and index-tickers (when they change),
// funding-rate and open-interest (on OKX's slower cadence); and on
// /ws/v5/business the mark-price-candle<bar> and index-candle<bar>
// channels, [ts,o,h,l,c,confirm] rows. Each push is
// {"arg":{"channel","instId"},"data":[...]} as the candle channel's.

// The cadences in virtual time (OKX's documented push frequencies).
const (
	tradesEvery   = 100 * time.Millisecond
	tickersEvery  = 100 * time.Millisecond
	markEvery     = 200 * time.Millisecond
	fundingEvery  = 30 * time.Second
	interestEvery = 3 * time.Second
	tradesPage    = 5000
)

// publicChannel starts one of the channels above; handled is false for
// channels it does not know, msg OKX's 60018 text when it refuses.
func (p *wsProtocol) publicChannel(s *plugins.Session, c *conn, a wsArg, wrong string) (handled bool, msg string) {
	if handled, msg := p.bookChannel(s, c, a, wrong); handled {
		return true, msg
	}
	h := p.h
	env := h.env
	key := a.Channel + ":" + a.InstID
	sym := a.InstID
	var every time.Duration
	var encode func(cc.Update) []byte
	switch a.Channel {
	case "trades":
		if p.business || env.Tape == nil {
			return true, wrong
		}
		if _, ok := h.pairOf(sym); !ok {
			return true, wrong
		}
		if _, ok := h.lastTrade(s.Context(), sym, env.Clock.NowMillis()); !ok {
			// A socket carrying both markets has one market's tape.
			return true, wrong
		}
		exp, swap := h.contractExp(sym)
		cur := kit.TradeCursorFrom(a.InstID, h.nowMicros()+1)
		cur.WholeAggregates = true
		every = tradesEvery
		encode = func(u cc.Update) []byte {
			p.pushTrades(s, c, a, cur, u.EventTime, exp, swap)
			return nil
		}
	case "tickers":
		if p.business {
			return true, wrong
		}
		if _, ok := h.pairOf(sym); !ok {
			return true, wrong
		}
		var last string
		every = tickersEvery
		encode = func(u cc.Update) []byte {
			t, ok := h.tickerOf(s.Context(), sym, u.EventTime)
			if !ok {
				return nil
			}
			return p.changed(c, a, &last, t, "ts")
		}
	case "mark-price", "funding-rate", "open-interest":
		if p.business || env.Derivs == nil || !isSwap(sym) {
			return true, wrong
		}
		if _, ok := h.pairOf(sym); !ok {
			return true, wrong
		}
		var last string
		every = map[string]time.Duration{"mark-price": markEvery, "funding-rate": fundingEvery, "open-interest": interestEvery}[a.Channel]
		encode = func(u cc.Update) []byte {
			var m map[string]string
			var err error
			switch a.Channel {
			case "mark-price":
				var st cc.PerpState
				if st, err = h.perp(s.Context(), sym, u.EventTime); err == nil {
					m = map[string]string{"instType": "SWAP", "instId": sym, "markPx": str(st.Mark), "ts": strconv.FormatInt(u.EventTime, 10)}
				}
			case "funding-rate":
				m, err = h.fundingOf(s.Context(), sym, u.EventTime)
			default:
				m, err = h.openInterestOf(s.Context(), sym, u.EventTime)
			}
			if err != nil {
				return nil
			}
			if a.Channel == "mark-price" {
				return p.changed(c, a, &last, m, "ts")
			}
			return p.push(c, a, m)
		}
	case "index-tickers":
		if p.business || env.Derivs == nil {
			return true, wrong
		}
		var ok bool
		if sym, ok = h.indexSymbol(a.InstID); !ok {
			return true, wrong
		}
		var last string
		every = tickersEvery
		encode = func(u cc.Update) []byte {
			m, err := h.indexTickerOf(s.Context(), a.InstID, sym, u.EventTime)
			if err != nil {
				return nil
			}
			return p.changed(c, a, &last, m, "ts")
		}
	default:
		return p.priceCandleChannel(s, c, a, wrong)
	}
	if err := s.SubscribeTicks(key, sym, every, encode); err != nil {
		return true, wrong
	}
	return true, ""
}

// priceCandleChannel starts mark-price-candle<bar> or index-candle<bar>
// on the business socket.
func (p *wsProtocol) priceCandleChannel(s *plugins.Session, c *conn, a wsArg, wrong string) (bool, string) {
	var kind cc.PriceKind
	var name string
	if n, ok := strings.CutPrefix(a.Channel, "mark-price-candle"); ok {
		kind, name = cc.MarkPrice, n
	} else if n, ok := strings.CutPrefix(a.Channel, "index-candle"); ok {
		kind, name = cc.IndexPrice, n
	} else {
		return false, ""
	}
	h := p.h
	b, ok := bars[name]
	if !ok || b.historyOnly || !p.business || h.env.Derivs == nil {
		return true, wrong
	}
	sym := a.InstID
	if kind == cc.IndexPrice {
		if sym, ok = h.indexSymbol(a.InstID); !ok {
			return true, wrong
		}
	} else if _, ok := h.pairOf(sym); !ok || !isSwap(sym) {
		return true, wrong
	}
	m := h.env.Derivs.Prices(kind)
	tracker := &barTracker{bar: b, market: m, sym: sym}
	encode := func(u cc.Update) []byte {
		cand, ok, err := tracker.at(s.Context(), u.EventTime)
		if err != nil || !ok {
			return nil
		}
		c.touch()
		out := appendArg(nil, a)
		out = appendPriceRow(out, cand)
		return append(out, "]}"...)
	}
	if err := s.SubscribeTicks(a.Channel+":"+a.InstID, sym, pushEvery, encode); err != nil {
		return true, wrong
	}
	return true, ""
}

// appendArg opens a push: {"arg":{"channel":..,"instId":..},"data":[
func appendArg(b []byte, a wsArg) []byte {
	b = append(b, `{"arg":{"channel":"`...)
	b = append(b, a.Channel...)
	b = append(b, `","instId":"`...)
	b = append(b, a.InstID...)
	return append(b, `"},"data":[`...)
}

// push is one object's push.
func (p *wsProtocol) push(c *conn, a wsArg, m map[string]string) []byte {
	c.touch()
	b := appendArg(nil, a)
	b = append(b, mustJSON(m)...)
	return append(b, "]}"...)
}

// changed is m's push when it differs from the last one sent other than
// in the field ignore (the timestamp), else nil.
func (p *wsProtocol) changed(c *conn, a wsArg, last *string, m map[string]string, ignore string) []byte {
	keep := m[ignore]
	delete(m, ignore)
	body := string(mustJSON(m))
	m[ignore] = keep
	if body == *last {
		return nil
	}
	*last = body
	return p.push(c, a, m)
}

// pushTrades sends the aggregates of the tape's trades after cur up to
// upTo (ms) and moves cur past them; cur keeps aggregates whole.
func (p *wsProtocol) pushTrades(s *plugins.Session, c *conn, a wsArg, cur *kit.TradeCursor, upTo int64, exp int, swap bool) {
	_ = cur.Poll(s.Context(), p.h.env.Tape, upTo, tradesPage, func(ts []cc.Trade) bool {
		for i := 0; i < len(ts); {
			j := i
			for j < len(ts) && ts[j].AggID == ts[i].AggID {
				j++
			}
			b := appendTradesPush(a, ts[i:j], exp, swap)
			c.touch()
			if s.Send(b) != nil {
				return false
			}
			i = j
		}
		return true
	})
}

// appendTradesPush writes a trades channel push of one aggregate (its
// prints ts): the last print's tradeId, the total size, and the channel's
// own fields count and seqId after ts.
func appendTradesPush(a wsArg, ts []cc.Trade, exp int, swap bool) []byte {
	size := cc.Decimal{}
	for _, t := range ts {
		size = size.Add(t.Size)
	}
	agg := ts[len(ts)-1]
	agg.Size = size
	b := appendArg(nil, a)
	b = appendTrade(b, a.InstID, agg, exp, swap)
	b = b[:len(b)-1]
	b = append(b, `,"count":"`...)
	b = strconv.AppendInt(b, int64(len(ts)), 10)
	b = append(b, `","seqId":`...)
	b = strconv.AppendInt(b, agg.ID, 10)
	return append(b, "}]}"...)
}
