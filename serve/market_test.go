package serve_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/serve"
)

// Each candle's source follows the coverage the mode reports: inside a
// recorded run it is the index's, in a gap between runs and around them
// synthetic.
func TestCandlesTakeTheirSourceFromTheCoverage(t *testing.T) {
	s := start(t, replay.Options{})
	env := s.Env()
	const t0 = int64(1_767_225_600_000) // 2026-01-01, a minute boundary
	ranges := []serve.CoverageRange{{Start: t0 + 2*60_000, End: t0 + 4*60_000, Count: 2}, {Start: t0 + 6*60_000, End: t0 + 7*60_000, Count: 1}}
	s.SetMarket(serve.MarketView{Market: env.Market, Clock: env.Clock, Pairs: env.Pairs,
		Coverage: func() ([]serve.SeriesCoverage, error) {
			return []serve.SeriesCoverage{{Symbol: "BTCUSDT", Interval: "1m", Ranges: ranges}}, nil
		}})
	resp, err := http.Get(fmt.Sprintf("%s/__admin/candles?symbol=BTCUSDT&interval=1m&start=%d&end=%d", s.URL(), t0, t0+9*60_000))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Candles []serve.AdminCandle `json:"candles"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %v", resp.StatusCode, err)
	}
	want := "ssiississ" // per minute from t0: s synthetic, i index
	if len(got.Candles) != len(want) {
		t.Fatalf("%d candles, want %d", len(got.Candles), len(want))
	}
	for i, c := range got.Candles {
		w := serve.SourceSynthetic
		if want[i] == 'i' {
			w = serve.SourceIndex
		}
		if c.Source != w || c.Time != t0+int64(i)*60_000 {
			t.Errorf("minute %d: %s at %d, want %s", i, c.Source, c.Time, w)
		}
	}
	var cov struct {
		Replay bool                   `json:"replay"`
		Series []serve.SeriesCoverage `json:"series"`
	}
	resp2, err := http.Get(s.URL() + "/__admin/coverage")
	if err != nil {
		t.Fatal(err)
	}
	defer resp2.Body.Close()
	json.NewDecoder(resp2.Body).Decode(&cov)
	if !cov.Replay || len(cov.Series) != 1 || len(cov.Series[0].Ranges) != 2 {
		t.Fatalf("coverage %+v", cov)
	}
}

// A mode without a market view (record) answers the views plainly.
func TestCandlesWithoutAMarketView(t *testing.T) {
	s := start(t, replay.Options{})
	s.SetMarket(serve.MarketView{})
	resp, err := http.Get(s.URL() + "/__admin/candles?symbol=BTCUSDT&interval=1m")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("candles without a market: %d, want 404", resp.StatusCode)
	}
}
