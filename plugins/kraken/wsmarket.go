package kraken

import (
	"strconv"
	"strings"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// WS v2 trade and ticker channels: trades from env.Tape (a snapshot of
// the last 50, then each new trade once, in order), the ticker (rolling
// 24 hours, cc.RollingStats, with the touch from env.Quotes right after
// their last trade) pushed when a trade prints or, with event_trigger
// "bbo", when that touch moves.

const (
	tradeSnapshot = 50
	tradeEvery    = 100 * time.Millisecond
	tradePage     = 1000
)

// subscribing answers an unsubscribe of key and refuses a subscribe to
// key made already: true means a subscribe goes on.
func subscribing(s *plugins.Session, req wsRequest, key, sym string, result map[string]any, timeIn string, fail func(msg, sym string)) bool {
	if req.Method == "unsubscribe" {
		if !s.Unsubscribe(key) {
			fail("Subscription Not Found", sym)
			return false
		}
		yes := true
		s.SendJSON(reply{Method: "unsubscribe", ReqID: req.ReqID, Result: result, Success: &yes, TimeIn: timeIn, TimeOut: wsNow(s)})
		return false
	}
	if s.Subscribed(key) {
		fail("Already subscribed", sym)
		return false
	}
	return true
}

// subscribeMarket handles one symbol of a trade or ticker (un)subscribe.
func (p *wsProto) subscribeMarket(s *plugins.Session, req wsRequest, sym string, pair cc.Pair, timeIn string, fail func(msg, sym string)) {
	yes := true
	ch := req.Params.Channel
	key := ch + ":" + sym
	result := map[string]any{"channel": ch, "symbol": sym}
	if !subscribing(s, req, key, sym, result, timeIn, fail) {
		return
	}
	env := s.Env()
	if env.Tape == nil {
		fail("Currency pair not supported "+sym, sym)
		return
	}
	snapshot := req.Params.Snapshot == nil || *req.Params.Snapshot
	result["snapshot"] = snapshot
	bbo := req.Params.EventTrigger == "bbo"
	if ch == "ticker" {
		trigger := "trades"
		if bbo {
			trigger = "bbo"
		}
		result["event_trigger"] = trigger
	}
	s.SendJSON(reply{Method: "subscribe", ReqID: req.ReqID, Result: result, Success: &yes, TimeIn: timeIn, TimeOut: wsNow(s)})
	h := &handler{env: env}
	var encode func(cc.Update) []byte
	every := time.Second
	if ch == "trade" {
		every = tradeEvery
		first := true
		cur := kit.TradeCursorFrom(pair.Symbol, env.Clock.Now().UnixMicro()+1)
		encode = func(u cc.Update) []byte {
			places := h.priceDecimals(s.Context(), pair)
			if first {
				first = false
				if snapshot {
					ts, err := cur.Snapshot(s.Context(), env.Tape, u.EventTime, tradeSnapshot)
					if err != nil || s.Send(encodeTrades("snapshot", sym, ts, places)) != nil {
						return nil
					}
				}
			}
			_ = cur.Poll(s.Context(), env.Tape, u.EventTime, tradePage, func(ts []cc.Trade) bool {
				return s.Push(key, encodeTrades("update", sym, ts, places)) == nil
			})
			return nil
		}
	} else {
		every = tradeEvery
		first := true
		var prevID int64
		var prevTouch cc.Touch
		encode = func(u cc.Update) []byte {
			st, err := cc.RollingStats(s.Context(), env.Market, env.Tape, pair.Symbol, 86_400_000, u.EventTime)
			if err != nil {
				return nil
			}
			// Right after the last trade (st.Through) under either
			// trigger: the push shows its price with the touch.
			t, err := kit.Touch(s.Context(), env, pair.Symbol, st.Last, st.Through*1000)
			if err != nil {
				return nil
			}
			changed := st.LastID != prevID
			if bbo {
				changed = t.Bid != prevTouch.Bid || t.Ask != prevTouch.Ask || t.BidSize != prevTouch.BidSize || t.AskSize != prevTouch.AskSize
			}
			if !first && !changed {
				return nil
			}
			kind := "update"
			if first {
				kind = "snapshot"
				first = false
				if !snapshot {
					prevID, prevTouch = st.LastID, t
					return nil
				}
			}
			prevID, prevTouch = st.LastID, t
			return encodeTicker(kind, sym, st, t, h.priceDecimals(s.Context(), pair))
		}
	}
	if err := s.SubscribeTicks(key, pair.Symbol, every, encode); err != nil {
		fail("Subscription failed", sym)
		return
	}
	p.startHeartbeat(s)
}

// encodeTrades writes a trade channel message.
func encodeTrades(kind, sym string, ts []cc.Trade, places int) []byte {
	b := append([]byte(`{"channel":"trade","type":"`), kind...)
	b = append(b, `","data":[`...)
	for i, t := range ts {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"symbol":"`...)
		b = append(b, sym...)
		b = append(b, `","side":"`...)
		if t.BuyerMaker {
			b = append(b, "sell"...)
		} else {
			b = append(b, "buy"...)
		}
		b = append(b, `","price":`...)
		b = t.Price.AppendTrim(b, places)
		b = append(b, `,"qty":`...)
		b = t.Size.AppendTrim(b, 8)
		b = append(b, `,"ord_type":"`...)
		if orderType(t) == "l" {
			b = append(b, "limit"...)
		} else {
			b = append(b, "market"...)
		}
		b = append(b, `","trade_id":`...)
		b = strconv.AppendInt(b, t.ID, 10)
		b = append(b, `,"timestamp":"`...)
		b = append(b, rfc3339(time.UnixMicro(t.Time))...)
		b = append(b, `"}`...)
	}
	return append(b, "]}"...)
}

// encodeTicker writes a ticker channel message.
func encodeTicker(kind, sym string, st cc.Stats, t cc.Touch, places int) []byte {
	var sb strings.Builder
	n := func(k string, d cc.Decimal, p int) {
		sb.WriteString(`,"` + k + `":`)
		sb.Write(d.AppendTrim(nil, p))
	}
	sb.WriteString(`{"channel":"ticker","type":"` + kind + `","data":[{"symbol":"` + sym + `"`)
	n("bid", t.Bid, places)
	n("bid_qty", t.BidSize, 8)
	n("ask", t.Ask, places)
	n("ask_qty", t.AskSize, 8)
	n("last", st.Last, places)
	n("volume", st.Volume, 8)
	n("vwap", st.WeightedAvg(places), places)
	n("low", st.Low, places)
	n("high", st.High, places)
	n("change", st.Change(), places)
	n("change_pct", st.ChangePercent(2), 2)
	sb.WriteString("}]}")
	return []byte(sb.String())
}
