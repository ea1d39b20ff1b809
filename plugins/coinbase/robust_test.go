package coinbase_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/plugins/coinbase"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// A limit with a window reaching back to 1970 used to build decades of
// minute candles before keeping the newest few: the request hung.
func TestLimitWithAHugeWindowAnswersTheNewestAtOnce(t *testing.T) {
	srv := replaytest.Start(t, coinbase.Name, pairs, replaytest.Clock(base, 1e-9))
	client := &http.Client{Timeout: 5 * time.Second}
	for _, end := range []int64{base.Unix(), base.AddDate(1, 0, 0).Unix()} {
		url := fmt.Sprintf("%s/api/v3/brokerage/market/products/BTC-USD/candles?granularity=ONE_MINUTE&start=0&end=%d&limit=5", srv.URL, end)
		res, err := client.Get(url)
		if err != nil {
			t.Fatalf("end %d: %v", end, err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var resp struct{ Candles []struct{ Start string } }
		if err := json.Unmarshal(body, &resp); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("end %d: %d %s", end, res.StatusCode, body)
		}
		if len(resp.Candles) != 5 {
			t.Fatalf("end %d: %d candles, want the newest 5", end, len(resp.Candles))
		}
		if want := fmt.Sprint(base.Truncate(time.Minute).Unix()); resp.Candles[0].Start != want {
			t.Errorf("end %d: newest candle starts at %s, want the minute in progress %s", end, resp.Candles[0].Start, want)
		}
	}
}
