// Package booktest is a small deterministic cc.Books for the plugins'
// book-stream tests, and the client-side checks those tests share.
//
// Fake's book changes every Quantum of virtual time: each price level's
// size holds for a few quanta (its own period) and then changes or
// empties, and the mid wanders a few ticks, so every stream sees levels
// added, resized and removed, and the top levels move. It models Levels
// levels a side around Mid. It is safe for concurrent use (it keeps no
// state).
package booktest

import (
	"context"
	"errors"
	"fmt"

	cc "github.com/candlecassette/candlecassette"
)

// ErrSymbol is the Fake's error for a symbol it does not know.
var ErrSymbol = errors.New("booktest: unknown symbol")

// Fake is a deterministic cc.Books. Its zero value is not usable: set
// Mid, Tick and SizeScale (the size's decimals).
type Fake struct {
	Symbols   []string // nil: any symbol
	Mid       cc.Decimal
	Tick      cc.Decimal // price step between levels (Mid's scale)
	SizeScale int
	Levels    int   // a side; 0 means 1000
	Quantum   int64 // µs between changes; 0 means 10 000 (10 ms)
}

var _ cc.Books = (*Fake)(nil)

func (f *Fake) quantum() int64 {
	if f.Quantum > 0 {
		return f.Quantum
	}
	return 10_000
}

func (f *Fake) levels() int {
	if f.Levels > 0 {
		return f.Levels
	}
	return 1000
}

func (f *Fake) known(sym string) bool {
	if f.Symbols == nil {
		return true
	}
	for _, s := range f.Symbols {
		if s == sym {
			return true
		}
	}
	return false
}

func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	return x ^ x>>33
}

// offset is how many ticks the mid is off Mid at quantum k: a slow
// zigzag of ±6 ticks.
func offset(k int64) int64 {
	p := (k / 40) % 24
	if p < 12 {
		return p - 6
	}
	return 18 - p
}

// size is the size at price index i (in ticks from Mid) at quantum k; 0:
// no level there.
func (f *Fake) size(i, k int64) int64 {
	h := mix(uint64(i) * 0x9e3779b97f4a7c15)
	period := int64(h%37) + 3
	phase := int64(h>>8) % period
	epoch := (k + phase) / period
	v := mix(h ^ uint64(epoch)*0x2545f4914f6cdd1d)
	if v%6 == 0 {
		return 0
	}
	return int64(v>>16)%50000 + 1
}

// Book implements cc.Books: the book at the start of at's quantum.
func (f *Fake) Book(ctx context.Context, symbol string, at int64, depth int) (cc.Book, error) {
	if !f.known(symbol) {
		return cc.Book{}, fmt.Errorf("%w: %s", ErrSymbol, symbol)
	}
	return f.book(at/f.quantum(), at, depth), nil
}

func (f *Fake) book(k, at int64, depth int) cc.Book {
	n := f.levels()
	if depth <= 0 || depth > n {
		depth = n
	}
	b := cc.Book{Time: at, Seq: k + 1}
	mid := offset(k)
	scale := int(f.Tick.Scale)
	mu := f.Mid.Rescale(scale).Units
	tu := f.Tick.Units
	// Bids at mid-1, mid-2, ... ticks; asks at mid+1, ...: n price
	// indexes a side, some empty.
	for j := int64(1); j <= int64(n) && len(b.Bids) < depth; j++ {
		i := mid - j
		if s := f.size(i, k); s > 0 {
			b.Bids = append(b.Bids, cc.BookLevel{Price: cc.NewDecimal(mu+i*tu, scale), Size: cc.NewDecimal(s, f.SizeScale)})
		}
	}
	for j := int64(1); j <= int64(n) && len(b.Asks) < depth; j++ {
		i := mid + j
		if s := f.size(i, k); s > 0 {
			b.Asks = append(b.Asks, cc.BookLevel{Price: cc.NewDecimal(mu+i*tu, scale), Size: cc.NewDecimal(s, f.SizeScale)})
		}
	}
	return b
}

// Diffs implements cc.Books.
func (f *Fake) Diffs(ctx context.Context, symbol string, from, to, step int64, depth int) ([]cc.BookDiff, error) {
	if !f.known(symbol) {
		return nil, fmt.Errorf("%w: %s", ErrSymbol, symbol)
	}
	if step <= 0 {
		return nil, errors.New("booktest: step must be positive")
	}
	q := f.quantum()
	var out []cc.BookDiff
	t := from
	prev := f.book(t/q, t, depth)
	for t += step; t <= to; t += step {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		cur := f.book(t/q, t, depth)
		if cur.Seq != prev.Seq {
			d := Diff(prev, cur)
			if len(d.Bids)+len(d.Asks) > 0 {
				out = append(out, d)
			}
		}
		prev = cur
	}
	return out, nil
}

// Diff is the change from a to b: the levels whose size differs (0 for
// those b lacks), best first.
func Diff(a, b cc.Book) cc.BookDiff {
	return cc.BookDiff{Time: b.Time, FirstSeq: a.Seq + 1, LastSeq: b.Seq,
		Bids: diffSide(a.Bids, b.Bids, true), Asks: diffSide(a.Asks, b.Asks, false)}
}

func diffSide(a, b []cc.BookLevel, desc bool) []cc.BookLevel {
	var out []cc.BookLevel
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		var c int
		switch {
		case i == len(a):
			c = 1
		case j == len(b):
			c = -1
		default:
			c = a[i].Price.Cmp(b[j].Price)
			if desc {
				c = -c
			}
		}
		switch {
		case c < 0:
			out = append(out, cc.BookLevel{Price: a[i].Price, Size: cc.NewDecimal(0, int(a[i].Size.Scale))})
			i++
		case c > 0:
			out = append(out, b[j])
			j++
		default:
			if a[i].Size.Cmp(b[j].Size) != 0 {
				out = append(out, b[j])
			}
			i++
			j++
		}
	}
	return out
}

// Check reports what is wrong with b as a book: prices out of order on a
// side, a zero or negative size, or a crossed book.
func Check(b cc.Book) error {
	for side, lv := range [][]cc.BookLevel{b.Bids, b.Asks} {
		for i, l := range lv {
			if l.Size.Units <= 0 {
				return fmt.Errorf("booktest: side %d level %d (%s) has size %s", side, i, l.Price, l.Size)
			}
			if i > 0 {
				c := l.Price.Cmp(lv[i-1].Price)
				if side == 0 && c >= 0 || side == 1 && c <= 0 {
					return fmt.Errorf("booktest: side %d level %d: price %s after %s", side, i, l.Price, lv[i-1].Price)
				}
			}
		}
	}
	if len(b.Bids) > 0 && len(b.Asks) > 0 && b.Bids[0].Price.Cmp(b.Asks[0].Price) >= 0 {
		return fmt.Errorf("booktest: crossed book: bid %s ask %s", b.Bids[0].Price, b.Asks[0].Price)
	}
	return nil
}

// Same reports the first difference between the levels of a and b
// (prices and sizes compared as numbers), or nil.
func Same(a, b cc.Book) error {
	for side, p := range [][2][]cc.BookLevel{{a.Bids, b.Bids}, {a.Asks, b.Asks}} {
		x, y := p[0], p[1]
		if len(x) != len(y) {
			return fmt.Errorf("booktest: side %d: %d levels, want %d", side, len(x), len(y))
		}
		for i := range x {
			if x[i].Price.Cmp(y[i].Price) != 0 || x[i].Size.Cmp(y[i].Size) != 0 {
				return fmt.Errorf("booktest: side %d level %d: %s@%s, want %s@%s", side, i, x[i].Size, x[i].Price, y[i].Size, y[i].Price)
			}
		}
	}
	return nil
}
