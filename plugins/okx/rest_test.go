package okx_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
	"github.com/candlecassette/candlecassette/plugins/okx"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

const minute = int64(60_000)

// ccxtPage is the request ccxt makes for limit candles from since.
func ccxtPage(path, inst, bar string, since, dur int64, limit int) string {
	return fmt.Sprintf("/api/v5/market/%s?instId=%s&bar=%s&limit=%d&before=%d&after=%d", path, inst, bar, limit, since-1, since+int64(limit)*dur)
}

func TestCcxtPagesJoinWithoutGapOrOverlap(t *testing.T) {
	for _, ex := range []*okx.Exchange{okx.Spot, okx.Perpetual} {
		t.Run(ex.Name(), func(t *testing.T) {
			f := newFixture(t, ex, replaytest.Clock(t0, 0))
			inst := ex.Symbol(cc.Pair{Base: "BTC", Quote: "USDT"})
			cur := cc.Interval1m.Truncate(t0.UnixMilli())
			for _, tt := range []struct {
				path  string
				since int64
			}{
				// Within the latest 1,440 bars: /market/candles.
				{"candles", cur - 1000*minute},
				// Older: ccxt switches to history-candles.
				{"history-candles", cur - 100_000*minute},
			} {
				var all []int64
				since := tt.since
				for page := 0; page < 3; page++ {
					var r candlesResp
					f.GetJSON(t, ccxtPage(tt.path, inst, "1m", since, minute, 100), &r)
					if r.Code != "0" || len(r.Data) != 100 {
						t.Fatalf("%s page %d: code %s, %d rows", tt.path, page, r.Code, len(r.Data))
					}
					os := replaytest.OpenTimes(t, r.Data)
					for i := 1; i < len(os); i++ {
						if os[i] != os[i-1]-minute {
							t.Fatalf("%s page %d: not newest first one minute apart: %d then %d", tt.path, page, os[i-1], os[i])
						}
					}
					if os[99] != since {
						t.Fatalf("%s page %d: oldest row %d, want since %d", tt.path, page, os[99], since)
					}
					for i := 99; i >= 0; i-- {
						all = append(all, os[i])
						if r.Data[i][8] != "1" {
							t.Errorf("%s: a past candle is not confirmed: %v", tt.path, r.Data[i])
						}
					}
					since = os[0] + minute
				}
				for i := 1; i < len(all); i++ {
					if all[i] != all[i-1]+minute {
						t.Fatalf("%s: gap or overlap between %d and %d", tt.path, all[i-1], all[i])
					}
				}
			}
		})
	}
}

func TestCandlesWindows(t *testing.T) {
	now := t0.UnixMilli()
	cur := cc.Interval1m.Truncate(now)
	f := newFixture(t, okx.Spot, replaytest.Clock(t0, 0))
	tests := []struct {
		name        string
		query       string
		rows        int
		first, last int64 // newest and oldest open
	}{
		{"no cursor gives the 100 latest, the newest in progress", "candles?instId=BTC-USDT", 100, cur, cur - 99*minute},
		{"limit is capped at 300", "candles?instId=BTC-USDT&limit=1000", 300, cur, cur - 299*minute},
		{"after gives older bars only", fmt.Sprintf("candles?instId=BTC-USDT&limit=5&after=%d", cur-10*minute), 5, cur - 11*minute, cur - 15*minute},
		{"an unaligned after keeps the bar it falls in", fmt.Sprintf("candles?instId=BTC-USDT&limit=2&after=%d", cur-10*minute+1), 2, cur - 10*minute, cur - 11*minute},
		{"before alone gives the latest bars newer than it", fmt.Sprintf("candles?instId=BTC-USDT&limit=5&before=%d", cur-100*minute), 5, cur, cur - 4*minute},
		{"before alone stops at before", fmt.Sprintf("candles?instId=BTC-USDT&before=%d", cur-3*minute), 3, cur, cur - 2*minute},
		{"after and before bound both ends", fmt.Sprintf("candles?instId=BTC-USDT&after=%d&before=%d", cur-10*minute, cur-14*minute), 3, cur - 11*minute, cur - 13*minute},
		{"candles serves only the latest 1440 bars", fmt.Sprintf("candles?instId=BTC-USDT&limit=300&after=%d", cur-1435*minute), 4, cur - 1436*minute, cur - 1439*minute},
		{"older windows are empty on candles", fmt.Sprintf("candles?instId=BTC-USDT&after=%d", cur-2000*minute), 0, 0, 0},
		{"history-candles serves them", fmt.Sprintf("history-candles?instId=BTC-USDT&limit=3&after=%d", cur-2000*minute), 3, cur - 2001*minute, cur - 2003*minute},
		{"1s bars on history-candles", "history-candles?instId=BTC-USDT&bar=1s&limit=3", 3, now / 1000 * 1000, now/1000*1000 - 2000},
		{"bar defaults to 1m", "history-candles?instId=BTC-USDT&limit=1", 1, cur, cur},
		{"UTC days", "candles?instId=BTC-USDT&bar=1Dutc&limit=2", 2, cc.Interval1d.Truncate(now), cc.Interval1d.Truncate(now) - 86_400_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r candlesResp
			f.GetJSON(t, "/api/v5/market/"+tt.query, &r)
			if r.Code != "0" {
				t.Fatalf("code %s %s", r.Code, r.Msg)
			}
			os := replaytest.OpenTimes(t, r.Data)
			if len(os) != tt.rows {
				t.Fatalf("%d rows, want %d", len(os), tt.rows)
			}
			if tt.rows > 0 && (os[0] != tt.first || os[len(os)-1] != tt.last) {
				t.Errorf("rows span %d..%d, want %d..%d", os[0], os[len(os)-1], tt.first, tt.last)
			}
		})
	}
}

func TestCandlesInProgressAndConfirmed(t *testing.T) {
	f := newFixture(t, okx.Spot, replaytest.Clock(t0, 0))
	now := t0.UnixMilli()
	var r candlesResp
	f.GetJSON(t, "/api/v5/market/candles?instId=ETH-USDT&bar=1H&limit=3", &r)
	cur := cc.Interval1h.Truncate(now)
	want, err := f.Env.Market.Candles(context.Background(), "ETH-USDT", cc.Interval1h, cur-2*3_600_000, cur+3_600_000, now)
	if err != nil || len(want) != 3 || len(r.Data) != 3 {
		t.Fatalf("%d rows, market %d (%v)", len(r.Data), len(want), err)
	}
	for i, row := range r.Data {
		c := want[2-i]
		conf := "0"
		if c.Closed {
			conf = "1"
		}
		exp := []string{strconv.FormatInt(c.OpenTime, 10), kit.Trim(c.Open), kit.Trim(c.High), kit.Trim(c.Low), kit.Trim(c.Close), kit.Trim(c.Volume), kit.Trim(c.QuoteVolume), kit.Trim(c.QuoteVolume), conf}
		if fmt.Sprint(row) != fmt.Sprint(exp) {
			t.Errorf("row %d = %v, want %v", i, row, exp)
		}
	}
	if r.Data[0][8] != "0" || r.Data[1][8] != "1" {
		t.Errorf("confirm flags %s %s, want 0 then 1", r.Data[0][8], r.Data[1][8])
	}
}

func TestPerpetualVolumesAreContractsAndBase(t *testing.T) {
	f := newFixture(t, okx.Perpetual, replaytest.Clock(t0, 0))
	var ins struct {
		Data []struct{ InstID, CtVal, LotSz string } `json:"data"`
	}
	f.GetJSON(t, "/api/v5/public/instruments?instType=SWAP", &ins)
	ctVals := map[string]string{}
	for _, in := range ins.Data {
		ctVals[in.InstID] = in.CtVal
	}
	want := map[string]string{"BTC-USDT-SWAP": "0.01", "ETH-USDT-SWAP": "0.1", "SOL-USDT-SWAP": "1", "XRP-USDT-SWAP": "100"}
	for id, ct := range want {
		if ctVals[id] != ct {
			t.Errorf("%s ctVal %q, want %q", id, ctVals[id], ct)
		}
		var r candlesResp
		f.GetJSON(t, "/api/v5/market/candles?instId="+id+"&limit=5", &r)
		ctv := cc.MustDecimal(ct).Float64()
		for _, row := range r.Data {
			vol, base := cc.MustDecimal(row[5]).Float64(), cc.MustDecimal(row[6]).Float64()
			if d := vol*ctv - base; d > 1e-9*base+1e-12 || d < -1e-9*base-1e-12 {
				t.Errorf("%s: %s contracts of %s is not %s base", id, row[5], ct, row[6])
			}
		}
	}
}

func TestCandlesErrorsAreOKXs(t *testing.T) {
	tests := []struct {
		name   string
		ex     *okx.Exchange
		query  string
		status int
		code   string
		msg    string
	}{
		{"missing instId", okx.Spot, "candles?bar=1m", 400, "50014", "Parameter instId can not be empty."},
		{"unknown instId", okx.Spot, "candles?instId=DOGE-USDT", 200, "51001", "Instrument ID, Instrument ID code, or Spread ID doesn't exist."},
		{"a perpetual on the spot server", okx.Spot, "candles?instId=BTC-USDT-SWAP", 200, "51001", "Instrument ID, Instrument ID code, or Spread ID doesn't exist."},
		{"a spot pair on the perpetual server", okx.Perpetual, "history-candles?instId=BTC-USDT", 200, "51001", "Instrument ID, Instrument ID code, or Spread ID doesn't exist."},
		{"Binance bar name", okx.Spot, "candles?instId=BTC-USDT&bar=1h", 400, "51000", "Parameter bar error"},
		{"1s on candles", okx.Spot, "candles?instId=BTC-USDT&bar=1s", 400, "51000", "Parameter bar error"},
		{"after not a number", okx.Spot, "candles?instId=BTC-USDT&after=now", 400, "51000", "Parameter after error"},
		{"before not a number", okx.Spot, "candles?instId=BTC-USDT&before=1.5", 400, "51000", "Parameter before error"},
		{"limit not a number", okx.Spot, "candles?instId=BTC-USDT&limit=all", 400, "51000", "Parameter limit error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.ex, replaytest.Clock(t0, 0))
			var r candlesResp
			status, body := f.GetJSON(t, "/api/v5/market/"+tt.query, &r)
			if status != tt.status || r.Code != tt.code || r.Msg != tt.msg || r.Data == nil || len(r.Data) != 0 {
				t.Errorf("got HTTP %d %s, want %d code %s %q", status, body, tt.status, tt.code, tt.msg)
			}
		})
	}
}

func TestHongKongBarsOpenAtUTCPlus8Midnight(t *testing.T) {
	f := newFixture(t, okx.Spot, replaytest.Clock(t0, 0)) // t0 is 2026-11-25T12:34:56Z, a Wednesday
	at := func(s string) int64 {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixMilli()
	}
	tests := []struct {
		bar    string
		newest string // open of the bar in progress
		older  string // open of the bar before
	}{
		{"6H", "2026-11-25T10:00:00Z", "2026-11-25T04:00:00Z"},
		{"12H", "2026-11-25T04:00:00Z", "2026-11-24T16:00:00Z"},
		{"1D", "2026-11-24T16:00:00Z", "2026-11-23T16:00:00Z"},
		{"1W", "2026-11-22T16:00:00Z", "2026-11-15T16:00:00Z"},
		{"1M", "2026-10-31T16:00:00Z", "2026-09-30T16:00:00Z"},
		{"3M", "2026-09-30T16:00:00Z", "2026-06-30T16:00:00Z"},
		{"6Hutc", "2026-11-25T12:00:00Z", "2026-11-25T06:00:00Z"},
		{"1Wutc", "2026-11-23T00:00:00Z", "2026-11-16T00:00:00Z"},
		{"1Mutc", "2026-11-01T00:00:00Z", "2026-10-01T00:00:00Z"},
		{"3Mutc", "2026-10-01T00:00:00Z", "2026-07-01T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.bar, func(t *testing.T) {
			var r candlesResp
			f.GetJSON(t, "/api/v5/market/candles?instId=SOL-USDT&limit=2&bar="+tt.bar, &r)
			os := replaytest.OpenTimes(t, r.Data)
			if len(os) != 2 || os[0] != at(tt.newest) || os[1] != at(tt.older) {
				t.Fatalf("opens %v, want %s and %s", os, tt.newest, tt.older)
			}
			if r.Data[0][8] != "0" || r.Data[1][8] != "1" {
				t.Errorf("confirm %s %s, want 0 then 1", r.Data[0][8], r.Data[1][8])
			}
		})
	}
}

func TestAggregatedBarsAgreeWithShorterOnes(t *testing.T) {
	f := newFixture(t, okx.Spot, replaytest.Clock(t0, 0))
	// A Hong Kong day is the 24 hourly bars from 16:00 UTC.
	var day, hours candlesResp
	f.GetJSON(t, "/api/v5/market/history-candles?instId=BTC-USDT&bar=1D&limit=2", &day)
	closed := day.Data[1]
	open, _ := strconv.ParseInt(closed[0], 10, 64)
	f.GetJSON(t, fmt.Sprintf("/api/v5/market/history-candles?instId=BTC-USDT&bar=1H&limit=24&before=%d&after=%d", open-1, open+24*3_600_000), &hours)
	checkFold(t, closed, hours.Data)
	// A UTC quarter is its three months.
	var quarter, months candlesResp
	f.GetJSON(t, "/api/v5/market/history-candles?instId=BTC-USDT&bar=3Mutc&limit=2", &quarter)
	q := quarter.Data[1]
	qOpen, _ := strconv.ParseInt(q[0], 10, 64)
	f.GetJSON(t, fmt.Sprintf("/api/v5/market/history-candles?instId=BTC-USDT&bar=1Mutc&before=%d&after=%d", qOpen-1, at(t, 2026, 10)), &months)
	checkFold(t, q, months.Data)
}

func at(t *testing.T, y, m int) int64 {
	return time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC).UnixMilli()
}

// checkFold checks that bar is the aggregate of parts (newest first).
func checkFold(t *testing.T, bar []string, parts [][]string) {
	t.Helper()
	if len(parts) == 0 {
		t.Fatal("no parts")
	}
	oldest, newest := parts[len(parts)-1], parts[0]
	if bar[0] != oldest[0] || bar[1] != oldest[1] || bar[4] != newest[4] {
		t.Errorf("bar %v: open/close differ from parts %v .. %v", bar, oldest, newest)
	}
	hi, lo, vol := cc.MustDecimal(parts[0][2]), cc.MustDecimal(parts[0][3]), cc.Decimal{}
	for _, p := range parts {
		if d := cc.MustDecimal(p[2]); d.Cmp(hi) > 0 {
			hi = d
		}
		if d := cc.MustDecimal(p[3]); d.Cmp(lo) < 0 {
			lo = d
		}
		vol = vol.Add(cc.MustDecimal(p[5]))
	}
	if cc.MustDecimal(bar[2]).Cmp(hi) != 0 || cc.MustDecimal(bar[3]).Cmp(lo) != 0 || cc.MustDecimal(bar[5]).Cmp(vol) != 0 {
		t.Errorf("bar %v, parts give high %s low %s vol %s", bar, hi, lo, vol)
	}
}

func TestUnknownPathIsNotFound(t *testing.T) {
	f := newFixture(t, okx.Spot, replaytest.Clock(t0, 0))
	if status, _ := f.GetJSON(t, "/api/v5/market/nope", nil); status != http.StatusNotFound {
		t.Errorf("status %d", status)
	}
}

func TestMarkAndIndexPriceCandles(t *testing.T) {
	f := newFixture(t, okx.Perpetual, replaytest.Clock(t0, 0))
	var trades candlesResp
	f.GetJSON(t, "/api/v5/market/candles?instId=ETH-USDT-SWAP&bar=15m&limit=5", &trades)
	for _, path := range []string{
		"mark-price-candles?instId=ETH-USDT-SWAP", "history-mark-price-candles?instId=ETH-USDT-SWAP",
		"index-candles?instId=ETH-USDT", "history-index-candles?instId=ETH-USDT",
	} {
		var r candlesResp
		f.GetJSON(t, "/api/v5/market/"+path+"&bar=15m&limit=5", &r)
		if r.Code != "0" || len(r.Data) != 5 {
			t.Fatalf("%s: %+v", path, r)
		}
		differ := false
		for i, row := range r.Data {
			tr := trades.Data[i]
			if len(row) != 6 || row[0] != tr[0] || row[5] != tr[8] {
				t.Errorf("%s row %d: %v, trade candle %v", path, i, row, tr)
				continue
			}
			// Mark and index follow the traded price within the band
			// (0.5%) and are series of their own.
			c, _ := strconv.ParseFloat(row[4], 64)
			tc, _ := strconv.ParseFloat(tr[4], 64)
			if c < tc*0.995 || c > tc*1.005 {
				t.Errorf("%s row %d: close %v, traded close %v: outside the band", path, i, row[4], tr[4])
			}
			differ = differ || row[1] != tr[1] || row[4] != tr[4] || row[2] != tr[2]
		}
		if !differ {
			t.Errorf("%s: the same candles as the traded price", path)
		}
	}
	var r candlesResp
	f.GetJSON(t, "/api/v5/market/mark-price-candles?instId=ETH-USDT-SWAP&limit=300", &r)
	if len(r.Data) != 100 {
		t.Errorf("mark price limit 300 gave %d rows, want the cap of 100", len(r.Data))
	}
	for _, path := range []string{"index-candles?instId=ETH-USDT-SWAP", "mark-price-candles?instId=ETH-USDT"} {
		var e candlesResp
		if status, body := f.GetJSON(t, "/api/v5/market/"+path, &e); status != 200 || e.Code != "51001" {
			t.Errorf("%s: %d %s", path, status, body)
		}
	}
}
