package kittest_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/wiretest"
	"github.com/candlecassette/candlecassette/replay"
)

type subscriber interface {
	KlineSubscription(symbol string, iv cc.Interval) (string, [][]byte)
}

// streamUpdates dials base+path, sends msgs and returns the first n kline
// updates it decodes.
func streamUpdates(t *testing.T, p plugins.Plugin, base, path string, msgs [][]byte, n int) []cc.Update {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial(base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, m := range msgs {
		if err := conn.WriteMessage(websocket.TextMessage, m); err != nil {
			t.Fatal(err)
		}
	}
	var out []cc.Update
	conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	for len(out) < n {
		_, frame, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("after %d updates: %v", len(out), err)
		}
		us, err := p.DecodeFrame(path, frame)
		if errors.Is(err, plugins.ErrNotCandles) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, us...)
	}
	return out[:n]
}

// TestRecordThenReplayWS records a kline stream through the recording
// proxy and replays it offline: the replayed updates are the recorded
// ones.
func TestRecordThenReplayWS(t *testing.T) {
	const n = 3
	for _, tc := range []struct{ id, sym string }{
		{"gate_io_spot", "BTC_USDT"}, {"gate_io_perpetual", "BTC_USDT"},
		{"mexc_spot", "BTCUSDT"}, {"mexc_perpetual", "BTC_USDT"},
		{"hyperliquid_spot", "@142"}, {"hyperliquid_perpetual", "BTC"},
		{"ascend_ex_spot", "BTC/USDT"},
	} {
		t.Run(tc.id, func(t *testing.T) {
			p, _ := plugins.Lookup(tc.id)
			path, msgs := p.(subscriber).KlineSubscription(tc.sym, cc.Interval1m)
			var runs [][]cc.Update // through the recorder, then from the replay
			wiretest.RoundTripWith(t, replay.Options{Exchange: tc.id, Seed: 42, Speed: 10}, nil, func(t *testing.T, url string) {
				runs = append(runs, streamUpdates(t, p, "ws"+strings.TrimPrefix(url, "http"), path, msgs, n))
			})
			recorded, replayed := runs[0], runs[1]
			for i := range recorded {
				a, b := replayed[i].Candle, recorded[i].Candle
				if a.OpenTime != b.OpenTime || a.Open.Cmp(b.Open) != 0 || a.Close.Cmp(b.Close) != 0 ||
					a.High.Cmp(b.High) != 0 || a.Low.Cmp(b.Low) != 0 || a.Volume.Cmp(b.Volume) != 0 {
					t.Fatalf("update %d replayed as %+v, recorded %+v", i, a, b)
				}
			}
		})
	}
}
