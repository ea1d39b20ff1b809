package coinbase_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/plugins/coinbase"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

func TestRecordThenReplayOffline(t *testing.T) {
	start := time.Now().Add(-10 * time.Hour).Truncate(time.Hour).Unix()
	candles := fmt.Sprintf("/api/v3/brokerage/market/products/BTC-USD/candles?granularity=ONE_MINUTE&start=%d&end=%d", start, start+6000)
	calls := []replaytest.Call{
		{Path: "/v2/currencies"}, {Path: "/v2/currencies/crypto"},
		{Path: "/api/v3/brokerage/market/products"}, {Path: candles},
	}
	live := func(t *testing.T, url string) {
		c := replaytest.Dial(t, url+"/")
		c.WriteJSON(map[string]any{"type": "subscribe", "product_ids": []string{"BTC-USD"}, "channel": "candles"})
		if !replaytest.ReadUntil(t, c, 10, func(f []byte) bool { return bytes.Contains(f, []byte(`"channel":"candles"`)) }) {
			t.Fatal("no candles message")
		}
		c.Close()
	}
	rec, rep, srv := replaytest.RoundTrip(t, coinbase.Name, pairs, calls, live)
	for i, c := range calls {
		if !bytes.Equal(rec[i], rep[i]) {
			t.Errorf("%s: replayed body differs:\n%.300s\n%.300s", c.Path, rep[i], rec[i])
		}
	}
	// A window never asked verbatim comes from the candle index and agrees
	// with the recording.
	sub := fmt.Sprintf("/api/v3/brokerage/market/products/BTC-USD/candles?granularity=ONE_MINUTE&start=%d&end=%d", start+600, start+1200)
	_, body := replaytest.Get(t, srv.URL, sub)
	p := &coinbase.Plugin{}
	got, err := p.DecodeCandles(mustReq(sub), body)
	if err != nil || len(got.Candles) != 10 {
		t.Fatalf("sub-window: %v %.300s", err, body)
	}
	whole, _ := p.DecodeCandles(mustReq(candles), rec[3])
	for i, c := range got.Candles {
		w := whole.Candles[10+i]
		if c.OpenTime != w.OpenTime || c.Close.Cmp(w.Close) != 0 || c.Volume.Cmp(w.Volume) != 0 {
			t.Fatalf("candle %d: %+v, recorded %+v", i, c, w)
		}
	}
}
