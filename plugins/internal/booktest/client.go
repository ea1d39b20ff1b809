package booktest

import (
	"fmt"
	"slices"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// Client is a book as a WS client keeps it: each side a map from the
// price string received to the size string, a level replaced by the
// next one at its price and removed by a zero size. It is written apart
// from the server's book code (kit.ApplyBookDiff) so the two check each
// other.
type Client struct {
	Bids, Asks map[string]level
	cache      [2][]*level // sorted sides (bids, asks); nil when stale
}

type level struct {
	px, sz string
	p, s   cc.Decimal
}

// NewClient is an empty book.
func NewClient() *Client {
	return &Client{Bids: map[string]level{}, Asks: map[string]level{}}
}

// Set applies one level; a size that parses as zero removes it.
func (c *Client) Set(bid bool, px, sz string) error {
	s := c.Asks
	if bid {
		s = c.Bids
	}
	d, err := cc.ParseDecimal(sz)
	if err != nil {
		return err
	}
	p, err := cc.ParseDecimal(px)
	if err != nil {
		return err
	}
	if bid {
		c.cache[0] = nil
	} else {
		c.cache[1] = nil
	}
	if d.IsZero() {
		delete(s, px)
	} else {
		s[px] = level{px, sz, p, d}
	}
	return nil
}

func (c *Client) sorted(bid bool) []*level {
	s, k := c.Asks, 1
	if bid {
		s, k = c.Bids, 0
	}
	if c.cache[k] != nil {
		return c.cache[k]
	}
	out := make([]*level, 0, len(s))
	for _, l := range s {
		out = append(out, &l)
	}
	slices.SortFunc(out, func(x, y *level) int {
		if bid {
			return y.p.Cmp(x.p)
		}
		return x.p.Cmp(y.p)
	})
	c.cache[k] = out
	return out
}

// Crossed reports a crossed book (best bid at or above best ask), found
// without sorting.
func (c *Client) Crossed() error {
	var bid, ask *level
	for _, l := range c.Bids {
		if bid == nil || l.p.Cmp(bid.p) > 0 {
			bid = &l
		}
	}
	for _, l := range c.Asks {
		if ask == nil || l.p.Cmp(ask.p) < 0 {
			ask = &l
		}
	}
	if bid != nil && ask != nil && bid.p.Cmp(ask.p) >= 0 {
		return fmt.Errorf("booktest: crossed book: bid %s ask %s", bid.px, ask.px)
	}
	return nil
}

// Levels are a side's [price, size] strings, best first.
func (c *Client) Levels(bid bool) [][2]string {
	ls := c.sorted(bid)
	out := make([][2]string, len(ls))
	for i, l := range ls {
		out[i] = [2]string{l.px, l.sz}
	}
	return out
}

// Book is the client's book as decimals, each side cut to depth (0: all).
func (c *Client) Book(depth int) cc.Book {
	var b cc.Book
	for _, bid := range []bool{true, false} {
		ls := c.sorted(bid)
		if depth > 0 && len(ls) > depth {
			ls = ls[:depth]
		}
		out := make([]cc.BookLevel, len(ls))
		for i, l := range ls {
			out[i] = cc.BookLevel{Price: l.p, Size: l.s}
		}
		if bid {
			b.Bids = out
		} else {
			b.Asks = out
		}
	}
	return b
}

// Scale multiplies every size of b by 10^e (a perpetual's contracts to
// base units and back), exactly.
func Scale(b cc.Book, e int) cc.Book {
	f := func(ls []cc.BookLevel) []cc.BookLevel {
		out := make([]cc.BookLevel, len(ls))
		for i, l := range ls {
			s := l.Size
			for k := e; k > 0; k-- {
				s.Units *= 10
			}
			for k := e; k < 0; k++ {
				s.Scale++
			}
			out[i] = cc.BookLevel{Price: l.Price, Size: s}
		}
		return out
	}
	b.Bids, b.Asks = f(b.Bids), f(b.Asks)
	return b
}

// Env serves m (a synthetic market: candles, feed, tape, touch) with
// books on clock, for pairs spelled by p.
func Env(p plugins.Plugin, m interface {
	cc.Market
	cc.Tape
	cc.Quoter
}, clock *cc.Clock, pairs []cc.Pair, books cc.Books) *plugins.Env {
	ps := make([]cc.Pair, len(pairs))
	for i, pr := range pairs {
		pr.Symbol = p.Symbol(pr)
		ps[i] = pr
	}
	return &plugins.Env{
		Market: m, Feed: &cc.MarketFeed{Market: m, Clock: clock}, Clock: clock,
		Tape: m, Quotes: m, Books: books, Pairs: ps, Hub: plugins.NewHub(),
	}
}

// Steps counts what a sync saw, for a test's final check.
type Steps struct {
	Snapshots, Updates, Levels int
	First, Last                int64 // µs of the first and last book
}

// Long reports whether the sync covered at least span µs with at least
// min updates.
func (s Steps) Long(span int64, min int) error {
	if s.Updates < min || s.Last-s.First < span {
		return fmt.Errorf("booktest: %d snapshots and %d updates (%d levels) over %d µs, want %d updates over %d µs", s.Snapshots, s.Updates, s.Levels, s.Last-s.First, min, span)
	}
	return nil
}
