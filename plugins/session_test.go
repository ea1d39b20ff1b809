package plugins_test

import (
	"context"
	"fmt"
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
	"github.com/candlecassette/candlecassette/ratelimit"
	"github.com/candlecassette/candlecassette/synth"
)

// echoProto answers "sub" by subscribing BTCUSDT 1s, "unsub" by
// unsubscribing, anything else by echoing it.
type echoProto struct{}

func (echoProto) Open(s *plugins.Session) error { return s.Send([]byte("welcome")) }

func (echoProto) Message(s *plugins.Session, _ int, data []byte) {
	switch string(data) {
	case "sub":
		err := s.Subscribe("k", "BTCUSDT", cc.Interval1s, time.Second, func(u cc.Update) []byte {
			return []byte("kline " + u.Candle.Close.String())
		})
		if err != nil {
			s.Send([]byte("error " + err.Error()))
		}
	case "unsub":
		if !s.Unsubscribe("k") {
			s.Send([]byte("not subscribed"))
		} else {
			s.Send([]byte("unsubscribed"))
		}
	default:
		s.Send(data)
	}
}

// pipeline makes env's hub give every connection a link of sim (if set)
// and lim (if set).
func pipeline(env *plugins.Env, sim *netsim.Sim, lim plugins.Limit) {
	env.Hub.SetPolicy(func(_ http.ResponseWriter, r *http.Request) (plugins.Pipeline, func(), bool) {
		p := plugins.Pipeline{Limit: lim}
		if sim != nil {
			p.Link = sim.Link(r.URL.Path)
		}
		return p, nil, true
	})
}

func newSim(t testing.TB, c netsim.Conditions) *netsim.Sim {
	t.Helper()
	sim, err := netsim.New(netsim.Options{Seed: 1, Config: netsim.Config{Conditions: c}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	return sim
}

func newWSServer(t *testing.T, opts plugins.WSOptions, sim *netsim.Sim) (*plugins.Env, string) {
	t.Helper()
	pairs := []cc.Pair{{Base: "BTC", Quote: "USDT", Price: 50000, Symbol: "BTCUSDT"}}
	m := synth.New(synth.Options{Pairs: pairs})
	env := &plugins.Env{Market: m, Clock: &cc.Clock{}, Feed: &cc.MarketFeed{Market: m, Clock: &cc.Clock{}}, Pairs: pairs, Hub: plugins.NewHub()}
	pipeline(env, sim, nil)
	return env, serveWS(t, env, echoProto{}, opts) + "/ws"
}

// serveWS serves proto over env's sessions until the test ends, and
// returns its ws:// base URL.
func serveWS(t *testing.T, env *plugins.Env, proto plugins.Protocol, opts plugins.WSOptions) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plugins.ServeWS(env, w, r, proto, opts)
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
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

func dial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	return c
}

func read(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	_, b, err := c.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSessionKeepsOrderAndEchoes(t *testing.T) {
	_, url := newWSServer(t, plugins.WSOptions{}, nil)
	c := dial(t, url)
	if got := read(t, c); got != "welcome" {
		t.Fatalf("first message %q", got)
	}
	for _, m := range []string{"a", "b", "c"} {
		c.WriteMessage(websocket.TextMessage, []byte(m))
	}
	for _, want := range []string{"a", "b", "c"} {
		if got := read(t, c); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}

func TestSessionSubscribePushesAndUnsubscribeStops(t *testing.T) {
	env, url := newWSServer(t, plugins.WSOptions{}, nil)
	c := dial(t, url)
	read(t, c)
	c.WriteMessage(websocket.TextMessage, []byte("sub"))
	if got := read(t, c); !strings.HasPrefix(got, "kline ") {
		t.Fatalf("got %q, want a kline push", got)
	}
	if st := env.Hub.Stats(); st.Connections != 1 || st.Subscriptions != 1 {
		t.Fatalf("hub stats %+v", st)
	}
	c.WriteMessage(websocket.TextMessage, []byte("unsub"))
	for {
		got := read(t, c)
		if got == "unsubscribed" {
			break
		}
		if !strings.HasPrefix(got, "kline ") {
			t.Fatalf("unexpected %q", got)
		}
	}
	c.WriteMessage(websocket.TextMessage, []byte("unsub"))
	if got := read(t, c); got != "not subscribed" {
		t.Fatalf("second unsubscribe answered %q", got)
	}
}

func TestSessionReadTimeoutClosesSilentClient(t *testing.T) {
	_, url := newWSServer(t, plugins.WSOptions{ReadTimeout: 200 * time.Millisecond}, nil)
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Without a read loop the client's library never answers pings; the
	// server must give up on its own.
	time.Sleep(400 * time.Millisecond)
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
				t.Fatal("connection still open after the read timeout")
			}
			return
		}
	}
}

func TestSessionPingsAndPongExtendsDeadline(t *testing.T) {
	_, url := newWSServer(t, plugins.WSOptions{PingEvery: 100 * time.Millisecond, ReadTimeout: time.Second}, nil)
	c := dial(t, url)
	var pings atomic.Int32
	c.SetPingHandler(func(data string) error {
		pings.Add(1)
		return c.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	read(t, c) // welcome
	// Past two read timeouts: only the pongs keep the connection (a
	// read timeout ten pings long, so a busy machine's stall is no loss).
	c.SetReadDeadline(time.Now().Add(2500 * time.Millisecond))
	_, _, err := c.ReadMessage()
	if ne, ok := err.(interface{ Timeout() bool }); !ok || !ne.Timeout() {
		t.Fatalf("a ponging client was disconnected: %v", err)
	}
	if pings.Load() < 5 {
		t.Fatalf("%d pings in 2.5s at a 100ms cadence", pings.Load())
	}
}

func TestSessionsLinkDelaysDropsAndAborts(t *testing.T) {
	sim := newSim(t, netsim.Conditions{Latency: netsim.Duration(150 * time.Millisecond)})
	env, url := newWSServer(t, plugins.WSOptions{}, sim)
	c := dial(t, url)
	start := time.Now()
	read(t, c)
	if d := time.Since(start); d < 140*time.Millisecond {
		t.Fatalf("welcome arrived after %s, want at least the 150ms delay", d)
	}
	sim.SetConfig(netsim.Config{Conditions: netsim.Conditions{Loss: 1}})
	c.WriteMessage(websocket.TextMessage, []byte("lost"))
	time.Sleep(300 * time.Millisecond)
	if st := env.Hub.Stats(); st.MessagesDropped != 1 {
		t.Fatalf("dropped %d messages, want 1", st.MessagesDropped)
	}
	sim.SetConfig(netsim.Config{Conditions: netsim.Conditions{ErrorRate: 1}})
	c.WriteMessage(websocket.TextMessage, []byte("boom"))
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, _, err := c.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseAbnormalClosure) {
		t.Fatalf("want an abnormal close (1006), got %v", err)
	}
}

func TestHubCloseAllSendsCode(t *testing.T) {
	env, url := newWSServer(t, plugins.WSOptions{}, nil)
	c := dial(t, url)
	read(t, c)
	deadline := time.Now().Add(2 * time.Second)
	for env.Hub.Stats().Connections != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := env.Hub.CloseAll(websocket.CloseServiceRestart, "restart"); n != 1 {
		t.Fatalf("closed %d sessions", n)
	}
	_, _, err := c.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseServiceRestart) {
		t.Fatalf("want close 1012, got %v", err)
	}
}

// fakePlugin exists only to exercise the registry.
type fakePlugin struct{ name string }

func (f fakePlugin) Name() string { return f.name }
func (fakePlugin) Defaults() plugins.Defaults {
	return plugins.Defaults{UpstreamREST: "https://api.example.com", UpstreamWS: "wss://ws.example.com", MaxLimit: 500, Intervals: []cc.Interval{cc.Interval1m, cc.Interval1h},
		Hosts: []string{"api.example.com", "ws.example.com"}}
}
func (fakePlugin) Routes() (rest, ws []string) {
	return []string{"/api/klines", "POST /api/token"}, []string{"/ws"}
}
func (fakePlugin) RateLimits() ratelimit.Model {
	return ratelimit.Model{REST: []ratelimit.Window{{Name: "requests", Limit: 10, Period: time.Second}}}
}
func (fakePlugin) Symbol(p cc.Pair) string           { return p.Base + p.Quote }
func (fakePlugin) Handler(*plugins.Env) http.Handler { return http.NotFoundHandler() }
func (fakePlugin) ServerError() plugins.Response {
	return plugins.Response{Status: 500, Body: []byte(`{"error":"internal"}`)}
}
func (fakePlugin) CandlesRequest(plugins.Query) (*http.Request, error) {
	return nil, plugins.ErrNotCandles
}
func (fakePlugin) DecodeCandles(*http.Request, []byte) (plugins.CandleSet, error) {
	return plugins.CandleSet{}, plugins.ErrNotCandles
}
func (fakePlugin) DecodeFrame(string, []byte) ([]cc.Update, error) { return nil, plugins.ErrNotCandles }

func TestRegistry(t *testing.T) {
	plugins.Register(fakePlugin{name: "zz_registry_test"})
	defer plugins.Unregister("zz_registry_test")
	p, err := plugins.Lookup("zz_registry_test")
	if err != nil || p.Name() != "zz_registry_test" {
		t.Fatalf("Lookup = %v, %v", p, err)
	}
	names := plugins.Names()
	for i := 1; i < len(names); i++ {
		if names[i-1] >= names[i] {
			t.Fatalf("Names not sorted: %v", names)
		}
	}
	t.Run("a second Register of the same name panics", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Fatal("registering a name twice did not panic")
			}
		}()
		plugins.Register(fakePlugin{name: "zz_registry_test"})
	})
	t.Run("an unknown name is an error naming it", func(t *testing.T) {
		if _, err := plugins.Lookup("nasdaq"); err == nil || !strings.Contains(err.Error(), "nasdaq") {
			t.Fatalf("Lookup(nasdaq) = %v", err)
		}
	})
}

// floodProto answers "flood K" by subscribing stream K and pushing to it
// as fast as it can, "stop K" by unsubscribing it and acking "stopped",
// anything else by echoing it.
type floodProto struct{}

func (floodProto) Open(*plugins.Session) error { return nil }

func (floodProto) Message(s *plugins.Session, _ int, data []byte) {
	cmd, key, _ := strings.Cut(string(data), " ")
	switch cmd {
	case "flood":
		err := s.Subscribe(key, "BTCUSDT", cc.Interval1s, time.Hour, func(cc.Update) []byte { return nil })
		if err != nil {
			s.Send([]byte("error " + err.Error()))
			return
		}
		s.Send([]byte("flooding"))
		s.Go(func() {
			for s.Context().Err() == nil && s.Push(key, []byte("push")) == nil {
			}
		})
	case "stop":
		s.Unsubscribe(key)
		s.Send([]byte("stopped"))
	default:
		s.Send(data)
	}
}

// TestPushIsExactAgainstUnsubscribe: a stream pushing flat out while the
// client unsubscribes sends nothing after the unsubscribe's reply — a
// Subscribed check then Send let a push that had passed the check out
// after the reply (TestTradeStreamUnsubscribe in binance failed CI so).
func TestPushIsExactAgainstUnsubscribe(t *testing.T) {
	env := &plugins.Env{Clock: &cc.Clock{}, Hub: plugins.NewHub()}
	pairs := []cc.Pair{{Base: "BTC", Quote: "USDT", Price: 50000, Symbol: "BTCUSDT"}}
	m := synth.New(synth.Options{Pairs: pairs})
	env.Market, env.Pairs, env.Feed = m, pairs, &cc.MarketFeed{Market: m, Clock: env.Clock}
	c := dial(t, serveWS(t, env, floodProto{}, plugins.WSOptions{}))
	pushes := 0
	for round := range 200 {
		key := fmt.Sprint(round)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		c.WriteMessage(websocket.TextMessage, []byte("flood "+key))
		if got := read(t, c); got != "flooding" {
			t.Fatalf("round %d: %q", round, got)
		}
		c.WriteMessage(websocket.TextMessage, []byte("stop "+key))
		for {
			got := read(t, c)
			if got == "stopped" {
				break
			}
			if got != "push" {
				t.Fatalf("round %d: %q", round, got)
			}
			pushes++
		}
		c.WriteMessage(websocket.TextMessage, []byte("echo"))
		if got := read(t, c); got != "echo" {
			t.Fatalf("round %d: %q after the unsubscribe's reply", round, got)
		}
	}
	if pushes == 0 {
		t.Fatal("no push at all: the test did not race anything")
	}
	t.Logf("%d pushes before 200 unsubscribes", pushes)
}

// seqProto answers "seq K N" by subscribing stream K and pushing "K 0" to
// "K N-1" to it from a goroutine of its own, in bursts of 25 a few ms
// apart, each after a "mark K i" (i the next push's) that goroutine
// sends, and "done K" at the end; anything else it echoes.
type seqProto struct{}

func (seqProto) Open(*plugins.Session) error { return nil }

func (seqProto) Message(s *plugins.Session, _ int, data []byte) {
	f := strings.Fields(string(data))
	if len(f) != 3 || f[0] != "seq" {
		s.Send(data)
		return
	}
	key := f[1]
	var n int
	fmt.Sscan(f[2], &n)
	if err := s.Subscribe(key, "BTCUSDT", cc.Interval1s, time.Hour, func(cc.Update) []byte { return nil }); err != nil {
		s.Send([]byte("error " + err.Error()))
		return
	}
	s.Go(func() {
		for i := range n {
			if s.Push(key, fmt.Appendf(nil, "%s %d", key, i)) != nil {
				return
			}
			if i%25 == 24 {
				// A pause, then a reply queued: the next push finds the
				// session idle for pushes and must still not overtake
				// the reply (nor what other streams queued).
				time.Sleep(2 * time.Millisecond)
				s.Send(fmt.Appendf(nil, "mark %s %d", key, i+1))
			}
		}
		s.Send([]byte("done " + key))
	})
}

// TestPushesKeepTheirOrder: pushes written by the pushing goroutine
// itself (nothing queued, a link that holds nothing) and pushes and
// replies the write pump writes (queued behind others, or a link with a
// latency) come out in the order each goroutine made them, none lost:
// several streams pushing at once, a reply sent after a stream's last
// push, and echoes of the client's messages between them.
func TestPushesKeepTheirOrder(t *testing.T) {
	for _, tc := range []struct {
		name string
		sim  func(t *testing.T) *netsim.Sim
	}{
		{"no link", func(*testing.T) *netsim.Sim { return nil }},
		{"a perfect network", func(t *testing.T) *netsim.Sim { return newSim(t, netsim.Conditions{}) }},
		{"a 2ms latency", func(t *testing.T) *netsim.Sim {
			return newSim(t, netsim.Conditions{Latency: netsim.Duration(2 * time.Millisecond)})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pairs := []cc.Pair{{Base: "BTC", Quote: "USDT", Price: 50000, Symbol: "BTCUSDT"}}
			m := synth.New(synth.Options{Pairs: pairs})
			env := &plugins.Env{Market: m, Clock: &cc.Clock{}, Feed: &cc.MarketFeed{Market: m, Clock: &cc.Clock{}}, Pairs: pairs, Hub: plugins.NewHub()}
			pipeline(env, tc.sim(t), nil)
			c := dial(t, serveWS(t, env, seqProto{}, plugins.WSOptions{}))
			c.SetReadDeadline(time.Now().Add(20 * time.Second))
			const streams, n, echoes = 4, 500, 50
			for k := range streams {
				c.WriteMessage(websocket.TextMessage, fmt.Appendf(nil, "seq s%d %d", k, n))
			}
			for i := range echoes {
				c.WriteMessage(websocket.TextMessage, fmt.Appendf(nil, "echo %d", i))
			}
			next := map[string]int{}
			done, echoed := 0, 0
			for done < streams || echoed < echoes {
				got := read(t, c)
				var key string
				var i int
				switch {
				case strings.HasPrefix(got, "done "):
					key = strings.TrimPrefix(got, "done ")
					if next[key] != n {
						t.Fatalf("%q after %d of the stream's %d pushes", got, next[key], n)
					}
					done++
				case strings.HasPrefix(got, "mark "):
					fmt.Sscanf(got, "mark %s %d", &key, &i)
					if i != next[key] {
						t.Fatalf("%q after %d of the stream's pushes", got, next[key])
					}
				case strings.HasPrefix(got, "echo "):
					fmt.Sscanf(got, "echo %d", &i)
					if i != echoed {
						t.Fatalf("%q, want echo %d", got, echoed)
					}
					echoed++
				default:
					if _, err := fmt.Sscanf(got, "%s %d", &key, &i); err != nil {
						t.Fatalf("unexpected %q", got)
					}
					if i != next[key] {
						t.Fatalf("%q, want %s %d", got, key, next[key])
					}
					next[key]++
				}
			}
		})
	}
}
