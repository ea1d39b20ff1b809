package binance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/binance"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// TestTickerStatsFollowTheCandles checks the 24-hour ticker on the
// synthetic market against its candles: exactly the aggregate of the 1s
// candles of the window, within what the 1m candles touching it allow,
// and the touch straddling the last price.
func TestTickerStatsFollowTheCandles(t *testing.T) {
	now := fixedNow.UnixMilli()
	clock := replaytest.Clock(fixedNow, 0)
	for _, tc := range []struct {
		name string
		kind binance.Kind
		path string
	}{
		{"spot", binance.Spot, "/api/v3/ticker/24hr?symbol=ETHUSDT"},
		{"futures", binance.Perpetual, "/fapi/v1/ticker/24hr?symbol=ETHUSDT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := synthEnv(clock, "binance_spot")
			srv := serve(t, binance.New(tc.kind, binance.Options{}), env)
			ctx := context.Background()
			secs, err := env.Market.Candles(ctx, "ETHUSDT", cc.Interval1s, cc.Interval1s.Truncate(now-86_400_000), cc.Interval1s.Truncate(now+1), now)
			if err != nil {
				t.Fatal(err)
			}
			want := cc.Aggregate(secs)
			mins, err := env.Market.Candles(ctx, "ETHUSDT", cc.Interval1m, cc.Interval1m.Truncate(now-86_400_000), cc.Interval1m.Truncate(now)+60_000, now)
			if err != nil {
				t.Fatal(err)
			}
			bound := cc.Aggregate(mins)
			status, body := get(t, srv.URL+tc.path)
			var raw map[string]json.RawMessage
			if status != 200 || json.Unmarshal(body, &raw) != nil {
				t.Fatalf("%d %s", status, body)
			}
			dec := func(k string) cc.Decimal {
				var d cc.Decimal
				if err := d.UnmarshalJSON(raw[k]); err != nil {
					t.Fatalf("%s: %v", k, err)
				}
				return d
			}
			var count, openTime, closeTime, firstID, lastID int64
			json.Unmarshal(raw["count"], &count)
			json.Unmarshal(raw["openTime"], &openTime)
			json.Unmarshal(raw["closeTime"], &closeTime)
			json.Unmarshal(raw["firstId"], &firstID)
			json.Unmarshal(raw["lastId"], &lastID)
			if dec("openPrice").Cmp(want.Open) != 0 || dec("highPrice").Cmp(want.High) != 0 || dec("lowPrice").Cmp(want.Low) != 0 ||
				dec("lastPrice").Cmp(want.Close) != 0 || dec("volume").Cmp(want.Volume) != 0 || dec("quoteVolume").Cmp(want.QuoteVolume) != 0 || count != want.Trades {
				t.Errorf("ticker %s\nwant the 1s aggregate %+v", body, want)
			}
			if dec("highPrice").Cmp(bound.High) > 0 || dec("lowPrice").Cmp(bound.Low) < 0 || dec("volume").Cmp(bound.Volume) > 0 || count > bound.Trades {
				t.Errorf("ticker %s outside the 1m candles' %+v", body, bound)
			}
			if closeTime != now || openTime != now-86_400_000 {
				t.Errorf("window %d..%d, want %d..%d", openTime, closeTime, now-86_400_000, now)
			}
			if firstID <= 0 || lastID < firstID {
				t.Errorf("trade ids %d..%d", firstID, lastID)
			}
			if tc.kind == binance.Spot {
				// The touch is the book's right after the last trade, so
				// it straddles the last price.
				bid, ask, last := dec("bidPrice"), dec("askPrice"), dec("lastPrice")
				if bid.Cmp(ask) >= 0 || bid.Cmp(last) > 0 || ask.Cmp(last) < 0 {
					t.Errorf("touch does not straddle the last price: %s", body)
				}
			}
		})
	}
}

func TestPriceTickersAndAvgPrice(t *testing.T) {
	srv := spotServer(t)
	now := fixedNow.UnixMilli()
	last := marketCandle(t, "BTCUSDT", cc.Interval1m, now, now)
	status, body := get(t, srv.URL+"/api/v3/ticker/price?symbol=BTCUSDT")
	if status != 200 || string(body) != `{"symbol":"BTCUSDT","price":"`+last.Close.Fixed(8)+`"}` {
		t.Errorf("price ticker %d %s", status, body)
	}
	_, all := get(t, srv.URL+"/api/v3/ticker/price")
	var list []map[string]string
	if json.Unmarshal(all, &list) != nil || len(list) != 2 || list[0]["symbol"] != "BTCUSDT" || list[1]["symbol"] != "ETHUSDT" {
		t.Errorf("all price tickers %s", all)
	}
	// The average is exact at 1s: on the synthetic market (whose 1s and
	// 1m candles agree), the 1s candles of the last 5 minutes.
	env := synthEnv(replaytest.Clock(fixedNow, 0), "binance_spot")
	env.Tape = nil
	syn := serve(t, binance.New(binance.Spot, binance.Options{}), env)
	cs, _ := env.Market.Candles(context.Background(), "BTCUSDT", cc.Interval1s, cc.Interval1s.Truncate(now-5*60_000+1), cc.Interval1s.Truncate(now+1), now)
	a := cc.Aggregate(cs)
	want := cc.Stats{Volume: a.Volume, QuoteVolume: a.QuoteVolume}.WeightedAvg(8).Fixed(8)
	_, avg := get(t, syn.URL+"/api/v3/avgPrice?symbol=BTCUSDT")
	var ap struct {
		Mins      int    `json:"mins"`
		Price     string `json:"price"`
		CloseTime int64  `json:"closeTime"`
	}
	if json.Unmarshal(avg, &ap) != nil || ap.Mins != 5 || ap.Price != want || ap.CloseTime != now || len(cs) != 300 {
		t.Errorf("avgPrice %s, want price %s over %d candles", avg, want, len(cs))
	}
}

func TestUIKlinesMatchKlines(t *testing.T) {
	srv := spotServer(t)
	q := "?symbol=ETHUSDT&interval=5m&limit=20&endTime=1773840000000"
	_, a := get(t, srv.URL+"/api/v3/klines"+q)
	_, b := get(t, srv.URL+"/api/v3/uiKlines"+q)
	if !bytes.Equal(a, b) || len(a) < 100 {
		t.Errorf("klines and uiKlines differ:\n%.200s\n%.200s", a, b)
	}
}

// The 24hr ticker is one instant's: lastPrice is the last trade of the
// seconds closed by then, and bidPrice and askPrice the book's touch
// right after that trade, so they straddle it (a touch taken at the
// clock's now could be up to a second newer than lastPrice, and miss it).
// The futures 24hr ticker has no bid and ask.
func TestTickerTouchStraddlesItsLast(t *testing.T) {
	for _, at := range replaytest.TickerInstants() {
		s := replaytest.Start(t, "binance_spot", nil, replaytest.Clock(at, 0))
		var tk map[string]any
		if st, body := s.GetJSON(t, "/api/v3/ticker/24hr?symbol=BTCUSDT", &tk); st != 200 {
			t.Fatalf("at %s: %d %s", at.Format(time.RFC3339Nano), st, body)
		}
		replaytest.Straddles(t, "ticker/24hr", at, tk["lastPrice"], tk["bidPrice"], tk["askPrice"])
	}
}
