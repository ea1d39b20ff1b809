package synth_test

import (
	"math/rand/v2"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/synth"
)

// Random seeds, pairs, times from 1900 to 2300 and intervals: every window
// is well formed and every candle of up to a day is exactly the aggregate
// of its minutes.
func TestRandomWindowsAreWellFormed(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ps := []cc.Pair{
		{Base: "BTC", Quote: "USDT", Price: 50000},
		{Base: "SHIB", Quote: "USDT", Price: 0.00001234},
		{Base: "ETH", Quote: "BTC"},
		{Base: "USDC", Quote: "USDT"},
		{Base: "FOO", Quote: "EUR", Price: 3.5},
	}
	lo, hi := ms("1900-01-01T00:00:00Z"), ms("2300-01-01T00:00:00Z")
	for range 60 {
		m := synth.New(synth.Options{Seed: r.Uint64(), Exchange: "x", Pairs: ps})
		p := ps[r.IntN(len(ps))]
		iv := cc.Intervals[r.IntN(len(cc.Intervals))]
		start := iv.Truncate(lo + r.Int64N(hi-lo))
		end := start + 5*iv.Millis()
		cs := candles(t, m, p.Name(), iv, start, end, far)
		if len(cs) < 5 {
			t.Fatalf("%s %s at %d: %d candles", p.Name(), iv, start, len(cs))
		}
		for i, c := range cs {
			if c.Low.Units <= 0 || c.High.Cmp(c.Open) < 0 || c.High.Cmp(c.Close) < 0 || c.Low.Cmp(c.Open) > 0 || c.Low.Cmp(c.Close) > 0 {
				t.Fatalf("%s %s: bad candle %+v", p.Name(), iv, c)
			}
			if i > 0 && (c.OpenTime != iv.Next(cs[i-1].OpenTime) || c.Open != cs[i-1].Close) {
				t.Fatalf("%s %s: candle %d does not follow the previous one", p.Name(), iv, i)
			}
			if c.TakerBuyBase.Cmp(c.Volume) > 0 || c.Trades < 0 || (c.Trades == 0) != c.Volume.IsZero() {
				t.Fatalf("%s %s: bad volumes %+v", p.Name(), iv, c)
			}
		}
		if iv != cc.Interval1s && iv.Millis() <= 86_400_000 {
			c := cs[r.IntN(len(cs))]
			mins := candles(t, m, p.Name(), cc.Interval1m, c.OpenTime, c.CloseTime+1, far)
			if got := cc.Aggregate(mins); got != c {
				t.Fatalf("%s %s at %d: candle %+v is not the aggregate of its minutes %+v", p.Name(), iv, c.OpenTime, c, got)
			}
		}
	}
}
