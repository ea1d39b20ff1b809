package binance_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/adshao/go-binance/v2/common"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/compat/compattest"
)

// TestGoBinanceSeesAMissAsAnAPIErrorNamingTheRequest: a fixture replayed
// with --on-miss error answers what it lacks in Binance's own error
// envelope, so go-binance returns a *common.APIError whose message names
// the request that missed — what a failing CI job then shows.
func TestGoBinanceSeesAMissAsAnAPIErrorNamingTheRequest(t *testing.T) {
	for _, m := range markets {
		t.Run(m.name, func(t *testing.T) {
			upstream := compattest.StartBinary(t, m.exchange, compattest.Options{Pairs: pairs, Seed: 7})
			cassette := filepath.Join(t.TempDir(), m.exchange+".cassette")
			rec := compattest.StartRecorder(t, m.exchange, upstream, cassette)
			start := compattest.CurrentOpen(cc.Interval1m, time.Now()) - 600*60_000
			if _, err := m.connect(t, rec).klines(ctx(t), kq{symbol: "BTCUSDT", interval: "1m", start: start, limit: 100}); err != nil {
				t.Fatal(err)
			}
			if err := rec.Stop(); err != nil {
				t.Fatal(err)
			}
			if err := upstream.Stop(); err != nil {
				t.Fatal(err)
			}

			rep := compattest.StartReplay(t, m.exchange, cassette, "--on-miss", "error")
			c := m.connect(t, rep)
			if ks, err := c.klines(ctx(t), kq{symbol: "BTCUSDT", interval: "1m", start: start, limit: 100}); err != nil || len(ks) != 100 {
				t.Fatalf("the recorded request: %d rows, %v", len(ks), err)
			}
			_, err := c.klines(ctx(t), kq{symbol: "BTCUSDT", interval: "1m", start: start - 300*60_000, limit: 100})
			var apiErr *common.APIError
			if !errors.As(err, &apiErr) || apiErr.Code != -1000 || !strings.Contains(apiErr.Message, "startTime=") {
				t.Fatalf("a miss gave %T %v; want *common.APIError -1000 naming the request", err, err)
			}
		})
	}
}
