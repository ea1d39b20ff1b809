package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/candlecassette/candlecassette/serve/ca"
)

// tlsSection measures proxy mode's TLS: klines limit=1000 over kept-alive
// TLS 1.3 straight to the port (https://127.0.0.1:PORT, no server name:
// the 127.0.0.1 leaf of a local CA created in the run's temp dir), side by
// side with nginx serving the same body over TLS 1.3 with an ECDSA P-256
// certificate of the same CA and the same cipher suite; then the time a
// Go client takes from dialling to the first byte of /api/v3/ping through
// CONNECT api.binance.com:443 and a full TLS handshake.
func tlsSection(ctx context.Context, cfg *config, t *table) error {
	const sec = "TLS e2e"
	wrk, nginx, err := ensureTools(ctx)
	if err != nil {
		t.skipped(sec, "wrk vs nginx over TLS", oneLine(err.Error()))
		return nil
	}
	dir := filepath.Join(cfg.work, "tls")
	caDir := filepath.Join(dir, "ca")
	os.MkdirAll(dir, 0o755)
	// The CA as users create it, then a leaf of it for nginx.
	if out, err := run(ctx, "", cfg.bin, "ca", "--ca-dir", caDir); err != nil {
		return fmt.Errorf("candlecassette ca: %v: %s", err, oneLine(out))
	}
	authority, err := ca.Load(caDir, nil)
	if err != nil {
		return err
	}
	ngxTLS, err := writeLeaf(authority, dir)
	if err != nil {
		return err
	}
	pool := authority.Pool()
	tlsClient := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13},
	}}
	defer tlsClient.CloseIdleConnections()
	ngxTLS.client = tlsClient

	const limit = 1000
	syn, rep, bodies, err := startSynthAndReplay(ctx, cfg, dir, []int{limit}, "--ca-dir", caDir)
	if err != nil {
		return err
	}
	defer syn.stop()
	defer rep.stop()
	ngx, ngxURL, err := startNginx(nginx, dir, bodies, ngxTLS)
	if err != nil {
		return err
	}
	defer stopNginx(ngx)
	who := []struct{ name, url string }{{"replay", httpsURL(rep.url)}, {"synth", httpsURL(syn.url)}}
	suites := map[string]string{}
	for _, u := range append([]string{ngxURL}, who[0].url, who[1].url) {
		b, suite, err := fetchTLS(tlsClient, u+klinesPath(limit))
		if err != nil {
			return err
		}
		if !bytes.Equal(b, bodies[limit]) {
			return fmt.Errorf("%s: %d bytes over TLS, not the %d of the plain answer", u, len(b), len(bodies[limit]))
		}
		suites[u] = suite
	}
	t.info(sec, fmt.Sprintf("limit=%d body (TLS 1.3, ECDSA P-256 leaves of one CA)", limit),
		fmt.Sprintf("%d bytes, identical from replay, synth and nginx", len(bodies[limit])))
	t.info(sec, "cipher suite (Go client) cc | nginx", suites[who[0].url]+" | "+suites[ngxURL])

	for _, w := range who {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		ng, cc, err := wrkSideBySide(ctx, cfg, wrk, ngxURL+klinesPath(limit), w.url+klinesPath(limit))
		if err != nil {
			return err
		}
		name := fmt.Sprintf("%s limit=%d over TLS", w.name, limit)
		t.info(sec, name+": req/s cc | nginx", fmt.Sprintf("%s | %s", fmtNum(cc.rps), fmtNum(ng.rps)))
		t.info(sec, name+": p50 | p99 cc vs nginx", fmt.Sprintf("%s | %s vs %s | %s", ms(cc.p50), ms(cc.p99), ms(ng.p50), ms(ng.p99)))
		t.atLeast(sec, name+": req/s ratio cc/nginx", cc.rps/ng.rps, 0.8, "×")
		if cc.errors+ng.errors > 0 {
			t.add(sec, name+": errors (non-2xx, socket)", fmt.Sprintf("cc %d, nginx %d", cc.errors, ng.errors), "0", miss)
		}
	}

	n := map[bool]int{true: 500, false: 2000}[cfg.quick]
	if cfg.full {
		n = 5000
	}
	first, hs, err := connectLatency(ctx, rep.url, pool, n)
	if err != nil {
		return fmt.Errorf("CONNECT latency: %w", err)
	}
	name := fmt.Sprintf("replay: CONNECT+TLS 1.3, dial → ping's first byte (%d dials)", n)
	t.lessThan(sec, name+": p50", float64(pct(first, 50))/1e6, 2, "ms")
	t.info(sec, name+": p99 | handshake alone p50", ms(pct(first, 99))+" | "+ms(pct(hs, 50)))
	return nil
}

// httpsURL is a server's "http://127.0.0.1:PORT" as https: the same port
// takes TLS.
func httpsURL(u string) string { return "https" + u[len("http"):] }

// writeLeaf mints the CA's 127.0.0.1 leaf for nginx and writes it and its
// key as PEM files in dir.
func writeLeaf(authority *ca.CA, dir string) (*nginxTLS, error) {
	leaf, err := authority.Leaf("127.0.0.1")
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(leaf.PrivateKey)
	if err != nil {
		return nil, err
	}
	var certPEM []byte
	for _, der := range leaf.Certificate {
		certPEM = append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	o := &nginxTLS{cert: filepath.Join(dir, "nginx-cert.pem"), key: filepath.Join(dir, "nginx-key.pem")}
	if err := os.WriteFile(o.cert, certPEM, 0o644); err != nil {
		return nil, err
	}
	// nginx reads the key as root before its workers drop to nobody.
	if err := os.WriteFile(o.key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return nil, err
	}
	return o, nil
}

// fetchTLS is fetch over TLS, with the negotiated cipher suite.
func fetchTLS(client *http.Client, url string) ([]byte, string, error) {
	resp, err := client.Get(url)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s: %.200s", url, resp.Status, b)
	}
	if resp.TLS == nil {
		return nil, "", fmt.Errorf("GET %s: not over TLS", url)
	}
	if resp.TLS.Version != tls.VersionTLS13 {
		return nil, "", fmt.Errorf("GET %s: %s, not TLS 1.3", url, tls.VersionName(resp.TLS.Version))
	}
	return b, tls.CipherSuiteName(resp.TLS.CipherSuite), err
}

// connectLatency does n times, one after another, what an HTTPS_PROXY
// client's first request costs: dial base's port, CONNECT
// api.binance.com:443, a full TLS 1.3 handshake for that name trusting
// pool (no session resumption), GET /api/v3/ping. It returns the time from
// the dial to the response's first byte, and the handshake's own, after
// a few untimed rounds (the first mints the leaf).
func connectLatency(ctx context.Context, base string, pool *x509.CertPool, n int) (first, handshake []time.Duration, err error) {
	addr := base[len("http://"):]
	const host = "api.binance.com"
	one := func() (time.Duration, time.Duration, error) {
		t0 := time.Now()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return 0, 0, err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c, "CONNECT "+host+":443 HTTP/1.1\r\nHost: "+host+":443\r\n\r\n"); err != nil {
			return 0, 0, err
		}
		br := bufio.NewReader(c)
		res, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
		if err != nil {
			return 0, 0, err
		}
		if res.StatusCode != http.StatusOK || br.Buffered() > 0 {
			return 0, 0, fmt.Errorf("CONNECT: %s (%d bytes after it)", res.Status, br.Buffered())
		}
		tc := tls.Client(c, &tls.Config{ServerName: host, RootCAs: pool, MinVersion: tls.VersionTLS13})
		h0 := time.Now()
		if err := tc.Handshake(); err != nil {
			return 0, 0, err
		}
		hs := time.Since(h0)
		if _, err := io.WriteString(tc, "GET /api/v3/ping HTTP/1.1\r\nHost: "+host+"\r\nConnection: close\r\n\r\n"); err != nil {
			return 0, 0, err
		}
		tbr := bufio.NewReader(tc)
		if _, err := tbr.Peek(1); err != nil {
			return 0, 0, err
		}
		d := time.Since(t0)
		res, err = http.ReadResponse(tbr, nil)
		if err != nil {
			return 0, 0, err
		}
		if _, err := drain(res); err != nil {
			return 0, 0, err
		}
		return d, hs, nil
	}
	for range 20 {
		if _, _, err := one(); err != nil {
			return nil, nil, err
		}
	}
	for range n {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		d, hs, err := one()
		if err != nil {
			return nil, nil, err
		}
		first, handshake = append(first, d), append(handshake, hs)
	}
	return first, handshake, nil
}

// pct is the p-th percentile of ds (sorted in place).
func pct(ds []time.Duration, p int) time.Duration {
	slices.Sort(ds)
	return ds[min(len(ds)-1, len(ds)*p/100)]
}
