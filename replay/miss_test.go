package replay_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/record"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/replay/replaytest"
	"github.com/candlecassette/candlecassette/serve"
)

// reply is one HTTP answer in full.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func getFull(t *testing.T, url string) reply {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, b}
}

// candlesPath is the path and query p's clients send for 1m candles of
// BTC-USDT from start, n of them.
func candlesPath(t *testing.T, p plugins.Plugin, start int64, n int) string {
	t.Helper()
	sym := p.Symbol(cc.Pair{Base: "BTC", Quote: "USDT"})
	req, err := p.CandlesRequest(plugins.Query{Symbol: sym, Interval: cc.Interval1m, Start: start, End: start + int64(n-1)*60_000, Limit: n})
	if err != nil {
		t.Fatal(err)
	}
	if req.Method != http.MethodGet {
		t.Skipf("%s lists candles with %s", p.Name(), req.Method)
	}
	return req.URL.RequestURI()
}

// recordCalls records paths through the real recording proxy in front of
// a synthetic exchange and returns the cassette and what was recorded.
func recordCalls(t *testing.T, exchange string, paths ...string) (string, [][]byte) {
	t.Helper()
	var bodies [][]byte
	path := replaytest.Record(t, replay.Options{Exchange: exchange, Pairs: replaytest.DefaultPairs, Seed: 5, Serve: serve.Options{NoRateLimit: true}},
		func(t *testing.T, proxy, _ string) {
			for _, p := range paths {
				a := getFull(t, proxy+p)
				if a.status != 200 {
					t.Fatalf("recording %s: %d %s", p, a.status, a.body)
				}
				bodies = append(bodies, a.body)
			}
		})
	return path, bodies
}

func report(t *testing.T, s *replaytest.Server) *replay.Report {
	t.Helper()
	rep, err := s.Report()
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func missKeys(rep *replay.Report) []string {
	var out []string
	for _, m := range rep.Misses {
		out = append(out, m.Key)
	}
	return out
}

func TestAMissIsWhatNeitherARecordingNorTheWholeIndexAnswers(t *testing.T) {
	p, _ := plugins.Lookup("binance_spot")
	recorded := candlesPath(t, p, winStart, 100)
	cas, bodies := recordCalls(t, p.Name(), recorded, "/api/v3/ping")
	s := replaytest.Replay(t, cas, replay.Options{OnMiss: replay.MissError, Serve: serve.Options{NoRateLimit: true}})

	inside := candlesPath(t, p, winStart+10*60_000, 20)     // wholly in the recorded window
	straddling := candlesPath(t, p, winStart+90*60_000, 20) // its last 10 candles were never recorded
	outside := candlesPath(t, p, winStart+86_400_000, 20)   // a day later
	for _, tt := range []struct {
		name, path string
		hit        bool
	}{
		{"the recorded request is a hit", recorded, true},
		{"a window inside the recorded candles is a hit, from the index", inside, true},
		{"a window partly outside the recording is a miss", straddling, false},
		{"a window wholly outside it is a miss", outside, false},
		{"an endpoint never recorded is a miss", "/api/v3/exchangeInfo", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := getFull(t, s.URL+tt.path)
			miss := a.header.Get(replay.MissHeader)
			if tt.hit {
				if a.status != 200 || miss != "" {
					t.Fatalf("status %d, miss header %q: %s", a.status, miss, a.body)
				}
				return
			}
			if a.status != replay.MissStatus {
				t.Fatalf("status %d, want %d: %s", a.status, replay.MissStatus, a.body)
			}
			if !strings.HasPrefix(miss, "GET "+strings.SplitN(tt.path, "?", 2)[0]) {
				t.Fatalf("miss header %q does not name the request %s", miss, tt.path)
			}
		})
	}
	if a := getFull(t, s.URL+recorded); string(a.body) != string(bodies[0]) {
		t.Fatalf("the recorded request replays another body:\n%s\nvs\n%s", a.body, bodies[0])
	}
	// Each miss is counted once per request, under its normalized key.
	getFull(t, s.URL+outside)
	rep := report(t, s)
	if rep.Served.Exact != 2 || rep.Served.Index != 1 {
		t.Fatalf("served %+v, want 2 exact and 1 from the index", rep.Served)
	}
	if rep.MissesTotal != 4 || len(rep.Misses) != 3 {
		t.Fatalf("misses %d (%v), want 4 of 3 keys", rep.MissesTotal, missKeys(rep))
	}
	if m := rep.Misses[0]; m.Count != 2 || !strings.Contains(m.Key, "startTime=1709337600000") || m.Exchange != "binance_spot" || m.Kind != "rest" {
		t.Fatalf("most frequent miss %+v, want the day-later window twice", m)
	}
	if len(rep.Unused) != 1 || rep.Unused[0].Key != "GET /api/v3/ping" || rep.Unused[0].Recorded != 1 {
		t.Fatalf("unused %+v, want the ping never asked for", rep.Unused)
	}
	// The status shows the same counts under "replay".
	var st struct {
		Replay replay.UsageStatus `json:"replay"`
	}
	s.GetJSON(t, "/__admin/status", &st)
	if st.Replay.OnMiss != replay.MissError || st.Replay.MissesTotal != 4 || st.Replay.Served.Exact != 2 {
		t.Fatalf("status replay section %+v", st.Replay)
	}
}

// lockedBuffer is a log sink the server's goroutines share.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestEachDistinctMissIsLoggedOnce: a miss asked three times and another
// asked once give two log lines, each naming the normalized request (its
// parameters sorted), while the report counts all four.
func TestEachDistinctMissIsLoggedOnce(t *testing.T) {
	p, _ := plugins.Lookup("binance_spot")
	cas, _ := recordCalls(t, p.Name(), candlesPath(t, p, winStart, 10))
	var logs lockedBuffer
	s := replaytest.Replay(t, cas, replay.Options{OnMiss: replay.MissError,
		Serve: serve.Options{NoRateLimit: true, Logger: slog.New(slog.NewTextHandler(&logs, nil))}})
	day := fmt.Sprint(winStart + 86_400_000)
	// The same request with its parameters in another order is the same miss.
	for _, path := range []string{
		"/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=" + day + "&limit=10",
		"/api/v3/klines?limit=10&startTime=" + day + "&interval=1m&symbol=BTCUSDT",
		"/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=" + day + "&limit=10",
		"/api/v3/exchangeInfo",
	} {
		if a := getFull(t, s.URL+path); a.status != replay.MissStatus {
			t.Fatalf("%s: %d, want the miss status", path, a.status)
		}
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if strings.Contains(l, "replay: miss") {
			lines = append(lines, l)
		}
	}
	want := []string{
		`key="GET /api/v3/klines?interval=1m&limit=10&startTime=` + day + `&symbol=BTCUSDT"`,
		`key="GET /api/v3/exchangeInfo"`,
	}
	if len(lines) != len(want) {
		t.Fatalf("%d miss lines, want %d:\n%s", len(lines), len(want), strings.Join(lines, "\n"))
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) || !strings.Contains(lines[i], "on_miss=error") {
			t.Errorf("log line %q, want it to name %s", lines[i], w)
		}
	}
	if rep := report(t, s); rep.MissesTotal != 4 || len(rep.Misses) != 2 || rep.Misses[0].Count != 3 {
		t.Fatalf("report misses %+v (%d), want 3 + 1", rep.Misses, rep.MissesTotal)
	}
}

func TestErrorModeAnswersInEachExchangesOwnErrorShape(t *testing.T) {
	for _, id := range []string{"binance_spot", "okx_spot", "bybit_perpetual", "kraken_spot", "gate_io_spot", "coinbase_advanced_trade"} {
		t.Run(id, func(t *testing.T) {
			p, err := plugins.Lookup(id)
			if err != nil {
				t.Skip(err)
			}
			// Recent enough for every exchange's lookback (Gate's 10000
			// points); the miss is a window before the recording.
			start := time.Now().Add(-3 * time.Hour).Truncate(time.Hour).UnixMilli()
			cas, _ := recordCalls(t, id, candlesPath(t, p, start, 50))
			s := replaytest.Replay(t, cas, replay.Options{OnMiss: replay.MissError, Serve: serve.Options{NoRateLimit: true}})
			miss := candlesPath(t, p, start-2*3_600_000, 50)
			a := getFull(t, s.URL+miss)
			key := a.header.Get(replay.MissHeader)
			want := p.ServerError()
			if mr, ok := p.(plugins.MissReplier); ok {
				want = mr.MissReply(replay.MissMessage(key))
				if !strings.Contains(string(a.body), "startTime=") && !strings.Contains(string(a.body), "after=") && !strings.Contains(string(a.body), "start=") {
					t.Errorf("the error body does not name the request: %s", a.body)
				}
			}
			if a.status != replay.MissStatus {
				t.Fatalf("status %d, want %d", a.status, replay.MissStatus)
			}
			// (Bybit stamps its error bodies with the time.)
			if stamp := regexp.MustCompile(`\d{13}`); stamp.ReplaceAllString(string(a.body), "T") != stamp.ReplaceAllString(string(want.Body), "T") {
				t.Fatalf("body %s, want the exchange's own error body %s", a.body, want.Body)
			}
			if ct := want.Header.Get("Content-Type"); ct != "" && a.header.Get("Content-Type") != ct {
				t.Fatalf("content type %q, want %q", a.header.Get("Content-Type"), ct)
			}
			rep := report(t, s)
			if len(rep.Misses) != 1 || rep.Misses[0].Key != key || key == "" {
				t.Fatalf("header names %q, report %v", key, missKeys(rep))
			}
		})
	}
}

func TestSynthModeServesMissesButStillCountsThem(t *testing.T) {
	p, _ := plugins.Lookup("binance_spot")
	cas, _ := recordCalls(t, p.Name(), candlesPath(t, p, winStart, 10))
	s := replaytest.Replay(t, cas, replay.Options{Serve: serve.Options{NoRateLimit: true}})
	a := getFull(t, s.URL+candlesPath(t, p, winStart+86_400_000, 10))
	if a.status != 200 || a.header.Get(replay.MissHeader) != "" {
		t.Fatalf("synth mode answered a miss %d (%q)", a.status, a.header.Get(replay.MissHeader))
	}
	rep := report(t, s)
	if rep.OnMiss != replay.MissSynth || rep.Served.Synthetic != 1 || rep.MissesTotal != 1 {
		t.Fatalf("report %+v", rep)
	}
	if len(rep.Unused) != 1 {
		t.Fatalf("unused %+v, want the recorded window", rep.Unused)
	}
}

// wsSubscribe dials p's kline stream of sym on base and sends its
// subscription.
func wsSubscribe(t *testing.T, p plugins.Plugin, base, sym string) *websocket.Conn {
	t.Helper()
	ks, ok := p.(plugins.KlineSubscriber)
	if !ok {
		t.Skipf("%s streams no klines", p.Name())
	}
	path, msgs := ks.KlineSubscription(sym, cc.Interval1m)
	c := replaytest.Dial(t, base+path)
	for _, m := range msgs {
		replaytest.Send(t, c, string(m))
	}
	return c
}

func TestErrorModeRefusesAStreamTheCassetteLacks(t *testing.T) {
	for id, errFrame := range map[string]string{
		"binance_spot": "", // Binance says nothing of a stream it cannot serve
		"okx_spot":     `"event":"error"`,
		"bybit_spot":   `"success":false`,
	} {
		t.Run(id, func(t *testing.T) {
			p, _ := plugins.Lookup(id)
			btc, eth := p.Symbol(cc.Pair{Base: "BTC", Quote: "USDT"}), p.Symbol(cc.Pair{Base: "ETH", Quote: "USDT"})
			cas := replaytest.Record(t, replay.Options{Exchange: id, Pairs: replaytest.DefaultPairs, Seed: 5, Serve: serve.Options{NoRateLimit: true}},
				func(t *testing.T, proxy, _ string) {
					c := wsSubscribe(t, p, proxy, btc)
					if !replaytest.ReadUntil(t, c, 20, func(b []byte) bool {
						ups, err := p.DecodeFrame("", b)
						return err == nil && len(ups) > 0
					}) {
						t.Fatal("no kline recorded")
					}
					c.Close()
				})
			s := replaytest.Replay(t, cas, replay.Options{OnMiss: replay.MissError, Speed: 100, Serve: serve.Options{NoRateLimit: true}})

			c := wsSubscribe(t, p, s.URL, eth)
			var frames []string
			var err error
			for {
				c.SetReadDeadline(time.Now().Add(5 * time.Second))
				var b []byte
				if _, b, err = c.ReadMessage(); err != nil {
					break
				}
				frames = append(frames, string(b))
			}
			if errFrame != "" && !strings.Contains(strings.Join(frames, "\n"), errFrame) {
				t.Fatalf("frames %q lack the exchange's subscription error %s", frames, errFrame)
			}
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != replay.MissCloseCode || !strings.Contains(ce.Text, eth) {
				t.Fatalf("connection ended with %v after %q; want close %d naming %s", err, frames, replay.MissCloseCode, eth)
			}
			rep := report(t, s)
			want := "WS " + cassettes.StreamLabel(eth, cc.Interval1m)
			if len(rep.Misses) != 1 || rep.Misses[0].Key != want || rep.Misses[0].Kind != "ws" {
				t.Fatalf("misses %v, want %s", missKeys(rep), want)
			}
			// The recorded stream was never asked for.
			unused := false
			for _, u := range rep.Unused {
				unused = unused || (u.Kind == "ws" && u.Key == "WS "+cassettes.StreamLabel(btc, cc.Interval1m) && u.Recorded > 0)
			}
			if !unused {
				t.Fatalf("unused %+v lacks the recorded stream", rep.Unused)
			}
			// And asking for it is a hit.
			c = wsSubscribe(t, p, s.URL, btc)
			if !replaytest.ReadUntil(t, c, 20, func(b []byte) bool {
				ups, err := p.DecodeFrame("", b)
				return err == nil && len(ups) > 0
			}) {
				t.Fatal("the recorded stream did not replay")
			}
			if rep := report(t, s); rep.Streams.Exact != 1 {
				t.Fatalf("streams %+v", rep.Streams)
			}
		})
	}
}

func TestUpstreamModeAppendsNewEpisodesTheNextReplayServes(t *testing.T) {
	p, _ := plugins.Lookup("binance_spot")
	first, later := candlesPath(t, p, winStart, 30), candlesPath(t, p, winStart+86_400_000, 30)
	cas, _ := recordCalls(t, p.Name(), first)
	// The "real exchange": the same synthetic market, still up.
	up := replaytest.StartWith(t, replay.Options{Exchange: p.Name(), Pairs: replaytest.DefaultPairs, Seed: 5, Serve: serve.Options{NoRateLimit: true}})
	_, want := up.Get(t, later)

	opts := replay.Options{Cassette: cas, OnMiss: replay.MissUpstream, RecordMissing: true,
		Upstreams: map[string]record.Upstream{p.Name(): {REST: up.URL}}, Serve: serve.Options{NoRateLimit: true}}
	srv, err := replay.Start(opts, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// One writer at a time: a second is refused while this one appends.
	if _, err := replay.New(opts); !errors.Is(err, cassettes.ErrLocked) {
		t.Fatalf("a second writer got %v, want ErrLocked", err)
	}
	a := getFull(t, srv.URL()+later)
	if a.status != 200 || string(a.body) != string(want) {
		t.Fatalf("forwarded miss: %d %s\nwant %s", a.status, a.body, want)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rep, err := srv.CloseReport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Served.Upstream != 1 || rep.MissesTotal != 1 || len(rep.Unused) != 1 {
		t.Fatalf("report %+v: want one forwarded miss, the recorded window unused and the appended one not", rep)
	}

	// The next run answers it from the cassette, offline.
	s := replaytest.Replay(t, cas, replay.Options{OnMiss: replay.MissError, Serve: serve.Options{NoRateLimit: true}})
	for _, path := range []string{later, candlesPath(t, p, winStart+86_400_000+5*60_000, 10)} {
		a := getFull(t, s.URL+path)
		if a.status != 200 {
			t.Fatalf("%s after --record-missing: %d %s (%s)", path, a.status, a.body, a.header.Get(replay.MissHeader))
		}
	}
	if a := getFull(t, s.URL+later); string(a.body) != string(want) {
		t.Fatalf("appended answer replays as %s\nwant %s", a.body, want)
	}
	if rep := report(t, s); rep.Served.Exact != 2 || rep.Served.Index != 1 {
		t.Fatalf("served %+v, want the appended request exact and a window inside it from the index", rep.Served)
	}
}

func TestMissOptionsAreChecked(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts replay.Options
		want string
	}{
		{"an unknown mode", replay.Options{Exchange: "binance_spot", OnMiss: "ignore"}, "on-miss"},
		{"error without a cassette", replay.Options{Exchange: "binance_spot", OnMiss: replay.MissError}, "needs a cassette"},
		{"record-missing without upstream", replay.Options{Exchange: "binance_spot", Cassette: "x", OnMiss: replay.MissError, RecordMissing: true}, "record-missing"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := replay.New(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestUpstreamModeStreamsWhatTheCassetteLacksAndAppendsIt(t *testing.T) {
	p, _ := plugins.Lookup("binance_spot")
	btc := p.Symbol(cc.Pair{Base: "BTC", Quote: "USDT"})
	cas, _ := recordCalls(t, p.Name(), candlesPath(t, p, winStart, 10))
	up := replaytest.StartWith(t, replay.Options{Exchange: p.Name(), Pairs: replaytest.DefaultPairs, Seed: 5, Serve: serve.Options{NoRateLimit: true}})
	isKline := func(b []byte) bool {
		ups, err := p.DecodeFrame("", b)
		return err == nil && len(ups) > 0 && ups[0].Symbol == btc
	}

	srv, err := replay.Start(replay.Options{Cassette: cas, OnMiss: replay.MissUpstream, RecordMissing: true,
		Upstreams: map[string]record.Upstream{p.Name(): {REST: up.URL, WS: up.WSURL}}, Serve: serve.Options{NoRateLimit: true}}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := wsSubscribe(t, p, srv.URL(), btc)
	if !replaytest.ReadUntil(t, c, 20, isKline) {
		t.Fatal("no kline from the upstream")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rep, err := srv.CloseReport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Streams.Upstream != 1 || rep.MissesTotal != 1 || rep.Misses[0].Key != "WS "+cassettes.StreamLabel(btc, cc.Interval1m) {
		t.Fatalf("report %+v: want the stream served from the upstream, as a miss", rep)
	}

	// The next run replays the appended stream.
	s := replaytest.Replay(t, cas, replay.Options{OnMiss: replay.MissError, Speed: 100, Serve: serve.Options{NoRateLimit: true}})
	c = wsSubscribe(t, p, s.URL, btc)
	if !replaytest.ReadUntil(t, c, 20, isKline) {
		t.Fatal("the appended stream does not replay")
	}
	if rep := report(t, s); rep.Streams.Exact != 1 || rep.MissesTotal != 0 {
		t.Fatalf("report %+v: want the appended stream a hit", rep)
	}
}
