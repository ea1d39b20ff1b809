package kit

import cc "github.com/candlecassette/candlecassette"

// SampleTrades are n trades of a made-up tape for the decoders' round-trip
// tests: consecutive ids from first, aggregates of one to three prints
// sharing a time, price and side, both sides, prices and sizes of several
// scales, and times with sub-millisecond microseconds (which a
// millisecond encoder drops: compare with MillisOnly).
func SampleTrades(first int64, n int) []cc.Trade {
	out := make([]cc.Trade, 0, n)
	t := int64(1_780_000_000_123_456) // µs
	price := int64(6_543_210)         // 65432.10
	for i := 0; i < n; {
		agg := first + int64(i)
		k := 1 + i%3
		bm := (i/3)%2 == 1
		price += int64(i%7) - 3
		for j := 0; j < k && i < n; j++ {
			out = append(out, cc.Trade{
				ID: first + int64(i), AggID: agg, Time: t,
				Price:      cc.NewDecimal(price, 2),
				Size:       cc.NewDecimal(int64(1+i*37%1000), 3+i%3),
				BuyerMaker: bm,
			})
			i++
		}
		t += 1_234_567
	}
	return out
}

// MillisOnly is ts with each time cut to its millisecond, as a
// millisecond encoder writes it and its decoder reads it back.
func MillisOnly(ts []cc.Trade) []cc.Trade {
	out := append([]cc.Trade(nil), ts...)
	for i := range out {
		out[i].Time = out[i].Millis() * 1000
	}
	return out
}

// OwnAggIDs is ts with each AggID its own ID: what a decoder of an
// exchange whose prints name no aggregate gives.
func OwnAggIDs(ts []cc.Trade) []cc.Trade {
	out := append([]cc.Trade(nil), ts...)
	for i := range out {
		out[i].AggID = out[i].ID
	}
	return out
}

// SameTrades reports the first index at which got and want differ (price
// and size compared by value, not scale), or -1.
func SameTrades(got, want []cc.Trade) int {
	for i := range max(len(got), len(want)) {
		if i >= len(got) || i >= len(want) {
			return i
		}
		g, w := got[i], want[i]
		if g.ID != w.ID || g.AggID != w.AggID || g.Time != w.Time || g.BuyerMaker != w.BuyerMaker ||
			g.Price.Cmp(w.Price) != 0 || g.Size.Cmp(w.Size) != 0 {
			return i
		}
	}
	return -1
}
