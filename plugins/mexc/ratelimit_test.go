package mexc_test

import (
	"strings"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/plugins/internal/kittest"
)

func TestMEXCLimits(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC)
	t.Run("spot: exchangeInfo weighs 10 of 500 per 10 s", func(t *testing.T) {
		s := kittest.Start(t, "mexc_spot", nil, nil)
		base := s.Limited(t, now)
		info := kittest.GET("/api/v3/exchangeInfo")
		if status, body := kittest.Hammer(t, base, 50, info); status != 200 {
			t.Fatalf("50th exchangeInfo: %d %s", status, body)
		}
		status, _ := kittest.Hammer(t, base, 1, kittest.GET("/api/v3/time"))
		if status != 429 {
			t.Errorf("after 500 weight: %d", status)
		}
	})
	t.Run("contract: 20 per 2 s, then code 510", func(t *testing.T) {
		s := kittest.Start(t, "mexc_perpetual", nil, nil)
		base := s.Limited(t, now)
		ping := kittest.GET("/api/v1/contract/ping")
		if status, _ := kittest.Hammer(t, base, 20, ping); status != 200 {
			t.Fatalf("20th ping: %d", status)
		}
		status, body := kittest.Hammer(t, base, 1, ping)
		if status != 429 || !strings.Contains(string(body), `"code":510`) {
			t.Errorf("21st ping: %d %s", status, body)
		}
	})
}
