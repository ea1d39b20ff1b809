package ascendex_test

import (
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/replay/replaytest"
)

func TestRiskLimitInfo(t *testing.T) {
	s := replaytest.Start(t, "ascend_ex_spot", nil, nil)
	status, body := s.Get(t, "/api/pro/v1/risk-limit-info")
	want := `{"code":0,"data":{"ip":"127.0.0.1","webSocket":{"windowSizeInMinutes":5,"maxNumRequests":45,"maxSessionPerIp":30,"isBanned":false,"bannedUntil":-1,"violationCode":0,"reason":""}}}`
	if status != 200 || string(body) != want {
		t.Errorf("%d %s\nwant %s", status, body, want)
	}
}

// TestHummingbotStreamPaths: Hummingbot's stream path, with and without
// an account group, speaks the same protocol.
func TestHummingbotStreamPaths(t *testing.T) {
	s := replaytest.Start(t, "ascend_ex_spot", nil, nil)
	for _, p := range []string{"/api/pro/v1/websocket-for-hummingbot-liq-mining/stream", "/6/api/pro/v1/websocket-for-hummingbot-liq-mining/stream"} {
		ws := s.Dial(t, p)
		if m := ws.ReadJSON(5*time.Second, func(map[string]any) bool { return true }); m["m"] != "connected" {
			t.Fatalf("%s: greeting %v", p, m)
		}
		ws.Send(`{"op":"ping","id":"p1"}`)
		if m := ws.ReadJSON(5*time.Second, func(map[string]any) bool { return true }); m["m"] != "pong" {
			t.Fatalf("%s: ping answered %v", p, m)
		}
	}
}
