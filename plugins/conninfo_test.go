package plugins_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/netsim"
	"github.com/candlecassette/candlecassette/plugins"
)

// bareConn is a Conn that cannot describe itself; describedConn one that
// can. (Not of size zero: two would be one key of the hub's map.)
type bareConn struct{ _ int }

func (*bareConn) CloseWS(int, string) bool { return true }
func (*bareConn) Abort()                   {}
func (*bareConn) Streams() int             { return 0 }

type describedConn struct {
	bareConn
	info plugins.ConnInfo
}

func (c *describedConn) Describe() plugins.ConnInfo { return c.info }

func ids(cs []plugins.ConnInfo) []uint64 {
	var out []uint64
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

func TestHubConnectionsOldestFirst(t *testing.T) {
	h := plugins.NewHub()
	before := time.Now()
	doneA, _ := h.Track(&bareConn{})
	early := before.Add(-time.Hour).UTC()
	// Describe's own ID is not the hub's: the hub numbers connections.
	b := &describedConn{info: plugins.ConnInfo{ID: 99, Path: "/ws/b", Client: "10.0.0.2:1", Opened: early, Subscriptions: []string{"x", "y"}, MessagesSent: 5}}
	doneB, _ := h.Track(b)
	c := &describedConn{info: plugins.ConnInfo{Path: "/ws/c", Opened: early}}
	doneC, _ := h.Track(c)

	got := h.Connections()
	// b and c opened at once, before a was tracked: by ID among them.
	if !slices.Equal(ids(got), []uint64{2, 3, 1}) {
		t.Fatalf("listed %+v, want ids 2, 3, 1", got)
	}
	if g := got[0]; g.Path != "/ws/b" || g.Client != "10.0.0.2:1" || !slices.Equal(g.Subscriptions, []string{"x", "y"}) || g.MessagesSent != 5 {
		t.Errorf("b listed as %+v", g)
	}
	// a says nothing of itself: the time it was tracked, no streams.
	if a := got[2]; a.Opened.Before(before) || a.Opened.After(time.Now()) || a.Subscriptions == nil || len(a.Subscriptions) != 0 || a.Path != "" {
		t.Errorf("a bare connection listed as %+v", a)
	}
	if c := got[1]; c.Subscriptions == nil {
		t.Errorf("no streams listed as nil rather than empty: %+v", c)
	}

	doneB()
	doneD, _ := h.Track(&bareConn{})
	if got := ids(h.Connections()); !slices.Equal(got, []uint64{3, 1, 4}) {
		t.Errorf("after b ended and d opened: ids %v, want 3, 1, 4 (an id is never given twice)", got)
	}
	doneA()
	doneC()
	doneD()
	if got := h.Connections(); len(got) != 0 {
		t.Errorf("all ended, listed %+v", got)
	}
}

// A session describes its path, client, streams and the frames its link
// wrote, dropped and read.
func TestSessionDescribesItself(t *testing.T) {
	env, url := newWSServer(t, plugins.WSOptions{}, newSim(t, netsim.Conditions{Loss: 1}))
	c := dial(t, url)
	// Every frame out is lost: the welcome, the echo and the subscribe's
	// pushes; what the client sends still arrives.
	for _, m := range []string{"hello", "sub"} {
		if err := c.WriteMessage(1, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	var got []plugins.ConnInfo
	deadline := time.Now().Add(5 * time.Second)
	for {
		got = env.Hub.Connections()
		if (len(got) == 1 && got[0].MessagesReceived == 2 && got[0].MessagesDropped >= 2) || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if len(got) != 1 {
		t.Fatalf("one session open, listed %+v", got)
	}
	s := got[0]
	if s.ID != 1 || s.Path != "/ws" || s.Client != c.LocalAddr().String() || s.Upstream != "" || !slices.Equal(s.Subscriptions, []string{"k"}) {
		t.Errorf("session listed as %+v", s)
	}
	if s.MessagesSent != 0 || s.MessagesDropped < 2 || s.MessagesReceived != 2 {
		t.Errorf("counted %d sent, %d dropped, %d received; want 0, at least 2, 2", s.MessagesSent, s.MessagesDropped, s.MessagesReceived)
	}
	if age := time.Since(s.Opened); age < 0 || age > time.Minute || s.Opened.Location() != time.UTC {
		t.Errorf("opened %v", s.Opened)
	}
}

// stuckConn is a connection whose goroutine ignores its close frame and
// ends only when cut (Abort).
type stuckConn struct {
	describedConn
	cut chan struct{}
}

func (c *stuckConn) Abort() { close(c.cut) }

// waitForAbort is the goroutine a stuck connection runs: its name is
// what the shutdown error's goroutine profile must show.
func waitForAbort(c *stuckConn, done func()) {
	<-c.cut
	done()
}

// A Hub whose connection outlives Shutdown's deadline says which it was
// and what its goroutine was waiting for (ShutdownError), then cuts it.
func TestShutdownSaysWhatOutlivedIt(t *testing.T) {
	h := plugins.NewHub()
	c := &stuckConn{describedConn: describedConn{info: plugins.ConnInfo{Path: "/ws/btcusdt@depth", Client: "127.0.0.1:5555", Subscriptions: []string{"btcusdt@depth"}}}, cut: make(chan struct{})}
	done, ok := h.Track(c)
	if !ok {
		t.Fatal("not tracked")
	}
	go waitForAbort(c, done)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := h.Shutdown(ctx)
	var se *plugins.ShutdownError
	if !errors.As(err, &se) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v, want a ShutdownError of the deadline", err)
	}
	if len(se.Open) != 1 || se.Open[0].Path != "/ws/btcusdt@depth" {
		t.Errorf("open: %+v", se.Open)
	}
	for _, want := range []string{"1 WebSocket connections still open", "/ws/btcusdt@depth from 127.0.0.1:5555", "btcusdt@depth", "context deadline exceeded"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	if !strings.Contains(se.Goroutines, "plugins_test.waitForAbort") {
		t.Errorf("the goroutine profile does not show the stuck goroutine:\n%s", se.Goroutines)
	}
	if strings.Contains(err.Error(), "goroutine") {
		t.Errorf("the error carries the profile: %s", err)
	}
}
