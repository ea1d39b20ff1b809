package kucoin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"strconv"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/kucoin"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

func dec(t *testing.T, s string) cc.Decimal {
	t.Helper()
	d, err := cc.ParseDecimal(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return d
}

func TestSpotHistoriesAreTheLastHundredTrades(t *testing.T) {
	srv := replaytest.Start(t, kucoin.SpotName, pairs, replaytest.Clock(base, 1e-9))
	e := get(t, srv.URL, "/api/v1/market/histories?symbol=BTC-USDT")
	var rows []struct {
		Sequence, Price, Size, Side string
		Time                        int64
	}
	if err := json.Unmarshal(e.Data, &rows); err != nil || e.Code != "200000" || len(rows) != 100 {
		t.Fatalf("%v %s: %d rows", err, e.Code, len(rows))
	}
	want, err := srv.Env.Tape.Trades(context.Background(), cc.TradeQuery{Symbol: "BTC-USDT", Limit: 100, Newest: true, Now: base.UnixMicro()})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		w := want[i]
		side := "buy"
		if w.BuyerMaker {
			side = "sell"
		}
		if r.Sequence != strconv.FormatInt(w.ID, 10) || dec(t, r.Price).Cmp(w.Price) != 0 || dec(t, r.Size).Cmp(w.Size) != 0 || r.Side != side || r.Time != w.Time*1000 {
			t.Fatalf("row %d %+v, tape %+v", i, r, w)
		}
	}
	e = get(t, srv.URL, "/api/v1/market/histories?symbol=NOPE-USDT")
	if e.Code != "400100" || e.Msg == "" {
		t.Fatalf("unknown symbol: %+v", e)
	}
}

func TestSpotTickersAreRollingStatsWithTheTouch(t *testing.T) {
	srv := replaytest.Start(t, kucoin.SpotName, pairs, replaytest.Clock(base, 1e-9))
	ctx := context.Background()
	now := base.UnixMilli()
	st, err := cc.RollingStats(ctx, srv.Env.Market, srv.Env.Tape, "BTC-USDT", 86_400_000, now)
	if err != nil {
		t.Fatal(err)
	}
	check := func(where string, m map[string]any) {
		t.Helper()
		s := func(k string) cc.Decimal { return dec(t, m[k].(string)) }
		if s("last").Cmp(st.Last) != 0 || s("vol").Cmp(st.Volume) != 0 || s("volValue").Cmp(st.QuoteVolume) != 0 ||
			s("high").Cmp(st.High) != 0 || s("low").Cmp(st.Low) != 0 || s("changePrice").Cmp(st.Change()) != 0 {
			t.Fatalf("%s: %v, stats %+v", where, m, st)
		}
		bid, ask, last := s("buy").Float64(), s("sell").Float64(), st.Last.Float64()
		if !(bid < ask) || bid > last*1.001 || ask < last*0.999 {
			t.Fatalf("%s: buy %f sell %f around last %f", where, bid, ask, last)
		}
		if r, want := s("changeRate").Float64(), (st.Last.Float64()-st.Open.Float64())/st.Open.Float64(); r-want > 6e-5 || want-r > 6e-5 {
			t.Fatalf("%s: changeRate %f, want %f", where, r, want)
		}
	}
	var one map[string]any
	json.Unmarshal(get(t, srv.URL, "/api/v1/market/stats?symbol=BTC-USDT").Data, &one)
	check("stats", one)
	var all struct{ Ticker []map[string]any }
	json.Unmarshal(get(t, srv.URL, "/api/v1/market/allTickers").Data, &all)
	if len(all.Ticker) != 2 || all.Ticker[0]["symbol"] != "BTC-USDT" {
		t.Fatalf("allTickers %v", all)
	}
	check("allTickers", all.Ticker[0])
	var l1 map[string]any
	json.Unmarshal(get(t, srv.URL, "/api/v1/market/orderbook/level1?symbol=BTC-USDT").Data, &l1)
	lastTrade, err := srv.Env.Tape.Trades(ctx, cc.TradeQuery{Symbol: "BTC-USDT", Limit: 1, Newest: true, Now: base.UnixMicro()})
	if err != nil {
		t.Fatal(err)
	}
	if dec(t, l1["price"].(string)).Cmp(lastTrade[0].Price) != 0 || !(dec(t, l1["bestBid"].(string)).Cmp(dec(t, l1["bestAsk"].(string))) < 0) || l1["sequence"] != strconv.FormatInt(st.LastID, 10) {
		t.Fatalf("level1 %v, last %s id %d", l1, st.Last, st.LastID)
	}
	if e := get(t, srv.URL, "/api/v1/market/stats?symbol=NOPE-USDT"); e.Code != "400100" {
		t.Fatalf("unknown symbol: %+v", e)
	}
}

func TestFuturesTradesTickerMarkAndFunding(t *testing.T) {
	srv := replaytest.Start(t, kucoin.PerpetualName, pairs, replaytest.Clock(base, 1e-9))
	ctx := context.Background()
	now := base.UnixMilli()
	var hist []struct {
		Sequence int64
		TradeID  string
		Ts       int64
		Size     json.Number
		Price    string
		Side     string
	}
	json.Unmarshal(get(t, srv.URL, "/api/v1/trade/history?symbol=XBTUSDTM").Data, &hist)
	if len(hist) != 100 {
		t.Fatalf("%d trades", len(hist))
	}
	for i := 1; i < len(hist); i++ {
		if hist[i].Sequence != hist[i-1].Sequence-1 || hist[i].Ts > hist[i-1].Ts {
			t.Fatalf("not newest first: %+v after %+v", hist[i], hist[i-1])
		}
	}
	newest, err := srv.Env.Tape.Trades(ctx, cc.TradeQuery{Symbol: "XBTUSDTM", Limit: 1, Newest: true, Now: base.UnixMicro()})
	if err != nil || newest[0].ID != hist[0].Sequence {
		t.Fatalf("newest %+v, tape %+v (%v)", hist[0], newest, err)
	}
	// XBTUSDTM's contract is 0.001 BTC.
	if got, want := dec(t, hist[0].Size.String()), newest[0].Size; math.Abs(got.Float64()-want.Float64()*1000) > 1e-9 {
		t.Fatalf("size %s contracts for %s BTC", got, want)
	}
	var tk map[string]any
	json.Unmarshal(get(t, srv.URL, "/api/v1/ticker?symbol=XBTUSDTM").Data, &tk)
	bid, _ := strconv.ParseFloat(tk["bestBidPrice"].(string), 64)
	ask, _ := strconv.ParseFloat(tk["bestAskPrice"].(string), 64)
	if tk["tradeId"] != hist[0].TradeID || !(bid < ask) {
		t.Fatalf("ticker %v", tk)
	}
	ps, err := srv.Env.Derivs.Perp(ctx, "XBTUSDTM", now)
	if err != nil {
		t.Fatal(err)
	}
	mp := numbers(t, get(t, srv.URL, "/api/v1/mark-price/XBTUSDTM/current").Data)
	if dec(t, mp["value"].String()).Cmp(ps.Mark) != 0 || dec(t, mp["indexPrice"].String()).Cmp(ps.Index) != 0 {
		t.Fatalf("mark %v, state %+v", mp, ps)
	}
	fr := numbers(t, get(t, srv.URL, "/api/v1/funding-rate/XBTUSDTM/current").Data)
	if dec(t, fr["value"].String()).Cmp(ps.FundingRate) != 0 || fr["fundingTime"].String() != strconv.FormatInt(ps.NextFunding, 10) {
		t.Fatalf("funding %v, state %+v", fr, ps)
	}
	from := now - 3*86_400_000
	var fh []struct {
		Symbol      string
		FundingRate json.Number
		Timepoint   int64
	}
	json.Unmarshal(get(t, srv.URL, "/api/v1/contract/funding-rates?symbol=XBTUSDTM&from="+strconv.FormatInt(from, 10)+"&to="+strconv.FormatInt(now, 10)).Data, &fh)
	want, err := srv.Env.Derivs.FundingHistory(ctx, "XBTUSDTM", from, now+1, now)
	if err != nil || len(fh) != len(want) || len(fh) < 8 {
		t.Fatalf("%d settlements, derivatives %d (%v)", len(fh), len(want), err)
	}
	for i, f := range fh {
		w := want[len(want)-1-i]
		if f.Timepoint != w.Time || dec(t, f.FundingRate.String()).Cmp(w.Rate) != 0 || f.Timepoint%28_800_000 != 0 {
			t.Fatalf("settlement %d %+v, want %+v", i, f, w)
		}
		if r := dec(t, f.FundingRate.String()).Float64(); r > 0.003 || r < -0.003 {
			t.Fatalf("rate %f beyond the cap", r)
		}
	}
	for _, path := range []string{"/api/v1/trade/history?symbol=NOPEUSDTM", "/api/v1/mark-price/NOPEUSDTM/current", "/api/v1/contract/funding-rates?symbol=XBTUSDTM"} {
		if e := get(t, srv.URL, path); e.Code != "400100" {
			t.Fatalf("%s: %+v", path, e)
		}
	}
}

// numbers decodes an object's number fields as json.Number.
func numbers(t *testing.T, b []byte) map[string]json.Number {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	out := map[string]json.Number{}
	for k, v := range m {
		if n, ok := v.(json.Number); ok {
			out[k] = n
		}
	}
	return out
}

func TestFuturesAllTickersUTAKlineAndOpenInterest(t *testing.T) {
	srv := replaytest.Start(t, kucoin.PerpetualName, pairs, replaytest.Clock(base, 1e-9))
	ctx := context.Background()
	now := base.UnixMilli()
	var all []map[string]any
	json.Unmarshal(get(t, srv.URL, "/api/v1/allTickers").Data, &all)
	if len(all) != 2 || all[0]["symbol"] != "XBTUSDTM" || all[1]["symbol"] != "ETHUSDTM" {
		t.Fatalf("allTickers %v", all)
	}
	// Mark candles from env.Derivs, newest first, seconds; last-price ones
	// from the market; they differ.
	from := cc.Interval1m.Truncate(now) - 30*60_000
	rows := func(sym string) [][]string {
		var d struct {
			Symbol string
			List   [][]string
		}
		e := get(t, srv.URL, "/api/ua/v1/market/kline?tradeType=FUTURES&interval=1min&symbol="+sym+"&startAt="+strconv.FormatInt(from/1000, 10)+"&endAt="+strconv.FormatInt(now/1000, 10))
		if err := json.Unmarshal(e.Data, &d); err != nil || d.Symbol != sym {
			t.Fatalf("%s: %v %s", sym, err, e.Data)
		}
		return d.List
	}
	mark, last := rows("XBTUSDTM-mark-price"), rows("XBTUSDTM")
	if len(mark) != 31 || len(last) != 31 {
		t.Fatalf("%d mark rows, %d last rows", len(mark), len(last))
	}
	want, err := srv.Env.Derivs.Prices(cc.MarkPrice).Candles(ctx, "XBTUSDTM", cc.Interval1m, from, from+31*60_000, now)
	if err != nil || len(want) != 31 {
		t.Fatal(err, len(want))
	}
	same := 0
	for i, r := range mark {
		w := want[len(want)-1-i]
		if r[0] != strconv.FormatInt(w.OpenTime/1000, 10) || dec(t, r[1]).Cmp(w.Open) != 0 || dec(t, r[2]).Cmp(w.Close) != 0 {
			t.Fatalf("mark row %d %v, derivatives %+v", i, r, w)
		}
		if r[2] == last[i][2] {
			same++
		}
	}
	if same == len(mark) {
		t.Fatal("mark candles equal the last-price ones")
	}
	var oi []map[string]any
	json.Unmarshal(get(t, srv.URL, "/api/ua/v1/market/open-interest?symbol=XBTUSDTM").Data, &oi)
	ps, err := srv.Env.Derivs.Perp(ctx, "XBTUSDTM", now)
	if err != nil || len(oi) != 1 || dec(t, oi[0]["openInterest"].(string)).Float64() != ps.OpenInterest.Float64()*1000 {
		t.Fatalf("open interest %v, state %+v (%v)", oi, ps, err)
	}
	if e := get(t, srv.URL, "/api/ua/v1/market/kline?tradeType=FUTURES&interval=1min&symbol=NOPEUSDTM"); e.Code != "400100" {
		t.Fatalf("unknown symbol: %+v", e)
	}
}

// A ticker that shows a price is one instant's: the price is the last
// trade of the seconds closed by then, and the best bid and ask the touch
// right after that trade, so they straddle it (a touch taken at the
// clock's now could be up to a second newer than the price, and miss it).
func TestTickerTouchStraddlesItsLast(t *testing.T) {
	type row struct{ path, last, bid, ask string }
	for _, tc := range []struct {
		id   string
		rows []row
	}{
		{kucoin.SpotName, []row{
			{"/api/v1/market/stats?symbol=BTC-USDT", "last", "buy", "sell"},
			{"/api/v1/market/orderbook/level1?symbol=BTC-USDT", "price", "bestBid", "bestAsk"},
		}},
		{kucoin.PerpetualName, []row{{"/api/v1/ticker?symbol=XBTUSDTM", "price", "bestBidPrice", "bestAskPrice"}}},
	} {
		t.Run(tc.id, func(t *testing.T) {
			for _, at := range replaytest.TickerInstants() {
				srv := replaytest.Start(t, tc.id, pairs, replaytest.Clock(at, 0))
				for _, r := range tc.rows {
					var m map[string]any
					if err := json.Unmarshal(get(t, srv.URL, r.path).Data, &m); err != nil {
						t.Fatalf("%s: %v", r.path, err)
					}
					replaytest.Straddles(t, r.path, at, m[r.last], m[r.bid], m[r.ask])
				}
			}
		})
	}
}
