// Command gobinance-proxy is an unmodified go-binance program: it never
// sets a base URL, a WS endpoint variable or a proxy, so it talks to
// api.binance.com, stream.binance.com:9443, fapi.binance.com and
// fstream.binance.com exactly as go-binance does by default. Whatever the
// environment says (HTTPS_PROXY, SSL_CERT_FILE) decides where that goes.
//
// The compat tests run it as a child process with HTTPS_PROXY pointing at
// candlecassette and SSL_CERT_FILE at a test CA, and read what it got: one
// JSON object per line on stdout, each with a "kind":
//
//	{"kind":"exchangeInfo","symbols":["BTCUSDT",...]}
//	{"kind":"klines","page":0,"klines":[{"open":MS,"closeTime":MS,"o":"...",...},...]}
//	{"kind":"ws","stream":"kline","event":{"symbol":...}}     (WsKlineServe)
//	{"kind":"ws","stream":"combined","event":{"symbol":...}}  (WsCombinedKlineServe)
//
// Usage:
//
//	gobinance-proxy -market spot|usdm -start MS [-pages 2] [-limit 500] [-pushes 2]
//
// It exits 0 once every step has its answers, 1 on the first error.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	binance "github.com/adshao/go-binance/v2"
	"github.com/adshao/go-binance/v2/futures"
)

// kline is a REST kline as go-binance decoded it.
type kline struct {
	Open      int64  `json:"open"`
	CloseTime int64  `json:"closeTime"`
	O         string `json:"o"`
	H         string `json:"h"`
	L         string `json:"l"`
	C         string `json:"c"`
	V         string `json:"v"`
}

// push is a WS kline event reduced to what a test checks.
type push struct {
	Symbol   string `json:"symbol"`
	Interval string `json:"interval"`
	Start    int64  `json:"start"`
	End      int64  `json:"end"`
	Open     string `json:"open"`
	Close    string `json:"close"`
	Final    bool   `json:"final"`
}

// market is what the program does with go-binance's spot or USD-M client.
type market struct {
	klines       func(ctx context.Context, symbol string, start int64, limit int) ([]kline, error)
	exchangeInfo func(ctx context.Context) ([]string, error)
	wsKline      func(symbol, interval string, h func(push), eh func(error)) (done, stop chan struct{}, err error)
	wsCombined   func(pairs map[string]string, h func(push), eh func(error)) (done, stop chan struct{}, err error)
}

func spot() market {
	c := binance.NewClient("", "")
	conv := func(e *binance.WsKlineEvent) push {
		k := e.Kline
		return push{Symbol: e.Symbol, Interval: k.Interval, Start: k.StartTime, End: k.EndTime, Open: k.Open, Close: k.Close, Final: k.IsFinal}
	}
	return market{
		klines: func(ctx context.Context, symbol string, start int64, limit int) ([]kline, error) {
			ks, err := c.NewKlinesService().Symbol(symbol).Interval("1m").StartTime(start).Limit(limit).Do(ctx)
			out := make([]kline, len(ks))
			for i, k := range ks {
				out[i] = kline{k.OpenTime, k.CloseTime, k.Open, k.High, k.Low, k.Close, k.Volume}
			}
			return out, err
		},
		exchangeInfo: func(ctx context.Context) ([]string, error) {
			info, err := c.NewExchangeInfoService().Do(ctx)
			if err != nil {
				return nil, err
			}
			var syms []string
			for _, s := range info.Symbols {
				syms = append(syms, s.Symbol)
			}
			return syms, nil
		},
		wsKline: func(symbol, interval string, h func(push), eh func(error)) (chan struct{}, chan struct{}, error) {
			return binance.WsKlineServe(symbol, interval, func(e *binance.WsKlineEvent) { h(conv(e)) }, eh)
		},
		wsCombined: func(pairs map[string]string, h func(push), eh func(error)) (chan struct{}, chan struct{}, error) {
			return binance.WsCombinedKlineServe(pairs, func(e *binance.WsKlineEvent) { h(conv(e)) }, eh)
		},
	}
}

func usdm() market {
	c := futures.NewClient("", "")
	conv := func(e *futures.WsKlineEvent) push {
		k := e.Kline
		return push{Symbol: e.Symbol, Interval: k.Interval, Start: k.StartTime, End: k.EndTime, Open: k.Open, Close: k.Close, Final: k.IsFinal}
	}
	return market{
		klines: func(ctx context.Context, symbol string, start int64, limit int) ([]kline, error) {
			ks, err := c.NewKlinesService().Symbol(symbol).Interval("1m").StartTime(start).Limit(limit).Do(ctx)
			out := make([]kline, len(ks))
			for i, k := range ks {
				out[i] = kline{k.OpenTime, k.CloseTime, k.Open, k.High, k.Low, k.Close, k.Volume}
			}
			return out, err
		},
		exchangeInfo: func(ctx context.Context) ([]string, error) {
			info, err := c.NewExchangeInfoService().Do(ctx)
			if err != nil {
				return nil, err
			}
			var syms []string
			for _, s := range info.Symbols {
				syms = append(syms, s.Symbol)
			}
			return syms, nil
		},
		wsKline: func(symbol, interval string, h func(push), eh func(error)) (chan struct{}, chan struct{}, error) {
			return futures.WsKlineServe(symbol, interval, func(e *futures.WsKlineEvent) { h(conv(e)) }, eh)
		},
		wsCombined: func(pairs map[string]string, h func(push), eh func(error)) (chan struct{}, chan struct{}, error) {
			return futures.WsCombinedKlineServe(pairs, func(e *futures.WsKlineEvent) { h(conv(e)) }, eh)
		},
	}
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gobinance-proxy:", err)
		os.Exit(1)
	}
}

func run() error {
	kind := flag.String("market", "spot", "spot or usdm")
	start := flag.Int64("start", 0, "open time (Unix ms) of the first 1m kline of page 0")
	pages := flag.Int("pages", 2, "klines pages, each starting right after the one before")
	limit := flag.Int("limit", 500, "klines per page")
	pushes := flag.Int("pushes", 2, "WS pushes to wait for on each stream kind")
	flag.Parse()
	var m market
	switch *kind {
	case "spot":
		m = spot()
	case "usdm":
		m = usdm()
	default:
		return fmt.Errorf("-market %q: want spot or usdm", *kind)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out := json.NewEncoder(os.Stdout)

	syms, err := m.exchangeInfo(ctx)
	if err != nil {
		return fmt.Errorf("exchangeInfo: %w", err)
	}
	out.Encode(map[string]any{"kind": "exchangeInfo", "symbols": syms})

	next := *start
	for p := range *pages {
		ks, err := m.klines(ctx, "BTCUSDT", next, *limit)
		if err != nil {
			return fmt.Errorf("klines page %d: %w", p, err)
		}
		if len(ks) == 0 {
			return fmt.Errorf("klines page %d: no klines", p)
		}
		out.Encode(map[string]any{"kind": "klines", "page": p, "klines": ks})
		next = ks[len(ks)-1].CloseTime + 1
	}

	streams := []struct {
		name  string
		serve func(h func(push), eh func(error)) (chan struct{}, chan struct{}, error)
		// enough says when the pushes so far are all this stream needs.
		enough func([]push) bool
	}{
		{"kline", func(h func(push), eh func(error)) (chan struct{}, chan struct{}, error) {
			return m.wsKline("BTCUSDT", "1m", h, eh)
		}, func(ps []push) bool { return len(ps) >= *pushes }},
		{"combined", func(h func(push), eh func(error)) (chan struct{}, chan struct{}, error) {
			return m.wsCombined(map[string]string{"BTCUSDT": "1m", "ETHUSDT": "1m"}, h, eh)
		}, func(ps []push) bool {
			seen := map[string]int{}
			for _, p := range ps {
				seen[p.Symbol]++
			}
			return len(ps) >= *pushes && seen["BTCUSDT"] > 0 && seen["ETHUSDT"] > 0
		}},
	}
	for _, s := range streams {
		got := make(chan push, 64)
		failed := make(chan error, 1)
		done, stop, err := s.serve(func(p push) {
			select {
			case got <- p:
			default:
			}
		}, func(err error) {
			select {
			case failed <- err:
			default:
			}
		})
		if err != nil {
			return fmt.Errorf("WS %s: %w", s.name, err)
		}
		var ps []push
		for !s.enough(ps) {
			select {
			case p := <-got:
				ps = append(ps, p)
				out.Encode(map[string]any{"kind": "ws", "stream": s.name, "event": p})
			case err := <-failed:
				close(stop)
				return fmt.Errorf("WS %s: %w", s.name, err)
			case <-ctx.Done():
				close(stop)
				return fmt.Errorf("WS %s: %d pushes before %w", s.name, len(ps), ctx.Err())
			}
		}
		close(stop)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			return errors.New("WS " + s.name + ": go-binance did not stop")
		}
	}
	return nil
}
