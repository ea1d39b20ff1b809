package kraken_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/plugins/kraken"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

func TestRecordThenReplayOffline(t *testing.T) {
	since := time.Now().Add(-3 * time.Hour).Truncate(time.Minute).Unix()
	ohlc := fmt.Sprintf("/0/public/OHLC?pair=XXBTZUSD&interval=1&since=%d", since)
	calls := []replaytest.Call{{Path: "/0/public/Assets"}, {Path: "/0/public/AssetPairs"}, {Path: ohlc}}
	live := func(t *testing.T, url string) {
		c := replaytest.Dial(t, url+"/v2")
		c.WriteJSON(map[string]any{"method": "subscribe", "params": map[string]any{"channel": "ohlc", "symbol": []string{"BTC/USD"}, "interval": 1}, "req_id": 1})
		if !replaytest.ReadUntil(t, c, 20, func(f []byte) bool { return bytes.Contains(f, []byte(`"channel":"ohlc"`)) }) {
			t.Fatal("no ohlc message")
		}
		c.Close()
	}
	rec, rep, srv := replaytest.RoundTrip(t, kraken.Name, pairs, calls, live)
	for i, c := range calls {
		if !bytes.Equal(rec[i], rep[i]) {
			t.Errorf("%s: replayed body differs:\n%.300s\n%.300s", c.Path, rep[i], rec[i])
		}
	}
	// The replay's own WS stream decodes to the recorded pair.
	c := replaytest.Dial(t, srv.URL+"/v2")
	c.WriteJSON(map[string]any{"method": "subscribe", "params": map[string]any{"channel": "ohlc", "symbol": []string{"BTC/USD"}, "interval": 1}, "req_id": 2})
	p := &kraken.Plugin{}
	ok := replaytest.ReadUntil(t, c, 20, func(f []byte) bool {
		ups, err := p.DecodeFrame("/v2", f)
		return err == nil && ups[0].Symbol == "XBT/USD"
	})
	if !ok {
		t.Fatal("no decodable ohlc frame from the replay")
	}
}
