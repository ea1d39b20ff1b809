package bybit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/bybit"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

func TestKlineStartAndLimitPageForwardWithoutGapOrOverlap(t *testing.T) {
	for _, ex := range []*bybit.Exchange{bybit.Spot, bybit.Perpetual} {
		t.Run(ex.Name(), func(t *testing.T) {
			f := newFixture(t, ex, replaytest.Clock(t0, 0))
			since := cc.Interval1m.Truncate(t0.UnixMilli()) - 1000*60_000
			var all []int64
			start := since
			for page := 0; page < 3; page++ {
				var r klineResp
				f.GetJSON(t, fmt.Sprintf("/v5/market/kline?symbol=BTCUSDT&start=%d&limit=100&interval=1&category=%s", start, ex.Category()), &r)
				if r.RetCode != 0 || r.Result.Category != ex.Category() || r.Result.Symbol != "BTCUSDT" {
					t.Fatalf("page %d: %+v", page, r)
				}
				os := replaytest.OpenTimes(t, r.Result.List)
				if len(os) != 100 {
					t.Fatalf("page %d: %d rows, want 100", page, len(os))
				}
				for i := 1; i < len(os); i++ {
					if os[i] != os[i-1]-60_000 {
						t.Fatalf("page %d: rows not newest first one minute apart: %d then %d", page, os[i-1], os[i])
					}
				}
				if os[len(os)-1] != start {
					t.Fatalf("page %d: oldest row %d, want start %d", page, os[len(os)-1], start)
				}
				for i := len(os) - 1; i >= 0; i-- {
					all = append(all, os[i])
				}
				// ccxt's next page starts one interval after the newest row.
				start = os[0] + 60_000
			}
			for i := 1; i < len(all); i++ {
				if all[i] != all[i-1]+60_000 {
					t.Fatalf("gap or overlap between %d and %d", all[i-1], all[i])
				}
			}
		})
	}
}

func TestKlineRowsAreTheMarketsCandles(t *testing.T) {
	f := newFixture(t, bybit.Spot, replaytest.Clock(t0, 0))
	now := t0.UnixMilli()
	var r klineResp
	f.GetJSON(t, "/v5/market/kline?category=spot&symbol=ETHUSDT&interval=60&limit=5", &r)
	cur := cc.Interval1h.Truncate(now)
	want, err := f.Env.Market.Candles(context.Background(), "ETHUSDT", cc.Interval1h, cur-4*3_600_000, cur+3_600_000, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Result.List) != 5 || len(want) != 5 {
		t.Fatalf("got %d rows, market %d", len(r.Result.List), len(want))
	}
	for i, row := range r.Result.List {
		c := want[len(want)-1-i]
		exp := []string{strconv.FormatInt(c.OpenTime, 10), kit.Trim(c.Open), kit.Trim(c.High), kit.Trim(c.Low), kit.Trim(c.Close), kit.Trim(c.Volume), kit.Trim(c.QuoteVolume)}
		if fmt.Sprint(row) != fmt.Sprint(exp) {
			t.Errorf("row %d = %v, want %v", i, row, exp)
		}
	}
	if want[4].Closed {
		t.Error("the newest candle should be the one in progress")
	}
	if r.Time != now {
		t.Errorf("time = %d, want the virtual now %d", r.Time, now)
	}
}

func TestKlineWindows(t *testing.T) {
	now := t0.UnixMilli()
	cur := cc.Interval1m.Truncate(now)
	hour := cc.Interval1h.Truncate(now)
	f := newFixture(t, bybit.Perpetual, replaytest.Clock(t0, 0))
	tests := []struct {
		name        string
		query       string
		rows        int
		first, last int64 // newest and oldest open
	}{
		{"no range gives the 200 latest candles", "interval=1", 200, cur, cur - 199*60_000},
		{"limit is capped at 1000", "interval=1&limit=5000", 1000, cur, cur - 999*60_000},
		{"end alone gives the candles up to end", fmt.Sprintf("interval=1&limit=10&end=%d", cur-3_600_000), 10, cur - 3_600_000, cur - 3_600_000 - 9*60_000},
		{"start and end are both inclusive", fmt.Sprintf("interval=60&start=%d&end=%d", hour-2*3_600_000, hour), 3, hour, hour - 2*3_600_000},
		{"an unaligned start rounds up", fmt.Sprintf("interval=1&limit=2&start=%d", cur-10*60_000+1), 2, cur - 8*60_000, cur - 9*60_000},
		{"start near now stops at the candle in progress", fmt.Sprintf("interval=1&limit=100&start=%d", cur-2*60_000), 3, cur, cur - 2*60_000},
		{"start in the future gives nothing", fmt.Sprintf("interval=1&start=%d", cur+3_600_000), 0, 0, 0},
		{"category defaults to linear", "interval=D&limit=3", 3, cc.Interval1d.Truncate(now), cc.Interval1d.Truncate(now) - 2*86_400_000},
		{"months are calendar months", "interval=M&limit=2", 2, cc.Interval1M.Truncate(now), cc.Interval1M.Prev(cc.Interval1M.Truncate(now))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r klineResp
			f.GetJSON(t, "/v5/market/kline?symbol=BTCUSDT&"+tt.query, &r)
			if r.RetCode != 0 {
				t.Fatalf("retCode %d %s", r.RetCode, r.RetMsg)
			}
			os := replaytest.OpenTimes(t, r.Result.List)
			if len(os) != tt.rows {
				t.Fatalf("%d rows, want %d", len(os), tt.rows)
			}
			if tt.rows > 0 && (os[0] != tt.first || os[len(os)-1] != tt.last) {
				t.Errorf("rows span %d..%d, want %d..%d", os[0], os[len(os)-1], tt.first, tt.last)
			}
		})
	}
}

func TestKlineErrorsAreBybits(t *testing.T) {
	tests := []struct {
		name  string
		ex    *bybit.Exchange
		query string
		code  int
		msg   string
	}{
		{"unknown symbol", bybit.Spot, "category=spot&symbol=DOGEUSDT&interval=1", 10001, "Not supported symbols"},
		{"lowercase symbol", bybit.Spot, "category=spot&symbol=btcusdt&interval=1", 10001, "Not supported symbols"},
		{"another category's symbol", bybit.Spot, "category=linear&symbol=BTCUSDT&interval=1", 10001, "Not supported symbols"},
		{"spot symbol on the perpetual server", bybit.Perpetual, "category=spot&symbol=BTCUSDT&interval=1", 10001, "Not supported symbols"},
		{"Binance interval name", bybit.Spot, "category=spot&symbol=BTCUSDT&interval=1m", 10001, "Invalid period!"},
		{"missing interval", bybit.Spot, "category=spot&symbol=BTCUSDT", 10001, "Invalid period!"},
		{"missing symbol", bybit.Spot, "category=spot&interval=1", 10001, "params error: symbol is required"},
		{"bad category", bybit.Spot, "category=futures&symbol=BTCUSDT&interval=1", 10001, "Illegal category"},
		{"start not a number", bybit.Spot, "category=spot&symbol=BTCUSDT&interval=1&start=yesterday", 10001, "params error: start invalid"},
		{"limit not a number", bybit.Spot, "category=spot&symbol=BTCUSDT&interval=1&limit=ten", 10001, "params error: limit invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.ex, replaytest.Clock(t0, 0))
			var r klineResp
			status, body := f.GetJSON(t, "/v5/market/kline?"+tt.query, &r)
			if status != http.StatusOK || r.RetCode != tt.code || r.RetMsg != tt.msg {
				t.Errorf("got HTTP %d %s, want HTTP 200 retCode %d %q", status, body, tt.code, tt.msg)
			}
			// Bybit's envelope with an empty result object.
			var got any
			json.Unmarshal(body, &got)
			want := map[string]any{"retCode": 0.0, "retMsg": "", "result": map[string]any{}, "retExtInfo": map[string]any{}, "time": 0.0}
			if err := replaytest.SameValueShape(want, got); err != nil {
				t.Errorf("error body: %v", err)
			}
		})
	}
}

func TestUnknownPathIsRouteNotFound(t *testing.T) {
	f := newFixture(t, bybit.Spot, replaytest.Clock(t0, 0))
	var r klineResp
	status, body := f.GetJSON(t, "/v5/market/nope", &r)
	if status != http.StatusNotFound || r.RetCode != 10017 {
		t.Errorf("got %d %s", status, body)
	}
}

func TestMarkAndIndexKlinesForLinear(t *testing.T) {
	f := newFixture(t, bybit.Perpetual, replaytest.Clock(t0, 0))
	for _, path := range []string{"mark-price-kline", "index-price-kline"} {
		var r klineResp
		f.GetJSON(t, "/v5/market/"+path+"?category=linear&symbol=BTCUSDT&interval=15&limit=4", &r)
		if r.RetCode != 0 || len(r.Result.List) != 4 || len(r.Result.List[0]) != 5 {
			t.Errorf("%s: %+v", path, r)
		}
	}
	var r klineResp
	f.GetJSON(t, "/v5/market/mark-price-kline?category=spot&symbol=BTCUSDT&interval=15", &r)
	if r.RetCode != 10001 {
		t.Errorf("mark price klines for spot: %+v", r)
	}
}

func TestServerTimeIsTheVirtualClock(t *testing.T) {
	f := newFixture(t, bybit.Spot, replaytest.Clock(t0, 0))
	var r struct {
		Result struct{ TimeSecond, TimeNano string } `json:"result"`
		Time   int64                                 `json:"time"`
	}
	_, body := f.GetJSON(t, "/v5/market/time", &r)
	if r.Result.TimeSecond != strconv.FormatInt(t0.Unix(), 10) || r.Result.TimeNano != strconv.FormatInt(t0.UnixNano(), 10) || r.Time != t0.UnixMilli() {
		t.Errorf("time: %s", body)
	}
	replaytest.CheckShape(t, "time.json", body, replaytest.KeysAnyOrder)
}

func TestResponsesHaveTheDocumentedShape(t *testing.T) {
	spot := newFixture(t, bybit.Spot, replaytest.Clock(t0, 0))
	linear := newFixture(t, bybit.Perpetual, replaytest.Clock(t0, 0))
	_, body := spot.GetJSON(t, "/v5/market/kline?category=spot&symbol=BTCUSDT&interval=60&limit=3", nil)
	replaytest.CheckShape(t, "kline.json", body, replaytest.KeysAnyOrder)
	_, body = spot.GetJSON(t, "/v5/market/instruments-info?category=spot", nil)
	replaytest.CheckShape(t, "instruments_spot.json", body, replaytest.KeysAnyOrder)
	_, body = linear.GetJSON(t, "/v5/market/instruments-info?category=linear", nil)
	// Bybit's table lists fields its example lacks (displayName, ...).
	replaytest.CheckShape(t, "instruments_linear.json", body, replaytest.KeysAtLeast)
}
