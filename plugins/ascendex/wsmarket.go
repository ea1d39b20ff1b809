package ascendex

import (
	"strconv"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// tradeEvery is how often trades:SYMBOL looks for new prints, bboEvery
// how often bbo:SYMBOL looks at the touch (pushed when it changed).
const (
	tradeEvery = 100 * time.Millisecond
	bboEvery   = 100 * time.Millisecond
)

// marketSub serves trades:SYMBOL ({"m":"trades","symbol","data":[...]}
// per batch of new prints) and bbo:SYMBOL ({"m":"bbo","symbol","data":
// {"ts","seqnum","bid","ask"}}).
func (p *proto) marketSub(sess *plugins.Session, req *wsReq, name, sym string) {
	if _, found := p.s.env.PairBySymbol(sym); !found {
		p.fail(sess, req, 100008, "SYMBOL_ERROR", "Invalid symbol "+sym)
		return
	}
	ack := map[string]any{"m": req.Op, "ch": req.Ch, "code": 0}
	if id := idOf(req.ID); id != nil {
		ack["id"] = id
	}
	if req.Op == "unsub" {
		sess.Unsubscribe(req.Ch)
		sess.SendJSON(ack)
		return
	}
	if name == "trades" && p.s.env.Tape == nil {
		p.fail(sess, req, 100101, "UNKNOWN_ERROR", kit.ErrNoTape.Error())
		return
	}
	sess.SendJSON(ack)
	key := req.Ch
	var err error
	if name == "trades" {
		err = kit.SubscribeTrades(sess, key, sym, tradeEvery, func(ts []cc.Trade) bool {
			b := append(make([]byte, 0, 64+len(ts)*100), `{"m":"trades","symbol":`...)
			b = strconv.AppendQuote(b, sym)
			b = append(b, `,"data":[`...)
			for i, t := range ts {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendTrade(b, t)
			}
			return sess.Push(key, append(b, "]}"...)) == nil
		})
	} else {
		var last cc.Touch
		err = sess.SubscribeTicks(key, sym, bboEvery, func(u cc.Update) []byte {
			// The book's top now: the bbo channel has no last price.
			t, err := kit.Touch(sess.Context(), p.s.env, sym, u.Candle.Close, u.EventTime*1000+999)
			if err != nil || (t.Bid == last.Bid && t.Ask == last.Ask && t.BidSize == last.BidSize && t.AskSize == last.AskSize) {
				return nil
			}
			last = t
			b := append(make([]byte, 0, 160), `{"m":"bbo","symbol":`...)
			b = strconv.AppendQuote(b, sym)
			b = append(b, `,"data":{"ts":`...)
			b = strconv.AppendInt(b, u.EventTime, 10)
			b = append(b, `,"seqnum":`...)
			b = strconv.AppendInt(b, t.Time, 10)
			b = append(b, `,"bid":["`...)
			b = t.Bid.Append(b, int(t.Bid.Scale))
			b = append(b, `","`...)
			b = t.BidSize.Append(b, int(t.BidSize.Scale))
			b = append(b, `"],"ask":["`...)
			b = t.Ask.Append(b, int(t.Ask.Scale))
			b = append(b, `","`...)
			b = t.AskSize.Append(b, int(t.AskSize.Scale))
			return append(b, `"]}}`...)
		})
	}
	if err != nil {
		p.fail(sess, req, 100101, "UNKNOWN_ERROR", err.Error())
	}
}
