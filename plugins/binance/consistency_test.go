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
// inside 1m candles are the tape's prints of the minute, whole, and hold
// what every candle guarantees — its trade count, prices inside its range,
// the kline's f and L ids; where the tape is exact for the minute
// (synth/doc.go: not yet every minute), its open, high, low, close and
// volume too. The share of exact minutes is logged.
func TestTradesAggregateToTheirCandles(t *testing.T) {
	env := synthEnv(replaytest.Clock(fixedNow, 0), "binance_spot")
	srv := serve(t, binance.New(binance.Spot, binance.Options{}), env)
	now := fixedNow.UnixMilli()
	ctx := context.Background()
	exact, minutes := 0, 0
	for open := cc.Interval1m.Truncate(now) - 30*60_000; open < cc.Interval1m.Truncate(now); open += 60_000 {
		minutes++
		cs, err := env.Market.Candles(ctx, "BTCUSDT", cc.Interval1m, open, open+60_000, now)
		if err != nil || len(cs) != 1 {
			t.Fatal(err, len(cs))
		}
		c := cs[0]
		var aggs []aggRow
		q := "/api/v3/aggTrades?symbol=BTCUSDT&limit=1000&startTime=" + strconv.FormatInt(open, 10) + "&endTime=" + strconv.FormatInt(open+59_999, 10)
		for {
			_, body := get(t, srv.URL+q)
			var page []aggRow
			if err := json.Unmarshal(body, &page); err != nil {
				t.Fatalf("%s: %.200s", q, body)
			}
			for _, a := range page {
				if a.T <= open+59_999 {
					aggs = append(aggs, a)
				}
			}
			if len(page) < 1000 || page[len(page)-1].T > open+59_999 {
				break
			}
			q = "/api/v3/aggTrades?symbol=BTCUSDT&limit=1000&fromId=" + strconv.FormatInt(aggs[len(aggs)-1].L+1, 10)
		}
		ts, err := env.Tape.Trades(ctx, cc.TradeQuery{Symbol: "BTCUSDT", Start: open * 1000, End: (open + 60_000) * 1000, Now: now * 1000})
		if err != nil || len(aggs) == 0 || aggs[0].F != ts[0].ID || aggs[len(aggs)-1].L != ts[len(ts)-1].ID {
			t.Fatalf("minute %d: %d aggregates, the tape %d prints (%v)", open, len(aggs), len(ts), err)
		}
		i := 0
		hi, lo, vol := cc.MustDecimal(aggs[0].P), cc.MustDecimal(aggs[0].P), cc.Decimal{}
		for _, a := range aggs {
			sum := cc.Decimal{}
			for id := a.F; id <= a.L; id, i = id+1, i+1 {
				p := ts[i]
				if p.ID != id || p.AggID != a.A || p.Price.Fixed(8) != a.P || p.Millis() != a.T || p.BuyerMaker != a.M {
					t.Fatalf("aggregate %+v, print %+v", a, p)
				}
				sum = sum.Add(p.Size)
			}
			if sum.Cmp(cc.MustDecimal(a.Q)) != 0 {
				t.Fatalf("aggregate %+v: its prints sum to %v", a, sum)
			}
			p := cc.MustDecimal(a.P)
			if p.Cmp(hi) > 0 {
				hi = p
			}
			if p.Cmp(lo) < 0 {
				lo = p
			}
			vol = vol.Add(sum)
		}
		if int64(i) != c.Trades || hi.Cmp(c.High) > 0 || lo.Cmp(c.Low) < 0 {
			t.Errorf("minute %d: %d prints in [%v, %v], candle %+v", open, i, lo, hi, c)
		}
		// The kline's f and L are the minute's first and last trades.
		_, kb := get(t, srv.URL+"/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1&startTime="+strconv.FormatInt(open, 10))
		var rows [][]any
		if json.Unmarshal(kb, &rows) != nil || len(rows) != 1 || int64(rows[0][8].(float64)) != c.Trades {
			t.Errorf("kline %s", kb)
		}
		if cc.MustDecimal(aggs[0].P).Cmp(c.Open) == 0 && hi.Cmp(c.High) == 0 && lo.Cmp(c.Low) == 0 &&
			cc.MustDecimal(aggs[len(aggs)-1].P).Cmp(c.Close) == 0 && vol.Cmp(c.Volume) == 0 {
			exact++
		}
	}
	t.Logf("the trades of %d of %d minutes aggregate exactly to their candle", exact, minutes)
	if exact == 0 {
		t.Errorf("no minute's trades aggregate to its candle")
	}
}
