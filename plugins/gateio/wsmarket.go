package gateio

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// tradeEvery is how often trade channels look for new trades; tickers
// are pushed every tickerEvery (Gate: 1s at most).
const (
	tradeEvery  = 100 * time.Millisecond
	tickerEvery = time.Second
)

// marketChannel serves {spot,futures}.{trades,tickers}: the payload lists
// currency pairs (contracts); each is a stream of its own.
func (p *proto) marketChannel(sess *plugins.Session, req *request) {
	var syms []string
	if err := json.Unmarshal(req.Payload, &syms); err != nil || len(syms) == 0 {
		p.fail(sess, req, 2, "invalid argument: payload must be a list of "+p.market()+"s")
		return
	}
	pairs := make([]cc.Pair, len(syms))
	for i, sym := range syms {
		pair, ok := p.s.env.PairBySymbol(sym)
		if ok && p.prefix == "futures" && !strings.EqualFold(pair.Quote, p.settle) {
			ok = false
		}
		if !ok {
			p.fail(sess, req, 2, "unknown "+p.market()+" "+sym)
			return
		}
		pairs[i] = pair
	}
	switch req.Event {
	case "subscribe":
		if strings.HasSuffix(req.Channel, ".trades") && p.s.env.Tape == nil {
			p.fail(sess, req, 3, "server error: "+kit.ErrNoTape.Error())
			return
		}
		p.reply(sess, req, "subscribe", map[string]string{"status": "success"}, nil)
		for _, pair := range pairs {
			key := req.Channel + "_" + pair.Symbol
			var err error
			if strings.HasSuffix(req.Channel, ".trades") {
				err = p.subscribeTrades(sess, key, req.Channel, pair)
			} else {
				err = sess.SubscribeTicks(key, pair.Symbol, tickerEvery, p.tickerEncoder(sess, req.Channel, pair))
			}
			if err != nil {
				p.fail(sess, req, 3, "server error: "+err.Error())
				return
			}
		}
	case "unsubscribe":
		for _, pair := range pairs {
			sess.Unsubscribe(req.Channel + "_" + pair.Symbol)
		}
		p.reply(sess, req, "unsubscribe", map[string]string{"status": "success"}, nil)
	default:
		p.fail(sess, req, 1, fmt.Sprintf("invalid event %q", req.Event))
	}
}

// pushHead starts an update frame of channel at event time ms.
func pushHead(b []byte, channel string, ms int64) []byte {
	b = append(b, `{"time":`...)
	b = strconv.AppendInt(b, ms/1000, 10)
	b = append(b, `,"time_ms":`...)
	b = strconv.AppendInt(b, ms, 10)
	b = append(b, `,"channel":"`...)
	b = append(b, channel...)
	return append(b, `","event":"update","result":`...)
}

// subscribeTrades pushes the tape's new trades: spot one frame per trade
// (with "range", the trade's id span), futures one array per batch.
func (p *proto) subscribeTrades(sess *plugins.Session, key, channel string, pair cc.Pair) error {
	mult := multiplier(pair.Price)
	return kit.SubscribeTrades(sess, key, pair.Symbol, tradeEvery, func(ts []cc.Trade) bool {
		if p.prefix == "futures" {
			b := pushHead(nil, channel, ts[len(ts)-1].Millis())
			b = append(b, '[')
			for i, t := range ts {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendFuturesTrade(b, pair.Symbol, t, mult)
			}
			return sess.Push(key, append(b, "]}"...)) == nil
		}
		for _, t := range ts {
			b := pushHead(nil, channel, t.Millis())
			b = appendSpotTrade(b, pair.Symbol, t)
			// "range": the print's id span, before the closing brace.
			b = b[:len(b)-1]
			b = append(b, `,"range":"`...)
			b = strconv.AppendInt(b, t.ID, 10)
			b = append(b, '-')
			b = strconv.AppendInt(b, t.ID, 10)
			b = append(b, `"}}`...)
			if sess.Push(key, b) != nil {
				return false
			}
		}
		return true
	})
}

// tickerEncoder pushes the pair's ticker as the REST tickers give it
// (futures in a one-element array).
func (p *proto) tickerEncoder(sess *plugins.Session, channel string, pair cc.Pair) func(cc.Update) []byte {
	return func(u cc.Update) []byte {
		var row map[string]any
		var err error
		if p.prefix == "futures" {
			row, err = p.s.futuresTicker(sess.Context(), pair, u.EventTime)
		} else {
			row, err = p.s.spotTicker(sess.Context(), pair, u.EventTime)
		}
		if err != nil {
			return nil
		}
		var v any = row
		if p.prefix == "futures" {
			v = []any{row}
		}
		body, err := json.Marshal(v)
		if err != nil {
			return nil
		}
		b := pushHead(nil, channel, u.EventTime)
		b = append(b, body...)
		return append(b, '}')
	}
}
