package ratelimit_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/ratelimit"
)

// fakeClock is a settable clock for the Limiter.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func testModel() ratelimit.Model {
	return ratelimit.Model{
		REST:   []ratelimit.Window{{Name: "REQUEST_WEIGHT", Limit: 10, Period: time.Minute, Aligned: true}},
		Weight: ratelimit.ByPath(map[string]int{"/heavy": 4}, 1),
		UsedHeaders: func(p time.Duration) []string {
			return []string{"X-Used-Weight-" + ratelimit.IntervalTag(p)}
		},
		Refuse: func(f ratelimit.Refusal) ratelimit.Response {
			return ratelimit.Response{Body: fmt.Appendf(nil, `{"kind":%d,"ip":%q,"used":%d}`, f.Kind, f.IP, f.Used)}
		},
		Ban: &ratelimit.Ban{After: 2, Durations: []time.Duration{2 * time.Minute, 10 * time.Minute}},
	}
}

type result struct {
	status int
	used   string
	retry  string
	body   string
}

func do(t *testing.T, h http.Handler, path string) result {
	t.Helper()
	rec := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	r.RemoteAddr = "192.0.2.7:5555"
	h.ServeHTTP(rec, r)
	return result{rec.Code, rec.Header().Get("X-Used-Weight-1M"), rec.Header().Get("Retry-After"), rec.Body.String()}
}

var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })

func TestWeightsCountUpExactlyAndTheRequestOverTheLimitGets429(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 10, 0, time.UTC)}
	l := ratelimit.New(testModel(), ratelimit.Options{Now: clk.Now})
	h := l.Middleware(ok)
	want := []int{1, 2, 6, 7, 8, 9, 10}
	paths := []string{"/a", "/a", "/heavy", "/a", "/a", "/a", "/a"}
	for i, p := range paths {
		got := do(t, h, p)
		if got.status != 200 || got.used != strconv.Itoa(want[i]) {
			t.Fatalf("request %d: status %d used %q, want 200 used %d", i+1, got.status, got.used, want[i])
		}
	}
	got := do(t, h, "/a")
	if got.status != 429 || got.used != "11" {
		t.Fatalf("over the limit: status %d used %q, want 429 used 11", got.status, got.used)
	}
	// The aligned minute started at 00:00:00, so 50 s remain.
	if got.retry != "50" {
		t.Errorf("Retry-After %q, want 50", got.retry)
	}
	if got.body != `{"kind":1,"ip":"192.0.2.7","used":11}` {
		t.Errorf("body %s", got.body)
	}
	clk.Add(50 * time.Second)
	if got := do(t, h, "/a"); got.status != 200 || got.used != "1" {
		t.Errorf("next minute: status %d used %q, want 200 used 1", got.status, got.used)
	}
}

func TestClientsThatKeepGoingAreBannedWithEscalatingDurations(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := ratelimit.New(testModel(), ratelimit.Options{Now: clk.Now})
	h := l.Middleware(ok)
	for range 10 {
		do(t, h, "/a")
	}
	for i := range 2 {
		if got := do(t, h, "/a"); got.status != 429 {
			t.Fatalf("refusal %d: status %d, want 429", i+1, got.status)
		}
	}
	got := do(t, h, "/a")
	if got.status != 418 || got.retry != "120" {
		t.Fatalf("third refusal: status %d Retry-After %q, want 418 and 120", got.status, got.retry)
	}
	clk.Add(119 * time.Second)
	if got := do(t, h, "/a"); got.status != 418 || got.retry != "1" {
		t.Fatalf("during the ban: status %d Retry-After %q, want 418 and 1", got.status, got.retry)
	}
	clk.Add(time.Second)
	for range 10 {
		if got := do(t, h, "/a"); got.status != 200 {
			t.Fatalf("after the ban: status %d, want 200", got.status)
		}
	}
	do(t, h, "/a")
	do(t, h, "/a")
	if got := do(t, h, "/a"); got.status != 418 || got.retry != "600" {
		t.Fatalf("second ban: status %d Retry-After %q, want 418 and 600", got.status, got.retry)
	}
	st := l.Stats()
	if st.Bans != 2 || st.Limited != 4 || st.BannedIPs != 1 {
		t.Errorf("stats %+v, want 2 bans, 4 limited, 1 banned IP", st)
	}
	l.Reset()
	if got := do(t, h, "/a"); got.status != 200 || got.used != "1" {
		t.Errorf("after Reset: status %d used %q, want 200 used 1", got.status, got.used)
	}
}

func TestOverriddenLimitsCountRequestsInAWindowFromTheFirstRequest(t *testing.T) {
	// 59.9 s into the minute: an aligned window would reset 100 ms later.
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 59, 900e6, time.UTC)}
	lim := testModel().Limits()
	lim.RESTLimit, lim.RESTWeighted = 3, false
	l := ratelimit.New(testModel(), ratelimit.Options{Now: clk.Now, Limits: &lim})
	h := l.Middleware(ok)
	for i := range 3 {
		if got := do(t, h, "/heavy"); got.status != 200 || got.used != strconv.Itoa(i+1) {
			t.Fatalf("request %d: status %d used %q", i+1, got.status, got.used)
		}
		clk.Add(100 * time.Millisecond)
	}
	got := do(t, h, "/heavy")
	if got.status != 429 || got.retry != "60" {
		t.Fatalf("fourth: status %d Retry-After %q, want 429 and 60", got.status, got.retry)
	}
}

func TestSetLimitsTakesEffectOnTheNextRequest(t *testing.T) {
	l := ratelimit.New(testModel(), ratelimit.Options{})
	h := l.Middleware(ok)
	do(t, h, "/a")
	lim := l.Limits()
	lim.RESTLimit = 1
	if err := l.SetLimits(lim); err != nil {
		t.Fatal(err)
	}
	if got := do(t, h, "/a"); got.status != 429 {
		t.Fatalf("status %d, want 429", got.status)
	}
	lim.Disabled = true
	l.SetLimits(lim)
	if got := do(t, h, "/a"); got.status != 200 || got.used != "3" {
		t.Fatalf("disabled: status %d used %q, want 200 and the usage still counted (3)", got.status, got.used)
	}
	if err := l.SetLimits(ratelimit.Limits{RESTLimit: 5}); err == nil {
		t.Error("a limit without a period was accepted")
	}
}

func TestWSMessageRateAndConnectionLimits(t *testing.T) {
	m := testModel()
	m.WS = ratelimit.WSModel{MessageRate: 5, CloseCode: 1008, CloseReason: "Too many requests", ConnsPerIP: 1, ConnAttempts: 3, ConnPeriod: 5 * time.Minute, MaxStreams: 2}
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := ratelimit.New(m, ratelimit.Options{Now: clk.Now})
	open := func() (*ratelimit.Conn, *httptest.ResponseRecorder) {
		r := httptest.NewRequest(http.MethodGet, "/ws", nil)
		r.RemoteAddr = "192.0.2.9:1"
		r.Header.Set("Upgrade", "websocket")
		rec := httptest.NewRecorder()
		conn, ok := l.WSConn(rec, r)
		if ok != (conn != nil) || ok != (rec.Code == 200 && rec.Body.Len() == 0) {
			t.Fatalf("WSConn: ok %v, conn %v, answered %d %q", ok, conn != nil, rec.Code, rec.Body)
		}
		return conn, rec
	}
	conn, _ := open()
	if conn == nil {
		t.Fatal("the first connection was refused")
	}
	for i := range 5 {
		if ok, _, _ := conn.AllowMessage(); !ok {
			t.Fatalf("message %d refused within the burst", i+1)
		}
	}
	if ok, code, reason := conn.AllowMessage(); ok || code != 1008 || reason != "Too many requests" {
		t.Fatalf("sixth message: ok %v code %d reason %q, want refused with 1008", ok, code, reason)
	}
	clk.Add(200 * time.Millisecond)
	if ok, _, _ := conn.AllowMessage(); !ok {
		t.Fatal("a token refilled after 200 ms was refused")
	}
	if n := conn.MaxStreams(); n != 2 {
		t.Errorf("MaxStreams %d, want 2", n)
	}
	// A second concurrent connection from the same IP is refused, with
	// the exchange's answer written before any upgrade.
	if c2, rec := open(); c2 != nil || rec.Code != 429 || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("second concurrent connection: %d, want 429 with Retry-After", rec.Code)
	}
	// Closing gives the place back, once: a second Close must not free a
	// place another connection holds.
	conn.Close()
	conn.Close()
	// Attempts: two used, the third passes, the fourth is over 3 per 5 min.
	third, rec := open()
	if third == nil {
		t.Fatalf("third attempt: %d", rec.Code)
	}
	third.Close()
	if c, rec := open(); c != nil || rec.Code != 429 {
		t.Fatalf("fourth attempt in 5 min: %d, want 429", rec.Code)
	}
	if st := l.Stats(); st.WSRefused != 2 || st.WSLimited != 1 {
		t.Errorf("stats %+v, want 2 refused, 1 limited", st)
	}
}

func TestAWSConnFollowsLimitsChangedWhileItIsOpen(t *testing.T) {
	m := testModel()
	m.WS = ratelimit.WSModel{MessageRate: 1, ConnsPerIP: 1, MaxStreams: 2}
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := ratelimit.New(m, ratelimit.Options{Now: clk.Now})
	r := httptest.NewRequest(http.MethodGet, "/ws", nil)
	conn, ok := l.WSConn(httptest.NewRecorder(), r)
	if !ok {
		t.Fatal("refused")
	}
	defer conn.Close()
	conn.AllowMessage()
	if ok, _, _ := conn.AllowMessage(); ok {
		t.Fatal("a second message at 1/s was allowed")
	}
	lim := l.Limits()
	lim.WSLimit, lim.WSBurst, lim.WSStreams = 100, 100, 7
	if err := l.SetLimits(lim); err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := conn.AllowMessage(); !ok {
		t.Error("after raising the rate, the next message was refused")
	}
	if n := conn.MaxStreams(); n != 7 {
		t.Errorf("MaxStreams %d after SetLimits, want 7", n)
	}
	lim.Disabled = true
	l.SetLimits(lim)
	if n := conn.MaxStreams(); n != 0 {
		t.Errorf("MaxStreams %d with limits disabled, want 0 (no limit)", n)
	}
}
