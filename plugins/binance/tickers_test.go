package binance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	cc "github.com/candlecassette/candlecassette"
)

// TestTickerStatsFollowTheCandles checks the 24-hour ticker against the 1m
// candles of the last day: open of the first, close of the last, extremes,
// summed volume and trades.
func TestTickerStatsFollowTheCandles(t *testing.T) {
	now := fixedNow.UnixMilli()
	iv := cc.Interval1m
	cs, err := testMarket{}.Candles(context.Background(), "ETHUSDT", iv, iv.Truncate(now-86_400_000), iv.Next(iv.Truncate(now)), now)
	if err != nil {
		t.Fatal(err)
	}
	want := cc.Aggregate(cs)
	for _, tc := range []struct {
		name string
		url  string
	}{
		{"spot", spotServer(t).URL + "/api/v3/ticker/24hr?symbol=ETHUSDT"},
		{"futures", futuresServer(t).URL + "/fapi/v1/ticker/24hr?symbol=ETHUSDT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := get(t, tc.url)
			var got struct {
				Open, High, Low, Last, Volume cc.Decimal
				Count                         int64
				OpenTime, CloseTime           int64
			}
			var raw map[string]json.RawMessage
			if status != 200 || json.Unmarshal(body, &raw) != nil {
				t.Fatalf("%d %s", status, body)
			}
			for k, p := range map[string]*cc.Decimal{"openPrice": &got.Open, "highPrice": &got.High, "lowPrice": &got.Low, "lastPrice": &got.Last, "volume": &got.Volume} {
				if err := p.UnmarshalJSON(raw[k]); err != nil {
					t.Fatalf("%s: %v", k, err)
				}
			}
			json.Unmarshal(raw["count"], &got.Count)
			json.Unmarshal(raw["openTime"], &got.OpenTime)
			json.Unmarshal(raw["closeTime"], &got.CloseTime)
			if got.Open.Cmp(want.Open) != 0 || got.High.Cmp(want.High) != 0 || got.Low.Cmp(want.Low) != 0 ||
				got.Last.Cmp(want.Close) != 0 || got.Volume.Cmp(want.Volume) != 0 || got.Count != want.Trades {
				t.Errorf("ticker %+v\nwant %+v", got, want)
			}
			if got.CloseTime != now || got.OpenTime != now-86_400_000 {
				t.Errorf("window %d..%d, want %d..%d", got.OpenTime, got.CloseTime, now-86_400_000, now)
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
	cs, _ := testMarket{}.Candles(context.Background(), "BTCUSDT", cc.Interval1m, cc.Interval1m.Truncate(now)-4*60_000, now+1, now)
	a := cc.Aggregate(cs)
	want := cc.DecimalFromFloat(a.QuoteVolume.Float64()/a.Volume.Float64(), 8).Fixed(8)
	_, avg := get(t, srv.URL+"/api/v3/avgPrice?symbol=BTCUSDT")
	var ap struct {
		Mins      int    `json:"mins"`
		Price     string `json:"price"`
		CloseTime int64  `json:"closeTime"`
	}
	if json.Unmarshal(avg, &ap) != nil || ap.Mins != 5 || ap.Price != want || ap.CloseTime != now || len(cs) != 5 {
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
