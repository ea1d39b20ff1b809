package binance_test

import (
	"strconv"
	"sync"
	"testing"
	"time"

	binance "github.com/adshao/go-binance/v2"
	"github.com/adshao/go-binance/v2/futures"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/compat/compattest"
)

// Trades, tickers, marks and funding as go-binance reads them from the
// in-process synthetic server.

func spotClient(t *testing.T) (*binance.Client, *compattest.Server) {
	srv := compattest.Start(t, "binance_spot", compattest.Options{Pairs: pairs, Seed: 7})
	c := binance.NewClient("", "")
	c.BaseURL = srv.URL
	c.HTTPClient = compattest.HTTPClient(t)
	return c, srv
}

func futuresClient(t *testing.T) (*futures.Client, *compattest.Server) {
	srv := compattest.Start(t, "binance_perpetual", compattest.Options{Pairs: pairs, Seed: 7})
	c := binance.NewFuturesClient("", "")
	c.BaseURL = srv.URL
	c.HTTPClient = compattest.HTTPClient(t)
	return c, srv
}

func positive(t *testing.T, what, s string) float64 {
	t.Helper()
	v := compattest.ParseFloat(t, what, s)
	if v <= 0 {
		t.Fatalf("%s %q is not positive", what, s)
	}
	return v
}

func TestRecentAndAggTrades(t *testing.T) {
	c, _ := spotClient(t)
	ts, err := c.NewRecentTradesService().Symbol("BTCUSDT").Limit(20).Do(ctx(t))
	if err != nil || len(ts) != 20 {
		t.Fatalf("recent trades: %v (%d)", err, len(ts))
	}
	now := time.Now().UnixMilli()
	for i, tr := range ts {
		positive(t, "price", tr.Price)
		positive(t, "qty", tr.Quantity)
		if i > 0 && (tr.ID != ts[i-1].ID+1 || tr.Time < ts[i-1].Time) {
			t.Errorf("trade %d %+v after %+v", i, tr, ts[i-1])
		}
		if tr.Time > now+1000 {
			t.Errorf("trade from the future: %+v", tr)
		}
	}
	start := now - 60_000
	aggs, err := c.NewAggTradesService().Symbol("BTCUSDT").StartTime(start).EndTime(now).Limit(50).Do(ctx(t))
	if err != nil || len(aggs) == 0 {
		t.Fatalf("aggTrades: %v (%d)", err, len(aggs))
	}
	for i, a := range aggs {
		positive(t, "price", a.Price)
		if a.Timestamp < start || a.Timestamp > now || a.LastTradeID < a.FirstTradeID || a.AggTradeID != a.FirstTradeID ||
			(i > 0 && a.FirstTradeID != aggs[i-1].LastTradeID+1) {
			t.Errorf("aggregate %d %+v", i, a)
		}
	}
	// Paging by fromId from the window's first trade gives the same
	// aggregates again (the last ones of the window may be the newest
	// trades, with nothing after them yet in a quiet minute).
	page, err := c.NewAggTradesService().Symbol("BTCUSDT").FromID(aggs[0].FirstTradeID).Limit(5).Do(ctx(t))
	if err != nil || len(page) == 0 {
		t.Fatalf("a page by fromId: %v %+v", err, page)
	}
	for i := range min(len(page), len(aggs)) {
		if *page[i] != *aggs[i] {
			t.Errorf("by fromId, aggregate %d is %+v; by time %+v", i, page[i], aggs[i])
		}
	}
}

func TestListPricesAndBookTickers(t *testing.T) {
	c, _ := spotClient(t)
	ps, err := c.NewListPricesService().Symbols([]string{"BTCUSDT", "ETHUSDT"}).Do(ctx(t))
	if err != nil || len(ps) != 2 || ps[0].Symbol != "BTCUSDT" || ps[1].Symbol != "ETHUSDT" {
		t.Fatalf("prices: %v %+v", err, ps)
	}
	bts, err := c.NewListBookTickersService().Symbol("BTCUSDT").Do(ctx(t))
	if err != nil || len(bts) != 1 {
		t.Fatalf("book tickers: %v %+v", err, bts)
	}
	bid, ask := positive(t, "bid", bts[0].BidPrice), positive(t, "ask", bts[0].AskPrice)
	positive(t, "bidQty", bts[0].BidQuantity)
	last := positive(t, "price", ps[0].Price)
	if bid >= ask || last < bid*0.99 || last > ask*1.01 {
		t.Errorf("bid %v ask %v, last %v", bid, ask, last)
	}
	all, err := c.NewListBookTickersService().Do(ctx(t))
	if err != nil || len(all) != 2 {
		t.Errorf("all book tickers: %v %+v", err, all)
	}
}

func TestWsTradeAndAggTradeServe(t *testing.T) {
	// Ten times real time: a quiet minute of the synthetic market has a
	// handful of trades, and the test must not depend on the time of day.
	srv := compattest.Start(t, "binance_spot", compattest.Options{Pairs: pairs, Seed: 7, Clock: cc.NewClock(time.Now(), 10)})
	c := binance.NewClient("", "")
	c.BaseURL = srv.URL
	c.HTTPClient = compattest.HTTPClient(t)
	spot{c}.setWS(t, srv)
	var mu sync.Mutex
	var trades []*binance.WsTradeEvent
	var aggs []*binance.WsAggTradeEvent
	var errs []error
	eh := func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() }
	serve(t, func() (chan struct{}, chan struct{}, error) {
		return binance.WsTradeServe("BTCUSDT", func(e *binance.WsTradeEvent) { mu.Lock(); trades = append(trades, e); mu.Unlock() }, eh)
	})
	serve(t, func() (chan struct{}, chan struct{}, error) {
		return binance.WsAggTradeServe("BTCUSDT", func(e *binance.WsAggTradeEvent) { mu.Lock(); aggs = append(aggs, e); mu.Unlock() }, eh)
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		mu.Lock()
		n, m := len(trades), len(aggs)
		mu.Unlock()
		if n >= 10 && m >= 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 15s: %d trades, %d aggregates, errors %v", n, m, errs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	for i, e := range trades {
		if e.Event != "trade" || e.Symbol != "BTCUSDT" || e.Time != e.TradeTime || (i > 0 && e.TradeID != trades[i-1].TradeID+1) {
			t.Fatalf("trade push %d %+v after %+v", i, e, trades[max(0, i-1)])
		}
	}
	for i, e := range aggs {
		if e.Event != "aggTrade" || e.AggTradeID != e.FirstBreakdownTradeID || (i > 0 && e.FirstBreakdownTradeID != aggs[i-1].LastBreakdownTradeID+1) {
			t.Fatalf("aggTrade push %d %+v after %+v", i, e, aggs[max(0, i-1)])
		}
	}
	// The pushed trades are the tape's: REST has the same ones.
	first := trades[0]
	rest, err := c.NewHistoricalTradesService().Symbol("BTCUSDT").FromID(first.TradeID).Limit(3).Do(ctx(t))
	if err != nil || len(rest) != 3 || rest[0].ID != first.TradeID || rest[0].Price != first.Price || rest[0].Quantity != first.Quantity || rest[0].Time != first.TradeTime {
		t.Errorf("REST %v %+v, WS %+v", err, rest, first)
	}
}

func TestFuturesPremiumIndexFundingAndMarkKlines(t *testing.T) {
	c, _ := futuresClient(t)
	pi, err := c.NewPremiumIndexService().Symbol("BTCUSDT").Do(ctx(t))
	if err != nil || len(pi) != 1 {
		t.Fatalf("premiumIndex: %v %+v", err, pi)
	}
	mark, index := positive(t, "mark", pi[0].MarkPrice), positive(t, "index", pi[0].IndexPrice)
	if d := (mark - index) / index; d > 0.01 || d < -0.01 {
		t.Errorf("mark %v and index %v more than 1%% apart", mark, index)
	}
	if pi[0].NextFundingTime <= time.Now().UnixMilli() || pi[0].NextFundingTime%3_600_000 != 0 {
		t.Errorf("next funding at %d", pi[0].NextFundingTime)
	}
	rates, err := c.NewFundingRateService().Symbol("BTCUSDT").Limit(5).Do(ctx(t))
	if err != nil || len(rates) != 5 {
		t.Fatalf("funding rates: %v (%d)", err, len(rates))
	}
	for i, r := range rates {
		compattest.ParseFloat(t, "fundingRate", r.FundingRate)
		positive(t, "markPrice", r.MarkPrice)
		if i > 0 && r.FundingTime <= rates[i-1].FundingTime {
			t.Errorf("rates out of order: %+v after %+v", r, rates[i-1])
		}
	}
	ks, err := c.NewMarkPriceKlinesService().Symbol("BTCUSDT").Interval("1h").Limit(3).Do(ctx(t))
	if err != nil || len(ks) != 3 {
		t.Fatalf("mark price klines: %v (%d)", err, len(ks))
	}
	last, err := c.NewKlinesService().Symbol("BTCUSDT").Interval("1h").Limit(3).Do(ctx(t))
	if err != nil || len(last) != 3 {
		t.Fatalf("klines: %v", err)
	}
	same := 0
	for i, k := range ks {
		positive(t, "mark close", k.Close)
		if k.OpenTime != last[i].OpenTime {
			t.Errorf("mark kline %d opens at %d, trade kline at %d", i, k.OpenTime, last[i].OpenTime)
		}
		if k.Close == last[i].Close && k.High == last[i].High {
			same++
		}
	}
	if same == len(ks) {
		t.Errorf("mark price klines are the last-price klines: %s", strconv.Itoa(same))
	}
}
