package serve_test

import (
	"context"
	"io"
	"net"
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
// served it until now (h1 without a Front, Stack.Wrap around the
// handler).
func TestDirectRequestsAnswerAsBefore(t *testing.T) {
	ca := newTestCA(t)
	now := newFront(t, ca, serve.Options{}, "binance_spot")
	if err := now.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer now.Close(context.Background())

	p, _ := plugins.Lookup("binance_spot")
	hub := plugins.NewHub()
	st, err := serve.NewStack(p, hub, serve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	before := &h1.Server{Handler: st.Wrap(p.Handler(synthEnv(p, hub))), ReadHeaderTimeout: serve.DefaultReadHeaderTimeout,
		IdleTimeout: serve.DefaultIdleTimeout, MaxConns: serve.DefaultMaxConns}
	done := make(chan struct{})
	go func() { defer close(done); before.Serve(ln) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		before.Shutdown(ctx)
		<-done
		hub.Shutdown(ctx)
		st.Close()
	}()

	got, want := roundTrip(t, now.Addr()), roundTrip(t, ln.Addr().String())
	if testing.Verbose() {
		t.Logf("answers:\n%s", strings.Join(got, "\n----\n"))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%q:\nnow:\n%s\nbefore:\n%s", directRequests[i], got[i], want[i])
		}
	}
}
