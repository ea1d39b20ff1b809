package main

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/serve/ca"
)

// proxiedClient is a client of the proxy at base trusting the CA the
// `ca` command created in CANDLECASSETTE_CA_DIR, as one run with
// HTTPS_PROXY and SSL_CERT_FILE set.
func proxiedClient(t *testing.T, base string) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(filepath.Join(os.Getenv(ca.EnvDir), ca.CertFile))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("no certificate in the CA file")
	}
	proxy, _ := url.Parse(base)
	tr := &http.Transport{Proxy: http.ProxyURL(proxy), TLSClientConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func send(t *testing.T, c *http.Client, method, u, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// `synth --all` prints one listening line, and its port, as the proxy of
// every exchange, answers each under its real hostnames, siblings' shared
// hosts with both markets; a direct request is told which hosts to use.
func TestSynthAllServesEveryExchangeByHost(t *testing.T) {
	t.Setenv(ca.EnvDir, t.TempDir())
	if _, stderr, err := run(t, "ca"); err != nil {
		t.Fatalf("ca: %v\n%s", err, stderr)
	}
	s := startSynth(t, "--all", "--listen", "127.0.0.1:0")
	c := proxiedClient(t, s.url)
	for _, tc := range []struct{ method, url, body, want string }{
		{"GET", "https://www.okx.com/api/v5/public/instruments?instType=SPOT", "", `"instId":"BTC-USDT"`},
		{"GET", "https://www.okx.com/api/v5/public/instruments?instType=SWAP", "", `"instId":"BTC-USDT-SWAP"`},
		{"GET", "https://www.okx.com/api/v5/public/instruments?instType=OPTION&uly=BTC-USD", "", `{"code":"0","msg":"","data":[]}`},
		{"GET", "https://api.bybit.com/v5/market/instruments-info?category=linear&limit=1000", "", `"contractType":"LinearPerpetual"`},
		{"GET", "https://dapi.binance.com/dapi/v1/exchangeInfo", "", `"symbols":[]`},
		{"GET", "https://api.binance.com/api/v3/exchangeInfo", "", `"symbol":"BTCUSDT"`},
		{"POST", "https://api.hyperliquid.xyz/info", `{"type":"metaAndAssetCtxs"}`, `"name":"BTC"`},
		{"GET", "https://api.coinbase.com/api/v3/brokerage/market/products", "", `"product_id":"BTC-USDT"`},
	} {
		status, body := send(t, c, tc.method, tc.url, tc.body)
		if status != http.StatusOK || !strings.Contains(body, tc.want) {
			t.Errorf("%s %s: %d, want 200 with %s:\n%.400s", tc.method, tc.url, status, tc.want, body)
		}
	}
	status, body := send(t, http.DefaultClient, "GET", s.url+"/api/v3/ping", "")
	if status != http.StatusMisdirectedRequest || !strings.Contains(body, "binance_spot: api.binance.com") {
		t.Errorf("direct request: %d %s, want 421 naming the ids and hosts", status, body)
	}
	if status, body := send(t, http.DefaultClient, "GET", s.url+"/__admin/okx_perpetual/status", ""); status != http.StatusOK || !strings.Contains(body, `"exchange":"okx_perpetual"`) {
		t.Errorf("per-id admin: %d %s", status, body)
	}
	if err := s.stop(); err != nil {
		t.Errorf("synth --all returned %v after cancellation", err)
	}
	if out := s.stdout.String(); strings.Count(out, "\n") != 1 {
		t.Errorf("stdout %q: want the one listening line", out)
	}
}

// `synth ID ID` serves those ids only: a host of another is refused, not
// dialled.
func TestSynthOfAListServesThoseExchangesOnly(t *testing.T) {
	t.Setenv(ca.EnvDir, t.TempDir())
	if _, stderr, err := run(t, "ca"); err != nil {
		t.Fatalf("ca: %v\n%s", err, stderr)
	}
	s := startSynth(t, "okx_spot", "okx_perpetual", "--listen", "127.0.0.1:0")
	c := proxiedClient(t, s.url)
	if status, body := send(t, c, "GET", "https://www.okx.com/api/v5/public/instruments?instType=SWAP", ""); status != http.StatusOK || !strings.Contains(body, "BTC-USDT-SWAP") {
		t.Errorf("okx SWAP instruments: %d %.300s", status, body)
	}
	if _, err := c.Get("https://api.binance.com/api/v3/ping"); err == nil || !strings.Contains(err.Error(), "Forbidden") {
		t.Errorf("api.binance.com through a synth of okx: err %v, want the CONNECT refused (403)", err)
	}
}
