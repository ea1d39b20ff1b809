package binance_test

import (
	"context"
	"testing"

	binance "github.com/adshao/go-binance/v2"
	"github.com/adshao/go-binance/v2/futures"

	"github.com/candlecassette/candlecassette/compat/compattest"
)

// kq is one klines request; zero fields are not sent.
type kq struct {
	symbol, interval string
	start, end       int64
	limit            int
}

// kline is a REST kline as go-binance decoded it.
type kline struct {
	open, close   int64
	o, h, l, c, v string
}

// bars converts klines for the compattest checks.
func bars(t *testing.T, ks []kline) []compattest.Bar {
	t.Helper()
	out := make([]compattest.Bar, len(ks))
	for i, k := range ks {
		out[i] = compattest.Bar{Open: k.open, Close: k.close,
			O: compattest.ParseFloat(t, "open", k.o), H: compattest.ParseFloat(t, "high", k.h),
			L: compattest.ParseFloat(t, "low", k.l), C: compattest.ParseFloat(t, "close", k.c),
			V: compattest.ParseFloat(t, "volume", k.v)}
	}
	return out
}

// symbolInfo is the part of an exchangeInfo symbol the tests check.
type symbolInfo struct {
	symbol, base, quote, status string
	tickSize, stepSize          string
	contractType                string // futures only
}

// wsKline is a kline push as go-binance decoded it.
type wsKline struct {
	event, symbol, interval string
	start, end              int64
	o, h, l, c, v           string
	final                   bool
}

// client is what the tests need from go-binance, spot or futures.
type client interface {
	ping(ctx context.Context) error
	serverTime(ctx context.Context) (int64, error)
	klines(ctx context.Context, q kq) ([]kline, error)
	exchangeInfo(ctx context.Context, symbols ...string) (nLimits int, syms []symbolInfo, err error)
	// setWS points the client's WS endpoint variables at srv for the test.
	setWS(t *testing.T, srv *compattest.Server)
	wsKlines(symbol, interval string, h func(wsKline), eh func(error)) (done, stop chan struct{}, err error)
	wsCombined(pairs map[string]string, h func(wsKline), eh func(error)) (done, stop chan struct{}, err error)
}

// market is one Binance market kind under test.
type market struct {
	name      string // "spot", "futures"
	exchange  string
	maxLimit  int
	intervals []string
	wsIv      string // the quickest kline stream the market has
	connect   func(t *testing.T, srv *compattest.Server) client
}

var allIntervals = []string{"1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M"}

var markets = []market{
	{name: "spot", exchange: "binance_spot", maxLimit: 1000, intervals: allIntervals, wsIv: "1s",
		connect: func(t *testing.T, srv *compattest.Server) client {
			c := binance.NewClient("", "")
			c.BaseURL = srv.URL
			c.HTTPClient = compattest.HTTPClient(t)
			return spot{c}
		}},
	{name: "futures", exchange: "binance_perpetual", maxLimit: 1500, intervals: allIntervals[1:], wsIv: "1m",
		connect: func(t *testing.T, srv *compattest.Server) client {
			c := binance.NewFuturesClient("", "")
			c.BaseURL = srv.URL
			c.HTTPClient = compattest.HTTPClient(t)
			return perp{c}
		}},
}

type spot struct{ c *binance.Client }

func (s spot) ping(ctx context.Context) error { return s.c.NewPingService().Do(ctx) }

func (s spot) serverTime(ctx context.Context) (int64, error) {
	return s.c.NewServerTimeService().Do(ctx)
}

func (s spot) klines(ctx context.Context, q kq) ([]kline, error) {
	svc := s.c.NewKlinesService().Symbol(q.symbol).Interval(q.interval)
	if q.start != 0 {
		svc.StartTime(q.start)
	}
	if q.end != 0 {
		svc.EndTime(q.end)
	}
	if q.limit != 0 {
		svc.Limit(q.limit)
	}
	ks, err := svc.Do(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]kline, len(ks))
	for i, k := range ks {
		out[i] = kline{open: k.OpenTime, close: k.CloseTime, o: k.Open, h: k.High, l: k.Low, c: k.Close, v: k.Volume}
	}
	return out, nil
}

func (s spot) exchangeInfo(ctx context.Context, symbols ...string) (int, []symbolInfo, error) {
	svc := s.c.NewExchangeInfoService()
	if len(symbols) > 0 {
		svc.Symbols(symbols...)
	}
	info, err := svc.Do(ctx)
	if err != nil {
		return 0, nil, err
	}
	var out []symbolInfo
	for _, sym := range info.Symbols {
		si := symbolInfo{symbol: sym.Symbol, base: sym.BaseAsset, quote: sym.QuoteAsset, status: sym.Status}
		if f := sym.PriceFilter(); f != nil {
			si.tickSize = f.TickSize
		}
		if f := sym.LotSizeFilter(); f != nil {
			si.stepSize = f.StepSize
		}
		out = append(out, si)
	}
	return len(info.RateLimits), out, nil
}

func (spot) setWS(t *testing.T, srv *compattest.Server) {
	compattest.SetVar(t, &binance.BaseWsMainURL, srv.WSURL+"/ws")
	compattest.SetVar(t, &binance.BaseCombinedMainURL, srv.WSURL+"/stream?streams=")
	compattest.SetVar(t, &binance.UseTestnet, false)
	compattest.RequireLoopbackURL(t, binance.BaseWsMainURL)
	compattest.RequireLoopbackURL(t, binance.BaseCombinedMainURL)
}

func spotEvent(e *binance.WsKlineEvent) wsKline {
	k := e.Kline
	return wsKline{event: e.Event, symbol: e.Symbol, interval: k.Interval, start: k.StartTime, end: k.EndTime,
		o: k.Open, h: k.High, l: k.Low, c: k.Close, v: k.Volume, final: k.IsFinal}
}

func (spot) wsKlines(symbol, interval string, h func(wsKline), eh func(error)) (chan struct{}, chan struct{}, error) {
	return binance.WsKlineServe(symbol, interval, func(e *binance.WsKlineEvent) { h(spotEvent(e)) }, eh)
}

func (spot) wsCombined(pairs map[string]string, h func(wsKline), eh func(error)) (chan struct{}, chan struct{}, error) {
	return binance.WsCombinedKlineServe(pairs, func(e *binance.WsKlineEvent) { h(spotEvent(e)) }, eh)
}

type perp struct{ c *futures.Client }

func (p perp) ping(ctx context.Context) error { return p.c.NewPingService().Do(ctx) }

func (p perp) serverTime(ctx context.Context) (int64, error) {
	return p.c.NewServerTimeService().Do(ctx)
}

func (p perp) klines(ctx context.Context, q kq) ([]kline, error) {
	svc := p.c.NewKlinesService().Symbol(q.symbol).Interval(q.interval)
	if q.start != 0 {
		svc.StartTime(q.start)
	}
	if q.end != 0 {
		svc.EndTime(q.end)
	}
	if q.limit != 0 {
		svc.Limit(q.limit)
	}
	ks, err := svc.Do(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]kline, len(ks))
	for i, k := range ks {
		out[i] = kline{open: k.OpenTime, close: k.CloseTime, o: k.Open, h: k.High, l: k.Low, c: k.Close, v: k.Volume}
	}
	return out, nil
}

func (p perp) exchangeInfo(ctx context.Context, symbols ...string) (int, []symbolInfo, error) {
	info, err := p.c.NewExchangeInfoService().Do(ctx)
	if err != nil {
		return 0, nil, err
	}
	var out []symbolInfo
	for _, sym := range info.Symbols {
		si := symbolInfo{symbol: sym.Symbol, base: sym.BaseAsset, quote: sym.QuoteAsset, status: sym.Status,
			contractType: string(sym.ContractType)}
		if f := sym.PriceFilter(); f != nil {
			si.tickSize = f.TickSize
		}
		if f := sym.LotSizeFilter(); f != nil {
			si.stepSize = f.StepSize
		}
		out = append(out, si)
	}
	return len(info.RateLimits), out, nil
}

func (perp) setWS(t *testing.T, srv *compattest.Server) {
	compattest.SetVar(t, &futures.BaseWsMainUrl, srv.WSURL+"/ws")
	compattest.SetVar(t, &futures.BaseCombinedMainURL, srv.WSURL+"/stream?streams=")
	compattest.SetVar(t, &futures.UseTestnet, false)
	compattest.RequireLoopbackURL(t, futures.BaseWsMainUrl)
	compattest.RequireLoopbackURL(t, futures.BaseCombinedMainURL)
}

func perpEvent(e *futures.WsKlineEvent) wsKline {
	k := e.Kline
	return wsKline{event: e.Event, symbol: e.Symbol, interval: k.Interval, start: k.StartTime, end: k.EndTime,
		o: k.Open, h: k.High, l: k.Low, c: k.Close, v: k.Volume, final: k.IsFinal}
}

func (perp) wsKlines(symbol, interval string, h func(wsKline), eh func(error)) (chan struct{}, chan struct{}, error) {
	return futures.WsKlineServe(symbol, interval, func(e *futures.WsKlineEvent) { h(perpEvent(e)) }, eh)
}

func (perp) wsCombined(pairs map[string]string, h func(wsKline), eh func(error)) (chan struct{}, chan struct{}, error) {
	return futures.WsCombinedKlineServe(pairs, func(e *futures.WsKlineEvent) { h(perpEvent(e)) }, eh)
}
