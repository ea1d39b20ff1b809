package ascendex_test

import (
	"strings"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/plugins/internal/kittest"
)

func TestTheRequestOverAscendEXsPoolGets429(t *testing.T) {
	s := kittest.Start(t, "ascend_ex_spot", nil, nil)
	base := s.Limited(t, time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC))
	get := kittest.GET("/api/pro/v1/barhist/info")
	if status, body := kittest.Hammer(t, base, 100, get); status != 200 {
		t.Fatalf("request 100: %d %s", status, body)
	}
	status, body := kittest.Hammer(t, base, 1, get)
	if status != 429 || !strings.Contains(string(body), `"reason":"TOO_MANY_REQUESTS"`) {
		t.Errorf("request 101: %d %s", status, body)
	}
}
