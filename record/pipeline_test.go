package record_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/candlecassette/candlecassette/netsim"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/record"
	"github.com/candlecassette/candlecassette/serve"
)

// countProto answers "go N" with the messages "0" to "N-1", sent at once.
type countProto struct{}

func (countProto) Open(*plugins.Session) error { return nil }

func (countProto) Message(s *plugins.Session, _ int, data []byte) {
	n, _ := strconv.Atoi(strings.TrimPrefix(string(data), "go "))
	for i := range n {
		s.Send([]byte(strconv.Itoa(i)))
	}
}

func serveCount(env *plugins.Env) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plugins.ServeWS(env, w, r, countProto{}, plugins.WSOptions{})
	})
}

// delivery is what a client saw of "go N": the messages in the order
// they came, how the connection ended (1006 if cut, 0 if still open), and
// the front's WS counters.
type delivery struct {
	got     []string
	cut     bool
	sent    int64
	dropped int64
}

func collect(t *testing.T, wsURL string, n int, status func() serve.Status) delivery {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial(wsURL+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.WriteMessage(websocket.TextMessage, []byte("go "+strconv.Itoa(n)))
	var d delivery
	for {
		// Every message is out well within a second of the request.
		c.SetReadDeadline(time.Now().Add(time.Second))
		_, m, err := c.ReadMessage()
		if err != nil {
			var ne interface{ Timeout() bool }
			if !errors.As(err, &ne) || !ne.Timeout() {
				d.cut = websocket.IsCloseError(err, websocket.CloseAbnormalClosure) || websocket.IsUnexpectedCloseError(err)
				if !d.cut {
					t.Fatalf("after %v: %v", d.got, err)
				}
			}
			break
		}
		d.got = append(d.got, string(m))
	}
	ws := status().WS
	d.sent, d.dropped = ws.MessagesSent, ws.MessagesDropped
	return d
}

// A plugin's session and the record relay get their pipeline from the
// same front: under the same seed and conditions, one upstream's messages
// relayed and the same messages sent by a session reach the client alike,
// with the same ones dropped and the connection cut at the same one.
func TestASessionAndARelayDeliverAlikeUnderTheSameSeed(t *testing.T) {
	const n = 60
	for _, tc := range []struct {
		name  string
		cond  netsim.Conditions
		cut   bool
		drops bool
	}{
		{"with jitter and loss", netsim.Conditions{Latency: netsim.Duration(30 * time.Millisecond), Jitter: netsim.Duration(25 * time.Millisecond), Loss: 0.3}, false, true},
		{"with errors that cut the connection", netsim.Conditions{Latency: netsim.Duration(10 * time.Millisecond), Loss: 0.2, ErrorRate: 0.08}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			so := serve.Options{Seed: 7, Conditions: netsim.Config{Conditions: tc.cond}}

			front, err := serve.New(fakeEx{}, so)
			if err != nil {
				t.Fatal(err)
			}
			front.Handle(serveCount(&plugins.Env{Hub: front.Hub()}))
			if err := front.Listen("127.0.0.1:0"); err != nil {
				t.Fatal(err)
			}
			defer front.Close(context.Background())
			viaSession := collect(t, front.WSURL(), n, front.Status)

			// The upstream is a session on a perfect network; the relay's
			// front shapes what it forwards.
			upHub := plugins.NewHub()
			up := httptest.NewServer(serveCount(&plugins.Env{Hub: upHub}))
			defer up.Close()
			defer upHub.Shutdown(context.Background())
			proxy, err := record.Start(record.Options{
				Exchange: fakeName, Cassette: filepath.Join(t.TempDir(), "relay.cassette"),
				UpstreamREST: up.URL, UpstreamWS: "ws" + strings.TrimPrefix(up.URL, "http"), Serve: so,
			}, "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer proxy.Close(context.Background())
			viaRelay := collect(t, proxy.WSURL(), n, proxy.Status)

			if strings.Join(viaSession.got, ",") != strings.Join(viaRelay.got, ",") || viaSession.cut != viaRelay.cut {
				t.Fatalf("session delivered %v (cut %v),\nrelay   delivered %v (cut %v)", viaSession.got, viaSession.cut, viaRelay.got, viaRelay.cut)
			}
			if viaSession.sent != viaRelay.sent || viaSession.dropped != viaRelay.dropped || viaSession.sent != int64(len(viaSession.got)) {
				t.Errorf("counters: session sent %d dropped %d, relay sent %d dropped %d; client got %d",
					viaSession.sent, viaSession.dropped, viaRelay.sent, viaRelay.dropped, len(viaSession.got))
			}
			// The case is what it claims: messages were dropped, order kept,
			// and the cut (if any) came before the end.
			last := -1
			for _, m := range viaSession.got {
				i, _ := strconv.Atoi(m)
				if i <= last {
					t.Fatalf("out of order: %v", viaSession.got)
				}
				last = i
			}
			if tc.drops && viaSession.dropped == 0 {
				t.Errorf("nothing dropped at loss %v: %v", tc.cond.Loss, viaSession.got)
			}
			if viaSession.cut != tc.cut {
				t.Errorf("cut %v, want %v", viaSession.cut, tc.cut)
			}
			if !tc.cut && int64(len(viaSession.got))+viaSession.dropped != n {
				t.Errorf("%d delivered + %d dropped, want %d", len(viaSession.got), viaSession.dropped, n)
			}
		})
	}
}
