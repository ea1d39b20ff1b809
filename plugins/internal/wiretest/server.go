package wiretest

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/serve"
)

// Start serves exchange on 127.0.0.1:0 for the test's lifetime with rate
// limits counted but never enforced, so functional tests may send as fast
// as they like. A nil clock means real time.
func Start(t testing.TB, exchange string, pairs []cc.Pair, clock *cc.Clock) *replay.Server {
	t.Helper()
	return StartWith(t, replay.Options{Exchange: exchange, Pairs: pairs, Clock: clock, Seed: 7, Serve: serve.Options{NoRateLimit: true}})
}

// StartWith serves opts on 127.0.0.1:0 for the test's lifetime.
func StartWith(t testing.TB, opts replay.Options) *replay.Server {
	t.Helper()
	srv, err := replay.Start(opts, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Close(ctx)
	})
	return srv
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

// FastClock runs virtual time 60 times faster than real time from base.
func FastClock(base time.Time) *cc.Clock {
	return &cc.Clock{Base: base, Start: time.Now(), Speed: 60}
}
