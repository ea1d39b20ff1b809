package cassettes

import (
	"math"
	"math/rand/v2"
	"testing"

	cc "github.com/candlecassette/candlecassette"
)

// randomCandles makes candles that exercise every corner of the block
// encodings: mixed scales, zero and huge values, negative numbers,
// irregular times, open candles.
func randomCandles(rng *rand.Rand, n int) []cc.Candle {
	cs := make([]cc.Candle, n)
	t := int64(1_700_000_000_000)
	price := int64(5_000_000)
	for i := range cs {
		t += 60_000 * int64(1+rng.IntN(3))
		d := func() cc.Decimal {
			switch rng.IntN(10) {
			case 0:
				return cc.Decimal{}
			case 1:
				return cc.Decimal{Units: math.MaxInt64 - rng.Int64N(1000), Scale: 18}
			case 2:
				return cc.Decimal{Units: -rng.Int64N(1e12), Scale: int8(rng.IntN(19))}
			}
			return cc.Decimal{Units: rng.Int64N(1e15) * pow10i[rng.IntN(4)], Scale: int8(rng.IntN(19))}
		}
		price += rng.Int64N(2001) - 1000
		o := cc.Decimal{Units: price * 1_000_000, Scale: 8}
		cs[i] = cc.Candle{OpenTime: t, CloseTime: t + 59_999, Open: o, High: d(), Low: d(), Close: d(),
			Volume: d(), QuoteVolume: d(), Trades: rng.Int64N(1e6) - 5, TakerBuyBase: d(), TakerBuyQuote: d(), Closed: rng.IntN(5) > 0}
	}
	return cs
}

func TestBlockEncodingsRoundTripExactly(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for round := 0; round < 50; round++ {
		cs := randomCandles(rng, 1+rng.IntN(1200))
		for name, enc := range map[string]func([]cc.Candle) []byte{"v1": encodeBlock1, "v2": encodeBlock2, "v3": encodeBlock3, "v4": encodeBlock4} {
			got, err := decodeBlock(enc(cs))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if len(got) != len(cs) {
				t.Fatalf("%s: %d candles back, want %d", name, len(got), len(cs))
			}
			for i := range cs {
				if got[i] != cs[i] {
					t.Fatalf("%s round %d candle %d:\n got %+v\nwant %+v", name, round, i, got[i], cs[i])
				}
			}
		}
	}
}

func TestBlockV2IsSmallForMarketLikeCandles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	cs := make([]cc.Candle, 1000)
	price := int64(5_000_000) // cents
	for i := range cs {
		open := price
		price += rng.Int64N(2001) - 1000
		hi, lo := max(open, price)+rng.Int64N(300), min(open, price)-rng.Int64N(300)
		vol := 10_000 + rng.Int64N(5_000_000) // 4 decimals
		typ := float64(open+hi+lo+price) / 4 / 100
		qv := int64(float64(vol)/1e4*typ*1e6) + rng.Int64N(2000) - 1000
		tbb := vol * int64(rng.IntN(100)) / 100
		t0 := int64(1_700_000_000_000) + int64(i)*60_000
		cs[i] = cc.Candle{OpenTime: t0, CloseTime: t0 + 59_999,
			Open: cc.Decimal{Units: open * 1e6, Scale: 8}, High: cc.Decimal{Units: hi * 1e6, Scale: 8},
			Low: cc.Decimal{Units: lo * 1e6, Scale: 8}, Close: cc.Decimal{Units: price * 1e6, Scale: 8},
			Volume: cc.Decimal{Units: vol * 1e4, Scale: 8}, QuoteVolume: cc.Decimal{Units: qv * 100, Scale: 8},
			TakerBuyBase: cc.Decimal{Units: tbb * 1e4, Scale: 8}, TakerBuyQuote: cc.Decimal{Units: qv * int64(tbb) / max(vol, 1) * 100, Scale: 8},
			Trades: 100 + rng.Int64N(2000), Closed: true}
	}
	v1, v2, v3 := len(encodeBlock1(cs)), len(encodeBlock2(cs)), len(encodeBlock3(cs))
	t.Logf("1000 candles: v1 %d bytes, v2 %d bytes, v3 %d bytes (%.1f B/candle)", v1, v2, v3, float64(v3)/1000)
	if v3 >= v2 {
		t.Errorf("v3 block %d bytes is not smaller than v2's %d", v3, v2)
	}
	if v2 >= v1*3/4 {
		t.Errorf("v2 block %d bytes is not clearly smaller than v1's %d", v2, v1)
	}
}
