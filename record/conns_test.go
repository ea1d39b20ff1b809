package record_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/candlecassette/candlecassette/serve"
)

// TestRelayDescribesItself: a relayed connection is listed by the admin
// API's connections with its path, client, upstream and the frames it
// relayed each way, and leaves the list once closed.
func TestRelayDescribesItself(t *testing.T) {
	up := newUpstream(t)
	srv := startProxy(t, up, filepath.Join(t.TempDir(), "conns.cassette"))
	ws, _, err := websocket.DefaultDialer.Dial(srv.WSURL()+"/ws/x", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	// The upstream answers two client frames with a reply, two klines and
	// a binary frame.
	for _, m := range []string{`{"method":"LOGIN"}`, `{"method":"SUBSCRIBE","params":["btcusdt@kline_1m"],"id":1}`} {
		if err := ws.WriteMessage(websocket.TextMessage, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for range 4 {
		if _, _, err := ws.ReadMessage(); err != nil {
			t.Fatal(err)
		}
	}
	var got []serve.Connection
	deadline := time.Now().Add(5 * time.Second)
	for {
		got = srv.Connections()
		// The relay counts a frame once written: just after the client
		// could read it.
		if (len(got) == 1 && got[0].MessagesSent == 4) || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if len(got) != 1 {
		t.Fatalf("one relay open, listed %+v", got)
	}
	c := got[0]
	wantUp := "ws://" + strings.TrimPrefix(up.URL, "http://")
	if c.Exchange != fakeName || c.ID != 1 || c.Path != "/ws/x" || c.Client != ws.LocalAddr().String() || c.Upstream != wantUp {
		t.Errorf("relay listed as %+v, want /ws/x from %s to %s", c, ws.LocalAddr(), wantUp)
	}
	if c.MessagesSent != 4 || c.MessagesReceived != 2 || c.MessagesDropped != 0 {
		t.Errorf("relay counted %d sent, %d received, %d dropped; want 4, 2, 0", c.MessagesSent, c.MessagesReceived, c.MessagesDropped)
	}
	if len(c.Subscriptions) != 0 || c.Subscriptions == nil {
		t.Errorf("a relay does not know its streams, listed %#v", c.Subscriptions)
	}
	if age := time.Since(c.Opened); age < 0 || age > time.Minute || c.Opened.Location() != time.UTC {
		t.Errorf("opened %v", c.Opened)
	}

	ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	deadline = time.Now().Add(5 * time.Second)
	for len(srv.Connections()) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("still listed after the close: %+v", srv.Connections())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
