package hyperliquid_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/replay/replaytest"
)

func TestInfoWeightsShareTheMinuteBudget(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC)
	t.Run("meta weighs 20: the 61st is refused", func(t *testing.T) {
		s := replaytest.Start(t, "hyperliquid_perpetual", nil, nil)
		base := s.Limited(t, now)
		if status, _ := replaytest.Exhaust(t, 60, replaytest.Req(http.MethodPost, base+"/info", `{"type":"meta"}`), nil); status != 429 {
			t.Errorf("61st meta: %d", status)
		}
	})
	t.Run("exchangeStatus weighs 2: 600 pass", func(t *testing.T) {
		s := replaytest.Start(t, "hyperliquid_perpetual", nil, nil)
		base := s.Limited(t, now)
		if status, _ := replaytest.Exhaust(t, 600, replaytest.Req(http.MethodPost, base+"/info", `{"type":"exchangeStatus"}`), nil); status != 429 {
			t.Errorf("601st: %d", status)
		}
	})
	t.Run("a long candleSnapshot weighs more and its body still arrives", func(t *testing.T) {
		s := replaytest.Start(t, "hyperliquid_perpetual", nil, nil)
		base := s.Limited(t, now)
		// 5000 minutes: 20 + 83 = 103 weight; 11 fit in 1200, the 12th not.
		end := time.Now().UnixMilli() / 60000 * 60000
		start := end - 5100*60000 // older than the 5000 kept: still weighs 5000 candles
		q := `{"type":"candleSnapshot","req":{"coin":"BTC","interval":"1m","startTime":` + strconv.FormatInt(start, 10) + `,"endTime":` + strconv.FormatInt(end, 10) + `}}`
		whole := func(status int, body []byte) bool {
			return status == 200 && strings.HasPrefix(string(body), `[{"t":`) && strings.Count(string(body), `"t":`) >= 4999
		}
		if status, _ := replaytest.Exhaust(t, 11, replaytest.Req(http.MethodPost, base+"/info", q), whole); status != 429 {
			t.Errorf("12th snapshot: %d", status)
		}
	})
}
