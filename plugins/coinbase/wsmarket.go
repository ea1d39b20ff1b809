package coinbase

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// The market_trades, ticker and ticker_batch channels: trades from
// env.Tape as virtual time passes (a snapshot of the latest first), and
// the 24-hour ticker (cc.RollingStats, the touch from env.Quotes) when
// the price or touch moves (ticker) or every five seconds (ticker_batch).

const (
	tradesSnapshot = 50
	tradesEvery    = 100 * time.Millisecond
	tradesPage     = 1000
	batchEvery     = 5 * time.Second
)

// marketChannels are the channels this file and book.go serve.
var marketChannels = []string{"market_trades", "ticker", "ticker_batch", "level2"}

// subscribeMarket starts channel for id on s.
func (p *wsProto) subscribeMarket(s *plugins.Session, channel, id string) error {
	env := s.Env()
	pair, _ := env.PairBySymbol(id)
	key := channel + ":" + id
	var encode func(cc.Update) []byte
	every := time.Second
	switch channel {
	case "market_trades":
		if env.Tape == nil {
			return errNoData
		}
		every = tradesEvery
		cur := tradeCursor{TradeCursor: kit.NewTradeCursor(pair.Symbol, env.Clock.NowMillis())}
		encode = func(u cc.Update) []byte {
			p.pushTrades(s, key, id, &cur, u.EventTime)
			return nil
		}
	default:
		if channel == "ticker_batch" {
			every = batchEvery
		}
		var prev tickerState
		encode = func(u cc.Update) []byte {
			t, err := tickerOf(s.Context(), env, pair.Symbol, u.EventTime)
			if err != nil || (channel == "ticker" && t.same(prev) && prev.sent) {
				return nil
			}
			kind := "update"
			if !prev.sent {
				kind = "snapshot"
			}
			t.sent = true
			prev = t
			p.sendMarket(s, key, channel, u.EventTime, []any{map[string]any{"type": kind, "tickers": []any{t.object(id)}}})
			return nil
		}
	}
	return s.SubscribeTicks(key, pair.Symbol, every, encode)
}

// sendMarket sends events on channel while key is subscribed.
func (p *wsProto) sendMarket(s *plugins.Session, key, channel string, at int64, events any) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !s.Subscribed(key) {
		return false
	}
	p.sendLocked(s, channel, time.UnixMilli(at), events)
	return true
}

// tradeCursor is where market_trades goes on from, and whether its
// snapshot went out.
type tradeCursor struct {
	*kit.TradeCursor
	snapshotSent bool
}

// pushTrades sends the trades after cur up to upTo (ms): the first call
// a snapshot of the latest ones, then updates of the new ones, each event
// newest first.
func (p *wsProto) pushTrades(s *plugins.Session, key, id string, cur *tradeCursor, upTo int64) {
	tape := s.Env().Tape
	send := func(kind string, ts []cc.Trade) bool {
		b := []byte(`[{"type":"` + kind + `","trades":[`)
		for i := len(ts) - 1; i >= 0; i-- {
			if i < len(ts)-1 {
				b = append(b, ',')
			}
			b = appendTrade(b, id, ts[i], int(ts[i].Price.Scale))
		}
		b = append(b, "]}]"...)
		return p.sendMarket(s, key, "market_trades", upTo, json.RawMessage(b))
	}
	if !cur.snapshotSent {
		ts, err := cur.Snapshot(s.Context(), tape, upTo, tradesSnapshot)
		cur.snapshotSent = err == nil && send("snapshot", ts)
		return
	}
	_ = cur.Poll(s.Context(), tape, upTo, tradesPage, func(ts []cc.Trade) bool { return send("update", ts) })
}

// tickerState is a ticker event's figures.
type tickerState struct {
	st     cc.Stats
	touch  cc.Touch
	low52  cc.Decimal
	high52 cc.Decimal
	sent   bool
}

func (t tickerState) same(o tickerState) bool {
	return t.st.Last == o.st.Last && t.touch.Bid == o.touch.Bid && t.touch.Ask == o.touch.Ask &&
		t.touch.BidSize == o.touch.BidSize && t.touch.AskSize == o.touch.AskSize
}

// tickerOf computes a product's ticker at now (ms).
func tickerOf(ctx context.Context, env *plugins.Env, sym string, now int64) (tickerState, error) {
	st, err := cc.RollingStats(ctx, env.Market, env.Tape, sym, day, now)
	if err != nil {
		return tickerState{}, err
	}
	t := tickerState{st: st, low52: st.Low, high52: st.High}
	ds, err := env.Market.Candles(ctx, sym, cc.Interval1d, cc.Interval1d.Truncate(now)-364*day, cc.Interval1d.Truncate(now)+day, now)
	if err != nil {
		return tickerState{}, err
	}
	if len(ds) > 0 {
		a := cc.Aggregate(ds)
		t.low52, t.high52 = a.Low, a.High
	}
	// The touch right after the last trade (st.Through), so that it
	// straddles the price: one at now could be up to a second newer.
	t.touch, err = kit.Touch(ctx, env, sym, st.Last, st.Through*1000)
	return t, err
}

// object is the ticker in Coinbase's field order.
func (t tickerState) object(id string) any {
	type ticker struct {
		Type            string `json:"type"`
		ProductID       string `json:"product_id"`
		Price           string `json:"price"`
		Volume24h       string `json:"volume_24_h"`
		Low24h          string `json:"low_24_h"`
		High24h         string `json:"high_24_h"`
		Low52w          string `json:"low_52_w"`
		High52w         string `json:"high_52_w"`
		PricePercentChg string `json:"price_percent_chg_24_h"`
		BestBid         string `json:"best_bid"`
		BestBidQuantity string `json:"best_bid_quantity"`
		BestAsk         string `json:"best_ask"`
		BestAskQuantity string `json:"best_ask_quantity"`
	}
	return ticker{
		Type: "ticker", ProductID: id, Price: trim(t.st.Last), Volume24h: trim(t.st.Volume),
		Low24h: trim(t.st.Low), High24h: trim(t.st.High), Low52w: trim(t.low52), High52w: trim(t.high52),
		PricePercentChg: percent(t.st.Open, t.st.Last),
		BestBid:         trim(t.touch.Bid), BestBidQuantity: t.touch.BidSize.Fixed(8),
		BestAsk: trim(t.touch.Ask), BestAskQuantity: t.touch.AskSize.Fixed(8),
	}
}

// errNoData: the mode has no tape for market_trades.
var errNoData = errors.New("coinbase: no trades in this mode")
