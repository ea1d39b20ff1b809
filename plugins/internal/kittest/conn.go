package kittest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
)

// At is a Server for a base URL served elsewhere (a recording proxy, a
// replay server), so the same client helpers work against it. Its Env and
// Plugin are nil.
func At(url string) *Server {
	return &Server{URL: url, WSURL: "ws" + strings.TrimPrefix(url, "http")}
}

// GetJSON fetches path (with query) and decodes the JSON body into v
// unless v is nil; it returns the status and the raw body.
func (s *Server) GetJSON(t testing.TB, path string, v any) (int, []byte) {
	t.Helper()
	resp, err := http.Get(s.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("GET %s: %v in %s", path, err, body)
		}
	}
	return resp.StatusCode, body
}

// Conn opens a bare WS connection to path on s, closed when the test
// ends. Unlike Dial it sets no read deadline: ReadFrame sets one per read.
func (s *Server) Conn(t testing.TB, path string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial(s.WSURL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Send writes msg to c as a text frame.
func Send(t testing.TB, c *websocket.Conn, msg string) {
	t.Helper()
	if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		t.Fatal(err)
	}
}

// ReadFrame returns the next frame on c, failing the test if none comes
// within 5 s, and decodes it as JSON into v unless v is nil.
func ReadFrame(t testing.TB, c *websocket.Conn, v any) []byte {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, data, err := c.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	if v != nil {
		if err := json.Unmarshal(data, v); err != nil {
			t.Fatalf("%v in %s", err, data)
		}
	}
	return data
}

// ExpectSilence fails if c receives anything from 100ms to 500ms from now.
// With a clock at 20× a push is due every 25-50ms; one already in flight
// when an unsubscribe arrived may still land in the first 100ms.
func ExpectSilence(t testing.TB, c *websocket.Conn) {
	t.Helper()
	grace := time.Now().Add(100 * time.Millisecond)
	c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			return
		}
		if time.Now().After(grace) {
			t.Errorf("push after unsubscribe: %s", data)
			return
		}
	}
}

// Frozen is a virtual clock that always reads at.
func Frozen(at time.Time) *cc.Clock {
	return &cc.Clock{Base: at, Start: at, Real: func() time.Time { return at }}
}

// ManualNow is a clock for a rate limiter that moves only when told to;
// it is safe for concurrent use.
type ManualNow struct {
	mu sync.Mutex
	t  time.Time
}

// NewManualNow is a ManualNow reading at.
func NewManualNow(at time.Time) *ManualNow { return &ManualNow{t: at} }

// Now reads the clock.
func (m *ManualNow) Now() time.Time { m.mu.Lock(); defer m.mu.Unlock(); return m.t }

// Add moves the clock by d.
func (m *ManualNow) Add(d time.Duration) {
	m.mu.Lock()
	m.t = m.t.Add(d)
	m.mu.Unlock()
}
