package binance_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/binance"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// fixedNow is the instant the fixed-clock tests live at: mid-candle for
// every interval from 1m up.
var fixedNow = time.Date(2026, 3, 18, 14, 37, 25, 500_000_000, time.UTC)

// testMarket is a small deterministic Market independent of the synthetic
// generator, so golden files only change when the wire format does. Base
// candles (1s for the 1s interval, 1m otherwise) come from integer
// formulas; longer intervals aggregate them, and the candle containing
// now is cut at now.
type testMarket struct{}

var testSymbols = map[string]int64{"BTCUSDT": 5_000_000, "ETHUSDT": 300_000}

func (testMarket) Candles(ctx context.Context, sym string, iv cc.Interval, start, end, now int64) ([]cc.Candle, error) {
	base, ok := testSymbols[sym]
	if !ok {
		return nil, fmt.Errorf("%w: %s", cc.ErrUnknownSymbol, sym)
	}
	b := cc.Interval1m
	if iv == cc.Interval1s {
		b = cc.Interval1s
	}
	out := []cc.Candle{}
	for open := iv.Truncate(start); open < end && open <= now; open = iv.Next(open) {
		next := iv.Next(open)
		var parts []cc.Candle
		for t := open; t < next && t <= now; t = b.Next(t) {
			parts = append(parts, baseCandle(base, b, t, now))
		}
		c := cc.Aggregate(parts)
		c.OpenTime, c.CloseTime, c.Closed = open, next-1, now >= next-1
		out = append(out, c)
	}
	return out, ctx.Err()
}

func priceAt(base, t int64) int64 { return base + (t/1000*37)%20011 - 10000 }

func baseCandle(base int64, b cc.Interval, open, now int64) cc.Candle {
	next := b.Next(open)
	end := next
	if now < next-1 {
		end = now // in progress
	}
	o, c := priceAt(base, open), priceAt(base, end)
	k := open / b.Millis()
	vol := 12345 + k%1000
	if end < next {
		vol = vol * (end - open) / (next - open)
	}
	quote := vol * o / 1000
	return cc.Candle{
		OpenTime: open, CloseTime: next - 1,
		Open: cc.NewDecimal(o, 2), Close: cc.NewDecimal(c, 2),
		High: cc.NewDecimal(max(o, c)+100, 2), Low: cc.NewDecimal(min(o, c)-100, 2),
		Volume: cc.NewDecimal(vol, 5), QuoteVolume: cc.NewDecimal(quote, 4),
		Trades: 10 + k%50, TakerBuyBase: cc.NewDecimal(vol/2, 5), TakerBuyQuote: cc.NewDecimal(quote/2, 4),
		Closed: now >= next-1,
	}
}

var testPairs = []cc.Pair{
	{Base: "BTC", Quote: "USDT", Price: 50000, Symbol: "BTCUSDT"},
	{Base: "ETH", Quote: "USDT", Price: 3000, Symbol: "ETHUSDT"},
}

// newEnv serves testMarket on clock.
func newEnv(clock *cc.Clock) *plugins.Env {
	m := testMarket{}
	return &plugins.Env{
		Market: m, Feed: &cc.MarketFeed{Market: m, Clock: clock}, Clock: clock,
		Pairs: testPairs, Hub: plugins.NewHub(),
	}
}

// serve starts p over env on 127.0.0.1 and closes every WS session and
// the server at the end of the test. The tests here serve plugin
// instances with options of their own (ping cadence) over a Market of
// their own, which the registry and so replaytest.Start cannot: they call the
// plugin's handler directly.
func serve(t testing.TB, p *binance.Plugin, env *plugins.Env) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(p.Handler(env))
	t.Cleanup(func() {
		// Shutdown, not CloseAll: it waits for every goroutine the
		// sessions started (a push still encoding), so goleak sees none.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := env.Hub.Shutdown(ctx); err != nil {
			t.Errorf("hub shutdown: %v", err)
		}
		srv.Close()
	})
	return srv
}

func spotServer(t testing.TB) *httptest.Server {
	return serve(t, binance.New(binance.Spot, binance.Options{}), newEnv(replaytest.Clock(fixedNow, 0)))
}

func futuresServer(t testing.TB) *httptest.Server {
	return serve(t, binance.New(binance.Perpetual, binance.Options{}), newEnv(replaytest.Clock(fixedNow, 0)))
}

func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b
}
