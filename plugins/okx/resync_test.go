package okx_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/candlecassette/candlecassette/plugins/okx"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// A forced resync is OKX's service-upgrade notice, on the connection's
// own connId, then a close the client must reconnect after.
func TestAForcedResyncSendsTheServiceUpgradeNoticeThenCloses(t *testing.T) {
	f := newFixture(t, okx.Spot, replaytest.Clock(t0, 0))
	if err := f.PatchConditions([]byte(`{"resync":{"every":2}}`)); err != nil {
		t.Fatal(err)
	}
	c := f.Conn(t, "/ws/v5/business")
	replaytest.Send(t, c, "ping")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, data, err := c.ReadMessage(); err != nil || string(data) != "pong" {
		t.Fatalf("ping: %q %v", data, err)
	}
	replaytest.Send(t, c, `{"op":"subscribe","args":[{"channel":"candle1m","instId":"BTC-USDT"}]}`)
	_, body, err := c.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	var notice map[string]string
	if err := json.Unmarshal(body, &notice); err != nil || notice["event"] != "notice" || notice["code"] != "64008" ||
		notice["msg"] != "The connection will soon be closed for a service upgrade. Please reconnect." || notice["connId"] == "" || len(notice) != 4 {
		t.Fatalf("notice %s", body)
	}
	_, _, err = c.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
		t.Fatalf("after the notice: %v, want a close 1001", err)
	}
	if n := f.Status().Faults.ProtocolTotals()["resync"]; n != 1 {
		t.Errorf("resyncs counted %d", n)
	}
}
