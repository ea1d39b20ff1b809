package record_test

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/record"
)

// otherEx is a second exchange, registered only so that a recording of
// fakeEx meets its secrets: a header, a param and a WS login verb that no
// generic list knows.
type otherEx struct{ fakeEx }

func init() { plugins.Register(otherEx{}) }

func (otherEx) Name() string { return "recordtest_other" }
func (otherEx) Defaults() plugins.Defaults {
	d := fakeEx{}.Defaults()
	d.SecretHeaders = []string{"X-Other-Credential"}
	d.SecretParams = []string{"otherPass"}
	d.LoginOps = []string{"other.hello"}
	return d
}

// A recording redacts the secrets its own plugin and every other
// registered plugin declare, after the recorder's BeforeSave hooks have
// seen every interaction, connection and frame.
func TestARecordingRedactsEveryRegisteredExchangesSecretsAfterItsHooks(t *testing.T) {
	up := newUpstream(t)
	path := filepath.Join(t.TempDir(), "rec.cassette")
	const (
		ownHeader   = "own-header-secret-1"
		ownParam    = "own-param-secret-2"
		otherHeader = "other-header-secret-3"
		otherParam  = "other-param-secret-4"
		otherLogin  = "other-login-secret-5"
	)
	var ixHooked, connHooked, clientFrames atomic.Int32
	srv, err := record.Start(record.Options{
		Exchange: fakeName, Cassette: path,
		UpstreamREST: up.URL, UpstreamWS: "ws" + strings.TrimPrefix(up.URL, "http"),
		CassetteOptions: cassettes.Options{FlushInterval: 20 * time.Millisecond},
		BeforeSave: cassettes.Hooks{
			Interaction: func(ix *cassettes.Interaction) {
				ixHooked.Add(1)
				ix.RequestHeader.Set("X-Recorded-By", "the-before-save-hook")
			},
			Conn: func(url string) string { connHooked.Add(1); return url + "?via=the-conn-hook" },
			Frame: func(f *cassettes.Frame) {
				if f.Dir == cassettes.FromClient && f.Opcode == websocket.TextMessage {
					clientFrames.Add(1)
				}
			},
		},
	}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })

	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	get(t, client, srv.URL()+"/api/v3/gz?fakeToken="+ownParam+"&otherPass="+otherParam,
		http.Header{"X-Fake-Secret": {ownHeader}, "X-Other-Credential": {otherHeader}})
	ws, _, err := websocket.DefaultDialer.Dial(srv.WSURL()+"/ws/btcusdt@kline_1m", nil)
	if err != nil {
		t.Fatal(err)
	}
	ws.WriteMessage(websocket.TextMessage, []byte(`{"method":"other.hello","params":{"who":"`+otherLogin+`"}}`))
	ws.WriteMessage(websocket.TextMessage, []byte(`{"method":"SUBSCRIBE","params":["btcusdt@kline_1m"],"id":1}`))
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for i := 0; i < 4; i++ {
		if _, _, err := ws.ReadMessage(); err != nil {
			t.Fatalf("after %d messages: %v", i, err)
		}
	}
	ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	time.Sleep(100 * time.Millisecond)
	ws.Close()
	if err := srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	raw := readRaw(t, path)
	for _, s := range []string{ownHeader, ownParam, otherHeader, otherParam, otherLogin} {
		if bytes.Contains(raw.all, []byte(s)) {
			t.Errorf("secret %q found in the cassette", s)
		}
	}
	for _, s := range []string{"the-before-save-hook", "via=the-conn-hook", "other.hello"} {
		if !bytes.Contains(raw.all, []byte(s)) {
			t.Errorf("%q, put in or kept by the hooks, not found in the cassette", s)
		}
	}
	if ixHooked.Load() != 1 || connHooked.Load() != 1 || clientFrames.Load() != 2 {
		t.Errorf("hooks ran on %d interactions, %d connections, %d client text frames; want 1, 1, 2",
			ixHooked.Load(), connHooked.Load(), clientFrames.Load())
	}
}
