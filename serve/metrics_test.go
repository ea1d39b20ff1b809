package serve_test

import (
	"context"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/ratelimit"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/serve"
)

// TestMetricsReadTheLayersCounters: what the WS hub, the rate limiter and
// the network simulation count shows in /metrics as it moves — a WS
// connection, its subscription and the messages sent on it, Binance's
// 429s and then its ban, a disconnect — and /metrics itself answers a
// banned client and is neither counted nor logged.
func TestMetricsReadTheLayersCounters(t *testing.T) {
	lim := ratelimit.Limits{RESTLimit: 1, RESTPeriod: ratelimit.Duration(time.Hour)}
	srv := start(t, replay.Options{Serve: serve.Options{Limits: &lim}})
	ex := map[string]string{"exchange": "binance_spot"}
	kind := func(k string) map[string]string { return map[string]string{"exchange": "binance_spot", "kind": k} }

	ws, _, err := websocket.DefaultDialer.Dial(srv.WSURL()+"/ws/btcusdt@kline_1s", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	for range 2 {
		if _, _, err := ws.ReadMessage(); err != nil {
			t.Fatal(err)
		}
	}
	f := scrape(t, srv)
	for name, want := range map[string]float64{"candlecassette_ws_connections": 1, "candlecassette_ws_subscriptions": 1,
		"candlecassette_ws_connections_opened_total": 1} {
		if v := value(f, name, ex); v != want {
			t.Errorf("%s = %v, want %v", name, v, want)
		}
	}
	if v := value(f, "candlecassette_ws_messages_sent_total", ex); v < 2 {
		t.Errorf("ws messages sent %v, want at least the 2 read", v)
	}
	if v := value(f, "candlecassette_ws_messages_dropped_total", ex); v != 0 {
		t.Errorf("ws messages dropped %v for a client that reads", v)
	}

	// Binance's model: a limit of 1, ten 429s, then the next refusal bans.
	var codes []int
	for range 12 {
		code, _ := getTok(t, srv.URL()+klinesPath, "")
		codes = append(codes, code)
	}
	if codes[0] != 200 || codes[1] != 429 || codes[10] != 429 || codes[11] != 418 {
		t.Fatalf("answers %v: want 200, ten 429s, 418", codes)
	}
	// The banned client scrapes, again and again.
	for range 3 {
		scrape(t, srv)
	}
	f = scrape(t, srv)
	for k, want := range map[string]float64{"limited": 10, "banned": 1} {
		if v := value(f, "candlecassette_ratelimit_refusals_total", kind(k)); v != want {
			t.Errorf("refusals %s = %v, want %v", k, v, want)
		}
	}
	if v := value(f, "candlecassette_ratelimit_bans_total", ex); v != 1 {
		t.Errorf("bans %v, want 1", v)
	}
	if v := value(f, "candlecassette_ratelimit_banned_ips", ex); v != 1 {
		t.Errorf("banned IPs %v, want 1", v)
	}
	var total float64
	for _, m := range f["candlecassette_http_requests_total"].GetMetric() {
		total += m.GetCounter().GetValue()
		for _, lp := range m.GetLabel() {
			if lp.GetName() == "route" && lp.GetValue() != "/api/v3/klines" {
				t.Errorf("a request counted under route %s", lp.GetValue())
			}
		}
	}
	if total != 12 {
		t.Errorf("%v requests counted, want the 12 klines (no scrape)", total)
	}
	settle(t, srv, 12)
	if n := len(srv.Requests(time.Time{})); n != 12 {
		t.Errorf("%d requests logged, want 12", n)
	}

	// Disconnect all: counted as a WS fault, the connection gone.
	if n := srv.DisconnectAll(0); n != 1 {
		t.Fatalf("disconnected %d", n)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		f = scrape(t, srv)
		if value(f, "candlecassette_ws_connections", ex) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ws connections %v after disconnect-all", value(f, "candlecassette_ws_connections", ex))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if v := value(f, "candlecassette_ws_faults_total", kind("disconnect")); v != 1 {
		t.Errorf("ws disconnect faults %v, want 1", v)
	}
}

// TestMetricsCountChecksumFailures: the mode's count of damaged cassette
// reads (Options.CorruptReads) is the checksum-failure counter, and
// /__admin/reset zeroes both.
func TestMetricsCountChecksumFailures(t *testing.T) {
	p, err := plugins.Lookup("binance_spot")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	srv, err := serve.New(p, serve.Options{CorruptReads: &n})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())
	srv.Handle(http.NotFoundHandler())
	failures := func() float64 { return counterValue(t, srv, "candlecassette_cassette_checksum_failures_total") }
	if v := failures(); v != 0 {
		t.Fatalf("checksum failures %v before any", v)
	}
	n.Add(3)
	if v := failures(); v != 3 {
		t.Fatalf("checksum failures %v, want 3", v)
	}
	srv.ResetCounters()
	if v := failures(); v != 0 {
		t.Fatalf("checksum failures %v after a reset", v)
	}
}

// TestReadmeListsEveryMetric: the README's table of metrics names every
// candlecassette_ metric metrics.go defines, and nothing else; every one a
// scrape shows is among them.
func TestReadmeListsEveryMetric(t *testing.T) {
	src, err := os.ReadFile("metrics.go")
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]bool{}
	for _, m := range regexp.MustCompile(`"(candlecassette_[a-z_]+)"`).FindAllStringSubmatch(string(src), -1) {
		defined[m[1]] = true
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(readme), "| Metric | Labels | What |")
	if !ok {
		t.Fatal("README.md has no table of metrics")
	}
	table, _, _ = strings.Cut(table, "\n\n")
	listed := map[string]bool{}
	for _, row := range strings.Split(table, "\n") {
		cells := strings.Split(row, "|")
		if len(cells) < 3 {
			continue
		}
		// "`a_b_sent_total`, `_dropped_total`": a name starting with _
		// replaces as many trailing words of the row's first name.
		var first []string
		for _, m := range regexp.MustCompile("`([a-z_*]+)`").FindAllStringSubmatch(cells[1], -1) {
			name := m[1]
			if !strings.HasPrefix(name, "candlecassette_") && !strings.HasPrefix(name, "_") {
				continue
			}
			if strings.HasPrefix(name, "_") {
				words := strings.Split(strings.TrimPrefix(name, "_"), "_")
				name = strings.Join(append(slices.Clone(first[:len(first)-len(words)]), words...), "_")
			} else {
				first = strings.Split(name, "_")
			}
			listed[name] = true
		}
	}
	for name := range defined {
		if !listed[name] {
			t.Errorf("%s is not in README.md's table of metrics", name)
		}
	}
	for name := range listed {
		if !defined[name] {
			t.Errorf("README.md lists %s, which metrics.go does not define", name)
		}
	}
	srv := start(t, replay.Options{})
	getTok(t, srv.URL()+klinesPath, "")
	settle(t, srv, 1)
	for name := range scrape(t, srv) {
		if strings.HasPrefix(name, "candlecassette_") && !listed[name] {
			t.Errorf("/metrics shows %s, which README.md does not list", name)
		}
	}
	if len(listed) < 15 {
		t.Errorf("README.md lists %d metrics", len(listed))
	}
}
