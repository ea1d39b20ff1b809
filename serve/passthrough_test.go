package serve_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/serve"
)

// countingListener counts the connections a "foreign" server accepted:
// the proof that a proxy did or did not dial it.
type countingListener struct {
	net.Listener
	n atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// foreign starts a server no exchange claims, over TLS or not, that
// answers "foreign <path>", and counts the connections it accepted.
func foreign(t *testing.T, useTLS bool) (*httptest.Server, *countingListener) {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "foreign "+r.URL.Path)
	}))
	cl := &countingListener{Listener: srv.Listener}
	srv.Listener = cl
	if useTLS {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv, cl
}

// viaProxy is a client that sends everything through the proxy at addr
// and trusts the foreign TLS server's certificate only.
func viaProxy(t *testing.T, addr string, tlsSrv *httptest.Server) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(tlsSrv.Certificate())
	tr := &http.Transport{
		Proxy:           http.ProxyURL(&url.URL{Scheme: "http", Host: addr}),
		TLSClientConfig: &tls.Config{RootCAs: pool},
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 5 * time.Second}
}

func passGet(c *http.Client, u string) (int, string, error) {
	resp, err := c.Get(u)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func TestPassthroughTunnelsAndForwardsHostsNotServedUntouched(t *testing.T) {
	tlsSrv, tlsCount := foreign(t, true)
	plain, plainCount := foreign(t, false)
	var dialled atomic.Int64
	d := &net.Dialer{Timeout: time.Second}
	opts := serve.Options{Passthrough: func(ctx context.Context, network, addr string) (net.Conn, error) {
		dialled.Add(1)
		return d.DialContext(ctx, network, addr)
	}}
	front := startFront(t, nil, opts, "binance_spot")
	c := viaProxy(t, front.Addr(), tlsSrv)

	// CONNECT, then TLS end to end with the foreign server's own
	// certificate: the proxy only pipes bytes.
	if code, body, err := passGet(c, tlsSrv.URL+"/a"); err != nil || code != 200 || body != "foreign /a" {
		t.Fatalf("through the tunnel: %d %q %v", code, body, err)
	}
	if code, body, err := passGet(c, plain.URL+"/b?x=1"); err != nil || code != 200 || body != "foreign /b" {
		t.Fatalf("absolute-form, forwarded: %d %q %v", code, body, err)
	}
	if tlsCount.n.Load() != 1 || plainCount.n.Load() != 1 || dialled.Load() != 2 {
		t.Errorf("foreign servers accepted %d and %d, Passthrough dialled %d; want 1, 1, 2",
			tlsCount.n.Load(), plainCount.n.Load(), dialled.Load())
	}
	// An exchange's own host is still the exchange's, never dialled.
	req, _ := http.NewRequest("GET", "http://api.binance.com/api/v3/ping", nil)
	resp, err := (&http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(&url.URL{Scheme: "http", Host: front.Addr()})}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || dialled.Load() != 2 {
		t.Errorf("an exchange's host: %d, dialled %d", resp.StatusCode, dialled.Load())
	}

	// A tunnel open at Close is cut: Close returns, nothing leaks.
	conn, err := net.Dial("tcp", front.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "CONNECT "+plain.Listener.Addr().String()+" HTTP/1.1\r\nHost: x\r\n\r\n")
	buf := make([]byte, len("HTTP/1.1 200"))
	if _, err := io.ReadFull(conn, buf); err != nil || string(buf) != "HTTP/1.1 200" {
		t.Fatalf("CONNECT answer %q, %v", buf, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := front.Close(ctx); err != nil {
		t.Errorf("Close with a tunnel open: %v", err)
	}
}
