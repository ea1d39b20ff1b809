package booktest

import (
	"fmt"
	"sort"

	cc "github.com/candlecassette/candlecassette"
)

// Local is written apart from kit.ApplyBookDiff (a map by price, sorted
// when read) so that a test's client does not share the server's code.

func key(p cc.Decimal) int64 { return p.Rescale(10).Units }

func sortSide(ls []cc.BookLevel, bids bool) {
	sort.Slice(ls, func(i, j int) bool {
		c := ls[i].Price.Cmp(ls[j].Price)
		if bids {
			return c > 0
		}
		return c < 0
	})
}

// Local is a client's copy of a book: levels by price a side, and the
// update id it has reached.
type Local struct {
	Seq        int64
	bids, asks map[int64]cc.BookLevel
}

// NewLocal is a copy of b.
func NewLocal(b cc.Book) *Local {
	l := &Local{Seq: b.Seq, bids: map[int64]cc.BookLevel{}, asks: map[int64]cc.BookLevel{}}
	for _, x := range b.Bids {
		l.Set(true, x.Price, x.Size)
	}
	for _, x := range b.Asks {
		l.Set(false, x.Price, x.Size)
	}
	return l
}

// Set puts size at price on a side; zero removes the level.
func (l *Local) Set(bid bool, price, size cc.Decimal) {
	m := l.asks
	if bid {
		m = l.bids
	}
	if size.IsZero() {
		delete(m, key(price))
		return
	}
	m[key(price)] = cc.BookLevel{Price: price, Size: size}
}

// Book is the copy as a cc.Book, at most depth levels a side (0: all).
func (l *Local) Book(depth int) cc.Book {
	b := cc.Book{Seq: l.Seq}
	for _, x := range l.bids {
		b.Bids = append(b.Bids, x)
	}
	for _, x := range l.asks {
		b.Asks = append(b.Asks, x)
	}
	sortSide(b.Bids, true)
	sortSide(b.Asks, false)
	if depth > 0 {
		b.Bids, b.Asks = b.Bids[:min(depth, len(b.Bids))], b.Asks[:min(depth, len(b.Asks))]
	}
	return b
}

// Truncate drops the levels beyond depth a side, as a client of a
// depth-limited stream does.
func (l *Local) Truncate(depth int) {
	b := l.Book(depth)
	*l = *NewLocal(b)
}

// Check reports a crossed or empty book.
func (l *Local) Check() error {
	if len(l.bids) == 0 || len(l.asks) == 0 {
		return fmt.Errorf("book at %d has an empty side: %d bids, %d asks", l.Seq, len(l.bids), len(l.asks))
	}
	var bid, ask cc.Decimal
	first := true
	for _, x := range l.bids {
		if first || x.Price.Cmp(bid) > 0 {
			bid, first = x.Price, false
		}
	}
	first = true
	for _, x := range l.asks {
		if first || x.Price.Cmp(ask) < 0 {
			ask, first = x.Price, false
		}
	}
	if bid.Cmp(ask) >= 0 {
		return fmt.Errorf("book at %d is crossed: bid %s ask %s", l.Seq, bid, ask)
	}
	return nil
}

// Equal reports how the copy's top depth levels a side differ from want's
// (0: all levels).
func (l *Local) Equal(want cc.Book, depth int) error {
	if depth == 0 {
		// The whole book: the same levels by price, without sorting.
		for _, side := range []struct {
			name string
			have map[int64]cc.BookLevel
			want []cc.BookLevel
		}{{"bids", l.bids, want.Bids}, {"asks", l.asks, want.Asks}} {
			if len(side.have) != len(side.want) {
				return fmt.Errorf("seq %d: %d %s, want %d", l.Seq, len(side.have), side.name, len(side.want))
			}
			for _, w := range side.want {
				g, ok := side.have[key(w.Price)]
				if !ok || g.Size.Cmp(w.Size) != 0 {
					return fmt.Errorf("seq %d: %s at %s: %s, want %s", l.Seq, side.name, w.Price, g.Size, w.Size)
				}
			}
		}
		return nil
	}
	got := l.Book(depth)
	cut := func(ls []cc.BookLevel) []cc.BookLevel {
		if depth > 0 && len(ls) > depth {
			return ls[:depth]
		}
		return ls
	}
	for _, side := range []struct {
		name      string
		got, want []cc.BookLevel
	}{{"bids", cut(got.Bids), cut(want.Bids)}, {"asks", cut(got.Asks), cut(want.Asks)}} {
		if len(side.got) != len(side.want) {
			return fmt.Errorf("seq %d: %d %s, want %d", got.Seq, len(side.got), side.name, len(side.want))
		}
		for i := range side.got {
			g, w := side.got[i], side.want[i]
			if g.Price.Cmp(w.Price) != 0 || g.Size.Cmp(w.Size) != 0 {
				return fmt.Errorf("seq %d: %s[%d] %s@%s, want %s@%s", got.Seq, side.name, i, g.Size, g.Price, w.Size, w.Price)
			}
		}
	}
	return nil
}
