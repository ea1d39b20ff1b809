package replay_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/serve"
)

// owned matches the goroutines a server owns for a session — its read
// loop (or the wait at its end), its writer, what it started through
// Session.Go (subscriptions, the protocol's tickers) and the feeds: one of
// them alive after Close returned is a session, a subscription or a feed
// that Close did not wait for. A goroutine past its owner's wait is merely
// unwinding: runnable, not blocked, and not counted (goleak then checks
// that it ends).
var owned = regexp.MustCompile(`plugins\.\(\*Session\)\.(writePump|readLoop)|plugins\.ServeWS\.func|` +
	`created by github\.com/candlecassette/candlecassette/plugins\.\(\*Session\)\.Go|` +
	`created by github\.com/candlecassette/candlecassette\.\(\*MarketFeed\)|` +
	`created by github\.com/candlecassette/candlecassette/replay\.\(\*recordedFeed\)`)

// ownedGoroutines returns the stacks of the blocked goroutines matching
// owned.
func ownedGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		head, _, _ := strings.Cut(g, "\n")
		if strings.Contains(head, "[runnable") || strings.Contains(head, "[running") {
			continue
		}
		if owned.MatchString(g) {
			out = append(out, g)
		}
	}
	return out
}

// The test starts a server, has clients subscribe 20 streams and
// receive from every one, then closes the server with the clients still
// connected.
func TestCloseWaitsForEverySessionAndSubscription(t *testing.T) {
	cases := []struct {
		name string
		opts func(t *testing.T) replay.Options
	}{
		{"synthetic binance_spot", func(*testing.T) replay.Options {
			return replay.Options{Exchange: "binance_spot", Seed: 3}
		}},
		{"a cassette replayed at its recorded pace", func(t *testing.T) replay.Options {
			// A copy: Close must be done with the file when it returns.
			src, err := os.ReadFile(filepath.Join("..", "cassettes", "testdata", "binance_spot.cassette"))
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "c.cassette")
			if err := os.WriteFile(path, src, 0o600); err != nil {
				t.Fatal(err)
			}
			return replay.Options{Cassette: path, Speed: 1}
		}},
		{"synthetic okx_spot (a protocol with its own goroutine per session)", func(*testing.T) replay.Options {
			return replay.Options{Exchange: "okx_spot", Seed: 3, Serve: serve.Options{NoRateLimit: true}} // OKX admits 3 connections a second
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := goleak.IgnoreCurrent()
			opts := tc.opts(t)
			srv, err := replay.Start(opts, "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			clientsDone := subscribeClients(t, srv, 5, 4)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := srv.Close(ctx); err != nil {
				t.Fatalf("Close: %v", err)
			}
			// Right after Close returns, not after a grace period.
			if left := ownedGoroutines(); len(left) > 0 {
				t.Fatalf("%d session/subscription/feed goroutines alive after Close returned; first:\n%s", len(left), left[0])
			}
			if opts.Cassette != "" {
				// The cassette is closed: another writer may take it.
				if err := os.Rename(opts.Cassette, opts.Cassette+".moved"); err != nil {
					t.Fatal(err)
				}
			}
			for i := range 5 {
				select {
				case err := <-clientsDone:
					var ce *websocket.CloseError
					if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
						t.Errorf("client %d ended with %v, want close 1001", i, err)
					}
				case <-time.After(10 * time.Second):
					t.Fatal("a client never saw its connection end")
				}
			}
			goleak.VerifyNone(t, before)
		})
	}
}

// subscribeClients opens n WS clients with k kline streams each, waits
// until every client has received a frame of every stream, and returns a
// channel on which each client's read error arrives when its connection
// ends.
func subscribeClients(t *testing.T, srv *replay.Server, n, k int) <-chan error {
	t.Helper()
	symbols := []string{"btcusdt", "ethusdt"}
	ivs := []string{"1s", "1m", "5m", "1h", "1d"}
	done := make(chan error, n)
	ready := make(chan struct{}, n)
	for c := range n {
		var path, sub string
		var streams []string
		for j := range k {
			streams = append(streams, fmt.Sprintf("%s@kline_%s", symbols[(c+j)%2], ivs[j%len(ivs)]))
		}
		switch srv.Plugin().Name() {
		case "okx_spot":
			path = "/ws/v5/business"
			var args []string
			for j := range k {
				args = append(args, fmt.Sprintf(`{"channel":"candle%s","instId":"%s"}`,
					[]string{"1s", "1m", "5m", "1H", "1D"}[j%5], []string{"BTC-USDT", "ETH-USDT"}[(c+j)%2]))
			}
			sub = `{"op":"subscribe","args":[` + strings.Join(args, ",") + `]}`
		default:
			path = "/stream?streams=" + strings.Join(streams, "/")
		}
		conn, _, err := websocket.DefaultDialer.Dial(srv.WSURL()+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		if sub != "" {
			if err := conn.WriteMessage(websocket.TextMessage, []byte(sub)); err != nil {
				t.Fatal(err)
			}
		}
		go func() {
			seen := map[string]bool{}
			signalled := false
			for {
				_, msg, err := conn.ReadMessage()
				if err != nil {
					done <- err
					return
				}
				for _, s := range streamNames(string(msg)) {
					seen[s] = true
				}
				if !signalled && len(seen) >= k {
					signalled = true
					ready <- struct{}{}
				}
			}
		}()
	}
	for range n {
		select {
		case <-ready:
		case err := <-done:
			t.Fatalf("a client's connection ended before all its streams pushed: %v", err)
		case <-time.After(20 * time.Second):
			t.Fatal("not every stream pushed within 20 s")
		}
	}
	return done
}

var streamField = regexp.MustCompile(`"stream":"([^"]+)"|"channel":"(candle[^"]+)","instId":"([^"]+)"`)

// streamNames lists the streams a data frame belongs to (Binance's
// combined "stream", OKX's arg channel+instId); acks name none.
func streamNames(msg string) []string {
	if strings.Contains(msg, `"event"`) {
		return nil
	}
	var out []string
	for _, m := range streamField.FindAllStringSubmatch(msg, -1) {
		out = append(out, m[1]+m[2]+m[3])
	}
	return out
}
