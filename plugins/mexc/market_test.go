package mexc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

var frozen = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func startFrozen(t *testing.T, id string) *replaytest.Server {
	return replaytest.Start(t, id, nil, replaytest.Clock(frozen, 0))
}

func trim(d cc.Decimal) string { return string(d.AppendTrim(nil, int(d.Scale))) }

func dec(t *testing.T, v any) cc.Decimal {
	t.Helper()
	d, err := cc.ParseDecimal(fmt.Sprint(v))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func shape(t *testing.T, golden string, body []byte) {
	t.Helper()
	if err := replaytest.SameShape(golden, body, replaytest.KeysAnyOrder); err != nil {
		t.Errorf("%s: %v", golden, err)
	}
}

func TestSpotTradesAndAggTrades(t *testing.T) {
	s := startFrozen(t, "mexc_spot")
	st, body := s.Get(t, "/api/v3/trades?symbol=BTCUSDT&limit=1")
	if st != 200 {
		t.Fatalf("%d %s", st, body)
	}
	shape(t, "spot_trades.json", body)
	var ts []struct {
		Price, Qty string
		Time       int64
	}
	s.GetJSON(t, "/api/v3/trades?symbol=BTCUSDT", &ts)
	if len(ts) != 500 {
		t.Fatalf("default limit: %d trades", len(ts))
	}
	now := frozen.UnixMilli()
	for i := 1; i < len(ts); i++ {
		if ts[i].Time < ts[i-1].Time || ts[i].Time > now {
			t.Fatalf("trades not oldest first up to now: %d then %d", ts[i-1].Time, ts[i].Time)
		}
	}
	// aggTrades of one minute fold to the candle's volume range and count
	// no more aggregates than prints.
	open := cc.Interval1m.Truncate(now) - 5*60_000
	cs, err := s.Env.Market.Candles(context.Background(), "BTCUSDT", cc.Interval1m, open, open+60_000, now)
	if err != nil || len(cs) != 1 {
		t.Fatal(cs, err)
	}
	st, body = s.Get(t, fmt.Sprintf("/api/v3/aggTrades?symbol=BTCUSDT&limit=1000&startTime=%d&endTime=%d", open, open+59_999))
	if st != 200 {
		t.Fatalf("%d %s", st, body)
	}
	var as []map[string]any
	json.Unmarshal(body, &as)
	shape(t, "spot_aggtrades.json", []byte(string(mustJSON(t, as[:1]))))
	if len(as) == 0 || int64(len(as)) > cs[0].Trades {
		t.Fatalf("%d aggregates in a candle of %d trades", len(as), cs[0].Trades)
	}
	if trim(dec(t, as[0]["p"])) != trim(cs[0].Open) {
		t.Errorf("first aggregate at %v, candle opens %v", as[0]["p"], cs[0].Open)
	}
	for _, a := range as {
		p := dec(t, a["p"])
		if p.Cmp(cs[0].High) > 0 || p.Cmp(cs[0].Low) < 0 || int64(a["T"].(float64)) < open || int64(a["T"].(float64)) >= open+60_000 {
			t.Fatalf("aggregate %v outside candle %+v", a, cs[0])
		}
	}
	var e struct {
		Code int
		Msg  string
	}
	for _, path := range []string{"/api/v3/trades?symbol=NOPEUSDT", "/api/v3/aggTrades?symbol=NOPEUSDT"} {
		if st, body := s.GetJSON(t, path, &e); st != 400 || e.Code != -1121 {
			t.Errorf("%s: %d %s", path, st, body)
		}
	}
	if st, body := s.GetJSON(t, fmt.Sprintf("/api/v3/aggTrades?symbol=BTCUSDT&startTime=%d&endTime=%d", open, open+7_200_000), &e); st != 400 || e.Code != -1127 {
		t.Errorf("2h window: %d %s", st, body)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSpotTickersAreTheWindowsStats(t *testing.T) {
	s := startFrozen(t, "mexc_spot")
	st, body := s.Get(t, "/api/v3/ticker/24hr?symbol=BTCUSDT")
	if st != 200 {
		t.Fatalf("%d %s", st, body)
	}
	shape(t, "spot_ticker_24hr.json", body)
	var tk map[string]any
	json.Unmarshal(body, &tk)
	now := frozen.UnixMilli()
	want, err := cc.RollingStats(context.Background(), s.Env.Market, s.Env.Tape, "BTCUSDT", 86_400_000, now)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]cc.Decimal{"lastPrice": want.Last, "highPrice": want.High, "lowPrice": want.Low, "openPrice": want.Open, "volume": want.Volume, "quoteVolume": want.QuoteVolume} {
		if tk[k] != trim(v) {
			t.Errorf("%s = %v, want %v", k, tk[k], trim(v))
		}
	}
	bid, ask := dec(t, tk["bidPrice"]), dec(t, tk["askPrice"])
	if bid.Cmp(ask) >= 0 || bid.Float64() < want.Last.Float64()*0.999 || ask.Float64() > want.Last.Float64()*1.001 {
		t.Errorf("touch %v/%v around last %v", bid, ask, want.Last)
	}
	st, body = s.Get(t, "/api/v3/ticker/bookTicker?symbol=BTCUSDT")
	shape(t, "spot_book_ticker.json", body)
	var bt map[string]string
	json.Unmarshal(body, &bt)
	if bt["bidPrice"] != tk["bidPrice"] || bt["askPrice"] != tk["askPrice"] {
		t.Errorf("bookTicker %v, ticker %v/%v", bt, tk["bidPrice"], tk["askPrice"])
	}
	var all []map[string]string
	s.GetJSON(t, "/api/v3/ticker/bookTicker", &all)
	var price map[string]string
	s.GetJSON(t, "/api/v3/ticker/price?symbol=BTCUSDT", &price)
	if len(all) != 2 || price["price"] != tk["lastPrice"] {
		t.Errorf("all %v, price %v", all, price)
	}
}

func TestContractDealsTickerFundingAndPrices(t *testing.T) {
	s := startFrozen(t, "mexc_perpetual")
	st, body := s.Get(t, "/api/v1/contract/deals/BTC_USDT?limit=1")
	if st != 200 {
		t.Fatalf("%d %s", st, body)
	}
	shape(t, "contract_deals.json", body)
	var deals struct {
		Data []struct {
			P    float64 `json:"p"`
			V, T int64
			Tm   int64 `json:"t"`
		}
	}
	s.GetJSON(t, "/api/v1/contract/deals/BTC_USDT?limit=100", &deals)
	if len(deals.Data) != 100 {
		t.Fatalf("%d deals", len(deals.Data))
	}
	for i, d := range deals.Data {
		if d.V < 1 || (d.T != 1 && d.T != 2) || (i > 0 && d.Tm > deals.Data[i-1].Tm) {
			t.Fatalf("deal %d %+v", i, d)
		}
	}
	st, body = s.Get(t, "/api/v1/contract/ticker?symbol=BTC_USDT")
	shape(t, "contract_ticker.json", body)
	var tk struct{ Data map[string]any }
	json.Unmarshal(body, &tk)
	ps, err := s.Env.Derivs.Perp(context.Background(), "BTC_USDT", frozen.UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	if trim(dec(t, tk.Data["fairPrice"])) != trim(ps.Mark) || trim(dec(t, tk.Data["indexPrice"])) != trim(ps.Index) {
		t.Errorf("ticker %v, perp %+v", tk.Data, ps)
	}
	if d := ps.Mark.Float64()/ps.Index.Float64() - 1; d > 0.005 || d < -0.005 {
		t.Errorf("mark %v index %v", ps.Mark, ps.Index)
	}
	if dec(t, tk.Data["bid1"]).Cmp(dec(t, tk.Data["ask1"])) >= 0 {
		t.Errorf("bid1 %v ask1 %v", tk.Data["bid1"], tk.Data["ask1"])
	}
	st, body = s.Get(t, "/api/v1/contract/funding_rate/BTC_USDT")
	shape(t, "contract_funding_rate.json", body)
	var fr struct{ Data map[string]any }
	json.Unmarshal(body, &fr)
	if trim(dec(t, fr.Data["fundingRate"])) != trim(ps.FundingRate) || int64(fr.Data["nextSettleTime"].(float64)) != ps.NextFunding {
		t.Errorf("funding %v, perp %+v", fr.Data, ps)
	}
	for path, want := range map[string]cc.Decimal{"/api/v1/contract/index_price/BTC_USDT": ps.Index, "/api/v1/contract/fair_price/BTC_USDT": ps.Mark} {
		var v struct{ Data map[string]any }
		s.GetJSON(t, path, &v)
		got := v.Data["indexPrice"]
		if got == nil {
			got = v.Data["fairPrice"]
		}
		if trim(dec(t, got)) != trim(want) {
			t.Errorf("%s: %v, want %v", path, v.Data, want)
		}
	}
	page := func(n int) []map[string]any {
		var h struct {
			Data struct {
				TotalCount, CurrentPage int
				ResultList              []map[string]any
			}
		}
		st, body := s.GetJSON(t, fmt.Sprintf("/api/v1/contract/funding_rate/history?symbol=BTC_USDT&page_num=%d&page_size=3", n), &h)
		if st != 200 || len(h.Data.ResultList) != 3 || h.Data.CurrentPage != n || h.Data.TotalCount < 1000 {
			t.Fatalf("%d %s", st, body)
		}
		return h.Data.ResultList
	}
	st, body = s.Get(t, "/api/v1/contract/funding_rate/history?symbol=BTC_USDT&page_num=1&page_size=2")
	shape(t, "contract_funding_history.json", body)
	p1, p2 := page(1), page(2)
	if p2[0]["settleTime"].(float64) != p1[2]["settleTime"].(float64)-8*3600*1000 {
		t.Errorf("pages do not join: %v then %v", p1, p2)
	}
	var e struct {
		Success bool
		Code    int
	}
	for _, path := range []string{"/api/v1/contract/deals/NOPE_USDT", "/api/v1/contract/funding_rate/NOPE_USDT", "/api/v1/contract/funding_rate/history?symbol=NOPE_USDT"} {
		if st, body := s.GetJSON(t, path, &e); st != 200 || e.Success || e.Code != 1001 {
			t.Errorf("%s: %d %s", path, st, body)
		}
	}
	var k struct {
		Data struct{ Close []float64 }
	}
	var kf struct {
		Data struct{ Close []float64 }
	}
	s.GetJSON(t, "/api/v1/contract/kline/BTC_USDT?interval=Min1", &k)
	s.GetJSON(t, "/api/v1/contract/kline/fair_price/BTC_USDT?interval=Min1", &kf)
	if len(kf.Data.Close) == 0 || len(kf.Data.Close) != len(k.Data.Close) || fmt.Sprint(kf.Data.Close) == fmt.Sprint(k.Data.Close) {
		t.Errorf("fair price klines %d rows equal to last-price ones", len(kf.Data.Close))
	}
}

// The tickers are one instant's: lastPrice is the last trade of the
// seconds closed by then, and the bid and ask the touch right after that
// trade, so they straddle it (a touch taken at the clock's now could be up
// to a second newer than lastPrice, and miss it).
func TestTickerTouchStraddlesItsLast(t *testing.T) {
	for _, tc := range []struct {
		id, path, data, bid, ask string
	}{
		{"mexc_spot", "/api/v3/ticker/24hr?symbol=BTCUSDT", "", "bidPrice", "askPrice"},
		{"mexc_perpetual", "/api/v1/contract/ticker?symbol=BTC_USDT", "data", "bid1", "ask1"},
	} {
		t.Run(tc.id, func(t *testing.T) {
			for _, at := range replaytest.TickerInstants() {
				s := replaytest.Start(t, tc.id, nil, replaytest.Clock(at, 0))
				st, body := s.Get(t, tc.path)
				var v map[string]any
				d := json.NewDecoder(bytes.NewReader(body))
				d.UseNumber()
				if err := d.Decode(&v); st != 200 || err != nil {
					t.Fatalf("%d %v: %s", st, err, body)
				}
				if tc.data != "" {
					v, _ = v[tc.data].(map[string]any)
				}
				replaytest.Straddles(t, tc.path, at, v["lastPrice"], v[tc.bid], v[tc.ask])
			}
		})
	}
}
