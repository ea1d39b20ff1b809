package bybit_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	bybit "github.com/hirokisan/bybit/v2"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/compat/compattest"
)

var pairs = []cc.Pair{{Base: "BTC", Quote: "USDT", Price: 50000}, {Base: "ETH", Quote: "USDT", Price: 3000}}

type market struct {
	exchange string
	category bybit.CategoryV5
}

var markets = []market{
	{"bybit_spot", bybit.CategoryV5Spot},
	{"bybit_perpetual", bybit.CategoryV5Linear},
}

// each runs f for both categories against the in-process server and the
// real binary.
func each(t *testing.T, f func(t *testing.T, m market, srv *compattest.Server, c *bybit.Client)) {
	for _, m := range markets {
		for _, target := range compattest.Targets {
			t.Run(m.exchange+"/"+target.Name, func(t *testing.T) {
				srv := target.Start(t, m.exchange, compattest.Options{Pairs: pairs, Seed: 7})
				c := bybit.NewClient().WithBaseURL(srv.URL).WithHTTPClient(compattest.HTTPClient(t))
				f(t, m, srv, c)
			})
		}
	}
}

func bars(t *testing.T, list bybit.V5GetKlineList) []compattest.Bar {
	t.Helper()
	out := make([]compattest.Bar, len(list))
	// Bybit lists newest first; the checks want oldest first.
	for i, k := range list {
		open, err := strconv.ParseInt(k.StartTime, 10, 64)
		if err != nil {
			t.Fatalf("start %q: %v", k.StartTime, err)
		}
		out[len(list)-1-i] = compattest.Bar{
			Open: open,
			O:    compattest.ParseFloat(t, "open", k.Open), H: compattest.ParseFloat(t, "high", k.High),
			L: compattest.ParseFloat(t, "low", k.Low), C: compattest.ParseFloat(t, "close", k.Close),
			V: compattest.ParseFloat(t, "volume", k.Volume),
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func TestKlinePagesFromStartJoin(t *testing.T) {
	each(t, func(t *testing.T, m market, _ *compattest.Server, c *bybit.Client) {
		since := compattest.CurrentOpen(cc.Interval1m, time.Now()) - 500*60_000
		res, err := c.V5().Market().GetKline(bybit.V5GetKlineParam{Category: m.category, Symbol: "BTCUSDT", Interval: bybit.Interval1, Start: ptr(since), Limit: ptr(100)})
		if err != nil {
			t.Fatal(err)
		}
		page1 := bars(t, res.Result.List)
		if len(page1) != 100 || page1[0].Open != since || res.Result.Category != m.category || res.Result.Symbol != "BTCUSDT" {
			t.Fatalf("page 1: %d bars from %d (%s %s), want 100 from %d", len(page1), page1[0].Open, res.Result.Category, res.Result.Symbol, since)
		}
		compattest.CheckSeries(t, page1, cc.Interval1m)
		next := page1[99].Open + 60_000
		res, err = c.V5().Market().GetKline(bybit.V5GetKlineParam{Category: m.category, Symbol: "BTCUSDT", Interval: bybit.Interval1, Start: ptr(next), Limit: ptr(100)})
		if err != nil {
			t.Fatal(err)
		}
		page2 := bars(t, res.Result.List)
		compattest.CheckSeries(t, page2, cc.Interval1m)
		compattest.CheckJoin(t, page1, page2, cc.Interval1m)
	})
}

func TestKlineLatestEndsWithTheCandleInProgress(t *testing.T) {
	each(t, func(t *testing.T, m market, _ *compattest.Server, c *bybit.Client) {
		for _, iv := range []struct {
			name bybit.Interval
			cc   cc.Interval
		}{{bybit.Interval1, cc.Interval1m}, {bybit.Interval60, cc.Interval1h}, {bybit.IntervalD, cc.Interval1d}, {bybit.IntervalW, cc.Interval1w}, {bybit.IntervalM, cc.Interval1M}} {
			before := time.Now()
			res, err := c.V5().Market().GetKline(bybit.V5GetKlineParam{Category: m.category, Symbol: "ETHUSDT", Interval: iv.name, Limit: ptr(12)})
			after := time.Now()
			if err != nil {
				t.Fatalf("%s: %v", iv.name, err)
			}
			bs := bars(t, res.Result.List)
			if len(bs) != 12 {
				t.Fatalf("%s: %d bars, want 12", iv.name, len(bs))
			}
			compattest.CheckSeries(t, bs, iv.cc)
			if last := bs[11].Open; last != compattest.CurrentOpen(iv.cc, before) && last != compattest.CurrentOpen(iv.cc, after) {
				t.Errorf("%s: newest bar opens at %d, want the one in progress", iv.name, last)
			}
		}
	})
}

func TestUnknownSymbolIsBybitsError(t *testing.T) {
	each(t, func(t *testing.T, m market, _ *compattest.Server, c *bybit.Client) {
		_, err := c.V5().Market().GetKline(bybit.V5GetKlineParam{Category: m.category, Symbol: "DOGEUSDT", Interval: bybit.Interval1})
		var er *bybit.ErrorResponse
		if !errors.As(err, &er) || er.RetCode != 10001 || er.RetMsg != "Not supported symbols" {
			t.Errorf("unknown symbol: %v", err)
		}
	})
}

func TestInstrumentsAndTickersParse(t *testing.T) {
	each(t, func(t *testing.T, m market, _ *compattest.Server, c *bybit.Client) {
		res, err := c.V5().Market().GetInstrumentsInfo(bybit.V5GetInstrumentsInfoParam{Category: m.category})
		if err != nil {
			t.Fatal(err)
		}
		var symbols []string
		if m.category == bybit.CategoryV5Spot {
			for _, in := range res.Result.Spot.List {
				symbols = append(symbols, string(in.Symbol))
				if in.Status != bybit.InstrumentStatusTrading || in.PriceFilter.TickSize == "" || in.LotSizeFilter.BasePrecision == "" {
					t.Errorf("spot instrument %+v", in)
				}
			}
		} else {
			for _, in := range res.Result.LinearInverse.List {
				symbols = append(symbols, string(in.Symbol))
				if in.ContractType != bybit.ContractTypeLinearPerpetual || in.SettleCoin != "USDT" || in.FundingInterval != 480 || in.LotSizeFilter.QtyStep == "" {
					t.Errorf("linear instrument %+v", in)
				}
			}
		}
		if len(symbols) != 2 || symbols[0] != "BTCUSDT" || symbols[1] != "ETHUSDT" {
			t.Errorf("instruments %v", symbols)
		}
		tk, err := c.V5().Market().GetTickers(bybit.V5GetTickersParam{Category: m.category, Symbol: ptr(bybit.SymbolV5("BTCUSDT"))})
		if err != nil {
			t.Fatal(err)
		}
		last := ""
		if m.category == bybit.CategoryV5Spot {
			last = tk.Result.Spot.List[0].LastPrice
		} else {
			last = tk.Result.LinearInverse.List[0].LastPrice
		}
		if compattest.ParseFloat(t, "lastPrice", last) <= 0 {
			t.Errorf("lastPrice %q", last)
		}
	})
}

func TestWebSocketKlines(t *testing.T) {
	each(t, func(t *testing.T, m market, srv *compattest.Server, _ *bybit.Client) {
		dialer := &websocket.Dialer{NetDialContext: compattest.GuardDialContext(t, (&net.Dialer{}).DialContext), HandshakeTimeout: 10 * time.Second}
		ws := bybit.NewWebsocketClient().WithBaseURL(srv.WSURL).WithDialer(dialer)
		svc, err := ws.V5().Public(m.category)
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var got []bybit.V5WebsocketPublicKlineData
		before := time.Now()
		_, err = svc.SubscribeKline(bybit.V5WebsocketPublicKlineParamKey{Interval: bybit.Interval1, Symbol: "BTCUSDT"}, func(r bybit.V5WebsocketPublicKlineResponse) error {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, r.Data...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
		defer cancel()
		if err := svc.Start(ctx, func(closed bool, err error) {
			if !closed {
				t.Errorf("ws error: %v", err)
			}
		}); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		// Bybit pushes about every second: at least two updates.
		if len(got) < 2 {
			t.Fatalf("%d kline updates in 2.5s", len(got))
		}
		cur := compattest.CurrentOpen(cc.Interval1m, before)
		for _, d := range got {
			if d.Start < cur || d.End != d.Start+59_999 || d.Interval != bybit.Interval1 {
				t.Errorf("update %+v for the candle opening %d", d, cur)
			}
			if !d.Confirm && d.Start != compattest.CurrentOpen(cc.Interval1m, time.UnixMilli(d.Timestamp)) {
				t.Errorf("in-progress update %+v at %d is not the candle in progress", d, d.Timestamp)
			}
		}
	})
}
