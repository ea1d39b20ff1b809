package kit

import (
	"sort"

	cc "github.com/candlecassette/candlecassette"
)

// BestFirst orders one side of a decoded book payload best first (desc:
// bids, highest first), as cc.Book and cc.BookDiff hold them: a price
// listed more than once keeps its last entry, as a client applying the
// payload's changes in order ends with. ls is sorted in place; the
// result shares it.
func BestFirst(ls []cc.BookLevel, desc bool) []cc.BookLevel {
	if len(ls) == 0 {
		return nil
	}
	sort.SliceStable(ls, func(i, j int) bool {
		c := ls[i].Price.Cmp(ls[j].Price)
		if desc {
			return c > 0
		}
		return c < 0
	})
	out := ls[:0]
	for _, l := range ls {
		if n := len(out); n > 0 && out[n-1].Price.Cmp(l.Price) == 0 {
			out[n-1] = l // the later entry at a price wins (the sort is stable)
			continue
		}
		out = append(out, l)
	}
	return out
}

// Levels reads [[price, size, ...], ...] rows (strings or numbers; any
// field past the size is ignored) into levels in the payload's order;
// ok is false for a row of fewer than two fields.
func Levels(rows [][]cc.Decimal) (ls []cc.BookLevel, ok bool) {
	if len(rows) == 0 {
		return nil, true
	}
	ls = make([]cc.BookLevel, len(rows))
	for i, r := range rows {
		if len(r) < 2 {
			return nil, false
		}
		ls[i] = cc.BookLevel{Price: r[0], Size: r[1]}
	}
	return ls, true
}
