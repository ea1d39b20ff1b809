package binance_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/binance"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// TestTradesAggregateToTheirCandles: the aggregate trades REST serves
// inside a 1m candle fold exactly into it — first, highest, lowest and
// last price its OHLC, sizes its volume, prints its trade count — and the
// kline's own numbers say the same.
func TestTradesAggregateToTheirCandles(t *testing.T) {
	env := synthEnv(replaytest.Clock(fixedNow, 0), "binance_spot")
	if _, fake := env.Tape.(fakeTape); fake {
		t.Skip("needs the synthetic tape, which aggregates exactly to the candles")
	}
	srv := serve(t, binance.New(binance.Spot, binance.Options{}), env)
	now := fixedNow.UnixMilli()
	for _, open := range []int64{cc.Interval1m.Truncate(now) - 60_000, cc.Interval1m.Truncate(now) - 86_400_000 + 7*60_000} {
		cs, err := env.Market.Candles(context.Background(), "BTCUSDT", cc.Interval1m, open, open+60_000, now)
		if err != nil || len(cs) != 1 {
			t.Fatal(err, len(cs))
		}
		c := cs[0]
		var aggs []aggRow
		from := int64(-1)
		for {
			q := "/api/v3/aggTrades?symbol=BTCUSDT&limit=1000&startTime=" + strconv.FormatInt(open, 10) + "&endTime=" + strconv.FormatInt(open+59_999, 10)
			if from >= 0 {
				q = "/api/v3/aggTrades?symbol=BTCUSDT&limit=1000&fromId=" + strconv.FormatInt(from, 10)
			}
			_, body := get(t, srv.URL+q)
			var page []aggRow
			if err := json.Unmarshal(body, &page); err != nil {
				t.Fatalf("%s: %.200s", q, body)
			}
			for _, a := range page {
				if a.T > open+59_999 {
					page = nil
					break
				}
				aggs = append(aggs, a)
			}
			if len(page) < 1000 {
				break
			}
			from = aggs[len(aggs)-1].L + 1
		}
		if len(aggs) == 0 {
			t.Fatalf("no trades in %+v", c)
		}
		hi, lo, vol := cc.MustDecimal(aggs[0].P), cc.MustDecimal(aggs[0].P), cc.Decimal{}
		prints := int64(0)
		for _, a := range aggs {
			p := cc.MustDecimal(a.P)
			if p.Cmp(hi) > 0 {
				hi = p
			}
			if p.Cmp(lo) < 0 {
				lo = p
			}
			vol = vol.Add(cc.MustDecimal(a.Q))
			prints += a.L - a.F + 1
		}
		if cc.MustDecimal(aggs[0].P).Cmp(c.Open) != 0 || hi.Cmp(c.High) != 0 || lo.Cmp(c.Low) != 0 ||
			cc.MustDecimal(aggs[len(aggs)-1].P).Cmp(c.Close) != 0 || vol.Cmp(c.Volume) != 0 || prints != c.Trades {
			t.Errorf("trades of %d: open %s high %v low %v close %s volume %v prints %d\ncandle %+v",
				open, aggs[0].P, hi, lo, aggs[len(aggs)-1].P, vol, prints, c)
		}
	}
}
