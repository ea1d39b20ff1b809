package binance_test

import (
	"errors"
	"strconv"
	"testing"

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
