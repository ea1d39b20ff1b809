package serve_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/replay"
)

func put(t *testing.T, url, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, url, bytes.NewReader([]byte(body)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func serverTime(t *testing.T, srv *replay.Server) time.Time {
	t.Helper()
	code, b := getTok(t, srv.URL()+"/api/v3/time", "")
	var v struct{ ServerTime int64 }
	if err := json.Unmarshal(b, &v); code != 200 || err != nil {
		t.Fatalf("/api/v3/time: %d %s", code, b)
	}
	return time.UnixMilli(v.ServerTime)
}

func TestTheAdminAPISkewsTheExchangesClock(t *testing.T) {
	srv := start(t, replay.Options{})
	if d := time.Until(serverTime(t, srv)); d.Abs() > time.Second {
		t.Fatalf("unskewed server time is %v off", d)
	}
	if code, b := put(t, srv.URL()+"/__admin/conditions", `{"clock_skew":"5s"}`); code != 200 {
		t.Fatalf("PUT clock_skew: %d %s", code, b)
	}
	if d := time.Until(serverTime(t, srv)); d < 4*time.Second || d > 6*time.Second {
		t.Errorf("with a +5s skew the server time is %v ahead", d)
	}
	var cond map[string]any
	if code, b := getTok(t, srv.URL()+"/__admin/conditions", ""); code != 200 || json.Unmarshal(b, &cond) != nil || cond["clock_skew"] != "5s" {
		t.Errorf("GET conditions: %d %s", code, b)
	}
	f := scrape(t, srv)
	if v := value(f, "candlecassette_clock_skew_seconds", map[string]string{"exchange": "binance_spot"}); v != 5 {
		t.Errorf("clock skew metric %v", v)
	}
	put(t, srv.URL()+"/__admin/conditions", `{"clock_skew":"-3s"}`)
	if d := time.Until(serverTime(t, srv)); d > -2*time.Second || d < -4*time.Second {
		t.Errorf("with a -3s skew the server time is %v off", d)
	}
}

func TestBadProtocolFaultsAreRefusedWith400AndChangeNothing(t *testing.T) {
	srv := start(t, replay.Options{})
	put(t, srv.URL()+"/__admin/conditions", `{"book_gap":{"every":10}}`)
	for _, tc := range []struct{ body, says string }{
		{`{"book_gap":1.5}`, "book_gap: rate must be between 0 and 1"},
		{`{"stale_snapshot":{"every":2}}`, "stale_snapshot: age must be positive"},
		{`{"resync":{"every":2,"rate":0.1}}`, "resync: set only one of rate, every and at"},
		{`{"clock_skew":"30h"}`, "clock_skew must be within"},
		{`{"book_reorder":{"evry":2}}`, `unknown field "evry"`},
	} {
		code, b := put(t, srv.URL()+"/__admin/conditions", tc.body)
		var e struct{ Error string }
		if code != http.StatusBadRequest || json.Unmarshal(b, &e) != nil || !strings.Contains(e.Error, tc.says) {
			t.Errorf("%s: %d %s, want 400 saying %q", tc.body, code, b, tc.says)
		}
	}
	if c := srv.Conditions(); c.BookGap.Every != 10 || c.ClockSkew != 0 {
		t.Errorf("refused PUTs changed the conditions: %+v", c)
	}
}

func TestProtocolFaultsAreCountedInStatusAndMetricsByKindAndRoute(t *testing.T) {
	srv := start(t, replay.Options{})
	code, b := put(t, srv.URL()+"/__admin/conditions",
		`{"stale_snapshot":{"age":"2s","every":2},"routes":[{"prefix":"/ws","book_gap":{"every":1}}]}`)
	if code != 200 {
		t.Fatalf("PUT: %d %s", code, b)
	}
	// What a plugin's REST snapshot handler and its WS sessions ask.
	r := httptest.NewRequest("GET", "/api/v3/depth?symbol=BTCUSDT", nil)
	env := srv.Env()
	a, s := env.SnapshotTime(r), env.SnapshotTime(r)
	if d := a.Sub(s); d < 1900*time.Millisecond || d > 2100*time.Millisecond {
		t.Errorf("the second snapshot is %v older than the first, want 2s", d)
	}
	link := srv.Sim().Link("/ws/btcusdt@depth")
	for range 3 {
		if gap, _, _, _ := link.BookDiff(false, true); !gap {
			t.Fatal("no gap on the route")
		}
	}
	var st struct {
		Faults struct {
			Protocol map[string]map[string]int64 `json:"protocol"`
		} `json:"faults"`
	}
	if code, b := getTok(t, srv.URL()+"/__admin/status", ""); code != 200 || json.Unmarshal(b, &st) != nil {
		t.Fatalf("status: %d %s", code, b)
	}
	if p := st.Faults.Protocol; p["stale_snapshot"]["default"] != 1 || p["book_gap"]["/ws*"] != 3 {
		t.Errorf("status protocol faults %v", p)
	}
	f := scrape(t, srv)
	if v := value(f, "candlecassette_protocol_faults_total", map[string]string{"exchange": "binance_spot", "kind": "book_gap", "route": "/ws*"}); v != 3 {
		t.Errorf("book_gap metric %v, want 3", v)
	}
	if v := value(f, "candlecassette_protocol_faults_total", map[string]string{"kind": "stale_snapshot", "route": "default"}); v != 1 {
		t.Errorf("stale_snapshot metric %v, want 1", v)
	}
	// POST /__admin/reset zeroes them.
	req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/__admin/reset", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	if p := srv.Status().Faults.Protocol; len(p) != 0 {
		t.Errorf("after reset: %v", p)
	}
}
