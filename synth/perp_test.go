package synth_test

import (
	"context"
	"errors"
	"math"
	"reflect"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/synth"
)

func perpMarket(seed uint64, exchange string) (*synth.Market, *synth.Derivatives) {
	m := synth.New(synth.Options{Seed: seed, Exchange: exchange, Pairs: pairs()})
	return m, synth.NewDerivatives(m)
}

func prices(t testing.TB, d *synth.Derivatives, kind cc.PriceKind, sym string, iv cc.Interval, start, end, now int64) []cc.Candle {
	t.Helper()
	cs, err := d.Prices(kind).Candles(ctx, sym, iv, start, end, now)
	if err != nil {
		t.Fatalf("Prices(%d).Candles(%s, %s): %v", kind, sym, iv, err)
	}
	return cs
}

func ratio(a, b cc.Decimal) float64 { return a.Float64()/b.Float64() - 1 }

// Mark stays within the venue's band of the index (up to a tick of
// rounding) over long spans, and both stay within 1% of the last price
// while differing from it.
func TestMarkWithinBandOfIndexAndNearLast(t *testing.T) {
	for _, tc := range []struct {
		ex   string
		band float64
	}{{"binance_perpetual", 0.005}, {"hyperliquid_perpetual", 0.01}} {
		for seed := uint64(1); seed <= 3; seed++ {
			m, d := perpMarket(seed, tc.ex)
			start := ms("2025-02-01T00:00:00Z") + int64(seed)*37*86_400_000
			end := start + 3*86_400_000
			for _, sym := range []string{"BTCUSDT", "ETHUSDT", "XRPUSDT"} {
				last := candles(t, m, sym, cc.Interval1m, start, end, far)
				mark := prices(t, d, cc.MarkPrice, sym, cc.Interval1m, start, end, far)
				index := prices(t, d, cc.IndexPrice, sym, cc.Interval1m, start, end, far)
				if len(mark) != len(last) || len(index) != len(last) {
					t.Fatalf("%s %s: %d mark, %d index, %d last candles", tc.ex, sym, len(mark), len(index), len(last))
				}
				var worst, worstLast float64
				sameMark, sameIndex := 0, 0
				for i := range last {
					tick := 2 / index[i].Low.Float64() * math.Pow10(-int(index[i].Low.Scale))
					for _, pair := range [][2]cc.Decimal{
						{mark[i].Open, index[i].Open}, {mark[i].High, index[i].High},
						{mark[i].Low, index[i].Low}, {mark[i].Close, index[i].Close}} {
						dev := math.Abs(ratio(pair[0], pair[1]))
						worst = max(worst, dev)
						if dev > tc.band+tick {
							t.Fatalf("%s %s seed %d minute %d: mark %s is %.4f%% from index %s, band %.2f%%",
								tc.ex, sym, seed, i, pair[0], dev*100, pair[1], tc.band*100)
						}
					}
					for _, c := range []cc.Candle{mark[i], index[i]} {
						for _, pair := range [][2]cc.Decimal{{c.High, last[i].High}, {c.Low, last[i].Low}, {c.Close, last[i].Close}} {
							dev := math.Abs(ratio(pair[0], pair[1]))
							worstLast = max(worstLast, dev)
							if dev >= 0.01+tick {
								t.Fatalf("%s %s minute %d: %s is %.3f%% from last %s", tc.ex, sym, i, pair[0], dev*100, pair[1])
							}
						}
						if !c.Volume.IsZero() || !c.QuoteVolume.IsZero() || c.Trades != 0 || !c.TakerBuyBase.IsZero() {
							t.Fatalf("%s %s minute %d: volumes in a price series %+v", tc.ex, sym, i, c)
						}
					}
					if mark[i].Close == last[i].Close {
						sameMark++
					}
					if index[i].Close == last[i].Close {
						sameIndex++
					}
				}
				// XRP's tick is coarse once its price wanders far below its
				// start: equal closes are no sign of a copied path there.
				if sym != "XRPUSDT" && (sameMark > len(last)/10 || sameIndex > len(last)/10) {
					t.Errorf("%s %s: mark equals last at %d and index at %d of %d closes", tc.ex, sym, sameMark, sameIndex, len(last))
				}
				t.Logf("%s %s seed %d: max |mark/index-1| %.4f%%, max |price/last-1| %.4f%%", tc.ex, sym, seed, worst*100, worstLast*100)
			}
		}
	}
}

// The daily mark and index candles differ from the daily last-price
// candles (the venues share every draw above six hours, the derived
// series must not).
func TestDailyMarkAndIndexDifferFromLast(t *testing.T) {
	m, d := perpMarket(8, "binance_perpetual")
	start := ms("2025-05-01T00:00:00Z")
	end := start + 20*86_400_000
	last := candles(t, m, "BTCUSDT", cc.Interval1d, start, end, far)
	for _, k := range []cc.PriceKind{cc.MarkPrice, cc.IndexPrice} {
		got := prices(t, d, k, "BTCUSDT", cc.Interval1d, start, end, far)
		same := 0
		for i := range last {
			if got[i].High == last[i].High || got[i].Close == last[i].Close {
				same++
			}
			if math.Abs(ratio(got[i].Close, last[i].Close)) > 0.01 {
				t.Fatalf("kind %d day %d: close %s vs last %s", k, i, got[i].Close, last[i].Close)
			}
		}
		if same > 2 {
			t.Errorf("kind %d: %d of %d daily candles share a high or close with last", k, same, len(last))
		}
	}
}

// Every interval's mark, index and premium candle is exactly the aggregate
// of its 1m candles, and a minute of its seconds.
func TestPriceSeriesAggregateExactly(t *testing.T) {
	_, d := perpMarket(3, "bybit_perpetual")
	start := ms("2024-02-26T00:00:00Z") // a Monday, so weeks align
	for _, kind := range []cc.PriceKind{cc.MarkPrice, cc.IndexPrice, cc.PremiumIndex} {
		for _, iv := range cc.Intervals {
			if iv == cc.Interval1s || iv.Millis() > 7*86_400_000 {
				continue // 1s below; months cost 44640 minutes each
			}
			open := iv.Truncate(start + 5*86_400_000 + 3_723_000)
			next := iv.Next(open)
			got := prices(t, d, kind, "ETHUSDT", iv, open, next, far)
			mins := prices(t, d, kind, "ETHUSDT", cc.Interval1m, open, next, far)
			if len(got) != 1 || int64(len(mins)) != (next-open)/60000 {
				t.Fatalf("kind %d %s: got %d candles and %d minutes", kind, iv, len(got), len(mins))
			}
			if want := cc.Aggregate(mins); got[0] != want {
				t.Fatalf("kind %d %s:\n got %+v\nwant %+v", kind, iv, got[0], want)
			}
		}
		mins := prices(t, d, kind, "XRPUSDT", cc.Interval1m, start, start+3*60000, far)
		secs := prices(t, d, kind, "XRPUSDT", cc.Interval1s, start, start+3*60000, far)
		for i, c := range mins {
			if got := cc.Aggregate(secs[i*60 : i*60+60]); got != c {
				t.Fatalf("kind %d minute %d:\n seconds give %+v\n   minute is %+v", kind, i, got, c)
			}
		}
	}
	// A calendar month too, once.
	open := ms("2024-02-01T00:00:00Z")
	got := prices(t, d, cc.MarkPrice, "BTCUSDT", cc.Interval1M, open, open+1, far)
	days := prices(t, d, cc.MarkPrice, "BTCUSDT", cc.Interval1d, open, ms("2024-03-01T00:00:00Z"), far)
	if len(got) != 1 || len(days) != 29 || got[0] != cc.Aggregate(days) {
		t.Fatalf("February's mark candle is not the aggregate of its days")
	}
}

// The premium index is a small rate at scale 8, of both signs.
func TestPremiumIndexIsASmallRate(t *testing.T) {
	_, d := perpMarket(5, "binance_perpetual")
	start := ms("2025-08-01T00:00:00Z")
	cs := prices(t, d, cc.PremiumIndex, "BTCUSDT", cc.Interval1h, start, start+10*86_400_000, far)
	neg, pos := 0, 0
	for _, c := range cs {
		if c.Close.Scale != 8 || math.Abs(c.High.Float64()) > 0.005 || math.Abs(c.Low.Float64()) > 0.005 {
			t.Fatalf("premium candle %+v: want rates within ±0.5%% at scale 8", c)
		}
		if c.Close.Units < 0 {
			neg++
		} else if c.Close.Units > 0 {
			pos++
		}
	}
	if neg == 0 || pos == 0 {
		t.Errorf("premium closes: %d negative, %d positive; want both", neg, pos)
	}
}

// cc.Market's contract for the derived series: determinism, window
// independence, the in-progress candle, nothing after now, context and
// unknown symbols.
func TestPriceSeriesKeepTheMarketContract(t *testing.T) {
	_, a := perpMarket(11, "okx_perpetual")
	_, b := perpMarket(11, "okx_perpetual")
	open := ms("2025-09-09T14:00:00Z")
	for _, kind := range []cc.PriceKind{cc.MarkPrice, cc.IndexPrice, cc.PremiumIndex} {
		x := prices(t, a, kind, "BTCUSDT", cc.Interval5m, open-86_400_000, open, far)
		y := prices(t, b, kind, "BTCUSDT", cc.Interval5m, open-86_400_000, open, far)
		if len(x) != 288 || !reflect.DeepEqual(x, y) {
			t.Fatalf("kind %d: two derivatives with seed 11 disagree (%d candles)", kind, len(x))
		}
		narrow := prices(t, b, kind, "BTCUSDT", cc.Interval5m, open-3600_000, open-3000_000, far)
		if !reflect.DeepEqual(narrow, x[276:278]) {
			t.Fatalf("kind %d: a narrow window differs from the wide one", kind)
		}

		final := prices(t, a, kind, "BTCUSDT", cc.Interval1h, open, open+3600_000, far)[0]
		secs := prices(t, a, kind, "BTCUSDT", cc.Interval1s, open, open+3600_000, far)
		for _, elapsed := range []int64{0, 999, 1000, 60_000, 37*60_000 + 12_500, 3600_000 - 2} {
			now := open + elapsed
			got := prices(t, b, kind, "BTCUSDT", cc.Interval1h, open-3600_000, open+7200_000, now)
			if len(got) != 2 || !got[0].Closed || got[1].Closed || got[1].OpenTime != open {
				t.Fatalf("kind %d now=+%d: want a closed hour then the one in progress, got %+v", kind, elapsed, got)
			}
			done := (elapsed + 1) / 1000
			want := cc.Candle{Open: secs[0].Open, High: secs[0].Open, Low: secs[0].Open, Close: secs[0].Open}
			if done > 0 {
				want = cc.Aggregate(secs[:done])
			}
			cur := got[1]
			if cur.Open != want.Open || cur.High != want.High || cur.Low != want.Low || cur.Close != want.Close {
				t.Fatalf("kind %d now=+%d: in progress %+v, want %+v", kind, elapsed, cur, want)
			}
			if cur.Open != final.Open || cur.High.Cmp(final.High) > 0 || cur.Low.Cmp(final.Low) < 0 {
				t.Fatalf("kind %d now=+%d: %+v is not a prefix of %+v", kind, elapsed, cur, final)
			}
		}
		if got := prices(t, a, kind, "BTCUSDT", cc.Interval1m, open, open+3600_000, open-1); len(got) != 0 {
			t.Fatalf("kind %d: %d candles after now", kind, len(got))
		}
		if _, err := a.Prices(kind).Candles(ctx, "NOPE", cc.Interval1m, open, open+60000, far); !errors.Is(err, cc.ErrUnknownSymbol) {
			t.Fatalf("kind %d: unknown symbol gave %v", kind, err)
		}
		if _, err := a.Prices(kind).Candles(ctx, "BTCUSDT", cc.Interval("7m"), open, open+60000, far); err == nil {
			t.Fatalf("kind %d: an invalid interval gave no error", kind)
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := a.Prices(kind).Candles(cctx, "BTCUSDT", cc.Interval1m, open-2*86_400_000, open, far); !errors.Is(err, context.Canceled) {
			t.Fatalf("kind %d: a cancelled context gave %v", kind, err)
		}
	}
	if a.Prices(cc.LastPrice) == nil {
		t.Fatal("LastPrice has no market")
	}
}

func TestFundingOnScheduleWithinCap(t *testing.T) {
	for _, tc := range []struct {
		ex     string
		period int64
		cap    float64
	}{{"binance_perpetual", 8 * 3600_000, 0.003}, {"hyperliquid_perpetual", 3600_000, 0.04}, {"kucoin_perpetual", 8 * 3600_000, 0.003}} {
		_, d := perpMarket(21, tc.ex)
		_, d2 := perpMarket(21, tc.ex)
		if got := synth.FundingPeriod(tc.ex); got != tc.period {
			t.Fatalf("%s: period %d, want %d", tc.ex, got, tc.period)
		}
		start := ms("2025-03-01T05:00:00Z")
		now := start + 30*86_400_000 + 12345
		end := now + 10*86_400_000
		fs, err := d.FundingHistory(ctx, "BTCUSDT", start, end, now)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := d2.FundingHistory(ctx, "BTCUSDT", start, end, now)
		if !reflect.DeepEqual(fs, again) {
			t.Fatalf("%s: funding history is not deterministic", tc.ex)
		}
		want := 30 * 86_400_000 / tc.period
		if int64(len(fs)) != want && int64(len(fs)) != want+1 {
			t.Fatalf("%s: %d settlements in 30 days, want about %d", tc.ex, len(fs), want)
		}
		rates := map[int64]int{}
		for i, f := range fs {
			if f.Time%tc.period != 0 || f.Time < start || f.Time > now || (i > 0 && f.Time != fs[i-1].Time+tc.period) {
				t.Fatalf("%s: settlement %d at %d is off schedule", tc.ex, i, f.Time)
			}
			if r := f.Rate.Float64(); math.Abs(r) > tc.cap || f.Rate.Scale != 8 {
				t.Fatalf("%s: rate %s beyond the cap %g", tc.ex, f.Rate, tc.cap)
			}
			rates[f.Rate.Units]++
			mk := prices(t, d, cc.MarkPrice, "BTCUSDT", cc.Interval1s, f.Time, f.Time+1000, far)
			if len(mk) != 1 || mk[0].Open != f.MarkPrice {
				t.Fatalf("%s: settlement mark %s, mark price then %+v", tc.ex, f.MarkPrice, mk)
			}
		}
		if len(rates) < 2 {
			t.Errorf("%s: every rate is the same: %v", tc.ex, rates)
		}
		if _, err := d.FundingHistory(ctx, "NOPE", start, end, now); !errors.Is(err, cc.ErrUnknownSymbol) {
			t.Fatalf("unknown symbol: %v", err)
		}
		t.Logf("%s: %d settlements, %d distinct rates", tc.ex, len(fs), len(rates))
	}
}

func TestPerpState(t *testing.T) {
	m, d := perpMarket(2, "binance_perpetual")
	now := ms("2025-07-04T13:37:42Z") + 321
	st, err := d.Perp(ctx, "ETHUSDT", now)
	if err != nil {
		t.Fatal(err)
	}
	if st.NextFunding != ms("2025-07-04T16:00:00Z") || st.Time != now {
		t.Fatalf("next funding %d at %d", st.NextFunding, st.Time)
	}
	sec := now / 1000 * 1000
	mk := prices(t, d, cc.MarkPrice, "ETHUSDT", cc.Interval1s, sec, sec+1000, far)[0]
	ix := prices(t, d, cc.IndexPrice, "ETHUSDT", cc.Interval1s, sec, sec+1000, far)[0]
	pr := prices(t, d, cc.PremiumIndex, "ETHUSDT", cc.Interval1s, sec, sec+1000, far)[0]
	if st.Mark != mk.Open || st.Index != ix.Open || st.Premium != pr.Open {
		t.Fatalf("state %+v disagrees with the candles: mark %s index %s premium %s", st, mk.Open, ix.Open, pr.Open)
	}
	if math.Abs(st.FundingRate.Float64()) > 0.003 {
		t.Fatalf("estimated rate %s beyond the cap", st.FundingRate)
	}
	// Open interest: positive, smooth, of the order of a day's volume.
	day := candles(t, m, "ETHUSDT", cc.Interval1d, now-86_400_000, now, far)[0].Volume.Float64()
	prev := 0.0
	for i := range 200 {
		s, err := d.Perp(ctx, "ETHUSDT", now+int64(i)*60_000)
		if err != nil {
			t.Fatal(err)
		}
		oi := s.OpenInterest.Float64()
		if oi <= 0 || oi < day/20 || oi > day*3 {
			t.Fatalf("open interest %g against a day's volume %g", oi, day)
		}
		if prev > 0 && math.Abs(oi/prev-1) > 0.01 {
			t.Fatalf("open interest jumps from %g to %g in a minute", prev, oi)
		}
		prev = oi
	}
	if _, err := d.Perp(ctx, "NOPE", now); !errors.Is(err, cc.ErrUnknownSymbol) {
		t.Fatalf("unknown symbol: %v", err)
	}
}

func TestIsPerpetual(t *testing.T) {
	for id, want := range map[string]bool{
		"binance_perpetual": true, "hyperliquid_perpetual": true, "gate_io_perpetual": true,
		"binance_spot": false, "okx_spot": false, "coinbase_advanced_trade": false, "kraken_spot": false,
	} {
		if synth.IsPerpetual(id) != want {
			t.Errorf("IsPerpetual(%q) = %v", id, !want)
		}
	}
}

// Concurrent requests of several kinds and symbols agree with sequential
// ones (walkers and generators are pooled).
func TestDerivativesConcurrentRequestsAgree(t *testing.T) {
	_, d := perpMarket(12, "gate_io_perpetual")
	start := ms("2025-04-01T00:00:00Z")
	type req struct {
		kind cc.PriceKind
		sym  string
	}
	var reqs []req
	for _, k := range []cc.PriceKind{cc.MarkPrice, cc.IndexPrice, cc.PremiumIndex} {
		for _, s := range []string{"BTCUSDT", "ETHUSDT", "XRPUSDT"} {
			reqs = append(reqs, req{k, s})
		}
	}
	want := make([][]cc.Candle, len(reqs))
	for i, r := range reqs {
		want[i] = prices(t, d, r.kind, r.sym, cc.Interval1m, start, start+300*60000, far)
	}
	errs := make(chan int, len(reqs)*4)
	done := make(chan struct{})
	for rep := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for j := range reqs {
				i := (j + rep*5) % len(reqs)
				got, err := d.Prices(reqs[i].kind).Candles(ctx, reqs[i].sym, cc.Interval1m, start, start+300*60000, far)
				if err != nil || !reflect.DeepEqual(got, want[i]) {
					errs <- i
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
	close(errs)
	for i := range errs {
		t.Errorf("kind %d %s: a concurrent request disagrees", reqs[i].kind, reqs[i].sym)
	}
}

// BenchmarkMarkCandles1m generates 1000-minute mark windows at successive
// places; BenchmarkMarkCandles1d500 a 500-day window (a minute node of
// each venue per minute).
func BenchmarkMarkCandles1m(b *testing.B) { benchMark(b, cc.Interval1m, 1000) }

func BenchmarkMarkCandles1d500(b *testing.B) { benchMark(b, cc.Interval1d, 500) }

func benchMark(b *testing.B, iv cc.Interval, n int64) {
	_, d := perpMarket(7, "binance_perpetual")
	span := n * iv.Millis()
	start := ms("2025-01-01T00:00:00Z")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := start + int64(i)*span
		cs, err := d.Prices(cc.MarkPrice).Candles(ctx, "BTCUSDT", iv, s, s+span, s+span)
		if err != nil || int64(len(cs)) != n {
			b.Fatalf("got %d candles, %v", len(cs), err)
		}
	}
	b.ReportMetric(float64(b.N)*float64(n)/b.Elapsed().Seconds(), "candles/s")
}

// Over weeks of several seeds, volatile blocks and jumps included (whose
// minutes take factors of their own), every 15m and hourly mark and index
// candle is the aggregate of its minutes.
func TestPriceSeriesAggregateInVolatileBlocks(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		_, d := perpMarket(seed, "binance_perpetual")
		start := ms("2024-01-01T00:00:00Z") + int64(seed)*86_400_000
		end := start + 14*86_400_000
		for _, kind := range []cc.PriceKind{cc.MarkPrice, cc.IndexPrice} {
			mins := prices(t, d, kind, "BTCUSDT", cc.Interval1m, start, end, far)
			for _, iv := range []cc.Interval{cc.Interval15m, cc.Interval1h} {
				got := prices(t, d, kind, "BTCUSDT", iv, start, end, far)
				n := int(iv.Millis() / 60000)
				if len(got)*n != len(mins) {
					t.Fatalf("%d %s and %d minutes", len(got), iv, len(mins))
				}
				for i, c := range got {
					if want := cc.Aggregate(mins[i*n : i*n+n]); c != want {
						t.Fatalf("seed %d kind %d %s %d:\n got %+v\nwant %+v", seed, kind, iv, i, c, want)
					}
				}
			}
		}
	}
}
