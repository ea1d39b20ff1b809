package mexc

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

func appendStr(b []byte, d cc.Decimal) []byte {
	b = append(b, '"')
	b = d.AppendTrim(b, int(d.Scale))
	return append(b, '"')
}

func appendNum(b []byte, d cc.Decimal) []byte { return d.AppendTrim(b, int(d.Scale)) }

// appendSpotRow writes [open time, open, high, low, close, volume, close
// time, quote volume]; MEXC's close time is the next candle's open.
func appendSpotRow(b []byte, iv cc.Interval, c cc.Candle) []byte {
	b = append(b, '[')
	b = strconv.AppendInt(b, c.OpenTime, 10)
	for _, d := range []cc.Decimal{c.Open, c.High, c.Low, c.Close, c.Volume} {
		b = append(b, ',')
		b = appendStr(b, d)
	}
	b = append(b, ',')
	b = strconv.AppendInt(b, iv.Next(c.OpenTime), 10)
	b = append(b, ',')
	b = appendStr(b, c.QuoteVolume)
	return append(b, ']')
}

// encodeColumns writes the contract kline data object: one array per
// field, times in seconds, volume in contracts of size size.
func encodeColumns(cs []cc.Candle, size cc.Decimal) []byte {
	b := make([]byte, 0, 64+len(cs)*120)
	col := func(name string, f func(cc.Candle) []byte, first bool) {
		if !first {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, `":[`...)
		for i, c := range cs {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, f(c)...)
		}
		b = append(b, ']')
	}
	var tmp []byte
	dec := func(get func(cc.Candle) cc.Decimal) func(cc.Candle) []byte {
		return func(c cc.Candle) []byte { tmp = appendNum(tmp[:0], get(c)); return tmp }
	}
	b = append(b, '{')
	col("time", func(c cc.Candle) []byte { tmp = strconv.AppendInt(tmp[:0], c.OpenTime/1000, 10); return tmp }, true)
	col("open", dec(func(c cc.Candle) cc.Decimal { return c.Open }), false)
	col("close", dec(func(c cc.Candle) cc.Decimal { return c.Close }), false)
	col("high", dec(func(c cc.Candle) cc.Decimal { return c.High }), false)
	col("low", dec(func(c cc.Candle) cc.Decimal { return c.Low }), false)
	col("vol", func(c cc.Candle) []byte {
		tmp = strconv.AppendInt(tmp[:0], contractsOf(c.Volume, size), 10)
		return tmp
	}, false)
	col("amount", dec(func(c cc.Candle) cc.Decimal { return c.QuoteVolume }), false)
	col("realOpen", dec(func(c cc.Candle) cc.Decimal { return c.Open }), false)
	col("realClose", dec(func(c cc.Candle) cc.Decimal { return c.Close }), false)
	col("realHigh", dec(func(c cc.Candle) cc.Decimal { return c.High }), false)
	col("realLow", dec(func(c cc.Candle) cc.Decimal { return c.Low }), false)
	return append(b, '}')
}

func contractsOf(vol, size cc.Decimal) int64 { return kit.Contracts(vol, size) }

func parseSpotRow(iv cc.Interval, r []json.RawMessage) (cc.Candle, error) {
	if len(r) < 8 {
		return cc.Candle{}, fmt.Errorf("%w: kline row has %d fields", plugins.ErrNotCandles, len(r))
	}
	open, err := strconv.ParseInt(string(r[0]), 10, 64)
	if err != nil {
		return cc.Candle{}, fmt.Errorf("%w: open time %s", plugins.ErrNotCandles, r[0])
	}
	var d [6]cc.Decimal
	for i, j := range []int{1, 2, 3, 4, 5, 7} {
		if err := d[i].UnmarshalJSON(r[j]); err != nil {
			return cc.Candle{}, fmt.Errorf("%w: %v", plugins.ErrNotCandles, err)
		}
	}
	return cc.Candle{
		OpenTime: open, CloseTime: iv.CloseTime(open),
		Open: d[0], High: d[1], Low: d[2], Close: d[3], Volume: d[4], QuoteVolume: d[5],
		Closed: true,
	}, nil
}

// contractCols is the contract kline data object.
type contractCols struct {
	Time   []int64      `json:"time"`
	Open   []cc.Decimal `json:"open"`
	Close  []cc.Decimal `json:"close"`
	High   []cc.Decimal `json:"high"`
	Low    []cc.Decimal `json:"low"`
	Vol    []cc.Decimal `json:"vol"`
	Amount []cc.Decimal `json:"amount"`
}

// candles zips the columns. Volume is in contracts on the wire; the
// contract size is inferred from amount ≈ vol × size × price, rounded to
// a power of ten, since the listing does not carry it.
func (k *contractCols) candles(iv cc.Interval) ([]cc.Candle, error) {
	n := len(k.Time)
	if len(k.Open) != n || len(k.Close) != n || len(k.High) != n || len(k.Low) != n || len(k.Vol) != n || len(k.Amount) != n {
		return nil, fmt.Errorf("%w: kline columns differ in length", plugins.ErrNotCandles)
	}
	var amt, notional float64
	for i := 0; i < n; i++ {
		amt += k.Amount[i].Float64()
		notional += k.Vol[i].Float64() * (k.Open[i].Float64() + k.Close[i].Float64()) / 2
	}
	size := 1.0
	if amt > 0 && notional > 0 {
		size = math.Pow10(int(math.Round(math.Log10(amt / notional))))
	}
	places := max(0, int(math.Ceil(-math.Log10(size))))
	out := make([]cc.Candle, n)
	for i := 0; i < n; i++ {
		open := k.Time[i] * 1000
		out[i] = cc.Candle{
			OpenTime: open, CloseTime: iv.CloseTime(open),
			Open: k.Open[i], High: k.High[i], Low: k.Low[i], Close: k.Close[i],
			Volume:      cc.DecimalFromFloat(k.Vol[i].Float64()*size, places),
			QuoteVolume: k.Amount[i], Closed: true,
		}
	}
	return out, nil
}
