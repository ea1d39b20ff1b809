// Package kittest holds test helpers for exchange plugins: a real server
// for one plugin on 127.0.0.1:0 over the synthetic market (Start, or At for
// a server started elsewhere), JSON shape comparison against documented
// examples (Shape, and ShapeDiff/CheckShape against golden files under
// testdata/), WS clients that read frames with a deadline and watch a
// candle through its pushes (WatchClose, FollowCandle), a paging check
// (PagesJoin), a frozen virtual clock and a hand-moved clock for rate
// limiters (with Limited, LimitedHandler and Hammer).
//
// It is imported only by tests. Everything here is safe for parallel
// tests; servers and connections are closed when the test ends.
package kittest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/synth"
)

// Server is a plugin served over the synthetic market.
type Server struct {
	URL    string // http://127.0.0.1:port
	WSURL  string // ws://127.0.0.1:port
	Env    *plugins.Env
	Plugin plugins.Plugin
}

// Start serves plugin name for pairs (nil: BTC-USDT and ETH-USDT) with
// clock (nil: real time) until the test ends.
func Start(t testing.TB, name string, pairs []cc.Pair, clock *cc.Clock) *Server {
	t.Helper()
	p, env := NewEnv(t, name, pairs, clock)
	ts := httptest.NewServer(p.Handler(env))
	t.Cleanup(func() {
		env.Hub.CloseAll(websocket.CloseGoingAway, "test over")
		ts.Close()
	})
	return &Server{URL: ts.URL, WSURL: "ws" + strings.TrimPrefix(ts.URL, "http"), Env: env, Plugin: p}
}

// NewEnv is plugin name and the environment Start serves it in, for
// benchmarks that call its handler without a server: a synthetic market
// (seed 7) of pairs (nil: BTC-USDT and ETH-USDT) spelled the plugin's
// way, with clock (nil: real time).
func NewEnv(t testing.TB, name string, pairs []cc.Pair, clock *cc.Clock) (plugins.Plugin, *plugins.Env) {
	t.Helper()
	p, err := plugins.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	if pairs == nil {
		pairs = []cc.Pair{{Base: "BTC", Quote: "USDT", Price: 50000}, {Base: "ETH", Quote: "USDT", Price: 3000}}
	}
	pairs = append([]cc.Pair(nil), pairs...)
	for i := range pairs {
		pairs[i].Symbol = p.Symbol(pairs[i])
	}
	if clock == nil {
		clock = &cc.Clock{}
	}
	m := synth.New(synth.Options{Exchange: name, Pairs: pairs, Seed: 7})
	env := &plugins.Env{
		Market: m, Feed: &cc.MarketFeed{Market: m, Clock: clock}, Clock: clock,
		Pairs: pairs, Hub: plugins.NewHub(),
	}
	return p, env
}

// Do sends req (relative to the server root) and returns status and body.
func (s *Server) Do(t testing.TB, req *http.Request) (int, []byte) {
	t.Helper()
	return send(t, s.URL, req)
}

// send sends req (relative to a server root) to base and returns status
// and body.
func send(t testing.TB, base string, req *http.Request) (int, []byte) {
	t.Helper()
	u := base + req.URL.RequestURI()
	r2, err := http.NewRequest(req.Method, u, req.Body)
	if err != nil {
		t.Fatal(err)
	}
	r2.Header = req.Header
	resp, err := http.DefaultClient.Do(r2)
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
	req, _ := http.NewRequest(http.MethodGet, path, nil)
	return s.Do(t, req)
}

// Post sends body as JSON to path.
func (s *Server) Post(t testing.TB, path, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return s.Do(t, req)
}

// Shape describes a JSON value's structure: object keys with their shapes,
// array element shapes (of the first element), and scalar kinds.
func Shape(v any) string {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		b.WriteString("{")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "%s:%s", k, Shape(x[k]))
		}
		b.WriteString("}")
		return b.String()
	case []any:
		if len(x) == 0 {
			return "[]"
		}
		// Rows of scalars (candle rows) keep every position.
		if _, scalar := x[0].(map[string]any); !scalar {
			if _, arr := x[0].([]any); !arr {
				parts := make([]string, len(x))
				for i, e := range x {
					parts[i] = Shape(e)
				}
				return "[" + strings.Join(parts, ",") + "]"
			}
		}
		return "[" + Shape(x[0]) + "...]"
	case string:
		return "string"
	case json.Number, float64:
		return "number"
	case bool:
		return "bool"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// ShapeOf decodes b and returns its Shape.
func ShapeOf(t testing.TB, b []byte) string {
	t.Helper()
	var v any
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
	return Shape(v)
}

// WS is a test WS client.
type WS struct {
	t    testing.TB
	Conn *websocket.Conn
}

// Dial opens a WS connection to path on s.
func (s *Server) Dial(t testing.TB, path string) *WS {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial(s.WSURL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &WS{t: t, Conn: c}
}

// Send writes a text frame.
func (w *WS) Send(msg string) {
	w.t.Helper()
	if err := w.Conn.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		w.t.Fatal(err)
	}
}

// Read returns the next data frame, failing the test after timeout.
func (w *WS) Read(timeout time.Duration) (int, []byte) {
	w.t.Helper()
	w.Conn.SetReadDeadline(time.Now().Add(timeout))
	typ, b, err := w.Conn.ReadMessage()
	if err != nil {
		w.t.Fatalf("ws read: %v", err)
	}
	return typ, b
}

// ReadJSON reads text frames until match accepts one (decoded into a map),
// failing after timeout.
func (w *WS) ReadJSON(timeout time.Duration, match func(map[string]any) bool) map[string]any {
	w.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		w.Conn.SetReadDeadline(deadline)
		_, b, err := w.Conn.ReadMessage()
		if err != nil {
			w.t.Fatalf("ws read: %v", err)
		}
		var m map[string]any
		d := json.NewDecoder(strings.NewReader(string(b)))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			continue
		}
		if match(m) {
			return m
		}
	}
}

// FastClock is a virtual clock starting at base and running 60 times
// faster than real time.
func FastClock(base time.Time) *cc.Clock {
	return &cc.Clock{Base: base, Start: time.Now(), Speed: 60}
}

// Context is a test context bounded to 30 s.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
