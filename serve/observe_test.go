package serve_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/netsim"
	"github.com/candlecassette/candlecassette/ratelimit"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/serve"
)

const klinesPath = "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=5&startTime=1704067200000"

// get sends a GET with the admin token, if any, and returns the status
// and body.
func getTok(t *testing.T, url, token string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// requestLine is one entry of GET /__admin/requests, decoded strictly so
// that the shape the web UI reads cannot drift.
type requestLine struct {
	Time       string  `json:"time"`
	Exchange   string  `json:"exchange"`
	Method     string  `json:"method"`
	Path       string  `json:"path"`
	Query      string  `json:"query"`
	Route      string  `json:"route"`
	Status     int     `json:"status"`
	Source     string  `json:"source"`
	Fault      string  `json:"fault"`
	DurationMS float64 `json:"duration_ms"`
	Client     string  `json:"client"`
}

func requests(t *testing.T, srv *replay.Server, query, token string) []requestLine {
	t.Helper()
	code, b := getTok(t, srv.URL()+"/__admin/requests"+query, token)
	if code != http.StatusOK {
		t.Fatalf("/__admin/requests%s: %d %s", query, code, b)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	var out struct {
		Requests []requestLine `json:"requests"`
	}
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
	if out.Requests == nil {
		t.Fatalf("requests is not a list: %s", b)
	}
	return out.Requests
}

// settle waits until srv logged n requests: a request is logged as its
// handler returns, which the client may see its answer before.
func settle(t *testing.T, srv *replay.Server, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(srv.Requests(time.Time{})) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests logged, want %d", len(srv.Requests(time.Time{})), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRequestLog(t *testing.T) {
	srv := start(t, replay.Options{})
	before := time.Now()
	if code, b := getTok(t, srv.URL()+klinesPath, ""); code != http.StatusOK {
		t.Fatalf("klines: %d %s", code, b)
	}
	mid := time.Now()
	time.Sleep(time.Millisecond)
	if code, _ := getTok(t, srv.URL()+"/api/v3/nope?symbol=BTCUSDT&signature=deadbeef&apiKey=k", ""); code != http.StatusNotFound {
		t.Fatalf("unknown path answered %d", code)
	}
	getTok(t, srv.URL()+"/__admin/status", "") // admin requests are not logged
	settle(t, srv, 2)

	all := requests(t, srv, "", "")
	if len(all) != 2 {
		t.Fatalf("logged %d requests, want 2: %+v", len(all), all)
	}
	k := all[0]
	ts, err := time.Parse(time.RFC3339Nano, k.Time)
	if err != nil || ts.Before(before.Add(-time.Millisecond)) || ts.After(mid) {
		t.Errorf("time %q (%v) not when the request was sent", k.Time, err)
	}
	if k.Exchange != "binance_spot" || k.Method != "GET" || k.Path != "/api/v3/klines" || k.Route != "/api/v3/klines" ||
		k.Status != 200 || k.Source != "synthetic" || k.Fault != "" || !strings.HasPrefix(k.Client, "127.0.0.1:") {
		t.Errorf("klines logged as %+v", k)
	}
	if k.Query != klinesPath[strings.IndexByte(klinesPath, '?')+1:] {
		t.Errorf("query %q", k.Query)
	}
	if k.DurationMS <= 0 {
		t.Errorf("duration_ms %v", k.DurationMS)
	}
	if o := all[1]; o.Route != "other" || o.Status != 404 || o.Path != "/api/v3/nope" ||
		o.Query != "symbol=BTCUSDT&signature="+cassettes.Redacted+"&apiKey="+cassettes.Redacted {
		t.Errorf("unknown path logged as %+v (want secrets redacted, the rest as sent)", o)
	}

	// ?since gives only what came after.
	later := requests(t, srv, "?since="+mid.UTC().Format(time.RFC3339Nano), "")
	if len(later) != 1 || later[0].Path != "/api/v3/nope" {
		t.Errorf("since %v: %+v", mid, later)
	}
	if code, b := getTok(t, srv.URL()+"/__admin/requests?since=yesterday", ""); code != http.StatusBadRequest {
		t.Errorf("bad since answered %d %s", code, b)
	}

	// The Go API gives the same, redacted.
	if recs := srv.Requests(time.Time{}); len(recs) != 2 || strings.Contains(recs[0].Query, "deadbeef") {
		t.Errorf("Stack.Requests: %+v", recs)
	}
}

func TestRequestLogKeepsTheLast(t *testing.T) {
	srv := start(t, replay.Options{Serve: serve.Options{NoRateLimit: true}})
	h := srv.Handler() // in process: no connection
	for i := range serve.RequestLogSize + 7 {
		r := httptest.NewRequest(http.MethodGet, "/api/v3/ping?n="+time.Duration(i).String(), nil)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			t.Fatalf("ping %d: %d", i, w.Code)
		}
	}
	recs := srv.Requests(time.Time{})
	if len(recs) != serve.RequestLogSize {
		t.Fatalf("kept %d, want %d", len(recs), serve.RequestLogSize)
	}
	if recs[0].Query != "n=7ns" || recs[len(recs)-1].Query != "n="+time.Duration(serve.RequestLogSize+6).String() {
		t.Errorf("oldest %q newest %q", recs[0].Query, recs[len(recs)-1].Query)
	}
	for i := 1; i < len(recs); i++ {
		if recs[i].Time.Before(recs[i-1].Time) {
			t.Fatalf("not oldest first at %d", i)
		}
	}
	if recs[0].Source != serve.SourceSynthetic || recs[0].Route != "/api/v3/ping" {
		t.Errorf("in-process request logged as %+v", recs[0])
	}
}

func TestHealthNeedsNoToken(t *testing.T) {
	srv := start(t, replay.Options{Serve: serve.Options{AdminToken: "s3cret"}})
	if code, b := getTok(t, srv.URL()+"/__admin/health", ""); code != 200 || strings.TrimSpace(string(b)) != `{"status":"ok"}` {
		t.Errorf("health without token: %d %s", code, b)
	}
	if code, _ := getTok(t, srv.URL()+"/__admin/requests", ""); code != http.StatusUnauthorized {
		t.Errorf("requests without token: %d", code)
	}
	if code, _ := getTok(t, srv.URL()+"/metrics", ""); code != http.StatusUnauthorized {
		t.Errorf("metrics without token: %d", code)
	}
	if code, _ := getTok(t, srv.URL()+"/metrics", "s3cret"); code != http.StatusOK {
		t.Errorf("metrics with token: %d", code)
	}
	// The Origin and Host guards still hold.
	if code, _ := rawAdmin(t, srv, "GET", "/__admin/health", "", map[string]string{"Origin": "https://evil.example"}); code != http.StatusForbidden {
		t.Errorf("health from a foreign origin: %d", code)
	}
	if code, _ := rawAdmin(t, srv, "GET", "/__admin/health", "", map[string]string{"Host": "rebound.example"}); code != http.StatusForbidden {
		t.Errorf("health under a foreign Host: %d", code)
	}
	if code, _ := rawAdmin(t, srv, "POST", "/__admin/health", "", nil); code != http.StatusMethodNotAllowed {
		t.Errorf("POST health: %d", code)
	}
	// Exempt from the network simulation: an outage does not reach it.
	if err := srv.SetConditions(netsim.Config{Conditions: netsim.Conditions{ErrorRate: 1}}); err != nil {
		t.Fatal(err)
	}
	if code, _ := getTok(t, srv.URL()+"/__admin/health", ""); code != 200 {
		t.Errorf("health under error_rate 1: %d", code)
	}
}

// scrape parses /metrics with the Prometheus text parser.
func scrape(t *testing.T, srv *replay.Server) map[string]*dto.MetricFamily {
	t.Helper()
	code, b := getTok(t, srv.URL()+"/metrics", "")
	if code != 200 {
		t.Fatalf("/metrics: %d %s", code, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(b)))
	if err != nil {
		t.Fatalf("parsing /metrics: %v\n%s", err, b)
	}
	return fams
}

// value is the value of the sample of family name whose labels include
// want, or -1 when there is none.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.GetMetric() {
		for k, v := range want {
			found := false
			for _, lp := range m.GetLabel() {
				if lp.GetName() == k && lp.GetValue() == v {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	return -1
}

func TestMetricsMove(t *testing.T) {
	lim := ratelimit.Limits{RESTLimit: 3, RESTPeriod: ratelimit.Duration(time.Minute)}
	srv := start(t, replay.Options{Serve: serve.Options{Limits: &lim}})
	ex := map[string]string{"exchange": "binance_spot"}
	ok := map[string]string{"exchange": "binance_spot", "route": "/api/v3/klines", "status": "200", "source": "synthetic"}

	f0 := scrape(t, srv)
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total", "candlecassette_ws_connections",
		"candlecassette_ratelimit_bans_total", "candlecassette_synthetic_candles_total"} {
		if f0[name] == nil {
			t.Errorf("no %s in /metrics", name)
		}
	}
	if v := value(f0, "candlecassette_http_requests_total", ok); v > 0 {
		t.Fatalf("requests counted before any: %v", v)
	}
	candles0 := value(f0, "candlecassette_synthetic_candles_total", nil)

	for range 2 {
		if code, b := getTok(t, srv.URL()+klinesPath, ""); code != 200 {
			t.Fatalf("klines: %d %s", code, b)
		}
	}
	// An injected error.
	if err := srv.SetConditions(netsim.Config{Conditions: netsim.Conditions{ErrorRate: 1}}); err != nil {
		t.Fatal(err)
	}
	errCode, _ := getTok(t, srv.URL()+klinesPath, "")
	if errCode < 500 {
		t.Fatalf("error_rate 1 answered %d", errCode)
	}
	if err := srv.SetConditions(netsim.Config{}); err != nil {
		t.Fatal(err)
	}
	// Past the limit of 3: a 429.
	if code, _ := getTok(t, srv.URL()+klinesPath, ""); code != http.StatusTooManyRequests {
		t.Fatalf("4th request answered %d, want 429", code)
	}

	settle(t, srv, 4)
	f := scrape(t, srv)
	if v := value(f, "candlecassette_http_requests_total", ok); v != 2 {
		t.Errorf("ok klines counted %v, want 2", v)
	}
	if v := value(f, "candlecassette_http_requests_total", map[string]string{"route": "/api/v3/klines", "status": "429"}); v != 1 {
		t.Errorf("429s counted %v, want 1", v)
	}
	if v := value(f, "candlecassette_http_requests_total", map[string]string{"status": strconv.Itoa(errCode)}); v != 1 {
		t.Errorf("injected %d counted %v, want 1", errCode, v)
	}
	if v := value(f, "candlecassette_faults_injected_total", map[string]string{"exchange": "binance_spot", "kind": "error"}); v != 1 {
		t.Errorf("error faults %v, want 1", v)
	}
	if v := value(f, "candlecassette_ratelimit_refusals_total", map[string]string{"exchange": "binance_spot", "kind": "limited"}); v != 1 {
		t.Errorf("limited %v, want 1", v)
	}
	if v := value(f, "candlecassette_http_request_duration_seconds", map[string]string{"exchange": "binance_spot", "route": "/api/v3/klines"}); v != 4 {
		t.Errorf("latency samples %v, want 4", v)
	}
	if v := value(f, "candlecassette_synthetic_candles_total", nil); v < candles0+5 {
		t.Errorf("synthetic candles %v → %v, want at least 5 more", candles0, v)
	}
	if v := value(f, "candlecassette_ws_connections", ex); v != 0 {
		t.Errorf("ws connections %v", v)
	}

	// The log tells the same story.
	recs := requests(t, srv, "", "")
	if len(recs) != 4 || recs[2].Fault != "error" || recs[2].Status != errCode || recs[3].Fault != "ratelimit" || recs[3].Status != 429 {
		t.Errorf("log: %+v", recs)
	}
	// /metrics is exempt from the limits and the network simulation.
	if err := srv.SetConditions(netsim.Config{Conditions: netsim.Conditions{ErrorRate: 1}}); err != nil {
		t.Fatal(err)
	}
	scrape(t, srv)
}

// TestReplaySources checks the sources replay notes: a recorded
// interaction is exact (and a cassette read), the rest synthetic.
func TestReplaySources(t *testing.T) {
	syn, err := replay.New(replay.Options{Exchange: "binance_spot"})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	syn.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, klinesPath, nil))
	syn.Close(context.Background())
	path := filepath.Join(t.TempDir(), "k.cassette")
	c, err := cassettes.Open(path, 0o644, &cassettes.Options{Exchange: "binance_spot", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	u := httptest.NewRequest(http.MethodGet, klinesPath, nil).URL
	if err := c.AddInteraction(&cassettes.Interaction{Method: "GET", Path: u.Path, Query: u.RawQuery, Status: 200,
		ResponseHeader: rec.Header().Clone(), Body: rec.Body.Bytes(), Start: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	srv := start(t, replay.Options{Cassette: path})
	if code, b := getTok(t, srv.URL()+klinesPath, ""); code != 200 || string(b) != rec.Body.String() {
		t.Fatalf("recorded klines: %d", code)
	}
	if code, _ := getTok(t, srv.URL()+"/api/v3/ping", ""); code != 200 {
		t.Fatalf("ping: %d", code)
	}
	settle(t, srv, 2)
	recs := srv.Requests(time.Time{})
	if len(recs) != 2 || recs[0].Source != serve.SourceExact || recs[1].Source != serve.SourceSynthetic {
		t.Fatalf("sources: %+v", recs)
	}
	f := scrape(t, srv)
	if v := value(f, "candlecassette_cassette_reads_total", map[string]string{"exchange": "binance_spot", "source": "exact"}); v != 1 {
		t.Errorf("exact cassette reads %v, want 1", v)
	}
	if v := value(f, "candlecassette_cassette_checksum_failures_total", map[string]string{"exchange": "binance_spot"}); v != 0 {
		t.Errorf("checksum failures %v", v)
	}
}

// TestMetricsPerServer: two servers in one process keep their own counts.
func TestMetricsPerServer(t *testing.T) {
	a := start(t, replay.Options{})
	b := start(t, replay.Options{})
	getTok(t, a.URL()+klinesPath, "")
	settle(t, a, 1)
	fa, fb := scrape(t, a), scrape(t, b)
	want := map[string]string{"route": "/api/v3/klines", "status": "200"}
	if value(fa, "candlecassette_http_requests_total", want) != 1 || value(fb, "candlecassette_http_requests_total", want) != -1 {
		t.Errorf("a counted %v, b %v", value(fa, "candlecassette_http_requests_total", want), value(fb, "candlecassette_http_requests_total", want))
	}
}
