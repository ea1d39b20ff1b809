package serve_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/replay/replaytest"
	"github.com/candlecassette/candlecassette/serve"
)

// connLine is one entry of GET /__admin/connections, decoded strictly so
// that the shape the web UI reads cannot drift.
type connLine struct {
	Exchange         string   `json:"exchange"`
	ID               uint64   `json:"id"`
	Path             string   `json:"path"`
	Client           string   `json:"client"`
	Opened           string   `json:"opened"`
	Subscriptions    []string `json:"subscriptions"`
	Upstream         string   `json:"upstream"`
	MessagesSent     int64    `json:"messages_sent"`
	MessagesDropped  int64    `json:"messages_dropped"`
	MessagesReceived int64    `json:"messages_received"`
}

// listConns reads GET path with the admin token and decodes it strictly.
func listConns(t *testing.T, url, token string) []connLine {
	t.Helper()
	code, b := getTok(t, url, token)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, code, b)
	}
	var out struct {
		Connections []connLine `json:"connections"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("%v in %s", err, b)
	}
	if out.Connections == nil {
		t.Fatalf("connections is not a list: %s", b)
	}
	return out.Connections
}

// wsCall sends a Binance request frame on c and reads until its reply.
// Binance acknowledges a SUBSCRIBE before it subscribes: a
// LIST_SUBSCRIPTIONS follows it, answered once the streams are on.
func wsCall(t *testing.T, c *websocket.Conn, method string, params []string, id int) {
	t.Helper()
	if err := c.WriteJSON(map[string]any{"method": method, "params": params, "id": id}); err != nil {
		t.Fatal(err)
	}
	if method == "SUBSCRIBE" {
		if err := c.WriteJSON(map[string]any{"method": "LIST_SUBSCRIPTIONS", "id": id + 100}); err != nil {
			t.Fatal(err)
		}
		id += 100
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	ok := replaytest.ReadUntil(t, c, 1000, func(b []byte) bool {
		var r struct {
			ID     *int            `json:"id"`
			Result json.RawMessage `json:"result"`
		}
		return json.Unmarshal(b, &r) == nil && r.ID != nil && *r.ID == id && len(r.Result) > 0
	})
	if !ok {
		t.Fatalf("no reply to %s %v", method, params)
	}
}

func TestAdminConnections(t *testing.T) {
	const token = "s3cret"
	srv := start(t, replay.Options{Serve: serve.Options{AdminToken: token}})
	list := srv.URL() + "/__admin/connections"
	if code, _ := getTok(t, list, ""); code != http.StatusUnauthorized {
		t.Errorf("connections without the token: %d, want 401", code)
	}
	if got := listConns(t, list, token); len(got) != 0 {
		t.Fatalf("before any connection: %+v", got)
	}

	// a subscribes two streams in its URL and a third by message; b one
	// by message.
	a := replaytest.Dial(t, srv.WSURL()+"/stream?streams=btcusdt@kline_1m/ethusdt@trade")
	wsCall(t, a, "SUBSCRIBE", []string{"btcusdt@aggTrade"}, 1)
	b := replaytest.Dial(t, srv.WSURL()+"/ws")
	wsCall(t, b, "SUBSCRIBE", []string{"ethusdt@kline_5m"}, 2)

	got := listConns(t, list, token)
	if len(got) != 2 {
		t.Fatalf("two connections open, listed %+v", got)
	}
	ca, cb := got[0], got[1]
	want := []struct {
		c                connLine
		path, client     string
		subs             []string
		received, minOut int64
	}{
		{ca, "/stream", a.LocalAddr().String(), []string{"btcusdt@kline_1m", "ethusdt@trade", "btcusdt@aggTrade"}, 2, 2},
		{cb, "/ws", b.LocalAddr().String(), []string{"ethusdt@kline_5m"}, 2, 2},
	}
	for i, w := range want {
		c := w.c
		if c.Exchange != "binance_spot" || c.Path != w.path || c.Client != w.client || c.Upstream != "" {
			t.Errorf("connection %d: %+v, want path %s from %s", i, c, w.path, w.client)
		}
		if !slices.Equal(c.Subscriptions, w.subs) {
			t.Errorf("connection %d subscriptions %q, want %q", i, c.Subscriptions, w.subs)
		}
		if c.MessagesReceived != w.received || c.MessagesSent < w.minOut {
			t.Errorf("connection %d: received %d (want %d), sent %d (want at least %d)", i, c.MessagesReceived, w.received, c.MessagesSent, w.minOut)
		}
		opened, err := time.Parse(time.RFC3339Nano, c.Opened)
		if err != nil || time.Since(opened) < 0 || time.Since(opened) > time.Minute {
			t.Errorf("connection %d opened %q (%v)", i, c.Opened, err)
		}
	}
	if ca.ID == cb.ID || ca.Opened > cb.Opened {
		t.Errorf("not listed oldest first with ids of their own: %+v", got)
	}
	// The per-exchange route lists the same connections.
	if per := listConns(t, srv.URL()+"/__admin/binance_spot/connections", token); len(per) != 2 || per[0].ID != ca.ID || per[1].ID != cb.ID {
		t.Errorf("/__admin/binance_spot/connections: %+v", per)
	}

	// Unsubscribing a stream takes it out of its connection's list only.
	wsCall(t, a, "UNSUBSCRIBE", []string{"ethusdt@trade"}, 3)
	got = listConns(t, list, token)
	if len(got) != 2 || got[0].ID != ca.ID || got[1].ID != cb.ID {
		t.Fatalf("after an unsubscribe: %+v", got)
	}
	if subs := got[0].Subscriptions; !slices.Equal(subs, []string{"btcusdt@kline_1m", "btcusdt@aggTrade"}) {
		t.Errorf("after unsubscribing ethusdt@trade: %q", subs)
	}
	if subs := got[1].Subscriptions; !slices.Equal(subs, []string{"ethusdt@kline_5m"}) {
		t.Errorf("the other connection after the unsubscribe: %q", subs)
	}
	if got[0].MessagesReceived != 3 || got[0].MessagesSent < ca.MessagesSent+1 {
		t.Errorf("counts after the unsubscribe: received %d, sent %d (was %d)", got[0].MessagesReceived, got[0].MessagesSent, ca.MessagesSent)
	}

	// Closing b takes it off the list once its session is over.
	b.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	deadline := time.Now().Add(5 * time.Second)
	for {
		got = listConns(t, list, token)
		if len(got) == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(got) != 1 || got[0].ID != ca.ID || got[0].Path != "/stream" {
		t.Fatalf("after closing b: %+v", got)
	}
	if st := srv.Status(); st.WS.Connections != 1 || st.WS.Subscriptions != 2 {
		t.Errorf("status after closing b: %+v", st.WS)
	}
}

// On a server of several exchanges /__admin/connections lists every
// exchange's connections, each with its id, and /__admin/ID/connections
// one exchange's.
func TestAdminConnectionsOfSeveralExchanges(t *testing.T) {
	srv := replaytest.StartWith(t, replay.Options{Exchanges: []string{"binance_spot", "okx_spot"}, Seed: 3}).Server
	dial := func(host, path string) *websocket.Conn {
		t.Helper()
		c, _, err := websocket.DefaultDialer.Dial(srv.WSURL()+path, http.Header{"Host": {host}})
		if err != nil {
			t.Fatalf("dialling %s%s: %v", host, path, err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// The client has its handshake's answer before the server tracks the
	// connection: wait until it is listed.
	listed := func(n int) []connLine {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			got := listConns(t, srv.URL()+"/__admin/connections", "")
			if len(got) >= n || time.Now().After(deadline) {
				return got
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	okx := dial("ws.okx.com:8443", "/ws/v5/public")
	listed(1)
	bin := dial("stream.binance.com:9443", "/ws/btcusdt@trade")
	got := listed(2)
	if len(got) != 2 || got[0].Exchange != "okx_spot" || got[0].Path != "/ws/v5/public" || got[0].Client != okx.LocalAddr().String() ||
		got[1].Exchange != "binance_spot" || got[1].Path != "/ws/btcusdt@trade" || got[1].Client != bin.LocalAddr().String() ||
		!slices.Equal(got[1].Subscriptions, []string{"btcusdt@trade"}) {
		t.Errorf("both exchanges' connections, oldest first: %+v", got)
	}
	for id, path := range map[string]string{"okx_spot": "/ws/v5/public", "binance_spot": "/ws/btcusdt@trade"} {
		one := listConns(t, srv.URL()+"/__admin/"+id+"/connections", "")
		if len(one) != 1 || one[0].Exchange != id || one[0].Path != path {
			t.Errorf("/__admin/%s/connections: %+v", id, one)
		}
	}
}
