package cassettes_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
)

// walkCandles returns n consecutive closed 1m candles of a random walk
// from start, priced like BTCUSDT with exchange-like precision.
func walkCandles(n int, start int64, seed uint64) []cc.Candle {
	rng := rand.New(rand.NewPCG(seed, 1))
	price := int64(4_200_000) // 42000.00 at scale 2
	cs := make([]cc.Candle, n)
	for i := range cs {
		open := price
		hi, lo := open, open
		for range 4 {
			price += rng.Int64N(2001) - 1000
			hi, lo = max(hi, price), min(lo, price)
		}
		vol := rng.Int64N(50_000_000) + 1
		cs[i] = cc.Candle{
			OpenTime: start + int64(i)*60_000, CloseTime: start + int64(i)*60_000 + 59_999,
			Open: cc.NewDecimal(open, 2), High: cc.NewDecimal(hi, 2), Low: cc.NewDecimal(lo, 2), Close: cc.NewDecimal(price, 2),
			Volume: cc.NewDecimal(vol, 5), QuoteVolume: cc.NewDecimal(vol*price/100, 5), Trades: rng.Int64N(3000),
			TakerBuyBase: cc.NewDecimal(vol/2, 5), TakerBuyQuote: cc.NewDecimal(vol/2*price/100, 5), Closed: true,
		}
	}
	return cs
}

// BenchmarkIndexWindow1000 reads random 1000-candle windows from a 200k
// candle 1m index (target p50 under 200 µs; the harness checks it on 10M
// candles).
func BenchmarkIndexWindow1000(b *testing.B) {
	const n, start = 200_000, int64(1_704_067_200_000)
	path := filepath.Join(b.TempDir(), "index.cassette")
	c, err := cassettes.Open(path, 0o644, &cassettes.Options{Exchange: "binance_spot", NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	cs := walkCandles(n, start, 1)
	for i := 0; i < n; i += 10_000 {
		if err := c.AddCandles(cassettes.Series{Symbol: "BTCUSDT", Interval: cc.Interval1m, Candles: cs[i : i+10_000]}); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.Close(); err != nil {
		b.Fatal(err)
	}
	if c, err = cassettes.Open(path, 0, &cassettes.Options{ReadOnly: true}); err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	rng := rand.New(rand.NewPCG(2, 2))
	b.ReportAllocs()
	for b.Loop() {
		s := start + rng.Int64N(n-1000)*60_000
		got, err := c.Candles("BTCUSDT", cc.Interval1m, s, s+1000*60_000)
		if err != nil || len(got) != 1000 || got[0].OpenTime != s {
			b.Fatalf("window at %d: %d candles, %v", s, len(got), err)
		}
	}
}

// BenchmarkMatchKey normalizes a klines request into its replay match key.
func BenchmarkMatchKey(b *testing.B) {
	c, err := cassettes.Open(filepath.Join(b.TempDir(), "m.cassette"), 0o644, &cassettes.Options{Exchange: "binance_spot", NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	const q = "symbol=BTCUSDT&interval=1m&limit=1000&startTime=1704067200000&timestamp=1704067200123"
	b.ReportAllocs()
	for b.Loop() {
		if k := c.MatchKey("GET", "/api/v3/klines", q, nil); len(k) < 20 {
			b.Fatal(k)
		}
	}
}

// BenchmarkReadInteraction looks up a recorded request among 2000 and
// decodes its interaction, as replay does for a request it has not seen
// (a 40-row klines page stored as a template over the index, so the
// lookup also reads a candle block).
func BenchmarkReadInteraction(b *testing.B) {
	const n, start = 2000, int64(1_704_067_200_000)
	path := filepath.Join(b.TempDir(), "ix.cassette")
	c, err := cassettes.Open(path, 0o644, &cassettes.Options{Exchange: "binance_spot", NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	cs := walkCandles(n*40, start, 3)
	queries := make([]string, n)
	for i := range queries {
		page := cs[i*40 : i*40+40]
		queries[i] = fmt.Sprintf("symbol=BTCUSDT&interval=1m&startTime=%d&limit=40", page[0].OpenTime)
		body := []byte("[")
		for j, k := range page {
			if j > 0 {
				body = append(body, ',')
			}
			body = fmt.Appendf(body, `[%d,"%s","%s","%s","%s","%s",%d,"%s",%d,"%s","%s","0"]`, k.OpenTime, k.Open, k.High, k.Low, k.Close, k.Volume, k.CloseTime, k.QuoteVolume, k.Trades, k.TakerBuyBase, k.TakerBuyQuote)
		}
		body = append(body, ']')
		ix := &cassettes.Interaction{Method: "GET", Path: "/api/v3/klines", Query: queries[i], Status: 200, Body: body}
		if err := c.AddInteraction(ix, cassettes.Series{Symbol: "BTCUSDT", Interval: cc.Interval1m, Candles: page}); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.Close(); err != nil {
		b.Fatal(err)
	}
	if c, err = cassettes.Open(path, 0, &cassettes.Options{ReadOnly: true}); err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	rng := rand.New(rand.NewPCG(4, 4))
	b.ReportAllocs()
	for b.Loop() {
		ixs, err := c.Lookup("GET", "/api/v3/klines", queries[rng.IntN(n)], nil)
		if err != nil || len(ixs) != 1 || len(ixs[0].Body) < 1000 {
			b.Fatalf("lookup: %d interactions, %v", len(ixs), err)
		}
	}
}
