package replaytest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Dial opens a WS connection to url (http:// is turned into ws://) with a
// 10 s read deadline; it is closed when the test ends.
func Dial(t testing.TB, url string) *websocket.Conn {
	t.Helper()
	if strings.HasPrefix(url, "http") {
		url = "ws" + strings.TrimPrefix(url, "http")
	}
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	return c
}

// Conn is Dial to path on s.
func (s *Server) Conn(t testing.TB, path string) *websocket.Conn {
	t.Helper()
	return Dial(t, s.WSURL+path)
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

// ReadUntil reads frames from c until match accepts one or n frames went
// by; it reports whether one matched.
func ReadUntil(t testing.TB, c *websocket.Conn, n int, match func([]byte) bool) bool {
	t.Helper()
	for i := 0; i < n; i++ {
		_, b, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("after %d frames: %v", i, err)
		}
		if match(b) {
			return true
		}
	}
	return false
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

// WS is a WS client bound to its test.
type WS struct {
	t    testing.TB
	Conn *websocket.Conn
}

// Dial opens a WS connection to path on s, closed when the test ends.
func (s *Server) Dial(t testing.TB, path string) *WS {
	t.Helper()
	return &WS{t: t, Conn: s.Conn(t, path)}
}

// Send writes a text frame.
func (w *WS) Send(msg string) {
	w.t.Helper()
	Send(w.t, w.Conn, msg)
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

// ReadJSON reads frames until match accepts one that decodes as a JSON
// object (numbers as json.Number), failing after timeout.
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
