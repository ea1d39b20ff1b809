package plugins_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/netsim"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/synth"
)

// countingLimiter allows the first allow client frames of every
// connection's request path and at most streams streams.
type countingLimiter struct {
	allow   int64
	streams int
	seen    atomic.Int64
}

func (l *countingLimiter) AllowMessage() (bool, int, string) {
	if l.seen.Add(1) > l.allow {
		return false, 4008, "slow down"
	}
	return true, 0, ""
}

func (l *countingLimiter) MaxStreams() int { return l.streams }

// streamProto subscribes "sub KEY" under KEY and echoes anything else.
type streamProto struct{}

func (streamProto) Open(*plugins.Session) error { return nil }

func (streamProto) Message(s *plugins.Session, _ int, data []byte) {
	if key, ok := strings.CutPrefix(string(data), "sub "); ok {
		err := s.Subscribe(key, "BTCUSDT", cc.Interval1m, time.Hour, func(cc.Update) []byte { return nil })
		if errors.Is(err, plugins.ErrTooManyStreams) {
			s.Send([]byte("too many"))
			return
		}
		s.Send([]byte("ok " + key))
		return
	}
	s.Send(data)
}

func limitedServer(t *testing.T, lim *countingLimiter, sim *netsim.Sim) string {
	t.Helper()
	pairs := []cc.Pair{{Base: "BTC", Quote: "USDT", Price: 50000, Symbol: "BTCUSDT"}}
	m := synth.New(synth.Options{Pairs: pairs})
	env := &plugins.Env{Market: m, Clock: &cc.Clock{}, Feed: &cc.MarketFeed{Market: m, Clock: &cc.Clock{}},
		Pairs: pairs, Hub: plugins.NewHub()}
	var limit plugins.Limit
	if lim != nil {
		limit = lim
	}
	pipeline(env, sim, limit)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plugins.ServeWS(env, w, r, streamProto{}, plugins.WSOptions{})
	}))
	t.Cleanup(func() {
		// Shutdown, not CloseAll: it waits for every goroutine the
		// sessions started (a push still encoding), so goleak sees none.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := env.Hub.Shutdown(ctx); err != nil {
			t.Errorf("hub shutdown: %v", err)
		}
		srv.Close()
	})
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"
}

func TestALimiterClosesAClientThatSendsTooMuchWithItsCode(t *testing.T) {
	c := dial(t, limitedServer(t, &countingLimiter{allow: 2}, nil))
	for _, m := range []string{"a", "b", "c", "d"} {
		c.WriteMessage(websocket.TextMessage, []byte(m))
	}
	if got := read(t, c) + read(t, c); got != "ab" {
		t.Fatalf("echoes %q, want the two allowed frames", got)
	}
	_, _, err := c.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != 4008 || ce.Text != "slow down" {
		t.Fatalf("after the limit: %v, want close 4008 \"slow down\"", err)
	}
}

func TestALimiterCapsStreamsPerConnection(t *testing.T) {
	c := dial(t, limitedServer(t, &countingLimiter{allow: 100, streams: 2}, nil))
	// A key already subscribed is a no-op, not a new stream.
	for _, tc := range []struct{ key, want string }{{"a", "ok a"}, {"b", "ok b"}, {"c", "too many"}, {"a", "ok a"}} {
		c.WriteMessage(websocket.TextMessage, []byte("sub "+tc.key))
		if got := read(t, c); got != tc.want {
			t.Fatalf("sub %s: %q, want %q", tc.key, got, tc.want)
		}
	}
}

func TestABandwidthCappedLinkSpacesMessagesByTheirHoldTime(t *testing.T) {
	// 1000 B/s: a millisecond per byte.
	c := dial(t, limitedServer(t, nil, newSim(t, netsim.Conditions{Bandwidth: 1000})))
	msg := strings.Repeat("z", 100) // held 100 ms each
	start := time.Now()
	for range 3 {
		c.WriteMessage(websocket.TextMessage, []byte(msg))
	}
	for range 3 {
		read(t, c)
	}
	// The holds add up: the third message leaves 300 ms after the first
	// was queued, not 100 ms.
	if el := time.Since(start); el < 280*time.Millisecond {
		t.Fatalf("three 100-byte messages at 1 byte/ms took %v, want about 300ms", el)
	}
}

func TestAHubPolicyRefusesAHandshakeBeforeTheUpgradeAndReleasesAfterTheSession(t *testing.T) {
	pairs := []cc.Pair{{Base: "BTC", Quote: "USDT", Price: 50000, Symbol: "BTCUSDT"}}
	m := synth.New(synth.Options{Pairs: pairs})
	env := &plugins.Env{Market: m, Clock: &cc.Clock{}, Feed: &cc.MarketFeed{Market: m, Clock: &cc.Clock{}},
		Pairs: pairs, Hub: plugins.NewHub()}
	var admitted, released atomic.Int64
	env.Hub.SetPolicy(func(w http.ResponseWriter, r *http.Request) (plugins.Pipeline, func(), bool) {
		if r.URL.Query().Get("refuse") != "" {
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"code":-1003}`))
			return plugins.Pipeline{}, nil, false
		}
		admitted.Add(1)
		return plugins.Pipeline{}, func() { released.Add(1) }, true
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plugins.ServeWS(env, w, r, streamProto{}, plugins.WSOptions{})
	}))
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"
	_, resp, err := websocket.DefaultDialer.Dial(url+"?refuse=1", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a refused handshake: %v, %v; want the policy's 429", resp, err)
	}
	c := dial(t, url)
	c.WriteMessage(websocket.TextMessage, []byte("hi"))
	if got := read(t, c); got != "hi" {
		t.Fatalf("echo %q", got)
	}
	if released.Load() != 0 {
		t.Fatal("released while the session runs")
	}
	// Once the hub says every connection is over, each has given back
	// what its admission holds.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := env.Hub.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if admitted.Load() != 1 || released.Load() != 1 {
		t.Fatalf("admitted %d, released %d; want 1 and 1", admitted.Load(), released.Load())
	}
}
