package mexc

import (
	"errors"
	"fmt"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// Field numbers of MEXC's PushDataV3ApiWrapper and PublicSpotKlineV3Api
// (see the package doc for the schema source).
const (
	fChannel         = 1
	fSymbol          = 3
	fSymbolID        = 4
	fCreateTime      = 5
	fSendTime        = 6
	fPublicSpotKline = 308
	// PublicAggreDealsV3Api {repeated PublicAggreDealsV3ApiItem deals = 1;
	// string eventType = 2} with items {price 1, quantity 2, tradeType 3,
	// time 4}; PublicAggreBookTickerV3Api {bidPrice 1, bidQuantity 2,
	// askPrice 3, askQuantity 4}.
	fPublicAggreDeals      = 314
	fPublicAggreBookTicker = 315

	kInterval    = 1
	kWindowStart = 2
	kOpen        = 3
	kClose       = 4
	kHigh        = 5
	kLow         = 6
	kVolume      = 7
	kAmount      = 8
	kWindowEnd   = 9
)

const (
	wireVarint = 0
	wireI64    = 1
	wireBytes  = 2
	wireI32    = 5
)

func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func appendTag(b []byte, field, wire int) []byte {
	return appendVarint(b, uint64(field)<<3|uint64(wire))
}

func appendString(b []byte, field int, s []byte) []byte {
	b = appendTag(b, field, wireBytes)
	b = appendVarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendInt64(b []byte, field int, v int64) []byte {
	b = appendTag(b, field, wireVarint)
	return appendVarint(b, uint64(v))
}

// klinePush is one spot kline push.
type klinePush struct {
	Channel, Symbol, SymbolID string
	CreateTime, SendTime      int64
	Interval                  string
	WindowStart, WindowEnd    int64 // seconds
	Open, Close, High, Low    cc.Decimal
	Volume, Amount            cc.Decimal
}

// encodeKline encodes k as a PushDataV3ApiWrapper.
func encodeKline(k *klinePush) []byte {
	var body []byte
	num := make([]byte, 0, 32)
	body = appendString(body, kInterval, []byte(k.Interval))
	body = appendInt64(body, kWindowStart, k.WindowStart)
	for _, f := range []struct {
		n int
		d cc.Decimal
	}{{kOpen, k.Open}, {kClose, k.Close}, {kHigh, k.High}, {kLow, k.Low}, {kVolume, k.Volume}, {kAmount, k.Amount}} {
		num = f.d.AppendTrim(num[:0], int(f.d.Scale))
		body = appendString(body, f.n, num)
	}
	body = appendInt64(body, kWindowEnd, k.WindowEnd)

	b := make([]byte, 0, len(body)+len(k.Channel)+64)
	b = appendString(b, fChannel, []byte(k.Channel))
	b = appendString(b, fSymbol, []byte(k.Symbol))
	b = appendString(b, fSymbolID, []byte(k.SymbolID))
	b = appendInt64(b, fCreateTime, k.CreateTime)
	b = appendInt64(b, fSendTime, k.SendTime)
	return appendString(b, fPublicSpotKline, body)
}

// wrap encodes body as field bodyField of a PushDataV3ApiWrapper.
func wrap(channel, symbol, symbolID string, at int64, bodyField int, body []byte) []byte {
	b := make([]byte, 0, len(body)+len(channel)+64)
	b = appendString(b, fChannel, []byte(channel))
	b = appendString(b, fSymbol, []byte(symbol))
	b = appendString(b, fSymbolID, []byte(symbolID))
	b = appendInt64(b, fCreateTime, at)
	b = appendInt64(b, fSendTime, at)
	return appendString(b, bodyField, body)
}

func appendDecString(b []byte, field int, d cc.Decimal) []byte {
	return appendString(b, field, d.AppendTrim(nil, int(d.Scale)))
}

// encodeAggreDeals encodes trades as a publicAggreDeals push: tradeType
// 1 when the taker bought, 2 when it sold.
func encodeAggreDeals(channel, symbol, symbolID string, at int64, ts []cc.Trade) []byte {
	var body []byte
	for _, t := range ts {
		var item []byte
		item = appendDecString(item, 1, t.Price)
		item = appendDecString(item, 2, t.Size)
		side := int64(1)
		if t.BuyerMaker {
			side = 2
		}
		item = appendInt64(item, 3, side)
		item = appendInt64(item, 4, t.Millis())
		body = appendString(body, 1, item)
	}
	body = appendString(body, 2, []byte("spot@public.aggre.deals.v3.api.pb"))
	return wrap(channel, symbol, symbolID, at, fPublicAggreDeals, body)
}

// encodeAggreBookTicker encodes the touch as a publicAggreBookTicker push.
func encodeAggreBookTicker(channel, symbol, symbolID string, at int64, t cc.Touch) []byte {
	var body []byte
	body = appendDecString(body, 1, t.Bid)
	body = appendDecString(body, 2, t.BidSize)
	body = appendDecString(body, 3, t.Ask)
	body = appendDecString(body, 4, t.AskSize)
	return wrap(channel, symbol, symbolID, at, fPublicAggreBookTicker, body)
}

var errProto = errors.New("mexc: malformed protobuf")

func readVarint(b []byte) (uint64, int, error) {
	var v uint64
	for i := 0; i < len(b) && i < 10; i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			return v, i + 1, nil
		}
	}
	return 0, 0, errProto
}

// fields walks the top-level fields of a message, calling f with the
// field number, wire type, varint value and bytes payload.
func fields(b []byte, f func(num, wire int, v uint64, p []byte) error) error {
	for len(b) > 0 {
		tag, n, err := readVarint(b)
		if err != nil {
			return err
		}
		b = b[n:]
		num, wire := int(tag>>3), int(tag&7)
		var v uint64
		var p []byte
		switch wire {
		case wireVarint:
			v, n, err = readVarint(b)
			if err != nil {
				return err
			}
			b = b[n:]
		case wireBytes:
			l, n, err := readVarint(b)
			if err != nil || uint64(len(b)-n) < l {
				return errProto
			}
			p = b[n : n+int(l)]
			b = b[n+int(l):]
		case wireI64:
			if len(b) < 8 {
				return errProto
			}
			b = b[8:]
		case wireI32:
			if len(b) < 4 {
				return errProto
			}
			b = b[4:]
		default:
			return errProto
		}
		if err := f(num, wire, v, p); err != nil {
			return err
		}
	}
	return nil
}

// decodeKline decodes a PushDataV3ApiWrapper; ok is false when it carries
// no publicSpotKline.
func decodeKline(b []byte) (k klinePush, ok bool, err error) {
	var body []byte
	err = fields(b, func(num, wire int, v uint64, p []byte) error {
		switch num {
		case fChannel:
			k.Channel = string(p)
		case fSymbol:
			k.Symbol = string(p)
		case fSymbolID:
			k.SymbolID = string(p)
		case fCreateTime:
			k.CreateTime = int64(v)
		case fSendTime:
			k.SendTime = int64(v)
		case fPublicSpotKline:
			body, ok = p, true
		}
		return nil
	})
	if err != nil || !ok {
		return k, ok, err
	}
	err = fields(body, func(num, wire int, v uint64, p []byte) error {
		var d *cc.Decimal
		switch num {
		case kInterval:
			k.Interval = string(p)
		case kWindowStart:
			k.WindowStart = int64(v)
		case kWindowEnd:
			k.WindowEnd = int64(v)
		case kOpen:
			d = &k.Open
		case kClose:
			d = &k.Close
		case kHigh:
			d = &k.High
		case kLow:
			d = &k.Low
		case kVolume:
			d = &k.Volume
		case kAmount:
			d = &k.Amount
		}
		if d != nil {
			x, err := cc.ParseDecimal(string(p))
			if err != nil {
				return fmt.Errorf("%w: field %d: %v", errProto, num, err)
			}
			*d = x
		}
		return nil
	})
	return k, true, err
}

// update converts a decoded push to the normalized form.
func (k *klinePush) update() (cc.Update, error) {
	iv, known := wsIntervals.Parse(k.Interval)
	if !known {
		return cc.Update{}, fmt.Errorf("%w: interval %q", plugins.ErrNotCandles, k.Interval)
	}
	open := k.WindowStart * 1000
	at := k.CreateTime
	if at == 0 {
		at = k.SendTime
	}
	return cc.Update{
		Symbol: k.Symbol, Interval: iv, EventTime: at,
		Candle: cc.Candle{
			OpenTime: open, CloseTime: iv.CloseTime(open),
			Open: k.Open, High: k.High, Low: k.Low, Close: k.Close,
			Volume: k.Volume, QuoteVolume: k.Amount,
			Closed: at >= iv.CloseTime(open),
		},
	}, nil
}
