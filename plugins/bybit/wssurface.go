package bybit

import (
	"strconv"
	"strings"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// The topics beside klines: publicTrade.{symbol} pushes the tape's new
// trades (a batch per push, oldest first, each once), tickers.{symbol}
// the ticker: a snapshot on every push for spot; for linear a snapshot
// first, then deltas of the fields that changed, as Bybit documents.

const (
	tradeEvery  = 100 * time.Millisecond // Bybit pushes trades in real time
	spotTicker  = 50 * time.Millisecond  // spot tickers: every 50ms
	linearTick  = 100 * time.Millisecond // linear tickers: every 100ms
	tradeBatch  = 1000
	tradePageWS = 5000
)

// spotTickerFields are the spot WS ticker's fields (no touch).
var spotTickerFields = []string{"symbol", "lastPrice", "highPrice24h", "lowPrice24h", "prevPrice24h", "volume24h", "turnover24h", "price24hPcnt", "usdIndexPrice"}

// linearTickerFields are the linear WS ticker's fields.
var linearTickerFields = []string{"symbol", "lastPrice", "prevPrice24h", "price24hPcnt", "highPrice24h", "lowPrice24h", "prevPrice1h",
	"markPrice", "indexPrice", "openInterest", "openInterestValue", "turnover24h", "volume24h", "nextFundingTime", "fundingRate",
	"bid1Price", "bid1Size", "ask1Price", "ask1Size"}

// surfaceTopic starts publicTrade.{symbol} or tickers.{symbol}; handled is
// false for other topics, ok false when the symbol is not served.
func (p *wsProtocol) surfaceTopic(s *plugins.Session, topic string) (handled, ok bool) {
	kind, sym, found := strings.Cut(topic, ".")
	if !found || (kind != "publicTrade" && kind != "tickers") {
		return false, false
	}
	h := p.h
	if !h.served(h.ex.category, sym) {
		return true, false
	}
	linear := h.ex.category == "linear"
	var every time.Duration
	var encode func(cc.Update) []byte
	switch kind {
	case "publicTrade":
		if h.env.Tape == nil {
			return true, false
		}
		cur := &wsTradeCursor{TradeCursor: kit.TradeCursorFrom(sym, h.env.Clock.NowMillis()*1000+1000)}
		every = tradeEvery
		encode = func(u cc.Update) []byte {
			p.pushTrades(s, topic, sym, cur, u.EventTime, linear)
			return nil
		}
	default:
		if linear && h.env.Derivs == nil {
			return true, false
		}
		fields := spotTickerFields
		every = spotTicker
		if linear {
			fields, every = linearTickerFields, linearTick
		}
		var last map[string]string
		encode = func(u cc.Update) []byte {
			t, err := h.ticker(s.Context(), sym, u.EventTime)
			if err != nil {
				return nil
			}
			data := map[string]string{}
			for _, f := range fields {
				data[f] = t[f]
			}
			typ := "snapshot"
			if linear && last != nil {
				typ = "delta"
				delta := map[string]string{"symbol": sym}
				for _, f := range fields {
					if data[f] != last[f] {
						delta[f] = data[f]
					}
				}
				last = data
				if len(delta) == 1 {
					return nil
				}
				data = delta
			} else {
				last = data
			}
			b := append([]byte(`{"topic":"`), topic...)
			b = append(b, `","ts":`...)
			b = strconv.AppendInt(b, u.EventTime, 10)
			b = append(b, `,"type":"`...)
			b = append(b, typ...)
			b = append(b, `","cs":`...)
			b = strconv.AppendInt(b, u.EventTime, 10)
			b = append(b, `,"data":`...)
			b = append(b, mustJSON(data)...)
			return append(b, '}')
		}
	}
	if err := s.SubscribeTicks(topic, sym, every, encode); err != nil {
		return true, false
	}
	return true, true
}

// wsTradeCursor is where a publicTrade topic goes on from; price and
// tick are the last trade's, for the tick direction.
type wsTradeCursor struct {
	*kit.TradeCursor
	price cc.Decimal
	tick  string
}

// direction is Bybit's tick direction of a trade at price after the
// cursor's last one.
func (c *wsTradeCursor) direction(price cc.Decimal) string {
	switch d := price.Cmp(c.price); {
	case c.tick == "":
		c.tick = "ZeroPlusTick"
	case d > 0:
		c.tick = "PlusTick"
	case d < 0:
		c.tick = "MinusTick"
	case c.tick == "PlusTick" || c.tick == "ZeroPlusTick":
		c.tick = "ZeroPlusTick"
	default:
		c.tick = "ZeroMinusTick"
	}
	c.price = price
	return c.tick
}

// pushTrades sends the tape's trades after cur up to upTo (ms), in
// batches of at most tradeBatch, and moves cur past them.
func (p *wsProtocol) pushTrades(s *plugins.Session, topic, sym string, cur *wsTradeCursor, upTo int64, linear bool) {
	_ = cur.Poll(s.Context(), p.h.env.Tape, upTo, tradePageWS, func(ts []cc.Trade) bool {
		for i := 0; i < len(ts); i += tradeBatch {
			b := appendPublicTrades(topic, sym, upTo, ts[i:min(i+tradeBatch, len(ts))], cur, linear)
			if s.Send(b) != nil {
				return false
			}
		}
		return true
	})
}

// appendPublicTrades writes a publicTrade push of batch at upTo (ms),
// moving cur's tick direction along.
func appendPublicTrades(topic, sym string, upTo int64, batch []cc.Trade, cur *wsTradeCursor, linear bool) []byte {
	b := append([]byte(`{"topic":"`), topic...)
	b = append(b, `","type":"snapshot","ts":`...)
	b = strconv.AppendInt(b, upTo, 10)
	b = append(b, `,"data":[`...)
	for j, t := range batch {
		if j > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"T":`...)
		b = strconv.AppendInt(b, t.Millis(), 10)
		b = append(b, `,"s":"`...)
		b = append(b, sym...)
		b = append(b, `","S":"`...)
		b = append(b, side(t)...)
		b = append(b, `","v":"`...)
		b = num(b, t.Size)
		b = append(b, `","p":"`...)
		b = num(b, t.Price)
		dir := cur.direction(t.Price)
		if linear {
			b = append(b, `","L":"`...)
			b = append(b, dir...)
		}
		b = append(b, `","i":"`...)
		b = strconv.AppendInt(b, t.ID, 10)
		b = append(b, `","BT":false,"RPI":false}`...)
	}
	b = append(b, "]}"...)
	return b
}
