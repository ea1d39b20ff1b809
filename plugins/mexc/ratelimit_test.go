package mexc_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/replay/replaytest"
)

func TestMEXCLimits(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC)
	t.Run("spot: exchangeInfo weighs 10 of 500 per 10 s", func(t *testing.T) {
		s := replaytest.Start(t, "mexc_spot", nil, nil)
		base := s.Limited(t, now)
		// 50 exchangeInfo pass; then even the lightest request is refused.
		if status, body := replaytest.Exhaust(t, 49, replaytest.Req(http.MethodGet, base+"/api/v3/exchangeInfo", ""), nil); status != 200 {
			t.Fatalf("50th exchangeInfo: %d %s", status, body)
		}
		status, _ := replaytest.Exhaust(t, 0, replaytest.Req(http.MethodGet, base+"/api/v3/time", ""), nil)
		if status != 429 {
			t.Errorf("after 500 weight: %d", status)
		}
	})
	t.Run("contract: 20 per 2 s, then code 510", func(t *testing.T) {
		s := replaytest.Start(t, "mexc_perpetual", nil, nil)
		base := s.Limited(t, now)
		status, body := replaytest.Exhaust(t, 20, replaytest.Req(http.MethodGet, base+"/api/v1/contract/ping", ""), nil)
		if status != 429 || !strings.Contains(string(body), `"code":510`) {
			t.Errorf("21st ping: %d %s", status, body)
		}
	})
}
