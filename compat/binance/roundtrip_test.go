package binance_test

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/adshao/go-binance/v2/common"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/compat/compattest"
)

// recorded is what go-binance saw through the recorder.
type recorded struct {
	pages   [][]kline
	symbols []string
}

// session runs the same go-binance calls against srv and returns what they
// gave: two pages of 500 klines from start, the exchangeInfo symbols, a
// bad-symbol error and two WS pushes.
func session(t *testing.T, m market, srv *compattest.Server, start int64) recorded {
	t.Helper()
	c := m.connect(t, srv)
	var out recorded
	next := start
	for p := range 2 {
		ks, err := c.klines(ctx(t), kq{symbol: "BTCUSDT", interval: "1m", start: next, limit: 500})
		if err != nil {
			t.Fatalf("page %d: %v", p, err)
		}
		if len(ks) != 500 || ks[0].open != next {
			t.Fatalf("page %d from %d: %d rows from %d", p, next, len(ks), ks[0].open)
		}
		compattest.CheckSeries(t, bars(t, ks), cc.Interval1m)
		out.pages = append(out.pages, ks)
		next = ks[len(ks)-1].close + 1
	}
	_, syms, err := c.exchangeInfo(ctx(t))
	if err != nil {
		t.Fatalf("exchangeInfo: %v", err)
	}
	for _, s := range syms {
		out.symbols = append(out.symbols, s.symbol)
	}
	slices.Sort(out.symbols)

	_, err = c.klines(ctx(t), kq{symbol: "NOPEUSDT", interval: "1m"})
	var apiErr *common.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != -1121 {
		t.Errorf("bad symbol: want *common.APIError -1121, got %T %v", err, err)
	}

	c.setWS(t, srv)
	col := newCollector()
	done, stop, err := c.wsKlines("BTCUSDT", "1m", col.handle, col.handleErr)
	if err != nil {
		t.Fatalf("WS dial: %v", err)
	}
	evs := col.waitFor(t, "two kline pushes", 15*time.Second, func(evs []wsKline) bool { return len(evs) >= 2 })
	for _, e := range evs {
		if e.symbol != "BTCUSDT" || e.interval != "1m" || e.start != cc.Interval1m.Truncate(e.start) {
			t.Errorf("push %+v", e)
		}
	}
	close(stop)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("go-binance WS goroutine did not stop")
	}
	return out
}

func TestRecordThenReplayGivesGoBinanceTheSameAnswers(t *testing.T) {
	for _, m := range markets {
		t.Run(m.name, func(t *testing.T) {
			upstream := compattest.StartBinary(t, m.exchange, compattest.Options{Pairs: pairs, Seed: 7})
			cassette := filepath.Join(t.TempDir(), m.exchange+".cassette")
			rec := compattest.StartRecorder(t, m.exchange, upstream, cassette)
			start := compattest.CurrentOpen(cc.Interval1m, time.Now()) - 3000*60_000
			got := session(t, m, rec, start)
			if err := rec.Stop(); err != nil {
				t.Fatal(err)
			}
			if err := upstream.Stop(); err != nil {
				t.Fatal(err)
			}

			// Offline now; a seed unlike the recording's would show any
			// candle the replay made up instead of reading it back.
			rep := compattest.StartReplay(t, m.exchange, cassette, "--seed", "12345")
			again := session(t, m, rep, start)
			for p := range got.pages {
				if !slices.Equal(got.pages[p], again.pages[p]) {
					t.Errorf("page %d differs between the recording and the replay", p)
				}
			}
			if !slices.Equal(got.symbols, again.symbols) {
				t.Errorf("exchangeInfo symbols: recorded %v, replayed %v", got.symbols, again.symbols)
			}
		})
	}
}
