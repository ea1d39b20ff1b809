package gateio_test

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// parseRows decodes spot rows into (open, candle) pairs.
func parseRows(t *testing.T, body []byte) []cc.Candle {
	t.Helper()
	var rows [][]string
	if err := json.Unmarshal(body, &rows); err != nil {
		t.Fatalf("%v: %.200s", err, body)
	}
	out := make([]cc.Candle, len(rows))
	for i, r := range rows {
		ts, _ := strconv.ParseInt(r[0], 10, 64)
		out[i] = cc.Candle{
			OpenTime: ts * 1000, QuoteVolume: cc.MustDecimal(r[1]), Close: cc.MustDecimal(r[2]),
			High: cc.MustDecimal(r[3]), Low: cc.MustDecimal(r[4]), Open: cc.MustDecimal(r[5]),
			Volume: cc.MustDecimal(r[6]), Closed: r[7] == "true",
		}
	}
	return out
}

func TestTenSecondCandlesFoldIntoTheMinute(t *testing.T) {
	s := replaytest.Start(t, "gate_io_spot", nil, nil)
	minute := cc.Interval1m.Truncate(time.Now().Add(-time.Hour).UnixMilli())
	from := strconv.FormatInt(minute/1000, 10)
	to := strconv.FormatInt(minute/1000+50, 10)
	status, body := s.Get(t, "/api/v4/spot/candlesticks?currency_pair=BTC_USDT&interval=10s&from="+from+"&to="+to)
	if status != 200 {
		t.Fatalf("%d %s", status, body)
	}
	tens := parseRows(t, body)
	if len(tens) != 6 {
		t.Fatalf("%d ten-second candles in a minute", len(tens))
	}
	for i, c := range tens {
		if c.OpenTime != minute+int64(i)*10_000 || !c.Closed {
			t.Fatalf("candle %d opens at %d (closed %v)", i, c.OpenTime, c.Closed)
		}
	}
	m, err := s.Env.Market.Candles(t.Context(), "BTC_USDT", cc.Interval1m, minute, minute+60_000, time.Now().UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	agg := cc.Aggregate(tens)
	if agg.Open.Cmp(m[0].Open) != 0 || agg.Close.Cmp(m[0].Close) != 0 || agg.High.Cmp(m[0].High) != 0 ||
		agg.Low.Cmp(m[0].Low) != 0 || agg.Volume.Cmp(m[0].Volume) != 0 {
		t.Errorf("six 10s candles fold to %+v, the minute is %+v", agg, m[0])
	}
	// The latest ones end with the bucket in progress.
	_, body = s.Get(t, "/api/v4/spot/candlesticks?currency_pair=BTC_USDT&interval=10s&limit=3")
	latest := parseRows(t, body)
	if len(latest) != 3 || latest[2].OpenTime != time.Now().UnixMilli()/10_000*10_000 && latest[2].OpenTime != time.Now().UnixMilli()/10_000*10_000-10_000 {
		t.Errorf("latest 10s candles %+v", latest)
	}
	// Futures serve 30s too; spot does not.
	if status, _ := s.Get(t, "/api/v4/spot/candlesticks?currency_pair=BTC_USDT&interval=30s"); status != 400 {
		t.Errorf("spot 30s: %d", status)
	}
	if status, body := s.Get(t, "/api/v4/futures/usdt/candlesticks?contract=BTC_USDT&interval=30s&limit=4"); status != 200 {
		t.Errorf("futures 30s: %d %s", status, body)
	}
}

func TestTenSecondWSCandlesGoFromInProgressToFinal(t *testing.T) {
	base := time.Now().Truncate(10 * time.Second).Add(-20 * time.Second)
	s := replaytest.Start(t, "gate_io_spot", nil, replaytest.Clock(base, 10))
	ws := s.Dial(t, "/ws/v4/")
	ws.Send(`{"id":1,"time":1,"channel":"spot.candlesticks","event":"subscribe","payload":["10s","BTC_USDT"]}`)
	ws.ReadJSON(5*time.Second, func(m map[string]any) bool { return m["event"] == "subscribe" })
	var open string
	sawOpen := false
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		m := ws.ReadJSON(5*time.Second, func(m map[string]any) bool { return m["event"] == "update" })
		res := m["result"].(map[string]any)
		if res["n"] != "10s_BTC_USDT" {
			t.Fatalf("push for %v", res["n"])
		}
		ts, _ := strconv.ParseInt(res["t"].(string), 10, 64)
		if ts%10 != 0 {
			t.Fatalf("bucket opens at %d, not on 10s", ts)
		}
		switch {
		case res["w"] == false && !sawOpen:
			sawOpen, open = true, res["t"].(string)
		case res["w"] == true && sawOpen && res["t"] == open:
			return
		}
	}
	t.Fatalf("no final push for the 10s bucket %s (in progress seen: %v)", open, sawOpen)
}
