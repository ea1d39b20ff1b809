package serve_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/netsim"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/serve"
	"github.com/candlecassette/candlecassette/synth"
)

// The real hostnames used below, given explicitly: the plugins' own
// declarations are another change's.
var testHosts = map[string][]string{
	"binance_spot": {"api.binance.com", "stream.binance.com"},
	"okx_spot":     {"www.okx.com", "ws.okx.com"},
}

// klinesQuery is a closed window: the same body every time.
const klinesQuery = "/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=1704067200000&limit=5"

// startFront serves the synthetic market of each exchange named behind
// one front with TLS from ca, closed at the end of the test.
func startFront(t *testing.T, ca *testCA, opts serve.Options, names ...string) *serve.Server {
	t.Helper()
	srv := newFront(t, ca, opts, names...)
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Close(ctx)
	})
	return srv
}

func newFront(t testing.TB, ca *testCA, opts serve.Options, names ...string) *serve.Server {
	t.Helper()
	var exs []serve.Exchange
	for _, n := range names {
		p, err := plugins.Lookup(n)
		if err != nil {
			t.Fatal(err)
		}
		exs = append(exs, serve.Exchange{Plugin: p, Hosts: testHosts[n]})
	}
	if ca != nil {
		opts.TLS = ca.Leaf
	}
	srv, err := serve.NewMulti(opts, exs...)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range srv.Exchanges() {
		st.Handle(st.Plugin().Handler(synthEnv(st.Plugin(), st.Hub())))
	}
	return srv
}

// synthEnv is what replay gives a plugin for the synthetic market.
func synthEnv(p plugins.Plugin, hub *plugins.Hub) *plugins.Env {
	pairs := append([]cc.Pair(nil), cc.DefaultPairs...)
	for i := range pairs {
		pairs[i].Symbol = p.Symbol(pairs[i])
	}
	market := synth.New(synth.Options{Seed: 7, Exchange: p.Name(), Pairs: pairs})
	clock := &cc.Clock{}
	return &plugins.Env{Market: market, Feed: &cc.MarketFeed{Market: market, Clock: clock}, Clock: clock,
		Pairs: pairs, Hub: hub, Logger: slog.New(slog.DiscardHandler)}
}

// proxyClient is a Go client with HTTPS_PROXY pointing at srv and the CA
// trusted, as go-binance runs with the environment set.
func proxyClient(t *testing.T, srv *serve.Server, ca *testCA) *http.Client {
	t.Helper()
	proxy, _ := url.Parse(srv.URL())
	tr := &http.Transport{Proxy: http.ProxyURL(proxy), TLSClientConfig: &tls.Config{RootCAs: ca.pool}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

// A client behind HTTPS_PROXY reaches https://api.binance.com through a
// CONNECT tunnel and TLS with a leaf the CA minted for that name, and gets
// what a direct request gets.
func TestHTTPSThroughConnectGetsWhatADirectRequestGets(t *testing.T) {
	ca := newTestCA(t)
	srv := startFront(t, ca, serve.Options{}, "binance_spot")
	res, proxied := get(t, proxyClient(t, srv, ca), "https://api.binance.com"+klinesQuery)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("through the proxy: %d %s", res.StatusCode, proxied)
	}
	if res.TLS == nil || res.TLS.PeerCertificates[0].Subject.CommonName != "api.binance.com" || res.TLS.Version < tls.VersionTLS12 {
		t.Fatalf("TLS state %+v: want the CA's leaf for api.binance.com", res.TLS)
	}
	dres, direct := get(t, http.DefaultClient, srv.URL()+klinesQuery)
	if dres.StatusCode != http.StatusOK || direct != proxied {
		t.Fatalf("direct %d %q\nproxied %q", dres.StatusCode, direct, proxied)
	}
	if !strings.HasPrefix(proxied, "[[1704067200000,") {
		t.Fatalf("not klines: %q", proxied)
	}
	if st := srv.Status(); st.Requests != 2 {
		t.Fatalf("the stack counted %d requests, want both", st.Requests)
	}
}

// readKline reads WS messages until a kline event arrives.
func readKline(t *testing.T, c *websocket.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, m, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("no kline frame: %v", err)
		}
		var ev map[string]any // not a struct: "e" and "E" are both keys
		if json.Unmarshal(m, &ev) == nil && ev["e"] == "kline" && ev["s"] == "BTCUSDT" {
			return
		}
	}
}

// dialWSS dials wss://stream.binance.com:9443 through a CONNECT to port
// 9443 and TLS, as go-binance's WS client does behind HTTPS_PROXY.
func dialWSS(t *testing.T, srv *serve.Server, ca *testCA) *websocket.Conn {
	t.Helper()
	proxy, _ := url.Parse(srv.URL())
	d := websocket.Dialer{Proxy: http.ProxyURL(proxy), TLSClientConfig: &tls.Config{RootCAs: ca.pool}, HandshakeTimeout: 10 * time.Second}
	c, res, err := d.Dial("wss://stream.binance.com:9443/ws/btcusdt@kline_1m", nil)
	if err != nil {
		t.Fatalf("dial through CONNECT: %v (%v)", err, res)
	}
	return c
}

func TestWSSThroughConnectToPort9443GetsKlines(t *testing.T) {
	ca := newTestCA(t)
	srv := startFront(t, ca, serve.Options{}, "binance_spot")
	c := dialWSS(t, srv, ca)
	defer c.Close()
	readKline(t, c)
	if n := srv.Status().WS.Connections; n != 1 {
		t.Fatalf("the exchange's hub has %d connections, want 1", n)
	}
}

// absoluteForm makes a client's request line absolute-form for host:
// "GET /ws/... HTTP/1.1" becomes "GET https://host/ws/... HTTP/1.1", as
// ccxt's wsProxy (http-proxy-agent) sends it to the proxy in clear.
type absoluteForm struct {
	net.Conn
	target string // "https://stream.binance.com:9443"
	once   sync.Once
}

func (c *absoluteForm) Write(p []byte) (int, error) {
	n := len(p)
	c.once.Do(func() {
		if !bytes.HasPrefix(p, []byte("GET /")) {
			panic(fmt.Sprintf("first write %q", p))
		}
		p = append([]byte("GET "+c.target), p[len("GET "):]...)
	})
	if _, err := c.Conn.Write(p); err != nil {
		return 0, err
	}
	return n, nil
}

// dialAbsolute opens wss://stream.binance.com:9443's stream as ccxt's
// wsProxy does: a plain connection to the proxy, an absolute-form https
// target, an Upgrade, no CONNECT and no TLS.
func dialAbsolute(t *testing.T, srv *serve.Server) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second,
		NetDialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, "tcp", srv.Addr())
			if err != nil {
				return nil, err
			}
			return &absoluteForm{Conn: c, target: "https://stream.binance.com:9443"}, nil
		}}
	c, res, err := d.Dial("ws://stream.binance.com:9443/ws/btcusdt@kline_1m", nil)
	if err != nil {
		t.Fatalf("absolute-form upgrade: %v (%v)", err, res)
	}
	return c
}

func TestAbsoluteFormWSUpgradeInClearGetsKlines(t *testing.T) {
	srv := startFront(t, newTestCA(t), serve.Options{}, "binance_spot")
	c := dialAbsolute(t, srv)
	defer c.Close()
	readKline(t, c)
}

// https://127.0.0.1:PORT: TLS straight to the port, no SNI, the leaf for
// the address; a direct request, admin API included.
func TestTLSStraightToThePort(t *testing.T) {
	ca := newTestCA(t)
	srv := startFront(t, ca, serve.Options{}, "binance_spot")
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.pool}}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	base := "https://" + srv.Addr()
	res, body := get(t, c, base+"/api/v3/ping")
	if res.StatusCode != http.StatusOK || body != "{}" || res.TLS == nil || len(res.TLS.PeerCertificates[0].IPAddresses) != 1 {
		t.Fatalf("ping over TLS: %d %q %+v", res.StatusCode, body, res.TLS)
	}
	res, body = get(t, c, base+"/__admin/status")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `"exchange":"binance_spot"`) {
		t.Fatalf("admin over TLS: %d %s", res.StatusCode, body)
	}
}

// guard is a listener that counts connections: the address of a host the
// proxy must never dial.
func guard(t *testing.T) (addr string, dialled *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dialled = new(atomic.Int64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			dialled.Add(1)
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String(), dialled
}

// rawConnect sends CONNECT target and returns the answer's status line
// and body.
func rawConnect(t *testing.T, proxy, target string) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", proxy)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target)
	res, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: http.MethodConnect})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// Offline by default: a host no served exchange claims is refused with
// 403 naming it — by CONNECT, absolute-form, or a Host inside a tunnel
// opened for an exchange — and never contacted.
func TestUnknownHostsAreRefusedAndNeverDialled(t *testing.T) {
	ca := newTestCA(t)
	var logs syncBuffer
	srv := startFront(t, ca, serve.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))}, "binance_spot")
	target, dialled := guard(t)

	t.Run("CONNECT to a listening address that is not this server", func(t *testing.T) {
		code, body := rawConnect(t, srv.Addr(), target)
		if code != http.StatusForbidden || !strings.Contains(body, target+" is not served here") || strings.Count(body, "\n") != 1 {
			t.Fatalf("%d %q: want 403 and one line naming %s", code, body, target)
		}
	})
	t.Run("CONNECT to a name no exchange uses", func(t *testing.T) {
		code, body := rawConnect(t, srv.Addr(), "www.example.com:443")
		if code != http.StatusForbidden || !strings.Contains(body, "www.example.com:443 is not served here") {
			t.Fatalf("%d %q", code, body)
		}
	})
	t.Run("a Go client behind the proxy", func(t *testing.T) {
		_, err := proxyClient(t, srv, ca).Get("https://" + target + "/")
		if err == nil || !strings.Contains(err.Error(), "Forbidden") {
			t.Fatalf("got %v, want the CONNECT refused", err)
		}
	})
	t.Run("absolute-form for a name no exchange uses", func(t *testing.T) {
		proxy, _ := url.Parse(srv.URL())
		c := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy)}}
		res, body := get(t, c, "http://"+target+"/api/v3/ping")
		if res.StatusCode != http.StatusForbidden || !strings.Contains(body, target+" is not served here") {
			t.Fatalf("%d %q", res.StatusCode, body)
		}
	})
	t.Run("another Host inside a tunnel opened for an exchange", func(t *testing.T) {
		c := proxyClient(t, srv, ca)
		req, _ := http.NewRequest(http.MethodGet, "https://api.binance.com/api/v3/ping", nil)
		req.Host = target
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden || !strings.Contains(string(body), target) {
			t.Fatalf("%d %q", res.StatusCode, body)
		}
	})
	if n := dialled.Load(); n != 0 {
		t.Fatalf("the refused host was contacted %d times", n)
	}
	if !strings.Contains(logs.String(), "refused CONNECT") {
		t.Fatalf("refusals not logged:\n%s", logs.String())
	}
}

// A TLS connection naming a host not served is refused in the handshake
// and logged; one naming the exchange on the same port is not.
func TestTLSWithAnUnknownServerNameIsRefused(t *testing.T) {
	ca := newTestCA(t)
	var logs syncBuffer
	srv := startFront(t, ca, serve.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))}, "binance_spot")
	c, err := tls.Dial("tcp", srv.Addr(), &tls.Config{RootCAs: ca.pool, ServerName: "www.example.com"})
	if err == nil {
		c.Close()
		t.Fatal("the handshake for www.example.com succeeded")
	}
	if !strings.Contains(logs.String(), "refused TLS") || !strings.Contains(logs.String(), "www.example.com") {
		t.Fatalf("not logged:\n%s", logs.String())
	}
	c, err = tls.Dial("tcp", srv.Addr(), &tls.Config{RootCAs: ca.pool, ServerName: "api.binance.com"})
	if err != nil {
		t.Fatalf("api.binance.com: %v", err)
	}
	c.Close()
}

// TLS is 1.2 or later and speaks HTTP/1.1 only: a client offering h2
// first gets http/1.1, one offering h2 alone or TLS 1.1 is refused.
func TestTLSIsHTTP11Only(t *testing.T) {
	ca := newTestCA(t)
	srv := startFront(t, ca, serve.Options{}, "binance_spot")
	cfg := &tls.Config{RootCAs: ca.pool, ServerName: "api.binance.com", NextProtos: []string{"h2", "http/1.1"}}
	c, err := tls.Dial("tcp", srv.Addr(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if p := c.ConnectionState().NegotiatedProtocol; p != "http/1.1" {
		t.Errorf("ALPN chose %q, want http/1.1", p)
	}
	c.Close()
	for _, tc := range []struct {
		name  string
		cfg   *tls.Config
		alert string
	}{
		{"h2 alone", &tls.Config{RootCAs: ca.pool, ServerName: "api.binance.com", NextProtos: []string{"h2"}}, "no application protocol"},
		{"TLS 1.1", &tls.Config{RootCAs: ca.pool, ServerName: "api.binance.com", MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}, "protocol version"},
	} {
		c, err := tls.Dial("tcp", srv.Addr(), tc.cfg)
		if err == nil {
			c.Close()
			t.Errorf("%s: handshake succeeded", tc.name)
		} else if !strings.Contains(err.Error(), tc.alert) {
			t.Errorf("%s: %v, want the server's %q alert", tc.name, err, tc.alert)
		}
	}
}

// Two exchanges in one process: each answers under its own hosts, with
// its own stack; a direct request names neither and is told which hosts
// there are.
func TestTwoExchangesInOneServerAreRoutedByHost(t *testing.T) {
	ca := newTestCA(t)
	srv := startFront(t, ca, serve.Options{}, "binance_spot", "okx_spot")
	c := proxyClient(t, srv, ca)
	res, body := get(t, c, "https://api.binance.com/api/v3/time")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `"serverTime"`) {
		t.Fatalf("binance: %d %s", res.StatusCode, body)
	}
	res, body = get(t, c, "https://www.okx.com/api/v5/public/time")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `"code":"0"`) || !strings.Contains(body, `"ts"`) {
		t.Fatalf("okx: %d %s", res.StatusCode, body)
	}
	// A path of one exchange under the other's host is the other's 404.
	res, _ = get(t, c, "https://www.okx.com/api/v3/time")
	if res.StatusCode == http.StatusOK {
		t.Fatal("www.okx.com answered binance's path")
	}
	if b, o := srv.Exchange("binance_spot").Status().Requests, srv.Exchange("okx_spot").Status().Requests; b != 1 || o != 2 {
		t.Fatalf("requests counted: binance %d, okx %d; want 1 and 2", b, o)
	}

	res, body = get(t, http.DefaultClient, srv.URL()+"/api/v3/time")
	if res.StatusCode != http.StatusMisdirectedRequest || !strings.Contains(body, "binance_spot: api.binance.com stream.binance.com") ||
		!strings.Contains(body, "okx_spot: www.okx.com ws.okx.com") {
		t.Fatalf("direct request: %d %q", res.StatusCode, body)
	}
	res, body = get(t, http.DefaultClient, srv.URL()+"/__admin/status")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `"binance_spot":{"exchange":"binance_spot"`) || !strings.Contains(body, `"okx_spot":{"exchange":"okx_spot"`) {
		t.Fatalf("admin status: %d %s", res.StatusCode, body)
	}
	res, body = get(t, http.DefaultClient, srv.URL()+"/__admin/okx_spot/conditions")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `"latency"`) {
		t.Fatalf("okx_spot's admin: %d %s", res.StatusCode, body)
	}
	// Under an exchange's name the server is that exchange: no admin API.
	res, body = get(t, c, "https://api.binance.com/__admin/status")
	if res.StatusCode == http.StatusOK || strings.Contains(body, "exchanges") {
		t.Fatalf("admin API under api.binance.com: %d %s", res.StatusCode, body)
	}
}

// Network conditions belong to one exchange: latency set on okx_spot
// delays its requests, not binance_spot's.
func TestLatencyOnOneExchangeAppliesToItOnly(t *testing.T) {
	ca := newTestCA(t)
	srv := startFront(t, ca, serve.Options{}, "binance_spot", "okx_spot")
	const latency = 400 * time.Millisecond
	if err := srv.Exchange("okx_spot").SetConditions(netsim.Config{Conditions: netsim.Conditions{Latency: netsim.Duration(latency)}}); err != nil {
		t.Fatal(err)
	}
	c := proxyClient(t, srv, ca)
	get(t, c, "https://api.binance.com/api/v3/ping") // the tunnels are up before timing
	get(t, c, "https://www.okx.com/api/v5/public/time")
	start := time.Now()
	get(t, c, "https://www.okx.com/api/v5/public/time")
	if d := time.Since(start); d < latency {
		t.Fatalf("okx answered in %v under %v latency", d, latency)
	}
	get(t, c, "https://api.binance.com/api/v3/ping")
	if b, o := srv.Exchange("binance_spot").Status().Faults.Delayed, srv.Exchange("okx_spot").Status().Faults.Delayed; b != 0 || o != 2 {
		t.Fatalf("delayed requests: binance %d, okx %d; want 0 and 2", b, o)
	}
}

// Close with WS clients connected through CONNECT+TLS and absolute-form
// ends every connection with 1001 and leaves no goroutine behind.
func TestCloseWithLiveProxiedWSLeavesNoGoroutine(t *testing.T) {
	before := goleak.IgnoreCurrent()
	ca := newTestCA(t)
	srv := newFront(t, ca, serve.Options{}, "binance_spot", "okx_spot")
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	conns := []*websocket.Conn{dialWSS(t, srv, ca), dialAbsolute(t, srv)}
	for _, c := range conns {
		readKline(t, c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for i, c := range conns {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		var err error
		for err == nil {
			_, _, err = c.ReadMessage()
		}
		if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
			t.Errorf("client %d ended with %v, want close 1001", i, err)
		}
		c.Close()
	}
	goleak.VerifyNone(t, before)
}

// syncBuffer is a bytes.Buffer for a logger written from several
// goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// The modes reach proxy mode through Options alone: replay's server with
// Options.TLS and Options.Hosts answers its exchange's hosts through the
// proxy and keeps answering direct requests.
func TestAModeGetsProxyModeThroughOptions(t *testing.T) {
	ca := newTestCA(t)
	srv := start(t, replay.Options{Serve: serve.Options{TLS: ca.Leaf, Hosts: func(p plugins.Plugin) []string { return testHosts[p.Name()] }}})
	res, body := get(t, proxyClient(t, srv.Server, ca), "https://api.binance.com/api/v3/ping")
	if res.StatusCode != http.StatusOK || body != "{}" {
		t.Fatalf("through the proxy: %d %q", res.StatusCode, body)
	}
	if res, body = get(t, http.DefaultClient, srv.URL()+"/api/v3/ping"); res.StatusCode != http.StatusOK || body != "{}" {
		t.Fatalf("direct: %d %q", res.StatusCode, body)
	}
	if h := srv.Hosts(); len(h) != 2 || h[0] != "api.binance.com" {
		t.Fatalf("hosts %q", h)
	}
}

// A hostname belongs to one exchange.
func TestTwoExchangesClaimingOneHostIsAnError(t *testing.T) {
	b, _ := plugins.Lookup("binance_spot")
	o, _ := plugins.Lookup("okx_spot")
	_, err := serve.NewMulti(serve.Options{}, serve.Exchange{Plugin: b, Hosts: []string{"API.binance.com:443"}},
		serve.Exchange{Plugin: o, Hosts: []string{"www.okx.com", "api.binance.com."}})
	if !errors.Is(err, serve.ErrHostTaken) || !strings.Contains(err.Error(), "api.binance.com by binance_spot and okx_spot") {
		t.Fatalf("got %v, want ErrHostTaken naming the host and both ids", err)
	}
}
