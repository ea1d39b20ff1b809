package candlecassette

// Candle is the normalized candle every exchange plugin translates to and
// from. Times are Unix milliseconds (UTC). CloseTime follows Binance's
// convention: the last millisecond inside the candle (OpenTime+duration-1).
//
// Prices and volumes are exact Decimals, so a recorded candle is served back
// digit for digit.
type Candle struct {
	OpenTime      int64
	CloseTime     int64
	Open          Decimal
	High          Decimal
	Low           Decimal
	Close         Decimal
	Volume        Decimal // base asset volume
	QuoteVolume   Decimal // quote asset volume
	Trades        int64
	TakerBuyBase  Decimal
	TakerBuyQuote Decimal
	// Closed is false for the in-progress candle, whose values are the
	// aggregate of the market so far.
	Closed bool
}

// Aggregate folds cs, which must be consecutive and in time order, into one
// candle spanning them: open of the first, close of the last, max high,
// min low, summed volumes, trades and taker volumes. The result is closed
// only if the last input is.
func Aggregate(cs []Candle) Candle {
	if len(cs) == 0 {
		return Candle{}
	}
	out := cs[0]
	for _, c := range cs[1:] {
		out = out.Merge(c)
	}
	return out
}

// Merge extends c by the candle n that immediately follows it.
func (c Candle) Merge(n Candle) Candle {
	if n.High.Cmp(c.High) > 0 {
		c.High = n.High
	}
	if n.Low.Cmp(c.Low) < 0 {
		c.Low = n.Low
	}
	c.Close = n.Close
	c.CloseTime = n.CloseTime
	c.Volume = c.Volume.Add(n.Volume)
	c.QuoteVolume = c.QuoteVolume.Add(n.QuoteVolume)
	c.Trades += n.Trades
	c.TakerBuyBase = c.TakerBuyBase.Add(n.TakerBuyBase)
	c.TakerBuyQuote = c.TakerBuyQuote.Add(n.TakerBuyQuote)
	c.Closed = n.Closed
	return c
}
