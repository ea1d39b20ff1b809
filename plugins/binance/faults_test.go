package binance_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// A forced resync on the spot WebSocket API is its serverShutdown event
// (in the connection's time unit), then a close.
func TestAForcedResyncOnTheWSAPIIsItsServerShutdownEvent(t *testing.T) {
	for _, tc := range []struct{ query, at string }{
		{"", strconv.FormatInt(fixedNow.UnixMilli(), 10)},
		{"?timeUnit=MICROSECOND", strconv.FormatInt(fixedNow.UnixMilli()*1000, 10)},
	} {
		srv := replaytest.Start(t, "binance_spot", nil, replaytest.Clock(fixedNow, 0))
		if err := srv.PatchConditions([]byte(`{"resync":{"every":2}}`)); err != nil {
			t.Fatal(err)
		}
		c := srv.Conn(t, "/ws-api/v3"+tc.query)
		send(t, c, `{"id":1,"method":"ping"}`)
		read(t, c)
		send(t, c, `{"id":2,"method":"ping"}`)
		if got, want := string(read(t, c)), `{"event":{"e":"serverShutdown","E":`+tc.at+`}}`; got != want {
			t.Errorf("%s: %s, want %s", tc.query, got, want)
		}
		_, _, err := c.ReadMessage()
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
			t.Errorf("%s: after the event %v, want a close 1001", tc.query, err)
		}
	}
}

// depthEvents reads n diff events of a raw depth stream.
func depthEvents(t *testing.T, c *websocket.Conn, n int) []depthEvent {
	t.Helper()
	var out []depthEvent
	for range n {
		var ev depthEvent
		if b := read(t, c); json.Unmarshal(b, &ev) != nil || ev.E != "depthUpdate" {
			t.Fatalf("not a diff event: %.200s", b)
		}
		out = append(out, ev)
	}
	return out
}

// A book_gap fault drops a diff event: the next event's U jumps past the
// u before it + 1, as a client keeping the book must notice; the events
// around it still chain.
func TestABookGapMakesTheDiffStreamsUpdateIdsJump(t *testing.T) {
	for _, tc := range []struct {
		name, cond string
		gapsAt     []int // indexes of events whose U does not follow the u before
	}{
		{"without the fault every event follows the one before", `{}`, nil},
		{"every third diff dropped", `{"book_gap":{"every":3}}`, []int{2, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := replaytest.Start(t, "binance_spot", nil, replaytest.Clock(fixedNow, 10))
			if err := srv.PatchConditions([]byte(tc.cond)); err != nil {
				t.Fatal(err)
			}
			evs := depthEvents(t, srv.Conn(t, "/ws/btcusdt@depth@100ms"), 6)
			var gaps []int
			for i := 1; i < len(evs); i++ {
				if evs[i].U <= evs[i-1].Lu {
					t.Fatalf("event %d: U %d not past the u %d before", i, evs[i].U, evs[i-1].Lu)
				}
				if evs[i].U != evs[i-1].Lu+1 {
					gaps = append(gaps, i)
				}
			}
			if !slicesEqual(gaps, tc.gapsAt) {
				t.Errorf("sequence jumps before events %v, want %v (events %+v)", gaps, tc.gapsAt, evs)
			}
			if n := srv.Status().Faults.ProtocolTotals()["book_gap"]; int(n) < len(tc.gapsAt) {
				t.Errorf("gaps counted %d", n)
			}
		})
	}
}

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A stale_snapshot fault serves /api/v3/depth as of the age before now:
// its lastUpdateId is the book's there, behind the streams.
func TestAStaleSnapshotIsTheBookAsOfTheAgeBefore(t *testing.T) {
	srv := replaytest.Start(t, "binance_spot", nil, replaytest.Clock(fixedNow, 0))
	seqAt := func(at time.Time) int64 {
		b, err := srv.Env.Books.Book(context.Background(), "BTCUSDT", at.UnixMicro()+999, 0)
		if err != nil {
			t.Fatal(err)
		}
		return b.Seq
	}
	snapshot := func() int64 {
		var snap depthSnapshot
		if _, b := get(t, srv.URL+"/api/v3/depth?symbol=BTCUSDT&limit=5"); json.Unmarshal(b, &snap) != nil {
			t.Fatalf("%s", b)
		}
		return snap.LastUpdateID
	}
	if got, want := snapshot(), seqAt(fixedNow); got != want {
		t.Fatalf("fresh snapshot at %d, want the book's Seq now %d", got, want)
	}
	if err := srv.PatchConditions([]byte(`{"stale_snapshot":{"age":"5s","every":2}}`)); err != nil {
		t.Fatal(err)
	}
	fresh, stale := snapshot(), snapshot()
	if want := seqAt(fixedNow.Add(-5 * time.Second)); stale != want || fresh != seqAt(fixedNow) || stale >= fresh {
		t.Errorf("snapshots %d then %d, want %d then the book 5s before, %d", fresh, stale, seqAt(fixedNow), want)
	}
	if n := srv.Status().Faults.Protocol["stale_snapshot"]["default"]; n != 1 {
		t.Errorf("stale snapshots counted %d", n)
	}
}
