package hyperliquid_test

import (
	"context"
	"encoding/json"
	"math"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/booktest"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

var bookBase = time.Date(2025, 5, 6, 15, 0, 0, 0, time.UTC)

type l2 struct {
	Coin   string
	Time   int64
	Levels [2][]struct {
		Px, Sz string
		N      int
	}
}

func (m l2) book(t *testing.T) cc.Book {
	t.Helper()
	b := cc.Book{Time: m.Time * 1000}
	for side, ls := range m.Levels {
		for _, l := range ls {
			px, err1 := cc.ParseDecimal(l.Px)
			sz, err2 := cc.ParseDecimal(l.Sz)
			if err1 != nil || err2 != nil || l.N < 1 {
				t.Fatalf("level %+v", l)
			}
			if side == 0 {
				b.Bids = append(b.Bids, cc.BookLevel{Price: px, Size: sz})
			} else {
				b.Asks = append(b.Asks, cc.BookLevel{Price: px, Size: sz})
			}
		}
	}
	return b
}

// l2Book by POST /info is the market's top 20 at the grid instant, and
// nSigFigs sums the market's levels into buckets of that many figures.
func TestInfoL2BookIsTheMarketsTop(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ id, coin string }{{"hyperliquid_perpetual", "BTC"}, {"hyperliquid_spot", "@142"}} {
		s := replaytest.Start(t, tc.id, nil, replaytest.Clock(bookBase, 1e-9))
		sym := s.Env.Pairs[0].Symbol
		var m l2
		status, body := s.Post(t, "/info", `{"type":"l2Book","coin":"`+tc.coin+`"}`)
		if err := json.Unmarshal(body, &m); err != nil || status != 200 || m.Coin != tc.coin {
			t.Fatalf("%s: %d %s", tc.id, status, body)
		}
		got := m.book(t)
		want, _ := s.Env.Books.Book(ctx, sym, bookBase.UnixMicro()/100_000*100_000, 20)
		if got.Time != want.Time || len(got.Bids) != 20 || len(got.Asks) != 20 {
			t.Fatalf("%s: book at %d (%d, %d levels), want %d", tc.id, got.Time, len(got.Bids), len(got.Asks), want.Time)
		}
		if err := booktest.Same(got, want); err != nil {
			t.Fatalf("%s: %v", tc.id, err)
		}
		// Five figures: buckets of 10^(integer digits - 5).
		status, body = s.Post(t, "/info", `{"type":"l2Book","coin":"`+tc.coin+`","nSigFigs":5}`)
		json.Unmarshal(body, &m)
		agg := m.book(t)
		full, _ := s.Env.Books.Book(ctx, sym, want.Time, 0)
		if status != 200 || len(agg.Bids) == 0 || booktest.Check(agg) != nil {
			t.Fatalf("%s nSigFigs 5: %d %s", tc.id, status, body)
		}
		width := math.Pow(10, math.Floor(math.Log10(full.Bids[0].Price.Float64()))+1-5)
		if len(agg.Bids) != 20 {
			t.Fatalf("%s nSigFigs 5: %d buckets", tc.id, len(agg.Bids))
		}
		for i, b := range agg.Bids[:len(agg.Bids)-1] { // the last bucket may be cut by the book's depth
			sum := cc.Decimal{}
			for _, l := range full.Bids {
				if p := l.Price.Float64(); p >= b.Price.Float64() && p < b.Price.Float64()+width {
					sum = sum.Add(l.Size)
				}
			}
			if sum.Cmp(b.Size) != 0 {
				t.Fatalf("%s bucket %d at %s: %s, the market's levels sum to %s", tc.id, i, b.Price, b.Size, sum)
			}
		}
		if full.Bids[0].Price.Float64() < agg.Bids[0].Price.Float64() || full.Bids[0].Price.Float64() >= agg.Bids[0].Price.Float64()+width {
			t.Fatalf("%s: best bid %s outside the first bucket %s+%f", tc.id, full.Bids[0].Price, agg.Bids[0].Price, width)
		}
		for _, bad := range []string{`"nSigFigs":1`, `"nSigFigs":6`, `"nSigFigs":4,"mantissa":2`} {
			status, body = s.Post(t, "/info", `{"type":"l2Book","coin":"`+tc.coin+`",`+bad+`}`)
			if status != 500 || string(body) != "null" {
				t.Fatalf("%s %s: %d %s", tc.id, bad, status, body)
			}
		}
	}
}

// The l2Book subscription pushes whole books, as Hyperliquid clients
// take them: each replaces the last, is the market's top 20 at its time,
// uncrossed, later than the one before, and equals the REST book of the
// same instant, over 12 s of market time.
func TestL2BookSubscriptionPushesTheMarketsTop(t *testing.T) {
	for _, tc := range []struct{ id, coin string }{{"hyperliquid_perpetual", "BTC"}, {"hyperliquid_spot", "@142"}} {
		t.Run(tc.id, func(t *testing.T) { testL2BookSubscription(t, tc.id, tc.coin) })
	}
}

func testL2BookSubscription(t *testing.T, id, coin string) {
	ctx := context.Background()
	s := replaytest.Start(t, id, nil, replaytest.Clock(bookBase, 10))
	sym := s.Env.Pairs[0].Symbol
	ws := s.Dial(t, "/ws")
	ws.Send(`{"method":"subscribe","subscription":{"type":"l2Book","coin":"` + coin + `"}}`)
	ack := ws.ReadJSON(5*time.Second, func(m map[string]any) bool { return true })
	if ack["channel"] != "subscriptionResponse" {
		t.Fatalf("ack %v", ack)
	}
	var start, prev int64
	pushes, matches := 0, 0
	for start == 0 || prev < start+12_000 {
		_, b := ws.Read(5 * time.Second)
		var m struct {
			Channel string
			Data    l2
		}
		if json.Unmarshal(b, &m) != nil || m.Channel != "l2Book" {
			continue
		}
		got := m.Data.book(t)
		if m.Data.Coin != coin || m.Data.Time <= prev {
			t.Fatalf("push %s after %d", b, prev)
		}
		want, _ := s.Env.Books.Book(ctx, sym, got.Time, 20)
		if err := booktest.Same(got, want); err != nil {
			t.Fatal(err)
		}
		if err := booktest.Check(got); err != nil {
			t.Fatal(err)
		}
		var rest l2
		_, body := s.Post(t, "/info", `{"type":"l2Book","coin":"`+coin+`"}`)
		json.Unmarshal(body, &rest)
		if r := rest.book(t); r.Time == got.Time {
			if err := booktest.Same(r, got); err != nil {
				t.Fatalf("REST at %d: %v", r.Time, err)
			}
			matches++
		}
		if start == 0 {
			start = m.Data.Time
		}
		prev = m.Data.Time
		pushes++
	}
	if pushes < 20 {
		t.Fatalf("%d pushes in 12 s", pushes)
	}
	if matches == 0 {
		t.Fatalf("no push at a REST book's instant in %d", pushes)
	}
}
