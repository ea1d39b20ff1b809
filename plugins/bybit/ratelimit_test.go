package bybit_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/plugins/bybit"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

func TestIPLimitGives403AndABan(t *testing.T) {
	clock := replaytest.NewManualNow(t0)
	f := newFixture(t, bybit.Spot, replaytest.Clock(t0, 0))
	h := f.LimitedHandler(t, clock.Now)
	get := func() (int, string) {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, "/v5/market/time", nil)
		r.RemoteAddr = "127.0.0.1:5555"
		h.ServeHTTP(w, r)
		return w.Code, w.Body.String()
	}
	for i := 1; i <= 600; i++ {
		if status, body := get(); status != http.StatusOK {
			t.Fatalf("request %d of 600: %d %s", i, status, body)
		}
	}
	if status, body := get(); status != http.StatusForbidden || body != "access too frequent" {
		t.Fatalf("request 601: %d %q, want 403 access too frequent", status, body)
	}
	// Banned: still refused once the 5-second window has rolled ...
	clock.Add(6 * time.Second)
	if status, _ := get(); status != http.StatusForbidden {
		t.Errorf("6s later: %d, want 403 while banned", status)
	}
	// ... until the 10-minute ban is over.
	clock.Add(10 * time.Minute)
	if status, body := get(); status != http.StatusOK {
		t.Errorf("after the ban: %d %s", status, body)
	}
}
