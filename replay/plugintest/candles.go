package plugintest

import (
	"context"
	"fmt"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// pickIntervals chooses the intervals the suite exercises: 1m, 1h and 1d
// when served, else the first three.
func pickIntervals(served []cc.Interval) []cc.Interval {
	var out []cc.Interval
	for _, want := range []cc.Interval{cc.Interval1m, cc.Interval1h, cc.Interval1d} {
		for _, iv := range served {
			if iv == want {
				out = append(out, iv)
			}
		}
	}
	if len(out) == 0 {
		out = served[:min(3, len(served))]
	}
	return out
}

func opensFrom(iv cc.Interval, first int64, n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = first
		first = iv.Next(first)
	}
	return out
}

func checkCandles(t *testing.T, h *harness) {
	d := h.p.Defaults()
	k := min(10, d.MaxLimit)
	sym := h.pairs[0].Symbol
	for _, iv := range pickIntervals(d.Intervals) {
		cur := iv.Truncate(h.now)
		t.Run(fmt.Sprintf("%s window ending with the candle in progress", iv), func(t *testing.T) {
			first := iv.Add(cur, 1-k)
			h.window(t, plugins.Query{Symbol: sym, Interval: iv, Start: first, End: cur, Limit: k}, opensFrom(iv, first, k))
		})
		t.Run(fmt.Sprintf("%s window in the past", iv), func(t *testing.T) {
			first := iv.Add(cur, -3*k)
			last := iv.Add(cur, -(2*k + 1))
			h.window(t, plugins.Query{Symbol: sym, Interval: iv, Start: first, End: last, Limit: k}, opensFrom(iv, first, k))
		})
		t.Run(fmt.Sprintf("%s pages from a start time join", iv), func(t *testing.T) {
			first := iv.Add(cur, -3*k)
			page1 := h.window(t, plugins.Query{Symbol: sym, Interval: iv, Start: first, Limit: k}, opensFrom(iv, first, k))
			if len(page1) == 0 {
				return
			}
			next := iv.Next(page1[len(page1)-1].OpenTime)
			page2 := h.window(t, plugins.Query{Symbol: sym, Interval: iv, Start: next, Limit: k}, opensFrom(iv, next, k))
			if len(page2) > 0 && page2[0].OpenTime != next {
				t.Errorf("page 2 starts at %d, want %d right after page 1", page2[0].OpenTime, next)
			}
		})
	}
}

// window asks for q, decodes the answer and checks it holds exactly the
// candles opening at want, equal to the Market's. It returns the candles
// of the window.
func (h *harness) window(t *testing.T, q plugins.Query, want []int64) []cc.Candle {
	t.Helper()
	req, err := h.p.CandlesRequest(q)
	if err != nil {
		t.Fatalf("CandlesRequest(%+v): %v", q, err)
	}
	status, body := h.do(t, req)
	if status < 200 || status >= 300 {
		t.Fatalf("%s: status %d: %.300s", req.URL, status, body)
	}
	set, err := h.p.DecodeCandles(req, body)
	if err != nil {
		t.Fatalf("DecodeCandles(%s): %v\n%.300s", req.URL, err, body)
	}
	if set.Interval != "" && set.Interval != q.Interval {
		t.Errorf("decoded interval %q, asked %q", set.Interval, q.Interval)
	}
	got := set.Candles
	checkSeries(t, q.Interval, got)
	li, ignores := h.p.(plugins.LimitIgnorer)
	if !(ignores && li.IgnoresLimit()) {
		if len(got) > q.Limit {
			t.Errorf("%d candles for limit %d", len(got), q.Limit)
		}
	} else {
		// Keep the window asked for out of the longer fixed page.
		var in []cc.Candle
		for _, c := range got {
			if c.OpenTime >= want[0] && c.OpenTime <= want[len(want)-1] {
				in = append(in, c)
			}
		}
		got = in
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d candles, want %d opening %d..%d", req.URL, len(got), len(want), want[0], want[len(want)-1])
	}
	market, err := h.srv.Env().Market.Candles(context.Background(), q.Symbol, q.Interval, want[0], q.Interval.Next(want[len(want)-1]), h.now)
	if err != nil || len(market) != len(want) {
		t.Fatalf("market: %d candles, %v", len(market), err)
	}
	for i, c := range got {
		if c.OpenTime != want[i] {
			t.Fatalf("candle %d opens at %d, want %d", i, c.OpenTime, want[i])
		}
		if diff := compare(c, market[i], q.Interval); diff != "" {
			t.Errorf("candle %d (open %d) differs from the market: %s", i, c.OpenTime, diff)
		}
	}
	return got
}

// checkSeries checks candles are aligned to iv, oldest first, contiguous.
func checkSeries(t *testing.T, iv cc.Interval, cs []cc.Candle) {
	t.Helper()
	for i, c := range cs {
		if iv.Truncate(c.OpenTime) != c.OpenTime {
			t.Errorf("candle %d opens at %d, not on a %s boundary", i, c.OpenTime, iv)
		}
		if i > 0 && c.OpenTime != iv.Next(cs[i-1].OpenTime) {
			t.Errorf("candle %d opens at %d after %d: gap, overlap or wrong order", i, c.OpenTime, cs[i-1].OpenTime)
		}
	}
}

// compare reports how a decoded candle differs from the market's. Prices
// must match exactly. A volume may differ by less than one unit of its
// last decoded decimal (rounded or truncated either way), because some
// exchanges count volume in whole contracts or lots. Fields an exchange
// does not carry (zero after decoding) are not compared.
func compare(got, want cc.Candle, iv cc.Interval) string {
	var diff string
	eq := func(name string, a, b cc.Decimal, optional, quantized bool) {
		if optional && a.IsZero() {
			return
		}
		if quantized && a.Scale < b.Scale {
			sc := int(b.Scale)
			d := a.Rescale(sc).Units - b.Units
			if step := cc.NewDecimal(1, int(a.Scale)).Rescale(sc).Units; d < step && -d < step {
				return
			}
		}
		if a.Cmp(b) != 0 {
			diff += fmt.Sprintf(" %s %s≠%s", name, a, b)
		}
	}
	eq("open", got.Open, want.Open, false, false)
	eq("high", got.High, want.High, false, false)
	eq("low", got.Low, want.Low, false, false)
	eq("close", got.Close, want.Close, false, false)
	eq("volume", got.Volume, want.Volume, false, true)
	eq("quoteVolume", got.QuoteVolume, want.QuoteVolume, true, true)
	eq("takerBuyBase", got.TakerBuyBase, want.TakerBuyBase, true, true)
	eq("takerBuyQuote", got.TakerBuyQuote, want.TakerBuyQuote, true, true)
	if got.Trades != 0 && got.Trades != want.Trades {
		diff += fmt.Sprintf(" trades %d≠%d", got.Trades, want.Trades)
	}
	if got.CloseTime != 0 && got.CloseTime != iv.CloseTime(got.OpenTime) {
		diff += fmt.Sprintf(" closeTime %d≠%d", got.CloseTime, iv.CloseTime(got.OpenTime))
	}
	return diff
}
