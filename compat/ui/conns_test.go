package ui_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"
)

// TestDashboardListsWSConnections: a WS connection the test opens, with a
// stream it subscribed by message, shows in the page's table of
// connections — its path, its client address, the stream — and leaves it
// once the connection is closed.
func TestDashboardListsWSConnections(t *testing.T) {
	s := startServer(t, "")
	p := newPage(t, s.URL(), nil)
	p.do("opening the dashboard", chromedp.Navigate(s.URL()+"/__admin/ui"))
	p.until("the empty table", `document.getElementById('conns-note').textContent === 'No WS connection open.' &&
		document.querySelectorAll('#conns tbody tr').length === 0`)

	ws, _, err := websocket.DefaultDialer.Dial(s.WSURL()+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if err := ws.WriteJSON(map[string]any{"method": "SUBSCRIBE", "params": []string{"ethusdt@kline_5m"}, "id": 1}); err != nil {
		t.Fatal(err)
	}
	ws.SetReadDeadline(time.Now().Add(wait))
	for {
		_, b, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("waiting for the subscribe's reply: %v", err)
		}
		var r struct {
			ID *int `json:"id"`
		}
		if json.Unmarshal(b, &r) == nil && r.ID != nil && *r.ID == 1 {
			break
		}
	}
	client := ws.LocalAddr().String()
	row := fmt.Sprintf(`[...document.querySelectorAll('#conns tbody tr')].find((tr) => tr.children[1].textContent === %q)`, client)
	p.until("the connection in the table", fmt.Sprintf(`(() => {
		const tr = %s;
		if (!tr) return false;
		const td = [...tr.children].map((c) => c.textContent);
		return td[0] === '/ws' && td[3] === 'ethusdt@kline_5m' && /^\d\d:\d\d:\d\d \(\d+s\)$/.test(td[2]) && /^\d+ \/ 1$/.test(td[4]) &&
			document.getElementById('conns-note').textContent === '1 open, oldest first';
	})()`, row))
	p.screenshot("ws-connections")

	ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	p.until("the connection gone from the table", fmt.Sprintf(`!%s && document.getElementById('conns-note').textContent === 'No WS connection open.'`, row))
	p.check()
}
