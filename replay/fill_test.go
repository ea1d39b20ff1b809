package replay_test

import (
	"context"
	"sort"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/synth"
)

// memRecorded is an in-memory Recorded for one symbol and interval.
type memRecorded struct{ cs []cc.Candle }

func (m memRecorded) Range(_ string, _ cc.Interval, start, end int64) ([]cc.Candle, error) {
	var out []cc.Candle
	for _, c := range m.cs {
		if c.OpenTime >= start && c.OpenTime < end {
			out = append(out, c)
		}
	}
	return out, nil
}

func (m memRecorded) Before(_ string, _ cc.Interval, t int64) (cc.Candle, bool, error) {
	i := sort.Search(len(m.cs), func(i int) bool { return m.cs[i].OpenTime >= t })
	if i == 0 {
		return cc.Candle{}, false, nil
	}
	return m.cs[i-1], true, nil
}

func (m memRecorded) From(_ string, _ cc.Interval, t int64) (cc.Candle, bool, error) {
	i := sort.Search(len(m.cs), func(i int) bool { return m.cs[i].OpenTime >= t })
	if i == len(m.cs) {
		return cc.Candle{}, false, nil
	}
	return m.cs[i], true, nil
}

const t0 = int64(1704067200000) // 2024-01-01T00:00:00Z

// recordedCandles makes n flat-ish candles at a price level far from the
// synthetic market's, so a missing join would show as a jump.
func recordedCandles(from int64, n int, price string) []cc.Candle {
	var out []cc.Candle
	p := cc.MustDecimal(price)
	for k := 0; k < n; k++ {
		open := from + int64(k)*60000
		out = append(out, cc.Candle{
			OpenTime: open, CloseTime: open + 59999,
			Open: p, High: p.Add(cc.MustDecimal("1.00000000")), Low: p.Add(cc.MustDecimal("-1.00000000")), Close: p,
			Volume: cc.MustDecimal("1.00000000"), QuoteVolume: cc.MustDecimal("100.00000000"), Closed: true,
		})
	}
	return out
}

func newFilled(rec []cc.Candle) *replay.FilledMarket {
	pairs := []cc.Pair{{Base: "BTC", Quote: "USDT", Price: 50000, Symbol: "BTCUSDT"}}
	return &replay.FilledMarket{Recorded: memRecorded{rec}, Synth: synth.New(synth.Options{Pairs: pairs})}
}

func checkContinuous(t *testing.T, cs []cc.Candle) {
	t.Helper()
	for i, c := range cs {
		if c.High.Cmp(c.Open) < 0 || c.High.Cmp(c.Close) < 0 || c.Low.Cmp(c.Open) > 0 || c.Low.Cmp(c.Close) > 0 {
			t.Fatalf("candle %d: high/low do not contain open/close: %+v", i, c)
		}
		if i > 0 && c.OpenTime != cs[i-1].OpenTime+60000 {
			t.Fatalf("candle %d: open %d does not follow %d", i, c.OpenTime, cs[i-1].OpenTime)
		}
	}
}

func TestFilledMarketServesRecordedUnchanged(t *testing.T) {
	rec := recordedCandles(t0, 10, "42000.00000000")
	got, err := newFilled(rec).Candles(context.Background(), "BTCUSDT", cc.Interval1m, t0, t0+10*60000, t0+1e9)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 10 {
		t.Fatalf("%d candles", len(got))
	}
	for i := range rec {
		if got[i] != rec[i] {
			t.Fatalf("candle %d changed: %+v, want %+v", i, got[i], rec[i])
		}
	}
}

func TestFilledMarketJoinsSyntheticAfterRecording(t *testing.T) {
	rec := recordedCandles(t0, 10, "42000.00000000")
	got, err := newFilled(rec).Candles(context.Background(), "BTCUSDT", cc.Interval1m, t0, t0+20*60000, t0+1e9)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 20 {
		t.Fatalf("%d candles, want 20", len(got))
	}
	checkContinuous(t, got)
	for i := range rec {
		if got[i] != rec[i] {
			t.Fatalf("recorded candle %d changed", i)
		}
	}
	if got[10].Open != rec[9].Close {
		t.Fatalf("first synthetic open %s, want the last recorded close %s", got[10].Open, rec[9].Close)
	}
	for i := 11; i < 20; i++ {
		if got[i].Open != got[i-1].Close {
			t.Fatalf("jump at %d: open %s after close %s", i, got[i].Open, got[i-1].Close)
		}
	}
}

func TestFilledMarketBridgesAGap(t *testing.T) {
	rec := append(recordedCandles(t0, 5, "42000.00000000"), recordedCandles(t0+15*60000, 5, "43000.00000000")...)
	got, err := newFilled(rec).Candles(context.Background(), "BTCUSDT", cc.Interval1m, t0+3*60000, t0+18*60000, t0+1e9)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 15 {
		t.Fatalf("%d candles, want 15", len(got))
	}
	checkContinuous(t, got)
	// got[0..1] recorded, got[2..11] synthetic, got[12..14] recorded.
	if got[2].Open != rec[4].Close {
		t.Fatalf("bridge opens at %s, want %s", got[2].Open, rec[4].Close)
	}
	if got[11].Close != rec[5].Open {
		t.Fatalf("bridge closes at %s, want the next recording's open %s", got[11].Close, rec[5].Open)
	}
	for i := 3; i <= 11; i++ {
		if got[i].Open != got[i-1].Close {
			t.Fatalf("jump inside the bridge at %d", i)
		}
	}
}

func TestFilledMarketJoinsSyntheticBeforeRecording(t *testing.T) {
	rec := recordedCandles(t0+10*60000, 5, "42000.00000000")
	got, err := newFilled(rec).Candles(context.Background(), "BTCUSDT", cc.Interval1m, t0, t0+15*60000, t0+1e9)
	if err != nil {
		t.Fatal(err)
	}
	checkContinuous(t, got)
	if got[9].Close != rec[0].Open {
		t.Fatalf("synthetic stretch closes at %s, want the recording's open %s", got[9].Close, rec[0].Open)
	}
}

func TestFilledMarketStopsAtNow(t *testing.T) {
	rec := recordedCandles(t0, 10, "42000.00000000")
	now := t0 + 4*60000 + 30000
	got, err := newFilled(rec).Candles(context.Background(), "BTCUSDT", cc.Interval1m, t0, t0+10*60000, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 || got[4].Closed {
		t.Fatalf("got %d candles (last closed=%v), want 5 with the last in progress", len(got), got[len(got)-1].Closed)
	}
}

// Before a recording the synthetic path is moved as a whole to meet the
// recording: a window asked for from further back serves the same candles
// where it overlaps a nearer one, and the level far back is the market's
// own path times one factor, not a ramp squeezed into the window.
func TestFilledMarketBeforeRecordingIsWindowIndependent(t *testing.T) {
	rec := recordedCandles(t0+600*60000, 5, "42000.00000000")
	m := newFilled(rec)
	near, err := m.Candles(context.Background(), "BTCUSDT", cc.Interval1m, t0+500*60000, t0+605*60000, t0+1e9)
	if err != nil {
		t.Fatal(err)
	}
	far, err := m.Candles(context.Background(), "BTCUSDT", cc.Interval1m, t0, t0+605*60000, t0+1e9)
	if err != nil {
		t.Fatal(err)
	}
	checkContinuous(t, near)
	checkContinuous(t, far)
	if got := far[599].Close; got != rec[0].Open {
		t.Fatalf("the stretch closes at %s, want the recording's open %s", got, rec[0].Open)
	}
	// The windows' candles agree up to one unit in the recording's last
	// decimal place (each window's anchor is rounded to it once).
	close := func(a, b cc.Decimal) bool {
		d := a.Add(b.Neg())
		return d.Units >= -1 && d.Units <= 1
	}
	for k := 0; k < 100; k++ {
		a, b := near[k], far[500+k]
		if a.OpenTime != b.OpenTime || !close(a.Open, b.Open) || !close(a.High, b.High) || !close(a.Low, b.Low) || !close(a.Close, b.Close) || a.Volume != b.Volume {
			t.Fatalf("candle %d before the recording differs between windows:\n near %+v\n far  %+v", k, a, b)
		}
	}
}
