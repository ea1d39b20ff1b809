package candlecassette_test

import (
	"context"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/synth"
)

func tickerMarket() *synth.Market {
	return synth.New(synth.Options{Seed: 7, Exchange: "binance_spot", Pairs: []cc.Pair{{Base: "BTC", Quote: "USDT", Price: 50000, Symbol: "BTCUSDT"}}})
}

// TestWindowStatsMinuteAligned: over whole minutes the statistics are
// exactly the aggregate of the window's 1m candles.
func TestWindowStatsMinuteAligned(t *testing.T) {
	ctx := context.Background()
	m := tickerMarket()
	for _, now := range []int64{1767225600000 + 86_400_000*3 - 1, 1767225600000 + 7_260_000 - 1} {
		start := now + 1 - 86_400_000
		st, err := cc.RollingStats(ctx, m, nil, "BTCUSDT", 86_400_000-1, now)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := m.Candles(ctx, "BTCUSDT", cc.Interval1m, start, now+1, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != 1440 {
			t.Fatalf("%d candles", len(cs))
		}
		a := cc.Aggregate(cs)
		if st.Open != a.Open || st.High != a.High || st.Low != a.Low || st.Last != a.Close ||
			st.Volume.Cmp(a.Volume) != 0 || st.QuoteVolume.Cmp(a.QuoteVolume) != 0 || st.Trades != a.Trades ||
			st.TakerBuyBase.Cmp(a.TakerBuyBase) != 0 {
			t.Fatalf("stats %+v\naggregate %+v", st, a)
		}
		if st.OpenTime != start || st.CloseTime != now || st.FirstID != -1 || st.LastID != -1 {
			t.Fatalf("times/ids %+v", st)
		}
	}
}

// TestWindowStatsRagged: a window with ragged edges is the aggregate of
// its 1s candles and lies within what the 1m candles touching it allow.
func TestWindowStatsRagged(t *testing.T) {
	ctx := context.Background()
	m := tickerMarket()
	now := int64(1767225600000) + 86_400_000 + 13*60_000 + 37_123
	for _, window := range []int64{86_400_000, 3_600_000, 45_000, 1_000} {
		start := now - window
		st, err := cc.RollingStats(ctx, m, nil, "BTCUSDT", window, now)
		if err != nil {
			t.Fatal(err)
		}
		// The closed seconds: the one in progress at now is left out.
		secs, err := m.Candles(ctx, "BTCUSDT", cc.Interval1s, cc.Interval1s.Truncate(start), cc.Interval1s.Truncate(now+1), now)
		if err != nil {
			t.Fatal(err)
		}
		a := cc.Aggregate(secs)
		if st.Open != a.Open || st.High != a.High || st.Low != a.Low || st.Last != a.Close ||
			st.Volume.Cmp(a.Volume) != 0 || st.Trades != a.Trades {
			t.Fatalf("window %d: stats %+v\n1s aggregate %+v", window, st, a)
		}
		mins, err := m.Candles(ctx, "BTCUSDT", cc.Interval1m, cc.Interval1m.Truncate(start), cc.Interval1m.Truncate(now)+60_000, now)
		if err != nil {
			t.Fatal(err)
		}
		b := cc.Aggregate(mins)
		if st.High.Cmp(b.High) > 0 || st.Low.Cmp(b.Low) < 0 || st.Volume.Cmp(b.Volume) > 0 || st.Trades > b.Trades {
			t.Fatalf("window %d: stats %+v outside 1m bounds %+v", window, st, b)
		}
		if !secs[len(secs)-1].Closed || secs[len(secs)-1].CloseTime != cc.Interval1s.Truncate(now)-1 {
			t.Fatalf("window %d: the last second counted %+v", window, secs[len(secs)-1])
		}
	}
}

// TestWindowStatsClosedSeconds: a window ending on a second's last
// millisecond counts that second; one ending inside it does not.
func TestWindowStatsClosedSeconds(t *testing.T) {
	ctx := context.Background()
	m := tickerMarket()
	sec := int64(1767225600000) + 5*86_400_000 + 42_000
	a, err := cc.WindowStats(ctx, m, nil, "BTCUSDT", sec-10_000, sec+999)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := cc.WindowStats(ctx, m, nil, "BTCUSDT", sec-10_000, sec+998)
	cs, _ := m.Candles(ctx, "BTCUSDT", cc.Interval1s, sec, sec+1000, sec+999)
	if a.Trades != b.Trades+cs[0].Trades || a.Last != cs[0].Close || a.Volume.Cmp(b.Volume.Add(cs[0].Volume)) != 0 {
		t.Fatalf("closed at %d: %+v\nopen: %+v\nsecond %+v", sec+999, a, b, cs[0])
	}
	if e, _ := cc.WindowStats(ctx, m, nil, "BTCUSDT", sec+10, sec+500); e.Trades != 0 || e.FirstID != -1 {
		t.Fatalf("no closed second: %+v", e)
	}
}

func TestDayStats(t *testing.T) {
	ctx := context.Background()
	m := tickerMarket()
	now := int64(1767225600000) + 2*86_400_000 + 5*3_600_000 + 1234
	st, err := cc.DayStats(ctx, m, nil, "BTCUSDT", now)
	if err != nil {
		t.Fatal(err)
	}
	if st.OpenTime != 1767225600000+2*86_400_000 {
		t.Fatalf("open time %d", st.OpenTime)
	}
	d, err := m.Candles(ctx, "BTCUSDT", cc.Interval1d, st.OpenTime, st.OpenTime+86_400_000, now)
	if err != nil || len(d) != 1 {
		t.Fatal(err, len(d))
	}
	// The day candle in progress is cut at now; the stats count whole 1s
	// candles, so they agree on the price path to now.
	if st.Open != d[0].Open || st.High.Cmp(d[0].High) > 0 || st.Low.Cmp(d[0].Low) < 0 {
		t.Fatalf("stats %+v\nday %+v", st, d[0])
	}
	if _, err := cc.DayStats(ctx, m, nil, "NOPE", now); err == nil {
		t.Fatal("unknown symbol: no error")
	}
}

func TestStatsDerived(t *testing.T) {
	st := cc.Stats{Open: cc.MustDecimal("100.00"), Last: cc.MustDecimal("101.235"),
		Volume: cc.MustDecimal("3"), QuoteVolume: cc.MustDecimal("301.00")}
	if got := st.Change().String(); got != "1.235" {
		t.Fatalf("change %s", got)
	}
	if got := st.ChangePercent(3).String(); got != "1.235" {
		t.Fatalf("percent %s", got)
	}
	if got := st.ChangePercent(2).String(); got != "1.24" { // half away from zero
		t.Fatalf("percent %s", got)
	}
	if got := st.WeightedAvg(4).String(); got != "100.3333" {
		t.Fatalf("wavg %s", got)
	}
	st.Last = cc.MustDecimal("98.765")
	if got := st.ChangePercent(2).String(); got != "-1.24" {
		t.Fatalf("percent %s", got)
	}
	if got := (cc.Stats{Last: cc.MustDecimal("5")}).WeightedAvg(2).String(); got != "5" {
		t.Fatalf("empty wavg %s", got)
	}
}
