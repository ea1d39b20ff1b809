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

// NumberByMillis gives ts (oldest first, times in whole milliseconds) ids
// for an exchange that sends none (MEXC): the trades of one millisecond
// ms get ms×1000+1000−n … ms×1000+999, the last of them 999, so that two
// payloads holding the same millisecond's trades number them alike, and a
// latest-trades page cut inside its oldest millisecond (which keeps that
// millisecond's last trades) does too. More than 1000 trades in one
// millisecond share the lowest id.
func NumberByMillis(ts []cc.Trade) {
	for i := 0; i < len(ts); {
		ms := ts[i].Millis()
		j := i
		for j < len(ts) && ts[j].Millis() == ms {
			j++
		}
		for k := i; k < j; k++ {
			ts[k].ID = ms*1000 + 999 - int64(min(j-1-k, 999))
			ts[k].AggID = ts[k].ID
		}
		i = j
	}
}
