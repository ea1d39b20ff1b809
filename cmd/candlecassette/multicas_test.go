package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/plugins"
)

// proxyClient sends every request through the proxy at proxyURL and
// trusts pool: what a bot does with HTTPS_PROXY and SSL_CERT_FILE set.
func proxyClient(t *testing.T, proxyURL string, pool *x509.CertPool) (*http.Client, *websocket.Dialer) {
	t.Helper()
	pu, err := url.Parse(proxyURL)
	if err != nil {
		t.Fatal(err)
	}
	tlsConf := &tls.Config{RootCAs: pool}
	tr := &http.Transport{Proxy: http.ProxyURL(pu), TLSClientConfig: tlsConf}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second},
		&websocket.Dialer{Proxy: http.ProxyURL(pu), TLSClientConfig: tlsConf, HandshakeTimeout: 10 * time.Second}
}

func proxiedGet(t *testing.T, c *http.Client, u string) (int, []byte) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// testCAPool creates the local CA in the directory CANDLECASSETTE_CA_DIR
// names (a temp dir: never the real home) and returns a pool trusting it.
func testCAPool(t *testing.T) *x509.CertPool {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("CANDLECASSETTE_CA_DIR", dir)
	authority, err := loadCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	return authority.Pool()
}

// klineStream reads the first kline message of a Binance stream.
func klineStream(t *testing.T, d *websocket.Dialer, u string) string {
	t.Helper()
	ws, _, err := d.Dial(u, nil)
	if err != nil {
		t.Fatalf("WS %s: %v", u, err)
	}
	defer ws.Close()
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, msg, err := ws.ReadMessage()
	if err != nil || !strings.Contains(string(msg), `"e":"kline"`) {
		t.Fatalf("WS %s: first message %q, %v", u, msg, err)
	}
	return string(msg)
}

// TestRecordSeveralExchangesIntoOneCassetteAndReplayItByHost: a bot that
// only sets its proxy and trusts the CA talks to binance_spot and okx_spot
// by their real hostnames (CONNECT, then TLS), REST and a WS kline stream;
// `record binance_spot okx_spot` writes one cassette, `inspect` shows a
// section per exchange, and `replay` of that one file — the upstreams
// gone — answers both hosts with the recorded bodies.
func TestRecordSeveralExchangesIntoOneCassetteAndReplayItByHost(t *testing.T) {
	pool := testCAPool(t)
	binance, err := plugins.Lookup("binance_spot")
	if err != nil {
		t.Skip(err)
	}
	okx, err := plugins.Lookup("okx_spot")
	if err != nil {
		t.Skip(err)
	}
	upB, upO := synthUpstream(t, binance), synthUpstream(t, okx)
	path := filepath.Join(t.TempDir(), "session.cassette")
	rec := startServing(t, "record", "binance_spot", "okx_spot", "--cassette", path, "--listen", "127.0.0.1:0",
		"--upstream", "binance_spot="+upB.URL(), "--upstream", "okx_spot="+upO.URL(), "--no-rate-limit")

	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	binanceURL := candlesURL(t, binance, binance.Defaults().UpstreamREST, start, 50)
	okxURL := candlesURL(t, okx, okx.Defaults().UpstreamREST, start, 50)
	if !strings.HasPrefix(binanceURL, "https://api.binance.com/") || !strings.HasPrefix(okxURL, "https://www.okx.com/") {
		t.Fatalf("the real hosts: %s, %s", binanceURL, okxURL)
	}
	client, dialer := proxyClient(t, rec.url, pool)
	recorded := map[string][]byte{}
	for _, u := range []string{binanceURL, okxURL} {
		code, body := proxiedGet(t, client, u)
		if code != 200 || !strings.Contains(string(body), "[") {
			t.Fatalf("recording %s: %d %s", u, code, body)
		}
		recorded[u] = body
	}
	if _, b := proxiedGet(t, client, binanceURL); string(b) != string(recorded[binanceURL]) {
		t.Fatal("the synthetic upstream answers a closed window differently twice")
	}
	klineStream(t, dialer, binance.Defaults().UpstreamWS+"/ws/btcusdt@kline_1m")
	// A direct request names no exchange on a port serving two.
	if resp, err := http.Get(rec.url + "/api/v3/ping"); err != nil || resp.StatusCode != http.StatusMisdirectedRequest {
		t.Fatalf("direct request to record of two exchanges: %v %v, want 421", resp, err)
	} else {
		resp.Body.Close()
	}
	if err := rec.stop(); err != nil {
		t.Fatalf("record: %v", err)
	}
	upB.Close(t.Context())
	upO.Close(t.Context())

	stdout, _, err := run(t, "inspect", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"format:    4 (several exchanges, one part each; written by " + Version + ")", "exchanges: 2 (binance_spot, okx_spot)", "== binance_spot ==", "== okx_spot ==",
		"REST " + upB.URL(), "REST " + upO.URL(), "GET /api/v5/market/", "GET /api/v3/klines", "stream " + binance.Symbol(cc.DefaultPairs[0]) + " 1m"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("inspect lacks %q:\n%s", want, stdout)
		}
	}
	okxPart := stdout[strings.Index(stdout, "== okx_spot =="):]
	if strings.Contains(okxPart, "/api/v3/klines") {
		t.Errorf("okx_spot's section lists Binance's requests:\n%s", okxPart)
	}
	stdout, _, err = run(t, "inspect", "--json", "--verify", path)
	if err != nil {
		t.Fatal(err)
	}
	var js struct {
		Meta      cassettes.Meta         `json:"meta"`
		Exchanges []cassettes.Summary    `json:"exchanges"`
		Verified  cassettes.FileVerified `json:"verified"`
	}
	if err := json.Unmarshal([]byte(stdout), &js); err != nil {
		t.Fatal(err)
	}
	if js.Meta.Format != 4 || len(js.Exchanges) != 2 || js.Exchanges[1].Meta.Exchange != "okx_spot" || js.Exchanges[1].Meta.Interactions != 1 ||
		js.Exchanges[0].Meta.Interactions != 2 || js.Exchanges[0].Conns != 1 || len(js.Verified.Exchanges) != 2 || js.Verified.Exchanges[0].Frames == 0 {
		t.Errorf("inspect --json --verify: %s", stdout)
	}
	if stdout, _, err = run(t, "inspect", "--verify", path); err != nil || strings.Count(stdout, "verified:  ok") != 3 {
		t.Errorf("inspect --verify: %v\n%s", err, stdout)
	}

	// Replay: the upstreams are gone; the one file answers both hosts.
	rep := startServing(t, "replay", "--cassette", path, "--listen", "127.0.0.1:0")
	client, dialer = proxyClient(t, rep.url, pool)
	for u, want := range recorded {
		if code, got := proxiedGet(t, client, u); code != 200 || string(got) != string(want) {
			t.Errorf("replayed %s: %d\n%s\nrecorded:\n%s", u, code, got, want)
		}
	}
	klineStream(t, dialer, binance.Defaults().UpstreamWS+"/ws/btcusdt@kline_1m")
	if resp, err := http.Get(rep.url + "/api/v3/ping"); err != nil || resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("direct request to a replay of two exchanges: %v %v, want 421", resp, err)
	} else {
		resp.Body.Close()
	}
	// A host the cassette's exchanges do not use is refused and never
	// dialled, even when something listens there.
	foreignSrv, accepted := countingServer(t)
	if resp, err := client.Get(foreignSrv.URL + "/x"); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("replay passed a foreign host: %d", resp.StatusCode)
		}
	}
	if _, err := client.Get("https://" + foreignSrv.Listener.Addr().String() + "/x"); err == nil || !strings.Contains(err.Error(), "Forbidden") {
		t.Errorf("CONNECT to a foreign host through replay: %v, want 403", err)
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("the foreign server accepted %d connections from the replay", n)
	}
	if err := rep.stop(); err != nil {
		t.Fatal(err)
	}

	// One exchange of the file served alone, directly, as before.
	one := startServing(t, "replay", "--cassette", path, "--exchange", "okx_spot", "--listen", "127.0.0.1:0")
	if got := fetch(t, candlesURL(t, okx, one.url, start, 50)); string(got) != string(recorded[okxURL]) {
		t.Errorf("--exchange okx_spot of the file, direct: %s", got)
	}
}

// countingServer is a plain HTTP server on loopback no exchange uses,
// counting the connections it accepted.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "foreign")
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			n.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &n
}

// TestRecordPassthroughTunnelsForeignHostsUnrecorded: with --passthrough a
// bot's request to a host no recorded exchange uses reaches it through
// the proxy (CONNECT piped, TLS end to end with that host's own
// certificate; plain absolute-form forwarded) and nothing of it is
// recorded; without it the host is refused and never dialled.
func TestRecordPassthroughTunnelsForeignHostsUnrecorded(t *testing.T) {
	pool := testCAPool(t)
	binance, err := plugins.Lookup("binance_spot")
	if err != nil {
		t.Skip(err)
	}
	up := synthUpstream(t, binance)
	foreignTLS := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "foreign tls "+r.URL.Path)
	}))
	t.Cleanup(foreignTLS.Close)
	pool.AddCert(foreignTLS.Certificate())
	plain, plainAccepted := countingServer(t)
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).UnixMilli()

	for _, pass := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "pass.cassette")
		args := []string{"record", "binance_spot", "--cassette", path, "--listen", "127.0.0.1:0", "--upstream", "binance_spot=" + up.URL()}
		if pass {
			args = append(args, "--passthrough")
		}
		rec := startServing(t, args...)
		client, _ := proxyClient(t, rec.url, pool)
		before := plainAccepted.Load()
		tlsResp, tlsErr := client.Get(foreignTLS.URL + "/oracle")
		code, body := proxiedGet(t, client, plain.URL+"/notify")
		if pass {
			if tlsErr != nil {
				t.Fatalf("--passthrough, CONNECT to a foreign TLS host: %v", tlsErr)
			}
			b, _ := io.ReadAll(tlsResp.Body)
			tlsResp.Body.Close()
			if string(b) != "foreign tls /oracle" || code != 200 || string(body) != "foreign" {
				t.Errorf("--passthrough: tunnel %q, forwarded %d %q", b, code, body)
			}
		} else {
			if tlsErr == nil {
				tlsResp.Body.Close()
				t.Errorf("without --passthrough a foreign TLS host was reached")
			}
			if code != http.StatusForbidden || plainAccepted.Load() != before {
				t.Errorf("without --passthrough: %d %q, the foreign server accepted %d", code, body, plainAccepted.Load()-before)
			}
		}
		// The exchange itself is recorded either way.
		if code, _ := proxiedGet(t, client, candlesURL(t, binance, binance.Defaults().UpstreamREST, start, 5)); code != 200 {
			t.Errorf("the exchange through the proxy: %d", code)
		}
		if err := rec.stop(); err != nil {
			t.Fatal(err)
		}
		c, err := cassettes.Open(path, 0, &cassettes.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		paths, err := c.PathCounts()
		c.Close()
		if err != nil || len(paths) != 1 || paths["GET /api/v3/klines"] != 1 {
			t.Errorf("passthrough=%v recorded %v, %v; want the klines request only", pass, paths, err)
		}
	}
}

// TestRecordAllStartsWithEveryExchangeAndAnEmptySessionIsAnEmptyFile:
// --all serves every registered exchange on the proxy port (a host sibling
// ids share goes to the one each request is for); a session that touched none leaves a format-4
// file holding no exchange, which inspect describes and replay refuses.
func TestRecordAllStartsWithEveryExchangeAndAnEmptySessionIsAnEmptyFile(t *testing.T) {
	testCAPool(t)
	path := filepath.Join(t.TempDir(), "all.cassette")
	rec := startServing(t, "record", "--all", "--cassette", path, "--listen", "127.0.0.1:0")
	resp, err := http.Get(rec.url + "/__admin/status")
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Exchanges map[string]json.RawMessage `json:"exchanges"`
	}
	err = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if err != nil || len(st.Exchanges) != len(plugins.Names()) {
		t.Fatalf("record --all serves %d exchanges (%v), want %d", len(st.Exchanges), err, len(plugins.Names()))
	}
	if err := rec.stop(); err != nil {
		t.Fatal(err)
	}
	stdout, _, err := run(t, "inspect", path)
	if err != nil || !strings.Contains(stdout, "exchanges: 0 (-)") || !strings.Contains(stdout, "format:    4") {
		t.Errorf("inspect of an empty session: %v\n%s", err, stdout)
	}
	if _, _, err := run(t, "replay", "--cassette", path, "--listen", "127.0.0.1:0"); err == nil || !strings.Contains(err.Error(), "holds no exchange") {
		t.Errorf("replay of a file of no exchange: %v", err)
	}
	if _, _, err := run(t, "record", "--all", "binance_spot", "--cassette", path); err == nil {
		t.Error("--all with a list was accepted")
	}
}
