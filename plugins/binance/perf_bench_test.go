package binance

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/synth"
)

// These benchmarks are in-package: they time the unexported hot paths the
// HTTP benchmarks hide (request validation, row and event encoding).

const benchStart = 1704067200000 // 2024-01-01, a closed window

func benchServer(b *testing.B) *server {
	b.Helper()
	p, err := plugins.Lookup(SpotName)
	if err != nil {
		b.Fatal(err)
	}
	pairs := append([]cc.Pair(nil), cc.DefaultPairs...)
	for i := range pairs {
		pairs[i].Symbol = p.Symbol(pairs[i])
	}
	m := synth.New(synth.Options{Seed: 1, Exchange: SpotName, Pairs: pairs})
	env := &plugins.Env{Market: m, Feed: &cc.MarketFeed{Market: m, Clock: &cc.Clock{}}, Clock: &cc.Clock{}, Pairs: pairs, Hub: plugins.NewHub()}
	return p.Handler(env).(*server)
}

func benchCandles(b *testing.B, s *server, n int) []cc.Candle {
	b.Helper()
	cs, err := s.env.Market.Candles(context.Background(), "BTCUSDT", cc.Interval1m, benchStart, benchStart+int64(n)*60_000, benchStart+int64(n)*60_000)
	if err != nil || len(cs) != n {
		b.Fatalf("market: %d candles, %v", len(cs), err)
	}
	return cs
}

// BenchmarkKlinesRequestParse is the query parsing and Binance-order
// validation of a klines request.
func BenchmarkKlinesRequestParse(b *testing.B) {
	s := benchServer(b)
	const raw = "symbol=BTCUSDT&interval=1m&limit=1000&startTime=1704067200000"
	reads := s.routes["/api/v3/klines"].reads
	b.ReportAllocs()
	for b.Loop() {
		q, aerr := parseParams(raw, reads)
		if aerr != nil {
			b.Fatal(aerr)
		}
		if _, sp, aerr := s.klineQuery(q, "symbol"); aerr != nil || sp.limit != 1000 {
			b.Fatal(aerr)
		}
	}
}

// BenchmarkKlinesEncode1000 encodes 1000 candles as Binance's JSON rows.
func BenchmarkKlinesEncode1000(b *testing.B) {
	s := benchServer(b)
	cs := benchCandles(b, s, 1000)
	buf := s.appendRows(nil, tradeKlines, cs, millis)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = s.appendRows(buf[:0], tradeKlines, cs, millis)
	}
}

// BenchmarkKlineEventEncode encodes one WS kline event as the stream
// encoder does (a fresh buffer per message).
func BenchmarkKlineEventEncode(b *testing.B) {
	s := benchServer(b)
	st, ok := s.parseStream("btcusdt@kline_1m")
	if !ok {
		b.Fatal("stream name refused")
	}
	enc := s.klineEncoder("btcusdt@kline_1m", st, &conn{})
	c := benchCandles(b, s, 1)[0]
	u := cc.Update{Symbol: "BTCUSDT", Interval: cc.Interval1m, EventTime: c.OpenTime + 2000, Candle: c}
	b.ReportAllocs()
	for b.Loop() {
		if len(enc(u)) == 0 {
			b.Fatal("empty event")
		}
	}
}

// BenchmarkKlinesHandler1000 is the whole klines handler for a 1000-row
// closed window, the same request each time, as a load test sends it.
func BenchmarkKlinesHandler1000(b *testing.B) {
	s := benchServer(b)
	r := httptest.NewRequest(http.MethodGet, "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1000&startTime=1704067200000", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := &discardWriter{h: http.Header{}}
		s.ServeHTTP(w, r)
		if w.code != http.StatusOK || w.n < 100_000 {
			b.Fatalf("status %d, %d bytes", w.code, w.n)
		}
	}
}

// discardWriter is a ResponseWriter that only counts.
type discardWriter struct {
	h    http.Header
	code int
	n    int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}
func (w *discardWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	w.n += len(b)
	return len(b), nil
}
