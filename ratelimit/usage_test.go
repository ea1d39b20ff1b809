package ratelimit_test

import (
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/ratelimit"
)

func TestUsageReportsEachClientsWindowsBansAndWindowsThatEnded(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 10, 0, time.UTC)}
	l := ratelimit.New(testModel(), ratelimit.Options{Now: clk.Now})
	h := l.Middleware(ok)
	if got := l.Usage(); len(got) != 0 {
		t.Fatalf("usage before any request: %+v", got)
	}
	do(t, h, "/heavy")
	do(t, h, "/a")
	u := l.Usage()
	if len(u) != 1 || u[0].IP != "192.0.2.7" || len(u[0].Windows) != 1 {
		t.Fatalf("usage %+v, want one client with one window", u)
	}
	w := u[0].Windows[0]
	if w.Name != "REQUEST_WEIGHT" || w.Limit != 10 || w.Used != 5 || time.Duration(w.Period) != time.Minute ||
		!w.Resets.Equal(time.Date(2026, 1, 1, 0, 1, 0, 0, time.UTC)) || u[0].BannedUntil != nil {
		t.Fatalf("window %+v, banned %v: want 5 of 10 used, resetting at 00:01", w, u[0].BannedUntil)
	}
	for range 8 { // 5+8 = 13: 10 admitted, then 429, 429, 418
		do(t, h, "/a")
	}
	u = l.Usage()
	if u[0].Bans != 1 || u[0].BannedUntil == nil || !u[0].BannedUntil.Equal(clk.Now().Add(2*time.Minute)) {
		t.Fatalf("after the ban: %+v", u[0])
	}
	clk.Add(3 * time.Minute) // the window and the ban are over
	u = l.Usage()
	if u[0].Windows[0].Used != 0 || u[0].BannedUntil != nil {
		t.Fatalf("after the window ended: %+v", u[0])
	}
}
