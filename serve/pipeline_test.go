package serve_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/candlecassette/candlecassette/ratelimit"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/serve"
)

// The Stack is its Hub's policy: a WS connection is admitted by the rate
// limits as it is upgraded, refused with the exchange's answer, and gives
// its place back when it ends.
func TestTheStackAdmitsWSConnectionsAndReleasesThemWhenTheyEnd(t *testing.T) {
	srv := start(t, replay.Options{Serve: serve.Options{
		AdjustLimits: func(l *ratelimit.Limits) { l.WSConnsPerIP, l.WSConnAttempts = 1, 0 },
	}})
	url := srv.WSURL() + "/ws/btcusdt@kline_1m"
	first, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, resp, err := websocket.DefaultDialer.Dial(url, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("a second connection from the same IP: %v, %v; want 429 with Retry-After", resp, err)
	}
	if st := srv.Status(); st.RateLimits.WSRefused != 1 {
		t.Fatalf("rate-limit status %+v, want one refused connection", st.RateLimits)
	}
	// The client goes; its session ends and gives its place back.
	first.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var again *websocket.Conn
	for again == nil {
		c, _, err := websocket.DefaultDialer.DialContext(ctx, url, nil)
		switch {
		case err == nil:
			again = c
		case ctx.Err() != nil:
			t.Fatalf("the place of a closed connection was never given back: %v", err)
		default:
			// The server notices the close when its read fails: soon.
			time.Sleep(10 * time.Millisecond)
		}
	}
	again.Close()
}
