package replay_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/netsim"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/ratelimit"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/replay/replaytest"
	"github.com/candlecassette/candlecassette/serve"
)

// stackExchange is a tiny test-only exchange: GET /api/ping (weight 1),
// GET /api/heavy (weight 5), and an echo WS at /ws whose "sub N" subscribes
// N streams. It declares a Binance-like rate-limit model.
type stackExchange struct{}

const stackExchangeName = "zz_replay_stack_test"

func init() { plugins.Register(stackExchange{}) }

var errorBody = `{"code":-1001,"msg":"Internal error; unable to process your request. Please try again."}`

func (stackExchange) Name() string { return stackExchangeName }
func (stackExchange) Defaults() plugins.Defaults {
	return plugins.Defaults{UpstreamREST: "http://127.0.0.1:1", UpstreamWS: "ws://127.0.0.1:1", MaxLimit: 1000, Intervals: []cc.Interval{cc.Interval1m}}
}
func (stackExchange) Routes() (rest, ws []string) {
	return []string{"/api/ping", "/api/heavy"}, []string{"/ws"}
}
func (stackExchange) Symbol(p cc.Pair) string { return p.Base + p.Quote }
func (stackExchange) CandlesRequest(plugins.Query) (*http.Request, error) {
	return nil, errors.New("not implemented")
}
func (stackExchange) DecodeCandles(*http.Request, []byte) (plugins.CandleSet, error) {
	return plugins.CandleSet{}, plugins.ErrNotCandles
}
func (stackExchange) DecodeFrame(string, []byte) ([]cc.Update, error) {
	return nil, plugins.ErrNotCandles
}
func (stackExchange) ServerError() plugins.Response {
	return plugins.Response{Status: 500, Header: http.Header{"Content-Type": {"application/json;charset=UTF-8"}}, Body: []byte(errorBody)}
}

func (stackExchange) RateLimits() ratelimit.Model {
	return ratelimit.Model{
		REST:        []ratelimit.Window{{Name: "REQUEST_WEIGHT", Limit: 6000, Period: time.Minute, Aligned: true}},
		Weight:      ratelimit.ByPath(map[string]int{"/api/heavy": 5}, 1),
		UsedHeaders: func(p time.Duration) []string { return []string{"X-MBX-USED-WEIGHT-" + ratelimit.IntervalTag(p)} },
		Refuse: func(f ratelimit.Refusal) ratelimit.Response {
			return ratelimit.Response{Body: fmt.Appendf(nil, `{"code":-1003,"msg":"Too many requests; current limit of IP(%s) request weight per minute is %d."}`, f.IP, f.Window.Limit)}
		},
		Ban: &ratelimit.Ban{After: 3, Durations: []time.Duration{2 * time.Minute}},
		WS:  ratelimit.WSModel{MessageRate: 5, CloseCode: 1008, CloseReason: "Too many requests", MaxStreams: 3},
	}
}

func (stackExchange) Handler(env *plugins.Env) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/ping", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "{}") })
	mux.HandleFunc("GET /api/heavy", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "{}") })
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		plugins.ServeWS(env, w, r, echoProto{}, plugins.WSOptions{})
	})
	return mux
}

type echoProto struct{}

func (echoProto) Open(*plugins.Session) error { return nil }
func (echoProto) Message(s *plugins.Session, _ int, data []byte) {
	if n, ok := strings.CutPrefix(string(data), "sub "); ok {
		k, _ := strconv.Atoi(n)
		for i := range k {
			err := s.Subscribe(fmt.Sprint("s", i), "BTCUSDT", cc.Interval1m, time.Hour, func(cc.Update) []byte { return nil })
			if err != nil {
				s.Send([]byte("error " + err.Error()))
				return
			}
		}
		s.Send([]byte("subscribed"))
		return
	}
	s.Send(data)
}

func start(t *testing.T, opts replay.Options) *replay.Server {
	t.Helper()
	opts.Exchange = stackExchangeName
	opts.Pairs = []cc.Pair{{Base: "BTC", Quote: "USDT", Price: 50000}}
	return replaytest.StartWith(t, opts).Server
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// trimmedMean is the mean of ds without its lowest and highest tenth, so a
// scheduling hiccup on a busy machine does not move it; for a latency
// symmetric around its mean it is that mean.
func trimmedMean(ds []time.Duration) time.Duration {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	cut := len(ds) / 10
	ds = ds[cut : len(ds)-cut]
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}

func TestRESTAndWSLatencyMeasuredFromOutside(t *testing.T) {
	fast := start(t, replay.Options{})
	slow := start(t, replay.Options{
		Serve: serve.Options{Conditions: netsim.Config{Conditions: netsim.Conditions{
			Latency: netsim.Duration(100 * time.Millisecond), Jitter: netsim.Duration(10 * time.Millisecond)}}},
	})
	// Requests to the two servers alternate, so a busy machine slows both
	// alike.
	var mu sync.Mutex
	var slowRT, fastRT []time.Duration
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				for _, srv := range []*replay.Server{slow, fast} {
					t0 := time.Now()
					resp, err := http.Get(srv.URL() + "/api/ping")
					if err != nil {
						t.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					d := time.Since(t0)
					mu.Lock()
					if srv == slow {
						slowRT = append(slowRT, d)
					} else {
						fastRT = append(fastRT, d)
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	added := trimmedMean(slowRT) - trimmedMean(fastRT)
	t.Logf("REST added latency %v", added)
	if math.Abs(float64(added-100*time.Millisecond)) > float64(5*time.Millisecond) {
		t.Errorf("REST mean added latency %v, want 100ms ± 5ms", added)
	}

	// WS: an echo round trip on each server in turn, under the 5 msg/s
	// limit.
	cs, cf := dial(t, slow), dial(t, fast)
	var wsSlow, wsFast []time.Duration
	for i := range 30 {
		for _, c := range []*websocket.Conn{cs, cf} {
			t0 := time.Now()
			if err := c.WriteMessage(websocket.TextMessage, []byte(fmt.Sprint(i))); err != nil {
				t.Fatal(err)
			}
			if _, got, err := c.ReadMessage(); err != nil || string(got) != fmt.Sprint(i) {
				t.Fatalf("echo %d: %q %v", i, got, err)
			}
			if c == cs {
				wsSlow = append(wsSlow, time.Since(t0))
			} else {
				wsFast = append(wsFast, time.Since(t0))
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	added = trimmedMean(wsSlow) - trimmedMean(wsFast)
	t.Logf("WS added latency %v", added)
	if math.Abs(float64(added-100*time.Millisecond)) > float64(5*time.Millisecond) {
		t.Errorf("WS mean added latency %v, want 100ms ± 5ms", added)
	}
}

func TestErrorRateServesTheExchangesOwnBody(t *testing.T) {
	srv := start(t, replay.Options{Seed: 3, Serve: serve.Options{NoRateLimit: true, Conditions: netsim.Config{Conditions: netsim.Conditions{ErrorRate: 0.3}}}})
	const n = 2000
	errs := 0
	for range n {
		resp, body := get(t, srv.URL()+"/api/ping")
		if resp.StatusCode == 500 {
			errs++
			if body != errorBody || resp.Header.Get("Content-Type") != "application/json;charset=UTF-8" {
				t.Fatalf("error answer %q (%s) is not the exchange's", body, resp.Header.Get("Content-Type"))
			}
		} else if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	frac, sigma := float64(errs)/n, math.Sqrt(0.3*0.7/n)
	t.Logf("error fraction %.4f", frac)
	if math.Abs(frac-0.3) > 3*sigma {
		t.Errorf("error fraction %.4f, want 0.3 ± %.4f", frac, 3*sigma)
	}
	if st := srv.Status(); st.Faults.Errors != int64(errs) || st.Requests != n {
		t.Errorf("status %+v", st)
	}
}

func TestRestLimitRefusesTheEleventhRequestWithRetryAfter(t *testing.T) {
	srv := start(t, replay.Options{
		Serve: serve.Options{AdjustLimits: func(l *ratelimit.Limits) {
			l.RESTLimit, l.RESTPeriod, l.RESTWeighted = 10, ratelimit.Duration(time.Minute), false
		}},
	})
	for i := 1; i <= 10; i++ {
		resp, _ := get(t, srv.URL()+"/api/heavy")
		if resp.StatusCode != 200 || resp.Header.Get("X-MBX-USED-WEIGHT-1M") != strconv.Itoa(i) {
			t.Fatalf("request %d: %d used %q", i, resp.StatusCode, resp.Header.Get("X-MBX-USED-WEIGHT-1M"))
		}
	}
	resp, body := get(t, srv.URL()+"/api/heavy")
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("eleventh: %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if ra, _ := strconv.Atoi(resp.Header.Get("Retry-After")); ra < 1 || ra > 60 {
		t.Errorf("Retry-After %d, want 1..60", ra)
	}
	if want := `{"code":-1003,"msg":"Too many requests; current limit of IP(127.0.0.1) request weight per minute is 10."}`; body != want {
		t.Errorf("body %s", body)
	}
	// Clients that keep going are banned (418).
	var last int
	for range 4 {
		r, _ := get(t, srv.URL()+"/api/ping")
		last = r.StatusCode
	}
	if last != 418 {
		t.Errorf("after ignoring 429s: %d, want 418", last)
	}
	// The admin API is exempt.
	if r, _ := get(t, srv.URL()+"/__admin/status"); r.StatusCode != 200 {
		t.Errorf("admin status while banned: %d", r.StatusCode)
	}
}

func TestWeightsFollowTheModel(t *testing.T) {
	srv := start(t, replay.Options{})
	want := []string{"1", "6", "7"}
	for i, p := range []string{"/api/ping", "/api/heavy", "/api/ping"} {
		resp, _ := get(t, srv.URL()+p)
		if got := resp.Header.Get("X-MBX-USED-WEIGHT-1M"); got != want[i] {
			t.Fatalf("%s: used %q, want %s", p, got, want[i])
		}
	}
}

type admin struct {
	t     *testing.T
	base  string
	token string
}

func (a admin) do(method, path, body string) (int, string) {
	a.t.Helper()
	req, _ := http.NewRequest(method, a.base+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestAdminChangesTakeEffectOnTheNextRequest(t *testing.T) {
	srv := start(t, replay.Options{})
	a := admin{t: t, base: srv.URL()}
	if r, _ := get(t, srv.URL()+"/api/ping"); r.StatusCode != 200 {
		t.Fatal(r.StatusCode)
	}
	if code, body := a.do("PUT", "/__admin/conditions", `{"error_rate":1}`); code != 200 || !strings.Contains(body, `"error_rate":1`) {
		t.Fatalf("PUT conditions: %d %s", code, body)
	}
	if r, body := get(t, srv.URL()+"/api/ping"); r.StatusCode != 500 || body != errorBody {
		t.Fatalf("after error_rate 1: %d %s", r.StatusCode, body)
	}
	// A PUT replaces only the fields it names.
	a.do("PUT", "/__admin/conditions", `{"latency":"30ms"}`)
	_, body := a.do("GET", "/__admin/conditions", "")
	var c netsim.Config
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		t.Fatal(err)
	}
	if c.ErrorRate != 1 || time.Duration(c.Latency) != 30*time.Millisecond || c.LossMode != "drop" {
		t.Fatalf("conditions after two PUTs: %s", body)
	}
	a.do("PUT", "/__admin/conditions", `{"error_rate":0,"latency":"0s"}`)
	if code, body := a.do("PUT", "/__admin/limits", `{"rest_limit":1,"rest_period":"1m"}`); code != 200 || !strings.Contains(body, `"rest_limit":1`) {
		t.Fatalf("PUT limits: %d %s", code, body)
	}
	if r, _ := get(t, srv.URL()+"/api/ping"); r.StatusCode != 429 {
		t.Fatalf("after rest_limit 1: %d, want 429", r.StatusCode)
	}
	var lim ratelimit.Limits
	_, body = a.do("GET", "/__admin/limits", "")
	json.Unmarshal([]byte(body), &lim)
	if lim.WSLimit != 5 || lim.RESTLimit != 1 || time.Duration(lim.RESTPeriod) != time.Minute {
		t.Errorf("limits %s: the PUT changed fields it did not name", body)
	}
	if code, _ := a.do("POST", "/__admin/reset", ""); code != 200 {
		t.Fatal(code)
	}
	a.do("PUT", "/__admin/limits", `{"rest_limit":6000}`)
	if r, _ := get(t, srv.URL()+"/api/ping"); r.StatusCode != 200 || r.Header.Get("X-MBX-USED-WEIGHT-1M") != "1" {
		t.Fatalf("after reset: %d used %s", r.StatusCode, r.Header.Get("X-MBX-USED-WEIGHT-1M"))
	}
	var st serve.Status
	_, body = a.do("GET", "/__admin/status", "")
	if err := json.Unmarshal([]byte(body), &st); err != nil || st.Exchange != stackExchangeName || st.Requests != 1 {
		t.Errorf("status %s", body)
	}
}

func TestAdminBadInputGets400(t *testing.T) {
	srv := start(t, replay.Options{})
	a := admin{t: t, base: srv.URL()}
	for _, tc := range []struct{ method, path, body string }{
		{"PUT", "/__admin/conditions", `{"latency":"soon"}`},
		{"PUT", "/__admin/conditions", `{"loss":2}`},
		{"PUT", "/__admin/conditions", `{"loss_mode":"explode"}`},
		{"PUT", "/__admin/conditions", `{"no_such_field":1}`},
		{"PUT", "/__admin/conditions", `not json`},
		{"PUT", "/__admin/limits", `{"rest_limit":-1}`},
		{"PUT", "/__admin/limits", `{"rest_period":"forever"}`},
		{"PUT", "/__admin/limits", ``},
		{"POST", "/__admin/disconnect", `{"code":7}`},
	} {
		code, body := a.do(tc.method, tc.path, tc.body)
		var msg struct{ Error string }
		if code != 400 || json.Unmarshal([]byte(body), &msg) != nil || msg.Error == "" {
			t.Errorf("%s %s %s: %d %s, want 400 with a JSON message", tc.method, tc.path, tc.body, code, body)
		}
	}
	_, body := a.do("GET", "/__admin/conditions", "")
	if !strings.Contains(body, `"loss":0`) {
		t.Errorf("bad input changed the conditions: %s", body)
	}
}

func TestAdminTokenIsRequired(t *testing.T) {
	srv := start(t, replay.Options{Serve: serve.Options{AdminToken: "s3cret"}})
	for _, tok := range []string{"", "wrong"} {
		if code, _ := (admin{t: t, base: srv.URL(), token: tok}).do("GET", "/__admin/status", ""); code != 401 {
			t.Errorf("token %q: %d, want 401", tok, code)
		}
	}
	if code, _ := (admin{t: t, base: srv.URL(), token: "s3cret"}).do("GET", "/__admin/status", ""); code != 200 {
		t.Errorf("right token: %d", code)
	}
	if r, _ := get(t, srv.URL()+"/api/ping"); r.StatusCode != 200 {
		t.Errorf("the exchange API needs no token: %d", r.StatusCode)
	}
}

func dial(t *testing.T, srv *replay.Server) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial(srv.WSURL()+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestWSClientsOverTheMessageRateAreDisconnected(t *testing.T) {
	srv := start(t, replay.Options{})
	c := dial(t, srv)
	for i := range 20 {
		c.WriteMessage(websocket.TextMessage, []byte(fmt.Sprint(i)))
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var err error
	n := 0
	for err == nil {
		_, _, err = c.ReadMessage()
		n++
	}
	if !websocket.IsCloseError(err, 1008) || n > 8 { // 5 at once, a token per 200 ms after
		t.Fatalf("after %d echoes: %v, want close 1008 after at most 5", n-1, err)
	}
	if st := srv.Status(); st.RateLimits.WSLimited != 1 {
		t.Errorf("ws_limited %d", st.RateLimits.WSLimited)
	}
}

func TestWSStreamsPerConnectionAreCapped(t *testing.T) {
	srv := start(t, replay.Options{})
	c := dial(t, srv)
	c.WriteMessage(websocket.TextMessage, []byte("sub 3"))
	if _, m, _ := c.ReadMessage(); string(m) != "subscribed" {
		t.Fatalf("3 streams: %s", m)
	}
	srv.SetLimits(func() ratelimit.Limits { l := srv.Limits(); l.WSStreams = 2; return l }())
	c2 := dial(t, srv)
	c2.WriteMessage(websocket.TextMessage, []byte("sub 3"))
	if _, m, _ := c2.ReadMessage(); !bytes.Contains(m, []byte(plugins.ErrTooManyStreams.Error())) {
		t.Fatalf("3 streams over a cap of 2: %s", m)
	}
}

func TestDisconnectClosesEveryWSClient(t *testing.T) {
	srv := start(t, replay.Options{})
	conns := []*websocket.Conn{dial(t, srv), dial(t, srv)}
	for _, c := range conns {
		c.WriteMessage(websocket.TextMessage, []byte("hi"))
		c.ReadMessage()
	}
	code, body := admin{t: t, base: srv.URL()}.do("POST", "/__admin/disconnect", `{"code":1001}`)
	if code != 200 || body != "{\"closed\":2}\n" {
		t.Fatalf("disconnect: %d %s", code, body)
	}
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, _, err := c.ReadMessage(); !websocket.IsCloseError(err, 1001) {
			t.Errorf("read after disconnect: %v, want close 1001", err)
		}
	}
	c := dial(t, srv)
	c.WriteMessage(websocket.TextMessage, []byte("hi"))
	c.ReadMessage()
	if n := srv.DisconnectAll(0); n != 1 {
		t.Fatalf("DisconnectAll closed %d", n)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := c.ReadMessage(); !websocket.IsUnexpectedCloseError(err) && !strings.Contains(fmt.Sprint(err), "1006") {
		t.Errorf("after an abnormal disconnect: %v, want 1006", err)
	}
}

func TestHungRequestsAreReleasedWhenTheServerCloses(t *testing.T) {
	srv, err := replay.Start(replay.Options{
		Exchange: stackExchangeName,
		Serve:    serve.Options{Conditions: netsim.Config{Conditions: netsim.Conditions{Loss: 1, LossMode: netsim.LossHang}}},
	}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Get(srv.URL() + "/api/ping")
		done <- err
	}()
	for srv.Status().Faults.Hung < 1 {
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case <-done:
		t.Fatal("a hung request returned before the server closed")
	case <-time.After(200 * time.Millisecond):
	}
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if el := time.Since(t0); el > 3*time.Second {
		t.Errorf("Close took %v with a hung request", el)
	}
	if err := <-done; err == nil {
		t.Error("the hung request got a response")
	}
}

func TestScheduledDisconnectsAndOutagesReachWSClients(t *testing.T) {
	srv := start(t, replay.Options{
		Serve: serve.Options{Conditions: netsim.Config{
			Disconnects: []netsim.Disconnect{{At: netsim.When{Offset: 100 * time.Millisecond}, Code: 1012}},
		}},
	})
	c := dial(t, srv)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := c.ReadMessage(); !websocket.IsCloseError(err, 1012) {
		t.Fatalf("scheduled disconnect: %v, want close 1012", err)
	}
	// An outage cuts live connections, refuses new ones and loses REST.
	c = dial(t, srv)
	c.WriteMessage(websocket.TextMessage, []byte("registered?"))
	if _, m, err := c.ReadMessage(); err != nil || string(m) != "registered?" {
		t.Fatalf("echo before the outage: %q %v", m, err)
	}
	if err := srv.PatchConditions([]byte(`{"outages":[{"at":"0s","duration":"1s"}]}`)); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := c.ReadMessage(); err == nil || websocket.IsCloseError(err, 1000, 1001, 1012) {
		t.Fatalf("outage start: %v, want the connection cut without a close frame", err)
	}
	if _, _, err := websocket.DefaultDialer.Dial(srv.WSURL()+"/ws", nil); err == nil {
		t.Fatal("a WS handshake succeeded during the outage")
	}
	if _, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Get(srv.URL() + "/api/ping"); err == nil {
		t.Fatal("a REST request was answered during the outage")
	}
	time.Sleep(1100 * time.Millisecond)
	if r, _ := get(t, srv.URL()+"/api/ping"); r.StatusCode != 200 {
		t.Fatalf("after the outage: %d", r.StatusCode)
	}
}

// fakeConn is a WS connection of the hub's that records how it was closed.
type fakeConn struct{ code int }

func (c *fakeConn) CloseWS(code int, _ string) bool { c.code = code; return true }
func (c *fakeConn) Abort()                          { c.code = 1006 }
func (c *fakeConn) Streams() int                    { return 2 }

func TestTheFrontDisconnectsEveryConnectionOfItsHub(t *testing.T) {
	p, err := plugins.Lookup(stackExchangeName)
	if err != nil {
		t.Fatal(err)
	}
	front, err := serve.New(p, serve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	conns := []*fakeConn{{}, {}, {}}
	for _, c := range conns {
		done, ok := front.Hub().Track(c)
		if !ok {
			t.Fatal("a live hub refused a connection")
		}
		defer done()
	}
	if st := front.Status(); st.WS.Connections != 3 || st.WS.Subscriptions != 6 {
		t.Errorf("status counts %+v, want 3 connections with 6 streams", st.WS)
	}
	if n := front.DisconnectAll(1001); n != 3 {
		t.Fatalf("DisconnectAll closed %d, want 3", n)
	}
	for i, c := range conns {
		if c.code != 1001 {
			t.Errorf("connection %d closed with %d, want 1001", i, c.code)
		}
	}
	front.Stack.Close()
	if _, err := serve.New(p, serve.Options{Limits: &ratelimit.Limits{RESTLimit: 5}}); err == nil {
		t.Error("limits without a period were accepted")
	}
	if _, err := serve.New(p, serve.Options{Conditions: netsim.Config{Conditions: netsim.Conditions{Loss: 3}}}); err == nil {
		t.Error("a loss of 3 was accepted")
	}
}

func TestWSLossDropsMessagesAndErrorsCutTheConnection(t *testing.T) {
	srv := start(t, replay.Options{})
	c := dial(t, srv)
	c.WriteMessage(websocket.TextMessage, []byte("before"))
	if _, m, _ := c.ReadMessage(); string(m) != "before" {
		t.Fatalf("echo %q", m)
	}
	if err := srv.PatchConditions([]byte(`{"routes":[{"prefix":"/ws","loss":1}]}`)); err != nil {
		t.Fatal(err)
	}
	c.WriteMessage(websocket.TextMessage, []byte("lost"))
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, m, err := c.ReadMessage(); err == nil {
		t.Fatalf("a message got through loss 1: %q", m)
	}
	if st := srv.Status(); st.Faults.WSDropped != 1 || st.WS.MessagesDropped != 1 {
		t.Errorf("dropped: faults %d, hub %d; want 1", st.Faults.WSDropped, st.WS.MessagesDropped)
	}
	// REST is untouched by a /ws route.
	if r, _ := get(t, srv.URL()+"/api/ping"); r.StatusCode != 200 {
		t.Fatalf("REST under a /ws route: %d", r.StatusCode)
	}
	srv.PatchConditions([]byte(`{"routes":[{"prefix":"/ws","error_rate":1}]}`))
	c2 := dial(t, srv)
	c2.WriteMessage(websocket.TextMessage, []byte("boom"))
	c2.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err := c2.ReadMessage()
	var ce *websocket.CloseError
	if err == nil || (errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure) {
		t.Fatalf("error rate 1: %v, want the connection cut (1006)", err)
	}
	if st := srv.Status(); st.Faults.WSAborted != 1 {
		t.Errorf("aborted %d, want 1", st.Faults.WSAborted)
	}
}
