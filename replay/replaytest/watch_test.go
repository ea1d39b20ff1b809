package replaytest_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// scripted serves one WS connection that pushes frames and then waits
// for the client to go.
func scripted(t *testing.T, frames ...string) *replaytest.Server {
	t.Helper()
	up := websocket.Upgrader{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for _, f := range frames {
			if c.WriteMessage(websocket.TextMessage, []byte(f)) != nil {
				return
			}
		}
		c.ReadMessage() // until the client closes
	}))
	t.Cleanup(ts.Close)
	return replaytest.At(ts.URL)
}

func pushed(t *testing.T) replaytest.Candler {
	return func(_ int, frame []byte) cc.Candle {
		var c struct {
			T      int64
			Closed bool
			N      int64
		}
		if err := json.Unmarshal(frame, &c); err != nil {
			t.Fatal(err)
		}
		return cc.Candle{OpenTime: c.T, Closed: c.Closed, Trades: c.N}
	}
}

func TestWatchCloseWaitsForTheFirstInProgressCandleToClose(t *testing.T) {
	s := scripted(t,
		`{"t":60000,"closed":true}`, // closed before any in progress: ignored
		`{"t":120000}`, `{"t":120000}`,
		`{"t":180000,"closed":true}`, // another candle
		`{"t":120000,"closed":true}`,
	)
	ws := s.Dial(t, "/")
	if open := ws.WatchClose(pushed(t)); open != 120000 {
		t.Errorf("open %d, want 120000", open)
	}
}

func TestFollowCandleReturnsTheLastStateOfTheFirst(t *testing.T) {
	s := scripted(t, `{"t":60000,"n":1}`, `{"t":60000,"n":2}`, `{"t":300000,"n":9}`, `{"t":60000,"n":3}`, `{"t":120000,"n":1}`)
	ws := s.Dial(t, "/")
	if c := ws.FollowCandle(60000, pushed(t)); c.OpenTime != 60000 || c.Trades != 3 {
		t.Errorf("got %+v, want the third push of 60000", c)
	}
}
