package binance_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/binance"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// fetch lists candles through the server and decodes them with the
// plugin's own decoder.
func fetch(t *testing.T, p *binance.Plugin, base, path string) []cc.Candle {
	t.Helper()
	status, body := get(t, base+path)
	if status != http.StatusOK {
		t.Fatalf("%s: %d %s", path, status, body)
	}
	req, _ := http.NewRequest(http.MethodGet, path, nil)
	set, err := p.DecodeCandles(req, body)
	if err != nil {
		t.Fatalf("%s: decode: %v", path, err)
	}
	return set.Candles
}

func checkContiguous(t *testing.T, iv cc.Interval, cs []cc.Candle) {
	t.Helper()
	for i, c := range cs {
		if iv.Truncate(c.OpenTime) != c.OpenTime || c.CloseTime != iv.CloseTime(c.OpenTime) {
			t.Fatalf("row %d: open %d close %d not aligned to %s", i, c.OpenTime, c.CloseTime, iv)
		}
		if i > 0 && cs[i-1].CloseTime+1 != c.OpenTime {
			t.Fatalf("row %d: gap or overlap after %d: %d", i, cs[i-1].OpenTime, c.OpenTime)
		}
	}
}

func TestKlineWindows(t *testing.T) {
	p := binance.New(binance.Spot, binance.Options{})
	srv := spotServer(t)
	now := fixedNow.UnixMilli()
	m1 := cc.Interval1m
	cur := m1.Truncate(now)
	for _, tc := range []struct {
		name        string
		query       string
		iv          cc.Interval
		first, last int64
		n           int
	}{
		{"neither time gives the latest 500 up to the candle in progress", "interval=1m", m1, cur - 499*60_000, cur, 500},
		{"only endTime gives the limit candles ending there", "interval=1m&limit=10&endTime=" + fmt.Sprint(cur-3_600_000+30_000), m1, cur - 3_600_000 - 9*60_000, cur - 3_600_000, 10},
		{"an unaligned startTime starts at the next open", "interval=1m&limit=5&startTime=" + fmt.Sprint(cur-600_000+1), m1, cur - 540_000, cur - 300_000, 5},
		{"startTime and endTime select open times inclusively", "interval=1m&startTime=" + fmt.Sprint(cur-600_000) + "&endTime=" + fmt.Sprint(cur-300_000), m1, cur - 600_000, cur - 300_000, 6},
		{"a window past now stops at the candle in progress", "interval=1m&startTime=" + fmt.Sprint(cur-120_000), m1, cur - 120_000, cur, 3},
		{"a startTime in the future gives nothing", "interval=1m&startTime=" + fmt.Sprint(now+3_600_000), m1, 0, 0, 0},
		{"months open on the first", "interval=1M&limit=3", cc.Interval1M, 1767225600000, 1772323200000, 3},
		{"weeks open on Mondays", "interval=1w&limit=2", cc.Interval1w, 1773014400000, 1773619200000, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := fetch(t, p, srv.URL, "/api/v3/klines?symbol=BTCUSDT&"+tc.query)
			if len(cs) != tc.n {
				t.Fatalf("%d rows, want %d", len(cs), tc.n)
			}
			checkContiguous(t, tc.iv, cs)
			if tc.n > 0 && (cs[0].OpenTime != tc.first || cs[len(cs)-1].OpenTime != tc.last) {
				t.Errorf("rows %d..%d, want %d..%d", cs[0].OpenTime, cs[len(cs)-1].OpenTime, tc.first, tc.last)
			}
		})
	}
}

// TestStartTimePagesJoin pages the way ccxt does (next startTime = last
// open + one interval) and checks the pages join into the market's
// candles with no gap or overlap.
func TestStartTimePagesJoin(t *testing.T) {
	for _, tc := range []struct {
		kind binance.Kind
		path string
	}{{binance.Spot, "/api/v3/klines"}, {binance.Spot, "/api/v3/uiKlines"}, {binance.Perpetual, "/fapi/v1/klines"}} {
		for _, iv := range []cc.Interval{cc.Interval1m, cc.Interval15m, cc.Interval4h} {
			t.Run(fmt.Sprintf("%s %s", tc.path, iv), func(t *testing.T) {
				p := binance.New(tc.kind, binance.Options{})
				srv := serve(t, p, newEnv(replaytest.Clock(fixedNow, 0)))
				now := fixedNow.UnixMilli()
				since := iv.Truncate(now) - 250*iv.Millis() + 1234
				var all []cc.Candle
				for page := 0; page < 4; page++ {
					cs := fetch(t, p, srv.URL, fmt.Sprintf("%s?symbol=ETHUSDT&interval=%s&startTime=%d&limit=100", tc.path, iv, since))
					if len(cs) == 0 {
						break
					}
					if len(cs) > 100 {
						t.Fatalf("page %d: %d rows for limit 100", page, len(cs))
					}
					all = append(all, cs...)
					since = cs[len(cs)-1].OpenTime + iv.Millis()
				}
				checkContiguous(t, iv, all)
				want, _ := testMarket{}.Candles(context.Background(), "ETHUSDT", iv, iv.Truncate(now)-249*iv.Millis(), iv.Next(iv.Truncate(now)), now)
				if len(all) != len(want) {
					t.Fatalf("%d candles paged, market has %d", len(all), len(want))
				}
				for i := range want {
					if !sameCandle(all[i], want[i]) {
						t.Fatalf("candle %d: got %+v\nwant %+v", i, all[i], want[i])
					}
				}
			})
		}
	}
}

func sameCandle(a, b cc.Candle) bool {
	return a.OpenTime == b.OpenTime && a.CloseTime == b.CloseTime && a.Open.Cmp(b.Open) == 0 &&
		a.High.Cmp(b.High) == 0 && a.Low.Cmp(b.Low) == 0 && a.Close.Cmp(b.Close) == 0 &&
		a.Volume.Cmp(b.Volume) == 0 && a.QuoteVolume.Cmp(b.QuoteVolume) == 0 && a.Trades == b.Trades &&
		a.TakerBuyBase.Cmp(b.TakerBuyBase) == 0 && a.TakerBuyQuote.Cmp(b.TakerBuyQuote) == 0
}

// TestTimeZoneShiftsBoundaries asks for daily candles in UTC+8: each opens
// at 16:00 UTC and aggregates the 24 hourly candles inside it.
func TestTimeZoneShiftsBoundaries(t *testing.T) {
	p := binance.New(binance.Spot, binance.Options{})
	srv := spotServer(t)
	now := fixedNow.UnixMilli()
	for _, tz := range []string{"8", "+08:00", "08:00"} {
		cs := fetch(t, p, srv.URL, "/api/v3/klines?symbol=BTCUSDT&interval=1d&limit=3&timeZone="+url.QueryEscape(tz))
		if len(cs) != 3 {
			t.Fatalf("tz %s: %d rows", tz, len(cs))
		}
		for i, c := range cs {
			if (c.OpenTime+8*3_600_000)%86_400_000 != 0 || c.CloseTime != c.OpenTime+86_400_000-1 {
				t.Fatalf("tz %s row %d: open %d close %d", tz, i, c.OpenTime, c.CloseTime)
			}
			hours, _ := testMarket{}.Candles(context.Background(), "BTCUSDT", cc.Interval1h, c.OpenTime, c.CloseTime+1, now)
			agg := cc.Aggregate(hours)
			agg.CloseTime = c.CloseTime // the day in progress ends later than its last hour
			if !sameCandle(c, agg) {
				t.Errorf("tz %s row %d: %+v, hourly aggregate %+v", tz, i, c, agg)
			}
		}
		if last := cs[2]; !(last.OpenTime <= now && now <= last.CloseTime) {
			t.Errorf("tz %s: last row %d is not the day in progress", tz, last.OpenTime)
		}
	}
}

func TestCandlesRequestRoundTrip(t *testing.T) {
	for _, kind := range []binance.Kind{binance.Spot, binance.Perpetual} {
		p := binance.New(kind, binance.Options{})
		srv := serve(t, p, newEnv(replaytest.Clock(fixedNow, 0)))
		iv := cc.Interval5m
		start := iv.Truncate(fixedNow.UnixMilli()) - 20*iv.Millis()
		req, err := p.CandlesRequest(plugins.Query{Symbol: "BTCUSDT", Interval: iv, Start: start, End: start + 9*iv.Millis(), Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		cs := fetch(t, p, srv.URL, req.URL.String())
		if len(cs) != 10 || cs[0].OpenTime != start {
			t.Fatalf("%s: %d rows from %d", p.Name(), len(cs), cs[0].OpenTime)
		}
		for i, c := range cs {
			if c.Closed != (i < len(cs)-1) {
				t.Errorf("row %d closed=%v", i, c.Closed)
			}
		}
	}
	if _, err := binance.New(binance.Perpetual, binance.Options{}).CandlesRequest(plugins.Query{Symbol: "BTCUSDT", Interval: cc.Interval1s}); err == nil {
		t.Error("futures built a 1s request")
	}
}

// TestKlinesStartAtListing: an early startTime gets the first candles
// after the market opened, and a window wholly before it gets none.
func TestKlinesStartAtListing(t *testing.T) {
	for _, tc := range []struct {
		kind  binance.Kind
		path  string
		first int64
	}{
		{binance.Spot, "/api/v3/klines", 1502928000000},       // 2017-08-17
		{binance.Perpetual, "/fapi/v1/klines", 1569369600000}, // 2019-09-25
	} {
		p := binance.New(tc.kind, binance.Options{})
		srv := serve(t, p, newEnv(replaytest.Clock(fixedNow, 0)))
		cs := fetch(t, p, srv.URL, tc.path+"?symbol=BTCUSDT&interval=1d&startTime=0&limit=3")
		if len(cs) != 3 || cs[0].OpenTime != tc.first {
			t.Errorf("%s: %d rows from %v, want 3 from %d", tc.path, len(cs), cs, tc.first)
		}
		if cs := fetch(t, p, srv.URL, tc.path+"?symbol=BTCUSDT&interval=1d&endTime=1000000"); len(cs) != 0 {
			t.Errorf("%s: %d rows before the listing", tc.path, len(cs))
		}
	}
}
