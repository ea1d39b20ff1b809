package kit_test

import (
	"context"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
	"github.com/candlecassette/candlecassette/synth"
)

func TestSpan(t *testing.T) {
	m := synth.New(synth.Options{Pairs: []cc.Pair{{Base: "BTC", Quote: "USDT", Price: 50000, Symbol: "X"}}})
	now := time.Date(2026, 1, 1, 12, 30, 30, 0, time.UTC).UnixMilli()
	open := cc.Interval1m.Truncate(now)
	ctx := context.Background()
	cases := []struct {
		name           string
		from, to       int64
		limit          int
		fromStart      bool
		first, n       int64
		lastInProgress bool
	}{
		{"inclusive bounds", open - 600000, open - 300000, 0, true, open - 600000, 6, false},
		{"unaligned from rounds up", open - 600000 + 1, open - 300000, 0, true, open - 540000, 5, false},
		{"clamped at now", open - 120000, now + 3600000, 0, true, open - 120000, 3, true},
		{"limit from the start", open - 600000, now, 4, true, open - 600000, 4, false},
		{"limit from the end", 0, now, 4, false, open - 180000, 4, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cs, err := kit.Span(ctx, m, "X", cc.Interval1m, tc.from, tc.to, now, tc.limit, tc.fromStart)
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(cs)) != tc.n || cs[0].OpenTime != tc.first {
				t.Fatalf("%d candles from %d, want %d from %d", len(cs), cs[0].OpenTime, tc.n, tc.first)
			}
			if last := cs[len(cs)-1]; last.Closed == tc.lastInProgress {
				t.Errorf("last candle closed %v", last.Closed)
			}
		})
	}
	if cs, err := kit.Span(ctx, m, "X", cc.Interval1m, now+60000, now+120000, now, 0, true); err != nil || len(cs) != 0 {
		t.Errorf("a future range gave %d candles, %v", len(cs), err)
	}
}

func TestNumbers(t *testing.T) {
	for _, tc := range []struct {
		price      float64
		dec        int
		size, tick string
	}{
		{50000, 2, "0.0001", "0.01"},
		{3000, 3, "0.001", "0.001"},
		{0.6, 7, "10", "0.0000001"},
		{0, 4, "0.1", "0.0001"},
	} {
		if got := kit.PriceDecimals(tc.price); got != tc.dec {
			t.Errorf("PriceDecimals(%v) = %d, want %d", tc.price, got, tc.dec)
		}
		if got := kit.ContractSize(tc.price).String(); got != tc.size {
			t.Errorf("ContractSize(%v) = %s, want %s", tc.price, got, tc.size)
		}
		if got := kit.Pow10(tc.dec); got != tc.tick {
			t.Errorf("Pow10(%d) = %s, want %s", tc.dec, got, tc.tick)
		}
	}
	if got := kit.Contracts(cc.MustDecimal("0.02345"), cc.MustDecimal("0.0001")); got != 235 {
		t.Errorf("Contracts = %d", got)
	}
	if d, err := kit.LenientDecimal("233.740269343644737245"); err != nil || d.String() != "233.7402693436" {
		t.Errorf("LenientDecimal of 21 digits = %s, %v", d, err)
	}
	if d, err := kit.LenientDecimal("42.10"); err != nil || d.String() != "42.10" {
		t.Errorf("LenientDecimal keeps exact input: %s, %v", d, err)
	}
	if _, err := kit.LenientDecimal("x"); err == nil {
		t.Error("LenientDecimal accepted x")
	}
	if got := kit.Trim(cc.MustDecimal("42000.100")); got != "42000.1" {
		t.Errorf("Trim = %s", got)
	}
}

func TestScalesFollowTheMarketsDecimals(t *testing.T) {
	m := synth.New(synth.Options{Pairs: []cc.Pair{
		{Base: "BTC", Quote: "USDT", Price: 50000, Symbol: "BTC"},
		{Base: "XRP", Quote: "USDT", Price: 0.6, Symbol: "XRP"},
	}})
	now := time.Date(2026, 1, 1, 12, 30, 30, 0, time.UTC).UnixMilli()
	ctx := context.Background()
	for _, sym := range []string{"BTC", "XRP"} {
		price, qty := kit.Scales(ctx, m, sym, now)
		cs, err := m.Candles(ctx, sym, cc.Interval1m, cc.Interval1m.Truncate(now), now, now)
		if err != nil || len(cs) != 1 {
			t.Fatalf("%s: %v %v", sym, cs, err)
		}
		if c := cs[0]; price < int(c.Close.Scale) || qty < int(c.Volume.Scale) || price == 0 {
			t.Errorf("%s: scales %d/%d below the candle's %d/%d", sym, price, qty, c.Close.Scale, c.Volume.Scale)
		}
	}
	if p, q := kit.Scales(ctx, m, "NOPE", now); p != 2 || q != 6 {
		t.Errorf("an unknown symbol gives %d/%d, want the 2/6 guess", p, q)
	}
}

// Through is where cc.WindowStats' figures end, and Touch the quoter's
// touch at the instant asked or, without one, the last price and a tick
// above; TouchAt's fallback is a tick either side.
func TestThroughAndTouch(t *testing.T) {
	m := synth.New(synth.Options{Pairs: []cc.Pair{{Base: "BTC", Quote: "USDT", Price: 50000, Symbol: "X"}}})
	ctx := context.Background()
	for _, now := range []int64{1_700_000_000_000, 1_700_000_000_001, 1_700_000_000_998, 1_700_000_000_999} {
		st, err := cc.WindowStats(ctx, m, nil, "X", now-60_000, now)
		if err != nil {
			t.Fatal(err)
		}
		if got := kit.Through(now); got != st.Through {
			t.Errorf("Through(%d) = %d, WindowStats' %d", now, got, st.Through)
		}
	}
	if kit.Through(1_700_000_000_998) != 1_700_000_000_000 || kit.Through(1_700_000_000_999) != 1_700_000_001_000 {
		t.Errorf("Through is not the first second not closed")
	}
	at := int64(1_700_000_000_000_000)
	want, err := m.Touch(ctx, "X", at)
	if err != nil {
		t.Fatal(err)
	}
	last := cc.NewDecimal(5_000_012, 2)
	if got, err := kit.Touch(ctx, &plugins.Env{Quotes: m}, "X", last, at); err != nil || got != want {
		t.Errorf("Touch %+v (%v), quoter's %+v", got, err, want)
	}
	if got, err := kit.TouchAt(ctx, &plugins.Env{Quotes: m}, "X", last, at); err != nil || got != want {
		t.Errorf("TouchAt %+v (%v), quoter's %+v", got, err, want)
	}
	// A quoter's failure is the answer's, not a made-up touch.
	if _, err := kit.TouchAt(ctx, &plugins.Env{Quotes: m}, "NOPE", last, at); err == nil {
		t.Errorf("TouchAt of a symbol the quoter does not know: no error")
	}
	if _, err := kit.Touch(ctx, &plugins.Env{Quotes: m}, "NOPE", last, at); err == nil {
		t.Errorf("Touch of a symbol the quoter does not know: no error")
	}
	one := cc.NewDecimal(1, 0)
	if got, err := kit.Touch(ctx, &plugins.Env{}, "X", last, at); err != nil ||
		got != (cc.Touch{Time: at, Bid: last, BidSize: one, Ask: cc.NewDecimal(5_000_013, 2), AskSize: one}) {
		t.Errorf("Touch without a quoter: %+v (%v)", got, err)
	}
	if got, err := kit.TouchAt(ctx, &plugins.Env{}, "X", last, at); err != nil || got != (cc.Touch{Time: at, Bid: cc.NewDecimal(5_000_011, 2), BidSize: one, Ask: cc.NewDecimal(5_000_013, 2), AskSize: one}) {
		t.Errorf("TouchAt without a quoter: %+v (%v)", got, err)
	}
}
