package replay_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/serve"
)

// sameNum says whether the decimal string a (from JSON) has b's value:
// the exchange pads decimals its own way.
func sameNum(a any, b string) bool {
	x, err1 := strconv.ParseFloat(fmt.Sprint(a), 64)
	y, err2 := strconv.ParseFloat(b, 64)
	return err1 == nil && err2 == nil && x == y
}

func adminGet(t *testing.T, url, token string, v any) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if v != nil && resp.StatusCode == 200 {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v in %s", url, err, b)
		}
	}
	return resp.StatusCode
}

// The admin views of a replayed cassette: its coverage, and each candle's
// source — the index inside the recorded run, synthetic around it — on
// the same candles the exchange's own klines route serves.
func TestAdminViewsOfAReplayedCassette(t *testing.T) {
	s, err := replay.Start(replay.Options{Cassette: exampleCassette, Serve: serve.Options{AdminToken: "s3cret"}}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())

	var cov struct {
		Replay bool                   `json:"replay"`
		Series []serve.SeriesCoverage `json:"series"`
	}
	if code := adminGet(t, s.URL()+"/__admin/coverage", "", &cov); code != http.StatusUnauthorized {
		t.Fatalf("coverage without the token: %d, want 401", code)
	}
	if code := adminGet(t, s.URL()+"/__admin/coverage", "s3cret", &cov); code != 200 || !cov.Replay {
		t.Fatalf("coverage: %d %+v", code, cov)
	}
	var run serve.CoverageRange
	for _, sc := range cov.Series {
		if sc.Symbol == "BTCUSDT" && sc.Interval == "1m" && len(sc.Ranges) == 1 {
			run = sc.Ranges[0]
		}
	}
	if run.Start != winStart || run.Count != 200 || run.End != winStart+200*60_000 {
		t.Fatalf("BTCUSDT 1m coverage %+v, want 200 candles from %d", cov.Series, winStart)
	}

	// 10 candles before the run's end and 5 after it.
	start, end := run.End-10*60_000, run.End+5*60_000
	var got struct {
		Candles []serve.AdminCandle `json:"candles"`
	}
	url := fmt.Sprintf("%s/__admin/binance_spot/candles?symbol=BTCUSDT&interval=1m&start=%d&end=%d", s.URL(), start, end)
	if code := adminGet(t, url, "s3cret", &got); code != 200 || len(got.Candles) != 15 {
		t.Fatalf("candles: %d, %d candles, want 15", code, len(got.Candles))
	}
	var klines [][]any
	resp, err := http.Get(fmt.Sprintf("%s/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=%d&endTime=%d", s.URL(), start, end-1))
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&klines)
	resp.Body.Close()
	if len(klines) != 15 {
		t.Fatalf("klines: %d rows, want 15", len(klines))
	}
	for i, c := range got.Candles {
		want := serve.SourceIndex
		if c.Time >= run.End {
			want = serve.SourceSynthetic
		}
		if c.Source != want || c.Time != start+int64(i)*60_000 {
			t.Errorf("candle %d at %d: source %s, want %s", i, c.Time, c.Source, want)
		}
		k := klines[i]
		if int64(k[0].(float64)) != c.Time || !sameNum(k[1], c.Open) || !sameNum(k[2], c.High) || !sameNum(k[3], c.Low) ||
			!sameNum(k[4], c.Close) || !sameNum(k[5], c.Volume) {
			t.Errorf("candle %d: admin %+v, klines %v", i, c, k)
		}
	}

	for _, bad := range []string{"symbol=NOPE&interval=1m", "symbol=BTCUSDT&interval=7m", "symbol=BTCUSDT&interval=1m&limit=0",
		"symbol=BTCUSDT&interval=1m&start=x", fmt.Sprintf("symbol=BTCUSDT&interval=1m&start=%d&end=%d", start, start+2000*60_000)} {
		var e map[string]string
		req, _ := http.NewRequest(http.MethodGet, s.URL()+"/__admin/candles?"+bad, nil)
		req.Header.Set("Authorization", "Bearer s3cret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.HasPrefix(e["error"], "candles: ") {
			t.Errorf("%s: %d %v, want 400 with a message", bad, resp.StatusCode, e)
		}
	}

	var market struct {
		Exchanges []struct {
			ID        string              `json:"id"`
			Intervals []string            `json:"intervals"`
			Pairs     []map[string]string `json:"pairs"`
			Replay    bool                `json:"replay"`
		} `json:"exchanges"`
	}
	if code := adminGet(t, s.URL()+"/__admin/market", "s3cret", &market); code != 200 || len(market.Exchanges) != 1 ||
		market.Exchanges[0].ID != "binance_spot" || !market.Exchanges[0].Replay || len(market.Exchanges[0].Intervals) == 0 ||
		market.Exchanges[0].Pairs[0]["symbol"] != "BTCUSDT" {
		t.Fatalf("market: %d %+v", code, market)
	}
	var usage struct {
		Clients []struct {
			IP      string `json:"ip"`
			Windows []struct {
				Used int `json:"used"`
			} `json:"windows"`
		} `json:"clients"`
	}
	if code := adminGet(t, s.URL()+"/__admin/limits/usage", "s3cret", &usage); code != 200 || len(usage.Clients) != 1 ||
		usage.Clients[0].IP != "127.0.0.1" || len(usage.Clients[0].Windows) == 0 || usage.Clients[0].Windows[0].Used == 0 {
		t.Fatalf("usage after one klines request: %d %+v", code, usage)
	}

	// The page loads without the token; its data does not.
	resp, err = http.Get(s.URL() + "/__admin/ui")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), `id="chart"`) || resp.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("page: %d %q", resp.StatusCode, resp.Header)
	}
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/__admin/ui", nil)
	req.Header.Set("Origin", "http://evil.example")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("page from a foreign origin: %v %v, want 403", resp.StatusCode, err)
	} else {
		resp.Body.Close()
	}
}

// On a server of several exchanges the page is at /__admin/ui too, and
// /__admin/market lists every exchange, whose views are at /__admin/ID/.
func TestAdminViewsOfSeveralExchanges(t *testing.T) {
	s, err := replay.Start(replay.Options{Exchanges: []string{"binance_spot", "okx_spot"}}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	var market struct {
		Exchanges []struct {
			ID     string              `json:"id"`
			Market bool                `json:"market"`
			Pairs  []map[string]string `json:"pairs"`
		} `json:"exchanges"`
	}
	if code := adminGet(t, s.URL()+"/__admin/market", "", &market); code != 200 || len(market.Exchanges) != 2 ||
		market.Exchanges[1].ID != "okx_spot" || !market.Exchanges[1].Market || market.Exchanges[1].Pairs[0]["symbol"] != "BTC-USDT" {
		t.Fatalf("market: %d %+v", code, market)
	}
	var got struct {
		Candles []serve.AdminCandle `json:"candles"`
	}
	if code := adminGet(t, s.URL()+"/__admin/okx_spot/candles?symbol=BTC-USDT&interval=1h&limit=5", "", &got); code != 200 ||
		len(got.Candles) != 5 || got.Candles[4].Time-got.Candles[0].Time != 4*3_600_000 || got.Candles[0].Source != serve.SourceSynthetic {
		t.Fatalf("okx candles: %d %+v", code, got)
	}
	if code := adminGet(t, s.URL()+"/__admin/ui", "", nil); code != 200 {
		t.Fatalf("page on a server of several: %d", code)
	}
}
