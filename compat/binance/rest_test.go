package binance_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/adshao/go-binance/v2/common"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/compat/compattest"
)

var pairs = []cc.Pair{{Base: "BTC", Quote: "USDT", Price: 50000}, {Base: "ETH", Quote: "USDT", Price: 3000}}

// each runs f for every market kind against both the in-process server and
// the real binary.
func each(t *testing.T, f func(t *testing.T, m market, c client)) {
	for _, m := range markets {
		for _, target := range compattest.Targets {
			t.Run(m.name+"/"+target.Name, func(t *testing.T) {
				srv := target.Start(t, m.exchange, compattest.Options{Pairs: pairs, Seed: 7})
				f(t, m, m.connect(t, srv))
			})
		}
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestPingAndServerTime(t *testing.T) {
	each(t, func(t *testing.T, m market, c client) {
		if err := c.ping(ctx(t)); err != nil {
			t.Fatalf("ping: %v", err)
		}
		before := time.Now().UnixMilli()
		st, err := c.serverTime(ctx(t))
		after := time.Now().UnixMilli()
		if err != nil {
			t.Fatalf("server time: %v", err)
		}
		if st < before-1000 || st > after+1000 {
			t.Errorf("server time %d is not now (between %d and %d)", st, before, after)
		}
	})
}

func TestKlinesWithoutStartOrEndEndAtTheCandleInProgress(t *testing.T) {
	each(t, func(t *testing.T, m market, c client) {
		for _, limit := range []int{0, 1, 100, m.maxLimit} {
			before := time.Now()
			ks, err := c.klines(ctx(t), kq{symbol: "BTCUSDT", interval: "1m", limit: limit})
			after := time.Now()
			if err != nil {
				t.Fatalf("klines limit=%d: %v", limit, err)
			}
			want := limit
			if want == 0 {
				want = 500 // Binance's default
			}
			if len(ks) != want {
				t.Fatalf("klines limit=%d: got %d rows, want %d", limit, len(ks), want)
			}
			compattest.CheckSeries(t, bars(t, ks), cc.Interval1m)
			last := ks[len(ks)-1].open
			if last != compattest.CurrentOpen(cc.Interval1m, before) && last != compattest.CurrentOpen(cc.Interval1m, after) {
				t.Errorf("klines limit=%d: last row opens at %d, want the candle in progress (%d)", limit, last, compattest.CurrentOpen(cc.Interval1m, after))
			}
		}
	})
}

func TestKlinesWithStartAndEndAreExactlyThatWindow(t *testing.T) {
	each(t, func(t *testing.T, m market, c client) {
		now := time.Now()
		start := compattest.CurrentOpen(cc.Interval1m, now) - 2000*60_000
		end := start + 99*60_000
		ks, err := c.klines(ctx(t), kq{symbol: "BTCUSDT", interval: "1m", start: start, end: end})
		if err != nil {
			t.Fatalf("klines: %v", err)
		}
		if len(ks) != 100 || ks[0].open != start || ks[len(ks)-1].open != end {
			t.Fatalf("klines [%d, %d]: got %d rows, want 100 from %d to %d", start, end, len(ks), start, end)
		}
		compattest.CheckSeries(t, bars(t, ks), cc.Interval1m)

		// endTime alone counts back from endTime.
		ks, err = c.klines(ctx(t), kq{symbol: "BTCUSDT", interval: "1m", end: end, limit: 10})
		if err != nil {
			t.Fatalf("klines with endTime: %v", err)
		}
		if len(ks) != 10 || ks[len(ks)-1].open != end {
			t.Fatalf("klines endTime=%d limit=10: got %d rows ending at %d", end, len(ks), ks[len(ks)-1].open)
		}

		// startTime alone counts forward from startTime.
		ks, err = c.klines(ctx(t), kq{symbol: "BTCUSDT", interval: "1m", start: start, limit: 10})
		if err != nil {
			t.Fatalf("klines with startTime: %v", err)
		}
		if len(ks) != 10 || ks[0].open != start {
			t.Fatalf("klines startTime=%d limit=10: got %d rows starting at %d", start, len(ks), ks[0].open)
		}

		// The same window asked twice gives the same candles.
		a, err := c.klines(ctx(t), kq{symbol: "ETHUSDT", interval: "1h", start: start - 48*3_600_000, limit: 24})
		if err != nil {
			t.Fatal(err)
		}
		b, err := c.klines(ctx(t), kq{symbol: "ETHUSDT", interval: "1h", start: start - 48*3_600_000, limit: 24})
		if err != nil {
			t.Fatal(err)
		}
		if len(a) != 24 || len(b) != 24 {
			t.Fatalf("got %d and %d rows, want 24", len(a), len(b))
		}
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("row %d differs between two identical requests: %+v vs %+v", i, a[i], b[i])
			}
		}
	})
}

func TestKlinesPageForwardWithoutGapOrOverlap(t *testing.T) {
	each(t, func(t *testing.T, m market, c client) {
		const pages = 3
		now := time.Now()
		start := compattest.CurrentOpen(cc.Interval1m, now) - int64(pages*m.maxLimit+10)*60_000
		var all []compattest.Bar
		var prev []compattest.Bar
		next := start
		for p := range pages {
			ks, err := c.klines(ctx(t), kq{symbol: "BTCUSDT", interval: "1m", start: next, limit: m.maxLimit})
			if err != nil {
				t.Fatalf("page %d: %v", p, err)
			}
			if len(ks) != m.maxLimit {
				t.Fatalf("page %d from %d: got %d rows, want %d", p, next, len(ks), m.maxLimit)
			}
			page := bars(t, ks)
			if prev != nil {
				compattest.CheckJoin(t, prev, page, cc.Interval1m)
			}
			all = append(all, page...)
			prev = page
			next = ks[len(ks)-1].close + 1 // how go-binance users page
		}
		if all[0].Open != start {
			t.Errorf("first page starts at %d, want %d", all[0].Open, start)
		}
		compattest.CheckSeries(t, all, cc.Interval1m)

		// A limit over the maximum is clamped, as Binance does.
		ks, err := c.klines(ctx(t), kq{symbol: "BTCUSDT", interval: "1m", start: start, limit: m.maxLimit + 1})
		if err == nil && len(ks) > m.maxLimit {
			t.Errorf("limit %d gave %d rows, more than the maximum %d", m.maxLimit+1, len(ks), m.maxLimit)
		}
	})
}

func TestKlinesAreAlignedForEveryInterval(t *testing.T) {
	each(t, func(t *testing.T, m market, c client) {
		for _, name := range m.intervals {
			iv, err := cc.ParseInterval(name)
			if err != nil {
				t.Fatalf("interval %s: %v", name, err)
			}
			before := time.Now()
			ks, err := c.klines(ctx(t), kq{symbol: "BTCUSDT", interval: name, limit: 5})
			after := time.Now()
			if err != nil {
				t.Fatalf("klines %s: %v", name, err)
			}
			if len(ks) != 5 {
				t.Fatalf("klines %s limit=5: got %d rows", name, len(ks))
			}
			compattest.CheckSeries(t, bars(t, ks), iv)
			last := ks[len(ks)-1].open
			if last != compattest.CurrentOpen(iv, before) && last != compattest.CurrentOpen(iv, after) {
				t.Errorf("klines %s: last row opens at %d, want the candle in progress (%d)", name, last, compattest.CurrentOpen(iv, after))
			}
		}
		// Months and weeks from a fixed start.
		jan := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
		for _, iv := range []cc.Interval{cc.Interval1M, cc.Interval1w, cc.Interval3d} {
			ks, err := c.klines(ctx(t), kq{symbol: "BTCUSDT", interval: string(iv), start: jan, limit: 12})
			if err != nil {
				t.Fatalf("klines %s from 2025-01-01: %v", iv, err)
			}
			first := iv.Truncate(jan) // the first candle opening at or after startTime
			if first < jan {
				first = iv.Next(first)
			}
			if len(ks) != 12 || ks[0].open != first {
				t.Fatalf("klines %s from 2025-01-01: got %d rows, first at %d, want 12 from %d", iv, len(ks), ks[0].open, first)
			}
			compattest.CheckSeries(t, bars(t, ks), iv)
		}
	})
}

func TestExchangeInfoListsTheConfiguredPairs(t *testing.T) {
	each(t, func(t *testing.T, m market, c client) {
		nLimits, syms, err := c.exchangeInfo(ctx(t))
		if err != nil {
			t.Fatalf("exchangeInfo: %v", err)
		}
		if nLimits == 0 {
			t.Error("exchangeInfo has no rateLimits")
		}
		got := map[string]symbolInfo{}
		for _, s := range syms {
			got[s.symbol] = s
		}
		for _, p := range pairs {
			s, ok := got[p.Base+p.Quote]
			if !ok {
				t.Errorf("exchangeInfo lacks %s%s (has %d symbols)", p.Base, p.Quote, len(syms))
				continue
			}
			if s.base != p.Base || s.quote != p.Quote || s.status != "TRADING" {
				t.Errorf("%s: base %q quote %q status %q", s.symbol, s.base, s.quote, s.status)
			}
			if s.tickSize == "" || s.stepSize == "" {
				t.Errorf("%s: no PRICE_FILTER tickSize (%q) or LOT_SIZE stepSize (%q)", s.symbol, s.tickSize, s.stepSize)
			}
			if m.name == "futures" && s.contractType != "PERPETUAL" {
				t.Errorf("%s: contractType %q, want PERPETUAL", s.symbol, s.contractType)
			}
		}
		if m.name == "spot" {
			_, one, err := c.exchangeInfo(ctx(t), "ETHUSDT")
			if err != nil {
				t.Fatalf("exchangeInfo symbols=[ETHUSDT]: %v", err)
			}
			if len(one) != 1 || one[0].symbol != "ETHUSDT" {
				t.Errorf("exchangeInfo symbols=[ETHUSDT] gave %+v", one)
			}
		}
	})
}

func TestBadRequestsAreBinanceAPIErrors(t *testing.T) {
	each(t, func(t *testing.T, m market, c client) {
		for _, tc := range []struct {
			name string
			q    kq
			code int64
		}{
			{"an unknown symbol", kq{symbol: "NOPEUSDT", interval: "1m"}, -1121},
			{"an unknown interval", kq{symbol: "BTCUSDT", interval: "7m"}, -1120},
		} {
			_, err := c.klines(ctx(t), tc.q)
			var apiErr *common.APIError
			if !errors.As(err, &apiErr) {
				t.Errorf("%s: want *common.APIError, got %T %v", tc.name, err, err)
				continue
			}
			if apiErr.Code != tc.code || apiErr.Message == "" {
				t.Errorf("%s: got code %d msg %q, want code %d", tc.name, apiErr.Code, apiErr.Message, tc.code)
			}
		}
	})
}
