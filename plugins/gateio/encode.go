package gateio

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

func appendStr(b []byte, d cc.Decimal) []byte {
	b = append(b, '"')
	b = d.AppendTrim(b, int(d.Scale))
	return append(b, '"')
}

// appendSpotRow writes one spot candle row: [t, quote volume, close, high,
// low, open, base volume, window closed], all strings.
func appendSpotRow(b []byte, c cc.Candle) []byte {
	b = append(b, '[', '"')
	b = strconv.AppendInt(b, c.OpenTime/1000, 10)
	b = append(b, '"', ',')
	for _, d := range []cc.Decimal{c.QuoteVolume, c.Close, c.High, c.Low, c.Open, c.Volume} {
		b = appendStr(b, d)
		b = append(b, ',')
	}
	if c.Closed {
		b = append(b, `"true"]`...)
	} else {
		b = append(b, `"false"]`...)
	}
	return b
}

// appendFuturesRow writes one futures candle object. With n set (a WS
// push) it adds the subscription name, the base amount and the window
// flag, as futures.candlesticks does.
func appendFuturesRow(b []byte, c cc.Candle, mult cc.Decimal, n string, ws bool) []byte {
	b = append(b, `{"t":`...)
	b = strconv.AppendInt(b, c.OpenTime/1000, 10)
	b = append(b, `,"v":`...)
	b = strconv.AppendInt(b, contracts(c.Volume, mult), 10)
	b = appendPrices(b, c)
	if ws {
		b = appendPushTail(b, c, n)
	} else {
		b = append(b, `,"sum":`...)
		b = appendStr(b, c.QuoteVolume)
	}
	return append(b, '}')
}

// appendPrices writes the "c", "h", "l" and "o" members of a candle
// object, each after a comma.
func appendPrices(b []byte, c cc.Candle) []byte {
	b = append(b, `,"c":`...)
	b = appendStr(b, c.Close)
	b = append(b, `,"h":`...)
	b = appendStr(b, c.High)
	b = append(b, `,"l":`...)
	b = appendStr(b, c.Low)
	b = append(b, `,"o":`...)
	return appendStr(b, c.Open)
}

// appendPushTail writes what a WS push adds to a candle object: the
// subscription name n, the base amount and the window-closed flag.
func appendPushTail(b []byte, c cc.Candle, n string) []byte {
	b = append(b, `,"n":"`...)
	b = append(b, n...)
	b = append(b, `","a":`...)
	b = appendStr(b, c.Volume)
	b = append(b, `,"w":`...)
	return strconv.AppendBool(b, c.Closed)
}

func parseSpotRow(iv cc.Interval, r []string) (cc.Candle, error) {
	if len(r) < 7 {
		return cc.Candle{}, fmt.Errorf("%w: spot row has %d fields", plugins.ErrNotCandles, len(r))
	}
	t, err := strconv.ParseInt(r[0], 10, 64)
	if err != nil {
		return cc.Candle{}, fmt.Errorf("%w: time %q", plugins.ErrNotCandles, r[0])
	}
	var d [6]cc.Decimal
	for i := range d {
		if d[i], err = cc.ParseDecimal(r[i+1]); err != nil {
			return cc.Candle{}, fmt.Errorf("%w: %v", plugins.ErrNotCandles, err)
		}
	}
	open := t * 1000
	c := cc.Candle{
		OpenTime: open, CloseTime: iv.CloseTime(open),
		QuoteVolume: d[0], Close: d[1], High: d[2], Low: d[3], Open: d[4], Volume: d[5],
		Closed: true,
	}
	if len(r) > 7 {
		c.Closed = r[7] == "true"
	}
	return c, nil
}

// futuresCandle is a futures candle object from REST or WS.
type futuresCandle struct {
	T   json.Number `json:"t"`
	V   json.Number `json:"v"`
	C   cc.Decimal  `json:"c"`
	H   cc.Decimal  `json:"h"`
	L   cc.Decimal  `json:"l"`
	O   cc.Decimal  `json:"o"`
	Sum *cc.Decimal `json:"sum"`
	N   string      `json:"n"`
	A   *cc.Decimal `json:"a"`
	W   *bool       `json:"w"`
}

// candle converts f; mult converts contracts to base volume when the
// payload carries no base amount.
func (f futuresCandle) candle(iv cc.Interval, mult float64) cc.Candle {
	ts, _ := f.T.Float64()
	open := int64(ts) * 1000
	c := cc.Candle{
		OpenTime: open, CloseTime: iv.CloseTime(open),
		Open: f.O, High: f.H, Low: f.L, Close: f.C, Closed: true,
	}
	v, _ := f.V.Float64()
	if f.A != nil {
		c.Volume = *f.A
	} else if mult > 0 {
		dec := max(0, int(math.Ceil(-math.Log10(mult))))
		c.Volume = cc.DecimalFromFloat(v*mult, dec)
	}
	if f.Sum != nil {
		c.QuoteVolume = *f.Sum
	}
	if f.W != nil {
		c.Closed = *f.W
	}
	return c
}

// multiplierFor infers the contract size from a futures listing: quote
// volume ≈ contracts × size × price, rounded to a power of ten. The
// listing itself does not carry it.
func multiplierFor(rows []futuresCandle) float64 {
	var sum, notional float64
	for _, r := range rows {
		v, _ := r.V.Float64()
		if r.Sum == nil || v == 0 {
			continue
		}
		sum += r.Sum.Float64()
		notional += v * (r.O.Float64() + r.C.Float64()) / 2
	}
	if notional == 0 || sum == 0 {
		return 0
	}
	return math.Pow10(int(math.Round(math.Log10(sum / notional))))
}
