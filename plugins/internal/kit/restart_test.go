package kit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
	"github.com/candlecassette/candlecassette/synth"
)

// restartProto subscribes book "B" with kit.SubscribeBookDiffs on any
// message; its push unsubscribes at the first diff (as a protocol starting
// the book again does) and counts the diffs pushed after that.
type restartProto struct{ after *atomic.Int64 }

func (restartProto) Open(*plugins.Session) error { return nil }

func (p restartProto) Message(s *plugins.Session, _ int, _ []byte) {
	var ended bool
	err := kit.SubscribeBookDiffs(s, "B", "BTCUSDT", 0, 100*time.Millisecond, nil, func(cc.BookDiff) {
		if ended {
			p.after.Add(1)
			return
		}
		ended = s.Unsubscribe("B")
	})
	if err != nil {
		s.Send([]byte(err.Error()))
	}
}

// A book stream that falls behind catches up many steps in one push; once
// unsubscribed it pushes none of the rest, so a book subscribed again
// under the same key never sees the old stream's diffs after its start.
func TestABookStreamStopsWithinABatchOnceUnsubscribed(t *testing.T) {
	pairs := []cc.Pair{{Base: "BTC", Quote: "USDT", Price: 50000, Symbol: "BTCUSDT"}}
	m := synth.New(synth.Options{Pairs: pairs})
	// The market runs 2,000 times as fast: every push catches up on many
	// 100 ms steps.
	clock := &cc.Clock{Base: time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC), Start: time.Now(), Speed: 2000}
	env := &plugins.Env{Market: m, Clock: clock, Feed: &cc.MarketFeed{Market: m, Clock: clock}, Pairs: pairs, Books: fakeBooks(), Hub: plugins.NewHub()}
	var after atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plugins.ServeWS(env, w, r, restartProto{after: &after}, plugins.WSOptions{})
	}))
	defer srv.Close()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		env.Hub.Shutdown(ctx)
	}()
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	time.Sleep(300 * time.Millisecond) // the stream falls behind
	c.WriteMessage(websocket.TextMessage, []byte("go"))
	time.Sleep(500 * time.Millisecond)
	if n := after.Load(); n != 0 {
		t.Fatalf("%d diffs pushed after the stream was unsubscribed", n)
	}
}
