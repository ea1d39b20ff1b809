package plugins_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/netsim"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/synth"
)

// BenchmarkSessionEcho is one client message echoed by a Session whose
// outgoing messages cross a netsim link on a perfect network: the per
// message cost of the WS pipeline (fate drawn, due time, write).
func BenchmarkSessionEcho(b *testing.B) {
	sim, err := netsim.New(netsim.Options{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	pairs := []cc.Pair{{Base: "BTC", Quote: "USDT", Price: 50000, Symbol: "BTCUSDT"}}
	m := synth.New(synth.Options{Pairs: pairs})
	env := &plugins.Env{Market: m, Clock: &cc.Clock{}, Feed: &cc.MarketFeed{Market: m, Clock: &cc.Clock{}}, Pairs: pairs, Hub: plugins.NewHub()}
	pipeline(env, sim, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plugins.ServeWS(env, w, r, echoProto{}, plugins.WSOptions{})
	}))
	defer srv.Close()
	defer env.Hub.CloseAll(websocket.CloseGoingAway, "bench over")
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/ws", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if _, _, err := c.ReadMessage(); err != nil { // welcome
		b.Fatal(err)
	}
	msg := []byte(strings.Repeat("m", 100))
	b.ReportAllocs()
	for b.Loop() {
		if err := c.WriteMessage(websocket.TextMessage, msg); err != nil {
			b.Fatal(err)
		}
		if _, _, err := c.ReadMessage(); err != nil {
			b.Fatal(err)
		}
	}
}
