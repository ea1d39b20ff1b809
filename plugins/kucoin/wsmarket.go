package kucoin

import (
	"context"
	"strconv"
	"strings"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// The topics beside candles: spot /market/match: (each trade once, in
// order), /market/ticker: (last trade and touch when they change),
// /market/snapshot: (24-hour statistics every 2 s); futures
// /contractMarket/execution: (trades), /contractMarket/ticker: and
// tickerV2:, and /contract/instrument: (mark, index and funding rate).

// surfaceTopics maps each topic prefix to whether it is a futures one.
var surfaceTopics = []struct {
	prefix  string
	futures bool
	every   time.Duration
}{
	{"/market/match:", false, 100 * time.Millisecond},
	{"/market/ticker:", false, 100 * time.Millisecond},
	{"/market/snapshot:", false, 2 * time.Second},
	{"/contractMarket/execution:", true, 100 * time.Millisecond},
	{"/contractMarket/ticker:", true, 100 * time.Millisecond},
	{"/contractMarket/tickerV2:", true, 100 * time.Millisecond},
	{"/contract/instrument:", true, time.Second},
}

// parseSurface reads a surface topic into targets; ok is false for any
// other topic or an unknown symbol.
func (p *wsProto) parseSurface(topic string) ([]target, time.Duration, bool) {
	for _, st := range surfaceTopics {
		if !strings.HasPrefix(topic, st.prefix) {
			continue
		}
		var out []target
		for _, sym := range strings.Split(strings.TrimPrefix(topic, st.prefix), ",") {
			var pair cc.Pair
			var ok bool
			if st.futures {
				pair, ok = p.h.contractPair(sym)
			} else {
				pair, ok = p.h.spotPair(sym)
			}
			if !ok {
				return nil, 0, false
			}
			out = append(out, target{key: st.prefix + sym, native: pair.Symbol, symbol: sym, kind: st.prefix, futures: st.futures})
		}
		return out, st.every, len(out) > 0
	}
	return nil, 0, false
}

// surfaceEncoder is the push function of t: nil results are skipped.
func (p *wsProto) surfaceEncoder(s *plugins.Session, t target) func(cc.Update) []byte {
	h := p.h
	switch t.kind {
	case "/market/match:", "/contractMarket/execution:":
		if h.env.Tape == nil {
			return nil
		}
		cur := kit.TradeCursorFrom(t.native, h.env.Clock.Now().UnixMicro()+1)
		return func(u cc.Update) []byte {
			_ = cur.Poll(s.Context(), h.env.Tape, u.EventTime, 1000, func(ts []cc.Trade) bool {
				for _, tr := range ts {
					if s.Push(t.key, encodeMatch(t, tr)) != nil {
						return false
					}
				}
				return true
			})
			return nil
		}
	case "/market/ticker:", "/contractMarket/ticker:", "/contractMarket/tickerV2:":
		if h.env.Tape == nil {
			return nil
		}
		var prev struct {
			id       int64
			bid, ask cc.Decimal
		}
		return func(u cc.Update) []byte {
			tr, found, err := h.lastTradeAt(s.Context(), t.native, u.EventTime)
			if err != nil || !found {
				return nil
			}
			// After the last trade when the push shows its price;
			// tickerV2 is the book's top now.
			var tc cc.Touch
			if t.kind == "/contractMarket/tickerV2:" {
				tc, err = kit.Touch(s.Context(), h.env, t.native, tr.Price, u.EventTime*1000+999)
			} else {
				tc, err = h.touch(s.Context(), t.native, tr.Price, u.EventTime)
			}
			if err != nil || (tr.ID == prev.id && tc.Bid == prev.bid && tc.Ask == prev.ask) {
				return nil
			}
			prev.id, prev.bid, prev.ask = tr.ID, tc.Bid, tc.Ask
			return encodeTicker(t, tr, tc, u.EventTime)
		}
	case "/market/snapshot:":
		return func(u cc.Update) []byte {
			pair, _ := h.spotPair(t.symbol)
			m, err := h.spotTicker(s.Context(), pair, u.EventTime, true)
			if err != nil {
				return nil
			}
			return encodeSnapshot(t, pair, m, u.EventTime)
		}
	case "/contract/instrument:":
		if h.env.Derivs == nil {
			return nil
		}
		return func(u cc.Update) []byte {
			ps, err := h.env.Derivs.Perp(s.Context(), t.native, u.EventTime)
			if err != nil {
				return nil
			}
			b := append([]byte(`{"topic":"`), t.key...)
			b = append(b, `","type":"message","subject":"mark.index.price","data":{"granularity":1000,"indexPrice":`...)
			b = append(b, ps.Index.String()...)
			b = append(b, `,"markPrice":`...)
			b = append(b, ps.Mark.String()...)
			b = append(b, `,"timestamp":`...)
			b = strconv.AppendInt(b, u.EventTime, 10)
			b = append(b, "}}"...)
			if s.Send(b) != nil {
				return nil
			}
			b = append([]byte(`{"topic":"`), t.key...)
			b = append(b, `","type":"message","subject":"funding.rate","data":{"granularity":60000,"fundingRate":`...)
			b = append(b, ps.FundingRate.String()...)
			b = append(b, `,"timestamp":`...)
			b = strconv.AppendInt(b, u.EventTime, 10)
			return append(b, "}}"...)
		}
	}
	return nil
}

// lastTradeAt is the newest trade at at (ms).
func (h *handler) lastTradeAt(ctx context.Context, sym string, at int64) (cc.Trade, bool, error) {
	ts, err := h.env.Tape.Trades(ctx, cc.TradeQuery{Symbol: sym, Limit: 1, Newest: true, Now: at*1000 + 999})
	if err != nil || len(ts) == 0 {
		return cc.Trade{}, false, err
	}
	return ts[0], true, nil
}

// encodeMatch is one trade: spot trade.l3match, futures match.
func encodeMatch(t target, tr cc.Trade) []byte {
	id := strconv.FormatInt(tr.ID, 10)
	agg := strconv.FormatInt(tr.AggID, 10)
	b := append([]byte(`{"topic":"`), t.key...)
	if t.futures {
		n := tradeContracts(tr, t.symbol)
		b = append(b, `","type":"message","subject":"match","data":{"symbol":"`...)
		b = append(b, t.symbol...)
		b = append(b, `","sequence":`...)
		b = append(b, id...)
		b = append(b, `,"side":"`...)
		b = append(b, takerSide(tr)...)
		b = append(b, `","size":`...)
		b = n.AppendTrim(b, int(n.Scale))
		b = append(b, `,"price":"`...)
		b = tr.Price.AppendTrim(b, int(tr.Price.Scale))
		b = append(b, `","takerOrderId":"t`...)
		b = append(b, agg...)
		b = append(b, `","makerOrderId":"m`...)
		b = append(b, id...)
		b = append(b, `","tradeId":"`...)
		b = append(b, id...)
		b = append(b, `","ts":`...)
		b = strconv.AppendInt(b, tr.Time*1000, 10)
		return append(b, "}}"...)
	}
	b = append(b, `","type":"message","subject":"trade.l3match","data":{"makerOrderId":"m`...)
	b = append(b, id...)
	b = append(b, `","price":"`...)
	b = tr.Price.AppendTrim(b, int(tr.Price.Scale))
	b = append(b, `","sequence":"`...)
	b = append(b, id...)
	b = append(b, `","side":"`...)
	b = append(b, takerSide(tr)...)
	b = append(b, `","size":"`...)
	b = tr.Size.AppendTrim(b, int(tr.Size.Scale))
	b = append(b, `","symbol":"`...)
	b = append(b, t.symbol...)
	b = append(b, `","takerOrderId":"t`...)
	b = append(b, agg...)
	b = append(b, `","time":"`...)
	b = strconv.AppendInt(b, tr.Time*1000, 10)
	b = append(b, `","tradeId":"`...)
	b = append(b, id...)
	return append(b, `","type":"match"}}`...)
}

// encodeTicker is a spot trade.ticker or a futures ticker / tickerV2.
func encodeTicker(t target, tr cc.Trade, tc cc.Touch, at int64) []byte {
	d := func(x cc.Decimal) string { return trim(x) }
	b := append([]byte(`{"topic":"`), t.key...)
	if !t.futures {
		b = append(b, `","type":"message","subject":"trade.ticker","data":{"bestAsk":"`+d(tc.Ask)+`","bestAskSize":"`+d(tc.AskSize)+
			`","bestBid":"`+d(tc.Bid)+`","bestBidSize":"`+d(tc.BidSize)+`","price":"`+d(tr.Price)+`","sequence":"`+strconv.FormatInt(tr.ID, 10)+
			`","size":"`+d(tr.Size)+`","time":`+strconv.FormatInt(at, 10)+`}}`...)
		return b
	}
	mult := multiplier(t.symbol)
	bidN, askN := lots(tc.BidSize, mult), lots(tc.AskSize, mult)
	common := `"symbol":"` + t.symbol + `","sequence":` + strconv.FormatInt(tr.ID, 10) +
		`,"bestBidSize":` + d(bidN) + `,"bestBidPrice":"` + d(tc.Bid) + `","bestAskPrice":"` + d(tc.Ask) + `","bestAskSize":` + d(askN) +
		`,"ts":` + strconv.FormatInt(at*1_000_000, 10)
	if t.kind == "/contractMarket/tickerV2:" {
		return append(b, `","type":"message","subject":"tickerV2","data":{`+common+`}}`...)
	}
	n := tradeContracts(tr, t.symbol)
	return append(b, `","type":"message","subject":"ticker","data":{`+common+`,"side":"`+takerSide(tr)+`","price":"`+d(tr.Price)+
		`","size":`+d(n)+`,"tradeId":"`+strconv.FormatInt(tr.ID, 10)+`"}}`...)
}

// encodeSnapshot is a trade.snapshot push: the 24-hour figures as numbers.
func encodeSnapshot(t target, p cc.Pair, m map[string]any, at int64) []byte {
	n := func(k string) string { return m[k].(string) }
	b := append([]byte(`{"topic":"`), t.key...)
	b = append(b, `","type":"message","subject":"trade.snapshot","data":{"sequence":"`...)
	b = strconv.AppendInt(b, at, 10)
	b = append(b, `","data":{"averagePrice":`+n("averagePrice")+`,"baseCurrency":"`+p.Base+`","board":1,"buy":`+n("buy")+
		`,"changePrice":`+n("changePrice")+`,"changeRate":`+n("changeRate")+`,"close":`+n("last")+`,"datetime":`+strconv.FormatInt(at, 10)+
		`,"high":`+n("high")+`,"lastTradedPrice":`+n("last")+`,"low":`+n("low")+`,"makerCoefficient":1,"makerFeeRate":0.001,"marginTrade":true,"mark":0,"market":"USDS","markets":["USDS"]`+
		`,"open":`+m["open"].(string)+`,"quoteCurrency":"`+p.Quote+`","sell":`+n("sell")+`,"sort":100,"symbol":"`+t.symbol+`","symbolCode":"`+t.symbol+
		`","takerCoefficient":1,"takerFeeRate":0.001,"trading":true,"vol":`+n("vol")+`,"volValue":`+n("volValue")+`}}}`...)
	return b
}
