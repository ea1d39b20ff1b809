package plugintest

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/candlecassette/candlecassette/plugins"
)

// checkWS subscribes through the plugin's own recipe and checks the
// updates up to the candle in progress: each must be the Market's candle
// at its open time, and the one in progress must arrive.
func checkWS(t *testing.T, h *harness, ks plugins.KlineSubscriber) {
	iv := pickIntervals(h.p.Defaults().Intervals)[0]
	sym := h.pairs[0].Symbol
	path, msgs := ks.KlineSubscription(sym, iv)
	u, err := url.Parse("ws" + strings.TrimPrefix(h.http.URL, "http") + path)
	if err != nil {
		t.Fatalf("KlineSubscription path %q: %v", path, err)
	}
	conn, _, err := websocket.DefaultDialer.Dial(u.String(), nil)
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	defer conn.Close()
	for _, m := range msgs {
		if err := conn.WriteMessage(websocket.TextMessage, m); err != nil {
			t.Fatalf("send %s: %v", m, err)
		}
	}
	cur := iv.Truncate(h.now)
	deadline := time.Now().Add(10 * time.Second)
	for frames := 0; frames < 100; frames++ {
		conn.SetReadDeadline(deadline)
		_, frame, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("no update for the %s candle in progress (%d frames read): %v", iv, frames, err)
		}
		ups, err := h.p.DecodeFrame(u.Path, frame)
		if errors.Is(err, plugins.ErrNotCandles) {
			continue
		}
		if err != nil {
			t.Errorf("DecodeFrame(%.200s): %v", frame, err)
			continue
		}
		for _, up := range ups {
			if up.Interval != iv {
				continue
			}
			c := up.Candle
			if up.Symbol == "" {
				t.Error("update without a symbol")
			}
			ms, err := h.srv.Env().Market.Candles(context.Background(), sym, iv, c.OpenTime, iv.Next(c.OpenTime), h.now)
			if err != nil || len(ms) != 1 {
				t.Fatalf("update for open %d: market has %d candles (%v)", c.OpenTime, len(ms), err)
			}
			if diff := compare(c, ms[0], iv); diff != "" {
				t.Errorf("update for open %d differs from the market: %s", c.OpenTime, diff)
			}
			if c.OpenTime == cur {
				if c.Closed {
					t.Error("the candle in progress is marked closed")
				}
				return
			}
		}
	}
	t.Fatalf("100 frames without the %s candle in progress", iv)
}
