package synth_test

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/synth"
)

// realBTC is a month of real Binance BTCUSDT 1m klines (see
// ../shared/data/SOURCES.md next to the repository); read in place, never
// copied into the repository.
const realBTC = "../../shared/data/binance-spot-BTCUSDT-1m-2024-01.csv.gz"

// realCounts is a day of real Binance BTCUSDT 1m klines with their trade
// counts (12 columns), read in place.
const realCounts = "../../shared/data/binance-spot-BTCUSDT-1m-2020-12-01-12col.csv"

// bar is the part of a 1m candle the realism figures use.
type bar struct {
	t                int64 // open time, Unix ms
	open, close, vol float64
	trades           float64 // 0 where the source has no count
}

// figures are the statistics the realism report compares.
type figures struct {
	n        int
	kurtosis float64     // excess kurtosis of 1m log returns
	tail     float64     // q99.9 of |r| over its median
	acf      [61]float64 // autocorrelation of |r| at lags 1..60
	acfMean  float64     // mean of acf[1..60]
	retVol   float64     // correlation of |r| with volume
	hourly   [24]float64 // share of volume traded in each UTC hour
	hourMax  float64     // max/min of the hourly shares
	// Low quantiles of the 1m trade count over its median: q0.1%, q1%, q5%.
	tradeQ [3]float64
	// The same within a weekday (UTC, Monday to Friday), the median over
	// the weekdays: what one real weekday's counts are set against.
	dayQ [3]float64
}

func measure(bars []bar) figures {
	var f figures
	n := len(bars)
	f.n = n
	r := make([]float64, n)
	a := make([]float64, n)
	v := make([]float64, n)
	for i, b := range bars {
		r[i] = math.Log(b.close / b.open)
		a[i] = math.Abs(r[i])
		v[i] = b.vol
	}
	mr := mean(r)
	var m2, m4 float64
	for _, x := range r {
		d := x - mr
		m2 += d * d
		m4 += d * d * d * d
	}
	m2 /= float64(n)
	m4 /= float64(n)
	f.kurtosis = m4/(m2*m2) - 3
	sorted := slices.Clone(a)
	slices.Sort(sorted)
	f.tail = sorted[min(n-1, n*999/1000)] / sorted[n/2]
	ma := mean(a)
	var den float64
	for _, x := range a {
		den += (x - ma) * (x - ma)
	}
	for lag := 1; lag <= 60; lag++ {
		var num float64
		for i := lag; i < n; i++ {
			num += (a[i] - ma) * (a[i-lag] - ma)
		}
		f.acf[lag] = num / den
		f.acfMean += f.acf[lag] / 60
	}
	f.retVol = correlation(a, v)
	var total float64
	for _, b := range bars {
		f.hourly[time.UnixMilli(b.t).UTC().Hour()] += b.vol
		total += b.vol
	}
	lo, hi := math.Inf(1), 0.0
	for h := range f.hourly {
		f.hourly[h] /= total
		lo, hi = min(lo, f.hourly[h]), max(hi, f.hourly[h])
	}
	f.hourMax = hi / lo
	f.tradeQ = lowQuantiles(bars)
	f.dayQ = weekdayQuantiles(bars)
	return f
}

// weekdayQuantiles are lowQuantiles within each whole UTC weekday of
// the bars, the median over the days.
func weekdayQuantiles(bars []bar) [3]float64 {
	var per [3][]float64
	for i := 0; i < len(bars); {
		d := bars[i].t / 86_400_000
		j := i
		for j < len(bars) && bars[j].t/86_400_000 == d {
			j++
		}
		if wd := (d + 4) % 7; wd >= 1 && wd <= 5 && j-i == 1440 { // (1970-01-01 a Thursday)
			q := lowQuantiles(bars[i:j])
			for k := range per {
				per[k] = append(per[k], q[k])
			}
		}
		i = j
	}
	var m [3]float64
	for k := range per {
		if len(per[k]) > 0 {
			slices.Sort(per[k])
			m[k] = per[k][len(per[k])/2]
		}
	}
	return m
}

// lowQuantiles are the 0.1%, 1% and 5% quantiles of the bars' trade
// counts over their median.
func lowQuantiles(bars []bar) [3]float64 {
	tr := make([]float64, len(bars))
	for i, b := range bars {
		tr[i] = b.trades
	}
	slices.Sort(tr)
	n := len(tr)
	var q [3]float64
	for i, p := range [3]float64{0.001, 0.01, 0.05} {
		q[i] = tr[int(p*float64(n))] / tr[n/2]
	}
	return q
}

// readTradeCounts reads the 12-column Binance kline file (trade counts in
// column 9): a day of real 1m BTCUSDT with counts.
func readTradeCounts(path string) ([]bar, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	var out []bar
	for sc.Scan() {
		p := strings.Split(sc.Text(), ",")
		if len(p) != 12 {
			return nil, fmt.Errorf("%s: bad row %q", path, sc.Text())
		}
		n, err := strconv.ParseFloat(p[8], 64)
		if err != nil {
			return nil, err
		}
		out = append(out, bar{trades: n})
	}
	return out, sc.Err()
}

// readBars reads the 6-column OHLCV file: datetime,open,high,low,close,volume.
func readBars(path string) ([]bar, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(gz)
	sc.Scan() // header
	var out []bar
	for sc.Scan() {
		p := strings.Split(sc.Text(), ",")
		if len(p) != 6 {
			return nil, fmt.Errorf("%s: bad row %q", path, sc.Text())
		}
		tm, err := time.Parse(time.DateTime, p[0])
		if err != nil {
			return nil, err
		}
		var x [6]float64
		for i := 1; i < 6; i++ {
			if x[i], err = strconv.ParseFloat(p[i], 64); err != nil {
				return nil, err
			}
		}
		out = append(out, bar{t: tm.UnixMilli(), open: x[1], close: x[4], vol: x[5]})
	}
	return out, sc.Err()
}

func syntheticBars(t testing.TB, seed uint64, price float64, start int64, n int) []bar {
	t.Helper()
	m := synth.New(synth.Options{Seed: seed, Exchange: "binance_spot",
		Pairs: []cc.Pair{{Base: "BTC", Quote: "USDT", Price: price, Symbol: "BTCUSDT"}}, RefTime: start})
	cs, err := m.Candles(context.Background(), "BTCUSDT", cc.Interval1m, start, start+int64(n)*60000, start+int64(n)*60000)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]bar, len(cs))
	for i, c := range cs {
		out[i] = bar{t: c.OpenTime, open: c.Open.Float64(), close: c.Close.Float64(), vol: c.Volume.Float64(), trades: float64(c.Trades)}
	}
	return out
}

// TestRealism compares synthetic BTC-USDT 1m candles with the real
// Binance month (January 2024) and prints the figures side by side. Run it
// with `make realism`.
//
// Monthly figures of a fat-tailed market scatter widely from one month to
// the next (the real BTCUSDT excursion kurtosis is 124 in January 2024 and
// 48 in April 2021), so the synthetic figure compared is the median over
// eight synthetic months of the same calendar month (seeds 1–8); seed 1's
// month and the range over the eight are printed as well. Each median
// must be within a factor of two of the real figure, and the synthetic
// hourly volume profile must correlate with the real one.
func TestRealism(t *testing.T) {
	real, err := readBars(realBTC)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("real data not found at %s", realBTC)
	}
	if err != nil {
		t.Fatal(err)
	}
	rf := measure(real)
	const seeds = 8
	var sf [seeds]figures
	for i := range sf {
		sf[i] = measure(syntheticBars(t, uint64(i+1), real[0].open, real[0].t, len(real)))
	}
	// stat collects one figure over the synthetic months.
	type stat struct{ med, lo, hi, first float64 }
	over := func(f func(figures) float64) stat {
		xs := make([]float64, seeds)
		for i := range sf {
			xs[i] = f(sf[i])
		}
		s := stat{first: xs[0]}
		slices.Sort(xs)
		s.med, s.lo, s.hi = (xs[seeds/2-1]+xs[seeds/2])/2, xs[0], xs[seeds-1]
		return s
	}
	row := func(name string, real float64, s stat) {
		t.Logf("%-32s %9.3f %9.3f %9.3f   %.3f .. %.3f", name, real, s.med, s.first, s.lo, s.hi)
	}
	within := func(name string, real float64, s stat) {
		t.Helper()
		if s.med < real/2 || s.med > real*2 {
			t.Errorf("%s: synthetic median %.3f is not within a factor of two of real %.3f", name, s.med, real)
		}
	}
	t.Logf("BTC-USDT 1m, one month: real Binance 2024-01 vs synthetic (median of %d months, seed 1, range)", seeds)
	t.Logf("%-32s %9s %9s %9s   %s", "figure", "real", "median", "seed 1", "range")
	kurt := over(func(f figures) float64 { return f.kurtosis })
	row("excess kurtosis of log returns", rf.kurtosis, kurt)
	within("excess kurtosis", rf.kurtosis, kurt)
	tail := over(func(f figures) float64 { return f.tail })
	row("tail: q99.9 |r| / median |r|", rf.tail, tail)
	if tail.med < rf.tail/1.5 || tail.med > rf.tail*1.5 {
		t.Errorf("tail of |r|: synthetic median %.3f is not within a factor of 1.5 of real %.3f", tail.med, rf.tail)
	}
	for lag := 1; lag <= 60; lag++ {
		s := over(func(f figures) float64 { return f.acf[lag] })
		switch lag {
		case 1, 2, 5, 10, 20, 30, 45, 60:
			row(fmt.Sprintf("autocorrelation |r|, lag %d", lag), rf.acf[lag], s)
		}
		within(fmt.Sprintf("autocorrelation of |r| at lag %d", lag), rf.acf[lag], s)
	}
	acf := over(func(f figures) float64 { return f.acfMean })
	row("autocorrelation |r|, mean 1..60", rf.acfMean, acf)
	within("mean autocorrelation of |r|", rf.acfMean, acf)
	rv := over(func(f figures) float64 { return f.retVol })
	row("correlation |r| vs volume", rf.retVol, rv)
	within("correlation of |r| and volume", rf.retVol, rv)
	hm := over(func(f figures) float64 { return f.hourMax })
	row("hourly volume share, max/min", rf.hourMax, hm)
	within("hourly volume max/min", rf.hourMax, hm)
	prof := over(func(f figures) float64 { return correlation(rf.hourly[:], f.hourly[:]) })
	row("hourly profile corr. with real", 1, prof)
	if prof.med < 0.5 {
		t.Errorf("hourly volume profile: median correlation %.3f with the real one, want >= 0.5", prof.med)
	}
	for h := 0; h < 24; h += 3 {
		s := over(func(f figures) float64 { return f.hourly[h] })
		row(fmt.Sprintf("volume share %02d:00 UTC", h), rf.hourly[h], s)
	}
	// The low tail of the 1m trade count against real Binance BTCUSDT
	// (the only real file with counts: a day, 2020-12-01, a Tuesday).
	// Over the synthetic month the model's is heavier (q0.1%, q1%, q5% of
	// the median about 0.18, 0.25, 0.37 against 0.31, 0.40, 0.51): the
	// month holds weekend nights, the real day does not. Within a weekday,
	// as the real file is, it is about 0.34, 0.43, 0.54 (the median day
	// of the median month): a little lighter than the real day, and
	// asserted within 0.1 of it at q1%. It was 0.00, 0.03,
	// 0.11 before counts down to the minutes followed activity to the
	// power 0.35 (tradeDamp), the VWAP tilt kept a fifth of a child's
	// volume target and reachVWAP a quarter of its lots, and days and
	// 6-hour blocks aimed their VWAP at their path's (pathVWAP): the
	// volume split drained blocks to a lot per trade, and a block has at
	// most a trade per lot.
	if counts, err := readTradeCounts(realCounts); err == nil {
		rq := lowQuantiles(counts)
		for i, name := range [3]string{"q0.1%", "q1%", "q5%"} {
			row("1m trades "+name+" / median", rq[i], over(func(f figures) float64 { return f.tradeQ[i] }))
		}
		// The real file is one weekday: the model's weekdays, each on
		// its own (the median day).
		for i, name := range [3]string{"q0.1%", "q1%", "q5%"} {
			row("  within a weekday, "+name, rq[i], over(func(f figures) float64 { return f.dayQ[i] }))
		}
		if d := over(func(f figures) float64 { return f.dayQ[1] }).med; math.Abs(d-rq[1]) > 0.1 {
			t.Errorf("1m trades q1%% / median within a weekday: median %.3f, real %.3f, want within 0.1", d, rq[1])
		}
	} else {
		t.Logf("trade counts: %v", err)
	}
	// The held-out months, for the record: their own calendar and start
	// price, the same eight seeds; printed, not asserted (the model is set
	// against 2024-01). Only in the verbose report (`make realism`): they
	// cost twice the rest.
	if !testing.Verbose() {
		return
	}
	for _, path := range heldOut {
		real, err := readBars(path)
		if err != nil {
			t.Logf("held-out %s: %v", path, err)
			continue
		}
		rf := measure(real)
		for i := range sf {
			sf[i] = measure(syntheticBars(t, uint64(i+1), real[0].open, real[0].t, len(real)))
		}
		t.Logf("held-out %s:", strings.TrimPrefix(path, "../../shared/data/"))
		row("  excess kurtosis", rf.kurtosis, over(func(f figures) float64 { return f.kurtosis }))
		row("  tail: q99.9 |r| / median |r|", rf.tail, over(func(f figures) float64 { return f.tail }))
		row("  autocorrelation |r|, mean 1..60", rf.acfMean, over(func(f figures) float64 { return f.acfMean }))
		row("  correlation |r| vs volume", rf.retVol, over(func(f figures) float64 { return f.retVol }))
	}
}

// heldOut are other real BTC months (see SOURCES.md): Binance spot
// 2021-03/04 and FTX's perpetual 2022-01 (volume in USD).
var heldOut = []string{
	"../../shared/data/binance-spot-BTCUSDT-1m-2021-03-26_2021-04-30.csv.gz",
	"../../shared/data/ftx-perp-BTC-PERP-1m-2022-01.csv.gz",
}
