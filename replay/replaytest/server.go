package replaytest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/serve"
)

// Server is a real replay.Server listening on 127.0.0.1 (embedded: its
// fixture API — SetConditions, SetLimits, Status, Close... — is the
// test's), with its base URLs, plugin and Env at hand.
type Server struct {
	*replay.Server
	URL    string // http://127.0.0.1:port
	WSURL  string // ws://127.0.0.1:port
	Env    *plugins.Env
	Plugin plugins.Plugin
}

// DefaultPairs are the pairs Start serves when given none: BTC-USDT at
// 50000 and ETH-USDT at 3000, which every plugin spells.
var DefaultPairs = []cc.Pair{{Base: "BTC", Quote: "USDT", Price: 50000}, {Base: "ETH", Quote: "USDT", Price: 3000}}

// Start serves exchange synthetically (seed 7) for pairs (nil:
// DefaultPairs) with clock (nil: real time) until the test ends, with
// rate limits counted but never enforced, so functional tests may send as
// fast as they like.
func Start(t testing.TB, exchange string, pairs []cc.Pair, clock *cc.Clock) *Server {
	t.Helper()
	if pairs == nil {
		pairs = DefaultPairs
	}
	return StartWith(t, replay.Options{Exchange: exchange, Pairs: pairs, Clock: clock, Seed: 7, Serve: serve.Options{NoRateLimit: true}})
}

// StartWith serves opts on 127.0.0.1:0 until the test ends: Close waits
// for every session and subscription goroutine.
func StartWith(t testing.TB, opts replay.Options) *Server {
	t.Helper()
	srv, err := replay.Start(opts, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("closing the %s server: %v", srv.Plugin().Name(), err)
		}
	})
	return wrap(srv)
}

func wrap(srv *replay.Server) *Server {
	return &Server{Server: srv, URL: srv.URL(), WSURL: srv.WSURL(), Env: srv.Env(), Plugin: srv.Plugin()}
}

// At is a Server for a base URL served elsewhere (a recording proxy, a
// server of the test's own), so the same client helpers work against it.
// Its replay.Server, Env and Plugin are nil.
func At(url string) *Server {
	return &Server{URL: url, WSURL: "ws" + strings.TrimPrefix(url, "http")}
}

// Do sends req (its path and query taken relative to the server root,
// its body rewound with GetBody when it has one) and returns the status
// and body.
func (s *Server) Do(t testing.TB, req *http.Request) (int, []byte) {
	t.Helper()
	return send(t, s.URL, req)
}

// send sends req (relative to a server root) to base and returns status
// and body.
func send(t testing.TB, base string, req *http.Request) (int, []byte) {
	t.Helper()
	body := req.Body
	if req.GetBody != nil {
		b, err := req.GetBody()
		if err != nil {
			t.Fatal(err)
		}
		body = b
	}
	r2, err := http.NewRequest(req.Method, base+req.URL.RequestURI(), body)
	if err != nil {
		t.Fatal(err)
	}
	r2.Header = req.Header.Clone()
	return roundTrip(t, r2)
}

func roundTrip(t testing.TB, req *http.Request) (int, []byte) {
	t.Helper()
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

// Get fetches path (with query) and returns status and body.
func (s *Server) Get(t testing.TB, path string) (int, []byte) {
	t.Helper()
	return Do(t, http.MethodGet, s.URL+path)
}

// Post sends body as JSON to path.
func (s *Server) Post(t testing.TB, path, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return roundTrip(t, req)
}

// GetJSON fetches path (with query) and decodes the JSON body into v
// unless v is nil; it returns the status and the raw body.
func (s *Server) GetJSON(t testing.TB, path string, v any) (int, []byte) {
	t.Helper()
	status, body := s.Get(t, path)
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("GET %s: %v in %s", path, err, body)
		}
	}
	return status, body
}

// Get fetches base+path and returns the status and body.
func Get(t testing.TB, base, path string) (int, []byte) {
	t.Helper()
	return Do(t, http.MethodGet, base+path)
}

// Do sends a bodiless request and returns the status and body.
func Do(t testing.TB, method, url string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return roundTrip(t, req)
}

// GetJSON fetches base+path, fails the test unless the answer is 200 OK,
// decodes the body into v and returns it.
func GetJSON(t testing.TB, base, path string, v any) []byte {
	t.Helper()
	st, body := Get(t, base, path)
	if st != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, st, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, body)
	}
	return body
}
