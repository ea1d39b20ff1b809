package serve_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/netsim"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/serve"
)

// TestAHungRequestIsToldWhileItHangs: a REST request its handler holds
// past OverdueAfter is logged (warn, with its path and query) while it is
// still in flight, counted in Status and /metrics, and logged again when
// answered at last; quick requests, and one the network simulation holds
// on purpose (latency), are neither.
func TestAHungRequestIsToldWhileItHangs(t *testing.T) {
	p, err := plugins.Lookup("binance_spot")
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	const after = 150 * time.Millisecond
	srv, err := serve.New(p, serve.Options{
		OverdueAfter: after,
		Logger:       slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
		NoRateLimit:  true,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())
	release := make(chan struct{})
	srv.Handle(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v3/depth" {
			<-release
		}
		io.WriteString(w, "{}")
	}))
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	st := srv.Exchange("binance_spot")
	c := &http.Client{Timeout: 10 * time.Second}
	fetch := func(path string) (int, error) {
		resp, err := c.Get(srv.URL() + path)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		_, err = io.ReadAll(resp.Body)
		return resp.StatusCode, err
	}

	// Quick requests, many on one connection: nothing told.
	for range 20 {
		if code, err := fetch("/api/v3/ping"); err != nil || code != 200 {
			t.Fatalf("ping: %d %v", code, err)
		}
	}
	time.Sleep(2 * after)
	if n := st.Status().Overdue; n != 0 {
		t.Fatalf("%d overdue after quick requests", n)
	}

	// The hung one, sent while the connection's timer is armed by a quick
	// request before it: it must still wait its full time.
	if code, err := fetch("/api/v3/ping"); err != nil || code != 200 {
		t.Fatalf("ping: %d %v", code, err)
	}
	time.Sleep(after / 2)
	done := make(chan error, 1)
	go func() {
		_, err := fetch("/api/v3/depth?symbol=BTCUSDT&limit=5")
		done <- err
	}()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "request unanswered") {
		if time.Now().After(deadline) {
			close(release)
			t.Fatalf("a request held 5 s not told; log:\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	line := logs.String()
	for _, want := range []string{"level=WARN", "exchange=binance_spot", "path=/api/v3/depth", `query="symbol=BTCUSDT&limit=5"`, "method=GET"} {
		if !strings.Contains(line, want) {
			t.Errorf("the overdue line lacks %s:\n%s", want, line)
		}
	}
	if m := regexp.MustCompile(`after=(\S+)`).FindStringSubmatch(line); m == nil {
		t.Errorf("no after= in %s", line)
	} else if d, err := time.ParseDuration(m[1]); err != nil || d < after {
		t.Errorf("told after %s (%v), before it was due (%v)", m[1], err, after)
	}
	if n := st.Status().Overdue; n != 1 {
		t.Errorf("Status().Overdue %d while it hangs, want 1", n)
	}
	if v := counterValue(t, srv, "candlecassette_http_requests_overdue_total"); v != 1 {
		t.Errorf("overdue metric %v, want 1", v)
	}
	// Told once, however long it hangs.
	time.Sleep(3 * after)
	if n := strings.Count(logs.String(), "request unanswered"); n != 1 {
		t.Errorf("told %d times", n)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "overdue request answered") || !strings.Contains(logs.String(), "status=200") {
		t.Errorf("its answer not logged:\n%s", logs.String())
	}

	// Held by the network simulation on purpose: not the server's fault.
	if err := st.Sim().SetConfig(netsim.Config{Conditions: netsim.Conditions{Latency: netsim.Duration(3 * after)}}); err != nil {
		t.Fatal(err)
	}
	if code, err := fetch("/api/v3/ping"); err != nil || code != 200 {
		t.Fatalf("ping under latency: %d %v", code, err)
	}
	time.Sleep(after)
	if n := st.Status().Overdue; n != 1 {
		t.Errorf("Status().Overdue %d after an injected latency, want still 1", n)
	}
	srv.ResetCounters()
	if n := st.Status().Overdue; n != 0 {
		t.Errorf("Status().Overdue %d after a reset", n)
	}
}

func counterValue(t *testing.T, srv *serve.Server, name string) float64 {
	t.Helper()
	fams, err := srv.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == name {
			return f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	return -1
}
