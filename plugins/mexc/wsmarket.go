package mexc

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// The spot streams beside klines: aggregated deals and book ticker, both
// protobuf, spot@public.aggre.{deals,bookTicker}.v3.api.pb@(100ms|10ms)@SYMBOL.
const (
	aggreDealsPrefix = "spot@public.aggre.deals.v3.api.pb@"
	aggreBookPrefix  = "spot@public.aggre.bookTicker.v3.api.pb@"
)

// tickerEvery is how often contract push.ticker goes out (MEXC: 1s).
const tickerEvery = time.Second

// subscribeMarket starts an aggre deals or bookTicker channel; handled is
// false for any other channel.
func (p *spotProto) subscribeMarket(sess *plugins.Session, ch string) (ok, handled bool) {
	var rest string
	var deals bool
	if r, found := strings.CutPrefix(ch, aggreDealsPrefix); found {
		rest, deals = r, true
	} else if r, found := strings.CutPrefix(ch, aggreBookPrefix); found {
		rest = r
	} else {
		return false, false
	}
	rate, sym, found := strings.Cut(rest, "@")
	var every time.Duration
	switch rate {
	case "100ms":
		every = 100 * time.Millisecond
	case "10ms":
		every = 10 * time.Millisecond
	}
	pair, known := p.s.pairBySpot(sym)
	if !found || every == 0 || !known {
		return false, true
	}
	id := symbolID(sym)
	send := func(b []byte) bool { return sess.PushMessage(ch, websocket.BinaryMessage, b) == nil }
	if deals {
		err := kit.SubscribeTrades(sess, ch, pair.Symbol, every, func(ts []cc.Trade) bool {
			return send(encodeAggreDeals(ch, sym, id, ts[len(ts)-1].Millis(), ts))
		})
		return err == nil, true
	}
	var last cc.Touch
	err := sess.SubscribeTicks(ch, pair.Symbol, every, func(u cc.Update) []byte {
		t, err := kit.Touch(sess.Context(), p.s.env, pair.Symbol, u.Candle.Close, u.EventTime*1000+999)
		if err != nil || (t.Bid == last.Bid && t.Ask == last.Ask && t.BidSize == last.BidSize && t.AskSize == last.AskSize) {
			return nil
		}
		last = t
		send(encodeAggreBookTicker(ch, sym, id, u.EventTime, t))
		return nil
	})
	return err == nil, true
}

// market serves the contract WS sub.deal (push.deal, the deals of each batch) and
// sub.ticker (push.ticker every second) and their unsubscriptions.
func (p *contractProto) market(sess *plugins.Session, method, sym string) {
	pair, ok := p.s.pairByContract(sym)
	if !ok {
		p.send(sess, "rs.error", "Contract does not exist!")
		return
	}
	rest, unsub := strings.CutPrefix(method, "un")
	kind := strings.TrimPrefix(rest, "sub.")
	key := kind + "@" + sym
	if unsub {
		sess.Unsubscribe(key)
		p.send(sess, "rs."+method, "success")
		return
	}
	if kind == "deal" && p.s.env.Tape == nil {
		p.send(sess, "rs.error", "system error")
		return
	}
	p.send(sess, "rs."+method, "success")
	var err error
	if kind == "deal" {
		size := kit.ContractSize(pair.Price)
		err = kit.SubscribeTrades(sess, key, pair.Symbol, tradeEvery, func(ts []cc.Trade) bool {
			return sess.Push(key, appendDealPush(nil, sym, ts, size)) == nil
		})
	} else {
		err = sess.SubscribeTicks(key, pair.Symbol, tickerEvery, func(u cc.Update) []byte {
			row, err := p.s.contractTickerRow(sess.Context(), pair, u.EventTime)
			if err != nil {
				return nil
			}
			b, _ := json.Marshal(map[string]any{"channel": "push.ticker", "data": row, "symbol": sym, "ts": u.EventTime})
			return b
		})
	}
	if err != nil {
		p.send(sess, "rs.error", "system error")
	}
}

// tradeEvery is how often deal streams look for new trades.
const tradeEvery = 100 * time.Millisecond

// appendDealPush writes {"channel":"push.deal","data":[{"M","O","T","p",
// "t","v"},...],"symbol","ts"}: the deals of one batch, oldest first.
func appendDealPush(b []byte, sym string, ts []cc.Trade, size cc.Decimal) []byte {
	b = append(b, `{"channel":"push.deal","data":[`...)
	for i, t := range ts {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"M":2,"O":3,"T":`...)
		if t.BuyerMaker {
			b = append(b, '2')
		} else {
			b = append(b, '1')
		}
		b = append(b, `,"p":`...)
		b = t.Price.AppendTrim(b, int(t.Price.Scale))
		b = append(b, `,"t":`...)
		b = strconv.AppendInt(b, t.Millis(), 10)
		b = append(b, `,"v":`...)
		b = strconv.AppendInt(b, max(1, kit.Contracts(t.Size, size)), 10)
		b = append(b, '}')
	}
	b = append(b, `],"symbol":"`...)
	b = append(b, sym...)
	b = append(b, `","ts":`...)
	b = strconv.AppendInt(b, ts[len(ts)-1].Millis(), 10)
	return append(b, '}')
}
