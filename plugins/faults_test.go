package plugins_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/netsim"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/synth"
)

// bookProto answers "N" by sending book diffs d1..dN of book "B" (their
// checksum corrupted to dK! when asked), then a plain "end". With event
// set, a forced resync sends it and keeps the connection.
type bookProto struct{ event string }

func (p bookProto) Open(s *plugins.Session) error {
	if p.event != "" {
		s.OnResync(func() ([]byte, int, string) { return []byte(p.event), 0, "" })
	}
	return nil
}

func (bookProto) Message(s *plugins.Session, _ int, data []byte) {
	if string(data) == "restart" {
		// Book "B" subscribed, two diffs, then started again: the stream
		// ended, a snapshot, two diffs of the new stream.
		if err := s.Subscribe("B", "BTCUSDT", cc.Interval1s, time.Hour, func(cc.Update) []byte { return nil }); err != nil {
			s.Send([]byte(err.Error()))
		}
		s.SendBookDiff("B", []byte("d1"), nil)
		s.SendBookDiff("B", []byte("d2"), nil)
		s.Unsubscribe("B")
		s.Send([]byte("snapshot"))
		s.SendBookDiff("B", []byte("e1"), nil)
		s.SendBookDiff("B", []byte("e2"), nil)
		s.Send([]byte("end"))
		return
	}
	n, _ := strconv.Atoi(string(data))
	for i := 1; i <= n; i++ {
		s.SendBookDiff("B", fmt.Appendf(nil, "d%d", i), func(b []byte) []byte { return append(slices.Clip(b), '!') })
	}
	s.Send([]byte("end"))
}

// bookStream serves bookProto through a Sim of cfg and returns what a
// client reads after asking for n diffs: the messages up to "end", or up
// to the close, whose code and text end the list ("close 1001 ...").
func bookStream(t *testing.T, cfg string, proto bookProto, n int) ([]string, *netsim.Sim) {
	t.Helper()
	return bookSession(t, cfg, proto, strconv.Itoa(n))
}

// bookSession is bookStream for any first message.
func bookSession(t *testing.T, cfg string, proto bookProto, first string) ([]string, *netsim.Sim) {
	t.Helper()
	c, err := netsim.ParseConfig([]byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	sim, err := netsim.New(netsim.Options{Seed: 1, Config: c})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	pairs := []cc.Pair{{Base: "BTC", Quote: "USDT", Price: 50000, Symbol: "BTCUSDT"}}
	m := synth.New(synth.Options{Pairs: pairs})
	env := &plugins.Env{Market: m, Clock: &cc.Clock{}, Feed: &cc.MarketFeed{Market: m, Clock: &cc.Clock{}}, Pairs: pairs, Hub: plugins.NewHub()}
	pipeline(env, sim, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plugins.ServeWS(env, w, r, proto, plugins.WSOptions{})
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
	conn := dial(t, "ws"+strings.TrimPrefix(srv.URL, "http")+"/ws")
	conn.WriteMessage(websocket.TextMessage, []byte(first))
	var got []string
	for {
		_, b, err := conn.ReadMessage()
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return append(got, fmt.Sprintf("close %d %s", ce.Code, ce.Text)), sim
		}
		if err != nil {
			t.Fatalf("after %v: %v", got, err)
		}
		got = append(got, string(b))
		if string(b) == "end" {
			return got, sim
		}
	}
}

func TestBookDiffFaultsReachTheClient(t *testing.T) {
	for _, tc := range []struct {
		name, cfg string
		want      string
		kind      string
		count     int64
	}{
		{"no fault sends every diff in order", `{}`, "d1 d2 d3 d4 d5 d6 end", "", 0},
		{"a gap drops every third diff", `{"book_gap":{"every":3}}`, "d1 d2 d4 d5 end", netsim.FaultBookGap, 2},
		{"a duplicate sends a diff twice", `{"book_duplicate":{"every":2}}`, "d1 d2 d2 d3 d4 d4 d5 d6 d6 end", netsim.FaultBookDuplicate, 3},
		{"a reorder swaps a diff with the next of its book", `{"book_reorder":{"every":2}}`, "d1 d3 d2 d4 d6 d5 end", netsim.FaultBookReorder, 2},
		{"a corrupt diff carries the plugin's wrong checksum", `{"book_corrupt":{"every":3}}`, "d1 d2 d3! d4 d5 d6! end", netsim.FaultBookCorrupt, 2},
		{"only the route's connections meet its faults", `{"routes":[{"prefix":"/other","book_gap":1}]}`, "d1 d2 d3 d4 d5 d6 end", "", 0},
		{"a resync closes as for a reconnect", `{"resync":{"every":4}}`, "d1 d2 d3 close 1001 reconnect required", netsim.FaultResync, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, sim := bookStream(t, tc.cfg, bookProto{}, 6)
			if s := strings.Join(got, " "); s != tc.want {
				t.Errorf("client read %q, want %q", s, tc.want)
			}
			tot := sim.Stats().ProtocolTotals()
			if tc.kind != "" && tot[tc.kind] != tc.count {
				t.Errorf("counted %v, want %s: %d", tot, tc.kind, tc.count)
			}
			if tc.kind == "" && len(tot) != 0 {
				t.Errorf("counted %v, want none", tot)
			}
		})
	}
}

// A diff held back for reordering belongs to its stream: when the
// subscription ends (a protocol starting the book again), it is dropped,
// not sent after the new stream's start (d2 here; e2 is held in turn,
// with no next diff to follow).
func TestAReorderedDiffEndsWithItsSubscription(t *testing.T) {
	got, _ := bookSession(t, `{"book_reorder":{"every":2}}`, bookProto{}, "restart")
	if s := strings.Join(got, " "); s != "d1 snapshot e1 end" {
		t.Errorf("client read %q, want %q", s, "d1 snapshot e1 end")
	}
}

func TestAResyncEventReplacesTheCloseWhereTheExchangeHasOne(t *testing.T) {
	got, _ := bookStream(t, `{"resync":{"every":3}}`, bookProto{event: "resubscribe"}, 4)
	if s := strings.Join(got, " "); s != "d1 d2 resubscribe d3 d4 end" {
		t.Errorf("client read %q", s)
	}
}

func TestSnapshotTimeIsNowOrStaleByTheAge(t *testing.T) {
	base := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	env := &plugins.Env{Clock: &cc.Clock{Base: base, Start: time.Now(), Speed: 1e-9}, Hub: plugins.NewHub()}
	r := httptest.NewRequest("GET", "/api/v3/depth", nil)
	if got := env.SnapshotTime(r); got.Sub(base).Abs() > time.Millisecond {
		t.Fatalf("without faults: %v, want about %v", got, base)
	}
	sim, err := netsim.New(netsim.Options{Config: netsim.Config{Conditions: netsim.Conditions{
		ProtocolFaults: netsim.ProtocolFaults{StaleSnapshot: netsim.Stale{Age: netsim.Duration(3 * time.Second), Every: 2}}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	env.Hub.SetFaults(sim)
	a, b := env.SnapshotTime(r), env.SnapshotTime(r)
	if a.Sub(base).Abs() > time.Millisecond || base.Sub(b)-3*time.Second > time.Millisecond {
		t.Errorf("snapshots at %v and %v, want now then 3s before", a, b)
	}
}

func TestSkewedClockFollowsTheInstalledSkew(t *testing.T) {
	base := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	real := time.Now()
	clock := &cc.Clock{Base: base, Start: real, Real: func() time.Time { return real }}
	hub := plugins.NewHub()
	skewed := plugins.SkewedClock(clock, hub)
	if !skewed.Now().Equal(base) {
		t.Fatalf("no faults installed: %v", skewed.Now())
	}
	sim, err := netsim.New(netsim.Options{Config: netsim.Config{ClockSkew: netsim.Duration(5 * time.Second)}})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	hub.SetFaults(sim)
	if got := skewed.NowMillis() - base.UnixMilli(); got != 5000 {
		t.Errorf("skewed by %d ms, want 5000", got)
	}
	sim.SetConfig(netsim.Config{ClockSkew: netsim.Duration(-2 * time.Second)})
	if got := skewed.NowMillis() - base.UnixMilli(); got != -2000 {
		t.Errorf("skewed by %d ms after a change, want -2000", got)
	}
	if !clock.Now().Equal(base) {
		t.Errorf("the clock skewed from was changed: %v", clock.Now())
	}
}
