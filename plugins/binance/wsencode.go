package binance

import (
	"context"
	"strconv"
	"strings"
	"time"

	cc "github.com/candlecassette/candlecassette"
)

// klineStream is a parsed <symbol>@kline_<interval> or (futures)
// <pair>_perpetual@continuousKline_<interval> or <symbol>@markPrice[@1s]
// stream name.
type klineStream struct {
	symbol     string // upper case, as in REST
	iv         cc.Interval
	continuous bool
	// mark, for markPrice streams, is their push cadence (3 s or 1 s);
	// they follow the 1m candle's close.
	mark time.Duration
	// ticker is "ticker" or "miniTicker" for 24-hour ticker streams,
	// pushed every second.
	ticker string
	// unit is the connection's timeUnit (spot: ?timeUnit=MICROSECOND).
	unit timeUnit
}

// parseStream reads a kline stream name. Symbols are matched case
// insensitively; intervals are case sensitive (1m is not 1M).
func (s *server) parseStream(name string) (klineStream, bool) {
	sym, kind, ok := strings.Cut(name, "@")
	if !ok || sym == "" {
		return klineStream{}, false
	}
	var st klineStream
	var ivs string
	switch {
	case s.p.kind == Perpetual && (kind == "markPrice" || kind == "markPrice@1s"):
		st.mark = 3 * time.Second
		if kind == "markPrice@1s" {
			st.mark = time.Second
		}
		ivs = string(cc.Interval1m)
	case kind == "ticker" || kind == "miniTicker":
		st.ticker, ivs = kind, string(cc.Interval1m)
	case strings.HasPrefix(kind, "kline_"):
		ivs = kind[len("kline_"):]
	case s.p.kind == Perpetual && strings.HasPrefix(kind, "continuousKline_"):
		pair, ct, ok := strings.Cut(sym, "_")
		if !ok || !strings.EqualFold(ct, "perpetual") {
			return klineStream{}, false
		}
		sym, ivs, st.continuous = pair, kind[len("continuousKline_"):], true
	default:
		return klineStream{}, false
	}
	iv, ok := s.p.validInterval(ivs)
	if !ok {
		return klineStream{}, false
	}
	st.symbol, st.iv = strings.ToUpper(sym), iv
	return st, true
}

// klineEncoder turns updates into kline events for stream name on c,
// wrapped as {"stream","data"} while c is combined.
func (s *server) klineEncoder(name string, st klineStream, c *conn) func(cc.Update) []byte {
	return func(u cc.Update) []byte {
		b := make([]byte, 0, 512)
		combined := c.combined.Load()
		if combined {
			b = append(b, `{"stream":`...)
			b = strconv.AppendQuote(b, name)
			b = append(b, `,"data":`...)
		}
		n := len(b)
		switch {
		case st.ticker != "":
			b = s.appendTicker(b, st, u)
		case st.mark > 0:
			b = s.appendMarkPrice(b, st, u)
		default:
			b = s.appendKlineEvent(b, st, u)
		}
		if len(b) == n {
			return nil // nothing to say: skip the push
		}
		if combined {
			b = append(b, '}')
		}
		return b
	}
}

// appendKlineEvent encodes u exactly as Binance's kline payload:
// {"e":"kline","E":..,"s":"BTCUSDT","k":{"t","T","s","i","f","L","o","c",
// "h","l","v","n","x","q","V","Q","B"}}; continuous klines carry "ps" and
// "ct" instead of "s".
func (s *server) appendKlineEvent(b []byte, st klineStream, u cc.Update) []byte {
	price, qty, quote := 8, 8, 8
	if s.p.kind == Perpetual {
		price, qty, quote = 0, 0, 0 // each value at its own precision
	}
	c := u.Candle
	if st.continuous {
		b = append(b, `{"e":"continuous_kline","E":`...)
	} else {
		b = append(b, `{"e":"kline","E":`...)
	}
	b = strconv.AppendInt(b, st.unit.at(u.EventTime), 10)
	if st.continuous {
		b = append(b, `,"ps":"`...)
		b = append(b, st.symbol...)
		b = append(b, `","ct":"PERPETUAL","k":{"t":`...)
	} else {
		b = append(b, `,"s":"`...)
		b = append(b, st.symbol...)
		b = append(b, `","k":{"t":`...)
	}
	b = strconv.AppendInt(b, st.unit.at(c.OpenTime), 10)
	b = append(b, `,"T":`...)
	b = strconv.AppendInt(b, st.unit.close(c.CloseTime), 10)
	if !st.continuous {
		b = append(b, `,"s":"`...)
		b = append(b, st.symbol...)
		b = append(b, '"')
	}
	b = append(b, `,"i":"`...)
	b = append(b, u.Interval...)
	b = append(b, `","f":`...)
	first, last := s.klineTradeIDs(st.symbol, c)
	b = strconv.AppendInt(b, first, 10)
	b = append(b, `,"L":`...)
	b = strconv.AppendInt(b, last, 10)
	b = appendField(b, "o", c.Open, price)
	b = appendField(b, "c", c.Close, price)
	b = appendField(b, "h", c.High, price)
	b = appendField(b, "l", c.Low, price)
	b = appendField(b, "v", c.Volume, qty)
	b = append(b, `,"n":`...)
	b = strconv.AppendInt(b, c.Trades, 10)
	b = append(b, `,"x":`...)
	b = strconv.AppendBool(b, c.Closed)
	b = appendField(b, "q", c.QuoteVolume, quote)
	b = appendField(b, "V", c.TakerBuyBase, qty)
	b = appendField(b, "Q", c.TakerBuyQuote, quote)
	return append(b, `,"B":"0"}}`...)
}

// appendMarkPrice encodes a futures markPriceUpdate: mark, index and
// estimated settle price, the estimated funding rate and the next
// settlement's time (from env.Derivs, see perpState).
func (s *server) appendMarkPrice(b []byte, st klineStream, u cc.Update) []byte {
	ps, err := s.perpState(context.Background(), st.symbol, u.EventTime)
	if err != nil {
		return b
	}
	b = append(b, `{"e":"markPriceUpdate","E":`...)
	b = strconv.AppendInt(b, u.EventTime, 10)
	b = append(b, `,"s":"`...)
	b = append(b, st.symbol...)
	b = append(b, '"')
	b = appendField(b, "p", ps.Mark, 8)
	b = appendField(b, "i", ps.Index, 8)
	b = appendField(b, "P", ps.Index, 8)
	b = appendField(b, "r", ps.FundingRate, 8)
	b = append(b, `,"T":`...)
	b = strconv.AppendInt(b, ps.NextFunding, 10)
	return append(b, '}')
}

// appendField appends ,"key":"<d>" with at least places decimals.
func appendField(b []byte, key string, d cc.Decimal, places int) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, `":"`...)
	b = d.Append(b, max(places, int(d.Scale)))
	return append(b, '"')
}

// firstTradeID and lastTradeID number a candle's trades from its open time
// in milliseconds, so ids grow with time and candles never share one.
// A candle without trades has -1 for both, as on Binance.
func firstTradeID(c cc.Candle) int64 {
	if c.Trades == 0 {
		return -1
	}
	return c.OpenTime
}

func lastTradeID(c cc.Candle) int64 {
	if c.Trades == 0 {
		return -1
	}
	return c.OpenTime + c.Trades - 1
}

// klineTradeIDs are the ids of kline c's first and last trades: the
// tape's when the market numbers its trades (cc.TradeIDs), else ids
// counted from the open time (firstTradeID). -1 for both without trades,
// as on Binance. A kline in progress holds the trades of its closed
// seconds, c.Trades of them from its first.
func (s *server) klineTradeIDs(symbol string, c cc.Candle) (first, last int64) {
	ids, ok := s.env.Tape.(cc.TradeIDs)
	if !ok || c.Trades == 0 {
		return firstTradeID(c), lastTradeID(c)
	}
	ctx := context.Background()
	f, err := ids.FirstTradeID(ctx, symbol, c.OpenTime*1000)
	if err != nil {
		return firstTradeID(c), lastTradeID(c)
	}
	if c.Closed {
		if e, err := ids.FirstTradeID(ctx, symbol, (c.CloseTime+1)*1000); err == nil {
			return f, e - 1
		}
	}
	return f, f + c.Trades - 1
}
