package hyperliquid

import (
	"encoding/json"
	"fmt"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// marketSubs are the subscriptions beside candles.
var marketSubs = map[string]bool{"trades": true, "allMids": true, "activeAssetCtx": true, "bbo": true}

// tradeEvery is how often trades look for new prints; the others push
// every second when what they carry changed.
const (
	tradeEvery = 100 * time.Millisecond
	ctxEvery   = time.Second
)

// marketSub serves trades, allMids, activeAssetCtx and bbo.
func (p *proto) marketSub(sess *plugins.Session, method string, sub candleSub, key string) {
	var pair cc.Pair
	if sub.Type != "allMids" {
		var found bool
		if pair, found = p.s.pairByCoin(sub.Coin); !found || sub.Coin == "" {
			wsError(sess, "Invalid subscription "+key)
			return
		}
	} else if len(p.s.env.Pairs) == 0 {
		wsError(sess, "Invalid subscription "+key)
		return
	} else {
		pair = p.s.env.Pairs[0] // the clock of the stream
	}
	if method == "unsubscribe" {
		if !sess.Unsubscribe(key) {
			wsError(sess, "Already unsubscribed: "+key)
			return
		}
		sess.SendJSON(map[string]any{"channel": "subscriptionResponse", "data": map[string]any{"method": "unsubscribe", "subscription": json.RawMessage(key)}})
		return
	}
	if sess.Subscribed(key) {
		wsError(sess, "Already subscribed: "+key)
		return
	}
	sess.SendJSON(map[string]any{"channel": "subscriptionResponse", "data": map[string]any{"method": "subscribe", "subscription": json.RawMessage(key)}})
	var err error
	if sub.Type == "trades" {
		coin := pair.Symbol
		err = kit.SubscribeTrades(sess, key, coin, tradeEvery, func(ts []cc.Trade) bool {
			b := append(make([]byte, 0, 64+len(ts)*300), `{"channel":"trades","data":[`...)
			for i, t := range ts {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendTrade(b, coin, t)
			}
			return sess.Push(key, append(b, "]}"...)) == nil
		})
	} else {
		var last []byte
		err = sess.SubscribeTicks(key, pair.Symbol, ctxEvery, func(u cc.Update) []byte {
			data, err := p.marketData(sess, sub.Type, sub.Coin, pair.Symbol, u.EventTime)
			if err != nil || string(data) == string(last) {
				return nil
			}
			last = data
			return data
		})
	}
	if err != nil {
		wsError(sess, fmt.Sprintf("Internal error: %v", err))
	}
}

// marketData is the push of an allMids, activeAssetCtx (activeSpotAssetCtx
// for a spot coin) or bbo subscription of coin (market sym) at now.
func (p *proto) marketData(sess *plugins.Session, typ, coin, sym string, now int64) ([]byte, error) {
	ctx := sess.Context()
	var msg map[string]any
	switch typ {
	case "allMids":
		mids, err := p.s.mids(ctx, now)
		if err != nil {
			return nil, err
		}
		msg = map[string]any{"channel": "allMids", "data": map[string]any{"mids": mids}}
	case "activeAssetCtx":
		if isSpotCoin(coin) {
			c, err := p.s.spotCtx(ctx, coin, sym, now)
			if err != nil {
				return nil, err
			}
			msg = map[string]any{"channel": "activeSpotAssetCtx", "data": map[string]any{"coin": coin, "ctx": c}}
		} else {
			c, err := p.s.perpCtx(ctx, sym, now)
			if err != nil {
				return nil, err
			}
			msg = map[string]any{"channel": "activeAssetCtx", "data": map[string]any{"coin": coin, "ctx": c}}
		}
	case "bbo":
		_, t, err := p.s.dayStats(ctx, sym, now)
		if err != nil {
			return nil, err
		}
		level := func(px, sz cc.Decimal) map[string]any {
			return map[string]any{"px": hlNum(px), "sz": hlNum(sz), "n": 1}
		}
		msg = map[string]any{"channel": "bbo", "data": map[string]any{
			"coin": coin, "time": t.Time / 1000, "bbo": []any{level(t.Bid, t.BidSize), level(t.Ask, t.AskSize)},
		}}
	}
	return json.Marshal(msg)
}
