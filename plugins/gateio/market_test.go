package gateio_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// frozen is the instant the market tests look at: the clock stands still
// so the tape, candles and tickers are compared at one now.
var frozen = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func startFrozen(t *testing.T, id string) *replaytest.Server {
	return replaytest.Start(t, id, nil, replaytest.Clock(frozen, 0))
}

type spotTrade struct {
	ID, CreateTime, CreateTimeMs, CurrencyPair, Side, Amount, Price, SequenceID string
}

func (st *spotTrade) UnmarshalJSON(b []byte) error {
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*st = spotTrade{m["id"], m["create_time"], m["create_time_ms"], m["currency_pair"], m["side"], m["amount"], m["price"], m["sequence_id"]}
	if len(m) != 8 {
		return fmt.Errorf("want 8 string fields, got %v", m)
	}
	return nil
}

func getSpotTrades(t *testing.T, s *replaytest.Server, q string) []spotTrade {
	t.Helper()
	var ts []spotTrade
	if st, body := s.GetJSON(t, "/api/v4/spot/trades?"+q, &ts); st != http.StatusOK {
		t.Fatalf("%s: %d %s", q, st, body)
	}
	return ts
}

func id(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSpotTradesPageBackByLastIDAndJoin(t *testing.T) {
	s := startFrozen(t, "gate_io_spot")
	first := getSpotTrades(t, s, "currency_pair=BTC_USDT&limit=50")
	if len(first) != 50 {
		t.Fatalf("got %d trades", len(first))
	}
	for i, tr := range first {
		if tr.CurrencyPair != "BTC_USDT" || (tr.Side != "buy" && tr.Side != "sell") || tr.SequenceID != tr.ID {
			t.Fatalf("trade %+v", tr)
		}
		if i > 0 && id(t, tr.ID) != id(t, first[i-1].ID)-1 {
			t.Fatalf("not newest first by one: %s then %s", first[i-1].ID, tr.ID)
		}
		ms, _ := strconv.ParseFloat(tr.CreateTimeMs, 64)
		if int64(ms) > frozen.UnixMilli() || strconv.FormatInt(int64(ms)/1000, 10) != tr.CreateTime {
			t.Fatalf("times %s %s after %d", tr.CreateTime, tr.CreateTimeMs, frozen.UnixMilli())
		}
	}
	last := first[len(first)-1].ID
	next := getSpotTrades(t, s, "currency_pair=BTC_USDT&limit=50&reverse=true&last_id="+last)
	if len(next) != 50 || id(t, next[0].ID) != id(t, last)-1 {
		t.Fatalf("page 2 starts at %v after %s", next[0], last)
	}
	page2 := getSpotTrades(t, s, "currency_pair=BTC_USDT&limit=50&page=2")
	if page2[0] != next[0] || page2[49] != next[49] {
		t.Errorf("page=2 %v differs from last_id paging %v", page2[0], next[0])
	}
	// last_id wins over a time range, as Gate documents.
	fwd := getSpotTrades(t, s, "currency_pair=BTC_USDT&limit=10&from=1000&to=2000&last_id="+next[20].ID)
	if len(fwd) != 10 || fwd[9].ID != next[19].ID {
		t.Errorf("reverse=false after %s: %v", next[20].ID, fwd)
	}
}

func TestSpotTradesFoldIntoTheirMinute(t *testing.T) {
	s := startFrozen(t, "gate_io_spot")
	open := cc.Interval1m.Truncate(frozen.UnixMilli()) - 10*60_000
	cs, err := s.Env.Market.Candles(context.Background(), "BTC_USDT", cc.Interval1m, open, open+60_000, frozen.UnixMilli())
	if err != nil || len(cs) != 1 {
		t.Fatal(cs, err)
	}
	c := cs[0]
	q := fmt.Sprintf("currency_pair=BTC_USDT&limit=1000&from=%d&to=%d", open/1000, open/1000+59)
	ts := getSpotTrades(t, s, q)
	if int64(len(ts)) != min(c.Trades, 1000) {
		t.Fatalf("%d trades in a candle of %d", len(ts), c.Trades)
	}
	if c.Trades > 1000 {
		t.Skip("candle holds more trades than a page")
	}
	// newest first: the last listed is the candle's open.
	if ts[len(ts)-1].Price != c.Open.String() && ts[len(ts)-1].Price != trim(c.Open) || ts[0].Price != trim(c.Close) {
		t.Errorf("first/last %s %s, candle %v %v", ts[len(ts)-1].Price, ts[0].Price, c.Open, c.Close)
	}
	var vol cc.Decimal
	hi, lo := c.Open, c.Open
	for _, tr := range ts {
		p, _ := cc.ParseDecimal(tr.Price)
		a, _ := cc.ParseDecimal(tr.Amount)
		vol = vol.Add(a)
		if p.Cmp(hi) > 0 {
			hi = p
		}
		if p.Cmp(lo) < 0 {
			lo = p
		}
	}
	// The tape guarantees the count, the open and close and the range;
	// the volume folds exactly on most minutes (logged).
	if hi.Cmp(c.High) > 0 || lo.Cmp(c.Low) < 0 {
		t.Errorf("trades range %v..%v outside the candle's %v..%v", lo, hi, c.Low, c.High)
	}
	t.Logf("volume: trades %v, candle %v", vol, c.Volume)
}

func trim(d cc.Decimal) string { return string(d.AppendTrim(nil, int(d.Scale))) }

func TestUnknownPairIsGatesError(t *testing.T) {
	s := startFrozen(t, "gate_io_perpetual")
	for path, label := range map[string]string{
		"/api/v4/spot/trades?currency_pair=NOPE_USDT":           "INVALID_CURRENCY_PAIR",
		"/api/v4/futures/usdt/trades?contract=NOPE_USDT":        "CONTRACT_NOT_FOUND",
		"/api/v4/futures/usdt/funding_rate?contract=NOPE_USDT":  "CONTRACT_NOT_FOUND",
		"/api/v4/futures/usdt/trades":                           "MISSING_REQUIRED_PARAM",
		"/api/v4/spot/trades?currency_pair=BTC_USDT&limit=1001": "INVALID_PARAM_VALUE",
	} {
		var e struct{ Label, Message string }
		st, body := s.GetJSON(t, path, &e)
		if st != http.StatusBadRequest || e.Label != label || e.Message == "" {
			t.Errorf("%s: %d %s", path, st, body)
		}
	}
}

func TestSpotTickerIsTheWindowsStats(t *testing.T) {
	s := startFrozen(t, "gate_io_spot")
	var ts []map[string]any
	if st, body := s.GetJSON(t, "/api/v4/spot/tickers?currency_pair=BTC_USDT", &ts); st != 200 || len(ts) != 1 {
		t.Fatalf("%d %s", st, body)
	}
	if err := replaytest.SameShape("spot_tickers.json", mustJSON(t, ts), replaytest.KeysAnyOrder); err != nil {
		t.Errorf("shape: %v", err)
	}
	now := frozen.UnixMilli()
	want, err := cc.RollingStats(context.Background(), s.Env.Market, s.Env.Tape, "BTC_USDT", 86_400_000, now)
	if err != nil {
		t.Fatal(err)
	}
	tk := ts[0]
	for k, v := range map[string]cc.Decimal{"last": want.Last, "high_24h": want.High, "low_24h": want.Low, "base_volume": want.Volume, "quote_volume": want.QuoteVolume} {
		if tk[k] != trim(v) {
			t.Errorf("%s = %v, want %v", k, tk[k], trim(v))
		}
	}
	bid, _ := cc.ParseDecimal(tk["highest_bid"].(string))
	ask, _ := cc.ParseDecimal(tk["lowest_ask"].(string))
	if bid.Cmp(ask) >= 0 || bid.Float64() < want.Last.Float64()*0.999 || ask.Float64() > want.Last.Float64()*1.001 {
		t.Errorf("touch %v/%v around last %v", bid, ask, want.Last)
	}
	var all []map[string]any
	s.GetJSON(t, "/api/v4/spot/tickers", &all)
	if len(all) != 2 || all[0]["last"] != tk["last"] {
		t.Errorf("all tickers %v", all)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFuturesTradesTickerAndFunding(t *testing.T) {
	s := startFrozen(t, "gate_io_perpetual")
	var ts []struct {
		ID           int64   `json:"id"`
		CreateTime   float64 `json:"create_time"`
		CreateTimeMs float64 `json:"create_time_ms"`
		Contract     string  `json:"contract"`
		Size         int64   `json:"size"`
		Price        string  `json:"price"`
	}
	if st, body := s.GetJSON(t, "/api/v4/futures/usdt/trades?contract=BTC_USDT&limit=20", &ts); st != 200 || len(ts) != 20 {
		t.Fatalf("%d %s", st, body)
	}
	for i, tr := range ts {
		if tr.Contract != "BTC_USDT" || tr.Size == 0 || tr.Price == "" || (i > 0 && tr.ID != ts[i-1].ID-1) {
			t.Fatalf("trade %d %+v", i, tr)
		}
	}
	var tk []map[string]any
	if st, body := s.GetJSON(t, "/api/v4/futures/usdt/tickers?contract=BTC_USDT", &tk); st != 200 || len(tk) != 1 {
		t.Fatalf("%d %s", st, body)
	}
	if err := replaytest.SameShape("futures_tickers.json", mustJSON(t, tk), replaytest.KeysAnyOrder); err != nil {
		t.Errorf("shape: %v", err)
	}
	ps, err := s.Env.Derivs.Perp(context.Background(), "BTC_USDT", frozen.UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	if tk[0]["mark_price"] != trim(ps.Mark) || tk[0]["index_price"] != trim(ps.Index) || tk[0]["funding_rate"] != trim(ps.FundingRate) {
		t.Errorf("ticker %v, perp %+v", tk[0], ps)
	}
	if d := ps.Mark.Float64()/ps.Index.Float64() - 1; d > 0.005 || d < -0.005 {
		t.Errorf("mark %v index %v outside ±0.5%%", ps.Mark, ps.Index)
	}
	var c map[string]any
	s.GetJSON(t, "/api/v4/futures/usdt/contracts/BTC_USDT", &c)
	if c["mark_price"] != trim(ps.Mark) || c["funding_next_apply"] != float64(ps.NextFunding/1000) || c["funding_interval"] != float64(28800) {
		t.Errorf("contract funding fields %v %v %v", c["mark_price"], c["funding_next_apply"], c["funding_interval"])
	}
	var fr []struct {
		T int64  `json:"t"`
		R string `json:"r"`
	}
	if st, body := s.GetJSON(t, "/api/v4/futures/usdt/funding_rate?contract=BTC_USDT&limit=5", &fr); st != 200 || len(fr) != 5 {
		t.Fatalf("%d %s", st, body)
	}
	for i := 1; i < len(fr); i++ {
		if fr[i].T != fr[i-1].T-28800 {
			t.Errorf("funding not newest first 8h apart: %v", fr)
		}
	}
	if fr[0].T > frozen.Unix() || fr[0].T <= frozen.Unix()-28800 {
		t.Errorf("latest settlement %d, now %d", fr[0].T, frozen.Unix())
	}
}

func TestMarkAndIndexCandlesDifferFromLast(t *testing.T) {
	s := startFrozen(t, "gate_io_perpetual")
	get := func(c string) []map[string]any {
		var rows []map[string]any
		if st, body := s.GetJSON(t, "/api/v4/futures/usdt/candlesticks?interval=1m&limit=5&contract="+c, &rows); st != 200 || len(rows) != 5 {
			t.Fatalf("%s: %d %s", c, st, body)
		}
		return rows
	}
	last, mark, index := get("BTC_USDT"), get("mark_BTC_USDT"), get("index_BTC_USDT")
	same := 0
	for i := range last {
		if mark[i]["t"] != last[i]["t"] || index[i]["t"] != last[i]["t"] {
			t.Fatalf("times differ")
		}
		if mark[i]["c"] == last[i]["c"] && index[i]["c"] == last[i]["c"] {
			same++
		}
		if mark[i]["v"] != float64(0) {
			t.Errorf("mark candle volume %v", mark[i]["v"])
		}
	}
	if same == len(last) {
		t.Error("mark and index candles equal the traded ones")
	}
	m, _ := s.Env.Derivs.Prices(cc.MarkPrice).Candles(context.Background(), "BTC_USDT", cc.Interval1m, int64(mark[0]["t"].(float64))*1000, int64(mark[0]["t"].(float64))*1000+60_000, frozen.UnixMilli())
	if len(m) != 1 || mark[0]["c"] != trim(m[0].Close) {
		t.Errorf("mark row %v, series %v", mark[0], m)
	}
}

// The tickers are one instant's: last is the last trade of the seconds
// closed by then, and highest_bid and lowest_ask the touch right after
// that trade, so they straddle it (a touch taken at the clock's now could
// be up to a second newer than last, and miss it).
func TestTickerTouchStraddlesItsLast(t *testing.T) {
	for _, tc := range []struct{ id, path string }{
		{"gate_io_spot", "/api/v4/spot/tickers?currency_pair=BTC_USDT"},
		{"gate_io_perpetual", "/api/v4/futures/usdt/tickers?contract=BTC_USDT"},
	} {
		t.Run(tc.id, func(t *testing.T) {
			for _, at := range replaytest.TickerInstants() {
				s := replaytest.Start(t, tc.id, nil, replaytest.Clock(at, 0))
				var ts []map[string]any
				if st, body := s.GetJSON(t, tc.path, &ts); st != 200 || len(ts) != 1 {
					t.Fatalf("%d %s", st, body)
				}
				replaytest.Straddles(t, tc.path, at, ts[0]["last"], ts[0]["highest_bid"], ts[0]["lowest_ask"])
			}
		})
	}
}
