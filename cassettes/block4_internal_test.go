package cassettes

import (
	"cmp"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	cc "github.com/candlecassette/candlecassette"
)

// edgeBlocks are candle runs at the corners of the kindBlock4 coding.
func edgeBlocks() map[string][]cc.Candle {
	rng := rand.New(rand.NewPCG(4, 4))
	out := map[string][]cc.Candle{}
	out["one candle"] = randomCandles(rng, 1)
	out["two candles"] = randomCandles(rng, 2)
	out["an odd size"] = randomCandles(rng, 999)
	out["the largest block"] = randomCandles(rng, 2*blockLen)

	zeros := make([]cc.Candle, 300)
	for i := range zeros {
		zeros[i] = cc.Candle{OpenTime: int64(i) * 60_000, CloseTime: int64(i)*60_000 + 59_999, Closed: true}
	}
	out["zero prices and volumes"] = zeros

	huge := randomCandles(rng, 50)
	for i := range huge {
		x := []int64{math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, math.MinInt64 + 1}[i%4]
		for _, d := range decimals(&huge[i]) {
			*d = cc.Decimal{Units: x, Scale: 18}
		}
		huge[i].Trades = x
		huge[i].OpenTime, huge[i].CloseTime = x, -x
	}
	out["extreme values"] = huge

	scales := walk(rng, 700, 60_000)
	for i := range scales[350:] {
		c := &scales[350+i]
		c.Open.Units, c.Open.Scale = c.Open.Units*1000, c.Open.Scale+3
		c.Volume.Scale = 0
	}
	out["a scale change mid-block"] = scales

	irregular := walk(rng, 500, 60_000)
	for i := range irregular {
		irregular[i].OpenTime -= 1_800_000_000_000 + int64(rng.IntN(5))*1000 // before 1970, and steps that vary
		irregular[i].Closed = i != len(irregular)-1
	}
	out["negative, irregular times and an open candle"] = irregular

	quiet := walk(rng, 400, 3_600_000)
	for i := range quiet {
		if i%3 == 0 {
			quiet[i].Volume, quiet[i].QuoteVolume, quiet[i].TakerBuyBase, quiet[i].TakerBuyQuote = cc.NewDecimal(0, 5), cc.NewDecimal(0, 7), cc.NewDecimal(0, 5), cc.NewDecimal(0, 7)
			quiet[i].Trades = 0
		}
	}
	out["market-like with zero-volume candles"] = quiet
	out["market-like"] = walk(rng, 1000, 60_000)
	return out
}

// walk is n market-like candles (a random walk, quote volume near
// volume × price, taker buys a share of volume) every step ms.
func walk(rng *rand.Rand, n int, step int64) []cc.Candle {
	cs := make([]cc.Candle, n)
	price := int64(4_200_000)
	for i := range cs {
		open := price
		price += rng.Int64N(2001) - 1000
		hi, lo := max(open, price)+rng.Int64N(300), min(open, price)-rng.Int64N(300)
		vol := rng.Int64N(50_000_000) + 1
		tbb := vol * rng.Int64N(101) / 100
		t := 1_704_067_200_000 + int64(i)*step
		cs[i] = cc.Candle{OpenTime: t, CloseTime: t + step - 1,
			Open: cc.NewDecimal(open, 2), High: cc.NewDecimal(hi, 2), Low: cc.NewDecimal(lo, 2), Close: cc.NewDecimal(price, 2),
			Volume: cc.NewDecimal(vol, 5), QuoteVolume: cc.NewDecimal(vol*(open+price)/2+rng.Int64N(1e6), 7),
			TakerBuyBase: cc.NewDecimal(tbb, 5), TakerBuyQuote: cc.NewDecimal(tbb*price+rng.Int64N(1e6), 7),
			Trades: vol/20_000 + rng.Int64N(100), Closed: true}
	}
	return cs
}

func TestBlock4RoundTripsEdgeCasesExactly(t *testing.T) {
	for name, cs := range edgeBlocks() {
		t.Run(name, func(t *testing.T) {
			v := encodeBlock4(cs)
			got, err := decodeBlock(v)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(cs) {
				t.Fatalf("%d candles back, want %d", len(got), len(cs))
			}
			for i := range cs {
				if got[i] != cs[i] {
					t.Fatalf("candle %d:\n got %+v\nwant %+v", i, got[i], cs[i])
				}
			}
			// Window reads build the same candles, only those in the
			// window, also right after another block left its values in
			// the pooled scratch.
			dirty := encodeBlock4(randomCandles(rand.New(rand.NewPCG(8, 8)), 2*blockLen))
			for _, w := range [][2]int{{1, len(cs) - 1}, {0, len(cs)}, {len(cs) / 3, len(cs) / 2}, {len(cs) - 1, len(cs)}} {
				from, to := w[0], w[1]
				if from >= to || !slices.IsSortedFunc(cs, func(a, b cc.Candle) int { return cmp.Compare(a.OpenTime, b.OpenTime) }) {
					continue // a window of unsorted times is no run of rows
				}
				start, end := cs[from].OpenTime, int64(maxTime)
				if to < len(cs) {
					end = cs[to].OpenTime
				}
				if _, err := decodeBlock(dirty); err != nil {
					t.Fatal(err)
				}
				win, more, err := appendRange4(nil, v[1:], start, end)
				if err != nil || more != (to == len(cs)) || len(win) != to-from {
					t.Fatalf("window of rows [%d, %d): %d candles, more %v, %v", from, to, len(win), more, err)
				}
				for i := range win {
					if win[i] != cs[from+i] {
						t.Fatalf("window of rows [%d, %d), candle %d:\n got %+v\nwant %+v", from, to, i, win[i], cs[from+i])
					}
				}
			}
			var times []int64
			if err := blockTimes4(v[1:], func(open int64, closed bool) {
				if closed != cs[len(times)].Closed {
					t.Errorf("candle %d closed %v", len(times), closed)
				}
				times = append(times, open)
			}); err != nil || len(times) != len(cs) || times[0] != cs[0].OpenTime || times[len(times)-1] != cs[len(cs)-1].OpenTime {
				t.Fatalf("times: %d, %v", len(times), err)
			}
		})
	}
}

func TestBlock4IsSmallerThanBlock3ForMarketLikeCandles(t *testing.T) {
	cs := walk(rand.New(rand.NewPCG(5, 5)), 1000, 60_000)
	v3, v4 := len(encodeBlock3(cs)), len(encodeBlock4(cs))
	t.Logf("1000 candles: v3 %d bytes, v4 %d bytes", v3, v4)
	if v4 >= v3 {
		t.Errorf("v4 block %d bytes is not smaller than v3's %d", v4, v3)
	}
	// Columns that do not change (regular times, scales, flat prices and
	// volumes) are constants: a flat block costs a few bytes a column.
	flat := make([]cc.Candle, 1000)
	for i := range flat {
		flat[i] = cs[0]
		flat[i].OpenTime, flat[i].CloseTime = cs[i].OpenTime, cs[i].CloseTime
	}
	if n := len(encodeBlock4(flat)); n > 200 {
		t.Errorf("1000 flat candles take %d bytes", n)
	}
}

func TestDamagedBlock4IsCorruptNeverAPanic(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	for name, cs := range edgeBlocks() {
		v := encodeBlock4(cs)
		for cut := 0; cut < len(v); cut += 1 + cut/8 {
			if _, err := decodeBlock(v[:cut]); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%s cut to %d of %d bytes: %v, want ErrCorrupt", name, cut, len(v), err)
			}
		}
		if _, err := decodeBlock(append(v[:len(v):len(v)], 0)); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%s with a trailing byte: %v, want ErrCorrupt", name, err)
		}
		for range 60 {
			w := append([]byte(nil), v...)
			w[1+rng.IntN(len(w)-1)] ^= byte(1 + rng.IntN(255))
			got, err := decodeBlock(w)
			if err != nil && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%s damaged: %v, want ErrCorrupt", name, err)
			}
			for i := range got {
				for _, d := range decimals(&got[i]) {
					_ = d.String()
				}
			}
			if _, _, err := appendRange4(nil, w[1:], minTime, maxTime); err != nil && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%s damaged, window read: %v", name, err)
			}
		}
	}
}

// The first kind-4 writers coded classes with huff0 (modeCoded): their
// blocks still read back exactly, windows included.
func TestBlock4WithHuff0ColumnsStillReads(t *testing.T) {
	writeHuff0 = true
	blocks := map[string][]byte{}
	for name, cs := range edgeBlocks() {
		blocks[name] = encodeBlock4(cs)
	}
	writeHuff0 = false
	for name, cs := range edgeBlocks() {
		v := blocks[name]
		got, err := decodeBlock(v)
		if err != nil || len(got) != len(cs) {
			t.Fatalf("%s: %d candles, %v", name, len(got), err)
		}
		for i := range cs {
			if got[i] != cs[i] {
				t.Fatalf("%s candle %d:\n got %+v\nwant %+v", name, i, got[i], cs[i])
			}
		}
		if len(cs) > 3 && slices.IsSortedFunc(cs, func(a, b cc.Candle) int { return cmp.Compare(a.OpenTime, b.OpenTime) }) {
			from, to := len(cs)/3, 2*len(cs)/3
			win, _, err := appendRange4(nil, v[1:], cs[from].OpenTime, cs[to].OpenTime)
			if err != nil || len(win) != to-from || win[0] != cs[from] || win[len(win)-1] != cs[to-1] {
				t.Fatalf("%s window: %d candles, %v", name, len(win), err)
			}
		}
	}
}
