package serve_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/internal/h1"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/serve"
)

// directRequests are direct requests of every kind: served by h1 itself,
// handed to net/http (chunked body, absolute-form for this server's own
// address), refused by the exchange, and the admin API.
var directRequests = []string{
	"GET " + klinesQuery + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: t\r\n\r\n",
	"GET /api/v3/ping HTTP/1.1\r\nHost: mock:8080\r\n\r\n",
	"HEAD /api/v3/time HTTP/1.1\r\nHost: localhost\r\n\r\n",
	"GET /api/v3/klines?symbol=NOPE&interval=1m HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /no/such/path HTTP/1.1\r\nHost: x\r\n\r\n",
	"POST /api/v3/ping HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"GET /__admin/conditions HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
	"GET /__admin/limits HTTP/1.1\r\nHost: evil.example\r\n\r\n",
	"GET /api/v3/ping HTTP/1.0\r\n\r\n",
}

// date masks what differs between two answers given a second apart.
var date = regexp.MustCompile(`(?m)^Date: .*\r$`)

// roundTrip sends each request on a new connection and returns the raw
// answers, Date masked.
func roundTrip(t *testing.T, addr string) []string {
	t.Helper()
	var out []string
	for _, raw := range directRequests {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, strings.Replace(raw, "\r\n\r\n", "\r\nConnection: close\r\n\r\n", 1))
		b, err := io.ReadAll(c)
		c.Close()
		if err != nil || !strings.HasPrefix(string(b), "HTTP/1.") {
			t.Fatalf("%q: %q, %v", raw, b, err)
		}
		out = append(out, date.ReplaceAllString(string(b), "Date: -\r"))
	}
	return out
}

// A direct request is answered byte for byte as before proxy mode: the
// server with TLS and hosts set against the stack served the way Server
// served it until now (h1 without a Front, oldWrap around the
// handler).
func TestDirectRequestsAnswerAsBefore(t *testing.T) {
	ca := newTestCA(t)
	now := newFront(t, ca, serve.Options{}, "binance_spot")
	if err := now.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer now.Close(context.Background())

	before := startBefore(t, serve.Options{})
	got, want := roundTrip(t, now.Addr()), roundTrip(t, before)
	if testing.Verbose() {
		t.Logf("answers:\n%s", strings.Join(got, "\n----\n"))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%q:\nnow:\n%s\nbefore:\n%s", directRequests[i], got[i], want[i])
		}
	}
}

// startBefore serves binance_spot's synthetic market as Server served it
// before proxy mode — h1 without a Front, oldWrap around the handler —
// and returns its address.
func startBefore(t testing.TB, opts serve.Options) string {
	t.Helper()
	p, _ := plugins.Lookup("binance_spot")
	hub := plugins.NewHub()
	st, err := serve.NewStack(p, hub, opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &h1.Server{Handler: oldWrap(st, p.Handler(synthEnv(p, hub))), ReadHeaderTimeout: serve.DefaultReadHeaderTimeout,
		IdleTimeout: serve.DefaultIdleTimeout, MaxConns: serve.DefaultMaxConns}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-done
		hub.Shutdown(ctx)
		st.Close()
	})
	return ln.Addr().String()
}

// BenchmarkDirect is a direct request — kept alive, or on a connection of
// its own — to the server as it was before proxy mode and as it is now,
// with TLS and hosts set: what the look at first bytes and the route by
// host cost the fast path.
func BenchmarkDirect(b *testing.B) {
	opts := serve.Options{NoRateLimit: true}
	now := newFront(b, newTestCA(b), opts, "binance_spot")
	if err := now.Listen("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { now.Close(context.Background()) })
	addrs := map[string]string{"before": startBefore(b, opts), "now": now.Addr()}
	const req = "GET " + klinesQuery + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
	for _, name := range []string{"before", "now"} {
		b.Run("keepalive/"+name, func(b *testing.B) {
			c, err := net.Dial("tcp", addrs[name])
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			br := bufio.NewReader(c)
			for b.Loop() {
				io.WriteString(c, req)
				res, err := http.ReadResponse(br, nil)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
		})
		b.Run("newconn/"+name, func(b *testing.B) {
			for b.Loop() {
				c, err := net.Dial("tcp", addrs[name])
				if err != nil {
					b.Fatal(err)
				}
				io.WriteString(c, req)
				res, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				c.Close()
			}
		})
	}
}

// oldWrap is the layering every mode had before the front routed by host:
// /__admin/ split off by a path prefix, every other request through the
// rate limits, then the network simulation, then h. The direct-request
// tests hold the front's answers to it.
func oldWrap(st *serve.Stack, h http.Handler) http.Handler {
	admin := st.AdminHandler()
	exchange := st.Limiter().Middleware(st.Sim().Middleware(h))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/__admin/") {
			admin.ServeHTTP(w, r)
			return
		}
		exchange.ServeHTTP(w, r)
	})
}
