package okx_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/plugins/okx"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

func TestEndpointLimitsGive429With50011(t *testing.T) {
	for _, tt := range []struct {
		path  string
		limit int
	}{
		{"/api/v5/market/candles?instId=BTC-USDT&limit=1", 40},
		{"/api/v5/market/history-candles?instId=BTC-USDT&limit=1", 20},
		{"/api/v5/public/instruments?instType=SPOT", 20},
		{"/api/v5/public/time", 10},
	} {
		t.Run(tt.path, func(t *testing.T) {
			clock := replaytest.NewManualNow(t0)
			f := newFixture(t, okx.Spot, replaytest.Clock(t0, 0))
			h := f.LimitedHandler(t, clock.Now)
			get := func() (int, string) {
				w := httptest.NewRecorder()
				r := httptest.NewRequest(http.MethodGet, tt.path, nil)
				r.RemoteAddr = "127.0.0.1:5555"
				h.ServeHTTP(w, r)
				return w.Code, w.Body.String()
			}
			for i := 1; i <= tt.limit; i++ {
				if status, body := get(); status != http.StatusOK {
					t.Fatalf("request %d of %d: %d %.100s", i, tt.limit, status, body)
				}
			}
			if status, body := get(); status != http.StatusTooManyRequests || body != `{"msg":"Too Many Requests","code":"50011"}` {
				t.Errorf("request %d: %d %s", tt.limit+1, status, body)
			}
			// The 2-second window rolls over.
			clock.Add(2 * time.Second)
			if status, body := get(); status != http.StatusOK {
				t.Errorf("2s later: %d %s", status, body)
			}
		})
	}
}
