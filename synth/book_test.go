package synth_test

import (
	"context"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/synth"
)

func book(t testing.TB, m *synth.Market, sym string, at int64, depth int) cc.Book {
	t.Helper()
	b, err := m.Book(context.Background(), sym, at, depth)
	if err != nil {
		t.Fatalf("Book(%s, %d, %d): %v", sym, at, depth, err)
	}
	return b
}

// checkBook checks a book's shape: prices on the tick, strictly ordered
// away from the touch, positive sizes on the lot, never crossed.
func checkBook(t testing.TB, m *synth.Market, sym string, b cc.Book, depth int) {
	t.Helper()
	tick, lot, _ := m.TickSize(sym)
	if len(b.Bids) == 0 || len(b.Asks) == 0 {
		t.Fatalf("%s at %d: empty side: %d bids, %d asks", sym, b.Time, len(b.Bids), len(b.Asks))
	}
	if depth > 0 && (len(b.Bids) > depth || len(b.Asks) > depth) {
		t.Fatalf("%s: %d bids, %d asks at depth %d", sym, len(b.Bids), len(b.Asks), depth)
	}
	if b.Bids[0].Price.Cmp(b.Asks[0].Price) >= 0 {
		t.Fatalf("%s at %d: crossed: bid %s ask %s", sym, b.Time, b.Bids[0].Price, b.Asks[0].Price)
	}
	for k, side := range [][]cc.BookLevel{b.Bids, b.Asks} {
		for i, l := range side {
			if l.Price.Scale != tick.Scale || l.Price.Units <= 0 || l.Price.Units%tick.Units != 0 {
				t.Fatalf("%s: price %s off the tick %s", sym, l.Price, tick)
			}
			if l.Size.Scale != lot.Scale || l.Size.Units <= 0 || l.Size.Units%lot.Units != 0 {
				t.Fatalf("%s: size %s off the lot %s", sym, l.Size, lot)
			}
			if i > 0 && (k == 0) != (l.Price.Units < side[i-1].Price.Units) {
				t.Fatalf("%s: side %d out of order at %d: %s after %s", sym, k, i, l.Price, side[i-1].Price)
			}
		}
	}
}

// instants are times to look at a book: random ones over a few days
// (quiet minutes included), trade times and the microseconds around them.
func instants(t testing.TB, m *synth.Market, sym string, r *rand.Rand, n int) []int64 {
	base := ms("2025-05-05T00:00:00Z") * us
	var out []int64
	for range n {
		out = append(out, base+r.Int64N(3*86400e6))
	}
	for range 4 {
		start := base + r.Int64N(3*86400e6)
		for _, tr := range trades(t, m, cc.TradeQuery{Symbol: sym, Start: start, Limit: n / 4}) {
			out = append(out, tr.Time-1, tr.Time, tr.Time+1, tr.Time+2)
		}
	}
	return out
}

func TestBookTopIsTouch(t *testing.T) {
	ctx := context.Background()
	m := tapeMarket(7, "binance_spot")
	r := rand.New(rand.NewPCG(1, 2))
	for _, p := range tapePairs {
		for _, at := range instants(t, m, p.Symbol, r, 200) {
			th, err := m.Touch(ctx, p.Symbol, at)
			if err != nil {
				t.Fatal(err)
			}
			for _, depth := range []int{1, 5, 0} {
				b := book(t, m, p.Symbol, at, depth)
				checkBook(t, m, p.Symbol, b, depth)
				got := cc.Touch{Time: at, Bid: b.Bids[0].Price, BidSize: b.Bids[0].Size, Ask: b.Asks[0].Price, AskSize: b.Asks[0].Size}
				if got != th || b.Time != at {
					t.Fatalf("%s at %d depth %d: book top %+v, touch %+v", p.Symbol, at, depth, got, th)
				}
			}
		}
	}
}

// Every print lies at a level of its taker's side of the book just before
// it (the instant of its order), holding at least what the order prints
// there.
func TestBookHoldsEveryTrade(t *testing.T) {
	m := tapeMarket(8, "binance_spot")
	for _, p := range tapePairs {
		ts := trades(t, m, cc.TradeQuery{Symbol: p.Symbol, Start: ms("2025-05-06T14:00:00Z") * us, Limit: 3000})
		if len(ts) < 100 {
			t.Fatalf("%s: %d trades", p.Symbol, len(ts))
		}
		sweeps := 0
		for i := 0; i < len(ts); {
			e := i
			printed := map[int64]cc.Decimal{}
			for ; e < len(ts) && ts[e].Time == ts[i].Time; e++ {
				printed[ts[e].Price.Units] = printed[ts[e].Price.Units].Add(ts[e].Size)
			}
			if len(printed) > 1 {
				sweeps++
			}
			b := book(t, m, p.Symbol, ts[i].Time, 50)
			side := b.Asks
			if ts[i].BuyerMaker {
				side = b.Bids
			}
			for k, tr := range ts[i:e] {
				j := slices.IndexFunc(side, func(l cc.BookLevel) bool { return l.Price == tr.Price })
				// The order takes the levels from the best on, in turn.
				if j < 0 || side[j].Size.Cmp(printed[tr.Price.Units]) < 0 || (k == 0 && j != 0) {
					t.Fatalf("%s: trade %+v at level %d of %v", p.Symbol, tr, j, side[:min(4, len(side))])
				}
			}
			i = e
		}
		t.Logf("%s: %d trades, %d sweeps", p.Symbol, len(ts), sweeps)
	}
}

// apply applies d to one side of a book, best first.
func apply(side, d []cc.BookLevel, ask bool) []cc.BookLevel {
	m := map[int64]cc.BookLevel{}
	for _, l := range side {
		m[l.Price.Units] = l
	}
	for _, l := range d {
		if l.Size.IsZero() {
			delete(m, l.Price.Units)
		} else {
			m[l.Price.Units] = l
		}
	}
	out := make([]cc.BookLevel, 0, len(m))
	for _, l := range m {
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b cc.BookLevel) int {
		if ask {
			return a.Price.Cmp(b.Price)
		}
		return b.Price.Cmp(a.Price)
	})
	return out
}

// Diffs from any instant, even one off every round instant, bring the
// book there to each diff's instant, the steps ending at from + k·step
// (a stream on a beat of its own), the last at to.
func TestBookDiffsApply(t *testing.T) {
	ctx := context.Background()
	m := tapeMarket(9, "binance_spot")
	r := rand.New(rand.NewPCG(3, 4))
	for _, depth := range []int{5, 20, 400, 5000, 0} {
		for _, p := range tapePairs {
			from := ms("2025-05-05T00:00:00Z")*us + r.Int64N(3*86400e6)
			step := []int64{100_000, 1_000_000, 250_000}[r.IntN(3)]
			to := from + r.Int64N(20*step)
			if depth >= 400 {
				to = from + r.Int64N(5*step)
			}
			b := book(t, m, p.Symbol, from, depth)
			diffs, err := m.Diffs(ctx, p.Symbol, from, to, step, depth)
			if err != nil {
				t.Fatal(err)
			}
			seq := b.Seq
			for _, d := range diffs {
				if d.FirstSeq != seq+1 || d.LastSeq < d.FirstSeq || d.Time <= b.Time || d.Time > to || (d.Time != to && (d.Time-from)%step != 0) {
					t.Fatalf("%s depth %d: diff [%d, %d] at %d after seq %d at %d", p.Symbol, depth, d.FirstSeq, d.LastSeq, d.Time, seq, b.Time)
				}
				b.Bids, b.Asks = apply(b.Bids, d.Bids, false), apply(b.Asks, d.Asks, true)
				b.Time, seq = d.Time, d.LastSeq
				want := book(t, m, p.Symbol, d.Time, depth)
				if want.Seq != d.LastSeq || !slices.Equal(b.Bids, want.Bids) || !slices.Equal(b.Asks, want.Asks) {
					t.Fatalf("%s depth %d: diffs up to %d do not give the book there (seq %d, want %d)", p.Symbol, depth, d.Time, d.LastSeq, want.Seq)
				}
			}
			if end := book(t, m, p.Symbol, to, depth); end.Seq != seq {
				t.Fatalf("%s depth %d: diffs end at seq %d, the book at %d has %d", p.Symbol, depth, seq, to, end.Seq)
			}
		}
	}
}

// A snapshot taken at any instant, even inside a step, is brought to the
// end by the diffs from the one that straddles its update id (Binance's
// procedure): a diff lists every level that changed inside its step.
func TestBookDiffsFromAnySnapshot(t *testing.T) {
	ctx := context.Background()
	m := tapeMarket(15, "binance_spot")
	r := rand.New(rand.NewPCG(5, 6))
	for k := range 40 {
		p := tapePairs[k%len(tapePairs)]
		depth := []int{0, 20, 400, 5}[k%4]
		step := []int64{100_000, 250_000, 1_000_000}[r.IntN(3)]
		from := ms("2025-05-05T00:00:00Z")*us + r.Int64N(3*86400e6)
		if k%5 == 0 { // a busy afternoon
			from = ms("2025-05-06T14:00:00Z")*us + r.Int64N(3600e6)
		}
		to := from + step*int64(2+r.IntN(6))
		diffs, err := m.Diffs(ctx, p.Symbol, from, to, step, depth)
		if err != nil {
			t.Fatal(err)
		}
		at := from + 1 + r.Int64N(to-from-1)
		b := book(t, m, p.Symbol, at, depth)
		applied := 0
		for _, d := range diffs {
			if d.LastSeq <= b.Seq {
				continue
			}
			if applied == 0 && d.FirstSeq > b.Seq+1 {
				t.Fatalf("%s: the first diff [%d, %d] after a snapshot at %d", p.Symbol, d.FirstSeq, d.LastSeq, b.Seq)
			}
			b.Bids, b.Asks = apply(b.Bids, d.Bids, false), apply(b.Asks, d.Asks, true)
			applied++
		}
		want := book(t, m, p.Symbol, to, depth)
		if !slices.Equal(b.Bids, want.Bids) || !slices.Equal(b.Asks, want.Asks) {
			t.Fatalf("%s depth %d step %d: a snapshot at %d (%d diffs applied) does not reach the book at %d", p.Symbol, depth, step, at, applied, to)
		}
	}
}

// Diffs of adjacent windows continue each other, and update ids grow
// strictly from diff to diff.
func TestBookDiffsChain(t *testing.T) {
	ctx := context.Background()
	m := tapeMarket(10, "binance_spot")
	from := ms("2025-05-07T03:00:00Z") * us
	step := int64(100_000)
	seq := book(t, m, "BTCUSDT", from, 20).Seq
	n := 0
	for k := range 20 {
		a, b := from+int64(k)*730_000, from+int64(k+1)*730_000
		ds, err := m.Diffs(ctx, "BTCUSDT", a, b, step, 20)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if d.FirstSeq != seq+1 || d.LastSeq < d.FirstSeq {
				t.Fatalf("diff [%d, %d] after %d", d.FirstSeq, d.LastSeq, seq)
			}
			seq = d.LastSeq
			n++
		}
	}
	if n < 100 {
		t.Fatalf("%d diffs in 14.6 s", n)
	}
}

func TestBookDeterministic(t *testing.T) {
	at := ms("2025-05-05T12:34:56.789Z") * us
	a, b := book(t, tapeMarket(11, "binance_spot"), "ETHUSDT", at, 0), book(t, tapeMarket(11, "binance_spot"), "ETHUSDT", at, 0)
	if !slices.Equal(a.Bids, b.Bids) || !slices.Equal(a.Asks, b.Asks) || a.Seq != b.Seq {
		t.Fatal("two markets of one seed differ")
	}
	c := book(t, tapeMarket(11, "okx_spot"), "ETHUSDT", at, 0)
	if slices.Equal(a.Bids[1:], c.Bids[1:]) {
		t.Fatal("two exchanges have one book")
	}
}

// TestBookFigures measures the model: levels a side, the price range they
// span, the levels a 100 ms diff carries, the update ids per second.
func TestBookFigures(t *testing.T) {
	ctx := context.Background()
	m := tapeMarket(12, "binance_spot")
	for _, p := range tapePairs {
		from := ms("2025-05-06T15:00:00Z") * us
		b := book(t, m, p.Symbol, from, 0)
		end := book(t, m, p.Symbol, from+10e6, 0)
		var sizes [2][]int
		for k, depth := range []int{0, 20} {
			ds, err := m.Diffs(ctx, p.Symbol, from, from+10e6, 100_000, depth)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range ds {
				sizes[k] = append(sizes[k], len(d.Bids)+len(d.Asks))
			}
			slices.Sort(sizes[k])
		}
		if len(sizes[0]) < 90 || sizes[0][len(sizes[0])/2] == 0 {
			t.Fatalf("%s: diffs %v", p.Symbol, sizes[0])
		}
		mid := func(s []cc.BookLevel) float64 { return s[len(s)-1].Price.Float64() }
		t.Logf("%s: %d bids down to %g, %d asks up to %g; levels per 100 ms diff: median %d, p90 %d (top 20: median %d, p90 %d); %.0f update ids/s",
			p.Symbol, len(b.Bids), mid(b.Bids), len(b.Asks), mid(b.Asks),
			sizes[0][len(sizes[0])/2], sizes[0][len(sizes[0])*9/10], sizes[1][len(sizes[1])/2], sizes[1][len(sizes[1])*9/10],
			float64(end.Seq-b.Seq)/10)
	}
}

func TestBookErrors(t *testing.T) {
	ctx := context.Background()
	m := tapeMarket(13, "binance_spot")
	if _, err := m.Book(ctx, "NOPE", 0, 5); err == nil {
		t.Error("unknown symbol")
	}
	if _, err := m.Book(ctx, "BTCUSDT", 0, -1); err == nil {
		t.Error("negative depth")
	}
	for _, c := range [][3]int64{{0, 10, 0}, {10, 0, 1}, {0, 1 << 40, 1}} {
		if _, err := m.Diffs(ctx, "BTCUSDT", c[0], c[1], c[2], 5); err == nil {
			t.Errorf("Diffs%v", c)
		}
	}
}

func BenchmarkBook5000(b *testing.B) {
	m := tapeMarket(14, "binance_spot")
	ctx := context.Background()
	at := ms("2025-05-06T15:00:00Z") * us
	b.ReportAllocs()
	cpu0 := cpuTime()
	for i := 0; b.Loop(); i++ {
		if _, err := m.Book(ctx, "BTCUSDT", at+int64(i)*int64(time.Millisecond/time.Microsecond)*1337, 5000); err != nil {
			b.Fatal(err)
		}
	}
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
	}
}

// rank is where price px lies on a side (best first): the number of its
// levels before it.
func rank(side []cc.BookLevel, px int64, ask bool) int {
	i, _ := slices.BinarySearchFunc(side, px, func(l cc.BookLevel, px int64) int {
		if ask {
			return int(l.Price.Units - px)
		}
		return int(px - l.Price.Units)
	})
	return i
}

// TestBookUpdateRate holds the 100 ms diffs of the full book (5,000
// levels a side) to what a real venue's @depth@100ms stream of a large
// pair carries: tens of levels a step, mostly near the touch, the deep
// levels changing rarely but changing.
func TestBookUpdateRate(t *testing.T) {
	ctx := context.Background()
	m := tapeMarket(12, "binance_spot")
	r := rand.New(rand.NewPCG(9, 9))
	for _, p := range tapePairs[:2] {
		var sizes []int
		var byRank [5]int // changed levels by rank on their side: <20, <100, <500, <2000, more
		edges := [4]int{20, 100, 500, 2000}
		for range 30 {
			from := (ms("2025-05-05T00:00:00Z")*us + r.Int64N(3*86400e6)) / 100_000 * 100_000
			ds, err := m.Diffs(ctx, p.Symbol, from, from+2e6, 100_000, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range ds {
				sizes = append(sizes, len(d.Bids)+len(d.Asks))
				b := book(t, m, p.Symbol, d.Time, 0)
				for k, side := range [][]cc.BookLevel{d.Bids, d.Asks} {
					for _, l := range side {
						n := rank([][]cc.BookLevel{b.Bids, b.Asks}[k], l.Price.Units, k == 1)
						i := 0
						for i < len(edges) && n >= edges[i] {
							i++
						}
						byRank[i]++
					}
				}
			}
		}
		sum := 0
		for _, n := range sizes {
			sum += n
		}
		mean := float64(sum) / float64(len(sizes))
		slices.Sort(sizes)
		med := sizes[len(sizes)/2]
		near := float64(byRank[0]+byRank[1]+byRank[2]) / float64(sum)
		t.Logf("%s: %d diffs of 100 ms: levels mean %.1f, median %d, p90 %d, p99 %d; by rank <20 %d, <100 %d, <500 %d, <2000 %d, deeper %d",
			p.Symbol, len(sizes), mean, med, sizes[len(sizes)*9/10], sizes[len(sizes)*99/100], byRank[0], byRank[1], byRank[2], byRank[3], byRank[4])
		if mean < 10 || mean > 60 || med < 5 || med > 40 {
			t.Errorf("%s: levels per 100 ms diff: mean %.1f, median %d; want a mean in [10, 60], a median in [5, 40]", p.Symbol, mean, med)
		}
		// A level of the first 20 changes far more often than one of the
		// first 500, which changes far more often than a deeper one.
		perLevel := [5]float64{}
		width := [5]float64{20, 80, 400, 1500, 3000}
		for i := range perLevel {
			perLevel[i] = float64(byRank[i]) / width[i]
		}
		if near < 0.6 || perLevel[0] < 4*perLevel[2] || perLevel[2] < 4*perLevel[4] || byRank[4] == 0 {
			t.Errorf("%s: changes by rank %v (per level %.2g): want most within the first 500 levels, thinning with depth, and some deeper", p.Symbol, byRank, perLevel)
		}
	}
}

// The deep levels are not frozen: a level deeper than the first 2,000 on
// both books keeps its size from one second to the next, and mostly not
// over a few hours.
func TestBookDeepLevelsChange(t *testing.T) {
	m := tapeMarket(16, "binance_spot")
	at := ms("2025-05-05T09:00:00Z") * us
	for _, p := range tapePairs[:2] {
		frac := func(later int64) (float64, int) {
			a, b := book(t, m, p.Symbol, at, 0), book(t, m, p.Symbol, at+later, 0)
			same, both := 0, 0
			for k, side := range [][]cc.BookLevel{a.Bids, a.Asks} {
				other := [][]cc.BookLevel{b.Bids, b.Asks}[k]
				for _, l := range side[min(2000, len(side)):] {
					j := rank(other, l.Price.Units, k == 1)
					if j < 2000 || j >= len(other) || other[j].Price != l.Price {
						continue
					}
					both++
					if other[j].Size == l.Size {
						same++
					}
				}
			}
			if both < 100 {
				t.Fatalf("%s: %d deep levels on both books %d µs apart", p.Symbol, both, later)
			}
			return 1 - float64(same)/float64(both), both
		}
		sec, n1 := frac(1e6)
		hours, n2 := frac(4 * 3600e6)
		t.Logf("%s: deep levels resized after 1 s: %.3f of %d; after 4 h: %.3f of %d", p.Symbol, sec, n1, hours, n2)
		if sec > 0.02 || hours < 0.5 {
			t.Errorf("%s: deep levels resized: %.3f after 1 s, %.3f after 4 h", p.Symbol, sec, hours)
		}
	}
}

// BenchmarkDiffsStep is one 100 ms diff of the full book, step after step
// of a busy hour, as a diff stream asks for it.
func BenchmarkDiffsStep(b *testing.B) {
	m := tapeMarket(14, "binance_spot")
	ctx := context.Background()
	at := ms("2025-05-06T15:00:00Z") * us
	b.ReportAllocs()
	levels := 0
	cpu0 := cpuTime()
	for i := 0; b.Loop(); i++ {
		from := at + int64(i)*100_000
		ds, err := m.Diffs(ctx, "BTCUSDT", from, from+100_000, 100_000, 0)
		if err != nil {
			b.Fatal(err)
		}
		for _, d := range ds {
			levels += len(d.Bids) + len(d.Asks)
		}
	}
	b.ReportMetric(float64(levels)/float64(b.N), "levels/op")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
	}
}

// Streams and snapshots of one Market at once — each Diffs call lays its
// slots out in pooled buffers and copies the depths it shares with the
// others in and out of the Market's cache — get what a fresh Market
// answers alone: no call sees another's depth.
func TestBooksConcurrentCallsAgreeWithAFreshMarket(t *testing.T) {
	ctx := context.Background()
	shared := tapeMarket(21, "binance_spot")
	from := ms("2025-05-06T14:00:00Z") * us
	const step, steps = int64(100_000), 30
	type ask struct {
		sym       string
		phase     int64
		depth     int
		snapshots bool
	}
	var asks []ask
	for i, p := range tapePairs[:3] {
		for _, depth := range []int{0, 20} {
			asks = append(asks, ask{p.Symbol, int64(i) * 37_000, depth, i%2 == 0})
		}
	}
	type result struct {
		diffs []cc.BookDiff
		books []cc.Book
	}
	run := func(m *synth.Market, a ask) (result, error) {
		var r result
		for k := range int64(steps) {
			a0 := from + a.phase + k*step
			ds, err := m.Diffs(ctx, a.sym, a0, a0+step, step, a.depth)
			if err != nil {
				return r, err
			}
			r.diffs = append(r.diffs, ds...)
			if a.snapshots {
				b, err := m.Book(ctx, a.sym, a0+step/2, 100)
				if err != nil {
					return r, err
				}
				r.books = append(r.books, b)
			}
		}
		return r, nil
	}
	got := make([]result, len(asks))
	errs := make([]error, len(asks))
	var wg sync.WaitGroup
	for i, a := range asks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = run(shared, a)
		}()
	}
	wg.Wait()
	for i, a := range asks {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		want, err := run(tapeMarket(21, "binance_spot"), a)
		if err != nil {
			t.Fatal(err)
		}
		if len(want.diffs) < steps/2 || !reflect.DeepEqual(got[i], want) {
			t.Errorf("%s depth %d at +%d µs: %d diffs and %d books beside the others, %d and %d alone, or they differ",
				a.sym, a.depth, a.phase, len(got[i].diffs), len(got[i].books), len(want.diffs), len(want.books))
		}
	}
}
